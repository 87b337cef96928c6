//! Photo decoding holds a bounded amount of memory, however many uploads arrive at once: a
//! small PNG can decode to hundreds of MiB (a one-colour 3,000 × 3,000 PNG is ~140 KB), and
//! parallel uploads were all decoded at once (six took a release build to 1.7 GiB).

use serde_json::json;

use crate::catalogue::{list_item, seller, upload_photo};
use crate::helpers::spawn_with;

fn bomb(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(side, side, image::Rgb([200, 180, 150]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn parallel_decompression_bombs_are_decoded_within_the_memory_budget() {
    const MIB: u64 = 1024 * 1024;
    // Room for one 3,000 × 3,000 decode at a time (168 MiB), not two.
    let app = spawn_with(|c| c.image_decode_budget_mb = 300).await;
    let s = seller(&app, "bombs@example.com").await;
    let p = list_item(&app, &s, "sofa", "큰 사진 소파", 10_000, json!({})).await;
    let id = p["id"].as_str().unwrap().to_string();
    let png = bomb(3000);
    assert!(png.len() < 512 * 1024, "{} bytes on the wire", png.len());

    let uploads = (0..3).map(|_| upload_photo(&app, &s, &id, png.clone(), "bomb.png"));
    let answers = futures_util::future::join_all(uploads).await;
    for (i, res) in answers.iter().enumerate() {
        assert_eq!(res.status, 201, "upload {i}: {}", res.body);
    }

    let metrics = app.get("/metrics", None).await.body;
    let metrics = metrics.as_str().unwrap();
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{name} not in /metrics:\n{metrics}"))
            .parse()
            .unwrap()
    };
    let budget = value("crud_api_image_decode_budget_bytes");
    let peak = value("crud_api_image_decode_reserved_peak_bytes");
    assert_eq!(budget, 300 * MIB);
    // One decode's reservation at a time: 9 MP × 8 bytes + the renditions' 96 MiB.
    assert_eq!(peak, (3000 * 3000 * 8 + 96 * MIB).div_ceil(MIB) * MIB, "peak {peak}");
    assert_eq!(value("crud_api_image_decode_reserved_bytes"), 0, "every reservation released");
}
