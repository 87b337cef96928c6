//! Content-addressed images: `<sha256>.<ext>`, `<sha256>-thumb.jpg` and `<sha256>-1200.jpg`, in one directory (the
//! embedded default, for one replica) or in an S3-compatible bucket shared by every replica.
//! The same bytes uploaded twice are stored once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

pub use crate::catalogue::media::images::StoredKeys;
use crate::platform::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("object storage: {0}")]
    Object(#[from] object_store::Error),
}

/// Where the object storage is (see `Config::s3_*`).
pub struct Bucket<'a> {
    pub bucket: &'a str,
    pub endpoint: Option<&'a str>,
    pub region: &'a str,
    pub access_key_id: Option<&'a Secret>,
    pub secret_access_key: Option<&'a Secret>,
}

#[derive(Debug, Clone)]
enum Backend {
    Dir(PathBuf),
    Object { store: Arc<dyn ObjectStore>, bucket: String },
}

#[derive(Debug, Clone)]
pub struct ImageStore {
    backend: Backend,
}

impl ImageStore {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { backend: Backend::Dir(dir) })
    }

    /// Photos in an S3-compatible bucket. Checks at once that the bucket answers with these
    /// credentials, so a misconfigured replica fails at start-up, not at the first upload.
    pub async fn object(b: Bucket<'_>) -> Result<Self, StoreError> {
        let mut builder = AmazonS3Builder::new().with_bucket_name(b.bucket).with_region(b.region);
        if let Some(endpoint) = b.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(key)) = (b.access_key_id, b.secret_access_key) {
            builder = builder.with_access_key_id(id.expose()).with_secret_access_key(key.expose());
        }
        let store: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
        match store.head(&ObjectPath::from("gajyeogagu-start-up-check")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Self { backend: Backend::Object { store, bucket: b.bucket.to_string() } })
    }

    /// `dir:<path>` or `s3:<bucket>`, for logs.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Dir(d) => format!("dir:{}", d.display()),
            Backend::Object { bucket, .. } => format!("s3:{bucket}"),
        }
    }

    pub fn digest(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Writes `bytes` as `key` unless it exists. A directory writes a temp file, then renames
    /// it; an object store's PUT is atomic: readers never see half a photo.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Dir(dir) => {
                let path = dir.join(key);
                if tokio::fs::try_exists(&path).await? {
                    return Ok(());
                }
                let tmp = dir.join(format!(".{key}.{}.tmp", uuid::Uuid::new_v4().simple()));
                tokio::fs::write(&tmp, bytes).await?;
                Ok(tokio::fs::rename(&tmp, &path).await?)
            }
            // Content-addressed: writing the same key again writes the same bytes.
            Backend::Object { store, .. } => {
                store.put(&ObjectPath::from(key), PutPayload::from(bytes.to_vec())).await?;
                Ok(())
            }
        }
    }

    /// Stores a processed photo and its thumbnail, keyed by the digest of the stored rendition
    /// (never of the upload, whose digest would let anyone holding the original confirm it):
    /// the keys of the photo and its renditions.
    pub async fn put_processed(
        &self,
        p: &crate::catalogue::media::images::Processed,
    ) -> Result<StoredKeys, StoreError> {
        let digest = Self::digest(&p.image);
        let keys = StoredKeys {
            image: format!("{digest}.{}", p.extension()),
            thumb: format!("{digest}-thumb.jpg"),
            display: display_key(&digest),
        };
        self.put(&keys.image, &p.image).await?;
        self.put(&keys.thumb, &p.thumbnail).await?;
        self.put(&keys.display, &p.display).await?;
        Ok(keys)
    }

    /// Removes `key`, if it exists.
    pub async fn remove(&self, key: &str) -> Result<(), StoreError> {
        if !valid_key(key) {
            return Ok(());
        }
        match &self.backend {
            Backend::Dir(dir) => match tokio::fs::remove_file(dir.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Backend::Object { store, .. } => match store.delete(&ObjectPath::from(key)).await {
                Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => Err(e.into()),
                _ => Ok(()),
            },
        }
    }

    /// The bytes of `key`; None when there is no such image (or the key is malformed: no path
    /// tricks).
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if !valid_key(key) {
            return Ok(None);
        }
        match &self.backend {
            Backend::Dir(dir) => match tokio::fs::read(dir.join(key)).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Backend::Object { store, .. } => match store.get(&ObjectPath::from(key)).await {
                Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// The directory, for a directory-backed store.
    pub fn dir(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Dir(d) => Some(d),
            Backend::Object { .. } => None,
        }
    }
}

/// The display rendition's key for the photo whose stored bytes have `digest`.
pub fn display_key(digest: &str) -> String {
    format!("{digest}-1200.jpg")
}

/// The display rendition's key for a stored photo's key (`<digest>.<ext>`).
pub fn display_key_of(image_key: &str) -> String {
    display_key(image_key.split(['.', '-']).next().unwrap_or_default())
}

/// `<64 hex>.<jpg|png|webp>`, `<64 hex>-thumb.jpg` or `<64 hex>-1200.jpg`.
pub fn valid_key(key: &str) -> bool {
    let (stem, ext) = match key.rsplit_once('.') {
        Some(x) => x,
        None => return false,
    };
    let rendition = stem.strip_suffix("-thumb").or_else(|| stem.strip_suffix("-1200"));
    let hash = rendition.unwrap_or(stem);
    let ext_ok = if rendition.is_some() { ext == "jpg" } else { matches!(ext, "jpg" | "png" | "webp") };
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
        assert!(valid_key(&format!("{h}-1200.jpg")));
        assert!(!valid_key(&format!("{h}-1200.png")));
        assert!(!valid_key(&format!("{h}-800.jpg")));
        assert!(!valid_key("../../etc/passwd"));
        assert!(!valid_key(&format!("{}.png", "A".repeat(64))));
        assert!(!valid_key(&format!("{h}.gif")));
    }
}
