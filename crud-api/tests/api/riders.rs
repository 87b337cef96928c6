//! Riders: created by admins only, with their own login, refresh and profile.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn only_admins_create_riders() {
    let app = spawn_app().await;
    let (customer, _, _) = app.signup("cust@example.com").await;
    let body =
        json!({"email": "r1@example.com", "password": "rider-password-1", "name": "박배달", "phone": "010-9876-5432"});
    app.post("/api/v1/admin/riders", body.clone(), Some(&customer)).await.assert_problem(403, "forbidden");
    app.post("/api/v1/admin/riders", body.clone(), None).await.assert_problem(401, "missing_token");

    let admin = app.admin_token().await;
    let res = app.post("/api/v1/admin/riders", body.clone(), Some(&admin)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["email"], "r1@example.com");
    assert!(res.body.get("password_hash").is_none());
    app.post("/api/v1/admin/riders", body, Some(&admin)).await.assert_problem(409, "email_taken");

    let res = app
        .post(
            "/api/v1/admin/riders",
            json!({"email": "r2@example.com", "password": "x", "name": "", "phone": "12"}),
            Some(&admin),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn rider_session_lifecycle() {
    let app = spawn_app().await;
    let (access, refresh) = app.rider("lifecycle@example.com").await;
    let me = app.get("/api/v1/rider/me", Some(&access)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "lifecycle@example.com");
    assert_eq!(me.body["phone"], "010-9876-5432");

    let res = app.post("/api/v1/rider/auth/refresh", json!({"refresh_token": refresh}), None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let r2 = res.body["refresh_token"].as_str().unwrap().to_string();
    app.post("/api/v1/rider/auth/refresh", json!({"refresh_token": refresh}), None)
        .await
        .assert_problem(401, "refresh_token_reused");
    app.post("/api/v1/rider/auth/refresh", json!({"refresh_token": r2}), None)
        .await
        .assert_problem(401, "invalid_refresh_token");

    let res = app
        .post(
            "/api/v1/rider/auth/login",
            json!({"email": "lifecycle@example.com", "password": "rider-password-1"}),
            None,
        )
        .await;
    let (_, refresh, _) = crate::helpers::tokens(&res.body);
    assert_eq!(app.post("/api/v1/rider/auth/logout", json!({"refresh_token": refresh}), None).await.status, 204);
    app.post("/api/v1/rider/auth/refresh", json!({"refresh_token": refresh}), None)
        .await
        .assert_problem(401, "invalid_refresh_token");
}

#[tokio::test]
async fn rider_and_user_logins_are_separate() {
    let app = spawn_app().await;
    app.signup("both@example.com").await;
    // A user account can't sign in as a rider.
    app.post("/api/v1/rider/auth/login", json!({"email": "both@example.com", "password": "correct-horse-1"}), None)
        .await
        .assert_problem(401, "invalid_credentials");
    app.rider("onlyrider@example.com").await;
    // A rider account can't sign in as a user.
    app.login("onlyrider@example.com", "rider-password-1").await.assert_problem(401, "invalid_credentials");
}
