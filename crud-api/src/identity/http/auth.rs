//! User sign-up, password login, refresh and logout (`/api/v1/auth/*`).

use std::net::IpAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::client_ip::{limit_key, ClientIp};
use crate::http::extract::ApiJson;
use crate::identity::http::views::{AuthResponse, UserView};
use crate::identity::session::{Subject, TokenPair};
use crate::identity::store::users;
use crate::identity::{
    email::Email,
    password::{self, Password},
    profile,
    role::{Realm, Role},
};
use crate::platform::db::is_unique_violation;
use crate::platform::error::{ApiError, ApiResult, FieldError, Problem};
use crate::platform::metrics::Metrics;
use crate::platform::ratelimit::retry_after_secs;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    #[schema(example = "minsu@example.com", format = Email, max_length = 254)]
    pub email: String,
    /// 10 to 128 characters, not all spaces.
    #[schema(example = "correct-horse-battery", min_length = 10, max_length = 128, pattern = "\\S")]
    pub password: String,
    #[schema(example = "김민수", min_length = 1, max_length = 100, pattern = "ONE_LINE")]
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "minsu@example.com")]
    pub email: String,
    #[schema(example = "correct-horse-battery")]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Takes one attempt from the per-IP and per-account buckets.
pub async fn guard_attempt(state: &AppState, action: &str, ip: IpAddr, account: Option<&str>) -> ApiResult<()> {
    let refused = |reason: &str, wait| {
        Metrics::reason(&state.metrics.rate_limited, reason);
        ApiError::RateLimited { retry_after_secs: retry_after_secs(wait) }
    };
    state.limits.per_ip.check(&format!("{action}:{}", limit_key(ip))).map_err(|w| refused("ip", w))?;
    if let Some(account) = account {
        state.limits.per_account.check(&format!("{action}:{account}")).await?.map_err(|w| refused("account", w))?;
    }
    Ok(())
}

/// Checks a password against a stored hash, or against a dummy hash when there is none, so
/// the answer takes as long whether or not the account exists.
async fn password_matches(state: &AppState, password: &str, stored: Option<&str>) -> ApiResult<bool> {
    let phc = stored.unwrap_or(&state.dummy_hash).to_string();
    let ok = password::verify_blocking(password.to_string(), phc).await?;
    Ok(ok && stored.is_some())
}

/// Password sign-in shared by both realms: rate limits, lookup by normalised email, constant-
/// work password check. Returns the account; the caller checks it is enabled and issues tokens.
pub async fn authenticate<T, F, Fut>(
    state: &AppState,
    action: &str,
    ip: IpAddr,
    req: &LoginRequest,
    find: F,
    hash_of: fn(&T) -> Option<&str>,
) -> ApiResult<T>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, sqlx::Error>>,
{
    let email = req.email.trim().to_lowercase();
    guard_attempt(state, action, ip, Some(&email)).await?;
    let account = find(email).await?;
    if !password_matches(state, &req.password, account.as_ref().and_then(hash_of)).await? {
        Metrics::reason(&state.metrics.auth_failures, "bad_password");
        return Err(ApiError::InvalidCredentials);
    }
    Ok(account.expect("a password matched, so the account exists"))
}

/// Parses the email and password of a new account, collecting field errors.
pub fn parse_new_credentials(email: &str, password: &str, errors: &mut Vec<FieldError>) -> Option<(Email, Password)> {
    let email = Email::parse(email).map_err(|m| errors.push(FieldError::new("email", m))).ok();
    let password = Password::parse(password).map_err(|m| errors.push(FieldError::new("password", m))).ok();
    email.zip(password)
}

/// Create an account
///
/// Registers a customer with email and password and signs them in.
#[utoipa::path(post, path = "/api/v1/auth/signup", operation_id = "signup", tag = "auth", request_body = SignupRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = AuthResponse),
        (status = 409, description = "Email already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<impl IntoResponse> {
    let mut errors = Vec::new();
    let credentials = parse_new_credentials(&req.email, &req.password, &mut errors);
    let name = profile::parse_name("name", &req.name, &mut errors);
    let (Some((email, pw)), true) = (credentials, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    guard_attempt(&state, "signup", ip, None).await?;

    let hash = password::hash_blocking(pw.expose().to_string()).await?;
    let user = users::insert(
        &state.db,
        users::NewUser {
            email: Some(email.as_str()),
            email_verified: false,
            password_hash: Some(&hash),
            name: &name,
            role: Role::Customer,
        },
    )
    .await
    .map_err(|e| if is_unique_violation(&e) { ApiError::EmailTaken } else { e.into() })?;
    let tokens = state.sessions.issue_pair(user_subject(&user)).await?;
    tracing::info!(user = %user.id, "signed up");
    // The link goes out beside the answer: a slow or failing mail server doesn't fail the
    // sign-up (`POST /api/v1/auth/verify-email/resend` sends another).
    let verification = state.verification.clone();
    let (id, address, name) = (user.id, email.as_str().to_string(), user.name.clone());
    tokio::spawn(async move {
        if let Err(e) = verification.send_link(id, &address, &name).await {
            tracing::warn!(user = %id, error = %e, "verification email not sent");
        }
    });
    Ok((StatusCode::CREATED, axum::Json(AuthResponse { user: UserView::from(&user), tokens })))
}

pub fn user_subject(u: &users::UserRow) -> Subject<'_> {
    Subject { realm: Realm::User, id: u.id, role: Some(u.role.as_str()), seller: u.is_seller }
}

/// Sign in with email and password
///
/// Rate limited per client IP and per account. Unknown emails and wrong passwords get the
/// same answer.
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "Wrong email or password (same answer either way)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<axum::Json<AuthResponse>> {
    let db = state.db.clone();
    let find = |email: String| async move { users::by_email(&db, &email).await };
    let user = authenticate(&state, "login", ip, &req, find, |u: &users::UserRow| u.password_hash.as_deref()).await?;
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    let tokens = state.sessions.issue_pair(user_subject(&user)).await?;
    Ok(axum::Json(AuthResponse { user: UserView::from(&user), tokens }))
}

/// Rotate a refresh token
///
/// Returns a new pair; the presented refresh token can't be used again. Presenting a used
/// token revokes every token of its family (401 `refresh_token_reused`).
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenPair),
        (status = 401, description = "Invalid, expired or reused refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A rider's refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    guard_attempt(&state, "refresh", ip, None).await?;
    let row = state.sessions.presented_refresh(Realm::User, &req.refresh_token).await?;
    guard_attempt(&state, "refresh", ip, Some(&row.subject_id.to_string())).await?;
    let user = users::by_id(&state.db, row.subject_id).await?.ok_or(ApiError::InvalidRefreshToken)?;
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    Ok(axum::Json(state.sessions.rotate_pair(&row, user_subject(&user)).await?))
}

/// Sign out
///
/// Revokes the refresh token's whole family (this sign-in on every device it was refreshed
/// on). Idempotent.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also for unknown tokens)")))]
pub async fn logout(State(state): State<AppState>, ApiJson(req): ApiJson<RefreshRequest>) -> ApiResult<StatusCode> {
    state.sessions.revoke(Realm::User, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
