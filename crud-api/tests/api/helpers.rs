//! `spawn_app()`: a real crud-api on 127.0.0.1 with an ephemeral port and a fresh database —
//! a SQLite file in a temp dir, or, when `TEST_DATABASE_URL` points at a PostgreSQL server
//! (`make test` starts a throwaway one), a new database created for this test alone.

use std::str::FromStr;

use crud_api::identity::jwt;
use crud_api::state::AppState;
use crud_api::Application;
use crud_api::Config;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub const ADMIN_EMAIL: &str = "admin@test.local";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.headers["content-type"], "application/problem+json", "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["type"], format!("https://gajyeogagu.io/problems/{code}"));
        assert!(self.body["title"].is_string());
    }
}

pub fn backend() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

pub async fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) => {
            use sqlx::ConnectOptions;
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let opts = sqlx::postgres::PgConnectOptions::from_str(&base).expect("TEST_DATABASE_URL parses");
            let mut conn = opts.connect().await.expect("connect to the test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let mut url = url::Url::parse(&base).unwrap();
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        Err(_) => format!("sqlite://{}", dir.join("test.db").display()),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("jwt.pem");
    std::fs::write(&key_file, jwt::pem_encode(&jwt::generate_pkcs8())).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");

    let mut config = Config::defaults();
    config.addr = addr;
    config.database_url = database_url(dir.path()).await;
    config.database_max_connections = 8;
    config.jwt_signing_key_file = Some(key_file);
    config.admin_email = Some(ADMIN_EMAIL.into());
    config.admin_password = Some(ADMIN_PASSWORD.parse().unwrap());
    config.public_base_url = base.clone();
    config.rate_limit_per_ip_per_min = 10_000;
    config.rate_limit_per_account_per_15min = 10_000;
    config.google_client_id = None;
    config.kakao_client_id = None;
    config.oauth_frontend_redirect = None;
    config.image_dir = dir.path().join("images");
    config.plugin_cache_dir = dir.path().join("plugin-cache");
    config.mail_dir = dir.path().join("mail");
    config.plugins_config = None;
    config.plugin_reload_secs = 0;
    customise(&mut config);

    let app = Application::build_with_listener(config, listener).await.expect("app builds");
    let state = app.state();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        app.run_until(async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base, client, state, dir, shutdown: Some(tx), handle: Some(handle) }
}

/// A second crud-api instance on the same database, signing key and photo directory as
/// `app`: two replicas of one tenant, for races across instances and start-up jobs.
pub async fn spawn_sibling(app: &TestApp) -> TestApp {
    let database_url = app.state.config.database_url.clone();
    let key_file = app.state.config.jwt_signing_key_file.clone();
    let image_dir = app.state.config.image_dir.clone();
    spawn_with(move |c| {
        c.database_url = database_url;
        c.jwt_signing_key_file = key_file;
        c.image_dir = image_dir;
    })
    .await
}

impl TestApp {
    /// Shuts the server down as SIGTERM would; true when it stopped within `within`.
    pub async fn stop(&mut self, within: std::time::Duration) -> bool {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.handle.take() {
            Some(h) => tokio::time::timeout(within, h).await.is_ok(),
            None => true,
        }
    }

    /// `path` on this server; an absolute URL (as responses give for images) as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            return path.to_string();
        }
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Res {
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Res { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Res {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn patch(&self, path: &str, body: Value, token: Option<&str>) -> Res {
        let mut req = self.client.patch(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// The text of every message written to `to` so far (MAIL_SMTP_URL unset: `.eml` files).
    pub fn mail_to(&self, to: &str) -> Vec<String> {
        let dir = &self.state.config.mail_dir;
        let mut files: Vec<_> =
            std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter(|raw| String::from_utf8_lossy(raw).lines().any(|l| l.eq_ignore_ascii_case(&format!("To: {to}"))))
            .filter_map(|raw| crud_api::identity::mail::body_text(&raw))
            .collect()
    }

    /// The token of the newest verification link mailed to `to`, waiting for it to arrive.
    pub async fn verification_token(&self, to: &str) -> String {
        let token = wait_for(|| async {
            let texts = self.mail_to(to);
            let text = texts.last()?;
            let start = text.find("token=")? + "token=".len();
            Some(text[start..].split_whitespace().next()?.to_string())
        })
        .await;
        token
    }

    /// Signs up and returns (access token, refresh token, user id).
    pub async fn signup(&self, email: &str) -> (String, String, String) {
        let res = self
            .post(
                "/api/v1/auth/signup",
                json!({"email": email, "password": "correct-horse-1", "name": "테스트 사용자"}),
                None,
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        tokens(&res.body)
    }

    pub async fn login(&self, email: &str, password: &str) -> Res {
        self.post("/api/v1/auth/login", json!({"email": email, "password": password}), None).await
    }

    pub async fn admin_token(&self) -> String {
        let res = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.body["tokens"]["access_token"].as_str().unwrap().to_string()
    }

    /// Creates a rider through the admin API and signs it in: (access, refresh).
    pub async fn rider(&self, email: &str) -> (String, String) {
        let admin = self.admin_token().await;
        let res = self
            .post(
                "/api/v1/admin/riders",
                json!({"email": email, "password": "rider-password-1", "name": "박배달", "phone": "010-9876-5432"}),
                Some(&admin),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let res =
            self.post("/api/v1/rider/auth/login", json!({"email": email, "password": "rider-password-1"}), None).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let (a, r, _) = tokens(&res.body);
        (a, r)
    }
}

/// (access, refresh, subject id) from an auth response.
pub fn tokens(body: &Value) -> (String, String, String) {
    let t = &body["tokens"];
    let id = body["user"]["id"].as_str().or(body["rider"]["id"].as_str()).unwrap_or("").to_string();
    (t["access_token"].as_str().unwrap().into(), t["refresh_token"].as_str().unwrap().into(), id)
}

/// An order's audit trail as (actor kind, actor id, status moved to), oldest first.
pub fn trail(order: &Value) -> Vec<(String, Option<String>, String)> {
    order["history"]
        .as_array()
        .unwrap_or_else(|| panic!("no history in {order}"))
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["actor_id"].as_str().map(str::to_string),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Polls `check` every 50 ms until it yields, at most 20 s (tests wait on conditions, never on
/// fixed sleeps).
pub async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(check: impl Fn() -> F) -> T {
    for _ in 0..400 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("condition not met within 20 s");
}
