//! Image decoding and the preprocessing EfficientNet-Lite0 was trained with:
//! resize the shorter side to 256, centre-crop 224, scale pixels to (p − 127) / 128,
//! channels first. Transparent pixels (product cut-outs, catalogue renders) are
//! composited onto white first, the way a shop page shows them.
//!
//! Decoding checks the header's dimensions before allocating pixels, so a
//! decompression bomb is refused with 413 instead of eating memory.
//!
//! A JPEG is decoded by libjpeg-turbo at reduced size (`jpeg_reduced`): the inverse DCT
//! produces 1/2, 1/4 or 1/8 of the pixels directly (DCT scaling) instead of decoding all of them and
//! averaging them away — a phone photo's preparation was as costly as the inference itself
//! (docs/benchmarks.md).

use std::io::Cursor;

use fast_image_resize as fir;
use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader, Limits, RgbImage};

use crate::error::DlError;

pub const INPUT_SIZE: u32 = 224;
const RESIZE_TO: u32 = 256;
pub const PIXELS_PER_IMAGE: usize = 3 * (INPUT_SIZE as usize) * (INPUT_SIZE as usize);

/// A decoded, cropped image ready for the model, plus what we learned on the way.
pub struct Prepared {
    /// `[3, 224, 224]`, channels first.
    pub tensor: Vec<f32>,
    pub width: u32,
    pub height: u32,
    pub format: &'static str,
    pub colours: Vec<crate::colours::Colour>,
}

/// Decodes and prepares one image. CPU-heavy: call it off the async threads.
pub fn prepare(bytes: &[u8], max_pixels: u64) -> Result<Prepared, DlError> {
    if let Some((width, height, rgb)) = jpeg_reduced(bytes, max_pixels)? {
        let cropped = resize_and_crop(&rgb);
        let colours = crate::colours::of_pixels(cropped.pixels().step_by(2).map(|p| p.0), 5);
        return Ok(Prepared { tensor: to_tensor(&cropped), width, height, format: "jpeg", colours });
    }
    let image = decode(bytes, max_pixels)?;
    let (width, height) = image.dimensions();
    let format = image::guess_format(bytes).map(format_name).unwrap_or("unknown");
    let rgb = flatten_on_white(&image);
    let cropped = resize_and_crop(&rgb);
    let colours = colours_of(&image, &cropped);
    Ok(Prepared { tensor: to_tensor(&cropped), width, height, format, colours })
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        _ => "other",
    }
}

thread_local! {
    /// A TurboJPEG decompressor per blocking thread (its state is reset for every image).
    static JPEG: std::cell::RefCell<Option<turbojpeg::Decompressor>> = const { std::cell::RefCell::new(None) };
}

/// Progressive scans a JPEG may have: each scan is a pass over the whole image, so a file of
/// thousands of tiny scans costs the CPU of thousands of decodes (libjpeg-turbo's advice for
/// untrusted input). Real encoders write about ten.
const MAX_SCANS: u32 = 500;

