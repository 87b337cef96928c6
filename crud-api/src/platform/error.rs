//! The one place where failures become HTTP answers.
//!
//! Every handler returns `Result<_, ApiError>`; `ApiError` maps each failure to an RFC 9457
//! `application/problem+json` body with a stable machine-readable `code`. Clients switch on
//! `code`, never on `title` or `detail`, so codes are never renamed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Base of the `type` URI of every problem; the code is appended.
pub const PROBLEM_TYPE_BASE: &str = "https://gajyeogagu.io/problems/";

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// The JSON field name (dotted for nested fields).
    pub field: String,
    /// What is wrong, for humans.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// RFC 9457 problem details, as sent on the wire.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `https://gajyeogagu.io/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    /// The HTTP status code, repeated.
    #[schema(value_type = u16, format = Int32, minimum = 100, maximum = 599, example = 400)]
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code.
    pub code: String,
    /// Field errors, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("missing bearer token")]
    MissingToken,
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("token expired")]
    TokenExpired,
    #[error("token belongs to another realm")]
    WrongRealm,
    #[error("not allowed")]
    Forbidden,
    #[error("only sellers can list items; set is_seller on your profile first")]
    NotSeller,
    #[error("account disabled")]
    AccountDisabled,
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("refresh token expired")]
    RefreshTokenExpired,
    #[error("refresh token reused; session revoked")]
    RefreshTokenReused,
    #[error("email already registered")]
    EmailTaken,
    /// A conflict with the current state of a resource, with its own stable code.
    #[error("{1}")]
    Conflict(&'static str, &'static str),
    /// A state machine refused a move (the states' wire names: `paid`, `cancelled`…).
    #[error("an order can't go from {from} to {to}")]
    IllegalTransition { from: &'static str, to: &'static str },
    #[error("product {0} is no longer available in the requested quantity")]
    OutOfStock(uuid::Uuid),
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still running")]
    IdempotencyInProgress { retry_after_secs: u64 },
    #[error("payment declined: {0}")]
    PaymentDeclined(String),
    #[error("payment gateway unavailable: {0}")]
    GatewayUnavailable(String),
    #[error("webhook signature invalid")]
    InvalidSignature,
    #[error("the tenant's {0} strategy failed and is configured to fail closed")]
    StrategyUnavailable(String),
    #[error("image analysis is unavailable: {0}")]
    MlUnavailable(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("unknown identity provider")]
    UnknownProvider,
    #[error("invalid or expired OAuth state")]
    InvalidOauthState,
    #[error("the verification link is invalid, used or expired")]
    InvalidVerificationToken,
    #[error("identity provider refused: {0}")]
    OauthDenied(String),
    #[error("id_token rejected: {0}")]
    InvalidIdToken(String),
    #[error("id_token expired")]
    IdTokenExpired,
    #[error("id_token nonce mismatch")]
    NonceMismatch,
    #[error("account exists; provider did not verify the email")]
    UnverifiedEmailConflict,
    #[error("identity provider unavailable: {0}")]
    ProviderUnavailable(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// Status and stable code. Changing a code breaks clients: add, never rename.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            MissingToken => (StatusCode::UNAUTHORIZED, "missing_token"),
            InvalidToken(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            TokenExpired => (StatusCode::UNAUTHORIZED, "token_expired"),
            WrongRealm => (StatusCode::FORBIDDEN, "wrong_realm"),
            Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            NotSeller => (StatusCode::FORBIDDEN, "not_a_seller"),
            AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            InvalidRefreshToken => (StatusCode::UNAUTHORIZED, "invalid_refresh_token"),
            RefreshTokenExpired => (StatusCode::UNAUTHORIZED, "refresh_token_expired"),
            RefreshTokenReused => (StatusCode::UNAUTHORIZED, "refresh_token_reused"),
            EmailTaken => (StatusCode::CONFLICT, "email_taken"),
            Conflict(code, _) => (StatusCode::CONFLICT, code),
            IllegalTransition { .. } => (StatusCode::CONFLICT, "illegal_transition"),
            OutOfStock(_) => (StatusCode::CONFLICT, "out_of_stock"),
            PaymentDeclined(_) => (StatusCode::PAYMENT_REQUIRED, "payment_declined"),
            GatewayUnavailable(_) => (StatusCode::BAD_GATEWAY, "gateway_unavailable"),
            InvalidSignature => (StatusCode::UNAUTHORIZED, "invalid_signature"),
            StrategyUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "strategy_unavailable"),
            MlUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "ml_unavailable"),
            IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            IdempotencyInProgress { .. } => (StatusCode::CONFLICT, "idempotency_in_progress"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            UnknownProvider => (StatusCode::NOT_FOUND, "unknown_provider"),
            InvalidOauthState => (StatusCode::BAD_REQUEST, "invalid_oauth_state"),
            InvalidVerificationToken => (StatusCode::BAD_REQUEST, "invalid_verification_token"),
            OauthDenied(_) => (StatusCode::UNAUTHORIZED, "oauth_denied"),
            InvalidIdToken(_) => (StatusCode::UNAUTHORIZED, "invalid_id_token"),
            IdTokenExpired => (StatusCode::UNAUTHORIZED, "id_token_expired"),
            NonceMismatch => (StatusCode::UNAUTHORIZED, "nonce_mismatch"),
            UnverifiedEmailConflict => (StatusCode::CONFLICT, "unverified_email_conflict"),
            ProviderUnavailable(_) => (StatusCode::BAD_GATEWAY, "provider_unavailable"),
            Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    fn title(&self) -> &'static str {
        use ApiError::*;
        match self {
            Validation(_) => "Validation failed",
            Malformed(_) => "Malformed request",
            MethodNotAllowed => "Method not allowed",
            UnsupportedMediaType(_) => "Unsupported media type",
            PayloadTooLarge => "Request body too large",
            InvalidCredentials => "Invalid email or password",
            MissingToken => "Authentication required",
            InvalidToken(_) => "Invalid access token",
            TokenExpired => "Access token expired",
            WrongRealm => "Token not valid for this API realm",
            Forbidden => "Not allowed",
            NotSeller => "Not a seller",
            AccountDisabled => "Account disabled",
            InvalidRefreshToken => "Invalid refresh token",
            RefreshTokenExpired => "Refresh token expired",
            RefreshTokenReused => "Refresh token reused",
            EmailTaken => "Email already registered",
            Conflict(..) => "Conflict",
            IllegalTransition { .. } => "Illegal order transition",
            OutOfStock(_) => "Out of stock",
            PaymentDeclined(_) => "Payment declined",
            GatewayUnavailable(_) => "Payment gateway unavailable",
            InvalidSignature => "Invalid webhook signature",
            StrategyUnavailable(_) => "Strategy unavailable",
            MlUnavailable(_) => "Image analysis unavailable",
            IdempotencyKeyReused => "Idempotency key reused",
            IdempotencyInProgress { .. } => "Request still in progress",
            NotFound(_) => "Not found",
            RateLimited { .. } => "Too many requests",
            UnknownProvider => "Unknown identity provider",
            InvalidOauthState => "Invalid OAuth state",
            InvalidVerificationToken => "Invalid verification link",
            OauthDenied(_) => "Identity provider refused the sign-in",
            InvalidIdToken(_) => "Invalid id_token",
            IdTokenExpired => "id_token expired",
            NonceMismatch => "id_token nonce mismatch",
            UnverifiedEmailConflict => "Email not verified by provider",
            ProviderUnavailable(_) => "Identity provider unavailable",
            Unavailable(_) => "Service unavailable",
            Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> Option<String> {
        use ApiError::*;
        match self {
            // Never echo internals to clients; they are logged instead.
            Internal(_) => None,
            Validation(_) => Some("one or more fields are invalid; see `errors`".into()),
            RefreshTokenReused => {
                Some("this refresh token was already used; every session of its family is revoked".into())
            }
            UnverifiedEmailConflict => Some(
                "an account with this email exists, and the provider did not verify the email; \
                 sign in with your password to link it"
                    .into(),
            ),
            other => Some(other.to_string()),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, code) = self.status_and_code();
        Problem {
            type_uri: format!("{PROBLEM_TYPE_BASE}{code}"),
            title: self.title().into(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.into(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }

    /// One field's validation error.
    pub fn field(field: &str, message: &str) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => ApiError::Unavailable("database busy".into()),
            // The connection broke (the server stopped or restarted): the database is
            // unavailable, not the request wrong.
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
                ApiError::Unavailable("database unreachable".into())
            }
            sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) => {
                ApiError::Unavailable("database unreachable".into())
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        } else if problem.status >= 500 {
            tracing::warn!(error = %self, code = problem.code, "request failed");
        }
        problem_response(&self, problem)
    }
}

fn problem_response(err: &ApiError, problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    match err {
        ApiError::RateLimited { retry_after_secs } | ApiError::IdempotencyInProgress { retry_after_secs } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        ApiError::MlUnavailable(_) | ApiError::Unavailable(_) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        ApiError::MissingToken | ApiError::InvalidToken(_) | ApiError::TokenExpired => {
            let value = match err {
                ApiError::MissingToken => "Bearer",
                _ => "Bearer error=\"invalid_token\"",
            };
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        _ => {}
    }
    res
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_carries_stable_code_and_type() {
        let p = ApiError::EmailTaken.problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.code, "email_taken");
        assert_eq!(p.type_uri, "https://gajyeogagu.io/problems/email_taken");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let p = ApiError::Internal(anyhow::anyhow!("password=hunter2")).problem();
        assert_eq!(p.status, 500);
        assert!(p.detail.is_none());
    }

    #[test]
    fn rate_limit_sets_retry_after() {
        let res = ApiError::RateLimited { retry_after_secs: 7 }.into_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()[header::RETRY_AFTER], "7");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    }
}
