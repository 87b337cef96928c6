//! Conditional GETs: every successful GET answer gets a strong `ETag` (a hash of the bytes
//! sent, after compression, so each encoding has its own tag) and a `Cache-Control`, and a
//! request whose `If-None-Match` names it gets `304 Not Modified` without the body. Since the tag
//! is computed from what would be sent, it changes with every change to the data: nothing has
//! to remember to invalidate it.

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http::gzip;

/// Public catalogue reads: the same for every visitor, so shared caches may keep them; always
/// revalidated (`no-cache`), since a price or status can change any second.
const PUBLIC_ROUTES: &[&str] =
    &["/api/v1/products", "/api/v1/products/{id}", "/api/v1/categories", "/api/v1/sellers/{id}"];
const PUBLIC: &str = "public, no-cache";
/// Everything else is someone's own data (cart, orders, profile): the browser may keep it
/// for offline use, revalidated, and no shared cache may.
const PRIVATE: &str = "private, no-cache";
/// Larger answers are sent as they are, unbuffered (none of the JSON answers comes near).
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// Route layer (outside tower-http's compression, so it sees the bytes that go on the wire).
/// It buffers GET answers for their tag, so it also gzips them itself (`gzip`): the request
/// goes on without `Accept-Encoding`, and the inner layer leaves the answer alone.
pub async fn conditional_get(mut req: Request, next: Next) -> Response {
    // GET only: a HEAD answer has no body to tag (axum drops it after this layer).
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let gzip_ok = gzip::accepted(req.headers());
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let shared = route.as_deref().is_some_and(|r| PUBLIC_ROUTES.contains(&r))
        && !req.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let res = next.run(req).await;
    let streaming =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    // Streams never end; images carry their own (content-addressed) tags.
    if res.status() != StatusCode::OK || streaming || res.headers().contains_key(header::ETAG) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BUFFERED).await {
        Ok(b) => b,
        Err(e) => {
            return crate::platform::error::ApiError::Internal(anyhow::anyhow!(
                "buffering the answer for its ETag: {e}"
            ))
            .into_response();
        }
    };
    let bytes = if gzip::compressible(&parts.headers) && !parts.headers.contains_key(header::CONTENT_ENCODING) {
        let varies =
            parts.headers.get_all(header::VARY).iter().any(|v| {
                v.to_str().is_ok_and(|v| v.split(',').any(|h| h.trim().eq_ignore_ascii_case("accept-encoding")))
            });
        if !varies {
            parts.headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if gzip_ok && bytes.len() >= gzip::MIN_BYTES {
            parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts.headers.remove(header::CONTENT_LENGTH);
            Bytes::from(gzip::encode(&bytes))
        } else {
            bytes
        }
    } else {
        bytes
    };
    let tag = etag(&bytes);
    parts.headers.insert(header::ETAG, tag.clone());
    parts.headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(if shared {
        PUBLIC
    } else {
        PRIVATE
    }));
    if if_none_match.is_some_and(|v| matches_any(&v, &tag)) {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        // A 304 carries what a 200 would have said about caching (RFC 9110 §15.4.5).
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY, header::CONTENT_LOCATION] {
            if let Some(v) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A strong tag: the first 128 bits of the SHA-256 of the bytes sent.
fn etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..16]))).expect("hex is a valid header value")
}

/// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`; the
/// header may list several tags, or be `*`.
pub fn matches_any(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else { return false };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = opaque(tag.to_str().unwrap_or_default());
    list.split(',').map(str::trim).any(|t| t == "*" || opaque(t) == ours)
}

/// True when `headers` carry an `If-None-Match` that names `tag`.
pub fn not_modified(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    headers.get(header::IF_NONE_MATCH).is_some_and(|v| matches_any(v, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_list_forms_match() {
        let tag = HeaderValue::from_static("\"abc\"");
        for header in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "\"x\",W/\"abc\"", "*"] {
            assert!(matches_any(&HeaderValue::from_static(header), &tag), "{header}");
        }
        for header in ["\"abcd\"", "abc", "\"x\", \"y\"", ""] {
            assert!(!matches_any(&HeaderValue::from_static(header), &tag), "{header}");
        }
    }
}
