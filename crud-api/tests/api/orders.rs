//! Cart, race-proof checkout, reservations, idempotency, the order state machine.

use serde_json::{json, Value};

use crate::catalogue::{list_item, seller};
use crate::helpers::{spawn_app, spawn_with, TestApp};

pub fn address() -> Value {
    json!({"label": "집", "recipient": "김민수", "phone": "010-1234-5678", "line1": "서울특별시 강남구 테헤란로 1",
           "postal_code": "06236", "area": "강남구"})
}

pub async fn add_to_cart(app: &TestApp, token: &str, product: &str, qty: i32) -> crate::helpers::Res {
    app.post("/api/v1/cart/items", json!({"product_id": product, "quantity": qty}), Some(token)).await
}

pub async fn checkout(app: &TestApp, token: &str, key: &str) -> crate::helpers::Res {
    app.send(
        app.client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({"delivery_address": address()})),
    )
    .await
}

async fn product(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/products/{id}"), None).await.body
}

/// Buys `product` as a new user; returns (buyer token, order id).
pub async fn buy(app: &TestApp, email: &str, product: &str) -> (String, String) {
    let (buyer, _, _) = app.signup(email).await;
    assert_eq!(add_to_cart(app, &buyer, product, 1).await.status, 201);
    let res = checkout(app, &buyer, &format!("k-{email}")).await;
    assert_eq!(res.status, 201, "{}", res.body);
    (buyer, res.body["orders"][0]["id"].as_str().unwrap().to_string())
}

