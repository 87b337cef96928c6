//! Authentication: access tokens, refresh sessions, rate limits and social login.

pub mod jwt;
pub mod oidc;
pub mod ratelimit;
pub mod session;
