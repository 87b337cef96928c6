//! What the host's test binaries share: the built plugins and a one-line checkout.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;

use plugin_strategies as s;

/// Where `make plugins` puts a component (`name` with underscores, e.g. `payment_standard`).
pub fn wasm_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/plugin").join(format!("{name}.wasm"))
}

pub fn wasm(name: &str) -> Vec<u8> {
    let path = wasm_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} — run `make plugins` first", path.display()))
}

/// One ₩100,000 sofa from seller `s`, 5 km away.
pub fn one_line_checkout() -> s::Checkout {
    s::Checkout {
        order_id: "o".into(),
        buyer_id: "b".into(),
        delivery_area: "강남구".into(),
        pickup_area: "마포구".into(),
        distance_km: Some(5.0),
        coupon: None,
        placed_at: Default::default(),
        lines: vec![s::Line {
            product_id: "p".into(),
            title: "t".into(),
            category: "sofa".into(),
            seller_id: "s".into(),
            unit_price: 100_000,
            quantity: 1,
            width_cm: None,
            depth_cm: None,
            height_cm: None,
            weight_kg: None,
        }],
    }
}
