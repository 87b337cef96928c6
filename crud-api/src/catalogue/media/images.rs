//! Image uploads are checked by content, never by name: the bytes must be JPEG, PNG or WebP,
//! within size and pixel limits (the header's dimensions are checked before decoding, and the
//! decoder's allocations are capped, so decompression bombs are refused cheaply).
//!
//! Uploaded bytes are never stored: the photo is decoded, turned upright by its EXIF
//! orientation, and re-encoded from pixels, so what is stored and served carries no EXIF
//! (GPS position, camera serials), XMP or IPTC — only the colour profile.

use std::io::Cursor;

use crate::catalogue::media::metadata::carries_metadata;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ImageError {
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedFormat,
    #[error("image is {0} bytes; the limit is {1}")]
    TooLarge(usize, usize),
    #[error("image is {0}x{1} pixels; the limit is {2} pixels per side and {3} megapixels")]
    TooManyPixels(u32, u32, u32, u32),
    #[error("image data is corrupt: {0}")]
    Corrupt(String),
    #[error("image is {0}x{1} pixels; a photo needs at least {2} pixels per side")]
    TooSmall(u32, u32, u32),
}

#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    pub max_bytes: usize,
    pub max_side: u32,
    pub max_megapixels: u32,
    /// Smaller than this on either side is not a photo of anything (a 1x1 pixel, an icon).
    pub min_side: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self { max_bytes: 10 * 1024 * 1024, max_side: 8000, max_megapixels: 40, min_side: 64 }
    }
}

/// A JPEG's scan ends with the end-of-image marker; FF D9 can't occur inside entropy-coded
/// data (an FF there is followed by 00), so its absence after the first scan means the file
/// was cut short — which the decoder would paint grey instead of refusing. Bytes after it
/// (some phones append a trailer) are fine.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(sos) = bytes.windows(2).position(|w| w == [0xFF, 0xDA]) else { return false };
    bytes[sos + 2..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// A checked image, re-encoded: what is stored and served. Never the uploaded bytes — those
/// may carry the seller's location (EXIF GPS), camera serials, XMP or IPTC.
pub struct Processed {
    /// Format of `image`: PNG for PNG uploads and for WebP with transparency, else JPEG.
    pub format: ImageFormat,
    /// Dimensions after the EXIF orientation is applied (as a viewer shows the photo).
    pub width: u32,
    pub height: u32,
    /// The photo re-encoded from its pixels, upright, with no metadata but the colour profile.
    pub image: Vec<u8>,
    /// JPEG, longest side `THUMB_SIDE`, upright, no metadata: list cards.
    pub thumbnail: Vec<u8>,
    /// JPEG, longest side at most `DISPLAY_SIDE`, upright, no metadata: a detail page's photo,
    /// a tenth of a phone original's bytes.
    pub display: Vec<u8>,
}

/// Where a stored photo and its renditions are (as `ImageStore::put_processed` names them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeys {
    pub image: String,
    pub thumb: String,
    pub display: String,
}

pub const THUMB_SIDE: u32 = 400;
/// Longest side of the display rendition: sharp on a phone's or laptop's detail page.
pub const DISPLAY_SIDE: u32 = 1200;
/// JPEG quality of the stored rendition: visually lossless for photos.
const JPEG_QUALITY: u8 = 88;

impl Processed {
    pub fn content_type(&self) -> &'static str {
        self.format.to_mime_type()
    }

    pub fn extension(&self) -> &'static str {
        match self.format {
            ImageFormat::Png => "png",
            _ => "jpg",
        }
    }
}

