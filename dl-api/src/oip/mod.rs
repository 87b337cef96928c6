//! Open Inference Protocol (KServe V2) request and response bodies, in JSON and
//! with the binary tensor extension that tritonclient uses by default.

pub mod binary;
pub mod tensor;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /v2/models/{m}/infer` body (the JSON part).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InferRequest {
    /// Echoed in the response.
    #[serde(default)]
    pub id: Option<String>,
    /// `binary_data_output: true` asks for every output as binary.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
    pub inputs: Vec<RequestInput>,
    #[serde(default)]
    pub outputs: Option<Vec<RequestOutput>>,
}

/// One input tensor: its values in `data` (row-major, flat or nested), or — with the binary
/// extension — `parameters.binary_data_size` bytes after the JSON header.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RequestInput {
    #[schema(example = "input")]
    pub name: String,
    #[schema(example = json!([1, 3, 224, 224]))]
    pub shape: Vec<i64>,
    /// `FP32` for images, `BYTES` for texts.
    #[schema(example = "FP32")]
    pub datatype: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    /// Numbers for FP32, strings for BYTES; flat or nested as the shape.
    #[schema(value_type = Option<Vec<serde_json::Value>>)]
    pub data: Option<Value>,
}

/// An output asked for; `parameters.binary_data: true` returns it as binary.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RequestOutput {
    #[schema(example = "embedding")]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
}

/// The answer: each output's values in `data`, or (binary) `parameters.binary_data_size` bytes
/// after the JSON header, whose length is the `Inference-Header-Content-Length` header.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InferResponse {
    pub model_name: String,
    pub model_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub outputs: Vec<ResponseOutput>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseOutput {
    pub name: String,
    #[schema(example = "FP32")]
    pub datatype: &'static str,
    pub shape: Vec<i64>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<f32>>)]
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
