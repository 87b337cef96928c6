//! `/v1/analyze` and `/v1/analyze/stream` on real furniture renders.

use futures_util::StreamExt;
use serde_json::Value;

use crate::helpers::{image, json, spawn};

/// Known renders (none of them in the category head's training set) → expected
/// category and a top-5 ImageNet label. The kids' desk is labelled "desk" by ImageNet
/// but the head, trained on four desks, calls it storage (docs/ml.md lists its
/// confusions), so only its labels are checked.
const KNOWN: &[(&str, &str, &str)] = &[
    ("sofa/Scopia-beige_sofa.png", "sofa", "studio couch"),
    ("storage/Scopia-wardrobe1.png", "storage", "chiffonier"),
    ("desk/Scopia-kids_wooden_desk.png", "", "desk"),
    ("chair/Scopia-office_chair.png", "chair", "barber chair"),
    ("table/Scopia-bar_table.png", "table", "dining table"),
    ("lighting/Scopia-desk_lamp1.png", "lighting", "spotlight"),
];

#[tokio::test]
async fn known_renders_get_their_category_labels_colours_and_embedding() {
    let s = spawn(&[]).await;
    for (path, category, label) in KNOWN {
        let r = s.post("/v1/analyze").header("content-type", "image/png").body(image(path)).send().await.unwrap();
        let (status, _, mut body) = json(r).await;
        let embedding = body.as_object_mut().unwrap().remove("embedding").unwrap_or_default();
        assert_eq!(status, 200, "{path}: {body}");
        if !category.is_empty() {
            assert_eq!(body["category"]["slug"], *category, "{path}: {body}");
            assert!(body["category"]["confidence"].as_f64().unwrap() > 0.4, "{path}: {body}");
            assert_eq!(body["category"]["calibrated"], true, "{path}: {body}");
        }
        let labels: Vec<&str> =
            body["labels"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap()).collect();
        assert_eq!(labels.len(), 5);
        assert!(labels.contains(label), "{path}: expected {label} in {labels:?}");
        let embedding = embedding.as_array().unwrap();
        assert_eq!(embedding.len(), 1280);
        let norm: f64 = embedding.iter().map(|v| v.as_f64().unwrap().powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "embedding is L2-normalised, norm {norm}");
        assert!(!body["colours"].as_array().unwrap().is_empty());
        assert_eq!(body["width"], 128);
    }
}

#[tokio::test]
async fn a_beige_sofa_is_beige_and_multipart_uploads_work() {
    let s = spawn(&[]).await;
    let part = reqwest::multipart::Part::bytes(image("sofa/Scopia-beige_sofa.png"))
        .file_name("sofa.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("image", part);
    let r = s.post("/v1/analyze?embedding=false").multipart(form).send().await.unwrap();
    let (status, _, body) = json(r).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("embedding").is_none());
    // Transparent background is ignored: the sofa's own colour leads.
    assert_eq!(body["colours"][0]["name"], "beige", "{body}");
}

#[tokio::test]
async fn stream_returns_one_line_per_image_then_done() {
    let s = spawn(&[]).await;
    let mut form = reqwest::multipart::Form::new();
    let files = ["sofa/Scopia-beige_sofa.png", "storage/Scopia-wardrobe1.png", "lighting/Scopia-desk_lamp1.png"];
    for (i, f) in files.iter().enumerate() {
        let part =
            reqwest::multipart::Part::bytes(image(f)).file_name(format!("{i}.png")).mime_str("image/png").unwrap();
        form = form.part("images", part);
    }
    // One broken image: its line carries an error, the stream goes on.
    let bad =
        reqwest::multipart::Part::bytes(b"not an image".to_vec()).file_name("bad.png").mime_str("image/png").unwrap();
    form = form.part("images", bad);
    let r = s.post("/v1/analyze/stream?embedding=false").multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let mut body = Vec::new();
    let mut chunks = r.bytes_stream();
    while let Some(c) = chunks.next().await {
        body.extend_from_slice(&c.unwrap());
    }
    let lines: Vec<Value> =
        String::from_utf8(body).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines.last().unwrap()["done"], true);
    assert_eq!(lines.last().unwrap()["count"], 4);
    let mut by_index: Vec<&Value> = lines[..4].iter().collect();
    by_index.sort_by_key(|l| l["index"].as_u64().unwrap());
    assert_eq!(by_index[0]["result"]["category"]["slug"], "sofa");
    assert_eq!(by_index[1]["result"]["category"]["slug"], "storage");
    assert_eq!(by_index[2]["result"]["category"]["slug"], "lighting");
    assert_eq!(by_index[3]["error"]["status"], 400);
    assert_eq!(by_index[3]["filename"], "bad.png");
}

#[tokio::test]
async fn stream_speaks_server_sent_events_when_asked() {
    let s = spawn(&[]).await;
    let part = reqwest::multipart::Part::bytes(image("sofa/Scopia-beige_sofa.png"))
        .file_name("a.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("images", part);
    let r = s.post("/v1/analyze/stream").header("accept", "text/event-stream").multipart(form).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let text = r.text().await.unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 2, "{text}");
    assert!(events.iter().all(|e| e.starts_with("data: {")));
    assert!(events[1].contains("\"done\":true"));
}

/// Issue 17: a bed came back "sofa" with confidence 0.99 and there was no "not sure".
/// With the calibrated head, a bed ImageNet's mapping called sofa (0.86) is a bed, and
/// one the head is unsure of gets no category (abstained) instead of a wrong one.
/// Neither render is in the head's training set.
#[tokio::test]
async fn beds_are_not_confident_sofas_and_an_unsure_photo_gets_no_category() {
    let s = spawn(&[]).await;
    let analyse = |path: &'static str| {
        let r = s.post("/v1/analyze?embedding=false").header("content-type", "image/png").body(image(path)).send();
        async move { json(r.await.unwrap()).await.2 }
    };
    let iron = analyse("bed/Scopia-iron_bed.png").await;
    assert_eq!(iron["categories"][0]["category"], "sofa", "the mapping alone says sofa: {iron}");
    assert_eq!(iron["category"]["slug"], "bed", "{iron}");
    assert_eq!(iron["abstained"], false);

    let day_bed = analyse("bed/Scopia-day_bed_frame.png").await;
    assert_eq!(day_bed["categories"][0]["category"], "sofa", "the mapping alone says sofa: {day_bed}");
    assert!(day_bed["category"].is_null(), "{day_bed}");
    assert_eq!(day_bed["abstained"], true);
    let probabilities = day_bed["probabilities"].as_array().unwrap();
    assert_eq!(probabilities.len(), 7);
    let best = probabilities[0]["score"].as_f64().unwrap();
    assert!(best < 0.5, "abstains below 0.5, best guess {best}");
    let sum: f64 = probabilities.iter().map(|p| p["score"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4);
}
