//! Dominant colours of an image: pixels quantised to a 4-bit-per-channel grid,
//! the most common cells merged with their near neighbours, reported as hex with
//! each colour's share of the image and a coarse name for search filters.

use image::RgbImage;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Colour {
    #[schema(example = "#8a6d4f")]
    pub hex: String,
    /// A coarse name for search filters.
    #[schema(example = "brown")]
    pub name: &'static str,
    /// Share of the image's pixels, 0–1.
    pub fraction: f32,
}

/// Up to `k` colours of an image, most common first.
pub fn dominant(image: &RgbImage, k: usize) -> Vec<Colour> {
    of_pixels(image.pixels().map(|p| p.0), k)
}

/// Up to `k` colours of the given pixels, most common first.
pub fn of_pixels(pixels: impl Iterator<Item = [u8; 3]>, k: usize) -> Vec<Colour> {
    // 4,096 cells of the 4-bit grid, indexed directly: a hash map cost ~20 ns a pixel (its
    // SipHash), a tenth of a photo's preparation.
    let mut cells = vec![(0u32, [0u64; 3]); 1 << 12];
    let mut total = 0u32;
    for [r, g, b] in pixels {
        total += 1;
        let key = (usize::from(r >> 4) << 8) | (usize::from(g >> 4) << 4) | usize::from(b >> 4);
        let e = &mut cells[key];
        e.0 += 1;
        e.1[0] += u64::from(r);
        e.1[1] += u64::from(g);
        e.1[2] += u64::from(b);
    }
    let total = total.max(1) as f32;
    let mut ranked: Vec<(u32, [f32; 3])> = cells
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, sum)| (n, [sum[0] as f32 / n as f32, sum[1] as f32 / n as f32, sum[2] as f32 / n as f32]))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1[0].total_cmp(&b.1[0])));
    // Greedy merge: a cell joins the first chosen colour within distance 40.
    let mut chosen: Vec<(u32, [f32; 3])> = Vec::new();
    for (n, c) in ranked {
        match chosen.iter_mut().find(|(_, m)| dist(m, &c) < 40.0) {
            Some((count, mean)) => {
                let t = *count + n;
                for i in 0..3 {
                    mean[i] = (mean[i] * *count as f32 + c[i] * n as f32) / t as f32;
                }
                *count = t;
            }
            None => chosen.push((n, c)),
        }
    }
    chosen.sort_by_key(|c| std::cmp::Reverse(c.0));
    chosen
        .into_iter()
        .take(k)
        .map(|(n, c)| {
            let rgb = [c[0].round() as u8, c[1].round() as u8, c[2].round() as u8];
            Colour {
                hex: format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]),
                name: name(rgb),
                fraction: ((n as f32 / total) * 1000.0).round() / 1000.0,
            }
        })
        .collect()
}

fn dist(a: &[f32; 3], b: &[f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// A coarse colour name from hue, saturation and lightness.
pub fn name(rgb: [u8; 3]) -> &'static str {
    let [r, g, b] = rgb.map(|v| f32::from(v) / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    let chroma = max - min;
    let s = if chroma == 0.0 { 0.0 } else { chroma / (1.0 - (2.0 * l - 1.0).abs()).max(1e-6) };
    // Near-white and near-black read as such whatever their tint.
    if s < 0.15 || chroma < 0.08 || !(0.08..=0.93).contains(&l) {
        return match l {
            l if l > 0.85 => "white",
            l if l > 0.6 => "light gray",
            l if l > 0.3 => "gray",
            _ => "black",
        };
    }
    let h = if max == r {
        60.0 * (((g - b) / (max - min)).rem_euclid(6.0))
    } else if max == g {
        60.0 * ((b - r) / (max - min) + 2.0)
    } else {
        60.0 * ((r - g) / (max - min) + 4.0)
    };
    match h {
        h if !(15.0..345.0).contains(&h) => {
            if l < 0.35 {
                "brown"
            } else {
                "red"
            }
        }
        // Warm, pale or greyish tones are what furniture calls beige (cream, sand, oak).
        h if h < 70.0 && l < 0.45 && h < 50.0 => "brown",
        h if h < 70.0 && (l > 0.75 || s < 0.45) => "beige",
        h if h < 45.0 => "orange",
        h if h < 70.0 => "yellow",
        h if h < 170.0 => "green",
        h if h < 260.0 => "blue",
        h if h < 300.0 => "purple",
        _ => "pink",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_two_halves_of_a_split_image() {
        let img =
            RgbImage::from_fn(
                100,
                100,
                |x, _| {
                    if x < 70 {
                        image::Rgb([250, 250, 250])
                    } else {
                        image::Rgb([120, 70, 30])
                    }
                },
            );
        let c = dominant(&img, 5);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "white");
        assert!((c[0].fraction - 0.7).abs() < 0.01);
        assert_eq!(c[1].name, "brown");
        assert_eq!(c[1].hex, "#78461e");
    }

    #[test]
    fn names_primary_colours() {
        assert_eq!(name([200, 30, 30]), "red");
        assert_eq!(name([30, 160, 40]), "green");
        assert_eq!(name([30, 60, 200]), "blue");
        assert_eq!(name([10, 10, 10]), "black");
        assert_eq!(name([255, 254, 250]), "white");
        assert_eq!(name([246, 240, 209]), "beige");
        assert_eq!(name([230, 200, 20]), "yellow");
    }
}
