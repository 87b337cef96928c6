//! Email verification for local sign-ups: a mailed, single-use, expiring link; and a new one on
//! request, rate limited.

use serde_json::json;

use crate::helpers::{spawn_app, wait_for};

#[tokio::test]
async fn sign_up_mails_a_link_that_verifies_the_address_once() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("verify-me@example.com").await;
    assert_eq!(app.get("/api/v1/users/me", Some(&access)).await.body["email_verified"], false);

    let token = app.verification_token("verify-me@example.com").await;
    let text = app.mail_to("verify-me@example.com").pop().unwrap();
    assert!(text.contains(&format!("{}/verify-email?token={token}", app.base)), "{text}");
    assert!(token.len() >= 43, "{token}");

    let res = app.post("/api/v1/auth/verify-email", json!({"token": token}), None).await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(app.get("/api/v1/users/me", Some(&access)).await.body["email_verified"], true);

    // Single use; made-up tokens; no token at all.
    app.post("/api/v1/auth/verify-email", json!({"token": token}), None)
        .await
        .assert_problem(400, "invalid_verification_token");
    app.post("/api/v1/auth/verify-email", json!({"token": "made-up"}), None)
        .await
        .assert_problem(400, "invalid_verification_token");
    assert_eq!(app.post("/api/v1/auth/verify-email", json!({}), None).await.status, 422);
    // Nothing left to verify.
    app.post("/api/v1/auth/verify-email/resend", json!({}), Some(&access))
        .await
        .assert_problem(409, "email_already_verified");
}

#[tokio::test]
async fn expired_links_fail_and_new_ones_are_rate_limited() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("slow-reader@example.com").await;
    let first = app.verification_token("slow-reader@example.com").await;
    crud_api::on_db!(&app.state.db, |pool| sqlx::query("UPDATE email_verifications SET expires_at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::minutes(1))
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    app.post("/api/v1/auth/verify-email", json!({"token": first}), None)
        .await
        .assert_problem(400, "invalid_verification_token");

    app.post("/api/v1/auth/verify-email/resend", json!({}), None).await.assert_problem(401, "missing_token");
    for _ in 0..5 {
        let res = app.post("/api/v1/auth/verify-email/resend", json!({}), Some(&access)).await;
        assert_eq!(res.status, 202, "{}", res.body);
    }
    app.post("/api/v1/auth/verify-email/resend", json!({}), Some(&access)).await.assert_problem(429, "rate_limited");
    assert_eq!(wait_for(|| async { (app.mail_to("slow-reader@example.com").len() == 6).then_some(6) }).await, 6);

    // The newest link works; it spends the others.
    let newest = app.verification_token("slow-reader@example.com").await;
    assert_ne!(newest, first);
    let res = app.post("/api/v1/auth/verify-email", json!({"token": newest}), None).await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(app.get("/api/v1/users/me", Some(&access)).await.body["email_verified"], true);
}
