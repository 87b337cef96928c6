//! Notifications: list, read state, SSE with resume, push devices and the outbox.

use std::time::Duration;

use serde_json::json;

use crate::catalogue::{list_item, seller};
use crate::helpers::spawn_app;
use crate::orders::buy;

#[tokio::test]
async fn list_read_and_unread_count() {
    let app = spawn_app().await;
    let s = seller(&app, "n-seller@example.com").await;
    for i in 0..3 {
        let p = list_item(&app, &s, "decor", &format!("소품 {i}"), 5_000, json!({})).await;
        buy(&app, &format!("n-buyer{i}@example.com"), p["id"].as_str().unwrap()).await;
    }
    let page = app.get("/api/v1/notifications?limit=2", Some(&s)).await.body;
    assert_eq!(page["unread_count"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["kind"], "order_placed");
    let first = page["items"][0]["id"].as_str().unwrap().to_string();
    let next = app
        .get(&format!("/api/v1/notifications?limit=2&cursor={}", page["next_cursor"].as_str().unwrap()), Some(&s))
        .await
        .body;
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert_eq!(next["next_cursor"], serde_json::Value::Null);

    assert_eq!(app.post(&format!("/api/v1/notifications/{first}/read"), json!({}), Some(&s)).await.status, 204);
    assert_eq!(app.get("/api/v1/notifications", Some(&s)).await.body["unread_count"], 2);
    // Someone else's notification doesn't exist for you.
    let (other, _, _) = app.signup("n-other@example.com").await;
    app.post(&format!("/api/v1/notifications/{first}/read"), json!({}), Some(&other))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.post("/api/v1/notifications/read-all", json!({}), Some(&s)).await.status, 204);
    assert_eq!(app.get("/api/v1/notifications", Some(&s)).await.body["unread_count"], 0);
}

