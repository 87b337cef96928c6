//! Open Inference Protocol (KServe V2) request and response bodies, in JSON and
//! with the binary tensor extension that tritonclient uses by default.

pub mod binary;
pub mod tensor;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /v2/models/{m}/infer` body (the JSON part).
#[derive(Debug, Deserialize)]
pub struct InferRequest {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    pub inputs: Vec<RequestInput>,
    #[serde(default)]
    pub outputs: Option<Vec<RequestOutput>>,
}

#[derive(Debug, Deserialize)]
pub struct RequestInput {
    pub name: String,
    pub shape: Vec<i64>,
    pub datatype: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    pub data: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct RequestOutput {
    pub name: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct InferResponse {
    pub model_name: String,
    pub model_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub outputs: Vec<ResponseOutput>,
}

#[derive(Debug, Serialize)]
pub struct ResponseOutput {
    pub name: String,
    pub datatype: &'static str,
    pub shape: Vec<i64>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl InferRequest {
    /// Whether output `name` should come back as binary: asked per output, or for
    /// all outputs with the request-level `binary_data_output`.
    pub fn wants_binary(&self, name: &str) -> bool {
        let all = self.parameters.get("binary_data_output").and_then(Value::as_bool).unwrap_or(false);
        match &self.outputs {
            Some(outs) => outs
                .iter()
                .find(|o| o.name == name)
                .and_then(|o| o.parameters.get("binary_data").and_then(Value::as_bool))
                .unwrap_or(all),
            None => all,
        }
    }

    /// Whether output `name` was asked for (all outputs when none are listed).
    pub fn wants(&self, name: &str) -> bool {
        self.outputs.as_ref().is_none_or(|outs| outs.iter().any(|o| o.name == name))
    }
}
