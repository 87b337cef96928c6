//! Riders: created by admins, with their own login realm (`/api/v1/rider/*`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{RiderAuthResponse, RiderView};
use crate::delivery::store::riders;
use crate::http::client_ip::ClientIp;
use crate::http::extract::{AdminUser, ApiJson, AuthRider};
use crate::identity::http::auth::{authenticate, guard_attempt, parse_new_credentials, LoginRequest, RefreshRequest};
use crate::identity::session::{Subject, TokenPair};
use crate::identity::{password, profile, role::Realm};
use crate::platform::db::is_unique_violation;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct CreateRiderRequest {
    #[schema(example = "rider1@example.com", format = Email, max_length = 254)]
    pub email: String,
    /// 10 to 128 characters, not all spaces.
    #[schema(example = "rider-password-1", min_length = 10, max_length = 128, pattern = "\\S")]
    pub password: String,
    #[schema(example = "박배달", min_length = 1, max_length = 100, pattern = "ONE_LINE")]
    pub name: String,
    #[schema(example = "010-9876-5432", pattern = "PHONE")]
    pub phone: String,
}

fn rider_subject(r: &riders::RiderRow) -> Subject<'static> {
    Subject { realm: Realm::Rider, id: r.id, role: None, seller: false }
}

/// Create a rider account
///
/// Admins only. Riders sign in at `/api/v1/rider/auth/login`; their tokens work only on rider
/// endpoints.
#[utoipa::path(post, path = "/api/v1/admin/riders", operation_id = "create_rider", tag = "riders", security(("bearer" = [])),
    request_body = CreateRiderRequest,
    responses(
        (status = 201, description = "Rider created", body = RiderView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(req): ApiJson<CreateRiderRequest>,
) -> ApiResult<(StatusCode, Json<RiderView>)> {
    let mut errors = Vec::new();
    let credentials = parse_new_credentials(&req.email, &req.password, &mut errors);
    let name = profile::parse_name("name", &req.name, &mut errors);
    let phone = profile::parse_phone("phone", &req.phone, &mut errors);
    let (Some((email, pw)), true) = (credentials, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let hash = password::hash_blocking(pw.expose().to_string()).await?;
    let rider = riders::insert(&state.db, email.as_str(), &hash, &name, &phone).await.map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::EmailTaken
        } else {
            e.into()
        }
    })?;
    tracing::info!(rider = %rider.id, admin = %admin.id, "rider created");
    Ok((StatusCode::CREATED, Json(RiderView::from(&rider))))
}

/// Rider sign-in
///
/// Same rules as user login, in the rider realm.
#[utoipa::path(post, path = "/api/v1/rider/auth/login", operation_id = "rider_login", tag = "riders", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = RiderAuthResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<RiderAuthResponse>> {
    let db = state.db.clone();
    let find = |email: String| async move { riders::by_email(&db, &email).await };
    let rider =
        authenticate(&state, "rider-login", ip, &req, find, |r: &riders::RiderRow| Some(r.password_hash.as_str()))
            .await?;
    if rider.disabled {
        return Err(ApiError::AccountDisabled);
    }
    let tokens = state.sessions.issue_pair(rider_subject(&rider)).await?;
    Ok(Json(RiderAuthResponse { rider: RiderView::from(&rider), tokens }))
}

/// Rotate a rider refresh token
///
/// Same rotation and reuse detection as for users.
#[utoipa::path(post, path = "/api/v1/rider/auth/refresh", operation_id = "rider_refresh", tag = "riders", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenPair),
        (status = 401, description = "Invalid, expired or reused refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A user's refresh token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    guard_attempt(&state, "rider-refresh", ip, None).await?;
    let row = state.sessions.presented_refresh(Realm::Rider, &req.refresh_token).await?;
    let rider = riders::by_id(&state.db, row.subject_id).await?.ok_or(ApiError::InvalidRefreshToken)?;
    if rider.disabled {
        return Err(ApiError::AccountDisabled);
    }
    Ok(Json(state.sessions.rotate_pair(&row, rider_subject(&rider)).await?))
}

/// Rider sign-out
///
/// Revokes the rider refresh token's family. Idempotent.
#[utoipa::path(post, path = "/api/v1/rider/auth/logout", operation_id = "rider_logout", tag = "riders", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, ApiJson(req): ApiJson<RefreshRequest>) -> ApiResult<StatusCode> {
    state.sessions.revoke(Realm::Rider, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your rider profile
///
/// The signed-in rider. User tokens are refused (403 `wrong_realm`).
#[utoipa::path(get, path = "/api/v1/rider/me", operation_id = "rider_me", tag = "riders", security(("bearer" = [])),
    responses(
        (status = 200, description = "Rider profile", body = RiderView),
        (status = 401, description = "Missing, invalid or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A user token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(State(state): State<AppState>, rider: AuthRider) -> ApiResult<Json<RiderView>> {
    let row = riders::by_id(&state.db, rider.id).await?.ok_or(ApiError::InvalidToken("rider no longer exists"))?;
    Ok(Json(RiderView::from(&row)))
}
