//! What a frontend shows without extra calls: names instead of ids, a thumbnail on every line
//! that shows a product, the delivery fee before payment, sums at checkout level, and one
//! list envelope.

use serde_json::{json, Value};

use crate::catalogue::{list_item, png, seller, upload_photo};
use crate::helpers::{spawn_app, spawn_with, TestApp};
use crate::orders::{add_to_cart, buy, checkout, mark_paid};
use crate::payments::{quote, unpaid_order};

/// A listing with one photo: (seller token, product id, thumbnail URL).
async fn listing_with_photo(app: &TestApp, email: &str, title: &str) -> (String, String, String) {
    let s = seller(app, email).await;
    let p = list_item(app, &s, "sofa", title, 120_000, json!({})).await;
    let id = p["id"].as_str().unwrap().to_string();
    let res = upload_photo(app, &s, &id, png(300, 200), "sofa.png").await;
    assert_eq!(res.status, 201, "{}", res.body);
    (s, id, res.body[0]["thumbnail_url"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn product_cards_name_their_seller_and_category_and_sellers_have_a_profile() {
    let app = spawn_app().await;
    let (_, id, thumb) = listing_with_photo(&app, "names@example.com", "이름 있는 소파").await;
    let page = app.get("/api/v1/products", None).await.body;
    let card = page["items"].as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).unwrap().clone();
    assert_eq!(card["category_name"], "소파");
    assert_eq!(card["seller_name"], "테스트 사용자", "{card}");
    assert_eq!(card["thumbnail_url"], thumb.as_str());
    assert!(page.get("next_cursor").is_none(), "the last page has no cursor at all: {page}");

    let seller_id = card["seller_id"].as_str().unwrap();
    let profile = app.get(&format!("/api/v1/sellers/{seller_id}"), None).await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.body["name"], card["seller_name"]);
    assert_eq!((profile.body["active_listings"].as_i64(), profile.body["sold_listings"].as_i64()), (Some(1), Some(0)));
    assert!(!profile.body.to_string().contains("names@example.com"), "no email: {}", profile.body);
    let listings_url = profile.body["listings_url"].as_str().unwrap();
    assert_eq!(listings_url, format!("{}/api/v1/products?seller={seller_id}", app.base));
    let listings = app.get(listings_url, None).await.body;
    assert_eq!(listings["items"][0]["id"], id.as_str());

    // A buyer who never sold anything has no seller profile; nor does a made-up id.
    let (token, _, _) = app.signup("buyer-only@example.com").await;
    let buyer_id = app.get("/api/v1/users/me", Some(&token)).await.body["id"].as_str().unwrap().to_string();
    app.get(&format!("/api/v1/sellers/{buyer_id}"), None).await.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/sellers/{}", uuid::Uuid::now_v7()), None).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn cart_lines_order_items_deliveries_and_notifications_show_the_photo() {
    let app = spawn_app().await;
    let (seller, id, thumb) = listing_with_photo(&app, "thumbs@example.com", "사진 있는 소파").await;
    let (buyer, _, _) = app.signup("thumb-buyer@example.com").await;
    assert_eq!(add_to_cart(&app, &buyer, &id, 1).await.status, 201);
    let cart = app.get("/api/v1/cart", Some(&buyer)).await.body;
    assert_eq!(cart["lines"][0]["thumbnail_url"], thumb.as_str(), "{cart}");

    let placed = checkout(&app, &buyer, "thumbs-1").await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.body["orders"][0]["items"][0]["thumbnail_url"], thumb.as_str());
    let order = placed.body["orders"][0]["id"].as_str().unwrap().to_string();
    let listed = app.get("/api/v1/orders", Some(&buyer)).await.body;
    assert_eq!(listed["items"][0]["items"][0]["thumbnail_url"], thumb.as_str());
    let one = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    assert_eq!(one["items"][0]["thumbnail_url"], thumb.as_str());

    let notes = app.get("/api/v1/notifications", Some(&seller)).await.body;
    let placed_note = notes["items"].as_array().unwrap().iter().find(|n| n["kind"] == "order_placed").cloned();
    assert_eq!(placed_note.expect("an order_placed notification")["thumbnail_url"], thumb.as_str(), "{notes}");

    mark_paid(&app, &order).await;
    let (rider, _) = app.rider("thumb-rider@example.com").await;
    let offers = app.get("/api/v1/rider/deliveries?status=available", Some(&rider)).await.body;
    assert_eq!(offers["items"][0]["items"][0]["thumbnail_url"], thumb.as_str(), "{offers}");
}

/// The total a buyer sees at checkout is the total the quote asks for: the delivery fee is
/// estimated when the order is placed, not added at payment.
#[tokio::test]
async fn the_total_does_not_jump_between_checkout_and_payment() {
    let app = spawn_app().await;
    let (buyer, order) = unpaid_order(&app, "nojump").await;
    let before = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    let fee = before["delivery_fee"].as_i64().unwrap();
    assert!(fee > 0, "a sofa across Seoul is not delivered for free: {before}");
    assert_eq!(before["total"].as_i64().unwrap(), before["subtotal"].as_i64().unwrap() + fee);
    let q = quote(&app, &buyer, &order, None).await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.body["plan"]["delivery_fee"].as_i64(), Some(fee));
    assert_eq!(q.body["plan"]["total"], before["total"]);
    let after = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    assert_eq!(after["total"], before["total"]);
}

