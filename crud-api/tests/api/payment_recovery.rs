//! Payments that a crash or a lost gateway answer left `confirming`: nothing moves the order's
//! money meanwhile, and the reconciler settles each one once, from what the gateway says.

use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{spawn_sibling, spawn_with, trail, TestApp};
use crate::payments::{app_with_payment, confirm, ledger_is_balanced, quote, toss_stand_in, unpaid_order};
use crud_api::payments::status::PaymentStatus;
use crud_api::payments::store::{self, PaymentRow};
use crud_api::payments::PaymentGateway;

/// A quote, claimed for `key` and captured by the sandbox gateway, then the process "dies"
/// before booking it: what a `kill -9` between the gateway's answer and the commit leaves.
async fn captured_then_crashed(app: &TestApp, buyer: &str, order: &str, key: &str) -> PaymentRow {
    let total = quote(app, buyer, order, None).await.body["plan"]["total"].as_i64().unwrap();
    let order_id: Uuid = order.parse().unwrap();
    let q = store::open_quote(&app.state.db, order_id).await.unwrap().unwrap();
    assert!(store::claim(&app.state.db, q.id, key).await.unwrap());
    app.state.sandbox.confirm(key, order_id, total).await.unwrap();
    store::by_id(&app.state.db, q.id).await.unwrap().unwrap()
}

async fn payment(app: &TestApp, id: Uuid) -> PaymentRow {
    store::by_id(&app.state.db, id).await.unwrap().unwrap()
}

async fn order_status(app: &TestApp, token: &str, order: &str) -> serde_json::Value {
    app.get(&format!("/api/v1/orders/{order}"), Some(token)).await.body
}

#[tokio::test]
async fn a_capture_a_crash_left_unbooked_is_settled_once_and_nothing_moves_before() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "crash").await;
    let p = captured_then_crashed(&app, &buyer, &order, "pk_crash").await;
    assert_eq!(p.status, PaymentStatus::Confirming);

    // The buyer's money is captured: a cancel must not release the item or "refund" nothing.
    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer)).await;
    res.assert_problem(409, "payment_unresolved");
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "pending_payment");
    // The buyer retrying the confirmation hears that it is in progress.
    confirm(&app, &buyer, &order, "pk_crash", p.amount).await.assert_problem(409, "payment_in_progress");

    // Not yet stale: left alone (it may still be running elsewhere).
    assert_eq!(app.state.payments.reconcile(Duration::from_secs(3600)).await.unwrap(), 0);
    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 1);
    let settled = payment(&app, p.id).await;
    assert_eq!(settled.status, PaymentStatus::Confirmed);
    assert_eq!(settled.method.as_deref(), Some("card"));
    assert_eq!(store::entry_groups(&app.state.db, p.id).await.unwrap(), 1);
    ledger_is_balanced(&app).await;
    let o = order_status(&app, &buyer, &order).await;
    assert_eq!(o["status"], "paid", "{o}");
    assert_eq!(trail(&o).last().unwrap(), &("system".to_string(), None, "paid".to_string()));
    // Settled once: a second pass finds nothing.
    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 0);

    // Now the cancel refunds for real, through the gateway.
    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "refunded");
    assert_eq!(app.state.sandbox.cancelled("pk_crash").await, p.amount);
    ledger_is_balanced(&app).await;
}

#[tokio::test]
async fn a_paid_order_whose_payment_an_older_crash_left_confirming_is_not_refunded_with_nothing() {
    // What 3 of 561 payments looked like after the fleet trial: the order paid (separate
    // writes, before settlement was one transaction), the payment still confirming.
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "legacy").await;
    let p = captured_then_crashed(&app, &buyer, &order, "pk_legacy").await;
    let admin = app.admin_token().await;
    let res = app
        .post(
            &format!("/api/v1/admin/orders/{order}/status"),
            json!({"status": "paid", "note": "legacy"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer)).await;
    res.assert_problem(409, "payment_unresolved");
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "paid");

    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(payment(&app, p.id).await.status, PaymentStatus::Confirmed);
    assert_eq!(store::entry_groups(&app.state.db, p.id).await.unwrap(), 1);
    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "refunded");
    assert_eq!(app.state.sandbox.cancelled("pk_legacy").await, p.amount, "the money went back through the gateway");
    let refunded = payment(&app, p.id).await;
    assert_eq!((refunded.status, refunded.refunded_amount), (PaymentStatus::Refunded, p.amount));
    ledger_is_balanced(&app).await;
}

