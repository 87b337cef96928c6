//! Verifying a local account's email: the link's token posted back, and a new link on request.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::extract::{ApiJson, AuthUser};
use crate::identity::store::users;
use crate::identity::verification::VerificationError;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::platform::metrics::Metrics;
use crate::platform::ratelimit::retry_after_secs;
use crate::state::AppState;

impl From<VerificationError> for ApiError {
    fn from(e: VerificationError) -> Self {
        match e {
            VerificationError::InvalidToken => ApiError::InvalidVerificationToken,
            VerificationError::Db(e) => e.into(),
            VerificationError::Mail(e) => ApiError::Unavailable(format!("the email could not be sent: {e}")),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The `token` query parameter of the emailed link.
    #[schema(example = "q8V1kM2…", max_length = 128)]
    pub token: String,
}

/// Verify an email address
///
/// The frontend page the emailed link opens (`EMAIL_VERIFICATION_URL?token=…`) posts the token
/// here. No sign-in needed: the token is the proof. Single use; valid 24 hours; a link sent to
/// an address the account no longer has proves nothing.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", operation_id = "verify_email", tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, description = "Unknown, used or expired token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<VerifyEmailRequest>,
) -> ApiResult<StatusCode> {
    state.verification.verify(&req.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a new verification link
///
/// To the signed-in account's email, at most 5 an hour. Sign-up sends the first one.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/resend", operation_id = "resend_verification_email", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way"),
        (status = 409, description = "Already verified, or the account has no email", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many links; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The mail server refused or is unreachable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resend(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    let account = users::by_id(&state.db, user.id).await?.ok_or(ApiError::NotFound("user"))?;
    let Some(email) = account.email.as_deref() else {
        return Err(ApiError::Conflict("no_email", "the account has no email address"));
    };
    if account.email_verified {
        return Err(ApiError::Conflict("email_already_verified", "the email address is already verified"));
    }
    state.limits.verification_emails.check(&user.id.to_string()).await?.map_err(|wait| {
        Metrics::reason(&state.metrics.rate_limited, "verification_email");
        ApiError::RateLimited { retry_after_secs: retry_after_secs(wait) }
    })?;
    state.verification.send_link(account.id, email, &account.name).await?;
    Ok(StatusCode::ACCEPTED)
}
