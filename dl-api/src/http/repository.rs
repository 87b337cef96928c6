//! Open Inference Protocol model repository extension: index, load (a version), unload.
//! Admin keys only (`auth::require_admin`). The request bodies are optional, as tritonclient
//! sends them: `{}` or nothing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::{DlError, Problem};
use crate::http::body::optional_json;
use crate::models::repository::IndexEntry;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct IndexRequest {
    /// Only the versions serving now.
    #[serde(default)]
    pub ready: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LoadRequest {
    /// `version`: the version to load (default: the configured one). Or, as tritonclient's
    /// `load_model(name, config=…)` sends it, `config`: a JSON string whose
    /// `version_policy.specific.versions` names one version.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"version": "2"}))]
    pub parameters: Map<String, Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoadResponse {
    #[schema(example = "efficientnet-lite0")]
    pub name: String,
    /// The version now serving.
    #[schema(example = "2")]
    pub version: String,
}

/// Unload's body; `unload_dependents` is accepted and means nothing here (no ensembles).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UnloadRequest {
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
}

/// The version a load request names, if any.
fn requested_version(parameters: &Map<String, Value>) -> Result<Option<String>, DlError> {
    if let Some(v) = parameters.get("version") {
        return match v {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            _ => Err(DlError::BadRequest("parameters.version must be a string".into())),
        };
    }
    let Some(config) = parameters.get("config") else { return Ok(None) };
    let config: Value = match config {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|e| DlError::BadRequest(format!("parameters.config is not a JSON document: {e}")))?,
        other => other.clone(),
    };
    let versions = &config["version_policy"]["specific"]["versions"];
    match versions.as_array().map(Vec::as_slice) {
        None if config.get("version_policy").is_none() => Ok(None),
        Some([one]) => Ok(Some(match one {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })),
        _ => Err(DlError::BadRequest(
            "parameters.config: only version_policy.specific.versions with one version is supported".into(),
        )),
    }
}

/// Repository index
///
/// Every version of every model on disk, with the one serving marked `READY`.
#[utoipa::path(post, path = "/v2/repository/index", operation_id = "repository_index", tag = "repository",
    security(("api_key" = []), ("bearer" = [])),
    request_body(content = IndexRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = 200, description = "The index", body = [IndexEntry]),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn index(State(state): State<AppState>, body: Bytes) -> Result<Json<Vec<IndexEntry>>, DlError> {
    let req: IndexRequest = optional_json(&body)?;
    Ok(Json(state.models()?.index(&state.config, req.ready)))
}

/// Load a model version
///
/// Loads the version (default: the configured one) from the repository, warms it up and
/// makes it the one serving. Requests keep being answered throughout: by the previous version
/// until the new one is warm, and those already running on it finish there. If the load fails
/// the previous version goes on serving.
#[utoipa::path(post, path = "/v2/repository/models/{model}/load", operation_id = "repository_load", tag = "repository",
    security(("api_key" = []), ("bearer" = [])),
    params(("model" = String, Path, description = "`efficientnet-lite0` or `minilm-l6-v2`")),
    request_body(content = LoadRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = 200, description = "Loaded and serving", body = LoadResponse),
        (status = 400, description = "Not JSON, or not a version name", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such model or version in the repository", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The version's files don't load; the previous version still serves", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn load(
    State(state): State<AppState>,
    Path(model): Path<String>,
    body: Bytes,
) -> Result<Json<LoadResponse>, DlError> {
    let req: LoadRequest = optional_json(&body)?;
    let version = requested_version(&req.parameters)?;
    let models = state.models()?;
    let version = models.load_version(&state.config, &state.metrics, &model, version.as_deref()).await?;
    Ok(Json(LoadResponse { name: model, version }))
}

/// Unload a model
///
/// The model stops serving: new requests get 503 `model_not_ready` until it is loaded again;
/// those running finish.
#[utoipa::path(post, path = "/v2/repository/models/{model}/unload", operation_id = "repository_unload", tag = "repository",
    security(("api_key" = []), ("bearer" = [])),
    params(("model" = String, Path, description = "`efficientnet-lite0` or `minilm-l6-v2`")),
    request_body(content = UnloadRequest, description = "Optional", content_type = "application/json"),
    responses(
        (status = 200, description = "Unloaded", body = Object),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unload(
    State(state): State<AppState>,
    Path(model): Path<String>,
    body: Bytes,
) -> Result<Json<Map<String, Value>>, DlError> {
    let _req: UnloadRequest = optional_json(&body)?;
    state.models()?.unload(&model).await?;
    Ok(Json(Map::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_version_comes_from_parameters_or_a_triton_config() {
        assert_eq!(requested_version(&params(json!({}))).unwrap(), None);
        assert_eq!(requested_version(&params(json!({"version": "2"}))).unwrap().as_deref(), Some("2"));
        assert_eq!(requested_version(&params(json!({"version": 3}))).unwrap().as_deref(), Some("3"));
        let triton = json!({"config": "{\"version_policy\": {\"specific\": {\"versions\": [2]}}}"});
        assert_eq!(requested_version(&params(triton)).unwrap().as_deref(), Some("2"));
        // A config without a version policy (e.g. a max_batch_size override) names no version.
        assert_eq!(requested_version(&params(json!({"config": "{\"max_batch_size\": 8}"}))).unwrap(), None);
        for bad in [
            json!({"version": true}),
            json!({"config": "not json"}),
            json!({"config": "{\"version_policy\": {\"latest\": {\"num_versions\": 2}}}"}),
            json!({"config": "{\"version_policy\": {\"specific\": {\"versions\": [1, 2]}}}"}),
        ] {
            assert!(requested_version(&params(bad.clone())).is_err(), "{bad}");
        }
    }
}
