//! Payments end to end: quotes from the tenant's strategy (Wasm or built-in), confirmation
//! exactly once, refunds, webhooks, the ledger, hostile plugins, and the Toss adapter against a
//! local stand-in.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::catalogue::{list_item, seller};
use crate::helpers::{spawn_with, trail, TestApp};
use crate::orders::buy;

fn wasm(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/plugin").join(format!("{name}.wasm"))
}

/// Writes a plugins file using `module` for payments (None: built-in) and returns its path.
pub fn plugins_file(dir: &Path, module: Option<&str>, fallback: &str, config: Value) -> PathBuf {
    let mut payment = json!({ "fallback": fallback, "config": config, "fuel": 20_000_000, "timeout_ms": 500 });
    if let Some(m) = module {
        let bytes = std::fs::read(wasm(m)).expect("run `make plugins` first");
        std::fs::write(dir.join(format!("{m}.wasm")), &bytes).unwrap();
        payment["module"] = json!(format!("{m}.wasm"));
        payment["sha256"] = json!(plugin_host::digest(&bytes));
    }
    let file = dir.join("plugins.json");
    std::fs::write(&file, json!({ "payment": payment, "recommendation": { "fallback": "builtin" } }).to_string())
        .unwrap();
    file
}

pub(crate) async fn app_with_payment(module: Option<&str>, fallback: &str, config: Value) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let file = plugins_file(dir.path(), module, fallback, config);
    let app = spawn_with(|c| c.plugins_config = Some(file)).await;
    std::mem::forget(dir); // the app reads the module dir for hot reload; lives as long as the test
    app
}

/// A paid-for-nothing order ready to pay: (buyer token, order id).
pub(crate) async fn unpaid_order(app: &TestApp, tag: &str) -> (String, String) {
    let s = seller(app, &format!("pay-seller-{tag}@example.com")).await;
    let p = list_item(
        app,
        &s,
        "sofa",
        "결제할 소파",
        150_000,
        json!({"dimensions": {"width_cm": 210, "depth_cm": 90, "height_cm": 85}}),
    )
    .await;
    buy(app, &format!("pay-buyer-{tag}@example.com"), p["id"].as_str().unwrap()).await
}

pub(crate) async fn quote(app: &TestApp, token: &str, order: &str, coupon: Option<&str>) -> crate::helpers::Res {
    app.post(&format!("/api/v1/orders/{order}/payments/quote"), json!({"coupon": coupon}), Some(token)).await
}

pub(crate) async fn confirm(app: &TestApp, token: &str, order: &str, key: &str, amount: i64) -> crate::helpers::Res {
    app.post("/api/v1/payments/confirm", json!({"order_id": order, "payment_key": key, "amount": amount}), Some(token))
        .await
}

pub(crate) async fn ledger_is_balanced(app: &TestApp) -> Vec<(String, i64)> {
    let balances = crud_api::payments::store::balances(&app.state.db).await.unwrap();
    assert_eq!(balances.iter().map(|b| b.1).sum::<i64>(), 0, "{balances:?}");
    balances
}

