//! WIT records ↔ plain `plugin-strategies` types, for each contract version.
//!
//! The records a version shares with another have the same fields but are distinct Rust
//! types (one per `bindgen!`), so the field-by-field copies are macros over the version's
//! module: one copy of each mapping, checked by the compiler for every version.

use plugin_strategies as s;

use crate::bindings::payment::exports::gajyeogagu::plugins::payment as wp;
use crate::bindings::recommend::exports::gajyeogagu::plugins::recommend as wr;
use crate::bindings::v0_1::payment::exports::gajyeogagu::plugins::payment as wp01;
use crate::bindings::v0_1::recommend::exports::gajyeogagu::plugins::recommend as wr01;
use crate::bindings::v0_2::payment::exports::gajyeogagu::plugins::payment as wp02;
use crate::bindings::v0_2::recommend::exports::gajyeogagu::plugins::recommend as wr02;
use crate::bindings::{payment, recommend, v0_2};

/// `$c: &s::Checkout` as the `Checkout` record of the version module `$w`, plus `$extra`
/// fields that version has.
macro_rules! checkout_record {
    ($w:ident, $c:expr $(, $field:ident: $value:expr)*) => {{
        let c: &s::Checkout = $c;
        $w::Checkout {
            order_id: c.order_id.clone(),
            buyer_id: c.buyer_id.clone(),
            delivery_area: c.delivery_area.clone(),
            pickup_area: c.pickup_area.clone(),
            distance_km: c.distance_km,
            coupon: c.coupon.clone(),
            lines: c
                .lines
                .iter()
                .map(|l| $w::Line {
                    product_id: l.product_id.clone(),
                    title: l.title.clone(),
                    category: l.category.clone(),
                    seller_id: l.seller_id.clone(),
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    width_cm: l.width_cm,
                    depth_cm: l.depth_cm,
                    height_cm: l.height_cm,
                    weight_kg: l.weight_kg,
                })
                .collect(),
            $($field: $value,)*
        }
    }};
}

/// Any version's `Plan` record as the plain plan.
macro_rules! plain_plan {
    ($p:expr) => {{
        let p = $p;
        s::Plan {
            adjustments: p
                .adjustments
                .into_iter()
                .map(|a| s::Adjustment { product_id: a.product_id, amount: a.amount, reason: a.reason })
                .collect(),
            delivery_fee: p.delivery_fee,
            commission: p.commission,
            payouts: p.payouts.into_iter().map(|x| s::Payout { seller_id: x.seller_id, amount: x.amount }).collect(),
            methods: p.methods,
            gateway: p.gateway,
            total: p.total,
            notes: p.notes,
        }
    }};
}

macro_rules! context_record {
    ($w:ident, $c:expr $(, $field:ident: $value:expr)*) => {{
        let c: &s::Context = $c;
        $w::Context {
            user_id: c.user_id.clone(),
            recent_categories: c.recent_categories.clone(),
            cart_categories: c.cart_categories.clone(),
            purchased_categories: c.purchased_categories.clone(),
            style_preferences: c.style_preferences.clone(),
            price_low: c.price_low,
            price_high: c.price_high,
            limit: c.limit,
            $($field: $value,)*
        }
    }};
}

macro_rules! candidate_record {
    ($w:ident, $c:expr) => {{
        let c: &s::Candidate = $c;
        $w::Candidate {
            id: c.id.clone(),
            category: c.category.clone(),
            price: c.price,
            age_days: c.age_days,
            popularity: c.popularity,
            similarity: c.similarity,
            distance_km: c.distance_km,
            style_tags: c.style_tags.clone(),
        }
    }};
}

/// A `moment` record of the host interface `$h` (each world's bindings have their own).
macro_rules! moment_record {
    ($($h:ident)::+, $m:expr) => {{
        use $($h)::+ as h;
        let m: &s::Moment = $m;
        h::Moment {
            unix_millis: m.unix_millis,
            time_zone: m.time_zone.clone(),
            utc_offset_minutes: m.utc_offset_minutes,
            year: m.year,
            month: m.month,
            day: m.day,
            hour: m.hour,
            minute: m.minute,
            second: m.second,
            weekday: match m.weekday {
                s::Weekday::Monday => h::Weekday::Monday,
                s::Weekday::Tuesday => h::Weekday::Tuesday,
                s::Weekday::Wednesday => h::Weekday::Wednesday,
                s::Weekday::Thursday => h::Weekday::Thursday,
                s::Weekday::Friday => h::Weekday::Friday,
                s::Weekday::Saturday => h::Weekday::Saturday,
                s::Weekday::Sunday => h::Weekday::Sunday,
            },
        }
    }};
}

