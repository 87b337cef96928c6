//! Where clients fetch stored photos. Every image URL in a response is absolute: a browser
//! app on another origin (or a mobile app, which has no origin) that puts `thumbnail_url` in
//! `<img src>` must reach this API or the photo host, not its own host — root-relative URLs
//! 404'd there. By default photos are served by this API (`PUBLIC_BASE_URL/api/v1/images/{key}`);
//! `IMAGE_BASE_URL` points them at a CDN or the bucket's public address instead
//! (`IMAGE_BASE_URL/{key}`, the key being the object's name in the bucket).

#[derive(Debug, Clone)]
pub struct ImageUrls {
    base: String,
}

impl ImageUrls {
    pub fn new(public_base_url: &str, image_base_url: Option<&str>) -> Self {
        let base = match image_base_url.map(str::trim).filter(|b| !b.is_empty()) {
            Some(cdn) => cdn.trim_end_matches('/').to_string(),
            None => format!("{}/api/v1/images", public_base_url.trim_end_matches('/')),
        };
        Self { base }
    }

    /// The URL of the stored image `key` (any rendition).
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_on_the_api_or_the_photo_host() {
        let api = ImageUrls::new("https://api.example.com/", None);
        assert_eq!(api.url("ab.jpg"), "https://api.example.com/api/v1/images/ab.jpg");
        let cdn = ImageUrls::new("https://api.example.com", Some("https://img.example.net/photos/"));
        assert_eq!(cdn.url("ab.jpg"), "https://img.example.net/photos/ab.jpg");
        assert_eq!(
            ImageUrls::new("http://localhost:8001", Some(" ")).url("k"),
            "http://localhost:8001/api/v1/images/k"
        );
    }
}