#[tokio::test]
async fn quote_then_confirm_captures_once_and_books_the_ledger() {
    let app = app_with_payment(Some("payment_standard"), "fail_closed", json!({"coupons": "WELCOME10:10%"})).await;
    let (buyer, order) = unpaid_order(&app, "happy").await;
    let q = quote(&app, &buyer, &order, Some("welcome10")).await;
    assert_eq!(q.status, 200, "{}", q.body);
    let plan = &q.body["plan"];
    assert_eq!(plan["adjustments"][0]["amount"], -15_000);
    assert!(plan["delivery_fee"].as_i64().unwrap() >= 15_000, "a large item across Seoul: {plan}");
    assert_eq!(q.body["strategy"]["plugin_digest"].as_str().unwrap().len(), 64);
    // Readiness says which module serves, for the operator to read back into the tenant's status.
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.body["plugins"]["payment"], q.body["strategy"]["plugin_digest"], "{}", ready.body);
    assert!(ready.body["plugins"].get("recommendation").is_none(), "built-in recommendations: {}", ready.body);
    let total = plan["total"].as_i64().unwrap();
    // The order now shows the plan's total.
    assert_eq!(app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body["total"], total);

    confirm(&app, &buyer, &order, "pk_1", total - 1).await.assert_problem(422, "validation_failed");
    let res = confirm(&app, &buyer, &order, "pk_1", total).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "confirmed");
    assert_eq!(res.body["method"], "card");
    assert_eq!(app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body["status"], "paid");

    // Replays answer the same payment; the gateway captured once.
    let again = confirm(&app, &buyer, &order, "pk_1", total).await;
    assert_eq!((again.status.as_u16(), &again.body["id"]), (200, &res.body["id"]));
    assert_eq!(app.state.sandbox.captures().await, 1);
    let balances = ledger_is_balanced(&app).await;
    assert!(balances.iter().any(|(a, v)| a == "gateway:sandbox" && *v == total));
    assert!(balances.iter().any(|(a, v)| a == "platform:commission" && *v == -13_500));

    let list = app.get(&format!("/api/v1/orders/{order}/payments"), Some(&buyer)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    // A second confirm with another key: the order is paid.
    confirm(&app, &buyer, &order, "pk_2", total).await.assert_problem(409, "already_paid");
}

#[tokio::test]
async fn concurrent_confirms_capture_exactly_once() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "race").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let app_ref = &app;
    let (b, o) = (&buyer, &order);
    let results =
        futures_util::future::join_all((0..10).map(|_| async move { confirm(app_ref, b, o, "pk_race", total).await }))
            .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert_eq!(app.state.sandbox.captures().await, 1);
    let pid = results.iter().find(|r| r.status == 200).unwrap().body["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(crud_api::payments::store::entry_groups(&app.state.db, pid).await.unwrap(), 1);
    ledger_is_balanced(&app).await;
}

#[tokio::test]
async fn declined_payments_fail_and_a_new_quote_can_be_paid() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "decline").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    confirm(&app, &buyer, &order, "fail_card", total).await.assert_problem(402, "payment_declined");
    // The declined attempt is recorded; without a new quote there is nothing to pay.
    confirm(&app, &buyer, &order, "pk_ok", total).await.assert_problem(409, "no_quote");
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    assert_eq!(confirm(&app, &buyer, &order, "pk_ok", total).await.status, 200);
    let statuses: Vec<String> = app
        .get(&format!("/api/v1/orders/{order}/payments"), Some(&buyer))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["failed", "confirmed"]);
}

/// The plugin reads the time the order was placed, on the tenant's clock (its zone from the
/// plugins file): what checkout showed is what a later quote asks, also past midnight.
#[tokio::test]
async fn plugins_read_when_the_order_was_placed_on_the_tenants_clock() {
    let dir = tempfile::tempdir().unwrap();
    let file = plugins_file(dir.path(), Some("clock_probe"), "fail_closed", json!({}));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["time_zone"] = json!("America/New_York");
    std::fs::write(&file, doc.to_string()).unwrap();
    let app = spawn_with(|c| c.plugins_config = Some(file)).await;
    let (buyer, order) = unpaid_order(&app, "clock").await;
    let placed = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body["created_at"].clone();
    let placed: chrono::DateTime<chrono::Utc> = placed.as_str().unwrap().parse().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let q = quote(&app, &buyer, &order, None).await;
    assert_eq!(q.status, 200, "{}", q.body);
    let seen = q.body["plan"]["notes"].as_array().unwrap().iter().rev().nth(1).unwrap().as_str().unwrap().to_string();
    let ny = placed
        .with_timezone(&chrono::FixedOffset::west_opt(if seen.ends_with("-240") { 240 } else { 300 } * 60).unwrap());
    assert_eq!(
        seen,
        format!(
            "{} {} {:?} America/New_York {}",
            placed.timestamp_millis(),
            ny.format("%Y-%m-%d %H:%M:%S"),
            ny.format("%A").to_string(),
            if seen.ends_with("-240") { "-240" } else { "-300" }
        )
        .replace('"', "")
    );
    std::mem::forget(dir);
}

