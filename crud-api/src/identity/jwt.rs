//! Access tokens: EdDSA (Ed25519) JWTs with a `kid`, so keys can rotate.
//!
//! Verification pins the algorithm to EdDSA (so `alg: none` and HMAC tricks fail), requires a
//! known `kid` (the current key or a previous one), and checks `iss`, `exp`, `nbf` and the
//! realm's `aud`.

use std::collections::HashMap;
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::identity::role::Realm;
use crate::platform::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: Uuid,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: Uuid,
    /// `customer` or `admin` for users; absent for riders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seller: bool,
}

struct VerifyKey {
    key: DecodingKey,
    public: Vec<u8>,
}

pub struct JwtKeys {
    kid: String,
    encoding: EncodingKey,
    verifiers: HashMap<String, VerifyKey>,
    issuer: String,
}

const PEM_LABEL: &str = "PRIVATE KEY";

/// A new Ed25519 private key as PKCS#8 v2 DER.
pub fn generate_pkcs8() -> Vec<u8> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("system randomness is available").as_ref().to_vec()
}

pub fn pem_encode(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {PEM_LABEL}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    out
}

pub fn pem_decode(pem: &str) -> anyhow::Result<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    Ok(STANDARD.decode(body)?)
}

/// Reads a PEM key file, or creates one (mode 0600) when it does not exist yet.
pub fn load_or_create_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        return pem_decode(&std::fs::read_to_string(path)?);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let der = generate_pkcs8();
    write_private(path, pem_encode(&der).as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new JWT signing key");
    Ok(der)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)?;
    Ok(())
}

fn public_key(pkcs8: &[u8]) -> anyhow::Result<Vec<u8>> {
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|e| anyhow::anyhow!("not an Ed25519 PKCS#8 key: {e}"))?;
    Ok(pair.public_key().as_ref().to_vec())
}

/// `kid`: the first 16 hex digits of the SHA-256 of the public key (stable across restarts).
fn key_id(public: &[u8]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

impl JwtKeys {
    /// `current` signs; `current` and every `previous` key verify.
    pub fn new(current: &[u8], previous: &[Vec<u8>], issuer: &str) -> anyhow::Result<Self> {
        let mut verifiers = HashMap::new();
        let mut current_kid = None;
        for (i, der) in std::iter::once(current).chain(previous.iter().map(Vec::as_slice)).enumerate() {
            let public = public_key(der)?;
            let kid = key_id(&public);
            let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(&public))?;
            if i == 0 {
                current_kid = Some(kid.clone());
            }
            verifiers.insert(kid, VerifyKey { key, public });
        }
        Ok(Self {
            kid: current_kid.expect("current key is first"),
            encoding: EncodingKey::from_ed_der(current),
            verifiers,
            issuer: issuer.to_string(),
        })
    }

    pub fn current_kid(&self) -> &str {
        &self.kid
    }

    /// Signs an access token for `sub` in `realm`, valid for `ttl_secs`.
    pub fn issue(
        &self,
        realm: Realm,
        sub: Uuid,
        role: Option<&str>,
        seller: bool,
        ttl_secs: u64,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub,
            aud: realm.audience().to_string(),
            exp: now + ttl_secs as i64,
            iat: now,
            nbf: now,
            jti: Uuid::now_v7(),
            role: role.map(str::to_string),
            seller,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Verifies a token for `realm`. A valid token of the other realm is `WrongRealm`.
    pub fn verify(&self, token: &str, realm: Realm) -> Result<Claims, ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| ApiError::InvalidToken("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(ApiError::InvalidToken("unsupported algorithm"));
        }
        let kid = header.kid.ok_or(ApiError::InvalidToken("missing kid"))?;
        let key = self.verifiers.get(&kid).ok_or(ApiError::InvalidToken("unknown key"))?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        // Audience is checked below, after the signature, to tell "wrong realm" apart.
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => ApiError::TokenExpired,
            ErrorKind::InvalidSignature => ApiError::InvalidToken("bad signature"),
            ErrorKind::InvalidIssuer => ApiError::InvalidToken("wrong issuer"),
            ErrorKind::ImmatureSignature => ApiError::InvalidToken("not yet valid"),
            _ => ApiError::InvalidToken("invalid token"),
        })?;
        if data.claims.aud != realm.audience() {
            let other = [Realm::User, Realm::Rider].into_iter().any(|r| r.audience() == data.claims.aud);
            return Err(if other { ApiError::WrongRealm } else { ApiError::InvalidToken("wrong audience") });
        }
        Ok(data.claims)
    }

    /// Public keys as a JWK Set, for services that verify our tokens themselves.
    pub fn jwks(&self) -> serde_json::Value {
        let mut keys: Vec<_> = self
            .verifiers
            .iter()
            .map(|(kid, v)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                    "kid": kid, "x": URL_SAFE_NO_PAD.encode(&v.public),
                })
            })
            .collect();
        keys.sort_by_key(|k| k["kid"].as_str().map(|s| s != self.kid));
        serde_json::json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (Vec<u8>, JwtKeys) {
        let der = generate_pkcs8();
        let keys = JwtKeys::new(&der, &[], "test").unwrap();
        (der, keys)
    }

    #[test]
    fn round_trip_in_realm() {
        let (_, keys) = keys();
        let sub = Uuid::now_v7();
        let t = keys.issue(Realm::User, sub, Some("admin"), false, 60).unwrap();
        let c = keys.verify(&t, Realm::User).unwrap();
        assert_eq!(c.sub, sub);
        assert_eq!(c.role.as_deref(), Some("admin"));
    }

    #[test]
    fn other_realm_is_wrong_realm() {
        let (_, keys) = keys();
        let t = keys.issue(Realm::Rider, Uuid::now_v7(), None, false, 60).unwrap();
        assert!(matches!(keys.verify(&t, Realm::User), Err(ApiError::WrongRealm)));
    }

    #[test]
    fn rotation_accepts_previous_key() {
        let (old_der, old) = keys();
        let t = old.issue(Realm::User, Uuid::now_v7(), None, false, 60).unwrap();
        let new = JwtKeys::new(&generate_pkcs8(), &[old_der], "test").unwrap();
        assert!(new.verify(&t, Realm::User).is_ok());
        let unrelated = JwtKeys::new(&generate_pkcs8(), &[], "test").unwrap();
        assert!(matches!(unrelated.verify(&t, Realm::User), Err(ApiError::InvalidToken(_))));
    }

    #[test]
    fn accepts_keys_made_by_openssl() {
        // `openssl genpkey -algorithm ed25519`: PKCS#8 v1, without the public key inside.
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEIGtczkupB4D8HwnSR5Z88qHrRcCoovjUEBrrnX/4h+Dt\n\
                   -----END PRIVATE KEY-----\n";
        let keys = JwtKeys::new(&pem_decode(pem).unwrap(), &[], "test").unwrap();
        let t = keys.issue(Realm::User, Uuid::now_v7(), None, false, 60).unwrap();
        assert!(keys.verify(&t, Realm::User).is_ok());
    }

    #[test]
    fn pem_round_trip() {
        let der = generate_pkcs8();
        assert_eq!(pem_decode(&pem_encode(&der)).unwrap(), der);
    }
}