#[tokio::test]
async fn a_confirmation_interrupted_before_the_gateway_fails_and_the_buyer_pays_again() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "interrupted").await;
    quote(&app, &buyer, &order, None).await;
    let q = store::open_quote(&app.state.db, order.parse().unwrap()).await.unwrap().unwrap();
    assert!(store::claim(&app.state.db, q.id, "pk_never_sent").await.unwrap());

    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 1);
    let failed = payment(&app, q.id).await;
    assert_eq!(failed.status, PaymentStatus::Failed);
    assert!(failed.failure.unwrap().contains("never captured"));
    assert_eq!(app.state.sandbox.captures().await, 0);
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "pending_payment");

    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let res = confirm(&app, &buyer, &order, "pk_second_try", total).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "paid");
}

#[tokio::test]
async fn a_capture_for_an_order_that_expired_meanwhile_is_given_back() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "expired").await;
    let p = captured_then_crashed(&app, &buyer, &order, "pk_expired").await;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(app.state.orders.expire_reservations(later).await.unwrap(), 1);

    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(payment(&app, p.id).await.status, PaymentStatus::Cancelled);
    assert_eq!(app.state.sandbox.cancelled("pk_expired").await, p.amount, "the captured money went back");
    assert_eq!(store::entry_groups(&app.state.db, p.id).await.unwrap(), 0, "nothing booked for it");
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "cancelled");
}

#[tokio::test]
async fn replicas_reconciling_together_settle_each_payment_once() {
    let a = app_with_payment(None, "builtin", json!({})).await;
    let b = spawn_sibling(&a).await;
    let mut stuck = Vec::new();
    for i in 0..4 {
        let (buyer, order) = unpaid_order(&a, &format!("fleet{i}")).await;
        stuck.push(captured_then_crashed(&a, &buyer, &order, &format!("pk_fleet_{i}")).await);
    }
    // `after` is also the lease a replica holds on a payment it took: with zero, the slower
    // replica's cutoff can pass the faster one's claim and settle it a second time (a no-op,
    // but counted). Production uses 60 s; one second is plenty here.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let lease = Duration::from_secs(1);
    let (x, y) = tokio::join!(a.state.payments.reconcile(lease), b.state.payments.reconcile(lease));
    assert_eq!(x.unwrap() + y.unwrap(), 4);
    for p in &stuck {
        assert_eq!(payment(&a, p.id).await.status, PaymentStatus::Confirmed);
        assert_eq!(store::entry_groups(&a.state.db, p.id).await.unwrap(), 1, "booked once");
    }
    ledger_is_balanced(&a).await;
}

#[tokio::test]
async fn concurrent_confirms_with_different_keys_hear_in_progress_not_no_quote() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "keys").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let (app_ref, b, o) = (&app, &buyer, &order);
    let results = futures_util::future::join_all(
        (0..9).map(|i| async move { confirm(app_ref, b, o, &format!("pk_keys_{i}"), total).await }),
    )
    .await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{:?}", results.iter().map(|r| r.body.clone()).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 409, "{}", r.body);
        let code = r.body["code"].as_str().unwrap();
        assert!(["payment_in_progress", "already_paid"].contains(&code), "{}", r.body);
    }
    assert_eq!(app.state.sandbox.captures().await, 1);
}

#[tokio::test]
async fn a_lost_toss_answer_is_settled_from_what_toss_says() {
    let toss = toss_stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let file = crate::payments::plugins_file(dir.path(), None, "builtin", json!({"gateway": "toss"}));
    let app = spawn_with(move |c| {
        c.plugins_config = Some(file);
        c.toss_secret_key = Some("test_sk_123".parse().unwrap());
        c.toss_api_base = toss.clone();
    })
    .await;
    let (buyer, order) = unpaid_order(&app, "lost").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    // Toss captured, but its answer never arrived: the buyer hears 502/503, not "declined".
    let res = confirm(&app, &buyer, &order, "lost_answer", total).await;
    assert!(res.status == 502 || res.status == 503, "{} {}", res.status, res.body);
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "pending_payment");
    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 1);
    let o = order_status(&app, &buyer, &order).await;
    assert_eq!(o["status"], "paid", "{o}");
    let paid = store::by_key(&app.state.db, "lost_answer").await.unwrap().unwrap();
    assert_eq!(paid.status, PaymentStatus::Confirmed);
    ledger_is_balanced(&app).await;
}

