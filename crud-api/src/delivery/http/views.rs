//! Response bodies of the riders' routes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::delivery::store::riders::RiderRow;
use crate::identity::session::TokenPair;

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

/// A signed-in rider and their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiderAuthResponse {
    pub rider: RiderView,
    pub tokens: TokenPair,
}
