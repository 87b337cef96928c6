//! WIT records ↔ plain `plugin-strategies` types.

use plugin_strategies as s;

use crate::bindings::payment::exports::gajyeogagu::plugins::payment as wp;
use crate::bindings::recommend::exports::gajyeogagu::plugins::recommend as wr;

pub fn checkout(c: &s::Checkout) -> wp::Checkout {
    wp::Checkout {
        order_id: c.order_id.clone(),
        buyer_id: c.buyer_id.clone(),
        delivery_area: c.delivery_area.clone(),
        pickup_area: c.pickup_area.clone(),
        distance_km: c.distance_km,
        coupon: c.coupon.clone(),
        lines: c
            .lines
            .iter()
            .map(|l| wp::Line {
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
    }
}

pub fn plan(p: wp::Plan) -> s::Plan {
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
}

/// Bytes an answer occupies once lifted (strings plus a fixed cost per element).
pub fn plan_size(p: &wp::Plan) -> usize {
    p.adjustments.iter().map(|a| a.product_id.len() + a.reason.len() + 16).sum::<usize>()
        + p.payouts.iter().map(|x| x.seller_id.len() + 16).sum::<usize>()
        + p.methods.iter().map(|m| m.len() + 8).sum::<usize>()
        + p.notes.iter().map(|n| n.len() + 8).sum::<usize>()
        + p.gateway.len()
        + 64
}

pub fn context(c: &s::Context) -> wr::Context {
    wr::Context {
        user_id: c.user_id.clone(),
        recent_categories: c.recent_categories.clone(),
        cart_categories: c.cart_categories.clone(),
        purchased_categories: c.purchased_categories.clone(),
        style_preferences: c.style_preferences.clone(),
        price_low: c.price_low,
        price_high: c.price_high,
        limit: c.limit,
    }
}

pub fn candidate(c: &s::Candidate) -> wr::Candidate {
    wr::Candidate {
        id: c.id.clone(),
        category: c.category.clone(),
        price: c.price,
        age_days: c.age_days,
        popularity: c.popularity,
        similarity: c.similarity,
        distance_km: c.distance_km,
        style_tags: c.style_tags.clone(),
    }
}

pub fn ranked(r: wr::Ranked) -> s::Ranked {
    s::Ranked { id: r.id, score: r.score, reason: r.reason }
}

pub fn ranked_size(r: &[wr::Ranked]) -> usize {
    r.iter().map(|x| x.id.len() + x.reason.len() + 24).sum::<usize>() + 16
}