/// What the header says, once it passed every check that needs no decoding.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// The checks made from the bytes and the header alone: size, format, completeness, and
/// dimensions (so the memory a decode will take is known before it starts: see
/// `decode_budget`). Cheap: no pixel is decoded.
pub fn check(bytes: &[u8], limits: ImageLimits) -> Result<Checked, ImageError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge(bytes.len(), limits.max_bytes));
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(ImageError::UnsupportedFormat);
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageError::Corrupt("the JPEG is truncated (no end of image)".into()));
    }
    let too_many = |w: u32, h: u32| ImageError::TooManyPixels(w, h, limits.max_side, limits.max_megapixels);
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    if w == 0
        || h == 0
        || w > limits.max_side
        || h > limits.max_side
        || (w as u64 * h as u64) > limits.max_megapixels as u64 * 1_000_000
    {
        return Err(too_many(w, h));
    }
    // Orientation only swaps the sides, so this holds either way.
    if w.min(h) < limits.min_side {
        return Err(ImageError::TooSmall(w, h, limits.min_side));
    }
    Ok(Checked { format, width: w, height: h })
}

/// Checks and decodes `bytes`, applies the EXIF orientation, and renders the stored image and
/// its thumbnail from the pixels alone (so no EXIF, XMP or IPTC survives; an embedded ICC
/// colour profile is carried over, since colours depend on it). CPU-heavy: call on the
/// blocking pool.
pub fn process(bytes: &[u8], limits: ImageLimits) -> Result<Processed, ImageError> {
    let Checked { format, width: w, height: h } = check(bytes, limits)?;
    let too_many = |w: u32, h: u32| ImageError::TooManyPixels(w, h, limits.max_side, limits.max_megapixels);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // RGBA8 of the largest allowed image, plus decoder slack.
    decoder_limits.max_alloc = Some(limits.max_megapixels as u64 * 1_000_000 * 4 + 64 * 1024 * 1024);
    reader.limits(decoder_limits);
    let decode_error = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => too_many(w, h),
        other => ImageError::Corrupt(other.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // A malformed EXIF block only costs the rotation, not the upload.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);

    let keep_png = format == ImageFormat::Png || (format == ImageFormat::WebP && img.color().has_alpha());
    let (out_format, image) = if keep_png {
        (ImageFormat::Png, encode_png(&img, icc)?)
    } else {
        (ImageFormat::Jpeg, encode_jpeg(&rgb8(&img), JPEG_QUALITY, icc)?)
    };
    let thumbnail = encode_jpeg(&img.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8(), 80, None)?;
    let display = display_rendition(&img)?;
    // The promise, checked on the bytes we are about to store rather than trusted.
    if [&image, &thumbnail, &display].into_iter().any(|b| carries_metadata(b)) {
        return Err(encode_error("the rendition still carries metadata"));
    }
    Ok(Processed { format: out_format, width: img.width(), height: img.height(), image, thumbnail, display })
}

/// The display rendition of an upright image: JPEG, longest side `DISPLAY_SIDE` (never scaled
/// up: a smaller photo is re-encoded at its own size).
pub fn display_rendition(img: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let long = img.width().max(img.height());
    if long <= DISPLAY_SIDE {
        return encode_jpeg(&rgb8(img), 82, None);
    }
    // A filtered resize keeps a float copy of the image at the new width and the old height: a
    // box-filtered step to twice the display size first keeps that small (and the
    // Catmull-Rom step then looks the same as it would from the original).
    let scaled = if long > 2 * DISPLAY_SIDE {
        img.thumbnail(2 * DISPLAY_SIDE, 2 * DISPLAY_SIDE).resize(DISPLAY_SIDE, DISPLAY_SIDE, FilterType::CatmullRom)
    } else {
        img.resize(DISPLAY_SIDE, DISPLAY_SIDE, FilterType::CatmullRom)
    };
    encode_jpeg(&rgb8(&scaled), 82, None)
}

/// The 8-bit RGB pixels, borrowed when the image already is that (no full-size copy).
fn rgb8(img: &DynamicImage) -> std::borrow::Cow<'_, image::RgbImage> {
    match img.as_rgb8() {
        Some(rgb) => std::borrow::Cow::Borrowed(rgb),
        None => std::borrow::Cow::Owned(img.to_rgb8()),
    }
}

