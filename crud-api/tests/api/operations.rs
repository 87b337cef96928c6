//! Health, readiness, metrics, request ids, OpenAPI and Swagger UI.

use crate::helpers::{backend, spawn_app};

#[tokio::test]
async fn liveness_endpoints_answer_json() {
    let app = spawn_app().await;
    for path in ["/health", "/healthz"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.body["status"], "ok");
        assert_eq!(res.body["service"], "crud-api");
    }
}

#[tokio::test]
async fn readiness_follows_the_database() {
    let app = spawn_app().await;
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["database"], "ok");
    assert_eq!(res.body["backend"], backend());

    app.state.db.close().await;
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status, 503);
    assert_eq!(res.body["status"], "unavailable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[tokio::test]
async fn metrics_count_by_route_template_and_status() {
    let app = spawn_app().await;
    let (access, _, _) = app.signup("metrics@example.com").await;
    app.get("/api/v1/users/me", Some(&access)).await;
    app.get("/api/v1/users/me", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, 200);
    assert!(res.headers["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = res.body.as_str().unwrap();
    for needle in [
        r#"crud_api_http_requests_total{method="GET",route="/api/v1/users/me",status="200"} 1"#,
        r#"crud_api_http_requests_total{method="GET",route="/api/v1/users/me",status="401"} 1"#,
        r#"crud_api_http_requests_total{method="POST",route="/api/v1/auth/signup",status="201"} 1"#,
        "crud_api_http_request_duration_seconds_bucket",
        "crud_api_db_pool_connections ",
        "crud_api_db_pool_idle_connections ",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.headers["x-request-id"].len(), 36);
    let res = app.send(app.client.get(app.url("/health")).header("x-request-id", "trace-me-123")).await;
    assert_eq!(res.headers["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = crate::helpers::spawn_with(|c| c.cors_origins = vec!["https://shop.example".into()]).await;
    let pre = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/users/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
    };
    let ok = app.send(pre("https://shop.example")).await;
    assert_eq!(ok.headers["access-control-allow-origin"], "https://shop.example");
    // A browser app's own headers pass the preflight (they were refused: no SSE resumption,
    // no conditional requests, no client request ids), and replays are readable.
    let browser = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/notifications/stream"))
                .header("origin", "https://shop.example")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization,last-event-id,if-none-match,x-request-id"),
        )
        .await;
    let allowed = browser.headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    for h in ["last-event-id", "if-none-match", "x-request-id", "idempotency-key"] {
        assert!(allowed.contains(h), "{h} not allowed: {allowed}");
    }
    let exposed = app.send(app.client.get(app.url("/health")).header("origin", "https://shop.example")).await.headers
        ["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("idempotent-replayed") && exposed.contains("x-request-id"), "{exposed}");
    let other = app.send(pre("https://evil.example")).await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    // Resource Timing on the allowed origins (a 304 vs a 200, the wait) — for photo loads too,
    // which send no Origin header.
    for req in [
        app.client.get(app.url("/api/v1/products")).header("origin", "https://shop.example"),
        app.client.get(app.url("/health")),
    ] {
        assert_eq!(app.send(req).await.headers["timing-allow-origin"], "https://shop.example");
    }
    let closed = spawn_app().await;
    assert!(closed.send(closed.client.get(closed.url("/health"))).await.headers.get("timing-allow-origin").is_none());
}

#[tokio::test]
async fn openapi_is_served_and_swagger_ui_works_offline() {
    let app = spawn_app().await;
    let res = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["openapi"], "3.1.0");
    assert!(res.body["paths"]["/api/v1/auth/login"]["post"].is_object());
    // "Try it out" calls the host the page came from — here 127.0.0.1 on a random port, which
    // a hard-coded http://localhost:8001 never matched (a CORS failure in the browser).
    let servers = res.body["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1);
    let url = url::Url::parse(&app.base).unwrap().join(servers[0]["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.as_str().trim_end_matches('/'), app.base, "the server URL resolves to this host");
    let ui = app.send(app.client.get(app.url("/docs/"))).await;
    assert_eq!(ui.status, 200);
    assert!(ui.body.as_str().unwrap().contains("swagger-ui"));
    let js = app.send(app.client.get(app.url("/docs/swagger-ui-bundle.js"))).await;
    assert_eq!(js.status, 200);
}

/// `api/crud-api.openapi.json` must equal what the code generates.
/// Regenerate with `make openapi` (sets UPDATE_OPENAPI=1).
#[test]
fn committed_openapi_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/crud-api.openapi.json");
    let generated = crud_api::http::openapi::json();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "api/crud-api.openapi.json is stale: run `make openapi` and commit it");
}

#[tokio::test]
async fn query_strings_are_exact_an_unknown_parameter_is_a_400_and_an_empty_cursor_the_first_page() {
    let app = spawn_app().await;
    let (token, _, _) = app.signup("query@example.com").await;
    // It was silently ignored: `/orders?status=paid` listed every order.
    let res = app.get("/api/v1/orders?status=paid", Some(&token)).await;
    res.assert_problem(400, "malformed_request");
    assert!(res.body["detail"].as_str().unwrap().contains("unknown query parameter `status`"), "{}", res.body);
    app.get("/api/v1/products?colour=red", None).await.assert_problem(400, "malformed_request");
    // `cursor=` (a client that always sends the field) is the first page, not a 422.
    for path in ["/api/v1/products?cursor=", "/api/v1/orders?cursor=&limit=5", "/api/v1/notifications?cursor="] {
        let res = app.get(path, Some(&token)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
    }
    // A value that doesn't parse names the parameter.
    let res = app.get("/api/v1/products?limit=many", None).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "limit", "{}", res.body);
    // In words, not serde's ("invalid digit found in string").
    assert_eq!(res.body["errors"][0]["message"], "must be a whole number", "{}", res.body);
}
