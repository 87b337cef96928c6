//! Image decoding and the preprocessing EfficientNet-Lite0 was trained with:
//! resize the shorter side to 256, centre-crop 224, scale pixels to (p − 127) / 128,
//! channels first. Transparent pixels (product cut-outs, catalogue renders) are
//! composited onto white first, the way a shop page shows them.
//!
//! Decoding checks the header's dimensions before allocating pixels, so a
//! decompression bomb is refused with 413 instead of eating memory.

use std::io::Cursor;

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

pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, DlError> {
    if bytes.is_empty() {
        return Err(DlError::BadImage("empty body".into()));
    }
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

fn resize_and_crop(rgb: &RgbImage) -> RgbImage {
    let (w, h) = rgb.dimensions();
    let scale = RESIZE_TO as f64 / f64::from(w.min(h));
    let nw = ((f64::from(w) * scale).round() as u32).max(INPUT_SIZE);
    let nh = ((f64::from(h) * scale).round() as u32).max(INPUT_SIZE);
    // Shrinking by 2× or more: area averaging (antialiased like PIL's reducing resize, and
    // ~8× cheaper than a wide triangle filter); otherwise bilinear.
    let resized = if w >= nw * 2 && h >= nh * 2 {
        image::imageops::thumbnail(rgb, nw, nh)
    } else {
        image::imageops::resize(rgb, nw, nh, image::imageops::FilterType::Triangle)
    };
    let x = (nw - INPUT_SIZE) / 2;
    let y = (nh - INPUT_SIZE) / 2;
    image::imageops::crop_imm(&resized, x, y, INPUT_SIZE, INPUT_SIZE).to_image()
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

    #[test]
    fn transparent_pixels_become_white() {
        let img = image::RgbaImage::from_pixel(10, 10, image::Rgba([0, 0, 0, 0]));
        let rgb = flatten_on_white(&DynamicImage::ImageRgba8(img));
        assert!(rgb.pixels().all(|p| p.0 == [255, 255, 255]));
    }
}
