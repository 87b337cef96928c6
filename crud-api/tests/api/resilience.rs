//! What each replica of a fleet owes the others: it stops cleanly (event streams end with a
//! retry hint, the process exits), it answers fast when the database can't (503, not a hang),
//! its readiness stays cheap, a broken plugin file doesn't keep it down, and replicas starting
//! together seed the database once.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{database_url, spawn_app, spawn_with, TestApp};
use crate::payments::{plugins_file, quote, unpaid_order};
use crud_api::platform::db::Db;

#[tokio::test]
async fn shutdown_ends_event_streams_with_a_retry_hint_and_the_server_stops() {
    let mut app = spawn_app().await;
    let (token, _, _) = app.signup("streamer@example.com").await;
    let mut stream = app.client.get(app.url("/api/v1/notifications/stream")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    // Before the fix the server waited for the client to leave (62 s with a real client).
    let stopping = tokio::spawn(async move { app.stop(Duration::from_secs(10)).await });
    let mut body = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            body.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream stayed open after shutdown: {body}");
    assert!(body.contains("event: shutdown"), "{body}");
    assert!(body.contains("retry: 1000"), "{body}");
    assert!(stopping.await.unwrap(), "the server did not stop");
}

/// Holds every pooled connection, as a database outage or a stampede would.
async fn exhaust(db: &Db, n: u32) -> Vec<Box<dyn std::any::Any + Send>> {
    let mut held: Vec<Box<dyn std::any::Any + Send>> = Vec::new();
    for _ in 0..n {
        match db {
            Db::Sqlite(p) => held.push(Box::new(p.acquire().await.unwrap())),
            Db::Postgres(p) => held.push(Box::new(p.acquire().await.unwrap())),
        }
    }
    held
}

#[tokio::test]
async fn a_database_that_cannot_answer_gets_a_quick_503_and_readiness_still_answers() {
    let app = spawn_with(|c| c.database_max_connections = 2).await;
    let (token, _, _) = app.signup("outage@example.com").await;
    let held = exhaust(&app.state.db, 2).await;
    // A request needing the database: 503 with Retry-After after the short acquire timeout
    // (500 ms), where it used to hang for 10 s.
    let started = std::time::Instant::now();
    let res = app.get("/api/v1/users/me", Some(&token)).await;
    res.assert_problem(503, "unavailable");
    assert_eq!(res.headers["retry-after"], "5");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    // Readiness reads the background probe's last answer instead of queueing for a connection.
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    drop(held);
    assert_eq!(app.get("/api/v1/users/me", Some(&token)).await.status, 200);
}

#[tokio::test]
async fn a_broken_plugin_file_at_start_up_serves_the_built_in_strategy_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // A module that is not there (a half-finished upload): the replica used to exit.
    let file = plugins_file(dir.path(), None, "fail_closed", json!({}));
    std::fs::write(
        &file,
        json!({ "payment": { "module": "missing.wasm", "sha256": "00", "fallback": "fail_closed" } }).to_string(),
    )
    .unwrap();
    let app = spawn_with(move |c| c.plugins_config = Some(file)).await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    let error = ready.body["plugins"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("missing.wasm"), "{}", ready.body);
    assert!(ready.body["plugins"].get("payment").is_none(), "{}", ready.body);
    // Checkout still takes money, with the built-in strategy.
    let (buyer, order) = unpaid_order(&app, "broken-plugin").await;
    let q = quote(&app, &buyer, &order, None).await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert!(q.body["strategy"]["plugin_digest"].is_null(), "{}", q.body);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("crud_api_plugin_reloads_total{")
            && l.contains("strategy=\"payment\"")
            && !l.contains("outcome=\"ok\"")),
        "{metrics}"
    );
}

#[tokio::test]
async fn replicas_starting_together_seed_the_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path()).await;
    let spawn = |url: String| {
        spawn_with(move |c| {
            c.database_url = url;
            c.demo_data = true;
        })
    };
    let (a, b, c): (TestApp, TestApp, TestApp) = tokio::join!(spawn(url.clone()), spawn(url.clone()), spawn(url));
    let listed = a.get("/api/v1/products?limit=100", None).await;
    let n = listed.body["items"].as_array().unwrap().len();
    assert_eq!(n, crud_api::demo::ITEM_COUNT, "{}", listed.body);
    for other in [&b, &c] {
        assert_eq!(other.get("/api/v1/products?limit=100", None).await.body["items"].as_array().unwrap().len(), n);
    }
}

#[tokio::test]
async fn delivery_code_guesses_are_counted_across_replicas() {
    let a = crate::helpers::spawn_app().await;
    let b = crate::helpers::spawn_sibling(&a).await;
    let s = crate::catalogue::seller(&a, "guess-seller@example.com").await;
    let p = crate::catalogue::list_item(&a, &s, "sofa", "코드 소파", 100_000, json!({"area": "마포구"})).await;
    let (buyer, order) = crate::orders::buy(&a, "guess-buyer@example.com", p["id"].as_str().unwrap()).await;
    crate::orders::mark_paid(&a, &order).await;
    let (rider, _) = a.rider("guess-rider@example.com").await;
    for step in ["accept", "pickup"] {
        let res = a.post(&format!("/api/v1/rider/deliveries/{order}/{step}"), json!({}), Some(&rider)).await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let code = a.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body["delivery_code"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let complete = format!("/api/v1/rider/deliveries/{order}/complete");
    // Five wrong guesses, alternating replicas: each is "wrong", none is refused yet.
    for i in 0..5 {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post(&complete, json!({"delivery_code": wrong}), Some(&rider))
            .await
            .assert_problem(422, "validation_failed");
    }
    // The sixth is refused on either replica (each allowed 5 of its own before: 10 in all).
    for app in [&a, &b] {
        app.post(&complete, json!({"delivery_code": wrong}), Some(&rider)).await.assert_problem(429, "rate_limited");
    }
}

#[tokio::test]
async fn a_payment_captured_on_one_replica_is_refunded_on_another() {
    // The sandbox gateway's captures lived in one replica's memory: a refund through another
    // replica answered 402 "unknown payment key".
    let a = crate::payments::app_with_payment(None, "builtin", json!({})).await;
    let b = crate::helpers::spawn_sibling(&a).await;
    let (buyer, order) = unpaid_order(&a, "cross-refund").await;
    let total = quote(&a, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let paid = crate::payments::confirm(&a, &buyer, &order, "pk_cross", total).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let admin = b.admin_token().await;
    let pid = paid.body["id"].as_str().unwrap();
    let res =
        b.post(&format!("/api/v1/admin/payments/{pid}/refund"), json!({"reason": "고객 요청"}), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "refunded");
    assert_eq!(a.state.sandbox.cancelled("pk_cross").await, total);
}