pub async fn mark_paid(app: &TestApp, order: &str) {
    let admin = app.admin_token().await;
    let res = app
        .post(
            &format!("/api/v1/admin/orders/{order}/status"),
            json!({"status": "paid", "note": "test payment"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn cart_shows_current_price_and_availability() {
    let app = spawn_app().await;
    let s = seller(&app, "cart-seller@example.com").await;
    let p = list_item(&app, &s, "sofa", "소파", 100_000, json!({"quantity": 3})).await;
    let id = p["id"].as_str().unwrap();
    let (buyer, _, _) = app.signup("cart@example.com").await;

    add_to_cart(&app, &s, id, 1).await.assert_problem(409, "own_product");
    let res = add_to_cart(&app, &buyer, id, 2).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let res = add_to_cart(&app, &buyer, id, 1).await;
    assert_eq!(res.body["lines"][0]["quantity"], 3);
    assert_eq!(res.body["total"], 300_000);
    let line = res.body["lines"][0]["id"].as_str().unwrap().to_string();

    app.patch(&format!("/api/v1/products/{id}"), json!({"price": 90_000}), Some(&s)).await;
    let cart = app.get("/api/v1/cart", Some(&buyer)).await.body;
    assert_eq!(cart["lines"][0]["unit_price"], 90_000);
    assert_eq!(cart["total"], 270_000);

    // More than exist: refused on the field, with what there is.
    let res = app.patch(&format!("/api/v1/cart/items/{line}"), json!({"quantity": 5}), Some(&buyer)).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "quantity");
    assert_eq!(res.body["errors"][0]["message"], "only 3 available");
    // Stock that shrinks after the item is in the cart: the line says it can't be bought.
    app.patch(&format!("/api/v1/products/{id}"), json!({"quantity": 2}), Some(&s)).await;
    let res = app.get("/api/v1/cart", Some(&buyer)).await;
    assert_eq!(res.body["lines"][0]["purchasable"], false, "only 2 exist now");
    assert_eq!(res.body["total"], 0);
    app.patch(&format!("/api/v1/cart/items/{line}"), json!({"quantity": 0}), Some(&buyer))
        .await
        .assert_problem(422, "validation_failed");
    let res = app.send(app.client.delete(app.url(&format!("/api/v1/cart/items/{line}"))).bearer_auth(&buyer)).await;
    assert_eq!(res.body["lines"].as_array().unwrap().len(), 0);
    let res = app.send(app.client.delete(app.url(&format!("/api/v1/cart/items/{line}"))).bearer_auth(&buyer)).await;
    res.assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_cart_holds_no_more_than_is_for_sale() {
    // A 1-of-1 item added twice became quantity 2 with a total of 0, and checkout then failed
    // with a misleading out_of_stock.
    let app = spawn_app().await;
    let s = seller(&app, "one-of-one@example.com").await;
    let p = list_item(&app, &s, "sofa", "하나뿐인 소파", 100_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let (buyer, _, _) = app.signup("twice@example.com").await;
    assert_eq!(add_to_cart(&app, &buyer, id, 1).await.status, 201);
    let res = add_to_cart(&app, &buyer, id, 1).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["message"], "only 1 available");
    let cart = app.get("/api/v1/cart", Some(&buyer)).await.body;
    assert_eq!((cart["lines"][0]["quantity"].as_i64(), cart["total"].as_i64()), (Some(1), Some(100_000)));
    assert_eq!(checkout(&app, &buyer, "one-of-one").await.status, 201);
    // Sold out now: another buyer hears so when adding it.
    let (other, _, _) = app.signup("late@example.com").await;
    let res = add_to_cart(&app, &other, id, 1).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.body["errors"][0]["message"], "this item is not available right now");
}

#[tokio::test]
async fn checkout_reserves_and_splits_by_seller() {
    let app = spawn_app().await;
    let s1 = seller(&app, "s1@example.com").await;
    let s2 = seller(&app, "s2@example.com").await;
    let a = list_item(&app, &s1, "sofa", "소파", 100_000, json!({})).await;
    let b = list_item(&app, &s2, "desk", "책상", 50_000, json!({"area": "마포구"})).await;
    let (buyer, _, _) = app.signup("split@example.com").await;
    add_to_cart(&app, &buyer, a["id"].as_str().unwrap(), 1).await;
    add_to_cart(&app, &buyer, b["id"].as_str().unwrap(), 1).await;

    // The header is required.
    let res = app.post("/api/v1/orders", json!({"delivery_address": address()}), Some(&buyer)).await;
    res.assert_problem(400, "malformed_request");

    let res = checkout(&app, &buyer, "split-1").await;
    assert_eq!(res.status, 201, "{}", res.body);
    let orders = res.body["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().all(|o| o["status"] == "pending_payment" && o["checkout_id"] == res.body["checkout_id"]));
    let sum = |field: &str| orders.iter().map(|o| o[field].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("subtotal"), 150_000);
    // The delivery fee is estimated at checkout, per seller, and the checkout sums it up.
    assert!(orders.iter().all(|o| o["delivery_fee"].as_i64().unwrap() > 0), "{}", res.body);
    assert_eq!(sum("total"), 150_000 + sum("delivery_fee"));
    for field in ["subtotal", "delivery_fee", "total"] {
        assert_eq!(res.body[field].as_i64().unwrap(), sum(field), "checkout {field}");
    }
    assert_eq!(orders[0]["delivery_code"].as_str().unwrap().len(), 6);

    // Reserved: status and stock agree; the cart is empty.
    let pa = product(&app, a["id"].as_str().unwrap()).await;
    assert_eq!((pa["status"].as_str(), pa["available"].as_i64()), (Some("reserved"), Some(0)));
    assert_eq!(app.get("/api/v1/cart", Some(&buyer)).await.body["lines"].as_array().unwrap().len(), 0);

    // Both the buyer and the seller see the order; the seller doesn't see the delivery code.
    let oid = orders.iter().find(|o| o["seller_id"] == pa["seller"]["id"]).unwrap()["id"].as_str().unwrap().to_string();
    let seen = app.get(&format!("/api/v1/orders/{oid}"), Some(&s1)).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["delivery_code"], Value::Null);
    assert_eq!(seen.body["history"][0]["to"], "pending_payment");
    app.get(&format!("/api/v1/orders/{oid}"), Some(&s2)).await.assert_problem(404, "not_found");
    let list = app.get("/api/v1/orders", Some(&buyer)).await.body;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // Nothing left: an empty cart can't check out.
    checkout(&app, &buyer, "split-2").await.assert_problem(409, "cart_empty");
}

#[tokio::test]
async fn fifty_buyers_race_for_the_last_sofa_and_exactly_one_wins() {
    let app = spawn_with(|c| c.database_max_connections = 16).await;
    let s = seller(&app, "race-seller@example.com").await;
    let p = list_item(&app, &s, "sofa", "마지막 소파", 200_000, json!({})).await;
    let id = p["id"].as_str().unwrap().to_string();

    let mut buyers = Vec::new();
    for i in 0..50 {
        let (t, _, _) = app.signup(&format!("racer{i}@example.com")).await;
        assert_eq!(add_to_cart(&app, &t, &id, 1).await.status, 201);
        buyers.push(t);
    }
    let app_ref = &app;
    let results = futures_util::future::join_all(buyers.iter().enumerate().map(|(i, t)| {
        let key = format!("race-{i}");
        async move { checkout(app_ref, t, &key).await }
    }))
    .await;
    let wins: Vec<_> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        wins.len(),
        1,
        "{:?}",
        results.iter().map(|r| (r.status.as_u16(), r.code().to_string())).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "out_of_stock");
    }
    let after = product(&app, &id).await;
    assert_eq!((after["available"].as_i64(), after["status"].as_str()), (Some(0), Some("reserved")));
}

#[tokio::test]
async fn opposite_cart_orders_neither_deadlock_nor_half_order() {
    let app = spawn_app().await;
    let s = seller(&app, "pair-seller@example.com").await;
    let chair = list_item(&app, &s, "chair", "의자", 30_000, json!({})).await["id"].as_str().unwrap().to_string();
    let table = list_item(&app, &s, "table", "테이블", 80_000, json!({})).await["id"].as_str().unwrap().to_string();
    for round in 0..5 {
        let (a, _, _) = app.signup(&format!("a{round}@example.com")).await;
        let (b, _, _) = app.signup(&format!("b{round}@example.com")).await;
        add_to_cart(&app, &a, &chair, 1).await;
        add_to_cart(&app, &a, &table, 1).await;
        add_to_cart(&app, &b, &table, 1).await;
        add_to_cart(&app, &b, &chair, 1).await;
        let (ra, rb) = tokio::join!(checkout(&app, &a, "pair"), checkout(&app, &b, "pair"));
        let statuses = [ra.status.as_u16(), rb.status.as_u16()];
        assert!(
            statuses.contains(&201) && statuses.contains(&409),
            "round {round}: {statuses:?} {} {}",
            ra.body,
            rb.body
        );
        let winner = if ra.status == 201 { &ra } else { &rb };
        assert_eq!(winner.body["orders"][0]["items"].as_array().unwrap().len(), 2, "all or nothing");
        // The loser holds nothing: cancel the winner and both items are free again.
        let oid = winner.body["orders"][0]["id"].as_str().unwrap();
        let token = if ra.status == 201 { &a } else { &b };
        assert_eq!(app.post(&format!("/api/v1/orders/{oid}/cancel"), json!({}), Some(token)).await.status, 200);
        for p in [&chair, &table] {
            let v = product(&app, p).await;
            assert_eq!((v["available"].as_i64(), v["status"].as_str()), (Some(1), Some("on_sale")), "round {round}");
        }
    }
}

#[tokio::test]
async fn idempotent_checkout_replays_and_refuses_a_different_body() {
    let app = spawn_app().await;
    let s = seller(&app, "idem-seller@example.com").await;
    let p = list_item(&app, &s, "lighting", "조명", 20_000, json!({"quantity": 5})).await;
    let (buyer, _, _) = app.signup("idem@example.com").await;
    add_to_cart(&app, &buyer, p["id"].as_str().unwrap(), 1).await;

    let first = checkout(&app, &buyer, "same-key").await;
    assert_eq!(first.status, 201);
    let again = checkout(&app, &buyer, "same-key").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, first.body, "the same orders, not new ones");
    assert_eq!(app.get("/api/v1/orders", Some(&buyer)).await.body["items"].as_array().unwrap().len(), 1);

    let mut other = address();
    other["line1"] = json!("다른 주소 2");
    let res = app
        .send(
            app.client
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("idempotency-key", "same-key")
                .json(&json!({"delivery_address": other})),
        )
        .await;
    res.assert_problem(422, "idempotency_key_reused");

    // Keys are per user: another buyer may use the same key.
    let (b2, _, _) = app.signup("idem2@example.com").await;
    add_to_cart(&app, &b2, p["id"].as_str().unwrap(), 1).await;
    assert_eq!(checkout(&app, &b2, "same-key").await.status, 201);
}

