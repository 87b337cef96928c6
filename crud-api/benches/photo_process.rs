//! What a photo upload costs in CPU now that every photo is re-encoded from its pixels:
//! decode, orientation, JPEG re-encode and thumbnail of a phone-sized photo (12 MP, EXIF
//! orientation 6), against a decode alone — the part the upload always paid.
//!
//! `cargo bench -p crud-api --bench photo_process` (release). Prints medians of 7 runs.

use std::time::{Duration, Instant};

use crud_api::catalogue::media::images::{process, ImageLimits};

fn phone_photo(w: u32, h: u32) -> Vec<u8> {
    // Smooth gradients plus fine texture, so the JPEG is about as hard to code as a photo.
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let t = ((x * 31 + y * 17) % 23) as u8;
        image::Rgb([(x * 255 / w) as u8 ^ t, (y * 255 / h) as u8, ((x + y) % 256) as u8 ^ t])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 92).encode_image(&img).unwrap();
    crud_api::catalogue::media::metadata::fixtures::with_phone_metadata(&plain, 6)
}

fn median(mut f: impl FnMut()) -> Duration {
    let mut runs: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    runs.sort();
    runs[3]
}

fn main() {
    let photo = phone_photo(4032, 3024);
    let limits = ImageLimits::default();
    println!("== photo upload processing ({} KiB JPEG, 4032x3024, EXIF orientation 6)", photo.len() >> 10);
    let decode = median(|| {
        image::load_from_memory(&photo).unwrap();
    });
    let mut out = None;
    let full = median(|| out = Some(process(&photo, limits).unwrap()));
    let out = out.unwrap();
    println!("decode only                               {:>8.1} ms", decode.as_secs_f64() * 1e3);
    println!("decode + orient + re-encode + thumbnail   {:>8.1} ms", full.as_secs_f64() * 1e3);
    println!(
        "stored rendition                          {:>8} KiB, {}x{}",
        out.image.len() >> 10,
        out.width,
        out.height
    );
    println!("thumbnail                                 {:>8} KiB", out.thumbnail.len() >> 10);
}
