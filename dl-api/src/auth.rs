//! Internal API keys (`X-API-Key` or `Authorization: Bearer`). Keys are kept as
//! SHA-256 digests and compared in constant time, so neither timing nor a heap
//! dump of the comparison gives a key away. Two scopes: a key infers; an admin key
//! (`DL_ADMIN_API_KEYS`) also loads and unloads models.

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
    admin: Vec<[u8; 32]>,
}

fn digests(keys: &[String]) -> Vec<[u8; 32]> {
    keys.iter().map(|k| Sha256::digest(k.as_bytes()).into()).collect()
}

/// Whether `d` is one of `keys`, checking every key (no early exit) so timing doesn't say
/// which matched.
fn any_matches(keys: &[[u8; 32]], d: &[u8; 32]) -> bool {
    keys.iter().fold(0u8, |acc, k| acc | k.ct_eq(d).unwrap_u8()) == 1
}

impl ApiKeys {
    pub fn new(keys: &[String], admin: &[String]) -> Self {
        Self { digests: digests(keys), admin: digests(admin) }
    }

    /// Any key: inference (admin keys too).
    pub fn accepts(&self, candidate: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        // `|` rather than `||`: both lists are always checked.
        any_matches(&self.digests, &d) | any_matches(&self.admin, &d)
    }

    /// An admin key: model management.
    pub fn is_admin(&self, candidate: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        any_matches(&self.admin, &d)
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

/// Model management: an admin key; any other valid key gets 403, none 401.
pub async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match presented(&req) {
        Some(key) if state.keys.is_admin(key) => next.run(req).await,
        Some(key) if state.keys.accepts(key) => {
            DlError::Forbidden("managing models needs an admin key (DL_ADMIN_API_KEYS)".into()).into_response()
        }
        _ => DlError::Unauthorized.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_keys() {
        let keys = ApiKeys::new(&["alpha".into(), "beta".into()], &["root".into()]);
        assert!(keys.accepts("alpha") && keys.accepts("beta") && keys.accepts("root"));
        assert!(!keys.accepts("alph") && !keys.accepts("") && !keys.accepts("alphaa"));
        assert!(keys.is_admin("root") && !keys.is_admin("alpha") && !keys.is_admin(""));
        assert!(!ApiKeys::new(&[], &[]).accepts(""));
    }
}
