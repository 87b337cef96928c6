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
