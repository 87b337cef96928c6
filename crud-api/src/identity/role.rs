//! Roles and realms.
//!
//! Two realms never mix: users (customers, sellers, admins) and riders. Each realm's tokens
//! carry their own audience, so a rider token is refused by user endpoints and the reverse.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Role::Customer, Role::Admin].into_iter().find(|r| r.as_str() == s)
    }
}

crate::text_enum!(Role);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Realm {
    User,
    Rider,
}

impl Realm {
    pub fn as_str(self) -> &'static str {
        match self {
            Realm::User => "user",
            Realm::Rider => "rider",
        }
    }

    /// The JWT `aud` of this realm's access tokens.
    pub fn audience(self) -> &'static str {
        match self {
            Realm::User => "gajyeogagu:user",
            Realm::Rider => "gajyeogagu:rider",
        }
    }
}
