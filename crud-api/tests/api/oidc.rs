//! Social login end to end against a real OpenID Connect provider (npm `oidc-provider`),
//! configured once as "google" and once as "kakao", including the attacks.

use reqwest::StatusCode;
use serde_json::json;
use url::Url;

use crate::helpers::{spawn_with, TestApp};
use crate::idp::{self, Idp};

const GOOGLE: &str = "google-client";
const KAKAO: &str = "kakao-rest-api-key";

/// crud-api with Google (and optionally Kakao) pointing at fresh test providers.
async fn app_with_providers(kakao: bool, clock_offset: i64, frontend: Option<&str>) -> (TestApp, Idp, Option<Idp>) {
    let gport = idp::free_port();
    let kport = idp::free_port();
    let frontend = frontend.map(String::from);
    let app = spawn_with(|c| {
        c.google_issuer = format!("http://127.0.0.1:{gport}");
        c.google_client_id = Some(GOOGLE.into());
        c.google_client_secret = Some(idp::CLIENT_SECRET.parse().unwrap());
        if kakao {
            c.kakao_issuer = format!("http://127.0.0.1:{kport}");
            c.kakao_client_id = Some(KAKAO.into());
            c.kakao_client_secret = Some(idp::CLIENT_SECRET.parse().unwrap());
        }
        c.oauth_frontend_redirect = frontend;
    })
    .await;
    let g = idp::start(gport, GOOGLE, &app.url("/api/v1/auth/oauth/google/callback"), clock_offset).await;
    let k = if kakao {
        Some(idp::start(kport, KAKAO, &app.url("/api/v1/auth/oauth/kakao/callback"), clock_offset).await)
    } else {
        None
    };
    (app, g, k)
}

/// The browser's cookies, by the login's state: what `authorize` set, `callback` sends back.
static BROWSER: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

fn state_of(url: &Url) -> String {
    url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.to_string()).unwrap_or_default()
}

/// GET authorize; returns the provider URL it redirects to (the cookie it set is kept).
async fn authorize(app: &TestApp, provider: &str) -> Url {
    let res = app.get(&format!("/api/v1/auth/oauth/{provider}/authorize"), None).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    let url = Url::parse(res.headers["location"].to_str().unwrap()).unwrap();
    let cookie = res.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    BROWSER.lock().unwrap().push((state_of(&url), pair));
    url
}

/// The provider's redirect back, followed by the browser that started the login.
async fn callback(app: &TestApp, url: &Url) -> crate::helpers::Res {
    let cookie = BROWSER.lock().unwrap().iter().find(|(s, _)| *s == state_of(url)).map(|(_, c)| c.clone());
    let mut req = app.client.get(url.as_str());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    app.send(req).await
}

fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let mut out = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.to_string(), if k == name { value.to_string() } else { v.to_string() }))
        .collect();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

#[tokio::test]
async fn google_login_creates_a_user_and_signs_in_again_as_the_same_user() {
    let (app, g, _) = app_with_providers(false, 0, None).await;
    let auth = authorize(&app, "google").await;
    assert!(auth.as_str().starts_with(&g.issuer));
    let q: std::collections::HashMap<_, _> = auth.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], GOOGLE);
    assert!(q["scope"].contains("openid"));
    assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43 && q["code_challenge"].len() == 43);

    let cb = idp::sign_in(auth.as_str(), "alice", &app.base).await;
    let res = callback(&app, &cb).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["email"], "alice@example.com");
    assert_eq!(res.body["user"]["email_verified"], true);
    assert_eq!(res.body["user"]["has_password"], false);
    let id = res.body["user"]["id"].clone();
    let access = res.body["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/users/me", Some(access)).await.body["id"], id);

    let again = callback(&app, &idp::sign_in(authorize(&app, "google").await.as_str(), "alice", &app.base).await).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["user"]["id"], id);
}

#[tokio::test]
async fn kakao_login_works_beside_google() {
    let (app, _g, k) = app_with_providers(true, 0, None).await;
    let auth = authorize(&app, "kakao").await;
    assert!(auth.as_str().starts_with(&k.as_ref().unwrap().issuer));
    let res = callback(&app, &idp::sign_in(auth.as_str(), "minji", &app.base).await).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["email"], "minji@example.com");
}

