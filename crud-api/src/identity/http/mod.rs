//! Sign-up, sign-in, refresh and sign-out; email verification; social login; the signed-in
//! account.

pub mod auth;
pub mod email_verification;
pub mod oauth;
pub mod users;
pub mod views;
