//! Recommendations through the tenant's recommendation strategy.

use serde_json::json;

use crate::catalogue::{list_item, seller};
use crate::helpers::spawn_app;
use crate::orders::{add_to_cart, buy};

#[tokio::test]
async fn recommendations_follow_what_you_buy_and_want() {
    let app = spawn_app().await;
    let s = seller(&app, "rec-seller@example.com").await;
    let bought =
        list_item(&app, &s, "sofa", "모던 가죽 소파", 300_000, json!({"style_tags": ["modern", "leather"]})).await;
    let lamp = list_item(&app, &s, "lighting", "모던 조명", 80_000, json!({"style_tags": ["modern"]})).await;
    list_item(&app, &s, "decor", "빈티지 액자", 20_000, json!({"style_tags": ["vintage"]})).await;
    for i in 0..6 {
        list_item(&app, &s, "sofa", &format!("모던 소파 {i}"), 250_000 + i * 1000, json!({"style_tags": ["modern"]}))
            .await;
    }
    let (buyer, _) = buy(&app, "rec-buyer@example.com", bought["id"].as_str().unwrap()).await;
    let res = app.get("/api/v1/recommendations?limit=5", Some(&buyer)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let items = res.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i["product"]["id"] != bought["id"]), "reserved items are not offered");
    let tags: Vec<String> = items
        .iter()
        .flat_map(|i| i["product"]["style_tags"].as_array().unwrap().iter().map(|t| t.to_string()))
        .collect();
    assert!(tags.iter().filter(|t| t.contains("modern")).count() >= 4, "{tags:?}");
    assert!(items.iter().all(|i| i["reason"].is_string() && i["score"].is_number()));
    assert_eq!(res.body["strategy"]["plugin_digest"], serde_json::Value::Null, "built-in without a plugin");
    // Diversity: at most 3 sofas in the top 5.
    assert!(items.iter().filter(|i| i["product"]["category_id"] == bought["category"]["id"]).count() <= 3);

    // What is in the cart is not recommended again.
    add_to_cart(&app, &buyer, lamp["id"].as_str().unwrap(), 1).await;
    let res = app.get("/api/v1/recommendations?limit=20", Some(&buyer)).await;
    assert!(res.body["items"].as_array().unwrap().iter().all(|i| i["product"]["id"] != lamp["id"]));
    app.get("/api/v1/recommendations?limit=0", Some(&buyer)).await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn similar_items_share_style_and_exclude_the_item() {
    let app = spawn_app().await;
    let s = seller(&app, "sim-seller@example.com").await;
    let p = list_item(&app, &s, "dining-table", "원목 식탁", 200_000, json!({"style_tags": ["wood", "natural"]})).await;
    let twin =
        list_item(&app, &s, "dining-table", "원목 식탁 2", 210_000, json!({"style_tags": ["wood", "natural"]})).await;
    list_item(&app, &s, "lighting", "네온 조명", 900_000, json!({"style_tags": ["neon"]})).await;
    let res = app.get(&format!("/api/v1/products/{}/similar?limit=2", p["id"].as_str().unwrap()), None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let items = res.body["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["product"]["id"] != p["id"]));
    assert_eq!(items[0]["product"]["id"], twin["id"]);
    app.get(&format!("/api/v1/products/{}/similar", uuid::Uuid::now_v7()), None).await.assert_problem(404, "not_found");
}

/// The recommender hears what a buyer looked at (`recent-categories`) and how popular each
/// listing is (`popularity`): both were sent empty and zero, so a strategy that used them
/// scored everyone the same.
#[tokio::test]
async fn looks_carts_and_orders_reach_the_recommender() {
    use crud_api::recommendations::store::signals;
    let app = spawn_app().await;
    let s = seller(&app, "signals-seller@example.com").await;
    // Same price, age and tags; the desk is listed first, and equal scores keep the order the
    // host offers the candidates in (newest first), so ties would put it last.
    let desk = list_item(&app, &s, "desk", "책상 하나", 50_000, json!({})).await;
    let mut others = Vec::new();
    for slug in ["chair", "table", "lighting"] {
        others.push(list_item(&app, &s, slug, &format!("{slug} 하나"), 50_000, json!({})).await);
    }
    let (looker, _, _) = app.signup("looker@example.com").await;
    let first = |body: &serde_json::Value| body["items"][0]["product"]["id"].clone();
    let before = app.get("/api/v1/recommendations?limit=4", Some(&looker)).await.body;
    assert_ne!(first(&before), desk["id"], "{before}");

    let desk_id = desk["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/products/{desk_id}"), Some(&looker)).await.status, 200);
    let after = app.get("/api/v1/recommendations?limit=4", Some(&looker)).await.body;
    assert_eq!(first(&after), desk["id"], "{after}");
    assert_eq!(after["items"][0]["reason"], "관심 카테고리");

    // Popularity: looks, carts (×3) and orders (×5), relative to the most popular candidate.
    let chair = others[0]["id"].as_str().unwrap().to_string();
    buy(&app, "chair-buyer@example.com", &chair).await;
    let (carter, _, _) = app.signup("carter@example.com").await;
    add_to_cart(&app, &carter, desk_id, 1).await;
    let ids: Vec<uuid::Uuid> =
        [&chair, desk_id, others[1]["id"].as_str().unwrap()].iter().map(|i| i.parse().unwrap()).collect();
    let p = signals::popularity(&app.state.db, &ids).await.unwrap();
    // chair: an order (5) and, checking out, it was in a cart — gone from the cart now (0);
    // desk: a look (1) and a cart (3); table: nothing.
    assert_eq!(p[&ids[0]], 1.0, "{p:?}");
    assert!((p[&ids[1]] - 4.0 / 5.0).abs() < 1e-9, "{p:?}");
    assert_eq!(p[&ids[2]], 0.0, "{p:?}");
    // A seller looking at their own listing is not a buyer's look.
    app.get(&format!("/api/v1/products/{chair}"), Some(&s)).await;
    let again = signals::popularity(&app.state.db, &ids).await.unwrap();
    assert!((again[&ids[1]] - 4.0 / 5.0).abs() < 1e-9, "the chair stays at 5, not 6: {again:?}");
}

