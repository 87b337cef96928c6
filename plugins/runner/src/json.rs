//! The JSON shapes of plugin inputs and outputs (documented with JSON Schema in
//! `docs/plugins.md`), to and from the plain strategy types.

use anyhow::{anyhow, Context as _};
use plugin_strategies as s;
use serde_json::{json, Value};

fn str_field(v: &Value, k: &str) -> anyhow::Result<String> {
    v.get(k).and_then(Value::as_str).map(String::from).ok_or_else(|| anyhow!("missing string field `{k}`"))
}

fn opt_u32(v: &Value, k: &str) -> Option<u32> {
    v.get(k).and_then(Value::as_u64).map(|x| x as u32)
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

pub fn checkout(v: &Value) -> anyhow::Result<s::Checkout> {
    let lines = v.get("lines").and_then(Value::as_array).ok_or_else(|| anyhow!("missing array `lines`"))?;
    Ok(s::Checkout {
        order_id: str_field(v, "order_id").unwrap_or_else(|_| "local".into()),
        buyer_id: str_field(v, "buyer_id").unwrap_or_else(|_| "local".into()),
        delivery_area: str_field(v, "delivery_area").unwrap_or_default(),
        pickup_area: str_field(v, "pickup_area").unwrap_or_default(),
        distance_km: v.get("distance_km").and_then(Value::as_f64),
        coupon: v.get("coupon").and_then(Value::as_str).map(String::from),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok::<_, anyhow::Error>(s::Line {
                    product_id: str_field(l, "product_id")?,
                    title: str_field(l, "title").unwrap_or_default(),
                    category: str_field(l, "category")?,
                    seller_id: str_field(l, "seller_id")?,
                    unit_price: l
                        .get("unit_price")
                        .and_then(Value::as_i64)
                        .ok_or_else(|| anyhow!("missing `unit_price`"))?,
                    quantity: opt_u32(l, "quantity").unwrap_or(1),
                    width_cm: opt_u32(l, "width_cm"),
                    depth_cm: opt_u32(l, "depth_cm"),
                    height_cm: opt_u32(l, "height_cm"),
                    weight_kg: opt_u32(l, "weight_kg"),
                })
                .with_context(|| format!("lines[{i}]"))
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

pub fn plan(p: &s::Plan) -> Value {
    json!({
        "adjustments": p.adjustments.iter().map(|a| json!({"product_id": a.product_id, "amount": a.amount, "reason": a.reason})).collect::<Vec<_>>(),
        "delivery_fee": p.delivery_fee,
        "commission": p.commission,
        "payouts": p.payouts.iter().map(|x| json!({"seller_id": x.seller_id, "amount": x.amount})).collect::<Vec<_>>(),
        "methods": p.methods,
        "gateway": p.gateway,
        "total": p.total,
        "notes": p.notes,
    })
}

pub fn rank_request(v: &Value) -> anyhow::Result<(s::Context, Vec<s::Candidate>)> {
    let c = v.get("context").ok_or_else(|| anyhow!("missing object `context`"))?;
    let ctx = s::Context {
        user_id: c.get("user_id").and_then(Value::as_str).map(String::from),
        recent_categories: strings(c, "recent_categories"),
        cart_categories: strings(c, "cart_categories"),
        purchased_categories: strings(c, "purchased_categories"),
        style_preferences: strings(c, "style_preferences"),
        price_low: c.get("price_low").and_then(Value::as_i64),
        price_high: c.get("price_high").and_then(Value::as_i64),
        limit: opt_u32(c, "limit").unwrap_or(20),
    };
    let cands = v.get("candidates").and_then(Value::as_array).ok_or_else(|| anyhow!("missing array `candidates`"))?;
    let cands = cands
        .iter()
        .enumerate()
        .map(|(i, x)| {
            Ok::<_, anyhow::Error>(s::Candidate {
                id: str_field(x, "id")?,
                category: str_field(x, "category")?,
                price: x.get("price").and_then(Value::as_i64).ok_or_else(|| anyhow!("missing `price`"))?,
                age_days: opt_u32(x, "age_days").unwrap_or(0),
                popularity: x.get("popularity").and_then(Value::as_f64).unwrap_or(0.0),
                similarity: x.get("similarity").and_then(Value::as_f64),
                distance_km: x.get("distance_km").and_then(Value::as_f64),
                style_tags: strings(x, "style_tags"),
            })
            .with_context(|| format!("candidates[{i}]"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((ctx, cands))
}

pub fn ranked(r: &[s::Ranked]) -> Value {
    Value::Array(r.iter().map(|x| json!({"id": x.id, "score": x.score, "reason": x.reason})).collect())
}
