//! Accounts, refresh sessions, email verification links and pending social logins in the
//! database.

pub mod email_verifications;
pub mod oauth_states;
pub mod refresh_tokens;
pub mod users;