/// A candidate version in shadow (issue 15's rollout): buyers get the current plugin's plan,
/// and `/readyz` counts how the candidate's plans differ, for the operator to decide on.
#[tokio::test]
async fn a_candidate_plugin_runs_in_shadow_and_readiness_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = plugins_file(dir.path(), Some("payment_standard"), "fail_closed", json!({}));
    let promo = std::fs::read(wasm("payment_promo")).unwrap();
    std::fs::write(dir.path().join("candidate.wasm"), &promo).unwrap();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["payment"]["candidate"] =
        json!({ "module": "candidate.wasm", "sha256": plugin_host::digest(&promo), "share_percent": 100 });
    std::fs::write(&file, doc.to_string()).unwrap();
    let app = spawn_with(|c| c.plugins_config = Some(file)).await;
    // Ready before the candidate compiled (it compiles in the background after start-up):
    // readiness says so until it has.
    let compiled = crate::helpers::wait_for(|| async {
        let ready = app.get("/readyz", None).await.body;
        (ready["plugins"]["candidates"]["payment"].get("compiling").is_none()).then_some(ready)
    })
    .await;
    assert!(compiled["plugins"]["candidates"]["payment"]["load_error"].is_null(), "{compiled}");
    let (buyer, order) = unpaid_order(&app, "shadow").await;
    let q = quote(&app, &buyer, &order, None).await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert!(q.body["plan"]["delivery_fee"].as_i64().unwrap() > 0, "the standard plan, not promo's: {}", q.body);
    let mut ready = Value::Null;
    for _ in 0..200 {
        ready = app.get("/readyz", None).await.body;
        // The checkout's estimate and the quote: two calls, both shadowed.
        if ready["plugins"]["candidates"]["payment"]["calls"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let c = &ready["plugins"]["candidates"]["payment"];
    assert_eq!(c["digest"], plugin_host::digest(&promo), "{ready}");
    assert_eq!(
        (c["calls"].as_u64(), c["diverged"].as_u64(), c["errors"].as_u64()),
        (Some(2), Some(2), Some(0)),
        "{ready}"
    );
    assert!(c["last_divergence"].as_str().unwrap().contains("delivery_fee"), "{ready}");
    std::mem::forget(dir);
}

#[tokio::test]
async fn tenants_differ_by_plugin() {
    let standard = app_with_payment(Some("payment_standard"), "fail_closed", json!({})).await;
    let promo = app_with_payment(Some("payment_promo"), "fail_closed", json!({})).await;
    let (b1, o1) = unpaid_order(&standard, "t1").await;
    let (b2, o2) = unpaid_order(&promo, "t2").await;
    let a = quote(&standard, &b1, &o1, None).await.body;
    let b = quote(&promo, &b2, &o2, None).await.body;
    assert!(a["plan"]["delivery_fee"].as_i64().unwrap() > 0);
    assert_eq!(b["plan"]["delivery_fee"], 0);
    assert_ne!(a["strategy"]["plugin_digest"], b["strategy"]["plugin_digest"]);
}

#[tokio::test]
async fn hostile_plugins_are_contained_and_the_service_keeps_answering() {
    // Fallback: the built-in strategy answers, and says why.
    let app = app_with_payment(Some("hostile_trap"), "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "trap").await;
    for _ in 0..3 {
        let q = quote(&app, &buyer, &order, None).await;
        assert_eq!(q.status, 200, "{}", q.body);
        assert_eq!(q.body["strategy"]["fallback_reason"], "trap");
        assert_eq!(q.body["strategy"]["plugin_digest"], Value::Null);
    }
    let metrics = app.get("/metrics", None).await.body.as_str().unwrap().to_string();
    assert!(
        // Three quotes and the checkout's delivery-fee estimate.
        metrics.contains("crud_api_plugin_calls_total{strategy=\"payment\"") && metrics.contains("outcome=\"trap\"} 4"),
        "{metrics}"
    );

    // Fail closed: a clear 503, and the rest of the service is fine.
    let app = app_with_payment(Some("hostile_loop"), "fail_closed", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "loop").await;
    quote(&app, &buyer, &order, None).await.assert_problem(503, "strategy_unavailable");
    assert_eq!(app.get("/api/v1/products", None).await.status, 200);
    quote(&app, &buyer, &order, None).await.assert_problem(503, "strategy_unavailable");
}

/// Plans that wrap `i64` to the right sum, or name a gateway or method this tenant doesn't
/// have, are invalid: the built-in fallback answers (200, with the reason) — not a 500, not a
/// 503 "fail closed", and never the plugin's plan. Each rejection is counted.
#[tokio::test]
async fn invalid_plans_get_the_fallback_not_a_500_or_503() {
    for mode in ["overflow", "unknown-gateway", "unknown-method", "free-unknown-method"] {
        let app = app_with_payment(Some("hostile_plan"), "builtin", json!({ "mode": mode })).await;
        let (buyer, order) = unpaid_order(&app, mode).await;
        let q = quote(&app, &buyer, &order, None).await;
        assert_eq!(q.status, 200, "{mode}: {}", q.body);
        assert_eq!(q.body["strategy"]["fallback_reason"], "invalid_plan", "{mode}: {}", q.body);
        assert_eq!(q.body["strategy"]["plugin_digest"], Value::Null);
        assert_eq!(q.body["plan"]["gateway"], "sandbox");
        let total = q.body["plan"]["total"].as_i64().unwrap();
        assert!(total > 150_000, "{mode}: the built-in plan charges the order: {}", q.body);
        let payouts: i64 =
            q.body["plan"]["payouts"].as_array().unwrap().iter().map(|p| p["amount"].as_i64().unwrap()).sum();
        assert!(payouts < total, "{mode}: {}", q.body);
        for m in q.body["plan"]["methods"].as_array().unwrap() {
            assert!(["card", "kakaopay", "naverpay", "tosspay", "transfer"].contains(&m.as_str().unwrap()), "{m}");
        }
        let metrics = app.get("/metrics", None).await.body.as_str().unwrap().to_string();
        // The checkout's estimate and the quote.
        assert!(metrics.contains("outcome=\"invalid_plan\"} 2"), "{mode}: {metrics}");
        // And the fallback's plan is the one that gets paid.
        let paid = confirm(&app, &buyer, &order, &format!("pk_{mode}"), total).await;
        assert_eq!(paid.status, 200, "{mode}: {}", paid.body);
        ledger_is_balanced(&app).await;
    }
}

#[tokio::test]
async fn refunds_partial_then_full_keep_the_ledger_balanced() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "refund").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let pay = confirm(&app, &buyer, &order, "pk_refund", total).await.body;
    let pid = pay["id"].as_str().unwrap();
    let admin = app.admin_token().await;
    let path = format!("/api/v1/admin/payments/{pid}/refund");
    app.post(&path, json!({"amount": 10_000, "reason": "scratch"}), Some(&buyer))
        .await
        .assert_problem(403, "forbidden");
    let res = app.post(&path, json!({"amount": 10_000, "reason": "스크래치 보상"}), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        (res.body["status"].as_str(), res.body["refunded_amount"].as_i64()),
        (Some("partially_refunded"), Some(10_000))
    );
    app.post(&path, json!({"amount": total, "reason": "too much"}), Some(&admin))
        .await
        .assert_problem(422, "validation_failed");
    let res = app.post(&path, json!({"reason": "주문 취소"}), Some(&admin)).await;
    assert_eq!(res.body["status"], "refunded");
    let admin_id = app.get("/api/v1/users/me", Some(&admin)).await.body["id"].as_str().map(str::to_string);
    assert_eq!(app.state.sandbox.cancelled("pk_refund").await, total);
    let balances = ledger_is_balanced(&app).await;
    assert!(balances.iter().all(|(_, v)| *v == 0), "a full refund zeroes every account: {balances:?}");
    // The order is refunded and the sofa back on sale.
    let o = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    assert_eq!(o["status"], "refunded");
    assert_eq!(trail(&o).last().unwrap(), &("admin".to_string(), admin_id, "refunded".to_string()));
    let product = o["items"][0]["product_id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/products/{product}"), None).await.body["status"], "on_sale");
}

