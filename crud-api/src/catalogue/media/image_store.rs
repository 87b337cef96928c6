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

    /// Stores a processed photo and its thumbnail, keyed by the digest of the stored rendition
    /// (never of the upload, whose digest would let anyone holding the original confirm it):
    /// `(image key, thumbnail key)`.
    pub async fn put_processed(
        &self,
        p: &crate::catalogue::media::images::Processed,
    ) -> std::io::Result<(String, String)> {
        let digest = Self::digest(&p.image);
        let key = format!("{digest}.{}", p.extension());
        let thumb_key = format!("{digest}-thumb.jpg");
        self.put(&key, &p.image).await?;
        self.put(&thumb_key, &p.thumbnail).await?;
        Ok((key, thumb_key))
    }

    /// Removes the file of `key`, if it exists.
    pub async fn remove(&self, key: &str) -> std::io::Result<()> {
        let Some(path) = self.path_of(key) else { return Ok(()) };
        match tokio::fs::remove_file(path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The bytes of `key`; None when there is no such file.
    pub async fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path_of(key) else { return Ok(None) };
        match tokio::fs::read(path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
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
