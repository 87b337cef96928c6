//! API keys, bad input, oversize bodies and overload.

use crate::helpers::{image, json, png, spawn, KEY};

#[tokio::test]
async fn everything_but_health_and_metrics_needs_a_key() {
    let s = spawn(&[]).await;
    for path in ["/health", "/healthz", "/readyz", "/metrics", "/v2/health/live", "/v2/health/ready"] {
        let r = s.client.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let live: serde_json::Value = s.client.get(s.url("/v2/health/live")).send().await.unwrap().json().await.unwrap();
    assert_eq!(live, serde_json::json!({ "live": true }));
    for path in ["/v1/models", "/v2", "/v2/models/efficientnet-lite0"] {
        let r = s.client.get(s.url(path)).send().await.unwrap();
        let (status, headers, body) = json(r).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "unauthorized");
        let wrong = s.client.get(s.url(path)).header("x-api-key", "nope").send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let bearer = s.client.get(s.url(path)).bearer_auth(KEY).send().await.unwrap();
        assert_eq!(bearer.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn bad_images_are_4xx_never_5xx() {
    let s = spawn(&["--max-body-bytes", "200000", "--max-image-pixels", "1000000"]).await;
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (b"definitely not an image".to_vec(), "image/png", 400, "invalid_image"),
        (Vec::new(), "image/png", 400, "invalid_image"),
        (png(64, 64)[..50].to_vec(), "image/png", 400, "invalid_image"),
        (png(2000, 2000), "image/png", 413, "payload_too_large"), // 4 MP > 1 MP limit
        (vec![0u8; 300_000], "image/png", 413, "payload_too_large"), // body over 200 kB
        (b"{}".to_vec(), "application/json", 415, "unsupported_media_type"),
    ];
    for (body, ct, status, code) in cases {
        let r = s.post("/v1/analyze").header("content-type", ct).body(body).send().await.unwrap();
        let (got, headers, problem) = json(r).await;
        assert_eq!(got, status, "{problem}");
        assert_eq!(problem["code"], code, "{problem}");
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    // The server is still fine afterwards.
    let r = s.post("/v1/analyze").header("content-type", "image/png").body(image("sofa/Scopia-beige_sofa.png"));
    assert_eq!(r.send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_recovers() {
    // One runner, one queue slot, no batching: 24 simultaneous requests must overflow.
    let s = spawn(&["--concurrency", "1", "--queue-capacity", "1", "--max-queue-delay-ms", "0"]).await;
    let body = image("sofa/Scopia-beige_sofa.png");
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let req = s.post("/v1/analyze?embedding=false").header("content-type", "image/png").body(body.clone());
        tasks.push(tokio::spawn(async move { json(req.send().await.unwrap()).await }));
    }
    let (mut ok, mut rejected) = (0, 0);
    for t in tasks {
        let (status, headers, problem) = t.await.unwrap();
        match status.as_u16() {
            200 => ok += 1,
            503 => {
                rejected += 1;
                assert_eq!(problem["code"], "overloaded");
                assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
            }
            other => panic!("unexpected {other}: {problem}"),
        }
    }
    assert!(ok >= 1 && rejected >= 1, "ok {ok}, rejected {rejected}");
    let metrics = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = metrics.lines().find(|l| l.starts_with("dl_api_rejected_total{model=\"efficientnet-lite0\"}")).unwrap();
    assert_eq!(line.rsplit(' ').next().unwrap().parse::<u64>().unwrap(), rejected);
    // Once the burst is over, requests succeed again.
    let r = s.post("/v1/analyze").header("content-type", "image/png").body(body).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn batching_groups_concurrent_requests() {
    let s = spawn(&["--concurrency", "1", "--max-batch", "8", "--max-queue-delay-ms", "50"]).await;
    let body = image("sofa/Scopia-beige_sofa.png");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let req = s.post("/v1/analyze?embedding=false").header("content-type", "image/png").body(body.clone());
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status() }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let metrics = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let sum = |name: &str| -> f64 {
        let prefix = format!("{name}{{model=\"efficientnet-lite0\"}}");
        metrics.lines().find(|l| l.starts_with(&prefix)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap()
    };
    let runs = sum("dl_api_batch_rows_count");
    let rows = sum("dl_api_batch_rows_sum");
    assert_eq!(rows, 8.0);
    assert!(runs < 8.0, "8 concurrent requests ran in {runs} runs: batching should merge some");
}

#[tokio::test]
async fn models_list_shapes_and_load_time() {
    let s = spawn(&[]).await;
    let (status, _, body) = json(s.get("/v1/models").send().await.unwrap()).await;
    assert_eq!(status, 200);
    let m = &body["models"][0];
    assert_eq!(m["name"], "efficientnet-lite0");
    assert_eq!(m["inputs"][0]["shape"], serde_json::json!([-1, 3, 224, 224]));
    assert_eq!(m["outputs"][1]["name"], "embedding");
    assert!(m["load_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(body["models"][1]["name"], "minilm-l6-v2");
}
