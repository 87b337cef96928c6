//! crud-api as a fleet, tried the way an operator would: three crud-api *processes* on one
//! PostgreSQL and one S3 bucket, buyers checking out and paying through any replica while a
//! replica is `kill -9`ed every 1.5 s (and started again), then the invariants read
//! straight from the database. It fails on any violation.
//!
//! Runs under `make fleet` (part of `make test`): it needs `TEST_DATABASE_URL` (a PostgreSQL
//! server; `scripts/with-postgres.sh` starts a throwaway one) and s3s-fs
//! (`scripts/object-store-tool.sh`). Without `TEST_DATABASE_URL` it says so and passes: the
//! fleet is a PostgreSQL deployment. Sizes: FLEET_BUYERS (24), FLEET_SECS (20).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{json, Value};
use sqlx::postgres::PgPool;
use tokio::process::{Child, Command};

#[path = "support/s3.rs"]
mod s3;

const REPLICAS: usize = 3;
const PRODUCTS: usize = 12;
/// Units per product: 180 in all, about what 24 buyers take in 20 s, so the last ones are raced for.
const UNITS: i64 = 15;
const ADMIN: (&str, &str) = ("admin@fleet.local", "fleet-admin-password-1");

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One crud-api process; `start` again after a kill reuses its port and directory.
struct Replica {
    port: u16,
    child: Option<Child>,
}

struct Fleet {
    database_url: String,
    s3: String,
    dir: PathBuf,
    replicas: Vec<Mutex<Replica>>,
}

impl Fleet {
    fn base(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.replicas[i].lock().unwrap().port)
    }

    fn spawn(&self, port: u16) -> Child {
        Command::new(env!("CARGO_BIN_EXE_crud-api"))
            .env_clear()
            .env("CRUD_API_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &self.database_url)
            .env("JWT_SIGNING_KEY_FILE", self.dir.join("jwt.pem"))
            .env("IMAGE_DIR", self.dir.join(format!("unused-{port}")))
            .env("PLUGIN_CACHE_DIR", self.dir.join(format!("plugins-{port}")))
            .env("S3_BUCKET", s3::BUCKET)
            .env("S3_ENDPOINT", &self.s3)
            .env("S3_ACCESS_KEY_ID", s3::ACCESS_KEY)
            .env("S3_SECRET_ACCESS_KEY", s3::SECRET_KEY)
            .env("ADMIN_EMAIL", ADMIN.0)
            .env("ADMIN_PASSWORD", ADMIN.1)
            .env("RATE_LIMIT_PER_IP_PER_MIN", "0")
            .env("RATE_LIMIT_PER_ACCOUNT_PER_15MIN", "0")
            .env("PAYMENT_RECONCILE_AFTER_SECS", "2")
            .env("PAYMENT_RECONCILE_EVERY_SECS", "1")
            .env("DATABASE_MAX_CONNECTIONS", "8")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("crud-api starts")
    }

    async fn start(&self, i: usize) {
        let port = self.replicas[i].lock().unwrap().port;
        let child = self.spawn(port);
        self.replicas[i].lock().unwrap().child = Some(child);
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("{}/readyz", self.base(i))).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("replica {i} did not become ready");
    }

    /// SIGKILL: no drain, no clean-up — a crash.
    async fn kill(&self, i: usize) {
        let child = self.replicas[i].lock().unwrap().child.take();
        if let Some(mut c) = child {
            c.kill().await.unwrap();
        }
    }
}

#[derive(Default)]
struct Tally {
    checkouts: AtomicU64,
    sold_out: AtomicU64,
    confirmed: AtomicU64,
    unresolved_answers: AtomicU64,
    transport_errors: AtomicU64,
    kills: AtomicU64,
}

/// A request to any replica, retried on another when the connection fails (a replica died).
async fn call(fleet: &Fleet, tally: &Tally, build: impl Fn(&str) -> reqwest::RequestBuilder) -> Option<(u16, Value)> {
    for attempt in 0..8 {
        let i = rand::thread_rng().gen_range(0..REPLICAS);
        match build(&fleet.base(i)).timeout(Duration::from_secs(10)).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.json().await.unwrap_or(Value::Null);
                return Some((status, body));
            }
            Err(_) => {
                tally.transport_errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
            }
        }
    }
    None
}

