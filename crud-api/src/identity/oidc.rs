//! OpenID Connect relying party for social login (Google, Kakao).
//!
//! Discovery documents and JWKS are fetched lazily and cached; an id_token signed with a key
//! we have not seen triggers one JWKS refresh (rate limited, so random `kid`s can't make us
//! hammer the provider). id_tokens are checked for signature, `iss`, `aud`, `exp` and `nonce`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::platform::error::ApiError;
use crate::platform::secret::Secret;

const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
const JWKS_TTL: Duration = Duration::from_secs(3600);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(10);
/// Clock skew tolerated on `exp`/`iat`.
const LEEWAY_SECS: u64 = 60;

#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// What we take from a verified id_token.
#[derive(Debug, Clone)]
pub struct IdClaims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// Google sends a bool; some providers send the string "true".
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    nickname: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

pub struct OidcProvider {
    pub name: &'static str,
    issuer: String,
    accepted_issuers: Vec<String>,
    client_id: String,
    client_secret: Secret,
    http: reqwest::Client,
    discovery: RwLock<Option<(Discovery, Instant)>>,
    jwks: RwLock<Option<(JwkSet, Instant)>>,
    last_forced_refresh: Mutex<Option<Instant>>,
}

impl OidcProvider {
    pub fn new(
        name: &'static str,
        issuer: &str,
        client_id: &str,
        client_secret: Secret,
        http: reqwest::Client,
    ) -> Self {
        let issuer = issuer.trim_end_matches('/').to_string();
        let mut accepted_issuers = vec![issuer.clone()];
        // Google's id_tokens carry either spelling of its issuer.
        if name == "google" {
            if let Some(bare) = issuer.strip_prefix("https://") {
                accepted_issuers.push(bare.to_string());
            }
        }
        Self {
            name,
            issuer,
            accepted_issuers,
            client_id: client_id.to_string(),
            client_secret,
            http,
            discovery: RwLock::new(None),
            jwks: RwLock::new(None),
            last_forced_refresh: Mutex::new(None),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ApiError> {
        let res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| ApiError::ProviderUnavailable(format!("{}: {e}", self.name)))?;
        if !res.status().is_success() {
            return Err(ApiError::ProviderUnavailable(format!("{} answered {}", self.name, res.status())));
        }
        res.json().await.map_err(|e| ApiError::ProviderUnavailable(format!("{}: bad JSON: {e}", self.name)))
    }

    pub async fn discovery(&self) -> Result<Discovery, ApiError> {
        if let Some((d, at)) = self.discovery.read().await.as_ref() {
            if at.elapsed() < DISCOVERY_TTL {
                return Ok(d.clone());
            }
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer.trim_end_matches('/') != self.issuer {
            return Err(ApiError::ProviderUnavailable(format!(
                "{}: discovery issuer {} does not match configured {}",
                self.name, d.issuer, self.issuer
            )));
        }
        *self.discovery.write().await = Some((d.clone(), Instant::now()));
        Ok(d)
    }

    /// The provider's authorization URL for one login attempt (PKCE S256).
    pub async fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        code_challenge: &str,
    ) -> Result<url::Url, ApiError> {
        let d = self.discovery().await?;
        let mut url = url::Url::parse(&d.authorization_endpoint)
            .map_err(|e| ApiError::ProviderUnavailable(format!("{}: bad authorization_endpoint: {e}", self.name)))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }

    /// Exchanges an authorization code for the id_token.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str, code_verifier: &str) -> Result<String, ApiError> {
        let d = self.discovery().await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        let res = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| ApiError::ProviderUnavailable(format!("{}: {e}", self.name)))?;
        let status = res.status();
        if status.is_client_error() {
            // invalid_grant and friends: the code was bad, reused or expired.
            let body = res.text().await.unwrap_or_default();
            return Err(ApiError::OauthDenied(format!("token endpoint refused the code: {}", truncate(&body, 200))));
        }
        if !status.is_success() {
            return Err(ApiError::ProviderUnavailable(format!("{} token endpoint answered {status}", self.name)));
        }
        let body: TokenResponse = res
            .json()
            .await
            .map_err(|e| ApiError::ProviderUnavailable(format!("{}: bad token response: {e}", self.name)))?;
        body.id_token.ok_or_else(|| ApiError::InvalidIdToken("token response has no id_token".into()))
    }

    async fn jwks(&self, force: bool) -> Result<JwkSet, ApiError> {
        if !force {
            if let Some((set, at)) = self.jwks.read().await.as_ref() {
                if at.elapsed() < JWKS_TTL {
                    return Ok(set.clone());
                }
            }
        }
        let d = self.discovery().await?;
        let set: JwkSet = self.get_json(&d.jwks_uri).await?;
        *self.jwks.write().await = Some((set.clone(), Instant::now()));
        Ok(set)
    }

    /// The key for `kid`, refreshing the JWKS once if it is unknown (key rotation).
    async fn key_for(&self, kid: Option<&str>) -> Result<(DecodingKey, Option<Algorithm>), ApiError> {
        let find = |set: &JwkSet| -> Option<(DecodingKey, Option<Algorithm>)> {
            let jwk = match kid {
                Some(kid) => set.find(kid)?,
                None if set.keys.len() == 1 => &set.keys[0],
                None => return None,
            };
            let alg = jwk.common.key_algorithm.and_then(|a| a.to_string().parse().ok());
            DecodingKey::from_jwk(jwk).ok().map(|k| (k, alg))
        };
        if let Some(found) = find(&self.jwks(false).await?) {
            return Ok(found);
        }
        let may_refresh = {
            let mut last = self.last_forced_refresh.lock().expect("jwks lock");
            let ok = last.is_none_or(|t| t.elapsed() >= JWKS_MIN_REFRESH);
            if ok {
                *last = Some(Instant::now());
            }
            ok
        };
        if may_refresh {
            if let Some(found) = find(&self.jwks(true).await?) {
                return Ok(found);
            }
        }
        Err(ApiError::InvalidIdToken("signed with an unknown key".into()))
    }

    /// Verifies an id_token and its nonce.
    pub async fn verify_id_token(&self, id_token: &str, expected_nonce: &str) -> Result<IdClaims, ApiError> {
        let header =
            jsonwebtoken::decode_header(id_token).map_err(|e| ApiError::InvalidIdToken(format!("malformed: {e}")))?;
        if matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(ApiError::InvalidIdToken("symmetric algorithms are not accepted".into()));
        }
        let (key, key_alg) = self.key_for(header.kid.as_deref()).await?;
        if key_alg.is_some_and(|a| a != header.alg) {
            return Err(ApiError::InvalidIdToken("algorithm does not match the key".into()));
        }
        let mut v = Validation::new(header.alg);
        v.set_audience(&[&self.client_id]);
        v.set_issuer(&self.accepted_issuers);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.leeway = LEEWAY_SECS;
        let data = jsonwebtoken::decode::<RawClaims>(id_token, &key, &v).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => ApiError::IdTokenExpired,
            other => ApiError::InvalidIdToken(format!("{other:?}")),
        })?;
        let c = data.claims;
        let nonce_ok = c
            .nonce
            .as_deref()
            .is_some_and(|n| subtle::ConstantTimeEq::ct_eq(n.as_bytes(), expected_nonce.as_bytes()).into());
        if !nonce_ok {
            return Err(ApiError::NonceMismatch);
        }
        let email_verified = match c.email_verified {
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        Ok(IdClaims {
            subject: c.sub,
            email: c.email.map(|e| e.trim().to_lowercase()),
            email_verified,
            name: c.name.or(c.nickname),
        })
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The configured providers, by the name used in URLs.
#[derive(Default)]
pub struct Providers {
    providers: Vec<OidcProvider>,
}

impl Providers {
    pub fn from_config(cfg: &crate::platform::config::Config, http: &reqwest::Client) -> Self {
        let mut providers = Vec::new();
        for (name, issuer, id, secret) in [
            ("google", &cfg.google_issuer, &cfg.google_client_id, &cfg.google_client_secret),
            ("kakao", &cfg.kakao_issuer, &cfg.kakao_client_id, &cfg.kakao_client_secret),
        ] {
            if let Some(id) = id {
                let secret = secret.clone().unwrap_or_else(|| Secret::new(""));
                providers.push(OidcProvider::new(name, issuer, id, secret, http.clone()));
            }
        }
        Self { providers }
    }

    pub fn get(&self, name: &str) -> Option<&OidcProvider> {
        self.providers.iter().find(|p| p.name == name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|p| p.name).collect()
    }
}
