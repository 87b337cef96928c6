//! `Timing-Allow-Origin` for the origins CORS allows. Without it a page on another origin sees
//! zeros in the Resource Timing entries of its own API calls and photos: it can't tell a 304
//! from a 200 (`transferSize`) or measure how long it waited (`responseStart`). The header is a
//! list, not an echo of `Origin`: `<img>` loads send no `Origin`, and their timing matters most.

use axum::http::HeaderValue;

pub const HEADER: &str = "timing-allow-origin";

/// The header's value for `CORS_ORIGINS` (None when no origin is allowed).
pub fn value(cors_origins: &[String]) -> Option<HeaderValue> {
    let origins: Vec<&str> = cors_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
    if origins.is_empty() {
        return None;
    }
    let list = if origins.contains(&"*") { "*".to_string() } else { origins.join(", ") };
    HeaderValue::from_str(&list).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowed_origins_or_none() {
        let list = value(&["https://a.example".into(), " http://localhost:5173".into(), String::new()]);
        assert_eq!(list.unwrap(), "https://a.example, http://localhost:5173");
        assert_eq!(value(&["*".into(), "https://a.example".into()]).unwrap(), "*");
        assert!(value(&[]).is_none() && value(&[String::new()]).is_none());
    }
}
