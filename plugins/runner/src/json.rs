//! The JSON shapes of plugin inputs and outputs (published as JSON Schemas in
//! `plugins/schemas/`, checked by `schema` first), to and from the plain strategy types.

use anyhow::{anyhow, Context as _};
use plugin_host::Clock;
use plugin_strategies as s;
use serde_json::{json, Value};

// Strict, like crud-api's own input: a field that is present must have its documented type
// (`"quantity": "3"` used to become 1 without a word); absent or null optional fields take
// their defaults.

fn present<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.get(k).filter(|x| !x.is_null())
}

fn typed<T>(v: &Value, k: &str, what: &str, get: impl Fn(&Value) -> Option<T>) -> anyhow::Result<Option<T>> {
    match present(v, k) {
        None => Ok(None),
        Some(x) => get(x).map(Some).ok_or_else(|| anyhow!("`{k}` must be {what}, not {x}")),
    }
}

fn opt_str(v: &Value, k: &str) -> anyhow::Result<Option<String>> {
    typed(v, k, "a string", |x| x.as_str().map(String::from))
}

fn str_field(v: &Value, k: &str) -> anyhow::Result<String> {
    opt_str(v, k)?.ok_or_else(|| anyhow!("missing string field `{k}`"))
}

fn opt_u32(v: &Value, k: &str) -> anyhow::Result<Option<u32>> {
    typed(v, k, "a whole number from 0 to 4294967295", |x| x.as_u64().and_then(|n| u32::try_from(n).ok()))
}

fn opt_i64(v: &Value, k: &str) -> anyhow::Result<Option<i64>> {
    typed(v, k, "a whole number", Value::as_i64)
}

fn opt_f64(v: &Value, k: &str) -> anyhow::Result<Option<f64>> {
    typed(v, k, "a number", Value::as_f64)
}

fn strings(v: &Value, k: &str) -> anyhow::Result<Vec<String>> {
    let all = |x: &Value| x.as_array()?.iter().map(|s| s.as_str().map(String::from)).collect::<Option<Vec<_>>>();
    Ok(typed(v, k, "an array of strings", all)?.unwrap_or_default())
}

/// A time as fixtures write it: RFC 3339 with an offset (read on the tenant's `clock`) or
/// RFC 9557 with a zone; absent, the clock's now.
fn moment(v: &Value, k: &str, clock: &Clock) -> anyhow::Result<s::Moment> {
    match present(v, k) {
        None => Ok(clock.now()),
        Some(Value::String(t)) => clock.parse(t).map_err(|e| anyhow!("`{k}`: {e}")),
        Some(x) => Err(anyhow!("`{k}` must be a time such as \"2026-12-05T10:00:00+09:00\", not {x}")),
    }
}

pub fn checkout(v: &Value, clock: &Clock) -> anyhow::Result<s::Checkout> {
    let lines = v.get("lines").and_then(Value::as_array).ok_or_else(|| anyhow!("missing array `lines`"))?;
    Ok(s::Checkout {
        order_id: opt_str(v, "order_id")?.unwrap_or_else(|| "local".into()),
        buyer_id: opt_str(v, "buyer_id")?.unwrap_or_else(|| "local".into()),
        delivery_area: opt_str(v, "delivery_area")?.unwrap_or_default(),
        pickup_area: opt_str(v, "pickup_area")?.unwrap_or_default(),
        distance_km: opt_f64(v, "distance_km")?,
        coupon: opt_str(v, "coupon")?,
        placed_at: moment(v, "placed_at", clock)?,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                // An inner closure: `?` on a field must still get the `lines[i]` context.
                (|| {
                    Ok::<_, anyhow::Error>(s::Line {
                        product_id: str_field(l, "product_id")?,
                        title: opt_str(l, "title")?.unwrap_or_default(),
                        category: str_field(l, "category")?,
                        seller_id: str_field(l, "seller_id")?,
                        unit_price: opt_i64(l, "unit_price")?.ok_or_else(|| anyhow!("missing `unit_price`"))?,
                        quantity: opt_u32(l, "quantity")?.unwrap_or(1),
                        width_cm: opt_u32(l, "width_cm")?,
                        depth_cm: opt_u32(l, "depth_cm")?,
                        height_cm: opt_u32(l, "height_cm")?,
                        weight_kg: opt_u32(l, "weight_kg")?,
                    })
                })()
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

pub fn rank_request(v: &Value, clock: &Clock) -> anyhow::Result<(s::Context, Vec<s::Candidate>)> {
    let c = v.get("context").ok_or_else(|| anyhow!("missing object `context`"))?;
    let ctx = (|| {
        Ok::<_, anyhow::Error>(s::Context {
            user_id: opt_str(c, "user_id")?,
            recent_categories: strings(c, "recent_categories")?,
            cart_categories: strings(c, "cart_categories")?,
            purchased_categories: strings(c, "purchased_categories")?,
            style_preferences: strings(c, "style_preferences")?,
            price_low: opt_i64(c, "price_low")?,
            price_high: opt_i64(c, "price_high")?,
            limit: opt_u32(c, "limit")?.unwrap_or(20),
            now: moment(c, "now", clock)?,
        })
    })()
    .context("context")?;
    let cands = v.get("candidates").and_then(Value::as_array).ok_or_else(|| anyhow!("missing array `candidates`"))?;
    let cands = cands
        .iter()
        .enumerate()
        .map(|(i, x)| {
            (|| {
                Ok::<_, anyhow::Error>(s::Candidate {
                    id: str_field(x, "id")?,
                    category: str_field(x, "category")?,
                    price: opt_i64(x, "price")?.ok_or_else(|| anyhow!("missing `price`"))?,
                    age_days: opt_u32(x, "age_days")?.unwrap_or(0),
                    popularity: opt_f64(x, "popularity")?.unwrap_or(0.0),
                    similarity: opt_f64(x, "similarity")?,
                    distance_km: opt_f64(x, "distance_km")?,
                    style_tags: strings(x, "style_tags")?,
                })
            })()
            .with_context(|| format!("candidates[{i}]"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((ctx, cands))
}

pub fn ranked(r: &[s::Ranked]) -> Value {
    Value::Array(r.iter().map(|x| json!({"id": x.id, "score": x.score, "reason": x.reason})).collect())
}
