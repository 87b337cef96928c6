//! Types that parse input into values that can't be invalid.

pub mod analysis_status;
pub mod areas;
pub mod email;
pub mod listing;
pub mod order_status;
pub mod password;
pub mod payment_status;
pub mod profile;
pub mod role;
pub mod search;

pub use email::Email;
pub use password::Password;
pub use role::{Realm, Role};
