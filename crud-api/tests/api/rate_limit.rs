//! Login and refresh are limited per client IP and per account (429 with Retry-After).

use serde_json::json;

use crate::helpers::spawn_with;

#[tokio::test]
async fn login_is_limited_per_ip() {
    let app = spawn_with(|c| c.rate_limit_per_ip_per_min = 3).await;
    for i in 0..3 {
        let res = app.login(&format!("nobody{i}@example.com"), "wrong-password-1").await;
        assert_eq!(res.status, 401);
    }
    let res = app.login("nobody9@example.com", "wrong-password-1").await;
    res.assert_problem(429, "rate_limited");
    let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let metrics = app.get("/metrics", None).await.body;
    assert!(metrics.as_str().unwrap().contains("crud_api_rate_limited_total{reason=\"ip\"} 1"), "{metrics}");
}

#[tokio::test]
async fn login_is_limited_per_account() {
    let app = spawn_with(|c| c.rate_limit_per_account_per_15min = 2).await;
    app.signup("target@example.com").await;
    for _ in 0..2 {
        assert_eq!(app.login("target@example.com", "wrong-password-1").await.status, 401);
    }
    // Even the right password waits now; another account is unaffected.
    let res = app.login("TARGET@example.com", "correct-horse-1").await;
    res.assert_problem(429, "rate_limited");
    let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 60, "{retry}");
    app.signup("other@example.com").await;
    assert_eq!(app.login("other@example.com", "correct-horse-1").await.status, 200);
}

#[tokio::test]
async fn refresh_is_limited_per_ip() {
    let app = spawn_with(|c| c.rate_limit_per_ip_per_min = 2).await;
    for _ in 0..2 {
        let res = app.post("/api/v1/auth/refresh", json!({"refresh_token": "guess"}), None).await;
        assert_eq!(res.status, 401);
    }
    app.post("/api/v1/auth/refresh", json!({"refresh_token": "guess"}), None).await.assert_problem(429, "rate_limited");
}
