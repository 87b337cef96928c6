//! Decoding request tensors from JSON `data` or binary chunks.

use serde_json::Value;

use crate::error::DlError;

/// Flattens nested JSON arrays (the protocol allows both flat and nested data).
fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other),
    }
}

pub fn elements(shape: &[i64]) -> Result<usize, DlError> {
    shape.iter().try_fold(1usize, |acc, d| {
        let d = usize::try_from(*d).map_err(|_| DlError::BadRequest(format!("invalid shape {shape:?}")))?;
        acc.checked_mul(d).ok_or_else(|| DlError::BadRequest(format!("shape {shape:?} is too large")))
    })
}

/// The `expected` elements of JSON `data` (flat or nested), each converted by `convert`;
/// `kind` names what a bad element should have been.
fn from_json<T>(
    name: &str,
    data: &Value,
    expected: usize,
    kind: &str,
    convert: impl Fn(&Value) -> Option<T>,
) -> Result<Vec<T>, DlError> {
    let mut flat = Vec::with_capacity(expected);
    flatten(data, &mut flat);
    if flat.len() != expected {
        return Err(DlError::BadRequest(format!("input {name}: {} values for a shape of {expected}", flat.len())));
    }
    flat.into_iter().map(|v| convert(v).ok_or_else(|| DlError::BadRequest(format!("input {name}: {kind}")))).collect()
}

pub fn f32_from_json(name: &str, data: &Value, expected: usize) -> Result<Vec<f32>, DlError> {
    from_json(name, data, expected, "non-numeric value", |v| v.as_f64().map(|x| x as f32))
}

pub fn f32_from_bytes(name: &str, bytes: &[u8], expected: usize) -> Result<Vec<f32>, DlError> {
    if bytes.len() != expected * 4 {
        return Err(DlError::BadRequest(format!(
            "input {name}: {} bytes of FP32 data for a shape of {expected} elements",
            bytes.len()
        )));
    }
    Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

pub fn strings_from_json(name: &str, data: &Value, expected: usize) -> Result<Vec<String>, DlError> {
    from_json(name, data, expected, "BYTES data must be strings", |v| v.as_str().map(String::from))
}

/// BYTES elements in binary form: each is a little-endian u32 length then the bytes.
pub fn strings_from_bytes(name: &str, mut bytes: &[u8], expected: usize) -> Result<Vec<String>, DlError> {
    let bad = |why: &str| DlError::BadRequest(format!("input {name}: {why}"));
    let mut out = Vec::with_capacity(expected);
    while !bytes.is_empty() {
        if bytes.len() < 4 {
            return Err(bad("truncated BYTES element length"));
        }
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let rest = &bytes[4..];
        if rest.len() < len {
            return Err(bad("truncated BYTES element"));
        }
        out.push(String::from_utf8(rest[..len].to_vec()).map_err(|_| bad("BYTES element is not UTF-8"))?);
        bytes = &rest[len..];
    }
    if out.len() != expected {
        return Err(bad(&format!("{} elements for a shape of {expected}", out.len())));
    }
    Ok(out)
}

pub fn f32_to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_flat_json_agree() {
        let a = f32_from_json("x", &json!([[1, 2], [3, 4.5]]), 4).unwrap();
        let b = f32_from_json("x", &json!([1, 2, 3, 4.5]), 4).unwrap();
        assert_eq!(a, b);
        assert!(f32_from_json("x", &json!([1, 2, 3]), 4).is_err());
        assert!(f32_from_json("x", &json!(["a", 2, 3, 4]), 4).is_err());
    }

    #[test]
    fn bytes_round_trip() {
        let v = [1.5f32, -2.0, 0.25];
        assert_eq!(f32_from_bytes("x", &f32_to_bytes(&v), 3).unwrap(), v);
        assert!(f32_from_bytes("x", &f32_to_bytes(&v), 4).is_err());
        let mut raw = Vec::new();
        for s in ["sofa", "소파"] {
            raw.extend((s.len() as u32).to_le_bytes());
            raw.extend(s.as_bytes());
        }
        assert_eq!(strings_from_bytes("t", &raw, 2).unwrap(), ["sofa", "소파"]);
        assert!(strings_from_bytes("t", &raw[..raw.len() - 1], 2).is_err());
    }

    #[test]
    fn shapes_must_be_non_negative_and_small() {
        assert_eq!(elements(&[2, 3]).unwrap(), 6);
        assert!(elements(&[-1, 3]).is_err());
        assert!(elements(&[i64::MAX, i64::MAX]).is_err());
    }
}
