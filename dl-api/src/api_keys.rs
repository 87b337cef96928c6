//! The internal API keys this server accepts, kept as SHA-256 digests and compared in constant
//! time, so neither timing nor a heap dump of the comparison gives a key away. Two scopes: a
//! key infers; an admin key (`DL_ADMIN_API_KEYS`) also loads and unloads models. The
//! middleware that asks for them is `auth`.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
    admin: Vec<[u8; 32]>,
}

fn digests(keys: &[String]) -> Vec<[u8; 32]> {
    keys.iter().map(|k| Sha256::digest(k.as_bytes()).into()).collect()
}

/// Whether `d` is one of `keys`, checking every key (no early exit) so timing doesn't say
/// which matched.
fn any_matches(keys: &[[u8; 32]], d: &[u8; 32]) -> bool {
    keys.iter().fold(0u8, |acc, k| acc | k.ct_eq(d).unwrap_u8()) == 1
}

impl ApiKeys {
    pub fn new(keys: &[String], admin: &[String]) -> Self {
        Self { digests: digests(keys), admin: digests(admin) }
    }

    /// Any key: inference (admin keys too).
    pub fn accepts(&self, candidate: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        // `|` rather than `||`: both lists are always checked.
        any_matches(&self.digests, &d) | any_matches(&self.admin, &d)
    }

    /// An admin key: model management.
    pub fn is_admin(&self, candidate: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        any_matches(&self.admin, &d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_keys() {
        let keys = ApiKeys::new(&["alpha".into(), "beta".into()], &["root".into()]);
        assert!(keys.accepts("alpha") && keys.accepts("beta") && keys.accepts("root"));
        assert!(!keys.accepts("alph") && !keys.accepts("") && !keys.accepts("alphaa"));
        assert!(keys.is_admin("root") && !keys.is_admin("alpha") && !keys.is_admin(""));
        assert!(!ApiKeys::new(&[], &[]).accepts(""));
    }
}
