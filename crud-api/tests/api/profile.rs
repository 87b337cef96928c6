//! `/api/v1/users/me`: read and update the profile.

use serde_json::json;

use crate::helpers::spawn_app;

fn address() -> serde_json::Value {
    json!({"label": "집", "recipient": "김민수", "phone": "010-1234-5678", "line1": "서울특별시 마포구 양화로 45",
           "line2": "3층", "postal_code": "04036", "area": "마포구", "is_default": true})
}

#[tokio::test]
async fn update_profile_and_read_it_back() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("me@example.com").await;
    let res = app
        .patch(
            "/api/v1/users/me",
            json!({"name": "김민수", "phone": "010-1234-5678", "addresses": [address()], "is_seller": true}),
            Some(&access),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let me = app.get("/api/v1/users/me", Some(&access)).await.body;
    assert_eq!(me["name"], "김민수");
    assert_eq!(me["phone"], "010-1234-5678");
    assert_eq!(me["is_seller"], true);
    assert_eq!(me["addresses"][0]["area"], "마포구");

    // Partial update keeps the rest; an empty phone removes it.
    let res = app.patch("/api/v1/users/me", json!({"phone": ""}), Some(&access)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["phone"], serde_json::Value::Null);
    assert_eq!(res.body["name"], "김민수");
    assert_eq!(res.body["addresses"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn invalid_profile_updates_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("bad@example.com").await;
    let mut bad = address();
    bad["postal_code"] = json!("12");
    let res = app.patch("/api/v1/users/me", json!({"name": "새 이름", "addresses": [bad]}), Some(&access)).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "addresses[0].postal_code");
    assert_eq!(app.get("/api/v1/users/me", Some(&access)).await.body["name"], "테스트 사용자");

    let res = app.patch("/api/v1/users/me", json!({"role": "admin"}), Some(&access)).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(app.get("/api/v1/users/me", Some(&access)).await.body["role"], "customer");
}

/// What a form sends is what is stored, tidied: fields trimmed, one default address (the first
/// ticked), and control characters or doubled separators refused — so what the profile gives
/// back always matches the schema a generated client validates it with.
#[tokio::test]
async fn address_books_are_stored_tidy_with_one_default() {
    let app = spawn_app().await;
    let (token, _, _) = app.signup("tidy@example.com").await;
    let addr = |label: &str, is_default: bool| {
        json!({"label": label, "recipient": " 김민수 ", "phone": "010-1234-5678", "line1": "양화로 45 ",
               "line2": "  ", "postal_code": " 04036", "area": "마포구", "is_default": is_default})
    };
    let res =
        app.patch("/api/v1/users/me", json!({"addresses": [addr("집", true), addr("회사", true)]}), Some(&token)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let book = res.body["addresses"].as_array().unwrap();
    assert_eq!((book[0]["is_default"].as_bool(), book[1]["is_default"].as_bool()), (Some(true), Some(false)));
    assert_eq!((book[0]["recipient"].as_str(), book[0]["line1"].as_str()), (Some("김민수"), Some("양화로 45")));
    assert_eq!((book[0]["postal_code"].as_str(), book[0]["line2"].is_null()), (Some("04036"), true));

    let mut bad = addr("집", false);
    bad["recipient"] = json!("×ø\u{9b}");
    let res = app.patch("/api/v1/users/me", json!({"addresses": [bad]}), Some(&token)).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "addresses[0].recipient");
    let mut doubled = addr("집", false);
    doubled["phone"] = json!("010--1234-5678");
    let res = app.patch("/api/v1/users/me", json!({"addresses": [doubled]}), Some(&token)).await;
    assert_eq!(res.body["errors"][0]["field"], "addresses[0].phone", "{}", res.body);
}