/// Runs one SQL statement on the app's database (tests simulating a crash).
async fn exec(app: &crate::helpers::TestApp, sql: &str) {
    crud_api::on_db!(&app.state.db, |pool| sqlx::query(sql).execute(pool).await.map(drop)).unwrap();
}

/// A claim on `key` as a request that started `age_secs` ago and never finished would leave it.
async fn stale_claim(app: &crate::helpers::TestApp, user: uuid::Uuid, key: &str, hash: &str, age_secs: i64) {
    let at = chrono::Utc::now() - chrono::Duration::seconds(age_secs);
    let sql = "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4)";
    crud_api::on_db!(&app.state.db, |pool| sqlx::query(sql)
        .bind(user)
        .bind(key)
        .bind(hash)
        .bind(at)
        .execute(pool)
        .await
        .map(drop))
    .unwrap();
}

#[tokio::test]
async fn a_checkout_key_left_by_a_crash_is_recovered_without_ordering_twice() {
    let app = spawn_app().await;
    let s = seller(&app, "crash-seller@example.com").await;
    let p = list_item(&app, &s, "lighting", "스탠드", 20_000, json!({"quantity": 5})).await;
    let (buyer, _, buyer_id) = app.signup("crash@example.com").await;
    let body = serde_json::to_vec(&json!({"delivery_address": address()})).unwrap();
    let hash = crud_api::platform::idempotency::request_hash(&body);
    let uid: uuid::Uuid = buyer_id.parse().unwrap();

    // A request is running (claimed a second ago): a retry is told to come back, with when.
    stale_claim(&app, uid, "running", &hash, 1).await;
    add_to_cart(&app, &buyer, p["id"].as_str().unwrap(), 1).await;
    let res = checkout(&app, &buyer, "running").await;
    res.assert_problem(409, "idempotency_in_progress");
    let wait: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "Retry-After {wait}");

    // Its process died before committing (claimed a minute ago, nothing recorded): the retry
    // takes the key over and checks out — no 48-hour wait for the purge.
    stale_claim(&app, uid, "abandoned", &hash, 60).await;
    let res = checkout(&app, &buyer, "abandoned").await;
    assert_eq!(res.status, 201, "{}", res.body);
    let first = res.body.clone();

    // It died after committing but before saving the answer: the retry rebuilds the answer
    // from the stored checkout instead of ordering (and reserving) a second time.
    exec(&app, "UPDATE idempotency_keys SET response_code = NULL, response_body = NULL WHERE idem_key = 'abandoned'")
        .await;
    let res = checkout(&app, &buyer, "abandoned").await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["checkout_id"], first["checkout_id"]);
    assert_eq!(res.body["orders"][0]["id"], first["orders"][0]["id"]);
    assert_eq!(app.get("/api/v1/orders", Some(&buyer)).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(product(&app, p["id"].as_str().unwrap()).await["available"], 4, "reserved once");

    // …and before the delivery fee was estimated: the rebuilt answer estimates it.
    assert!(first["delivery_fee"].as_i64().unwrap() > 0, "{first}");
    exec(&app, "UPDATE orders SET delivery_fee = 0, total = subtotal").await;
    exec(&app, "UPDATE idempotency_keys SET response_code = NULL, response_body = NULL WHERE idem_key = 'abandoned'")
        .await;
    let res = checkout(&app, &buyer, "abandoned").await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        (&res.body["delivery_fee"], &res.body["total"]),
        (&first["delivery_fee"], &first["total"]),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn unpaid_reservations_expire_and_return_items_to_sale() {
    let app = spawn_app().await;
    let s = seller(&app, "exp-seller@example.com").await;
    let p = list_item(&app, &s, "bed", "침대", 100_000, json!({})).await;
    let id = p["id"].as_str().unwrap().to_string();
    let (buyer, order) = buy(&app, "exp@example.com", &id).await;
    let o = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    let reserved_until: chrono::DateTime<chrono::Utc> = o["reserved_until"].as_str().unwrap().parse().unwrap();
    let created: chrono::DateTime<chrono::Utc> = o["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((reserved_until - created).num_minutes(), 15);

    // Not yet: nothing happens.
    assert_eq!(app.state.orders.expire_reservations(chrono::Utc::now()).await.unwrap(), 0);
    // Sixteen minutes later the sweep releases it.
    let later = chrono::Utc::now() + chrono::Duration::minutes(16);
    assert_eq!(app.state.orders.expire_reservations(later).await.unwrap(), 1);
    let o = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["cancel_reason"], "reservation expired");
    assert_eq!(o["history"].as_array().unwrap().last().unwrap()["actor"], "system");
    let v = product(&app, &id).await;
    assert_eq!((v["status"].as_str(), v["available"].as_i64()), (Some("on_sale"), Some(1)));
    // Paying now is too late.
    let admin = app.admin_token().await;
    let res = app
        .post(&format!("/api/v1/admin/orders/{order}/status"), json!({"status": "paid", "note": "late"}), Some(&admin))
        .await;
    res.assert_problem(409, "illegal_transition");
    // The buyer was told.
    let n = app.get("/api/v1/notifications", Some(&buyer)).await.body;
    assert!(n["items"].as_array().unwrap().iter().any(|i| i["kind"] == "reservation_expired"), "{n}");
}

#[tokio::test]
async fn the_state_machine_refuses_illegal_moves_and_keeps_an_audit_trail() {
    let app = spawn_app().await;
    let s = seller(&app, "sm-seller@example.com").await;
    let p = list_item(&app, &s, "desk", "책상", 60_000, json!({})).await;
    let id = p["id"].as_str().unwrap().to_string();
    let (buyer, order) = buy(&app, "sm@example.com", &id).await;

    // Seller can't mark an unpaid order ready; the buyer can't either.
    app.post(&format!("/api/v1/orders/{order}/ready"), json!({}), Some(&s))
        .await
        .assert_problem(409, "illegal_transition");
    app.post(&format!("/api/v1/orders/{order}/ready"), json!({}), Some(&buyer)).await.assert_problem(403, "forbidden");
    mark_paid(&app, &order).await;
    let v = product(&app, &id).await;
    assert_eq!(v["status"], "sold", "paid: reserved → sold");
    let res = app.post(&format!("/api/v1/orders/{order}/ready"), json!({}), Some(&s)).await;
    assert_eq!(res.body["status"], "ready_for_pickup");
    // Admin can't jump to delivered.
    let admin = app.admin_token().await;
    let res = app
        .post(
            &format!("/api/v1/admin/orders/{order}/status"),
            json!({"status": "delivered", "note": "skip"}),
            Some(&admin),
        )
        .await;
    res.assert_problem(409, "illegal_transition");
    // The buyer cancels before pickup: refunded, and the item is back on sale.
    let res = app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "refunded");
    let v = product(&app, &id).await;
    assert_eq!((v["status"].as_str(), v["available"].as_i64()), (Some("on_sale"), Some(1)));
    let trail: Vec<_> = res.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap().to_string(), e["to"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        trail,
        [("user", "pending_payment"), ("admin", "paid"), ("user", "ready_for_pickup"), ("user", "refunded")]
            .map(|(a, t)| (a.to_string(), t.to_string()))
    );
    // Cancelling again: nothing to cancel.
    app.post(&format!("/api/v1/orders/{order}/cancel"), json!({}), Some(&buyer))
        .await
        .assert_problem(409, "illegal_transition");
}

