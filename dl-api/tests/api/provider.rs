//! The provider never lies: `cuda` without a usable CUDA is not ready and says why, unless
//! `--cpu-fallback` lets it serve on CPU — and then every report says so. (The CPU build of
//! ONNX Runtime here: no CUDA provider library at all.)

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn, spawn_unready};

/// One image model, one session: quick to load (the text models are off).
const SMALL: [&str; 6] = ["--concurrency", "1", "--text-model-dir", "", "--multilingual-model-dir", ""];

#[tokio::test]
async fn cuda_without_a_usable_cuda_is_not_ready_and_says_why() {
    let mut args = SMALL.to_vec();
    args.extend(["--execution-provider", "cuda"]);
    let (server, ready) = spawn_unready(&args).await;
    assert_eq!(ready["status"], "unavailable", "{ready}");
    let reason = ready["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("CUDA execution provider unavailable")
            && reason.contains("CPU-only build")
            && reason.contains("libonnxruntime_providers_cuda.so"),
        "{reason}"
    );
    // Up, not ready: liveness answers, requests are refused, the metric says why.
    assert_eq!(server.client.get(server.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let r = server.get("/v1/models").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("dl_api_execution_provider_unavailable 1"), "{metrics}");
    assert!(!metrics.contains("dl_api_model_execution_provider{"), "no model placed: {metrics}");
}

#[tokio::test]
async fn cuda_with_cpu_fallback_serves_on_cpu_and_every_report_says_so() {
    let mut args = SMALL.to_vec();
    args.extend(["--execution-provider", "cuda", "--cpu-fallback", "true"]);
    let server = spawn(&args).await;
    let ready: Value = server.client.get(server.url("/readyz")).send().await.unwrap().json().await.unwrap();
    let placement = &ready["models"][0]["placement"];
    assert_eq!(ready["models"][0]["name"], "efficientnet-lite0", "{ready}");
    assert_eq!(
        (placement["requested"].as_str(), placement["provider"].as_str()),
        (Some("cuda"), Some("cpu")),
        "{ready}"
    );
    assert!(placement["reason"].as_str().unwrap_or_default().contains("CPU-only build"), "{ready}");

    let models: Value = server.get("/v1/models").send().await.unwrap().json().await.unwrap();
    assert_eq!(&models["models"][0]["placement"], placement, "{models}");
    let meta: Value = server.get("/v2/models/efficientnet-lite0").send().await.unwrap().json().await.unwrap();
    assert_eq!(&meta["placement"], placement, "{meta}");
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(
            r#"dl_api_model_execution_provider{model="efficientnet-lite0",requested="cuda",provider="cpu"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("dl_api_execution_provider_unavailable 0"), "{metrics}");
}

#[tokio::test]
async fn cpu_runs_where_it_was_asked() {
    let server = spawn(&SMALL).await;
    let ready: Value = server.client.get(server.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["models"][0]["placement"], serde_json::json!({"requested": "cpu", "provider": "cpu"}), "{ready}");
}
