//! The middleware that asks for an internal API key (`X-API-Key` or `Authorization: Bearer`):
//! any key to infer, an admin key to manage models. The keys themselves: `api_keys`.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::DlError;
use crate::state::AppState;

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
