//! `/v1/embed/text`: MiniLM sentence embeddings.

use crate::helpers::{json, spawn};

fn dot(a: &serde_json::Value, b: &serde_json::Value) -> f64 {
    a.as_array()
        .unwrap()
        .iter()
        .zip(b.as_array().unwrap())
        .map(|(x, y)| x.as_f64().unwrap() * y.as_f64().unwrap())
        .sum()
}

#[tokio::test]
async fn similar_sentences_are_closer_than_unrelated_ones() {
    let s = spawn(&[]).await;
    let texts = [
        "a comfortable grey fabric sofa",
        "a cosy gray couch for the living room",
        "a bright desk lamp with a metal arm",
    ];
    let r = s.post("/v1/embed/text").json(&serde_json::json!({ "texts": texts })).send().await.unwrap();
    let (status, _, body) = json(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dimensions"], 384);
    let e = body["embeddings"].as_array().unwrap();
    assert_eq!(e.len(), 3);
    assert!((dot(&e[0], &e[0]) - 1.0).abs() < 1e-3);
    let sofa_couch = dot(&e[0], &e[1]);
    let sofa_lamp = dot(&e[0], &e[2]);
    assert!(sofa_couch > 0.6 && sofa_couch > sofa_lamp + 0.3, "sofa~couch {sofa_couch}, sofa~lamp {sofa_lamp}");
}

#[tokio::test]
async fn bad_text_requests_are_400() {
    let s = spawn(&[]).await;
    for body in
        [serde_json::json!({ "texts": [] }), serde_json::json!({ "text": "x" }), serde_json::json!({ "texts": [1] })]
    {
        let (status, _, problem) = json(s.post("/v1/embed/text").json(&body).send().await.unwrap()).await;
        assert_eq!(status, 400, "{body} → {problem}");
    }
    let long = "가".repeat(10_001);
    let (status, _, _) =
        json(s.post("/v1/embed/text").json(&serde_json::json!({ "texts": [long] })).send().await.unwrap()).await;
    assert_eq!(status, 413);
}