fn address() -> Value {
    json!({"label": "집", "recipient": "김민수", "phone": "010-1234-5678", "line1": "서울특별시 강남구 테헤란로 1",
           "postal_code": "06236", "area": "강남구"})
}

/// One buyer until `deadline`: cart → checkout (Idempotency-Key, retried with the same key) →
/// quote → confirm (retried with the same payment key).
async fn buyer(fleet: Arc<Fleet>, tally: Arc<Tally>, token: String, products: Arc<Vec<String>>, deadline: Instant) {
    let http = reqwest::Client::new();
    let mut n = 0;
    while Instant::now() < deadline {
        n += 1;
        let product = products[rand::thread_rng().gen_range(0..products.len())].clone();
        let add = call(&fleet, &tally, |b| {
            http.post(format!("{b}/api/v1/cart/items"))
                .bearer_auth(&token)
                .json(&json!({"product_id": product, "quantity": 1}))
        })
        .await;
        if !matches!(add, Some((201, _))) {
            tally.sold_out.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let key = format!("fleet-{}-{n}", uuid::Uuid::new_v4().simple());
        let mut orders = Vec::new();
        for _ in 0..5 {
            let res = call(&fleet, &tally, |b| {
                http.post(format!("{b}/api/v1/orders"))
                    .bearer_auth(&token)
                    .header("idempotency-key", &key)
                    .json(&json!({"delivery_address": address()}))
            })
            .await;
            match res {
                Some((201, body)) => {
                    tally.checkouts.fetch_add(1, Ordering::Relaxed);
                    orders = body["orders"].as_array().cloned().unwrap_or_default();
                    break;
                }
                // A replica died holding the key: the lease runs out; the final pass retries.
                Some((409, body)) if body["code"] == "idempotency_in_progress" => break,
                Some((409 | 422, _)) => {
                    tally.sold_out.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        for o in orders {
            let id = o["id"].as_str().unwrap().to_string();
            let Some((200, q)) = call(&fleet, &tally, |b| {
                http.post(format!("{b}/api/v1/orders/{id}/payments/quote")).bearer_auth(&token).json(&json!({}))
            })
            .await
            else {
                continue;
            };
            let total = q["plan"]["total"].as_i64().unwrap();
            let payment_key = format!("pk_{}", uuid::Uuid::new_v4().simple());
            for _ in 0..4 {
                let res = call(&fleet, &tally, |b| {
                    http.post(format!("{b}/api/v1/payments/confirm"))
                        .bearer_auth(&token)
                        .json(&json!({"order_id": id, "payment_key": payment_key, "amount": total}))
                })
                .await;
                match res {
                    Some((200, _)) => {
                        tally.confirmed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Some((409, body)) if body["code"] == "payment_in_progress" => {
                        tally.unresolved_answers.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Some((502 | 503, _)) | None => tokio::time::sleep(Duration::from_millis(300)).await,
                    Some(_) => break,
                }
            }
        }
    }
}

async fn scalar(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(db).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Rows of `sql` as text, for violation reports.
async fn rows(db: &PgPool, sql: &str) -> Vec<String> {
    let got: Vec<(String,)> = sqlx::query_as(sql).fetch_all(db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    got.into_iter().map(|r| r.0).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fleet_under_kill_9_keeps_money_and_stock_consistent() {
    let Ok(base_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("fleet: TEST_DATABASE_URL is not set; the fleet runs on PostgreSQL (make fleet)");
        return;
    };
    let buyers = env_num("FLEET_BUYERS", 24) as usize;
    let secs = env_num("FLEET_SECS", 20);
    // A fresh database for the fleet.
    let admin_db = PgPool::connect(&base_url).await.unwrap();
    let name = format!("fleet_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin_db).await.unwrap();
    let mut url = url::Url::parse(&base_url).unwrap();
    url.set_path(&format!("/{name}"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jwt.pem"), jwt_pem()).unwrap();
    let s3 = s3::s3_server().await;
    let fleet = Arc::new(Fleet {
        database_url: url.to_string(),
        s3: s3.endpoint.clone(),
        dir: dir.path().to_path_buf(),
        replicas: (0..REPLICAS).map(|_| Mutex::new(Replica { port: free_port(), child: None })).collect(),
    });
    // Started together: they migrate and seed the empty database at once.
    futures_util::future::join_all((0..REPLICAS).map(|i| fleet.start(i))).await;

    let http = reqwest::Client::new();
    let seller = signup(&http, &fleet.base(0), "fleet-seller@example.com").await;
    http.patch(format!("{}/api/v1/users/me", fleet.base(1)))
        .bearer_auth(&seller)
        .json(&json!({"is_seller": true}))
        .send()
        .await
        .unwrap();
    let tree: Value =
        http.get(format!("{}/api/v1/categories", fleet.base(2))).send().await.unwrap().json().await.unwrap();
    let category = tree[0]["id"].as_str().unwrap().to_string();
    let mut products = Vec::new();
    for i in 0..PRODUCTS {
        let r: Value = http
            .post(format!("{}/api/v1/products", fleet.base(i % REPLICAS)))
            .bearer_auth(&seller)
            .json(&json!({"title": format!("함대 소파 {i}"), "description": "", "price": 50_000 + 1_000 * i as i64,
                          "category_id": category, "condition": "good", "area": "마포구", "quantity": UNITS}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        products.push(r["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_string());
    }
    let mut tokens = BTreeMap::new();
    for b in 0..buyers {
        let email = format!("fleet-buyer-{b}@example.com");
        tokens.insert(email.clone(), signup(&http, &fleet.base(b % REPLICAS), &email).await);
    }

    // Load, and a kill -9 of a random replica every 1.5 s (restarted 300 ms later).
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let products = Arc::new(products);
    let load: Vec<_> = tokens
        .values()
        .map(|t| tokio::spawn(buyer(fleet.clone(), tally.clone(), t.clone(), products.clone(), deadline)))
        .collect();
    let chaos = {
        let (fleet, tally) = (fleet.clone(), tally.clone());
        tokio::spawn(async move {
            while Instant::now() + Duration::from_millis(1500) < deadline {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                let i = rand::thread_rng().gen_range(0..REPLICAS);
                fleet.kill(i).await;
                tally.kills.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(300)).await;
                fleet.start(i).await;
            }
        })
    };
    for l in load {
        l.await.unwrap();
    }
    chaos.await.unwrap();
    let load_secs = started.elapsed().as_secs_f64();

    let db = PgPool::connect(&fleet.database_url).await.unwrap();
    // The reconciler (2 s after, every 1 s, on every replica) settles what the kills left.
    let settle_started = Instant::now();
    while scalar(&db, "SELECT COUNT(*) FROM payments WHERE status = 'confirming'").await > 0 {
        assert!(settle_started.elapsed() < Duration::from_secs(30), "payments still confirming after 30 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let settle_secs = settle_started.elapsed().as_secs_f64();

    // Keys a kill left in progress: after the lease, the client's retry gets an answer.
    let stuck: Vec<(String, String)> =
        sqlx::query_as("SELECT u.email, k.idem_key FROM idempotency_keys k JOIN users u ON u.id = k.user_id WHERE k.response_code IS NULL")
            .fetch_all(&db)
            .await
            .unwrap();
    if !stuck.is_empty() {
        tokio::time::sleep(Duration::from_secs(31)).await;
        for (email, key) in &stuck {
            let res = http
                .post(format!("{}/api/v1/orders", fleet.base(0)))
                .bearer_auth(&tokens[email])
                .header("idempotency-key", key)
                .json(&json!({"delivery_address": address()}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert_ne!(body["code"], "idempotency_in_progress", "the key {key} is still in progress after its lease");
            assert!(status < 500, "the retry of {key} failed: {status} {body}");
        }
    }
    let violations = invariants(&db).await;
    let report = json!({
        "replicas": REPLICAS, "buyers": buyers, "load_secs": (load_secs * 10.0).round() / 10.0,
        "kills": tally.kills.load(Ordering::Relaxed),
        "checkouts": tally.checkouts.load(Ordering::Relaxed),
        "payments_confirmed_to_client": tally.confirmed.load(Ordering::Relaxed),
        "payments_captured": scalar(&db, "SELECT COUNT(*) FROM payments WHERE status = 'confirmed'").await,
        "settled_by_reconciler": scalar(&db, "SELECT COUNT(*) FROM order_events WHERE note = 'payment settled by the reconciler'").await,
        "answered_in_progress": tally.unresolved_answers.load(Ordering::Relaxed),
        "transport_errors_retried": tally.transport_errors.load(Ordering::Relaxed),
        "sold_out_or_refused": tally.sold_out.load(Ordering::Relaxed),
        "idempotency_keys_left_in_progress_by_kills": stuck.len(),
        "seconds_to_settle_after_load": (settle_secs * 10.0).round() / 10.0,
        "units_sold": scalar(&db, "SELECT COALESCE(SUM(sold), 0)::BIGINT FROM products").await,
    });
    println!("fleet: {report}");
    for i in 0..REPLICAS {
        fleet.kill(i).await;
    }
    assert!(violations.is_empty(), "invariants violated:\n{}", violations.join("\n"));
    assert!(tally.kills.load(Ordering::Relaxed) >= 3, "the chaos loop barely ran");
    assert!(tally.confirmed.load(Ordering::Relaxed) > 0, "no payment went through at all");
}

/// Every invariant, as the rows that break it.
async fn invariants(db: &PgPool) -> Vec<String> {
    let checks: [(&str, &str); 8] = [
        ("stock adds up (available + reserved + sold = quantity, none negative)",
         "SELECT id::text FROM products WHERE available < 0 OR reserved < 0 OR sold < 0 OR available + reserved + sold <> quantity"),
        ("reserved = units in unpaid orders",
         "SELECT p.id::text FROM products p WHERE p.reserved <> COALESCE((SELECT SUM(i.quantity) FROM order_items i \
          JOIN orders o ON o.id = i.order_id WHERE i.product_id = p.id AND o.status = 'pending_payment'), 0)"),
        ("sold = units in paid orders",
         "SELECT p.id::text FROM products p WHERE p.sold <> COALESCE((SELECT SUM(i.quantity) FROM order_items i \
          JOIN orders o ON o.id = i.order_id WHERE i.product_id = p.id \
          AND o.status IN ('paid', 'ready_for_pickup', 'picked_up', 'delivered')), 0)"),
        ("every paid order has exactly one captured payment",
         "SELECT o.id::text FROM orders o WHERE o.status = 'paid' AND (SELECT COUNT(*) FROM payments p \
          WHERE p.order_id = o.id AND p.status IN ('confirmed', 'partially_refunded', 'refunded')) <> 1"),
        ("no captured payment on an order that is not paid",
         "SELECT p.id::text FROM payments p JOIN orders o ON o.id = p.order_id \
          WHERE p.status = 'confirmed' AND o.status NOT IN ('paid', 'ready_for_pickup', 'picked_up', 'delivered')"),
        ("nothing left confirming", "SELECT id::text FROM payments WHERE status = 'confirming'"),
        ("every ledger group sums to zero",
         "SELECT entry_group::text FROM ledger_entries GROUP BY entry_group HAVING SUM(amount) <> 0"),
        ("the gateway holds exactly what the books say was captured",
         "SELECT s.payment_key FROM sandbox_captures s LEFT JOIN payments p ON p.payment_key = s.payment_key \
          WHERE (s.amount - s.cancelled) <> COALESCE(CASE WHEN p.status IN ('confirmed', 'partially_refunded', 'refunded') \
          THEN p.amount - p.refunded_amount END, 0)"),
    ];
    let mut out = Vec::new();
    for (what, sql) in checks {
        let bad = rows(db, sql).await;
        if !bad.is_empty() {
            out.push(format!("{what}: {bad:?}"));
        }
    }
    out
}

async fn signup(http: &reqwest::Client, base: &str, email: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "fleet-password-1", "name": "함대"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["tokens"]["access_token"].as_str().unwrap_or_else(|| panic!("{r}")).to_string()
}

fn jwt_pem() -> String {
    crud_api::identity::jwt::pem_encode(&crud_api::identity::jwt::generate_pkcs8())
}
