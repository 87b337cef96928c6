//! Content-addressed image files: `<sha256>.<ext>` and `<sha256>-thumb.jpg` under one
//! directory. The same bytes uploaded twice are stored once.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub fn digest(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Writes `bytes` as `key` unless it exists (write to a temp file, then rename: readers
    /// never see half a file).
    pub async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(key);
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        let tmp = self.dir.join(format!(".{key}.{}.tmp", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    /// The file of a well-formed key; None for anything else (no path tricks).
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        valid_key(key).then(|| self.dir.join(key))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// `<64 hex>.<jpg|png|webp>` or `<64 hex>-thumb.jpg`.
pub fn valid_key(key: &str) -> bool {
    let (stem, ext) = match key.rsplit_once('.') {
        Some(x) => x,
        None => return false,
    };
    let hash = stem.strip_suffix("-thumb").unwrap_or(stem);
    let ext_ok = if stem.ends_with("-thumb") { ext == "jpg" } else { matches!(ext, "jpg" | "png" | "webp") };
    ext_ok && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn content_type_of(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, e)| e) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_strict() {
        let h = "a".repeat(64);
        assert!(valid_key(&format!("{h}.png")));
        assert!(valid_key(&format!("{h}-thumb.jpg")));
        assert!(!valid_key(&format!("{h}-thumb.png")));
        assert!(!valid_key("../../etc/passwd"));
        assert!(!valid_key(&format!("{}.png", "A".repeat(64))));
        assert!(!valid_key(&format!("{h}.gif")));
    }
}
