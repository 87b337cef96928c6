//! Model management (Open Inference Protocol repository extension): index, load a version
//! while requests run, a broken version that doesn't take the service down, unload, admin keys.
//! tritonclient's own repository calls run in `scripts/oip-conformance.py`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::{json, png, spawn, Server};

const ADMIN: &str = "admin-key-1";

/// A repository in a temp dir: efficientnet-lite0 versions 1 and 2 (the cached model's files
/// linked), 3 (a broken model.onnx) and minilm-l6-v2 version 1. Removed on drop.
struct Repository(PathBuf);

impl Repository {
    fn new(tag: &str) -> Self {
        let cache = dl_api::config::Config::cache_dir().join("models");
        let root = std::env::temp_dir().join(format!("dl-repo-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let link_version = |name: &str, version: &str| {
            let dir = root.join(name).join(version);
            std::fs::create_dir_all(&dir).unwrap();
            for entry in std::fs::read_dir(cache.join(name).join("1")).unwrap() {
                let entry = entry.unwrap();
                std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
            }
        };
        link_version("efficientnet-lite0", "1");
        link_version("efficientnet-lite0", "2");
        link_version("minilm-l6-v2", "1");
        let broken = root.join("efficientnet-lite0/3");
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("model.onnx"), b"not an ONNX graph").unwrap();
        std::os::unix::fs::symlink(cache.join("efficientnet-lite0/1/labels.txt"), broken.join("labels.txt")).unwrap();
        Self(root)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// dl-api on `repo`, serving `image_version` of the image model from its directory there (named
/// explicitly, as the operator does, so a developer's DL_IMAGE_MODEL_DIR can't interfere).
async fn serve(repo: &Repository, image_version: &str) -> Server {
    let root = repo.path().to_str().unwrap().to_string();
    let image_dir = format!("{root}/efficientnet-lite0/{image_version}");
    let text_dir = format!("{root}/minilm-l6-v2/1");
    spawn(&[
        "--admin-api-keys",
        ADMIN,
        "--model-repository",
        &root,
        "--image-model-version",
        image_version,
        "--image-model-dir",
        &image_dir,
        "--text-model-dir",
        &text_dir,
    ])
    .await
}

fn admin_post(s: &Server, path: &str) -> reqwest::RequestBuilder {
    s.client.post(s.url(path)).header("x-api-key", ADMIN)
}

async fn index(s: &Server) -> Vec<(String, String, String)> {
    let (status, _, body) = json(admin_post(s, "/v2/repository/index").send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap().to_string();
            (f("name"), f("version"), f("state"))
        })
        .collect()
}

fn entry(name: &str, version: &str, state: &str) -> (String, String, String) {
    (name.into(), version.into(), state.into())
}

async fn analysed_by(s: &Server) -> Result<String, (u16, Value)> {
    let res = s.post("/v1/analyze?embedding=false").header("content-type", "image/png").body(png(64, 48));
    let (status, _, body) = json(res.send().await.unwrap()).await;
    match status.as_u16() {
        200 => Ok(body["model_version"].as_str().unwrap().to_string()),
        code => Err((code, body)),
    }
}

#[tokio::test]
async fn a_new_version_loads_while_requests_run_and_none_is_dropped() {
    let repo = Repository::new("swap");
    let s = Arc::new(serve(&repo, "1").await);
    assert_eq!(
        index(&s).await,
        [
            entry("efficientnet-lite0", "1", "READY"),
            entry("efficientnet-lite0", "2", "UNAVAILABLE"),
            entry("efficientnet-lite0", "3", "UNAVAILABLE"),
            entry("minilm-l6-v2", "1", "READY"),
        ]
    );

    // Clients keep analysing photos, four at a time, from before the load until after it.
    let loaded = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (s, loaded) = (s.clone(), loaded.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut after = 0;
                while after < 5 && answers.len() < 2_000 {
                    let done = loaded.load(Ordering::SeqCst);
                    answers.push(analysed_by(&s).await);
                    after += usize::from(done);
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, _, body) = json(
        admin_post(&s, "/v2/repository/models/efficientnet-lite0/load")
            .json(&json!({"parameters": {"version": "2"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    loaded.store(true, Ordering::SeqCst);
    assert_eq!((status.as_u16(), &body), (200, &json!({"name": "efficientnet-lite0", "version": "2"})));
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for client in clients {
        for answer in client.await.unwrap() {
            let version =
                answer.unwrap_or_else(|(code, body)| panic!("a request failed during the load: {code} {body}"));
            *seen.entry(version).or_default() += 1;
        }
    }
    assert!(seen.get("1").is_some_and(|n| *n > 0) && seen.get("2").is_some_and(|n| *n > 0), "{seen:?}");
    assert_eq!(analysed_by(&s).await.unwrap(), "2");
    let (_, _, meta) = json(s.get("/v2/models/efficientnet-lite0").send().await.unwrap()).await;
    assert_eq!(meta["versions"], json!(["2"]));
    let (_, _, models) = json(s.get("/v1/models").send().await.unwrap()).await;
    assert_eq!(models["models"][0]["version"], "2");
    assert_eq!(s.get("/v2/models/efficientnet-lite0/versions/2/ready").send().await.unwrap().status(), 200);
    assert_eq!(s.get("/v2/models/efficientnet-lite0/versions/1/ready").send().await.unwrap().status(), 404);
    assert_eq!(
        index(&s).await[..2],
        [entry("efficientnet-lite0", "1", "UNAVAILABLE"), entry("efficientnet-lite0", "2", "READY")]
    );

    // A version whose files don't load: refused, and version 2 goes on serving.
    let res = admin_post(&s, "/v2/repository/models/efficientnet-lite0/load")
        .json(&json!({"parameters": {"version": "3"}}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = json(res).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (422, Some("model_load_failed")), "{body}");
    assert_eq!(analysed_by(&s).await.unwrap(), "2");

    // A Triton-style config naming version 1 (what tritonclient's load_model(config=…) sends).
    let config = json!({"parameters": {"config": "{\"version_policy\": {\"specific\": {\"versions\": [1]}}}"}});
    let res = admin_post(&s, "/v2/repository/models/efficientnet-lite0/load").json(&config).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(analysed_by(&s).await.unwrap(), "1");
}

#[tokio::test]
async fn unloading_stops_a_model_and_loading_brings_it_back() {
    let repo = Repository::new("unload");
    let s = serve(&repo, "1").await;
    let res = admin_post(&s, "/v2/repository/models/efficientnet-lite0/unload")
        .json(&json!({"parameters": {"unload_dependents": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (code, body) = analysed_by(&s).await.unwrap_err();
    assert_eq!((code, body["code"].as_str()), (503, Some("model_not_ready")), "{body}");
    assert_eq!(s.get("/v2/models/efficientnet-lite0/ready").send().await.unwrap().status(), 503);
    // The server stays ready (an admin asked for this) and says which model is off.
    let (status, _, ready) = json(s.client.get(s.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(ready["models"][0], json!({"name": "efficientnet-lite0", "ready": false}));
    assert!(index(&s).await.iter().all(|(n, _, state)| n != "efficientnet-lite0" || state == "UNAVAILABLE"));
    // The text model is untouched.
    let res = s.post("/v1/embed/text").json(&json!({"texts": ["소파"]})).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // No body at all: the configured version.
    let res = admin_post(&s, "/v2/repository/models/efficientnet-lite0/load").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(analysed_by(&s).await.unwrap(), "1");
}

#[tokio::test]
async fn model_management_needs_an_admin_key_and_a_real_version() {
    let repo = Repository::new("refusals");
    let s = serve(&repo, "1").await;
    // An inference key may not manage models; no key is 401.
    let (status, _, body) = json(s.post("/v2/repository/index").send().await.unwrap()).await;
    assert_eq!((status.as_u16(), body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let res = s.client.post(s.url("/v2/repository/models/efficientnet-lite0/unload")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(analysed_by(&s).await.unwrap(), "1", "nothing was unloaded");
    // Names that aren't versions, versions that aren't there, models that aren't there.
    for (model, body, status) in [
        ("efficientnet-lite0", json!({"parameters": {"version": "../../etc"}}), 400),
        ("efficientnet-lite0", json!({"parameters": {"version": "9"}}), 404),
        ("efficientnet-lite0", json!({"parameters": {"version": true}}), 400),
        ("resnet", json!({}), 404),
    ] {
        let res = admin_post(&s, &format!("/v2/repository/models/{model}/load")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), status, "{model} {body}");
    }
    let res = admin_post(&s, "/v2/repository/models/efficientnet-lite0/load").body("{").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let res = admin_post(&s, "/v2/repository/models/resnet/unload").send().await.unwrap();
    assert_eq!(res.status(), 404);
    // `ready: true` lists only what serves.
    let res = admin_post(&s, "/v2/repository/index").json(&json!({"ready": true})).send().await.unwrap();
    let (_, _, body) = json(res).await;
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
}

#[tokio::test]
async fn the_configured_version_is_the_one_served_and_reported() {
    // What a ModelDeployment naming `model.version: "2"` starts (DL_IMAGE_MODEL_VERSION with
    // DL_IMAGE_MODEL_DIR); it was reported as "1" whatever the files were.
    let repo = Repository::new("configured");
    let s = serve(&repo, "2").await;
    assert_eq!(analysed_by(&s).await.unwrap(), "2");
    let (_, _, models) = json(s.get("/v1/models").send().await.unwrap()).await;
    assert_eq!(models["models"][0]["version"], "2");
    assert!(models["models"][0]["path"].as_str().unwrap().ends_with("efficientnet-lite0/2/model.onnx"));
}
