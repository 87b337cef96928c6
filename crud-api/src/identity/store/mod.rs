//! Accounts, refresh sessions and pending social logins in the database.

pub mod oauth_states;
pub mod refresh_tokens;
pub mod users;
