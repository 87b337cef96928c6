//! The binary tensor extension: a JSON header of `Inference-Header-Content-Length`
//! bytes, then the raw tensors back to back in the order the header lists them.

use bytes::Bytes;
use serde_json::Value;

use crate::error::DlError;
use crate::oip::{InferRequest, InferResponse};

pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// A parsed request and, for each input, its binary chunk (if it was sent binary).
pub struct Parsed {
    pub request: InferRequest,
    pub chunks: Vec<Option<Bytes>>,
}

pub fn parse(body: Bytes, header_length: Option<usize>) -> Result<Parsed, DlError> {
    let json_len = header_length.unwrap_or(body.len());
    if json_len > body.len() {
        return Err(DlError::BadRequest(format!(
            "Inference-Header-Content-Length {json_len} exceeds the body ({} bytes)",
            body.len()
        )));
    }
    let request: InferRequest = serde_json::from_slice(&body[..json_len])
        .map_err(|e| DlError::BadRequest(format!("invalid inference request: {e}")))?;
    let mut offset = json_len;
    let mut chunks = Vec::with_capacity(request.inputs.len());
    for input in &request.inputs {
        match input.parameters.get("binary_data_size") {
            None => chunks.push(None),
            Some(size) => {
                let size = size
                    .as_u64()
                    .and_then(|s| usize::try_from(s).ok())
                    .ok_or_else(|| DlError::BadRequest(format!("input {}: invalid binary_data_size", input.name)))?;
                let end = offset.checked_add(size).filter(|end| *end <= body.len()).ok_or_else(|| {
                    DlError::BadRequest(format!("input {}: binary data runs past the body", input.name))
                })?;
                chunks.push(Some(body.slice(offset..end)));
                offset = end;
            }
        }
    }
    if offset != body.len() {
        return Err(DlError::BadRequest(format!("{} unexpected bytes after the tensors", body.len() - offset)));
    }
    Ok(Parsed { request, chunks })
}

/// The response body and, when any output is binary, the JSON header length.
pub fn encode(mut response: InferResponse, binaries: Vec<Option<Vec<u8>>>) -> (Vec<u8>, Option<usize>) {
    let any_binary = binaries.iter().any(Option::is_some);
    for (out, bin) in response.outputs.iter_mut().zip(&binaries) {
        if let Some(bin) = bin {
            out.parameters.insert("binary_data_size".into(), Value::from(bin.len()));
            out.data = None;
        }
    }
    let mut body = serde_json::to_vec(&response).expect("serialising a response never fails");
    if !any_binary {
        return (body, None);
    }
    let header = body.len();
    for bin in binaries.into_iter().flatten() {
        body.extend_from_slice(&bin);
    }
    (body, Some(header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_header_and_chunks() {
        let json = br#"{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},{"name":"b","shape":[1],"datatype":"FP32","data":[1]}]}"#;
        let mut body = json.to_vec();
        body.extend([0u8; 8]);
        let parsed = parse(Bytes::from(body.clone()), Some(json.len())).unwrap();
        assert_eq!(parsed.chunks[0].as_ref().unwrap().len(), 8);
        assert!(parsed.chunks[1].is_none());
        // A header length past the body, or leftover bytes, are refused.
        assert!(parse(Bytes::from(body.clone()), Some(body.len() + 1)).is_err());
        body.push(0);
        assert!(parse(Bytes::from(body), Some(json.len())).is_err());
    }
}
