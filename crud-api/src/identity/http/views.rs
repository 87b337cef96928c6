//! Response bodies of the identity routes (also the base of the riders' ones).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::identity::profile::Address;
use crate::identity::role::Role;
use crate::identity::session::TokenPair;
use crate::identity::store::users::UserRow;

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

/// A signed-in user and their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserView,
    pub tokens: TokenPair,
}