/// Reads SSE events until `n` have arrived: (id, event, data).
/// The next `n` events of an open stream (`buf` keeps a partial event between calls).
async fn next_events(
    res: &mut reqwest::Response,
    buf: &mut String,
    n: usize,
) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while out.len() < n {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("events arrive in time")
            .unwrap()
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut id, mut ev, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().into();
                } else if let Some(v) = line.strip_prefix("event:") {
                    ev = v.trim().into();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if !id.is_empty() {
                out.push((id, ev, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    out
}

async fn read_events(mut res: reqwest::Response, n: usize) -> Vec<(String, String, serde_json::Value)> {
    next_events(&mut res, &mut String::new(), n).await
}

#[tokio::test]
async fn the_stream_delivers_live_and_resumes_from_last_event_id() {
    let app = spawn_app().await;
    let s = seller(&app, "sse-seller@example.com").await;
    let p1 = list_item(&app, &s, "decor", "거울", 5_000, json!({})).await;
    buy(&app, "sse1@example.com", p1["id"].as_str().unwrap()).await;

    let mut stream = app.client.get(app.url("/api/v1/notifications/stream")).bearer_auth(&s).send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The backlog arrives first: from then on the stream is live (no fixed sleep to guess it).
    let mut buf = String::new();
    let mut events = next_events(&mut stream, &mut buf, 1).await;
    let p2 = list_item(&app, &s, "decor", "러그", 5_000, json!({})).await;
    buy(&app, "sse2@example.com", p2["id"].as_str().unwrap()).await;
    events.extend(next_events(&mut stream, &mut buf, 1).await);
    assert_eq!(events.len(), 2, "the backlog and the live one");
    assert!(events.iter().all(|(_, ev, d)| ev == "order_placed" && d["kind"] == "order_placed"));

    // Reconnect after the first: only the second comes again.
    let resumed = app
        .client
        .get(app.url("/api/v1/notifications/stream"))
        .bearer_auth(&s)
        .header("last-event-id", &events[0].0)
        .send()
        .await
        .unwrap();
    let again = read_events(resumed, 1).await;
    assert_eq!(again[0].0, events[1].0);

    let bad = app
        .send(app.client.get(app.url("/api/v1/notifications/stream")).bearer_auth(&s).header("last-event-id", "nope"))
        .await;
    bad.assert_problem(422, "validation_failed");
}

/// A browser's `EventSource` cannot send the token: it opens the stream with a ticket, once,
/// and resumes on a new ticket with `last_event_id`. Spent, made-up and expired tickets are
/// 401 problems; the ticket never opens anyone else's stream.
#[tokio::test]
async fn browsers_open_the_stream_with_a_single_use_ticket() {
    let app = spawn_app().await;
    let s = seller(&app, "ticket-seller@example.com").await;
    for (i, title) in ["거울", "러그"].into_iter().enumerate() {
        let p = list_item(&app, &s, "decor", title, 5_000, json!({})).await;
        buy(&app, &format!("ticket{i}@example.com"), p["id"].as_str().unwrap()).await;
    }
    app.post("/api/v1/notifications/stream-ticket", json!({}), None).await.assert_problem(401, "missing_token");
    let issued = app.post("/api/v1/notifications/stream-ticket", json!({}), Some(&s)).await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let url = issued.body["stream_url"].as_str().unwrap().to_string();
    assert!(url.contains(issued.body["ticket"].as_str().unwrap()));
    // Absolute: `new EventSource(stream_url)` on another origin opens this API, not the page's host.
    assert!(url.starts_with(&format!("{}/api/v1/notifications/stream?ticket=", app.base)), "{url}");

    // No Authorization header, as EventSource sends it.
    let stream = app.client.get(app.url(&url)).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let events = read_events(stream, 2).await;
    assert!(events.iter().all(|(_, ev, _)| ev == "order_placed"));

    // The same URL again (EventSource's own reconnect): spent.
    app.send(app.client.get(app.url(&url))).await.assert_problem(401, "invalid_token");
    // A new ticket resumes after the first event.
    let again = app.post("/api/v1/notifications/stream-ticket", json!({}), Some(&s)).await.body;
    let resume = format!("{}&last_event_id={}", again["stream_url"].as_str().unwrap(), events[0].0);
    let resumed = read_events(app.client.get(app.url(&resume)).send().await.unwrap(), 1).await;
    assert_eq!(resumed[0].0, events[1].0);

    app.send(app.client.get(app.url("/api/v1/notifications/stream?ticket=made-up")))
        .await
        .assert_problem(401, "invalid_token");
    app.send(app.client.get(app.url("/api/v1/notifications/stream"))).await.assert_problem(401, "missing_token");
    // Expired: issued, then a minute and a bit pass.
    let late = app.post("/api/v1/notifications/stream-ticket", json!({}), Some(&s)).await.body;
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    crud_api::on_db!(&app.state.db, |pool| sqlx::query("UPDATE stream_tickets SET expires_at = $1")
        .bind(past)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
    app.send(app.client.get(app.url(late["stream_url"].as_str().unwrap()))).await.assert_problem(401, "invalid_token");
    // Only the hash is stored.
    let stored: Vec<String> =
        crud_api::on_db!(&app.state.db, |pool| sqlx::query_scalar("SELECT ticket_hash FROM stream_tickets")
            .fetch_all(pool)
            .await
            .unwrap());
    assert!(!stored.iter().any(|h| h == late["ticket"].as_str().unwrap()));
}

#[tokio::test]
async fn pushes_go_to_registered_devices_through_the_outbox() {
    let app = spawn_app().await;
    let s = seller(&app, "push-seller@example.com").await;
    let res = app.post("/api/v1/devices", json!({"token": "fcm-token-abc", "platform": "fcm"}), Some(&s)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        app.post("/api/v1/devices", json!({"token": "fcm-token-abc", "platform": "fcm"}), Some(&s)).await.status,
        201
    );
    app.post("/api/v1/devices", json!({"token": "", "platform": "fcm"}), Some(&s))
        .await
        .assert_problem(422, "validation_failed");
    app.post("/api/v1/devices", json!({"token": "x", "platform": "sms"}), Some(&s))
        .await
        .assert_problem(422, "validation_failed");

    let p = list_item(&app, &s, "decor", "액자", 5_000, json!({})).await;
    buy(&app, "push-buyer@example.com", p["id"].as_str().unwrap()).await;
    let n = app.get("/api/v1/notifications", Some(&s)).await.body;
    let nid = n["items"][0]["id"].as_str().unwrap().parse().unwrap();
    let outbox = crud_api::notifications::store::outbox_for(&app.state.db, nid).await.unwrap();
    assert_eq!(outbox.len(), 1, "one device, one push");
    assert_eq!((outbox[0].0.as_str(), outbox[0].1.as_str()), ("fcm", "fcm-token-abc"));
    let payload: serde_json::Value = serde_json::from_str(&outbox[0].2).unwrap();
    assert_eq!(payload["data"]["kind"], "order_placed");

    let res = app
        .send(app.client.delete(app.url("/api/v1/devices")).bearer_auth(&s).json(&json!({"token": "fcm-token-abc"})))
        .await;
    assert_eq!(res.status, 204);
    let p2 = list_item(&app, &s, "decor", "화분", 5_000, json!({})).await;
    buy(&app, "push-buyer2@example.com", p2["id"].as_str().unwrap()).await;
    let n = app.get("/api/v1/notifications", Some(&s)).await.body;
    let nid = n["items"][0]["id"].as_str().unwrap().parse().unwrap();
    assert!(crud_api::notifications::store::outbox_for(&app.state.db, nid).await.unwrap().is_empty());
}

/// Every event name a stream sends until the server ends it (panics if it is still open
/// after `within`).
async fn events_until_end(mut res: reqwest::Response, within: Duration) -> Vec<String> {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, res.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(_) => break,
            Err(_) => panic!("the stream is still open after {within:?}; got so far:\n{text}"),
        }
    }
    text.lines().filter_map(|l| l.strip_prefix("event:")).map(|e| e.trim().to_string()).collect()
}

async fn open_stream(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    let res = app.client.get(app.url("/api/v1/notifications/stream")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res
}

/// One user opened 50 streams with 50 tickets, all accepted, each polling the database on its
/// own: tickets are rate limited, and a sixth stream ends the oldest.
#[tokio::test]
async fn one_user_cannot_hold_unbounded_streams() {
    let app = spawn_app().await;
    let (token, _, user) = app.signup("many-streams@example.com").await;
    let user: uuid::Uuid = user.parse().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(app.post("/api/v1/notifications/stream-ticket", json!({}), Some(&token)).await.status.as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 20, "{statuses:?}");
    app.post("/api/v1/notifications/stream-ticket", json!({}), Some(&token)).await.assert_problem(429, "rate_limited");

    let mut streams = Vec::new();
    for _ in 0..7 {
        streams.push(open_stream(&app, &token).await);
    }
    assert_eq!(app.state.streams.open_for(user), 5);
    let newest = streams.split_off(2);
    for oldest in streams {
        assert_eq!(events_until_end(oldest, Duration::from_secs(5)).await, ["replaced"]);
    }
    let metrics = app.get("/metrics", None).await.body;
    assert!(metrics.as_str().unwrap().contains("crud_api_notification_streams_open 5"), "{metrics}");
    drop(newest);
}

/// A stream lives as long as the token that opened it, and not past the account's disabling
/// (both outlived them before).
#[tokio::test]
async fn streams_end_with_their_token_and_their_account() {
    let app = crate::helpers::spawn_with(|c| c.access_token_ttl_secs = 2).await;
    let (token, _, _) = app.signup("short-token@example.com").await;
    let stream = open_stream(&app, &token).await;
    assert_eq!(events_until_end(stream, Duration::from_secs(8)).await, ["token_expired"]);

    let app = spawn_app().await;
    let (token, _, user) = app.signup("to-be-disabled@example.com").await;
    // Through a ticket, as a browser does.
    let url = app.post("/api/v1/notifications/stream-ticket", json!({}), Some(&token)).await.body["stream_url"]
        .as_str()
        .unwrap()
        .to_string();
    let stream = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let id: uuid::Uuid = user.parse().unwrap();
    crud_api::on_db!(&app.state.db, |pool| sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(true)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    assert_eq!(events_until_end(stream, Duration::from_secs(15)).await, ["account_disabled"]);
    // And no new stream opens for it.
    app.send(app.client.get(app.url("/api/v1/notifications/stream")).bearer_auth(&token))
        .await
        .assert_problem(403, "account_disabled");
}