/// A JPEG decoded by libjpeg-turbo (SIMD) at the smallest of its 1/8, 1/4, 1/2 DCT scales that
/// keeps the shorter side at least `RESIZE_TO` — a 1024×768 photo at 1/2, 512×384 — straight from the
/// coefficients, instead of decoding every pixel and averaging most away: (width, height of
/// the original, the pixels). None for what it doesn't turn into RGB (CMYK, lossless JPEG)
/// and for other formats; `decode` handles those.
fn jpeg_reduced(bytes: &[u8], max_pixels: u64) -> Result<Option<(u32, u32, RgbImage)>, DlError> {
    if image::guess_format(bytes).ok() != Some(ImageFormat::Jpeg) {
        return Ok(None);
    }
    // The header check (dimensions, pixel budget) comes first, as for every format.
    let (w, h) = dimensions(bytes, max_pixels)?;
    let bad = |e: turbojpeg::Error| DlError::BadImage(e.to_string());
    JPEG.with_borrow_mut(|slot| {
        let decompressor = match slot {
            Some(d) => d,
            None => slot.insert(turbojpeg::Decompressor::new().map_err(|e| DlError::Internal(e.to_string()))?),
        };
        let header = decompressor.read_header(bytes).map_err(bad)?;
        let rgb_able = matches!(
            header.colorspace,
            turbojpeg::Colorspace::YCbCr | turbojpeg::Colorspace::RGB | turbojpeg::Colorspace::Gray
        );
        if !rgb_able || header.is_lossless || (header.width, header.height) != (w as usize, h as usize) {
            return Ok(None);
        }
        // 1/8, 1/4 or 1/2: their IDCTs (and the chroma's, merged with upsampling) have SIMD
        // code; 3/8 and the other eighths run in plain C and measured slower (0.9 vs 0.7 ms
        // for a 1024×768 photo at 3/8 vs 1/2).
        let eighths = [1, 2, 4, 8].into_iter().find(|e| w.min(h) * e / 8 >= RESIZE_TO).unwrap_or(8) as usize;
        let scale = turbojpeg::ScalingFactor::new(eighths, 8);
        decompressor.set_scaling_factor(scale).map_err(bad)?;
        decompressor.set_scan_limit(MAX_SCANS).map_err(bad)?;
        let scaled = header.scaled(scale);
        let mut out = turbojpeg::Image {
            pixels: vec![0u8; 3 * scaled.width * scaled.height],
            width: scaled.width,
            pitch: 3 * scaled.width,
            height: scaled.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        decompressor.decompress(bytes, out.as_deref_mut()).map_err(bad)?;
        let rgb = RgbImage::from_raw(scaled.width as u32, scaled.height as u32, out.pixels)
            .ok_or_else(|| DlError::Internal("decoded buffer size".into()))?;
        Ok(Some((w, h, rgb)))
    })
}

/// The image's dimensions from its header, refused when it has no pixels or too many.
fn dimensions(bytes: &[u8], max_pixels: u64) -> Result<(u32, u32), DlError> {
    let reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| DlError::BadImage(e.to_string()))?;
    if reader.format().is_none() {
        return Err(DlError::BadImage("unrecognised format (JPEG, PNG or WebP expected)".into()));
    }
    let (w, h) = reader.into_dimensions().map_err(|e| DlError::BadImage(e.to_string()))?;
    if w == 0 || h == 0 {
        return Err(DlError::BadImage("image has no pixels".into()));
    }
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(DlError::TooLarge(format!("image is {w}×{h}; at most {max_pixels} pixels are accepted")));
    }
    Ok((w, h))
}

pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, DlError> {
    if bytes.is_empty() {
        return Err(DlError::BadImage("empty body".into()));
    }
    let (w, h) = dimensions(bytes, max_pixels)?;
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| DlError::BadImage(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(64 << 20));
    reader.limits(limits);
    reader.decode().map_err(|e| DlError::BadImage(e.to_string()))
}

/// Colours of the object: for images with transparency only opaque pixels count, so
/// a cut-out sofa's colours aren't drowned by its (absent) background. Opaque photos use
/// the model's crop (already small), every other pixel.
fn colours_of(image: &DynamicImage, cropped: &RgbImage) -> Vec<crate::colours::Colour> {
    if image.color().has_alpha() {
        let small = image.thumbnail(96, 96).to_rgba8();
        if small.pixels().any(|p| p.0[3] >= 128) {
            return crate::colours::of_pixels(
                small.pixels().filter(|p| p.0[3] >= 128).map(|p| [p.0[0], p.0[1], p.0[2]]),
                5,
            );
        }
    }
    crate::colours::of_pixels(cropped.pixels().step_by(2).map(|p| p.0), 5)
}

fn flatten_on_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let blend = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])])
    })
}

