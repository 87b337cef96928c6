//! gzip for the answers `conditional` buffers anyway (every GET): one deflate state per thread,
//! reset between answers. tower-http's layer builds a new state per answer, and allocating and
//! clearing its ~300 KB of windows and hash tables cost more than compressing a listing page —
//! ~8% of the server's CPU on `GET /products` (docs/benchmarks.md). Other answers (POST, PATCH…)
//! still go through tower-http's `CompressionLayer`.

use std::cell::RefCell;

use axum::http::{header, HeaderMap};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Answers smaller than this are sent as they are: the gzip framing alone is 18 bytes.
pub const MIN_BYTES: usize = 256;

thread_local! {
    // The fastest level: the default cost a listing page more CPU than its database query,
    // for answers ~10% smaller.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// True when the request's `Accept-Encoding` takes gzip (`gzip` or `*`, with a non-zero q).
pub fn accepted(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
        },
    )
}

/// True for the text types worth compressing (JSON, problem+json, text, JavaScript, SVG).
pub fn compressible(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("application/json")
        || ct.starts_with("application/problem+json")
        || ct.starts_with("application/javascript")
        || ct.starts_with("image/svg+xml")
        || (ct.starts_with("text/") && !ct.starts_with("text/event-stream"))
}

/// `data` as a gzip member (RFC 1952): header, raw deflate, CRC-32 and length.
pub fn encode(data: &[u8]) -> Vec<u8> {
    // ID1 ID2, CM = deflate, no flags, no mtime, XFL 0, OS unknown.
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    DEFLATE.with(|d| {
        let mut d = d.borrow_mut();
        d.reset();
        loop {
            let consumed = d.total_in() as usize;
            let status =
                d.compress_vec(&data[consumed..], &mut out, FlushCompress::Finish).expect("deflate of a slice");
            if status == Status::StreamEnd {
                break;
            }
            // Out of room: compress_vec only fills the spare capacity.
            out.reserve(out.capacity().max(4096));
        }
    });
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::HeaderValue;

    use super::*;

    fn decode(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz).read_to_end(&mut out).expect("valid gzip");
        out
    }

    #[test]
    fn round_trips_and_the_reused_state_starts_clean() {
        let page = "{\"items\":[".to_string() + &"{\"title\":\"원목 식탁\",\"price\":150000},".repeat(400) + "]}";
        let first = encode(page.as_bytes());
        assert_eq!(decode(&first), page.as_bytes());
        assert!(first.len() * 5 < page.len(), "{} of {}", first.len(), page.len());
        // A second, different answer on the same thread, then the first again: same bytes.
        assert_eq!(decode(&encode(b"short")), b"short");
        assert_eq!(encode(page.as_bytes()), first);
        // Incompressible data larger than the first guess of the output's size.
        let noise: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        assert_eq!(decode(&encode(&noise)), noise);
        assert_eq!(decode(&encode(b"")), b"");
    }

    #[test]
    fn accept_encoding_is_read_as_rfc_9110_says() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            accepted(&h)
        };
        for yes in ["gzip", "GZIP", "br, gzip;q=0.5", "deflate, *", "gzip; q=1"] {
            assert!(with(yes), "{yes}");
        }
        for no in ["br", "gzip;q=0", "identity", "gzipx", "*;q=0"] {
            assert!(!with(no), "{no}");
        }
        assert!(!accepted(&HeaderMap::new()));
    }
}