#[tokio::test]
async fn verified_email_links_to_the_existing_account() {
    let (app, _g, _) = app_with_providers(false, 0, None).await;
    let (_, refresh, id) = app.signup("bob@example.com").await;
    let token = app.verification_token("bob@example.com").await;
    assert_eq!(app.post("/api/v1/auth/verify-email", json!({"token": token}), None).await.status, 204);
    let res = callback(&app, &idp::sign_in(authorize(&app, "google").await.as_str(), "bob", &app.base).await).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["id"], id.as_str());
    assert_eq!(res.body["user"]["has_password"], true);
    // The owner's own sessions and password are untouched.
    assert_eq!(app.post("/api/v1/auth/refresh", json!({"refresh_token": refresh}), None).await.status, 200);
    assert_eq!(app.login("bob@example.com", "correct-horse-1").await.status, 200);
}

/// Account pre-hijacking: an attacker signs up with the victim's address (never verified) and
/// a password, and waits. The victim's first "Sign in with Google" used to land in that
/// account — with the attacker still holding the password and a session. Now the victim gets
/// the account without either.
#[tokio::test]
async fn a_pre_registered_unverified_account_is_taken_back_from_whoever_set_its_password() {
    let (app, _g, _) = app_with_providers(false, 0, None).await;
    let (attacker_access, attacker_refresh, id) = app.signup("erin@example.com").await;
    let res = app.patch("/api/v1/users/me", json!({"phone": "010-1234-5678"}), Some(&attacker_access)).await;
    assert_eq!(res.status, 200, "{}", res.body);

    let res = callback(&app, &idp::sign_in(authorize(&app, "google").await.as_str(), "erin", &app.base).await).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["id"], id.as_str());
    assert_eq!(res.body["user"]["has_password"], false, "the attacker's password is gone");
    assert_eq!(res.body["user"]["email_verified"], true);

    app.login("erin@example.com", "correct-horse-1").await.assert_problem(401, "invalid_credentials");
    app.post("/api/v1/auth/refresh", json!({"refresh_token": attacker_refresh}), None)
        .await
        .assert_problem(401, "invalid_refresh_token");
    // The link the attacker's sign-up mailed proves nothing any more.
    let link = app.verification_token("erin@example.com").await;
    app.post("/api/v1/auth/verify-email", json!({"token": link}), None)
        .await
        .assert_problem(400, "invalid_verification_token");
}

#[tokio::test]
async fn unverified_email_never_takes_over_an_account() {
    let (app, _g, _k) = app_with_providers(true, 0, None).await;
    app.signup("unverified-carol@example.com").await;
    let res =
        callback(&app, &idp::sign_in(authorize(&app, "kakao").await.as_str(), "unverified-carol", &app.base).await)
            .await;
    res.assert_problem(409, "unverified_email_conflict");
    // An unverified email nobody uses yet is a new account.
    let res =
        callback(&app, &idp::sign_in(authorize(&app, "kakao").await.as_str(), "unverified-dan", &app.base).await).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["email_verified"], false);
}

#[tokio::test]
async fn tampered_state_is_refused_and_states_are_single_use() {
    let (app, _g, _) = app_with_providers(false, 0, None).await;
    let cb = idp::sign_in(authorize(&app, "google").await.as_str(), "erin", &app.base).await;
    let state = cb.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let mut flipped = state.clone();
    flipped.replace_range(0..1, if state.starts_with('A') { "B" } else { "A" });

    callback(&app, &with_param(&cb, "state", &flipped)).await.assert_problem(400, "invalid_oauth_state");
    callback(&app, &with_param(&cb, "state", "")).await.assert_problem(400, "invalid_oauth_state");
    let ok = callback(&app, &cb).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Replaying the same callback: the state is gone.
    callback(&app, &cb).await.assert_problem(400, "invalid_oauth_state");
}