thread_local! {
    /// A resizer per blocking thread: it keeps its scratch buffers between images.
    static RESIZER: std::cell::RefCell<fir::Resizer> = std::cell::RefCell::new(fir::Resizer::new());
}

/// The model's view of the image: the centre square of the image resized so its shorter side
/// is 256, at 224×224 — computed from the source directly, so only the pixels the model sees
/// are resampled (resizing the whole image and cropping after did ~1.7× the work on a 4:3
/// photo). SIMD convolution (`fast_image_resize`): area averaging when shrinking by 2× or
/// more, else bilinear, both antialiased like PIL's reducing resize.
fn resize_and_crop(rgb: &RgbImage) -> RgbImage {
    let (w, h) = rgb.dimensions();
    let scale = RESIZE_TO as f64 / f64::from(w.min(h));
    let nw = ((f64::from(w) * scale).round() as u32).max(INPUT_SIZE);
    let nh = ((f64::from(h) * scale).round() as u32).max(INPUT_SIZE);
    // The crop in source pixels, fractional: where the resized image's centre 224 came from.
    let (fx, fy) = (f64::from(nw) / f64::from(w), f64::from(nh) / f64::from(h));
    let (sw, sh) = (f64::from(INPUT_SIZE) / fx, f64::from(INPUT_SIZE) / fy);
    let (sx, sy) = (f64::from((nw - INPUT_SIZE) / 2) / fx, f64::from((nh - INPUT_SIZE) / 2) / fy);
    let filter = if sw >= f64::from(INPUT_SIZE * 2) && sh >= f64::from(INPUT_SIZE * 2) {
        fir::FilterType::Box
    } else {
        fir::FilterType::Bilinear
    };
    let options = fir::ResizeOptions::new()
        .crop(sx, sy, sw.min(f64::from(w) - sx), sh.min(f64::from(h) - sy))
        .resize_alg(fir::ResizeAlg::Convolution(filter));
    let src = fir::images::ImageRef::new(w, h, rgb.as_raw(), fir::PixelType::U8x3)
        .expect("an RgbImage's buffer holds its pixels");
    let mut dst = fir::images::Image::new(INPUT_SIZE, INPUT_SIZE, fir::PixelType::U8x3);
    RESIZER
        .with_borrow_mut(|r| r.resize(&src, &mut dst, &options))
        .expect("same pixel types, and the crop lies within the image");
    RgbImage::from_raw(INPUT_SIZE, INPUT_SIZE, dst.into_vec()).expect("224×224 RGB")
}