#[tokio::test]
async fn a_buyer_cancelling_a_paid_order_gets_the_money_back() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "cancel").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    confirm(&app, &buyer, &order, "pk_cancel", total).await;
    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "refunded");
    assert_eq!(app.state.sandbox.cancelled("pk_cancel").await, total);
    ledger_is_balanced(&app).await;
    // The audit trail names the buyer, not an admin (it said "admin" before the fix).
    let buyer_id = res.body["buyer_id"].as_str().map(str::to_string);
    let t = trail(&res.body);
    assert_eq!(t.last().unwrap(), &("user".to_string(), buyer_id.clone(), "refunded".to_string()), "{t:?}");
    assert_eq!(t[1], ("user".to_string(), buyer_id, "paid".to_string()), "the buyer's payment moved it to paid: {t:?}");
}

#[tokio::test]
async fn an_admin_cancelling_a_paid_order_for_the_buyer_is_recorded_as_the_admin() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "admin-cancel").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    confirm(&app, &buyer, &order, "pk_admin_cancel", total).await;
    let admin = app.admin_token().await;
    let admin_id = app.get("/api/v1/users/me", Some(&admin)).await.body["id"].as_str().map(str::to_string);
    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let t = trail(&res.body);
    assert_eq!(t.last().unwrap(), &("admin".to_string(), admin_id, "refunded".to_string()), "{t:?}");
}