/// The sandbox, holding each capture until `go` is notified: a gateway call slower than the
/// reconciler's patience.
struct SlowGateway {
    inner: std::sync::Arc<crud_api::payments::sandbox::SandboxGateway>,
    go: std::sync::Arc<tokio::sync::Notify>,
}

impl PaymentGateway for SlowGateway {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn methods(&self) -> &'static [&'static str] {
        self.inner.methods()
    }
    fn initiate(&self, order_id: Uuid, amount: i64, order_name: &str) -> serde_json::Value {
        self.inner.initiate(order_id, amount, order_name)
    }
    fn confirm<'a>(
        &'a self,
        key: &'a str,
        order_id: Uuid,
        amount: i64,
    ) -> crud_api::payments::gateway::BoxFuture<'a, Result<crud_api::payments::Receipt, crud_api::payments::GatewayError>>
    {
        Box::pin(async move {
            self.go.notified().await;
            self.inner.confirm(key, order_id, amount).await
        })
    }
    fn cancel<'a>(
        &'a self,
        key: &'a str,
        amount: i64,
        reason: &'a str,
    ) -> crud_api::payments::gateway::BoxFuture<'a, Result<(), crud_api::payments::GatewayError>> {
        self.inner.cancel(key, amount, reason)
    }
    fn lookup<'a>(
        &'a self,
        key: &'a str,
        order_id: Uuid,
    ) -> crud_api::payments::gateway::BoxFuture<
        'a,
        Result<crud_api::payments::gateway::Lookup, crud_api::payments::GatewayError>,
    > {
        self.inner.lookup(key, order_id)
    }
    fn verify_webhook<'a>(
        &'a self,
        headers: &'a axum::http::HeaderMap,
        body: &'a [u8],
    ) -> crud_api::payments::gateway::BoxFuture<
        'a,
        Result<crud_api::payments::WebhookEvent, crud_api::payments::GatewayError>,
    > {
        self.inner.verify_webhook(headers, body)
    }
}

#[tokio::test]
async fn a_capture_that_lands_after_the_reconciler_failed_the_payment_is_given_back() {
    let app = app_with_payment(None, "builtin", json!({})).await;
    let (buyer, order) = unpaid_order(&app, "slow").await;
    let total = quote(&app, &buyer, &order, None).await.body["plan"]["total"].as_i64().unwrap();
    let go = std::sync::Arc::new(tokio::sync::Notify::new());
    let slow = crud_api::payments::flow::Payments::new(
        app.state.db.clone(),
        app.state.plugins.clone(),
        crud_api::payments::Gateways::default()
            .with(std::sync::Arc::new(SlowGateway { inner: app.state.sandbox.clone(), go: go.clone() })),
        app.state.orders.clone(),
    );
    let order_id: Uuid = order.parse().unwrap();
    let row = crud_api::orders::store::by_id(&app.state.db, order_id).await.unwrap().unwrap();
    let confirming = tokio::spawn(async move { slow.confirm(&row, "pk_slow", total).await });
    let p = crate::helpers::wait_for(|| async {
        store::by_key(&app.state.db, "pk_slow").await.unwrap().filter(|p| p.status == PaymentStatus::Confirming)
    })
    .await;
    // The reconciler gives up on it: the gateway has not captured anything (yet).
    assert_eq!(app.state.payments.reconcile(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(payment(&app, p.id).await.status, PaymentStatus::Failed);
    // Then the gateway's capture lands: booked nowhere, so it must go back.
    go.notify_one();
    let answer = confirming.await.unwrap();
    assert!(answer.is_err(), "{answer:?}");
    assert_eq!(app.state.sandbox.cancelled("pk_slow").await, total, "the late capture was returned");
    assert_eq!(payment(&app, p.id).await.status, PaymentStatus::Failed);
    assert_eq!(order_status(&app, &buyer, &order).await["status"], "pending_payment");
}
