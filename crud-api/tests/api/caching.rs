//! HTTP caching as browsers and CDNs use it: strong ETags, If-None-Match (exact, weak, list and
//! `*` forms) answered with 304, Cache-Control by audience, gzip on request — and a new tag
//! after every change a page shows.

use std::io::Read;

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY};
use serde_json::{json, Value};

use crate::catalogue::{add_category, list_item, png, seller, upload_photo};
use crate::helpers::{spawn_app, TestApp};
use crate::orders::buy;

/// (status, ETag, Cache-Control, body) of a GET, with optional If-None-Match and token.
async fn get(app: &TestApp, path: &str, inm: Option<&str>, token: Option<&str>) -> (u16, String, String, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    if let Some(tag) = inm {
        req = req.header(IF_NONE_MATCH, tag);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let header = |name| res.headers().get(name).map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_string());
    let (status, etag, cache) =
        (res.status().as_u16(), header(ETAG).unwrap_or_default(), header(CACHE_CONTROL).unwrap_or_default());
    (status, etag, cache, res.bytes().await.unwrap().to_vec())
}

/// The tag now; asserts the old tag no longer gives a 304.
async fn changed(app: &TestApp, path: &str, old: &str, what: &str) -> String {
    let (status, tag, _, _) = get(app, path, Some(old), None).await;
    assert_eq!(status, 200, "{path} after {what}: still 304 for the old tag");
    assert_ne!(tag, old, "{path} after {what}");
    tag
}

#[tokio::test]
async fn public_reads_answer_304_to_their_tag_in_every_form() {
    let app = spawn_app().await;
    let s = seller(&app, "etag@example.com").await;
    let p = list_item(&app, &s, "sofa", "태그 소파", 90_000, json!({})).await;
    let seller_id = p["seller"]["id"].as_str().unwrap();
    for path in [
        "/api/v1/products".to_string(),
        format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
        "/api/v1/categories".to_string(),
        format!("/api/v1/sellers/{seller_id}"),
    ] {
        let (status, tag, cache, body) = get(&app, &path, None, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() > 20, "{path}: strong tag {tag}");
        assert_eq!(cache, "public, no-cache", "{path}");
        assert!(serde_json::from_slice::<Value>(&body).is_ok());
        let inner = tag.trim_matches('"');
        for inm in [tag.clone(), format!("W/{tag}"), format!("\"nope\", {tag}"), "*".to_string()] {
            let (status, again, cache, body) = get(&app, &path, Some(&inm), None).await;
            assert_eq!((status, body.len()), (304, 0), "{path} with If-None-Match: {inm}");
            assert_eq!(
                (again.as_str(), cache.as_str()),
                (tag.as_str(), "public, no-cache"),
                "{path}: a 304 keeps the headers"
            );
        }
        let (status, ..) = get(&app, &path, Some(&format!("\"{inner}x\"")), None).await;
        assert_eq!(status, 200, "{path}: another tag is a full answer");
    }
    // Signed-in answers are the viewer's own: private (a hidden listing shows to its seller).
    let (_, _, cache, _) = get(&app, "/api/v1/products", None, Some(&s)).await;
    assert_eq!(cache, "private, no-cache");
    let (status, _, cache, _) = get(&app, "/api/v1/cart", None, Some(&s)).await;
    assert_eq!((status, cache.as_str()), (200, "private, no-cache"));
}

#[tokio::test]
async fn every_change_a_page_shows_gives_it_a_new_tag() {
    let app = spawn_app().await;
    let s = seller(&app, "changes@example.com").await;
    let p = list_item(&app, &s, "sofa", "바뀌는 소파", 90_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let detail = format!("/api/v1/products/{id}");
    let profile = format!("/api/v1/sellers/{}", p["seller"]["id"].as_str().unwrap());
    let tag_of = |path: String| {
        let app = &app;
        async move { get(app, &path, None, None).await.1 }
    };
    let (mut list, mut one, mut seller_tag, mut cats) = (
        tag_of("/api/v1/products".into()).await,
        tag_of(detail.clone()).await,
        tag_of(profile.clone()).await,
        tag_of("/api/v1/categories".into()).await,
    );

    // A new listing: the list and the seller's counts.
    list_item(&app, &s, "desk", "새 책상", 30_000, json!({})).await;
    list = changed(&app, "/api/v1/products", &list, "a new listing").await;
    seller_tag = changed(&app, &profile, &seller_tag, "a new listing").await;
    // A price change: the detail and the list.
    assert_eq!(app.patch(&detail, json!({"price": 80_000}), Some(&s)).await.status, 200);
    one = changed(&app, &detail, &one, "a price change").await;
    list = changed(&app, "/api/v1/products", &list, "a price change").await;
    // A photo: the detail and the list's thumbnail.
    assert_eq!(upload_photo(&app, &s, id, png(200, 200), "p.png").await.status, 201);
    one = changed(&app, &detail, &one, "a photo").await;
    list = changed(&app, "/api/v1/products", &list, "a photo").await;
    // A sale reserves it: status and stock.
    buy(&app, "cache-buyer@example.com", id).await;
    one = changed(&app, &detail, &one, "a reservation").await;
    changed(&app, "/api/v1/products", &list, "a reservation").await;
    // The seller renames themselves: the card's seller name and the profile.
    assert_eq!(app.patch("/api/v1/users/me", json!({"name": "새 이름"}), Some(&s)).await.status, 200);
    changed(&app, &detail, &one, "a seller rename").await;
    changed(&app, &profile, &seller_tag, "a seller rename").await;
    // An admin adds a category.
    let admin = app.admin_token().await;
    add_category(&app, &admin, "outdoor", "야외", "Outdoor").await;
    cats = changed(&app, "/api/v1/categories", &cats, "a new category").await;
    let _ = cats;
}

#[tokio::test]
async fn answers_are_gzipped_on_request_with_their_own_tag() {
    let app = spawn_app().await;
    let s = seller(&app, "gzip@example.com").await;
    for i in 0..5 {
        list_item(&app, &s, "chair", &format!("압축 의자 {i}"), 10_000, json!({})).await;
    }
    let plain = app.client.get(app.url("/api/v1/products")).send().await.unwrap();
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain_tag = plain.headers()[ETAG].clone();
    let plain_body = plain.bytes().await.unwrap();
    let gz = app.client.get(app.url("/api/v1/products")).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(gz.headers()[CONTENT_ENCODING], "gzip");
    assert!(gz.headers().get_all(VARY).iter().any(|v| v.to_str().unwrap().to_lowercase().contains("accept-encoding")));
    let gz_tag = gz.headers()[ETAG].clone();
    assert_ne!(gz_tag, plain_tag, "each encoding has its own strong tag");
    let compressed = gz.bytes().await.unwrap();
    assert!(compressed.len() < plain_body.len(), "{} vs {}", compressed.len(), plain_body.len());
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, plain_body);
    let again = app
        .client
        .get(app.url("/api/v1/products"))
        .header(ACCEPT_ENCODING, "gzip")
        .header(IF_NONE_MATCH, gz_tag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}