#[tokio::test]
async fn webhooks_are_verified_and_applied_once() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "hook").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    confirm(&app, &buyer, &order, "pk_hook", total).await;
    let body = json!({"event_id": "evt_1", "payment_key": "pk_hook", "status": "CANCELED"}).to_string();
    let send = |sig: String| {
        app.client
            .post(app.url("/api/v1/payments/webhooks/sandbox"))
            .header("x-sandbox-signature", sig)
            .body(body.clone())
    };
    app.send(send("00".repeat(32))).await.assert_problem(401, "invalid_signature");
    app.send(app.client.post(app.url("/api/v1/payments/webhooks/sandbox")).body(body.clone()))
        .await
        .assert_problem(401, "invalid_signature");
    let sig = crud_api::payments::sandbox::SandboxGateway::sign("sandbox-webhook-secret", body.as_bytes());
    let res = app.send(send(sig.clone())).await;
    assert_eq!((res.status.as_u16(), &res.body["processed"]), (200, &json!(true)));
    assert_eq!(app.send(send(sig)).await.body["processed"], false, "replayed events do nothing");
    let o = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    assert_eq!(o["status"], "refunded");
    assert_eq!(trail(&o).last().unwrap(), &("system".to_string(), None, "refunded".to_string()));
    app.post("/api/v1/payments/webhooks/paypal", json!({}), None).await.assert_problem(404, "not_found");
}

