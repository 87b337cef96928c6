//! `spawn()`: dl-api on an ephemeral loopback port, ready (models loaded and warm).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use dl_api::config::Config;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;

pub const KEY: &str = "test-key-1";

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).header("x-api-key", KEY)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).header("x-api-key", KEY)
    }
}

/// Starts a server with `extra` flags on top of the defaults and waits for `/readyz`.
pub async fn spawn(extra: &[&str]) -> Server {
    let (server, ready) = spawn_unready(extra).await;
    assert_eq!(ready["status"], "ready", "dl-api is not ready: {ready}");
    server
}

/// Starts a server with `extra` flags and waits until `/readyz` says anything but `loading`;
/// returns it with that answer (also for servers that never become ready).
pub async fn spawn_unready(extra: &[&str]) -> (Server, Value) {
    let mut args = vec!["dl-api", "--api-keys", KEY, "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let state = dl_api::startup::state(Config::parse_from(args)).expect("state");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        if let Err(e) = dl_api::startup::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await
        {
            panic!("dl-api failed: {e:#} — run `make models` (scripts/fetch-models.sh) first");
        }
    });
    let server = Server { base, client: reqwest::Client::new(), shutdown: Some(tx) };
    for _ in 0..600 {
        if let Ok(r) = server.client.get(server.url("/readyz")).send().await {
            let body: Value = r.json().await.unwrap_or_default();
            if matches!(body["status"].as_str(), Some(status) if status != "loading") {
                return (server, body);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("dl-api did not become ready in 30 s — are the models fetched (`make models`)?");
}

/// The labelled furniture renders (`scripts/fetch-eval-images.sh`).
pub fn eval_dir() -> PathBuf {
    let dir = std::env::var_os("DL_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Config::cache_dir().join("eval/sweethome3d-furniture-1.8-1"));
    assert!(dir.join("labels.tsv").is_file(), "{} missing — run scripts/fetch-eval-images.sh", dir.display());
    dir
}

pub fn image(rel: &str) -> Vec<u8> {
    std::fs::read(eval_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub async fn json(r: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// A solid-colour PNG of the given size.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}