pub fn checkout(c: &s::Checkout) -> wp::Checkout {
    checkout_record!(wp, c, placed_at: moment_record!(payment::gajyeogagu::plugins::host, &c.placed_at))
}

pub fn checkout_v0_2(c: &s::Checkout) -> wp02::Checkout {
    checkout_record!(wp02, c, placed_at: moment_record!(v0_2::payment::gajyeogagu::plugins::host, &c.placed_at))
}

pub fn checkout_v0_1(c: &s::Checkout) -> wp01::Checkout {
    checkout_record!(wp01, c)
}

pub fn plan(p: wp::Plan) -> s::Plan {
    plain_plan!(p)
}

pub fn plan_v0_2(p: wp02::Plan) -> s::Plan {
    plain_plan!(p)
}

pub fn plan_v0_1(p: wp01::Plan) -> s::Plan {
    plain_plan!(p)
}

/// Bytes an answer occupies once lifted (strings plus a fixed cost per element).
pub fn plan_size(p: &s::Plan) -> usize {
    p.adjustments.iter().map(|a| a.product_id.len() + a.reason.len() + 16).sum::<usize>()
        + p.payouts.iter().map(|x| x.seller_id.len() + 16).sum::<usize>()
        + p.methods.iter().map(|m| m.len() + 8).sum::<usize>()
        + p.notes.iter().map(|n| n.len() + 8).sum::<usize>()
        + p.gateway.len()
        + 64
}

pub fn context(c: &s::Context) -> wr::Context {
    context_record!(wr, c, now: moment_record!(recommend::gajyeogagu::plugins::host, &c.now))
}

pub fn context_v0_2(c: &s::Context) -> wr02::Context {
    context_record!(wr02, c, now: moment_record!(v0_2::recommend::gajyeogagu::plugins::host, &c.now))
}

pub fn context_v0_1(c: &s::Context) -> wr01::Context {
    context_record!(wr01, c)
}

/// The candidates as the current contract's columns.
pub fn candidates(c: &[s::Candidate]) -> Result<wr::Candidates, String> {
    let c = s::Candidates::from_records(c)?;
    Ok(wr::Candidates {
        category_names: c.category_names,
        category: c.category,
        price: c.price,
        age_days: c.age_days,
        popularity: c.popularity,
        similarity: c.similarity,
        distance_km: c.distance_km,
        tag_names: c.tag_names,
        tag_start: c.tag_start,
        tags: c.tags,
    })
}

/// A current-contract ranking, which names candidates by position, as ranked ids — checked:
/// every position offered, each once, every score finite.
pub fn picks(r: Vec<wr::Ranked>, candidates: &[s::Candidate]) -> Result<Vec<s::Ranked>, String> {
    let mut seen = vec![false; candidates.len()];
    r.into_iter()
        .map(|r| {
            let i = r.index as usize;
            if i >= candidates.len() || std::mem::replace(&mut seen[i], true) || !r.score.is_finite() {
                return Err(format!("ranked an unknown, duplicate or non-finite entry at position {}", r.index));
            }
            Ok(s::Ranked { id: candidates[i].id.clone(), score: r.score, reason: r.reason })
        })
        .collect()
}

pub fn candidates_v0_2(c: &[s::Candidate]) -> Vec<wr02::Candidate> {
    c.iter().map(|c| candidate_record!(wr02, c)).collect()
}

pub fn candidates_v0_1(c: &[s::Candidate]) -> Vec<wr01::Candidate> {
    c.iter().map(|c| candidate_record!(wr01, c)).collect()
}

pub fn ranked_v0_2(r: Vec<wr02::Ranked>) -> Vec<s::Ranked> {
    r.into_iter().map(|r| s::Ranked { id: r.id, score: r.score, reason: r.reason }).collect()
}

pub fn ranked_v0_1(r: Vec<wr01::Ranked>) -> Vec<s::Ranked> {
    r.into_iter().map(|r| s::Ranked { id: r.id, score: r.score, reason: r.reason }).collect()
}

pub fn ranked_size(r: &[s::Ranked]) -> usize {
    r.iter().map(|x| x.id.len() + x.reason.len() + 24).sum::<usize>() + 16
}