/// Candidates are one in-memory snapshot per replica (recommendations::candidates), up to a
/// second old: a listing sold by another replica meanwhile must still never be shown, and one
/// listed through this replica is offered by the next request.
#[tokio::test]
async fn recommended_listings_are_shown_as_they_are_now() {
    let app = spawn_app().await;
    let s = seller(&app, "snap-seller@example.com").await;
    let p = list_item(&app, &s, "dining-table", "원목 식탁", 200_000, json!({"style_tags": ["wood"]})).await;
    let twin = list_item(&app, &s, "dining-table", "원목 식탁 2", 210_000, json!({"style_tags": ["wood"]})).await;
    let similar = format!("/api/v1/products/{}/similar?limit=10", p["id"].as_str().unwrap());
    let ids = |body: &serde_json::Value| -> Vec<serde_json::Value> {
        body["items"].as_array().unwrap().iter().map(|i| i["product"]["id"].clone()).collect()
    };
    assert!(ids(&app.get(&similar, None).await.body).contains(&twin["id"]));

    // Sold through the database directly, as another replica's checkout would: this replica's
    // snapshot still holds it as on sale, the page must not.
    let twin_id: uuid::Uuid = twin["id"].as_str().unwrap().parse().unwrap();
    let sell = "UPDATE products SET available = 0, sold = 1 WHERE id = $1";
    match &app.state.db {
        crud_api::platform::db::Db::Sqlite(pool) => sqlx::query(sell).bind(twin_id).execute(pool).await.map(|_| ()),
        crud_api::platform::db::Db::Postgres(pool) => sqlx::query(sell).bind(twin_id).execute(pool).await.map(|_| ()),
    }
    .unwrap();
    let page = app.get(&similar, None).await.body;
    assert!(!ids(&page).contains(&twin["id"]), "a sold listing was recommended: {page}");

    // Listed through this replica: offered at once, not a second later.
    let new = list_item(&app, &s, "dining-table", "원목 식탁 3", 205_000, json!({"style_tags": ["wood"]})).await;
    let page = app.get(&similar, None).await.body;
    assert!(ids(&page).contains(&new["id"]), "a new listing waited for the next snapshot: {page}");
}
