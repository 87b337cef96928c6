//! Categories, listings, search, pagination, photos.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, wait_for, TestApp};

async fn category_id(app: &TestApp, slug: &str) -> String {
    let tree = app.get("/api/v1/categories", None).await.body;
    fn find(nodes: &Value, slug: &str) -> Option<String> {
        nodes.as_array()?.iter().find_map(|n| {
            if n["slug"] == slug {
                n["id"].as_str().map(String::from)
            } else {
                find(&n["children"], slug)
            }
        })
    }
    find(&tree, slug).unwrap_or_else(|| panic!("no category {slug}"))
}

/// A seller's access token.
pub async fn seller(app: &TestApp, email: &str) -> String {
    let (access, _, _) = app.signup(email).await;
    let res = app.patch("/api/v1/users/me", json!({"is_seller": true}), Some(&access)).await;
    assert_eq!(res.status, 200);
    access
}

/// An admin adds a top-level category; the answer must be 201.
pub async fn add_category(app: &TestApp, admin: &str, slug: &str, name: &str, name_en: &str) {
    let res = app
        .post("/api/v1/admin/categories", json!({"slug": slug, "name": name, "name_en": name_en}), Some(admin))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
}

pub async fn list_item(app: &TestApp, token: &str, slug: &str, title: &str, price: i64, extra: Value) -> Value {
    let mut body = json!({"title": title, "description": "", "price": price, "category_id": category_id(app, slug).await,
                          "condition": "good", "area": "마포구"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = app.post("/api/v1/products", body, Some(token)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body
}

#[tokio::test]
async fn seeded_category_tree() {
    let app = spawn_app().await;
    let tree = app.get("/api/v1/categories", None).await;
    assert_eq!(tree.status, 200);
    let slugs: Vec<_> = tree.body.as_array().unwrap().iter().map(|n| n["slug"].as_str().unwrap()).collect();
    for s in ["sofa", "chair", "table", "bed", "storage", "desk", "lighting", "decor"] {
        assert!(slugs.contains(&s), "{slugs:?}");
    }
    let table = tree.body.as_array().unwrap().iter().find(|n| n["slug"] == "table").unwrap();
    assert!(table["children"].as_array().unwrap().iter().any(|c| c["slug"] == "dining-table" && c["name"] == "식탁"));
}

#[tokio::test]
async fn admins_manage_categories() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (customer, _, _) = app.signup("c@example.com").await;
    let body = json!({"slug": "outdoor", "name": "야외 가구", "name_en": "Outdoor"});
    app.post("/api/v1/admin/categories", body.clone(), Some(&customer)).await.assert_problem(403, "forbidden");
    let res = app.post("/api/v1/admin/categories", body.clone(), Some(&admin)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let outdoor = res.body["id"].as_str().unwrap().to_string();
    app.post("/api/v1/admin/categories", body, Some(&admin)).await.assert_problem(409, "slug_taken");

    let res = app
        .post(
            "/api/v1/admin/categories",
            json!({"slug": "garden-chair", "name": "정원 의자", "name_en": "Garden chairs", "parent_id": outdoor}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 201);
    let child = res.body["id"].as_str().unwrap().to_string();
    // A cycle is refused: a conflict with the tree as it is; a parent that is not there, a 404.
    let res =
        app.patch(&format!("/api/v1/admin/categories/{outdoor}"), json!({"parent_id": child}), Some(&admin)).await;
    res.assert_problem(409, "category_cycle");
    let missing = json!({"parent_id": uuid::Uuid::now_v7()});
    app.patch(&format!("/api/v1/admin/categories/{outdoor}"), missing, Some(&admin))
        .await
        .assert_problem(404, "not_found");
    // A category with children can't be deleted; a leaf can.
    let path = format!("/api/v1/admin/categories/{outdoor}");
    app.send(app.client.delete(app.url(&path)).bearer_auth(&admin)).await.assert_problem(409, "category_in_use");
    let res =
        app.send(app.client.delete(app.url(&format!("/api/v1/admin/categories/{child}"))).bearer_auth(&admin)).await;
    assert_eq!(res.status, 204);
    let res = app.patch(&path, json!({"name": "아웃도어", "parent_id": null}), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["name"], "아웃도어");
}

#[tokio::test]
async fn only_sellers_list_and_only_owners_edit() {
    let app = spawn_app().await;
    let (customer, _, _) = app.signup("buyer@example.com").await;
    let body = json!({"title": "소파", "price": 1000, "category_id": category_id(&app, "sofa").await, "condition": "good", "area": "마포구"});
    app.post("/api/v1/products", body, Some(&customer)).await.assert_problem(403, "not_a_seller");

    let s = seller(&app, "seller@example.com").await;
    let p = list_item(
        &app,
        &s,
        "sofa",
        "이케아 3인용 가죽소파",
        150_000,
        json!({"style_tags": ["Modern", "leather"], "dimensions": {"width_cm": 210, "depth_cm": 90, "height_cm": 85}}),
    )
    .await;
    assert_eq!(p["status"], "on_sale");
    assert_eq!(p["quantity"], 1);
    assert_eq!(p["available"], 1);
    assert_eq!(p["style_tags"], json!(["modern", "leather"]));
    assert_eq!(p["category"]["slug"], "sofa");
    assert_eq!(p["dimensions"]["width_cm"], 210);
    let id = p["id"].as_str().unwrap();
    let path = format!("/api/v1/products/{id}");

    app.patch(&path, json!({"price": 1}), Some(&customer)).await.assert_problem(403, "forbidden");
    let res = app.patch(&path, json!({"price": 120_000, "quantity": 2}), Some(&s)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!((res.body["price"].as_i64(), res.body["available"].as_i64()), (Some(120_000), Some(2)));
    app.patch(&path, json!({"hidden": true}), Some(&s)).await.assert_problem(403, "forbidden");

    // Admin hides it: gone for the public, visible to its seller.
    let admin = app.admin_token().await;
    assert_eq!(app.patch(&path, json!({"hidden": true}), Some(&admin)).await.body["status"], "hidden");
    app.get(&path, None).await.assert_problem(404, "not_found");
    assert_eq!(app.get(&path, Some(&s)).await.status, 200);
    assert_eq!(app.get("/api/v1/products", None).await.body["items"].as_array().unwrap().len(), 0);

    assert_eq!(app.send(app.client.delete(app.url(&path)).bearer_auth(&s)).await.status, 204);
    app.get(&path, Some(&s)).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn listing_validation_names_fields() {
    let app = spawn_app().await;
    let s = seller(&app, "v@example.com").await;
    let res = app
        .post(
            "/api/v1/products",
            json!({"title": "x", "price": -5, "category_id": uuid::Uuid::now_v7(), "condition": "good",
            "area": "", "quantity": 0, "style_tags": ["a b"], "dimensions": {"width_cm": 0}}),
            Some(&s),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    let mut fields: Vec<_> =
        res.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    fields.sort();
    assert_eq!(fields, ["area", "dimensions.width_cm", "price", "quantity", "style_tags[0]", "title"]);
    // A well-formed listing whose category does not exist: what it names is missing (a
    // generated client can't tell that from the schema, so it is not a 422).
    let res = app
        .post(
            "/api/v1/products",
            json!({"title": "소파", "price": 5, "category_id": uuid::Uuid::now_v7(), "condition": "good", "area": "마포구"}),
            Some(&s),
        )
        .await;
    res.assert_problem(404, "not_found");
    assert!(res.body["detail"].as_str().unwrap().contains("category"), "{}", res.body);
    let res = app
        .post("/api/v1/products", json!({"title": "소파", "price": 5, "category_id": category_id(&app, "sofa").await, "condition": "broken", "area": "x"}), Some(&s))
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "condition");
}

#[tokio::test]
async fn titles_are_one_line_of_text_that_displays_as_it_reads() {
    // Titles took NUL, right-to-left overrides and line breaks, while names refused them.
    let app = spawn_app().await;
    let s = seller(&app, "text@example.com").await;
    let category = category_id(&app, "sofa").await;
    let listing = |title: &str, description: &str| {
        json!({"title": title, "description": description, "price": 10_000, "category_id": category,
               "condition": "good", "area": "마포구"})
    };
    for (title, why) in [
        ("소파\0숨김", "control characters"),
        ("두 줄\n제목", "line breaks"),
        ("\u{202E}afos gnol", "bidirectional"),
        ("isolated \u{2066}text\u{2069}", "bidirectional"),
    ] {
        let res = app.post("/api/v1/products", listing(title, ""), Some(&s)).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], "title", "{title:?}: {}", res.body);
        assert!(res.body["errors"][0]["message"].as_str().unwrap().contains(why), "{}", res.body);
    }
    // Descriptions are free text: line breaks and tabs yes, NUL and overrides no.
    let ok = app.post("/api/v1/products", listing("원목 소파", "첫 줄\n둘째 줄\t끝"), Some(&s)).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let res = app.post("/api/v1/products", listing("원목 소파", "nul\0"), Some(&s)).await;
    assert_eq!(res.body["errors"][0]["field"], "description", "{}", res.body);
    // Names follow the same rule for overrides.
    let res = app.patch("/api/v1/users/me", json!({"name": "\u{202E}nimda"}), Some(&s)).await;
    res.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn search_finds_korean_inside_compounds_and_english_prefixes() {
    let app = spawn_app().await;
    let s = seller(&app, "search@example.com").await;
    list_item(&app, &s, "sofa", "이케아 3인용 가죽소파", 150_000, json!({})).await;
    list_item(&app, &s, "sofa", "Grey fabric sofa", 90_000, json!({"area": "용산구"})).await;
    list_item(&app, &s, "dining-table", "6인용 원목 식탁", 280_000, json!({"description": "아카시아 원목"})).await;
    list_item(&app, &s, "desk", "Oak standing desk", 320_000, json!({"style_tags": ["modern"]})).await;

    let titles = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect()
    };
    let res = app.get("/api/v1/products?q=소파", None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let t = titles(&res.body);
    assert!(t.contains(&"이케아 3인용 가죽소파".to_string()), "{t:?}");
    // The category name is indexed too: "Grey fabric sofa" is in 소파.
    assert!(t.contains(&"Grey fabric sofa".to_string()), "{t:?}");
    assert_eq!(t.len(), 2);

    assert_eq!(titles(&app.get("/api/v1/products?q=가죽소파", None).await.body), ["이케아 3인용 가죽소파"]);
    assert_eq!(titles(&app.get("/api/v1/products?q=원목", None).await.body), ["6인용 원목 식탁"]);
    assert_eq!(titles(&app.get("/api/v1/products?q=sta", None).await.body), ["Oak standing desk"]);
    assert_eq!(titles(&app.get("/api/v1/products?q=oak%20desk", None).await.body), ["Oak standing desk"]);
    assert!(titles(&app.get("/api/v1/products?q=wardrobe", None).await.body).is_empty());
    // Filters combine with search.
    assert_eq!(titles(&app.get("/api/v1/products?q=sofa&max_price=100000", None).await.body), ["Grey fabric sofa"]);
    // Hostile query text is just text.
    assert_eq!(app.get("/api/v1/products?q=%22%20OR%20*%20--", None).await.status, 200);
}

#[tokio::test]
async fn search_ranks_the_category_it_names_first_and_a_single_syllable_is_a_prefix() {
    let app = spawn_app().await;
    let s = seller(&app, "ranking@example.com").await;
    // A desk whose short description mentions 받침대 (a stand; its bigrams include 침대) ranked
    // above real beds for "침대": the index's rank alone prefers the shorter text.
    list_item(&app, &s, "desk", "책상", 50_000, json!({"description": "받침대"})).await;
    let long = "원목 프레임 튼튼하고 깨끗하게 사용했습니다 직거래 선호 주말 가능 문의 주세요";
    list_item(&app, &s, "bed-frame", "퀸 사이즈 원목 프레임", 200_000, json!({"description": long})).await;
    list_item(&app, &s, "bed", "슈퍼싱글 침대", 150_000, json!({"description": long})).await;
    list_item(&app, &s, "sofa", "3인용 가죽소파", 300_000, json!({})).await;

    let titles = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect()
    };
    // Beds first (the one with 침대 in its title ahead), the desk still found, last.
    let res = app.get("/api/v1/products?q=침대", None).await;
    assert_eq!(titles(&res.body), ["슈퍼싱글 침대", "퀸 사이즈 원목 프레임", "책상"], "{}", res.body);
    // English names the same category (the desk doesn't match "bed" at all).
    let mut beds = titles(&app.get("/api/v1/products?q=bed", None).await.body);
    beds.sort();
    assert_eq!(beds, ["슈퍼싱글 침대", "퀸 사이즈 원목 프레임"]);
    // "소" found nothing: the index holds 소파, never 소 alone. A syllable being typed is a prefix.
    assert_eq!(titles(&app.get("/api/v1/products?q=소", None).await.body), ["3인용 가죽소파"]);
    // Pages of a ranked search keep the ranking.
    let first = app.get("/api/v1/products?q=침대&limit=2", None).await;
    assert_eq!(titles(&first.body), ["슈퍼싱글 침대", "퀸 사이즈 원목 프레임"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let next = app.get(&format!("/api/v1/products?q=침대&limit=2&cursor={cursor}"), None).await;
    assert_eq!(titles(&next.body), ["책상"]);
}

/// Issue 17, found by crud-api/tests/api/search_quality.rs: "storage" found no wardrobe (only a
/// listing's own category was indexed, not the categories above it), and a query whose words
/// no one listing holds together ("velvet 암체어") found nothing at all.
#[tokio::test]
async fn parent_categories_find_their_listings_and_unmatched_word_combinations_relax() {
    let app = spawn_app().await;
    let s = seller(&app, "lineage@example.com").await;
    list_item(&app, &s, "wardrobe", "3도어 옷장 화이트", 90_000, json!({})).await;
    list_item(&app, &s, "armchair", "빈티지 1인 암체어 라탄", 70_000, json!({})).await;
    list_item(&app, &s, "armchair", "Velvet accent armchair, emerald", 180_000, json!({})).await;
    list_item(&app, &s, "desk", "컴퓨터 책상", 50_000, json!({})).await;
    let titles = |body: &Value| -> Vec<String> {
        let mut t: Vec<String> =
            body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect();
        t.sort();
        t
    };
    // The wardrobe category sits under storage (수납가구); the sofa tree holds the armchairs.
    assert_eq!(titles(&app.get("/api/v1/products?q=storage", None).await.body), ["3도어 옷장 화이트"]);
    assert_eq!(
        titles(&app.get("/api/v1/products?q=sofa", None).await.body),
        ["Velvet accent armchair, emerald", "빈티지 1인 암체어 라탄"]
    );
    // No listing has both words: either will do, the one with more of them first.
    let res = app.get("/api/v1/products?q=velvet%20암체어", None).await;
    assert_eq!(titles(&res.body), ["Velvet accent armchair, emerald", "빈티지 1인 암체어 라탄"], "{}", res.body);
    // When some listing has every word, only those.
    let res = app.get("/api/v1/products?q=velvet%20armchair", None).await;
    assert_eq!(titles(&res.body), ["Velvet accent armchair, emerald"]);
    // Relaxing never invents matches.
    assert!(app.get("/api/v1/products?q=zebra%20unicorn", None).await.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn filters_sorting_and_cursor_pages() {
    let app = spawn_app().await;
    let s = seller(&app, "pages@example.com").await;
    let other = seller(&app, "other@example.com").await;
    for i in 0..7 {
        list_item(&app, &s, "dining-table", &format!("식탁 {i}"), 10_000 * (i + 1), json!({"style_tags": ["wood"]}))
            .await;
    }
    list_item(&app, &other, "sofa", "소파", 55_000, json!({})).await;

    // Category filter includes subcategories: "table" covers "dining-table".
    let res = app.get("/api/v1/products?category=table&limit=100", None).await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 7);
    let res = app.get("/api/v1/products?min_price=30000&max_price=50000&sort=price_asc", None).await;
    let prices: Vec<i64> = res.body["items"].as_array().unwrap().iter().map(|i| i["price"].as_i64().unwrap()).collect();
    assert_eq!(prices, [30_000, 40_000, 50_000]);
    let res = app.get("/api/v1/products?style=wood&limit=100", None).await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 7);

    // Walk price_desc in pages of 3: every product once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/products?sort=price_desc&limit=3&cursor={c}"),
            None => "/api/v1/products?sort=price_desc&limit=3".into(),
        };
        let page = app.get(&path, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|i| i["price"].as_i64().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, [70_000, 60_000, 55_000, 50_000, 40_000, 30_000, 20_000, 10_000]);

    // Newest first, by seller.
    let seller_id = app.get("/api/v1/users/me", Some(&other)).await.body["id"].as_str().unwrap().to_string();
    let res = app.get(&format!("/api/v1/products?seller={seller_id}"), None).await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);

    for bad in ["limit=0", "limit=101", "cursor=garbage", "status=lost", "status=hidden", "sort=cheapest"] {
        let res = app.get(&format!("/api/v1/products?{bad}"), None).await;
        res.assert_problem(422, "validation_failed");
    }
    // Filters nothing matches are an empty page, like any filter without results.
    for none in ["category=nope", "min_price=9&max_price=1"] {
        let res = app.get(&format!("/api/v1/products?{none}"), None).await;
        assert_eq!(
            (res.status.as_u16(), res.body["items"].as_array().map(Vec::len)),
            (200, Some(0)),
            "{none}: {}",
            res.body
        );
    }
    // Every cursor-shaped string is a position (a generated client may send any): never a 422.
    let res = app.get(&format!("/api/v1/products?sort=price_asc&cursor={}", "A".repeat(32)), None).await;
    assert_eq!(res.status, 200, "{}", res.body);
}

/// `status=` (a form that always sends the field) listed hidden listings: no status filter at
/// all. Empty is the default set.
#[tokio::test]
async fn an_empty_status_filter_never_shows_hidden_listings() {
    let app = spawn_app().await;
    let s = seller(&app, "hidden-filter@example.com").await;
    let p = list_item(&app, &s, "desk", "숨긴 책상", 10_000, json!({})).await;
    let admin = app.admin_token().await;
    let res = app
        .patch(&format!("/api/v1/products/{}", p["id"].as_str().unwrap()), json!({"hidden": true}), Some(&admin))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    for query in ["status=", "status=,", ""] {
        let page = app.get(&format!("/api/v1/products?{query}"), None).await.body;
        assert!(page["items"].as_array().unwrap().iter().all(|i| i["id"] != p["id"]), "{query}: {page}");
    }
}

pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Uploads one file as `token` to a product's gallery.
pub(crate) async fn upload_photo(
    app: &TestApp,
    token: &str,
    product_id: &str,
    bytes: Vec<u8>,
    name: &str,
) -> crate::helpers::Res {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    app.send(
        app.client
            .post(app.url(&format!("/api/v1/products/{product_id}/images")))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("f", part)),
    )
    .await
}

#[tokio::test]
async fn photo_upload_is_checked_by_content_and_served_cached() {
    let app = spawn_app().await;
    let s = seller(&app, "photos@example.com").await;
    let p = list_item(&app, &s, "sofa", "사진 있는 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name).mime_str("image/jpeg").unwrap();
        app.client
            .post(app.url(&format!("/api/v1/products/{id}/images")))
            .bearer_auth(&s)
            .multipart(reqwest::multipart::Form::new().part("file", part))
    };

    // A text file named .jpg is refused.
    let res = app.send(upload(b"definitely not an image".to_vec(), "sofa.jpg")).await;
    res.assert_problem(422, "validation_failed");

    let res = app.send(upload(png(800, 600), "photo.jpg")).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let img = &res.body[0];
    assert_eq!(img["content_type"], "image/png", "detected from content, not the name");
    assert_eq!((img["width"].as_i64(), img["height"].as_i64()), (Some(800), Some(600)));

    let full = app.send(app.client.get(app.url(img["url"].as_str().unwrap()))).await;
    assert_eq!(full.status, 200);
    assert_eq!(full.headers["content-type"], "image/png");
    assert!(full.headers["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = full.headers["etag"].clone();
    let again = app.send(app.client.get(app.url(img["url"].as_str().unwrap())).header("if-none-match", etag)).await;
    assert_eq!(again.status, 304);
    let thumb = app.client.get(app.url(img["thumbnail_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 300));

    // The product shows it, the list has its thumbnail, and an analysis job is queued.
    let detail = app.get(&format!("/api/v1/products/{id}"), None).await.body;
    assert_eq!(detail["images"].as_array().unwrap().len(), 1);
    let list = app.get("/api/v1/products", None).await.body;
    assert_eq!(list["items"][0]["thumbnail_url"], img["thumbnail_url"]);
    let image_id = img["id"].as_str().unwrap().parse().unwrap();
    let job =
        crud_api::recommendations::store::analysis_jobs::for_image(&app.state.db, image_id).await.unwrap().unwrap();
    assert_eq!(job.status, crud_api::recommendations::analysis_status::AnalysisStatus::Pending);

    // Someone else can't add photos; path tricks find nothing.
    let (stranger, _, _) = app.signup("stranger@example.com").await;
    upload_photo(&app, &stranger, id, png(10, 10), "x.png").await.assert_problem(403, "forbidden");
    app.get("/api/v1/images/..%2F..%2Fetc%2Fpasswd", None).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn truncated_and_tiny_images_are_refused_with_a_reason() {
    use crud_api::catalogue::media::metadata::fixtures::phone_jpeg;
    let app = spawn_app().await;
    let s = seller(&app, "tiny@example.com").await;
    let p = list_item(&app, &s, "sofa", "잘린 사진 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    // Half a JPEG was accepted (the decoder painted the rest grey), and so was one pixel.
    let whole = phone_jpeg(300, 200, 1);
    let res = upload_photo(&app, &s, id, whole[..whole.len() / 2].to_vec(), "cut.jpg").await;
    res.assert_problem(422, "validation_failed");
    assert!(res.body["errors"][0]["message"].as_str().unwrap().contains("truncated"), "{}", res.body);
    let res = upload_photo(&app, &s, id, png(1, 1), "pixel.png").await;
    res.assert_problem(422, "validation_failed");
    assert!(res.body["errors"][0]["message"].as_str().unwrap().contains("at least 64 pixels"), "{}", res.body);
    assert_eq!(upload_photo(&app, &s, id, whole, "whole.jpg").await.status, 201);
}

#[tokio::test]
async fn oversized_and_bomb_images_are_refused() {
    let app = crate::helpers::spawn_with(|c| c.max_image_side = 1000).await;
    let s = seller(&app, "bomb@example.com").await;
    let p = list_item(&app, &s, "sofa", "큰 사진 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let res = upload_photo(&app, &s, id, png(1200, 100), "wide.png").await;
    res.assert_problem(422, "validation_failed");
    assert!(res.body["errors"][0]["message"].as_str().unwrap().contains("pixels"));
}

#[tokio::test]
async fn analysis_jobs_are_claimed_once_by_concurrent_workers() {
    use crud_api::recommendations::store::analysis_jobs;
    let app = spawn_app().await;
    let s = seller(&app, "jobs@example.com").await;
    let p = list_item(&app, &s, "sofa", "사진 많은 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let mut form = reqwest::multipart::Form::new();
    for i in 0..8 {
        form =
            form.part(format!("f{i}"), reqwest::multipart::Part::bytes(png(64 + i, 64)).file_name(format!("{i}.png")));
    }
    let res = app
        .send(app.client.post(app.url(&format!("/api/v1/products/{id}/images"))).bearer_auth(&s).multipart(form))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body.as_array().unwrap().len(), 8);

    let db = &app.state.db;
    let (a, b, c) = tokio::join!(
        analysis_jobs::claim(db, "worker-a", 3),
        analysis_jobs::claim(db, "worker-b", 3),
        analysis_jobs::claim(db, "worker-c", 3)
    );
    let mut ids: Vec<_> = [a.unwrap(), b.unwrap(), c.unwrap()].concat().into_iter().map(|j| j.id).collect();
    let claimed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), claimed, "a job was claimed twice");
    assert_eq!(claimed, 8, "3 + 3 + 2");
    assert!(analysis_jobs::claim(db, "worker-d", 3).await.unwrap().is_empty());

    // Failures retry until the attempt budget is spent, not before their back-off; stale
    // claims return to the queue.
    let now = chrono::Utc::now();
    analysis_jobs::fail(db, ids[2], "dl-api unreachable", 5, now + chrono::Duration::hours(1)).await.unwrap();
    analysis_jobs::fail(db, ids[0], "dl-api unreachable", 2, now).await.unwrap();
    let again = analysis_jobs::claim(db, "worker-a", 10).await.unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert_eq!(again[0].attempts, 2);
    analysis_jobs::fail(db, ids[0], "still unreachable", 2, now).await.unwrap();
    assert!(analysis_jobs::claim(db, "worker-a", 10).await.unwrap().is_empty(), "failed for good");
    analysis_jobs::complete(db, ids[1], r#"{"category":"sofa"}"#).await.unwrap();
    let requeued = analysis_jobs::requeue_stale(db, chrono::Utc::now() + chrono::Duration::minutes(5)).await.unwrap();
    assert_eq!(requeued, 5, "the five still running (one waits for its back-off)");
}

/// The bytes an uploaded phone photo would leak: EXIF (GPS, camera make), XMP, IPTC.
fn assert_clean(bytes: &[u8], what: &str) {
    use crud_api::catalogue::media::metadata::carries_metadata;
    assert!(!carries_metadata(bytes), "{what}: carries metadata");
    assert!(!bytes.windows(6).any(|w| w == b"Exif\0\0"), "{what}: EXIF block");
    assert!(!bytes.windows(4).any(|w| w == [0x88, 0x25, 0x00, 0x04]), "{what}: GPS IFD (tag 0x8825)");
    assert!(!bytes.windows(5).any(|w| w == b"Canon"), "{what}: camera make");
}

/// A seller's phone photo with GPS EXIF: what is stored and served is re-encoded, upright,
/// and carries no EXIF/XMP/IPTC; the uploaded bytes are never stored.
#[tokio::test]
async fn photos_never_publish_the_sellers_location() {
    use crud_api::catalogue::media::metadata::fixtures::phone_jpeg;
    let app = spawn_app().await;
    let s = seller(&app, "gps@example.com").await;
    let p = list_item(&app, &s, "sofa", "집에서 찍은 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    // Landscape pixels, EXIF orientation 6: a portrait photo as phones store it.
    let original = phone_jpeg(120, 80, 6);
    let res = upload_photo(&app, &s, id, original.clone(), "IMG_0001.jpg").await;
    assert_eq!(res.status, 201, "{}", res.body);
    let img = &res.body[0];
    assert_eq!((img["width"].as_i64(), img["height"].as_i64()), (Some(80), Some(120)), "upright dimensions");
    for url in [&img["url"], &img["thumbnail_url"], &img["display_url"]] {
        let served = app.client.get(app.url(url.as_str().unwrap())).send().await.unwrap().bytes().await.unwrap();
        assert_ne!(served.as_ref(), original.as_slice(), "{url}: the upload itself is served");
        assert_clean(&served, url.as_str().unwrap());
    }
    let full = app.client.get(app.url(img["url"].as_str().unwrap())).send().await.unwrap().bytes().await.unwrap();
    let decoded = image::load_from_memory(&full).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (80, 120));
    // Nothing on disk is the upload or carries its metadata.
    for entry in std::fs::read_dir(app.state.images.dir().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert_ne!(bytes, original, "the upload was stored");
        assert_clean(&bytes, "a stored file");
    }
}

/// Photos stored before renditions were clean (a row with `sanitized` false, its original file
/// on disk) are re-rendered by the start-up job: the row points at clean files and the old
/// file is gone.
#[tokio::test]
async fn photos_stored_before_the_fix_are_cleaned_at_start_up() {
    use crud_api::catalogue::media::image_store::ImageStore;
    use crud_api::catalogue::media::metadata::fixtures::phone_jpeg;
    let app = spawn_app().await;
    let s = seller(&app, "legacy@example.com").await;
    let p = list_item(&app, &s, "desk", "예전에 올린 책상", 10_000, json!({})).await;
    let product_id: uuid::Uuid = p["id"].as_str().unwrap().parse().unwrap();
    // What the old code stored: the upload byte for byte, keyed by its digest.
    let original = phone_jpeg(96, 64, 6);
    let digest = ImageStore::digest(&original);
    let (key, thumb) = (format!("{digest}.jpg"), format!("{digest}-thumb.jpg"));
    std::fs::write(app.state.images.dir().unwrap().join(&key), &original).unwrap();
    std::fs::write(app.state.images.dir().unwrap().join(&thumb), &original).unwrap();
    let image_id = uuid::Uuid::now_v7();
    let insert = "INSERT INTO product_images (id, product_id, image_key, thumb_key, content_type, width, height, \
                  bytes, position, created_at, sanitized) VALUES ($1, $2, $3, $4, 'image/jpeg', 90, 60, $5, 0, $6, $7)";
    crud_api::on_db!(&app.state.db, |pool| sqlx::query(insert)
        .bind(image_id)
        .bind(product_id)
        .bind(&key)
        .bind(&thumb)
        .bind(original.len() as i64)
        .bind(chrono::Utc::now())
        .bind(false)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
    assert_eq!(app.client.get(app.url(&format!("/api/v1/images/{key}"))).send().await.unwrap().status(), 200);

    // A replica starts (as after the upgrade): its start-up job cleans the photo.
    let replica = crate::helpers::spawn_sibling(&app).await;
    let row = wait_for(|| async {
        let row = crud_api::catalogue::store::images::by_id(&app.state.db, image_id).await.unwrap().unwrap();
        (row.image_key != key).then_some(row)
    })
    .await;
    assert_eq!((row.width, row.height), (64, 96), "upright");
    for k in [&row.image_key, &row.thumb_key] {
        let served = replica.client.get(replica.url(&format!("/api/v1/images/{k}"))).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_clean(&served.bytes().await.unwrap(), k);
    }
    // The job re-points the row first and removes the old files after: wait for that, not
    // for the row alone (a CI run under load caught the gap).
    for old in [&key, &thumb] {
        wait_for(|| async {
            let res = app.client.get(app.url(&format!("/api/v1/images/{old}"))).send().await.unwrap();
            (res.status() == 404).then_some(())
        })
        .await;
    }
    assert!(crud_api::catalogue::store::images::unsanitized(&app.state.db, 10).await.unwrap().is_empty());
}

/// A phone-sized portrait photo gets a 400 px thumbnail and a 1200 px display rendition, both
/// upright; a photo stored before renditions existed gets its display rendition from the
/// start-up job (until then `display_url` is the full photo).
#[tokio::test]
async fn photos_come_in_list_and_detail_sizes() {
    use crud_api::catalogue::media::images::{process, ImageLimits};
    use crud_api::catalogue::media::metadata::fixtures::phone_jpeg;
    let app = spawn_app().await;
    let s = seller(&app, "sizes@example.com").await;
    let p = list_item(&app, &s, "sofa", "큰 사진 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let res = upload_photo(&app, &s, id, phone_jpeg(2400, 1600, 6), "IMG_0002.jpg").await;
    assert_eq!(res.status, 201, "{}", res.body);
    let img = &res.body[0];
    assert_eq!((img["width"].as_i64(), img["height"].as_i64()), (Some(1600), Some(2400)));
    let size = |b: &[u8]| image::load_from_memory(b).map(|i| (i.width(), i.height())).unwrap();
    let fetch = |url: &Value| {
        let url = app.url(url.as_str().unwrap());
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().bytes().await.unwrap() }
    };
    assert_eq!(size(&fetch(&img["thumbnail_url"]).await), (267, 400));
    let display = fetch(&img["display_url"]).await;
    assert_eq!(size(&display), (800, 1200));
    assert!(display.len() < fetch(&img["url"]).await.len() / 2, "the display rendition is much smaller");

    // An older clean photo without a display rendition.
    let older = process(&phone_jpeg(1800, 1500, 1), ImageLimits::default()).unwrap();
    let keys = app.state.images.put_processed(&older).await.unwrap();
    let product_id: uuid::Uuid = id.parse().unwrap();
    let image_id = uuid::Uuid::now_v7();
    let insert = "INSERT INTO product_images (id, product_id, image_key, thumb_key, content_type, width, height, \
                  bytes, position, created_at, sanitized) VALUES ($1, $2, $3, $4, 'image/jpeg', 1800, 1500, 1, 5, $5, $6)";
    app.state.images.remove(&keys.display).await.unwrap();
    crud_api::on_db!(&app.state.db, |pool| sqlx::query(insert)
        .bind(image_id)
        .bind(product_id)
        .bind(&keys.image)
        .bind(&keys.thumb)
        .bind(chrono::Utc::now())
        .bind(true)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
    let detail: Value =
        app.client.get(app.url(&format!("/api/v1/products/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["images"][1]["display_url"], detail["images"][1]["url"], "the full photo until rendered");
    let _replica = crate::helpers::spawn_sibling(&app).await;
    let row = wait_for(|| async {
        let row = crud_api::catalogue::store::images::by_id(&app.state.db, image_id).await.unwrap().unwrap();
        row.display_key.is_some().then_some(row)
    })
    .await;
    assert_eq!(row.display_key.as_deref(), Some(keys.display.as_str()));
    let detail: Value =
        app.client.get(app.url(&format!("/api/v1/products/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(size(&fetch(&detail["images"][1]["display_url"]).await), (1200, 1000));
}

/// Every replica keeps the category tree in memory; a change made through one of them reaches
/// the others through PostgreSQL's NOTIFY, at once — not after the copies' 60 s age bound.
#[tokio::test]
async fn a_category_change_reaches_every_replica_at_once() {
    if crate::helpers::backend() != "postgres" {
        return; // SQLite is one process's database: its own writes are all there are.
    }
    let app = spawn_app().await;
    let replica = crate::helpers::spawn_sibling(&app).await;
    let s = seller(&app, "replicated-tree@example.com").await;
    list_item(&app, &s, "desk", "원목 책상", 50_000, json!({})).await;
    // The replica has read (and cached) the tree and a page of cards.
    let card_category = |page: Value| page["items"][0]["category_name"].as_str().unwrap_or_default().to_string();
    assert_eq!(card_category(replica.get("/api/v1/products?category=desk", None).await.body), "책상");
    let slugs = |tree: Value| tree.as_array().unwrap().iter().map(|n| n["slug"].to_string()).collect::<Vec<_>>();
    assert!(!slugs(replica.get("/api/v1/categories", None).await.body).contains(&"\"outdoor\"".to_string()));

    let admin = app.admin_token().await;
    add_category(&app, &admin, "outdoor", "야외", "Outdoor").await;
    wait_for(|| async {
        slugs(replica.get("/api/v1/categories", None).await.body).contains(&"\"outdoor\"".to_string()).then_some(())
    })
    .await;

    let desk = category_id(&app, "desk").await;
    let res = app.patch(&format!("/api/v1/admin/categories/{desk}"), json!({"name": "데스크"}), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    wait_for(|| async {
        (card_category(replica.get("/api/v1/products?category=desk", None).await.body) == "데스크").then_some(())
    })
    .await;
}