/// A second crud-api *process* on the same database, signing with the same key.
struct OtherProcess {
    child: tokio::process::Child,
    base: String,
}

impl Drop for OtherProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn second_process(app: &TestApp) -> OtherProcess {
    let port = crate::idp::free_port();
    let cfg = &app.state.config;
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_crud-api"))
        .env_clear()
        .env("CRUD_API_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", &cfg.database_url)
        .env("JWT_SIGNING_KEY_FILE", cfg.jwt_signing_key_file.as_ref().unwrap())
        .env("IMAGE_DIR", app.dir.path().join("images2"))
        .env("RATE_LIMIT_PER_IP_PER_MIN", "0")
        .env("RATE_LIMIT_PER_ACCOUNT_PER_15MIN", "0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("crud-api binary starts");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            return OtherProcess { child, base };
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the second crud-api process did not become ready");
}

#[tokio::test]
async fn no_oversell_across_two_server_processes() {
    let app = spawn_with(|c| c.database_max_connections = 16).await;
    let other = second_process(&app).await;
    let s = seller(&app, "xproc-seller@example.com").await;
    let p = list_item(&app, &s, "sofa", "두 서버가 다투는 소파", 300_000, json!({})).await;
    let id = p["id"].as_str().unwrap().to_string();
    let mut buyers = Vec::new();
    for i in 0..50 {
        let (t, _, _) = app.signup(&format!("xproc{i}@example.com")).await;
        assert_eq!(add_to_cart(&app, &t, &id, 1).await.status, 201);
        buyers.push(t);
    }
    let app_ref = &app;
    let other_base = other.base.clone();
    let results = futures_util::future::join_all(buyers.iter().enumerate().map(|(i, t)| {
        // Odd buyers go through the other process.
        let url = if i % 2 == 1 { format!("{other_base}/api/v1/orders") } else { app_ref.url("/api/v1/orders") };
        async move {
            let req = app_ref
                .client
                .post(url)
                .bearer_auth(t)
                .header("idempotency-key", format!("x-{i}"))
                .json(&json!({"delivery_address": address()}));
            app_ref.send(req).await
        }
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let after = product(&app, &id).await;
    assert_eq!((after["available"].as_i64(), after["status"].as_str()), (Some(0), Some("reserved")));
}
