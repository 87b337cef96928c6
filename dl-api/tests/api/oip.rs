//! Open Inference Protocol in JSON (tritonclient's binary path is exercised by
//! `scripts/oip-conformance.py` in `make test`).

use serde_json::json;

use crate::helpers::{json, spawn};

#[tokio::test]
async fn metadata_readiness_and_json_infer() {
    let s = spawn(&[]).await;
    let (_, _, server) = json(s.get("/v2").send().await.unwrap()).await;
    assert!(server["extensions"].as_array().unwrap().contains(&json!("binary_tensor_data")));
    let (status, _, meta) = json(s.get("/v2/models/minilm-l6-v2").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(meta["inputs"][0], json!({ "name": "text", "datatype": "BYTES", "shape": [-1] }));
    let (status, _, ready) = json(s.get("/v2/models/efficientnet-lite0/versions/1/ready").send().await.unwrap()).await;
    assert_eq!((status.as_u16(), ready["ready"].clone()), (200, json!(true)));
    let (status, _, missing) = json(s.get("/v2/models/resnet").send().await.unwrap()).await;
    assert_eq!(status, 404, "{missing}");
    assert!(missing["error"].is_string());

    let req = json!({
        "id": "42",
        "inputs": [{ "name": "text", "datatype": "BYTES", "shape": [2], "data": ["wooden chair", "oak chair"] }],
    });
    let (status, headers, body) = json(s.post("/v2/models/minilm-l6-v2/infer").json(&req).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["id"], "42");
    assert_eq!(body["outputs"][0]["shape"], json!([2, 384]));
    assert_eq!(body["outputs"][0]["data"].as_array().unwrap().len(), 768);

    // A zero image through the raw tensor interface; only the logits asked for.
    let req = json!({
        "inputs": [{ "name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224], "data": vec![0.0; 3 * 224 * 224] }],
        "outputs": [{ "name": "logits" }],
    });
    let (status, _, body) = json(s.post("/v2/models/efficientnet-lite0/infer").json(&req).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(body["outputs"][0]["shape"], json!([1, 1000]));
}

#[tokio::test]
async fn malformed_infer_requests_are_400() {
    let s = spawn(&[]).await;
    let bad = [
        json!({ "inputs": [] }),
        json!({ "inputs": [{ "name": "input", "datatype": "FP32", "shape": [1, 3, 2, 2], "data": [0, 0, 0, 0] }] }),
        json!({ "inputs": [{ "name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224], "data": [1, 2, 3] }] }),
        json!({ "inputs": [{ "name": "input", "datatype": "INT64", "shape": [1, 3, 224, 224], "data": [] }] }),
        json!({ "inputs": [{ "name": "input", "datatype": "FP32", "shape": [100, 3, 224, 224], "parameters": { "binary_data_size": 4 } }] }),
        json!({ "inputs": [{ "name": "input", "datatype": "FP32", "shape": [-1, 3, 224, 224], "data": [] }] }),
    ];
    for req in bad {
        let (status, _, body) =
            json(s.post("/v2/models/efficientnet-lite0/infer").json(&req).send().await.unwrap()).await;
        assert_eq!(status, 400, "{req} → {body}");
        assert!(body["error"].is_string());
    }
    let r = s
        .post("/v2/models/efficientnet-lite0/infer")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
