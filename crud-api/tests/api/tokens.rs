//! Access tokens that must be refused: alg none, wrong key, expired, tampered, wrong realm.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crud_api::identity::jwt::{generate_pkcs8, JwtKeys};
use crud_api::identity::role::Realm;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/users/me", None).await;
    res.assert_problem(401, "missing_token");
    assert_eq!(res.headers["www-authenticate"], "Bearer");
    let res = app.send(app.client.get(app.url("/api/v1/users/me")).header("authorization", "Basic abc")).await;
    res.assert_problem(401, "invalid_token");
    let res = app.get("/api/v1/users/me", Some("not.a.jwt")).await;
    res.assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("none@example.com").await;
    let header = json!({"alg": "none", "typ": "JWT", "kid": app.state.keys.current_kid()});
    let forged = format!("{}.{}.", b64(&header), b64(&claims_of(&access)));
    app.get("/api/v1/users/me", Some(&forged)).await.assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn hmac_signed_with_the_public_key_is_refused() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("hs@example.com").await;
    let jwks = app.get("/.well-known/jwks.json", None).await.body;
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(app.state.keys.current_kid().to_string());
    let forged =
        jsonwebtoken::encode(&header, &claims_of(&access), &jsonwebtoken::EncodingKey::from_secret(x.as_bytes()))
            .unwrap();
    app.get("/api/v1/users/me", Some(&forged)).await.assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn token_from_another_key_is_refused() {
    let app = spawn_app().await;
    let (_, _, id) = app.signup("key@example.com").await;
    let stranger = JwtKeys::new(&generate_pkcs8(), &[], "gajyeogagu").unwrap();
    let t = stranger.issue(Realm::User, id.parse().unwrap(), Some("admin"), false, 600).unwrap();
    app.get("/api/v1/users/me", Some(&t)).await.assert_problem(401, "invalid_token");

    // Same kid as ours, different signature.
    let (access, _, _) = app.signup("key2@example.com").await;
    let mut parts: Vec<String> = access.split('.').map(String::from).collect();
    let mut c = claims_of(&access);
    c["role"] = json!("admin");
    parts[1] = b64(&c);
    let tampered = parts.join(".");
    app.get("/api/v1/users/me", Some(&tampered)).await.assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn expired_token_is_refused() {
    let app = spawn_app().await;
    let (_, _, id) = app.signup("old@example.com").await;
    // Signed by the app's own key, expired an hour ago (beyond the 30 s leeway).
    let key_pem = std::fs::read_to_string(app.dir.path().join("jwt.pem")).unwrap();
    let der = crud_api::identity::jwt::pem_decode(&key_pem).unwrap();
    let claims = json!({
        "iss": "gajyeogagu", "sub": id, "aud": "gajyeogagu:user",
        "exp": chrono::Utc::now().timestamp() - 3600, "iat": chrono::Utc::now().timestamp() - 4500,
        "nbf": chrono::Utc::now().timestamp() - 4500, "jti": uuid::Uuid::now_v7(), "role": "customer",
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(app.state.keys.current_kid().to_string());
    let t = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(&der)).unwrap();
    let res = app.get("/api/v1/users/me", Some(&t)).await;
    res.assert_problem(401, "token_expired");
    assert!(res.headers["www-authenticate"].to_str().unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn realms_do_not_mix() {
    let app = spawn_app().await;
    let (user_access, user_refresh, _) = app.signup("realm@example.com").await;
    let (rider_access, rider_refresh) = app.rider("rider-realm@example.com").await;

    app.get("/api/v1/users/me", Some(&rider_access)).await.assert_problem(403, "wrong_realm");
    app.get("/api/v1/rider/me", Some(&user_access)).await.assert_problem(403, "wrong_realm");
    app.post("/api/v1/admin/riders", json!({}), Some(&rider_access)).await.assert_problem(403, "wrong_realm");

    app.post("/api/v1/rider/auth/refresh", json!({"refresh_token": user_refresh}), None)
        .await
        .assert_problem(403, "wrong_realm");
    app.post("/api/v1/auth/refresh", json!({"refresh_token": rider_refresh}), None)
        .await
        .assert_problem(403, "wrong_realm");
    // The refused cross-realm attempts did not burn the tokens.
    assert_eq!(app.post("/api/v1/auth/refresh", json!({"refresh_token": user_refresh}), None).await.status, 200);
    assert_eq!(app.post("/api/v1/rider/auth/refresh", json!({"refresh_token": rider_refresh}), None).await.status, 200);
}

#[tokio::test]
async fn rotated_out_key_still_verifies_until_dropped() {
    // A token signed by key A; the app restarts with key B current and A previous.
    let dir = tempfile::tempdir().unwrap();
    let a = generate_pkcs8();
    let a_file = dir.path().join("a.pem");
    std::fs::write(&a_file, crud_api::identity::jwt::pem_encode(&a)).unwrap();
    let old = JwtKeys::new(&a, &[], "gajyeogagu").unwrap();

    let app = crate::helpers::spawn_with(|c| c.jwt_previous_key_files = vec![a_file.clone()]).await;
    let (_, _, id) = app.signup("rotate@example.com").await;
    let t = old.issue(Realm::User, id.parse().unwrap(), Some("customer"), false, 600).unwrap();
    assert_eq!(app.get("/api/v1/users/me", Some(&t)).await.status, 200);
    let jwks = app.get("/.well-known/jwks.json", None).await.body;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(jwks["keys"][0]["kid"], app.state.keys.current_kid());

    let without_a = crate::helpers::spawn_app().await;
    let (_, _, id2) = without_a.signup("rotate@example.com").await;
    let t2 = old.issue(Realm::User, id2.parse().unwrap(), Some("customer"), false, 600).unwrap();
    without_a.get("/api/v1/users/me", Some(&t2)).await.assert_problem(401, "invalid_token");
}

/// One refresh token presented at the same moment to two instances that share a database,
/// hundreds of times: at most one presentation wins, and after the race no token of that
/// family is left usable — the winner's new token included (reuse revokes the family).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_token_raced_across_two_instances_leaves_no_survivor() {
    use crud_api::identity::session::{self, Subject};

    let a = spawn_app().await;
    let b = crate::helpers::spawn_sibling(&a).await;
    let (_, _, user_id) = a.signup("racer@example.com").await;
    let user_id: uuid::Uuid = user_id.parse().unwrap();
    let rounds = 300;
    let (mut won, mut both_lost) = (0, 0);
    for round in 0..rounds {
        // A fresh sign-in (family) per round, issued directly: no password hashing in the loop.
        let who = Subject { realm: Realm::User, id: user_id, role: Some("user"), seller: false };
        let pair = a.state.sessions.issue_pair(who).await.unwrap();
        let body = json!({ "refresh_token": pair.refresh_token });
        let (ra, rb) = tokio::join!(
            a.post("/api/v1/auth/refresh", body.clone(), None),
            b.post("/api/v1/auth/refresh", body, None)
        );
        let mut fresh = Vec::new();
        for r in [&ra, &rb] {
            match r.status.as_u16() {
                200 => fresh.push(r.body["refresh_token"].as_str().unwrap().to_string()),
                401 => assert!(
                    ["refresh_token_reused", "invalid_refresh_token"].contains(&r.code()),
                    "round {round}: {}",
                    r.body
                ),
                _ => panic!("round {round}: {} {}", r.status, r.body),
            }
        }
        assert!(fresh.len() <= 1, "round {round}: both presentations rotated the same token");
        won += fresh.len();
        both_lost += usize::from(fresh.is_empty());
        // No survivor: every token of the family is revoked in the database…
        let hash = session::hash_refresh_token(&pair.refresh_token);
        let family =
            crud_api::identity::store::refresh_tokens::by_hash(&a.state.db, &hash).await.unwrap().unwrap().family_id;
        let alive: i64 = crud_api::on_db!(&a.state.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL"
        )
        .bind(family)
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(alive, 0, "round {round}: {alive} token(s) of a reused family survived");
        // …and the winner's new token is refused by either instance.
        for t in fresh {
            let again = b.post("/api/v1/auth/refresh", json!({ "refresh_token": t }), None).await;
            assert_eq!(again.status, 401, "round {round}: the winner's token still works: {}", again.body);
        }
    }
    println!("{rounds} races on {}: {won} rotated then revoked, {both_lost} lost by both", crate::helpers::backend());
}