/// The display rendition of a photo already stored clean (rows from before renditions).
pub fn display_from_stored(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    display_rendition(&image::load_from_memory(bytes).map_err(|e| ImageError::Corrupt(e.to_string()))?)
}

fn encode_error(e: impl std::fmt::Display) -> ImageError {
    ImageError::Corrupt(format!("re-encoding failed: {e}"))
}

fn encode_jpeg(img: &image::RgbImage, quality: u8, icc: Option<Vec<u8>>) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(profile) = icc {
        // Unsupported profiles are dropped: the pixels are still right in sRGB viewers.
        let _ = encoder.set_icc_profile(profile);
    }
    encoder.write_image(img.as_raw(), img.width(), img.height(), ExtendedColorType::Rgb8).map_err(encode_error)?;
    Ok(out)
}

fn encode_png(img: &DynamicImage, icc: Option<Vec<u8>>) -> Result<Vec<u8>, ImageError> {
    let rgba = match img.as_rgba8() {
        Some(rgba) => std::borrow::Cow::Borrowed(rgba),
        None => std::borrow::Cow::Owned(img.to_rgba8()),
    };
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(profile) = icc {
        let _ = encoder.set_icc_profile(profile);
    }
    encoder.write_image(rgba.as_raw(), rgba.width(), rgba.height(), ExtendedColorType::Rgba8).map_err(encode_error)?;
    Ok(out)
}