/// Deliveries come in the same `{items, next_cursor}` envelope as every other list, a page at
/// a time, nearest first across pages.
#[tokio::test]
async fn deliveries_are_a_page_like_every_other_list() {
    let app = spawn_app().await;
    let s = seller(&app, "many@example.com").await;
    let mut orders = Vec::new();
    for i in 0..3 {
        let p = list_item(&app, &s, "desk", &format!("책상 {i}"), 10_000, json!({})).await;
        let (_, order) = buy(&app, &format!("many-{i}@example.com"), p["id"].as_str().unwrap()).await;
        mark_paid(&app, &order).await;
        orders.push(order);
    }
    let (rider, _) = app.rider("pager@example.com").await;
    let first = app.get("/api/v1/rider/deliveries?limit=2", Some(&rider)).await.body;
    assert_eq!(first["items"].as_array().unwrap().len(), 2, "{first}");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app.get(&format!("/api/v1/rider/deliveries?limit=2&cursor={cursor}"), Some(&rider)).await.body;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert!(second.get("next_cursor").is_none(), "{second}");
    let mut seen: Vec<Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|d| d["order_id"].clone())
        .collect();
    seen.sort_by_key(|v| v.to_string());
    let mut want: Vec<Value> = orders.iter().map(|o| json!(o)).collect();
    want.sort_by_key(|v| v.to_string());
    assert_eq!(seen, want);
    app.get("/api/v1/rider/deliveries?cursor=bm9wZXM", Some(&rider)).await.assert_problem(422, "validation_failed");
    assert_eq!(app.get("/api/v1/rider/deliveries?cursor=_____w", Some(&rider)).await.body["items"], json!([]));
    let empty = app.get("/api/v1/rider/deliveries?limit=2&cursor=", Some(&rider)).await.body;
    assert_eq!(empty["items"].as_array().unwrap().len(), 2, "an empty cursor is the first page");
}

/// A form's field errors read as words a user can act on, never serde's text (Rust types,
/// line and column); a whole number written as `3.0` (what JavaScript's JSON.stringify of a
/// computed number can give) is a whole number.
#[tokio::test]
async fn input_errors_are_words_and_whole_doubles_are_integers() {
    let app = spawn_app().await;
    let s = seller(&app, "words@example.com").await;
    let p = list_item(&app, &s, "sofa", "말로 하는 소파", 10_000, json!({"quantity": 5})).await;
    let (buyer, _, _) = app.signup("words-buyer@example.com").await;
    let id = p["id"].as_str().unwrap();
    for (body, field, message) in [
        (json!({"product_id": id, "quantity": "3"}), "quantity", "must be a whole number"),
        (json!({"product_id": id, "quantity": 2.5}), "quantity", "must be a whole number"),
        (json!({"product_id": "nope", "quantity": 1}), "product_id", "must be a UUID"),
        (json!({"quantity": 1}), "product_id", "is required"),
    ] {
        let res = app.post("/api/v1/cart/items", body.clone(), Some(&buyer)).await;
        res.assert_problem(422, "validation_failed");
        let e = &res.body["errors"][0];
        assert_eq!((e["field"].as_str(), e["message"].as_str()), (Some(field), Some(message)), "{body}: {}", res.body);
        let text = res.body.to_string();
        for serde_words in ["line ", "column", "i32", "invalid type", "expected"] {
            assert!(!text.contains(serde_words), "{body}: {text}");
        }
    }
    let res = app.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 3.0}), Some(&buyer)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["lines"][0]["quantity"], 3);
}

/// Image URLs are absolute: a page on another origin (or a mobile app) puts them in `<img src>`
/// as they are. Root-relative ones resolved against the page's own host and 404'd there.
#[tokio::test]
async fn image_urls_are_absolute_on_this_api_or_on_the_photo_host() {
    let app = spawn_app().await;
    let (seller, id, thumb) = listing_with_photo(&app, "absolute@example.com", "절대 주소 소파").await;
    assert!(thumb.starts_with(&format!("{}/api/v1/images/", app.base)), "{thumb}");
    let detail = app.get(&format!("/api/v1/products/{id}"), None).await.body;
    for url in ["url", "thumbnail_url", "display_url"] {
        let url = detail["images"][0][url].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/api/v1/images/", app.base)), "{url}");
        // Fetched exactly as given, from anywhere.
        let res = reqwest::get(url).await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("image/"));
    }
    assert_eq!(detail["images"][0]["thumbnail_url"], thumb.as_str());
    let (buyer, _, _) = app.signup("absolute-buyer@example.com").await;
    assert_eq!(add_to_cart(&app, &buyer, &id, 1).await.status, 201);
    assert_eq!(app.get("/api/v1/cart", Some(&buyer)).await.body["lines"][0]["thumbnail_url"], thumb.as_str());
    drop(seller);

    // Photos served from a CDN or the bucket: every URL names that host and the stored key.
    let cdn = spawn_with(|c| c.image_base_url = Some("https://img.example.net/photos/".into())).await;
    let (_, id, thumb) = listing_with_photo(&cdn, "cdn@example.com", "CDN 소파").await;
    let key = thumb.strip_prefix("https://img.example.net/photos/").unwrap_or_else(|| panic!("{thumb}"));
    assert!(!key.contains('/') && key.ends_with(".jpg"), "{key}");
    let detail = cdn.get(&format!("/api/v1/products/{id}"), None).await.body;
    assert!(detail["images"][0]["url"].as_str().unwrap().starts_with("https://img.example.net/photos/"));
    // … and this API still serves the same key, for a CDN that pulls from it.
    let served = cdn.client.get(cdn.url(&format!("/api/v1/images/{key}"))).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let card = cdn.get("/api/v1/products", None).await.body["items"][0].clone();
    assert_eq!(card["thumbnail_url"], thumb.as_str());
}
