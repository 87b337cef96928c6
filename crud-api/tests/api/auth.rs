//! Sign-up, login, refresh rotation with reuse detection, logout, input errors.

use serde_json::json;

use crate::helpers::{spawn_app, tokens};

#[tokio::test]
async fn signup_returns_user_and_working_tokens() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            json!({"email": " Minsu@Example.com ", "password": "correct-horse-1", "name": "김민수"}),
            None,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["user"]["email"], "minsu@example.com");
    assert_eq!(res.body["user"]["role"], "customer");
    assert_eq!(res.body["user"]["is_seller"], false);
    assert_eq!(res.body["tokens"]["token_type"], "Bearer");
    assert_eq!(res.body["tokens"]["expires_in"], 900);
    assert!(res.body["user"].get("password_hash").is_none());
    let (access, _, id) = tokens(&res.body);

    let me = app.get("/api/v1/users/me", Some(&access)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], id.as_str());
    assert_eq!(me.body["name"], "김민수");
}

#[tokio::test]
async fn duplicate_email_is_409_regardless_of_case() {
    let app = spawn_app().await;
    app.signup("dup@example.com").await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            json!({"email": "DUP@example.com", "password": "another-pass-1", "name": "x"}),
            None,
        )
        .await;
    res.assert_problem(409, "email_taken");
}

#[tokio::test]
async fn signup_validation_lists_every_bad_field() {
    let app = spawn_app().await;
    let res = app
        .post("/api/v1/auth/signup", json!({"email": "not-an-email", "password": "short", "name": "  "}), None)
        .await;
    res.assert_problem(422, "validation_failed");
    let mut fields: Vec<_> =
        res.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["email", "name", "password"]);
}

#[tokio::test]
async fn bad_bodies_get_clear_4xx_never_500() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/auth/signup");

    let res = app.send(app.client.post(&url).header("content-type", "application/json").body("{not json")).await;
    res.assert_problem(400, "malformed_request");

    let res = app.send(app.client.post(&url).header("content-type", "text/plain").body("{}")).await;
    res.assert_problem(415, "unsupported_media_type");

    let res = app.post("/api/v1/auth/signup", json!({"password": "correct-horse-1", "name": "x"}), None).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "email");

    let res =
        app.post("/api/v1/auth/signup", json!({"email": 5, "password": "correct-horse-1", "name": "x"}), None).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "email");

    let huge = "x".repeat(2 * 1024 * 1024);
    let res = app.post("/api/v1/auth/signup", json!({"email": "a@b.co", "password": huge, "name": "x"}), None).await;
    res.assert_problem(413, "payload_too_large");

    let res = app.get("/api/v1/nope", None).await;
    res.assert_problem(404, "not_found");
    let res = app.send(app.client.delete(app.url("/api/v1/auth/login"))).await;
    res.assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn login_gives_the_same_answer_for_unknown_email_and_wrong_password() {
    let app = spawn_app().await;
    app.signup("kim@example.com").await;

    let ok = app.login("KIM@example.com", "correct-horse-1").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["user"]["email"], "kim@example.com");

    let wrong = app.login("kim@example.com", "wrong-password-1").await;
    let unknown = app.login("nobody@example.com", "correct-horse-1").await;
    wrong.assert_problem(401, "invalid_credentials");
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let (_, r1, _) = app.signup("rot@example.com").await;

    let res = app.post("/api/v1/auth/refresh", json!({"refresh_token": r1}), None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let r2 = res.body["refresh_token"].as_str().unwrap().to_string();
    let a2 = res.body["access_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_eq!(app.get("/api/v1/users/me", Some(&a2)).await.status, 200);

    // r1 again: reuse. The family (including r2) is revoked.
    let res = app.post("/api/v1/auth/refresh", json!({"refresh_token": r1}), None).await;
    res.assert_problem(401, "refresh_token_reused");
    let res = app.post("/api/v1/auth/refresh", json!({"refresh_token": r2}), None).await;
    res.assert_problem(401, "invalid_refresh_token");

    // Another session of the same user is untouched.
    let other = app.login("rot@example.com", "correct-horse-1").await;
    let (_, r3, _) = tokens(&other.body);
    assert_eq!(app.post("/api/v1/auth/refresh", json!({"refresh_token": r3}), None).await.status, 200);

    let res = app.post("/api/v1/auth/refresh", json!({"refresh_token": "made-up"}), None).await;
    res.assert_problem(401, "invalid_refresh_token");
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_win() {
    let app = spawn_app().await;
    let (_, r, _) = app.signup("race@example.com").await;
    let attempts = (0..8).map(|_| app.post("/api/v1/auth/refresh", json!({"refresh_token": r}), None));
    let results = futures_util::future::join_all(attempts).await;
    let wins = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(wins, 1, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    for loser in results.iter().filter(|r| r.status != 200) {
        assert_eq!(loser.status, 401);
        assert!(matches!(loser.code(), "refresh_token_reused" | "invalid_refresh_token"), "{}", loser.body);
    }
}

#[tokio::test]
async fn logout_revokes_the_refresh_family() {
    let app = spawn_app().await;
    let (_, r1, _) = app.signup("bye@example.com").await;
    let r2 = app.post("/api/v1/auth/refresh", json!({"refresh_token": r1}), None).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app.post("/api/v1/auth/logout", json!({"refresh_token": r2}), None).await;
    assert_eq!(res.status, 204);
    let res = app.post("/api/v1/auth/refresh", json!({"refresh_token": r2}), None).await;
    res.assert_problem(401, "invalid_refresh_token");
    // Logging out twice, or with an unknown token, is still 204.
    assert_eq!(app.post("/api/v1/auth/logout", json!({"refresh_token": r2}), None).await.status, 204);
    assert_eq!(app.post("/api/v1/auth/logout", json!({"refresh_token": "nope"}), None).await.status, 204);
}

#[tokio::test]
async fn bootstrap_admin_signs_in_as_admin() {
    let app = spawn_app().await;
    let res = app.login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["role"], "admin");
}