impl Processed {
    /// The row of this rendition once stored (`keys` as `ImageStore::put_processed` returned them).
    pub fn row<'a>(
        &'a self,
        product_id: uuid::Uuid,
        keys: &'a StoredKeys,
    ) -> crate::catalogue::store::images::NewImage<'a> {
        crate::catalogue::store::images::NewImage {
            product_id,
            image_key: &keys.image,
            thumb_key: &keys.thumb,
            display_key: &keys.display,
            content_type: self.content_type(),
            width: self.width as i32,
            height: self.height as i32,
            bytes: self.image.len() as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn accepts_png_and_makes_a_jpeg_thumbnail() {
        let p = process(&png(1200, 800), ImageLimits::default()).unwrap();
        assert_eq!((p.width, p.height, p.extension()), (1200, 800, "png"));
        assert_eq!(image::guess_format(&p.image).unwrap(), ImageFormat::Png);
        let thumb = image::load_from_memory(&p.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 267));
        assert_eq!(image::guess_format(&p.thumbnail).unwrap(), ImageFormat::Jpeg);
        // 1200 px already: the display rendition keeps the size, as a JPEG.
        let display = image::load_from_memory(&p.display).unwrap();
        assert_eq!((display.width(), display.height()), (1200, 800));
        assert_eq!(image::guess_format(&p.display).unwrap(), ImageFormat::Jpeg);
    }

    /// A portrait phone photo (landscape pixels, EXIF orientation 6) larger than the display
    /// size: every rendition is portrait, the display one 1200 px on its long side.
    #[test]
    fn renditions_are_upright_and_sized() {
        let phone = crate::catalogue::media::metadata::fixtures::phone_jpeg(2400, 1800, 6);
        let p = process(&phone, ImageLimits::default()).unwrap();
        assert_eq!((p.width, p.height), (1800, 2400));
        let size = |b: &[u8]| image::load_from_memory(b).map(|i| (i.width(), i.height())).unwrap();
        assert_eq!(size(&p.display), (900, 1200));
        assert_eq!(size(&p.thumbnail), (300, 400));
        assert!(p.display.len() < p.image.len(), "{} vs {}", p.display.len(), p.image.len());
        assert_eq!(size(&display_from_stored(&p.image).unwrap()), (900, 1200));
    }

    /// A phone photo: landscape pixels with EXIF orientation 6 (rotate 90° clockwise), GPS,
    /// camera make, XMP and IPTC. Stored upright, with no metadata, never byte for byte.
    #[test]
    fn phone_photos_are_turned_upright_and_stripped() {
        let phone = crate::catalogue::media::metadata::fixtures::phone_jpeg(96, 64, 6);
        let p = process(&phone, ImageLimits::default()).unwrap();
        assert_eq!((p.width, p.height, p.extension()), (64, 96, "jpg"), "portrait after orientation");
        assert_ne!(p.image, phone);
        for bytes in [&p.image, &p.thumbnail] {
            assert!(!bytes.windows(6).any(|w| w == b"Exif\0\0"), "no EXIF block");
            assert!(!bytes.windows(4).any(|w| w == [0x88, 0x25, 0x00, 0x04]), "no GPS IFD pointer");
            assert!(!bytes.windows(5).any(|w| w == b"Canon"), "no camera make");
            assert!(!bytes.windows(8).any(|w| w == b"Photosho"), "no IPTC");
            assert!(!bytes.windows(12).any(|w| w == b"ns.adobe.com"), "no XMP");
        }
        let upright = image::load_from_memory(&p.image).unwrap().to_rgb8();
        assert_eq!(upright.dimensions(), (64, 96));
        // The gradient ran left→right; turned 90° clockwise it runs top→bottom.
        let (top, bottom) = (upright.get_pixel(32, 2)[0] as i32, upright.get_pixel(32, 93)[0] as i32);
        assert!(top + 100 < bottom, "rotated the right way: top {top}, bottom {bottom}");
        let thumb = image::load_from_memory(&p.thumbnail).unwrap();
        assert!(thumb.height() > thumb.width(), "the thumbnail is upright too");
    }

    #[test]
    fn refuses_by_content_not_name() {
        assert_eq!(process(b"GIF89a........", ImageLimits::default()).err(), Some(ImageError::UnsupportedFormat));
        assert_eq!(process(b"hello, this is text", ImageLimits::default()).err(), Some(ImageError::UnsupportedFormat));
        let mut truncated = png(100, 100);
        truncated.truncate(60);
        assert!(matches!(process(&truncated, ImageLimits::default()), Err(ImageError::Corrupt(_))));
    }

    #[test]
    fn refuses_truncated_jpegs_and_images_too_small_to_show_anything() {
        // The decoder painted the missing half grey and the upload went through.
        let whole = crate::catalogue::media::metadata::fixtures::phone_jpeg(200, 150, 1);
        assert!(process(&whole, ImageLimits::default()).is_ok());
        let cut = &whole[..whole.len() * 2 / 3];
        let err = process(cut, ImageLimits::default()).err().unwrap();
        assert!(err.to_string().contains("truncated"), "{err}");
        assert_eq!(process(&png(1, 1), ImageLimits::default()).err(), Some(ImageError::TooSmall(1, 1, 64)));
        assert_eq!(process(&png(640, 20), ImageLimits::default()).err(), Some(ImageError::TooSmall(640, 20, 64)));
        assert!(process(&png(64, 64), ImageLimits::default()).is_ok());
    }

    #[test]
    fn refuses_decompression_bombs_before_decoding() {
        // A 20000x20000 PNG header compresses to a few kilobytes but would need 1.6 GB.
        let limits = ImageLimits { max_side: 8000, ..ImageLimits::default() };
        let bomb = png_header_only(20_000, 20_000);
        assert!(matches!(process(&bomb, limits), Err(ImageError::TooManyPixels(20_000, 20_000, _, _))));
        let small = ImageLimits { max_bytes: 100, ..ImageLimits::default() };
        assert!(matches!(process(&png(50, 50), small), Err(ImageError::TooLarge(_, 100))));
    }

    /// A valid PNG signature and IHDR claiming `w`x`h`, then an empty IDAT: a decoder that
    /// trusted the header would allocate w*h*3 bytes.
    fn png_header_only(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32(&ihdr);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(b"IDAT");
        out.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
