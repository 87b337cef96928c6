//! Social login with OpenID Connect: `/api/v1/auth/oauth/{provider}/authorize` and `/callback`.
//!
//! authorize: store a one-time state (hashed) with its nonce and PKCE verifier, bound to the
//! browser by a cookie, then 302 to the provider. callback: consume the state, check the cookie
//! (a callback URL opened in another browser — login CSRF: an attacker's finished login handed
//! to a victim — is refused), exchange the code with the verifier, verify the id_token
//! (signature, iss, aud, exp, nonce), then sign the user in — linked by provider subject, or to
//! an existing account only when the provider vouches for the email.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::http::extract::{ApiPath, ApiQuery};
use crate::identity::http::auth::user_subject;
use crate::identity::http::views::{AuthResponse, UserView};
use crate::identity::oidc::IdClaims;
use crate::identity::store::{email_verifications, oauth_states, refresh_tokens, users};
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// How long a user has to finish signing in at the provider.
const STATE_TTL_SECS: i64 = 600;
/// The cookie binding a login to the browser that started it. Scoped to the OAuth routes,
/// HttpOnly; `SameSite=Lax` so the provider's top-level redirect back carries it.
const BROWSER_COOKIE: &str = "gajyeogagu_oauth";

fn browser_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.public_base_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{BROWSER_COOKIE}={value}; Path=/api/v1/auth/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The binding cookie's value in a request, if any.
fn browser_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(name, value)| (name == BROWSER_COOKIE && !value.is_empty()).then_some(value))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn redirect_uri(state: &AppState, provider: &str) -> String {
    format!("{}/api/v1/auth/oauth/{provider}/callback", state.config.public_base_url.trim_end_matches('/'))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Google,
    Kakao,
}

