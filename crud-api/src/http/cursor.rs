//! Page cursors: opaque to clients, but each kind has a fixed length, so the OpenAPI pattern
//! says exactly which strings are cursors — a generated client (or schemathesis) that sends
//! any string matching it sends one the server accepts. All are base64url without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

use crate::platform::error::{ApiError, ApiResult};

/// After a row id (16 bytes: 21 characters and one whose low bits are zero), or empty.
pub const ID_PATTERN: &str = "^([A-Za-z0-9_-]{21}[AQgw])?$";
/// A position in a sorted list: 8 bytes of price or offset and a 16-byte id, or empty.
pub const POSITION_PATTERN: &str = "^([A-Za-z0-9_-]{32})?$";
/// An offset into a short list (4 bytes), or empty.
pub const OFFSET_PATTERN: &str = "^([A-Za-z0-9_-]{5}[AQgw])?$";

fn bytes<const N: usize>(cursor: &str) -> ApiResult<[u8; N]> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| ApiError::field("cursor", "not a cursor from this list; start again without one"))
}

pub fn encode_id(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub fn decode_id(cursor: &str) -> ApiResult<Uuid> {
    Ok(Uuid::from_bytes(bytes::<16>(cursor)?))
}

pub fn encode_position(n: i64, id: Uuid) -> String {
    let mut b = [0u8; 24];
    b[..8].copy_from_slice(&n.to_be_bytes());
    b[8..].copy_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(b)
}

pub fn decode_position(cursor: &str) -> ApiResult<(i64, Uuid)> {
    let b = bytes::<24>(cursor)?;
    let n = i64::from_be_bytes(b[..8].try_into().expect("8 bytes"));
    Ok((n, Uuid::from_slice(&b[8..]).expect("16 bytes")))
}

pub fn encode_offset(n: u32) -> String {
    URL_SAFE_NO_PAD.encode(n.to_be_bytes())
}

pub fn decode_offset(cursor: &str) -> ApiResult<u32> {
    Ok(u32::from_be_bytes(bytes::<4>(cursor)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, s: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(s)
    }

    #[test]
    fn cursors_round_trip_and_match_their_patterns() {
        let id = Uuid::now_v7();
        let c = encode_id(id);
        assert!(matches(ID_PATTERN, &c), "{c}");
        assert_eq!(decode_id(&c).unwrap(), id);
        let c = encode_position(-5, id);
        assert!(matches(POSITION_PATTERN, &c), "{c}");
        assert_eq!(decode_position(&c).unwrap(), (-5, id));
        let c = encode_offset(40);
        assert!(matches(OFFSET_PATTERN, &c), "{c}");
        assert_eq!(decode_offset(&c).unwrap(), 40);
        assert!(decode_id("nope").is_err());
    }

    /// Every string the pattern allows decodes: the last character's unused bits are zero.
    #[test]
    fn every_string_matching_a_pattern_is_a_cursor() {
        for last in ['A', 'Q', 'g', 'w'] {
            assert!(decode_id(&format!("{}{last}", "_".repeat(21))).is_ok());
            assert!(decode_offset(&format!("{}{last}", "-".repeat(5))).is_ok());
        }
        assert!(decode_position(&"z".repeat(32)).is_ok());
    }
}
