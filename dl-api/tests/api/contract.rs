//! dl-api's own contract: the committed OpenAPI document is the code's, Swagger UI serves it,
//! and a wrong path or method answers problem+json like every other failure.

use serde_json::Value;

use crate::helpers::{json, spawn, KEY};

#[test]
fn committed_openapi_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/dl-api.openapi.json");
    let generated = dl_api::http::openapi::json();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "api/dl-api.openapi.json is stale: run `make openapi` and commit it");
}

fn assert_problem(status: u16, code: &str, got: (reqwest::StatusCode, reqwest::header::HeaderMap, Value)) {
    let (s, headers, body) = got;
    assert_eq!(s.as_u16(), status, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], format!("https://gajyeogagu.io/problems/{code}"), "{body}");
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_as_problems() {
    let s = spawn(&[]).await;
    // Was 400 "no such route": a client couldn't tell a typo in the path from a bad body.
    for path in ["/v1/analyse", "/v3/models", "/v2/repository/index/extra", "/"] {
        assert_problem(404, "not_found", json(s.get(path).send().await.unwrap()).await);
    }
    assert_problem(404, "not_found", json(s.post("/v1/embed").body("{}").send().await.unwrap()).await);
    // Was a bare 405 with an empty body.
    let res = s.get("/v1/analyze").send().await.unwrap();
    assert_eq!(res.headers()["allow"], "POST", "the Allow header says what would work");
    assert_problem(405, "method_not_allowed", json(res).await);
    for (method, path) in [("DELETE", "/v2/models/efficientnet-lite0"), ("PUT", "/v1/embed/text"), ("POST", "/readyz")]
    {
        let req = s.client.request(method.parse().unwrap(), s.url(path)).header("x-api-key", KEY);
        assert_problem(405, "method_not_allowed", json(req.send().await.unwrap()).await);
    }
    // The open routes stay open and the protected ones protected.
    assert_eq!(s.client.get(s.url("/healthz")).send().await.unwrap().status(), 200);
    assert_problem(401, "unauthorized", json(s.client.get(s.url("/v1/models")).send().await.unwrap()).await);
}

#[tokio::test]
async fn swagger_ui_serves_the_committed_document_without_a_key() {
    let s = spawn(&[]).await;
    let res = s.client.get(s.url("/api-docs/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let served: Value = res.json().await.unwrap();
    let committed: Value = serde_json::from_str(&dl_api::http::openapi::json()).unwrap();
    assert_eq!(served, committed);
    // Every route the server answers is in the document, and the reverse.
    let paths = served["paths"].as_object().unwrap();
    for path in
        ["/v1/analyze", "/v1/analyze/stream", "/v1/embed/text", "/v1/models", "/v2/models/{model}/infer", "/readyz"]
    {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    let page = s.client.get(s.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"), "/docs/ serves Swagger UI");
}

#[tokio::test]
async fn answers_have_the_documented_shape() {
    let s = spawn(&[]).await;
    let doc: Value = serde_json::from_str(&dl_api::http::openapi::json()).unwrap();
    let schema = |name: &str| doc["components"]["schemas"][name]["properties"].as_object().unwrap().clone();
    // Each answer's fields are the schema's (no undocumented field, no documented one missing
    // unless optional) — the typed responses replaced hand-written JSON.
    let check = |name: &str, body: &Value| {
        let props = schema(name);
        let required: Vec<&str> = doc["components"]["schemas"][name]["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for key in body.as_object().unwrap().keys() {
            assert!(props.contains_key(key), "{name}: `{key}` is not documented: {body}");
        }
        for key in required {
            assert!(body.get(key).is_some(), "{name}: documented `{key}` missing: {body}");
        }
    };
    let (_, _, models) = json(s.get("/v1/models").send().await.unwrap()).await;
    check("ModelsResponse", &models);
    check("ModelInfo", &models["models"][0]);
    let (_, _, embedded) =
        json(s.post("/v1/embed/text").json(&serde_json::json!({"texts": ["소파"]})).send().await.unwrap()).await;
    check("EmbedResponse", &embedded);
    let (_, _, meta) = json(s.get("/v2/models/efficientnet-lite0").send().await.unwrap()).await;
    check("ModelMetadata", &meta);
    let (_, _, server) = json(s.get("/v2").send().await.unwrap()).await;
    check("ServerMetadata", &server);
    let (_, _, ready) = json(s.client.get(s.url("/readyz")).send().await.unwrap()).await;
    check("Readiness", &ready);
}

#[tokio::test]
async fn only_implemented_protocol_extensions_are_claimed() {
    let s = spawn(&["--admin-api-keys", "contract-admin"]).await;
    let (_, _, server) = json(s.get("/v2").send().await.unwrap()).await;
    // `model_repository` was claimed while /v2/repository/index answered 400 "no such route":
    // tritonclient takes a claimed extension's routes for granted.
    for extension in server["extensions"].as_array().unwrap() {
        let probe = match extension.as_str().unwrap() {
            "binary_tensor_data" => continue, // exercised by scripts/oip-conformance.py
            "model_repository" => s
                .client
                .post(s.url("/v2/repository/index"))
                .header("x-api-key", "contract-admin")
                .json(&serde_json::json!({})),
            other => panic!("extension {other} is claimed but has no check here"),
        };
        let res = probe.send().await.unwrap();
        assert_eq!(res.status(), 200, "{extension} is claimed: {}", res.text().await.unwrap());
    }
}
