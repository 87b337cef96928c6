//! Response bodies shared by several handlers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::session::TokenPair;
use crate::domain::profile::Address;
use crate::domain::Role;
use crate::store::riders::RiderRow;
use crate::store::users::UserRow;

/// A user's own profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "minsu@example.com")]
    pub email: Option<String>,
    pub email_verified: bool,
    #[schema(example = "김민수")]
    pub name: String,
    #[schema(example = "010-1234-5678")]
    pub phone: Option<String>,
    pub addresses: Vec<Address>,
    pub role: Role,
    /// True once the user lists items for sale.
    pub is_seller: bool,
    /// True when the account can sign in with a password (not only a social login).
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            email_verified: u.email_verified,
            name: u.name.clone(),
            phone: u.phone.clone(),
            // Stored by us, from validated input; an unreadable value shows as empty, not 500.
            addresses: serde_json::from_str(&u.addresses).unwrap_or_default(),
            role: u.role,
            is_seller: u.is_seller,
            has_password: u.password_hash.is_some(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A rider's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiderView {
    pub id: Uuid,
    #[schema(example = "rider1@example.com")]
    pub email: String,
    #[schema(example = "박배달")]
    pub name: String,
    #[schema(example = "010-9876-5432")]
    pub phone: String,
    pub created_at: DateTime<Utc>,
}

impl From<&RiderRow> for RiderView {
    fn from(r: &RiderRow) -> Self {
        Self {
            id: r.id,
            email: r.email.clone(),
            name: r.name.clone(),
            phone: r.phone.clone(),
            created_at: r.created_at,
        }
    }
}

/// A signed-in user and their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserView,
    pub tokens: TokenPair,
}

/// A signed-in rider and their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiderAuthResponse {
    pub rider: RiderView,
    pub tokens: TokenPair,
}