fn to_tensor(rgb: &RgbImage) -> Vec<f32> {
    let plane = (INPUT_SIZE * INPUT_SIZE) as usize;
    let mut out = vec![0.0f32; PIXELS_PER_IMAGE];
    for (i, p) in rgb.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (f32::from(p.0[c]) - 127.0) / 128.0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 0, 255]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn prepares_any_aspect_ratio_to_224_square() {
        for (w, h) in [(300, 200), (200, 300), (224, 224), (1000, 250)] {
            let p = prepare(&png(w, h), 40_000_000).unwrap();
            assert_eq!(p.tensor.len(), PIXELS_PER_IMAGE);
            assert_eq!((p.width, p.height), (w, h));
            // Blue channel is 255 everywhere: (255 − 127) / 128 = 1.0.
            let blue = &p.tensor[2 * 224 * 224..];
            assert!(blue.iter().all(|v| (*v - 1.0).abs() < 1e-6));
        }
    }

    #[test]
    fn refuses_garbage_and_bombs() {
        assert!(matches!(prepare(b"not an image", 1000), Err(DlError::BadImage(_))));
        assert!(matches!(prepare(&[], 1000), Err(DlError::BadImage(_))));
        assert!(matches!(prepare(&png(100, 100), 5_000), Err(DlError::TooLarge(_))));
        let mut truncated = png(64, 64);
        truncated.truncate(60);
        assert!(matches!(prepare(&truncated, 40_000_000), Err(DlError::BadImage(_))));
    }

    fn jpeg(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg).unwrap();
        out
    }

    #[test]
    fn a_large_jpeg_is_decoded_reduced_and_prepares_like_the_full_decode() {
        // Photo-like: gradients and soft bands (a 96 px period), 1024×768. (Sharp detail near
        // the sampling rate differs between any two resamplings by its sub-pixel phase alone.)
        let img = RgbImage::from_fn(1024, 768, |x, y| {
            let band = ((f64::from(x + y / 2) * std::f64::consts::TAU / 96.0).sin() * 90.0 + 128.0) as u8;
            image::Rgb([(x / 4) as u8, (y / 3) as u8, band])
        });
        let bytes = jpeg(&DynamicImage::ImageRgb8(img));
        let (w, h, reduced) = jpeg_reduced(&bytes, 40_000_000).unwrap().expect("decoded reduced");
        assert_eq!((w, h), (1024, 768));
        // 1/2: the smallest SIMD DCT scale whose shorter side still covers the model's 256.
        assert_eq!(reduced.dimensions(), (512, 384));
        let fast = prepare(&bytes, 40_000_000).unwrap();
        assert_eq!((fast.width, fast.height, fast.format), (1024, 768, "jpeg"));
        let full = to_tensor(&resize_and_crop(&flatten_on_white(&decode(&bytes, 40_000_000).unwrap())));
        let mean_abs = fast.tensor.iter().zip(&full).map(|(a, b)| (a - b).abs()).sum::<f32>() / full.len() as f32;
        assert!(mean_abs < 0.02, "mean difference {mean_abs} (the pixel scale is 1/128)");
    }

    #[test]
    fn small_greyscale_and_oversized_jpegs() {
        // Shorter side under 512: decoded whole.
        let small = jpeg(&DynamicImage::ImageRgb8(RgbImage::new(600, 500)));
        assert_eq!(jpeg_reduced(&small, 40_000_000).unwrap().unwrap().2.dimensions(), (600, 500));
        assert_eq!(prepare(&small, 40_000_000).unwrap().tensor.len(), PIXELS_PER_IMAGE);
        let tiny = jpeg(&DynamicImage::ImageRgb8(RgbImage::new(300, 200)));
        assert_eq!(jpeg_reduced(&tiny, 40_000_000).unwrap().unwrap().2.dimensions(), (300, 200));
        // Greyscale, 2048×1024: a quarter, as RGB.
        let grey =
            jpeg(&DynamicImage::ImageLuma8(image::GrayImage::from_fn(2048, 1024, |x, _| image::Luma([(x / 8) as u8]))));
        let (_, _, rgb) = jpeg_reduced(&grey, 40_000_000).unwrap().unwrap();
        assert_eq!(rgb.dimensions(), (512, 256));
        assert!(rgb.pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]));
        // The header check still comes first: a bomb is refused before any decoding.
        assert!(matches!(prepare(&grey, 1_000_000), Err(DlError::TooLarge(_))));
        let mut truncated = grey.clone();
        truncated.truncate(grey.len() / 2);
        // Half a file: a bad image or a half-grey one (decoders differ), never a panic.
        match prepare(&truncated, 40_000_000) {
            Ok(p) => assert_eq!(p.tensor.len(), PIXELS_PER_IMAGE),
            Err(e) => assert!(matches!(e, DlError::BadImage(_)), "{e}"),
        }
    }

    #[test]
    fn transparent_pixels_become_white() {
        let img = image::RgbaImage::from_pixel(10, 10, image::Rgba([0, 0, 0, 0]));
        let rgb = flatten_on_white(&DynamicImage::ImageRgba8(img));
        assert!(rgb.pixels().all(|p| p.0 == [255, 255, 255]));
    }
}
