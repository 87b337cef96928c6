//! Sign-up, sign-in, refresh and sign-out; social login; the signed-in account.

pub mod auth;
pub mod oauth;
pub mod users;
pub mod views;