/// Login CSRF: an attacker finishes a login at the provider in their own browser and hands the
/// callback URL (their code, their state) to a victim, who would be signed in as the attacker.
/// The victim's browser never got the cookie: refused, and the state is spent.
#[tokio::test]
async fn a_callback_opened_in_another_browser_is_refused() {
    let (app, _g, _) = app_with_providers(false, 0, None).await;
    let cb = idp::sign_in(authorize(&app, "google").await.as_str(), "mallory", &app.base).await;
    app.send(app.client.get(cb.as_str())).await.assert_problem(400, "invalid_oauth_state");
    let wrong = app.client.get(cb.as_str()).header("cookie", "gajyeogagu_oauth=somebody-elses");
    app.send(wrong).await.assert_problem(400, "invalid_oauth_state");
    // Even the right browser can't use it now.
    callback(&app, &cb).await.assert_problem(400, "invalid_oauth_state");
    // A login from start to finish in one browser still works, and spends the cookie.
    let res = callback(&app, &idp::sign_in(authorize(&app, "google").await.as_str(), "mallory", &app.base).await).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn wrong_nonce_is_refused() {
    let (app, _g, _) = app_with_providers(false, 0, None).await;
    let auth = authorize(&app, "google").await;
    // An attacker swaps the nonce: the provider signs the swapped one into the id_token.
    let tampered = with_param(&auth, "nonce", "attacker-chosen-nonce-value");
    let cb = idp::sign_in(tampered.as_str(), "frank", &app.base).await;
    callback(&app, &cb).await.assert_problem(401, "nonce_mismatch");
}

#[tokio::test]
async fn expired_id_token_is_refused() {
    // The provider's clock runs two hours behind; its id_tokens live one hour, so they arrive
    // expired by an hour.
    let (app, _g, _) = app_with_providers(false, -7200, None).await;
    let cb = idp::sign_in(authorize(&app, "google").await.as_str(), "grace", &app.base).await;
    callback(&app, &cb).await.assert_problem(401, "id_token_expired");
}

#[tokio::test]
async fn provider_errors_and_unknown_providers() {
    let (app, _g, _) = app_with_providers(false, 0, None).await;
    let auth = authorize(&app, "google").await;
    let state = auth.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let denied = Url::parse(&app.url(&format!(
        "/api/v1/auth/oauth/google/callback?error=access_denied&error_description=user+cancelled&state={state}"
    )))
    .unwrap();
    callback(&app, &denied).await.assert_problem(401, "oauth_denied");

    app.get("/api/v1/auth/oauth/facebook/authorize", None).await.assert_problem(404, "unknown_provider");
    // Kakao is not configured in this app.
    app.get("/api/v1/auth/oauth/kakao/authorize", None).await.assert_problem(404, "unknown_provider");
}

#[tokio::test]
async fn frontend_redirect_carries_tokens_in_the_fragment() {
    let (app, _g, _) = app_with_providers(false, 0, Some("https://shop.example/auth/done")).await;
    let cb = idp::sign_in(authorize(&app, "google").await.as_str(), "henry", &app.base).await;
    let res = callback(&app, &cb).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    let loc = Url::parse(res.headers["location"].to_str().unwrap()).unwrap();
    assert_eq!(loc.path(), "/auth/done");
    assert!(loc.query().is_none(), "tokens must not be in the query string");
    let frag: std::collections::HashMap<_, _> =
        url::form_urlencoded::parse(loc.fragment().unwrap().as_bytes()).into_owned().collect();
    let me = app.get("/api/v1/users/me", Some(&frag["access_token"])).await;
    assert_eq!(me.body["email"], "henry@example.com");
    let r = app.post("/api/v1/auth/refresh", json!({"refresh_token": frag["refresh_token"]}), None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn unreachable_provider_is_502_not_500() {
    let port = idp::free_port();
    let app = spawn_with(|c| {
        c.google_issuer = format!("http://127.0.0.1:{port}");
        c.google_client_id = Some(GOOGLE.into());
    })
    .await;
    app.get("/api/v1/auth/oauth/google/authorize", None).await.assert_problem(502, "provider_unavailable");
}