/// Start a social login
///
/// Redirects the browser to the provider with a one-time state, a nonce and a PKCE S256
/// challenge.
#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/authorize", operation_id = "oauth_authorize", tag = "auth",
    params(("provider" = ProviderName, Path, description = "Identity provider")),
    responses(
        (status = 302, description = "Redirect to the provider's sign-in page (state, nonce and PKCE S256), with a cookie binding the login to this browser"),
        (status = 404, description = "Provider unknown or not configured", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Provider unreachable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn authorize(State(state): State<AppState>, ApiPath(provider): ApiPath<String>) -> ApiResult<Response> {
    let idp = state.oidc.get(&provider).ok_or(ApiError::UnknownProvider)?;
    let (oauth_state, nonce, verifier, browser) = (random_token(), random_token(), random_token(), random_token());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let url = idp.authorize_url(&redirect_uri(&state, idp.name), &oauth_state, &nonce, &challenge).await?;
    let expires = Utc::now() + chrono::Duration::seconds(STATE_TTL_SECS);
    oauth_states::insert(
        &state.db,
        &sha256_hex(&oauth_state),
        idp.name,
        &nonce,
        &verifier,
        expires,
        &sha256_hex(&browser),
    )
    .await?;
    let cookie = browser_cookie(&state, &browser, STATE_TTL_SECS);
    Ok((
        StatusCode::FOUND,
        [(header::LOCATION, url.to_string()), (header::CACHE_CONTROL, "no-store".into()), (header::SET_COOKIE, cookie)],
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Authorization code from the provider.
    pub code: Option<String>,
    /// The state sent in `authorize`.
    pub state: Option<String>,
    /// Set by the provider when the user declined or sign-in failed.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Finish a social login
///
/// Answers the token pair as JSON, or — when `OAUTH_FRONTEND_REDIRECT` is configured —
/// redirects there with the tokens in the URL fragment.
#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/callback", operation_id = "oauth_callback", tag = "auth",
    params(("provider" = ProviderName, Path, description = "Identity provider"), CallbackQuery),
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 302, description = "Signed in; redirect to the frontend with tokens in the fragment"),
        (status = 400, description = "Unknown, expired or replayed state, or a browser other than the one that started the login", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Provider refused, or the id_token failed verification", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email belongs to an account and the provider did not verify it", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let idp = state.oidc.get(&provider).ok_or(ApiError::UnknownProvider)?;
    let oauth_state = q.state.as_deref().filter(|s| !s.is_empty()).ok_or(ApiError::InvalidOauthState)?;
    // Consume the state first, so even a failed callback can't be replayed.
    let pending = oauth_states::take(&state.db, &sha256_hex(oauth_state))
        .await?
        .filter(|p| p.provider == idp.name && p.expires_at > Utc::now())
        .ok_or(ApiError::InvalidOauthState)?;
    // The browser that finishes the login must be the one that started it. States stored
    // before the binding existed have none (and expire within minutes).
    let same_browser = match (&pending.browser_hash, browser_of(&headers)) {
        (None, _) => true,
        (Some(expected), Some(cookie)) => {
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sha256_hex(cookie).as_bytes()).into()
        }
        (Some(_), None) => false,
    };
    if !same_browser {
        tracing::warn!(provider = idp.name, "OAuth callback from a browser that did not start the login");
        return Err(ApiError::InvalidOauthState);
    }
    if let Some(err) = q.error {
        let detail = q.error_description.map(|d| format!("{err}: {d}")).unwrap_or(err);
        return Err(ApiError::OauthDenied(detail));
    }
    let code = q.code.filter(|c| !c.is_empty()).ok_or_else(|| ApiError::field("code", "is required"))?;
    let id_token = idp.exchange_code(&code, &redirect_uri(&state, idp.name), &pending.pkce_verifier).await?;
    let claims = idp.verify_id_token(&id_token, &pending.nonce).await?;
    let user = sign_in_with(&state, idp.name, &claims).await?;
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    let tokens = state.sessions.issue_pair(user_subject(&user)).await?;
    tracing::info!(user = %user.id, provider = idp.name, "social sign-in");

    if let Some(front) = &state.config.oauth_frontend_redirect {
        let fragment = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("access_token", &tokens.access_token)
            .append_pair("refresh_token", &tokens.refresh_token)
            .append_pair("token_type", tokens.token_type)
            .append_pair("expires_in", &tokens.expires_in.to_string())
            .finish();
        let location = format!("{front}#{fragment}");
        let spent = browser_cookie(&state, "", 0);
        return Ok((
            StatusCode::FOUND,
            [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store".into()), (header::SET_COOKIE, spent)],
        )
            .into_response());
    }
    let spent = browser_cookie(&state, "", 0);
    Ok((
        [(header::CACHE_CONTROL, "no-store".to_string()), (header::SET_COOKIE, spent)],
        axum::Json(AuthResponse { user: UserView::from(&user), tokens }),
    )
        .into_response())
}

/// The provider proved the address; nobody ever proved it here. Whoever chose the password
/// may have registered someone else's address to be waiting in their account when the owner
/// first signs in with Google or Kakao (account pre-hijacking). So the owner gets the account
/// without that password and without anyone's sessions: the password is removed, every
/// refresh token revoked, the address counted as verified, its pending links spent.
async fn claim_unverified(state: &AppState, existing: users::UserRow) -> ApiResult<users::UserRow> {
    let Some(user) = users::claim_unverified(&state.db, existing.id).await? else {
        // Verified in the meantime (a link opened just now): link as for any verified account.
        return Ok(users::by_id(&state.db, existing.id).await?.unwrap_or(existing));
    };
    let revoked = refresh_tokens::revoke_subject(&state.db, crate::identity::Realm::User.as_str(), user.id).await?;
    email_verifications::spend_all(&state.db, user.id, Utc::now()).await?;
    tracing::warn!(user = %user.id, revoked, "unverified account claimed by a provider-verified identity: password removed, sessions revoked");
    Ok(user)
}

/// Finds or creates the user for a verified id_token.
async fn sign_in_with(state: &AppState, provider: &str, c: &IdClaims) -> ApiResult<users::UserRow> {
    if let Some(user) = users::by_identity(&state.db, provider, &c.subject).await? {
        return Ok(user);
    }
    let email = c.email.as_deref().filter(|e| crate::identity::Email::parse(e).is_ok());
    if let Some(email) = email {
        if let Some(existing) = users::by_email(&state.db, email).await? {
            // Linking on an unverified email would let anyone who registers that address at
            // the provider take over the account.
            if !c.email_verified {
                return Err(ApiError::UnverifiedEmailConflict);
            }
            let user = if existing.email_verified { existing } else { claim_unverified(state, existing).await? };
            users::link_identity(&state.db, provider, &c.subject, user.id, Some(email)).await?;
            return Ok(user);
        }
    }
    let name = c.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "가져가구 회원".into());
    let user = users::insert(
        &state.db,
        users::NewUser {
            email,
            email_verified: c.email_verified,
            password_hash: None,
            name: &name,
            role: crate::identity::Role::Customer,
        },
    )
    .await
    .map_err(|e| {
        if crate::platform::db::is_unique_violation(&e) {
            ApiError::UnverifiedEmailConflict
        } else {
            e.into()
        }
    })?;
    users::link_identity(&state.db, provider, &c.subject, user.id, email).await?;
    Ok(user)
}
