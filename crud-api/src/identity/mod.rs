//! Identity: accounts and their roles (user, seller, admin, rider), passwords (argon2id),
//! access tokens (Ed25519 JWTs), rotating refresh sessions with reuse detection, and social
//! login (OpenID Connect).

pub mod email;
pub mod http;
pub mod jwt;
pub mod mail;
pub mod oidc;
pub mod password;
pub mod profile;
pub mod role;
pub mod session;
pub mod store;
pub mod verification;

pub use email::Email;
pub use password::Password;
pub use role::{Realm, Role};