/// A local stand-in for Toss Payments' API: checks Basic auth, remembers payments.
pub(crate) async fn toss_stand_in() -> String {
    use axum::extract::Path as P;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use std::sync::{Arc, Mutex};
    let payments: Arc<Mutex<std::collections::BTreeMap<String, (i64, String)>>> = Arc::default();
    let expected =
        format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "test_sk_123:"));
    let authed = move |h: &HeaderMap| h.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
    let (a1, a2, a3) = (authed.clone(), authed.clone(), authed);
    let (p1, p2, p3) = (payments.clone(), payments.clone(), payments);
    let app = axum::Router::new()
        .route(
            "/v1/payments/confirm",
            post(move |h: HeaderMap, axum::Json(b): axum::Json<Value>| async move {
                if !a1(&h) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"code": "UNAUTHORIZED_KEY", "message": "bad key"})),
                    );
                }
                let key = b["paymentKey"].as_str().unwrap_or("").to_string();
                let amount = b["amount"].as_i64().unwrap_or(0);
                if key.starts_with("lost") {
                    // Captured, but the answer is lost on the way back (a timeout).
                    p1.lock().unwrap().insert(key.clone(), (amount, "DONE".into()));
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"code": "PROVIDER_ERROR", "message": "timeout"})),
                    );
                }
                if key.starts_with("reject") {
                    return (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({"code": "REJECT_CARD_COMPANY", "message": "카드사 거절"})),
                    );
                }
                p1.lock().unwrap().insert(key.clone(), (amount, "DONE".into()));
                (
                    StatusCode::OK,
                    axum::Json(json!({"paymentKey": key, "status": "DONE", "method": "카드", "totalAmount": amount})),
                )
            }),
        )
        .route(
            "/v1/payments/{key}/cancel",
            post(move |h: HeaderMap, P(key): P<String>| async move {
                if !a2(&h) {
                    return StatusCode::UNAUTHORIZED;
                }
                match p2.lock().unwrap().get_mut(&key) {
                    Some(p) => {
                        p.1 = "CANCELED".into();
                        StatusCode::OK
                    }
                    None => StatusCode::NOT_FOUND,
                }
            }),
        )
        .route(
            "/v1/payments/{key}",
            get(move |h: HeaderMap, P(key): P<String>| async move {
                if !a3(&h) {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({})));
                }
                match p3.lock().unwrap().get(&key) {
                    Some((amount, status)) => (
                        StatusCode::OK,
                        axum::Json(json!({"paymentKey": key, "status": status, "totalAmount": amount})),
                    ),
                    None => {
                        (StatusCode::NOT_FOUND, axum::Json(json!({"code": "NOT_FOUND_PAYMENT", "message": "없음"})))
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn the_toss_adapter_confirms_cancels_and_verifies_webhooks() {
    let toss = toss_stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let file = plugins_file(dir.path(), None, "builtin", json!({"gateway": "toss"}));
    let app = spawn_with(|c| {
        c.plugins_config = Some(file);
        c.toss_secret_key = Some("test_sk_123".parse().unwrap());
        c.toss_api_base = toss.clone();
    })
    .await;
    let (buyer, order) = unpaid_order(&app, "toss").await;
    let q = quote(&app, &buyer, &order, None).await;
    assert_eq!(q.body["plan"]["gateway"], "toss");
    let total = q.body["plan"]["total"].as_i64().unwrap();
    confirm(&app, &buyer, &order, "reject_me", total).await.assert_problem(402, "payment_declined");
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let res = confirm(&app, &buyer, &order, "tgen_ok", total).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["method"], "카드");

    // A forged webhook (the API says DONE, the body says CANCELED) is refused.
    let forged =
        json!({"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "tgen_ok", "status": "CANCELED"}});
    app.post("/api/v1/payments/webhooks/toss", forged.clone(), None).await.assert_problem(401, "invalid_signature");
    // Refund through Toss, then its webhook agrees with the API and is a no-op for money.
    let admin = app.admin_token().await;
    let pid = res.body["id"].as_str().unwrap();
    let r =
        app.post(&format!("/api/v1/admin/payments/{pid}/refund"), json!({"reason": "고객 요청"}), Some(&admin)).await;
    assert_eq!(r.body["status"], "refunded", "{}", r.body);
    let hook = app.post("/api/v1/payments/webhooks/toss", forged, None).await;
    assert_eq!(hook.status, 200, "{}", hook.body);
    ledger_is_balanced(&app).await;
}

#[tokio::test]
async fn the_quote_tells_the_client_how_to_start_the_payment() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "initiate").await;
    let q = quote(&app, &buyer, &order, None).await.body;
    assert_eq!(q["initiate"]["order_id"], order.as_str());
    assert_eq!(q["initiate"]["amount"], q["plan"]["total"]);
    assert_eq!(q["initiate"]["order_name"], "결제할 소파");
}
