//! The signed-in user's own profile (`/api/v1/users/me`).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::extract::{ApiJson, AuthUser};
use crate::identity::http::views::UserView;
use crate::identity::profile::{self, Address};
use crate::identity::store::users;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Fields to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[schema(example = "김민수", min_length = 1, max_length = 100, pattern = "ONE_LINE")]
    pub name: Option<String>,
    /// A phone number; an empty string removes it.
    #[schema(example = "010-1234-5678", pattern = "PHONE_OR_EMPTY")]
    pub phone: Option<String>,
    /// Replaces the whole address book (at most 10). The first address marked default is the
    /// default; any other marked default is stored as not.
    #[schema(max_items = 10)]
    pub addresses: Option<Vec<Address>>,
    /// Become a seller (list items for sale), or stop being one.
    pub is_seller: Option<bool>,
}

/// Your profile
///
/// The signed-in user's profile, address book and roles.
#[utoipa::path(get, path = "/api/v1/users/me", operation_id = "get_me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserView),
        (status = 401, description = "Missing, invalid or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A rider token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<UserView>> {
    let row = users::by_id(&state.db, user.id).await?.ok_or(ApiError::InvalidToken("user no longer exists"))?;
    Ok(Json(UserView::from(&row)))
}

/// Update your profile
///
/// Changes only the fields present. Unknown fields are refused, so a typo never passes
/// silently.
#[utoipa::path(patch, path = "/api/v1/users/me", operation_id = "update_me", tag = "users", security(("bearer" = [])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "Updated profile", body = UserView),
        (status = 401, description = "Missing, invalid or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<UpdateProfileRequest>,
) -> ApiResult<Json<UserView>> {
    let current = users::by_id(&state.db, user.id).await?.ok_or(ApiError::InvalidToken("user no longer exists"))?;
    let mut errors = Vec::new();
    let name = match &req.name {
        Some(n) => profile::parse_name("name", n, &mut errors),
        None => current.name.clone(),
    };
    let phone = match req.phone.as_deref().map(str::trim) {
        Some("") => None,
        Some(p) => Some(profile::parse_phone("phone", p, &mut errors)),
        None => current.phone.clone(),
    };
    let addresses = match &req.addresses {
        Some(list) => {
            profile::validate_addresses(list, &mut errors);
            serde_json::to_string(&profile::one_default(list.clone())).map_err(anyhow::Error::from)?
        }
        None => current.addresses.clone(),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let update = users::ProfileUpdate { name, phone, addresses, is_seller: req.is_seller.unwrap_or(current.is_seller) };
    let row = users::update_profile(&state.db, user.id, &update)
        .await?
        .ok_or(ApiError::InvalidToken("user no longer exists"))?;
    Ok(Json(UserView::from(&row)))
}
