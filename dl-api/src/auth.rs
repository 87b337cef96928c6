//! Internal API keys (`X-API-Key` or `Authorization: Bearer`). Keys are kept as
//! SHA-256 digests and compared in constant time, so neither timing nor a heap
//! dump of the comparison gives a key away.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::DlError;
use crate::state::AppState;

pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl ApiKeys {
    pub fn new(keys: &[String]) -> Self {
        Self { digests: keys.iter().map(|k| Sha256::digest(k.as_bytes()).into()).collect() }
    }

    pub fn accepts(&self, candidate: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        // Check every key (no early exit) so timing doesn't say which matched.
        self.digests.iter().fold(0u8, |acc, k| acc | k.ct_eq(&d).unwrap_u8()) == 1
    }
}

fn presented(req: &Request) -> Option<&str> {
    if let Some(v) = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

pub async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match presented(&req) {
        Some(key) if state.keys.accepts(key) => next.run(req).await,
        _ => DlError::Unauthorized.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_keys() {
        let keys = ApiKeys::new(&["alpha".into(), "beta".into()]);
        assert!(keys.accepts("alpha") && keys.accepts("beta"));
        assert!(!keys.accepts("alph") && !keys.accepts("") && !keys.accepts("alphaa"));
        assert!(!ApiKeys::new(&[]).accepts(""));
    }
}
