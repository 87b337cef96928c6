//! Password rules and argon2id hashing.
//!
//! Hashing is CPU-heavy by design (~20–40 ms), so callers run it on the blocking pool
//! (`hash_blocking`, `verify_blocking`) and the async runtime keeps serving other requests.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// A password that meets the length rules. Not `Debug`-printable.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let n = raw.chars().count();
        if n < MIN_LEN {
            return Err(format!("must be at least {MIN_LEN} characters"));
        }
        if n > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        if raw.trim().is_empty() {
            return Err("must not be blank".into());
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// argon2id with the OWASP-recommended parameters: 19 MiB memory, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
}

/// Verifies against a PHC string; a malformed stored hash counts as a mismatch.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// At most one hash per core at a time: argon2 is memory-bound (19 MiB each), and a hundred
/// concurrent hashes on two cores thrash the caches and triple everyone's latency. Waiting
/// logins queue here instead, in order.
fn permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    let _permit = permits().acquire().await?;
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_blocking(password: String, phc: String) -> anyhow::Result<bool> {
    let _permit = permits().acquire().await?;
    Ok(tokio::task::spawn_blocking(move || verify(&password, &phc)).await?)
}

/// A hash of a random password, verified against when an account does not exist, so that
/// "no such email" costs the same time as "wrong password".
pub fn dummy_hash() -> String {
    hash(&uuid::Uuid::new_v4().to_string()).expect("argon2 hashing works")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("          ").is_err());
        assert!(Password::parse("가구를사고팔아요가구를").is_ok());
    }

    #[test]
    fn hash_is_argon2id_and_verifies() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("anything", "not-a-phc-string"));
    }
}
