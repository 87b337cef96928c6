//! Finding metadata in stored image bytes: the post-condition of every rendition we store (no
//! EXIF, XMP, IPTC or comments), checked on the bytes themselves rather than trusted from the
//! encoder.

/// True when `bytes` (JPEG or PNG) carry anything beyond pixels and the colour profile: an
/// EXIF, XMP or IPTC block, a comment, or PNG text/time chunks.
pub fn carries_metadata(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg_carries_metadata(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_carries_metadata(bytes)
    } else {
        // Not a format we store: treat as unsafe.
        true
    }
}

/// Walks the marker segments up to the image data. Allowed: APP0 (JFIF), APP2 (ICC profile),
/// APP14 (Adobe colour transform). Anything else before the scan that is an APPn or COM is
/// metadata.
fn jpeg_carries_metadata(b: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return true; // malformed: refuse to vouch for it
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            return false; // start of scan / end of image: no metadata before the pixels
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        let is_app = (0xE0..=0xEF).contains(&marker);
        if marker == 0xFE || (is_app && !matches!(marker, 0xE0 | 0xE2 | 0xEE)) {
            return true;
        }
        if marker == 0xE2 && !b[i + 4..].starts_with(b"ICC_PROFILE\0") {
            return true; // APP2 that isn't a colour profile (e.g. FlashPix, MPF)
        }
        i += 2 + len;
    }
    true
}

fn png_carries_metadata(b: &[u8]) -> bool {
    let mut i = 8;
    while i + 8 <= b.len() {
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        if matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            return true;
        }
        if kind == b"IEND" {
            return false;
        }
        i = i.saturating_add(12).saturating_add(len);
    }
    true
}

/// Test fixtures: a JPEG the way a phone writes one — EXIF with the camera's make, an
/// orientation and a GPS position (tag 0x8825), plus XMP and IPTC blocks.
#[doc(hidden)]
pub mod fixtures {
    /// The GPS latitude written into fixtures: 37° 33' 59.5" N (Seoul).
    pub const LATITUDE: [(u32, u32); 3] = [(37, 1), (33, 1), (595, 10)];

    /// A `w`×`h` JPEG (a left-to-right gradient, so rotations are visible) whose EXIF says
    /// `orientation` (1–8), with GPS, camera make, XMP and IPTC blocks.
    pub fn phone_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x * 255 / w.max(1)) as u8, 80, 160]));
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&img).expect("encode");
        with_phone_metadata(&plain, orientation)
    }

    /// `jpeg` with a phone's EXIF (orientation, GPS, camera make), XMP and IPTC blocks inserted
    /// right after its start-of-image marker.
    pub fn with_phone_metadata(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend(segment(0xE1, &[b"Exif\0\0".as_slice(), &tiff(orientation)].concat()));
        let xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>37,33.99N</exif:GPSLatitude></x:xmpmeta>";
        out.extend(segment(0xE1, &[b"http://ns.adobe.com/xap/1.0/\0".as_slice(), xmp].concat()));
        let iptc = [b"Photoshop 3.0\0".as_slice(), b"8BIM\x04\x04\0\0\0\0\0\x0a\x1c\x02\x5a\0\x05Seoul"].concat();
        out.extend(segment(0xED, &iptc));
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// A big-endian TIFF block: IFD0 with Make, Orientation and the GPS IFD pointer; the GPS
    /// IFD with the latitude and its reference.
    fn tiff(orientation: u16) -> Vec<u8> {
        let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            [tag.to_be_bytes().as_slice(), &kind.to_be_bytes(), &count.to_be_bytes(), &value].concat()
        };
        let (ifd0, make_at, gps_at) = (8u32, 50u32, 56u32);
        let lat_at = gps_at + 30;
        let mut t = b"MM\0\x2a".to_vec();
        t.extend_from_slice(&ifd0.to_be_bytes());
        t.extend_from_slice(&3u16.to_be_bytes());
        t.extend(entry(0x010F, 2, 6, make_at.to_be_bytes()));
        let o = orientation.to_be_bytes();
        t.extend(entry(0x0112, 3, 1, [o[0], o[1], 0, 0]));
        t.extend(entry(0x8825, 4, 1, gps_at.to_be_bytes()));
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(b"Canon\0");
        t.extend_from_slice(&2u16.to_be_bytes());
        t.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
        t.extend(entry(0x0002, 5, 3, lat_at.to_be_bytes()));
        t.extend_from_slice(&0u32.to_be_bytes());
        for (num, den) in LATITUDE {
            t.extend_from_slice(&num.to_be_bytes());
            t.extend_from_slice(&den.to_be_bytes());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_phones_write_and_passes_clean_renditions() {
        let phone = fixtures::phone_jpeg(96, 64, 6);
        assert!(carries_metadata(&phone));
        assert!(phone.windows(6).any(|w| w == b"Exif\0\0"));
        let clean = crate::catalogue::media::images::process(&phone, Default::default()).unwrap();
        assert!(!carries_metadata(&clean.image));
        assert!(!carries_metadata(&clean.thumbnail));
        assert!(carries_metadata(b"GIF89a"), "an unknown format is never vouched for");
    }
}
