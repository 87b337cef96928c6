//! Login and refresh are limited per client IP and per account (429 with Retry-After).

use serde_json::json;

use crate::helpers::{spawn_with, TestApp};

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

/// The status of a POST of `body` to `path` with `X-Forwarded-For: forwarded`.
async fn forwarded_post(app: &TestApp, path: &str, forwarded: &str, body: serde_json::Value) -> u16 {
    let req = app.client.post(app.url(path)).header("x-forwarded-for", forwarded).json(&body);
    app.send(req).await.status.as_u16()
}

/// Failed logins, one per `X-Forwarded-For` value: their statuses.
async fn logins_from(app: &TestApp, forwarded: impl IntoIterator<Item = String>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for f in forwarded {
        let body = json!({"email": "nobody@example.com", "password": "wrong-password-1"});
        statuses.push(forwarded_post(app, "/api/v1/auth/login", &f, body).await);
    }
    statuses
}

/// Behind one proxy (nginx's `$proxy_add_x_forwarded_for`), the client writes the left of the
/// header and the proxy appends the address it saw: a new invented first hop per request must
/// not be a new client (it was: 20 × 201).
#[tokio::test]
async fn a_spoofed_first_forwarded_hop_is_not_a_new_client() {
    let app = spawn_with(|c| {
        c.rate_limit_per_ip_per_min = 5;
        c.trust_forwarded_for = "true".parse().unwrap();
    })
    .await;
    let signup = |email: String| json!({"email": email, "password": "correct-horse-1", "name": "S"});
    let mut statuses = Vec::new();
    for i in 0..20 {
        let forwarded = format!("10.9.{i}.{i}, 203.0.113.7");
        statuses.push(
            forwarded_post(&app, "/api/v1/auth/signup", &forwarded, signup(format!("spoof{i}@example.com"))).await,
        );
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15, "{statuses:?}");

    // A different real client (what the proxy saw) has its own budget.
    let other =
        forwarded_post(&app, "/api/v1/auth/signup", "10.9.0.0, 198.51.100.1", signup("other@example.com".into()));
    assert_eq!(other.await, 201);
}

/// An IPv6 subscriber holds a /64: every address in it is one client.
#[tokio::test]
async fn ipv6_addresses_of_one_64_share_a_limit() {
    let app = spawn_with(|c| {
        c.rate_limit_per_ip_per_min = 3;
        c.trust_forwarded_for = "1".parse().unwrap();
    })
    .await;
    let statuses = logins_from(&app, (0..6).map(|i| format!("2001:db8:77:1:{i:x}::1"))).await;
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
}

/// Without a trusted proxy the header is the client's own words and changes nothing.
#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let app = spawn_with(|c| c.rate_limit_per_ip_per_min = 2).await;
    let statuses = logins_from(&app, (0..4).map(|i| format!("198.51.100.{i}"))).await;
    assert_eq!(statuses, [401, 401, 429, 429]);
}
