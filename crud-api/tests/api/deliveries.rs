//! Riders take paid orders, pick them up and deliver them with the buyer's code.

use serde_json::json;

use crate::catalogue::{list_item, seller};
use crate::helpers::{spawn_app, trail};
use crate::orders::{buy, mark_paid};

#[tokio::test]
async fn a_delivery_from_paid_to_delivered() {
    let app = spawn_app().await;
    let s = seller(&app, "d-seller@example.com").await;
    let p = list_item(&app, &s, "sofa", "배송 소파", 100_000, json!({"area": "마포구"})).await;
    let (buyer, order) = buy(&app, "d-buyer@example.com", p["id"].as_str().unwrap()).await;
    let (r1, _) = app.rider("r1@example.com").await;
    let (r2, _) = app.rider("r2@example.com").await;

    // Unpaid orders are not offered.
    assert!(app.get("/api/v1/rider/deliveries", Some(&r1)).await.body["items"].as_array().unwrap().is_empty());
    mark_paid(&app, &order).await;
    let list = app.get("/api/v1/rider/deliveries?status=available", Some(&r1)).await.body["items"].clone();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let offer = &list[0];
    assert_eq!(offer["pickup_area"], "마포구");
    assert_eq!(offer["dropoff_area"], "강남구");
    assert_eq!(offer["dropoff_address"], serde_json::Value::Null, "address only after accepting");
    let text = offer.to_string();
    for secret in ["d-buyer@example.com", "total", "price", "delivery_code"] {
        assert!(!text.contains(secret), "rider sees {secret}: {text}");
    }

    // Two riders race; one wins.
    let path = format!("/api/v1/rider/deliveries/{order}/accept");
    let (a, b) = tokio::join!(app.post(&path, json!({}), Some(&r1)), app.post(&path, json!({}), Some(&r2)));
    let (winner, loser) = if a.status == 200 { (&r1, b) } else { (&r2, a) };
    loser.assert_problem(409, "delivery_taken");
    let other = if winner == &r1 { &r2 } else { &r1 };
    app.post(&format!("/api/v1/rider/deliveries/{order}/pickup"), json!({}), Some(other))
        .await
        .assert_problem(404, "not_found");
    let mine = app.get("/api/v1/rider/deliveries?status=mine", Some(winner)).await.body["items"].clone();
    assert_eq!(mine[0]["dropoff_address"]["recipient"], "김민수");

    // Completing before pickup is refused.
    let complete = format!("/api/v1/rider/deliveries/{order}/complete");
    app.post(&complete, json!({"delivery_code": "000000"}), Some(winner))
        .await
        .assert_problem(409, "illegal_transition");
    let res = app.post(&format!("/api/v1/rider/deliveries/{order}/pickup"), json!({}), Some(winner)).await;
    assert_eq!(res.body["status"], "picked_up");

    assert_eq!(
        app.post("/api/v1/rider/location", json!({"lat": 37.51, "lng": 127.04}), Some(winner)).await.status,
        204
    );
    let seen = app.get(&format!("/api/v1/orders/{order}/delivery"), Some(&buyer)).await.body;
    assert_eq!(seen["status"], "picked_up");
    assert_eq!(seen["rider"]["name"], "박배달");
    assert_eq!(seen["last_position"]["lat"], 37.51);

    let code = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body["delivery_code"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = app.post(&complete, json!({"delivery_code": wrong}), Some(winner)).await;
    res.assert_problem(422, "validation_failed");
    let res = app.post(&complete, json!({"delivery_code": code}), Some(winner)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "delivered");
    assert!(res.body["delivered_at"].is_string());
    // The audit trail names each actor: the buyer's checkout, the admin's payment mark, and the
    // rider for accepting (a note on "paid"), pickup and delivery.
    let o = app.get(&format!("/api/v1/orders/{order}"), Some(&buyer)).await.body;
    let actors: Vec<(String, String)> = trail(&o).into_iter().map(|(a, _, to)| (a, to)).collect();
    assert_eq!(
        actors,
        [
            ("user", "pending_payment"),
            ("admin", "paid"),
            ("rider", "paid"),
            ("rider", "picked_up"),
            ("rider", "delivered")
        ]
        .map(|(a, t)| (a.to_string(), t.to_string())),
        "{o}"
    );

    // Notifications followed the order.
    let kinds: Vec<String> = app.get("/api/v1/notifications?limit=100", Some(&buyer)).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect();
    for k in ["order_paid", "rider_assigned", "picked_up", "delivered"] {
        assert!(kinds.contains(&k.to_string()), "{kinds:?}");
    }
    let seller_kinds = app.get("/api/v1/notifications?limit=100", Some(&s)).await.body.to_string();
    assert!(seller_kinds.contains("order_placed") && seller_kinds.contains("delivered"));
}

#[tokio::test]
async fn available_deliveries_are_nearest_first() {
    let app = spawn_app().await;
    let s = seller(&app, "near-seller@example.com").await;
    let far = list_item(&app, &s, "desk", "먼 책상", 10_000, json!({"area": "노원구"})).await;
    let near = list_item(&app, &s, "chair", "가까운 의자", 10_000, json!({"area": "마포구"})).await;
    let (_, o_far) = buy(&app, "far@example.com", far["id"].as_str().unwrap()).await;
    let (_, o_near) = buy(&app, "near@example.com", near["id"].as_str().unwrap()).await;
    mark_paid(&app, &o_far).await;
    mark_paid(&app, &o_near).await;
    let (rider, _) = app.rider("near-rider@example.com").await;
    // Standing in 서대문구, next to 마포구.
    app.post("/api/v1/rider/location", json!({"lat": 37.5791, "lng": 126.9368}), Some(&rider)).await;
    let list = app.get("/api/v1/rider/deliveries", Some(&rider)).await.body["items"].clone();
    let ids: Vec<_> = list.as_array().unwrap().iter().map(|d| d["order_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [o_near.as_str(), o_far.as_str()]);
    assert!(list[0]["distance_km"].as_f64().unwrap() < list[1]["distance_km"].as_f64().unwrap());
}

#[tokio::test]
async fn location_reports_are_rate_limited_and_checked() {
    let app = spawn_app().await;
    let (rider, _) = app.rider("loc@example.com").await;
    app.post("/api/v1/rider/location", json!({"lat": 91.0, "lng": 0.0}), Some(&rider))
        .await
        .assert_problem(422, "validation_failed");
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            app.post("/api/v1/rider/location", json!({"lat": 37.5, "lng": 127.0}), Some(&rider)).await.status.as_u16(),
        );
    }
    assert_eq!(&statuses[..5], &[204; 5]);
    assert_eq!(statuses[6], 429);
    // Users can't use rider endpoints.
    let (user, _, _) = app.signup("not-rider@example.com").await;
    app.get("/api/v1/rider/deliveries", Some(&user)).await.assert_problem(403, "wrong_realm");
}
