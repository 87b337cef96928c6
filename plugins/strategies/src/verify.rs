//! The host's check that a payment plan adds up. A plugin that answers a plan failing any rule
//! is treated as broken (the tenant's fallback applies), never charged.

use crate::types::{Checkout, Plan};

/// Largest total a plan may charge (₩1 billion per order, far above any furniture order).
pub const MAX_TOTAL: i64 = 1_000_000_000;

pub fn verify_plan(c: &Checkout, p: &Plan) -> Result<(), String> {
    let gross: i64 = c.lines.iter().map(|l| l.gross()).sum();
    for a in &p.adjustments {
        if !c.lines.iter().any(|l| l.product_id == a.product_id) {
            return Err(format!("adjustment for unknown product {}", a.product_id));
        }
    }
    for l in &c.lines {
        let adj: i64 = p.adjustments.iter().filter(|a| a.product_id == l.product_id).map(|a| a.amount).sum();
        if l.gross() + adj < 0 {
            return Err(format!("line {} would cost less than nothing", l.product_id));
        }
    }
    let adjustments: i64 = p.adjustments.iter().map(|a| a.amount).sum();
    if p.delivery_fee < 0 || p.commission < 0 || p.payouts.iter().any(|x| x.amount < 0) {
        return Err("negative fee, commission or payout".into());
    }
    let expected = gross + adjustments + p.delivery_fee;
    if p.total != expected {
        return Err(format!(
            "total {} != lines {gross} + adjustments {adjustments} + delivery {}",
            p.total, p.delivery_fee
        ));
    }
    if !(0..=MAX_TOTAL).contains(&p.total) {
        return Err(format!("total {} out of range", p.total));
    }
    let payouts: i64 = p.payouts.iter().map(|x| x.amount).sum();
    if p.commission + payouts != p.total - p.delivery_fee {
        return Err(format!(
            "commission {} + payouts {payouts} != total {} - delivery {}",
            p.commission, p.total, p.delivery_fee
        ));
    }
    for x in &p.payouts {
        if !c.lines.iter().any(|l| l.seller_id == x.seller_id) {
            return Err(format!("payout to {} who sells nothing here", x.seller_id));
        }
    }
    if p.methods.is_empty() {
        return Err("no payment methods".into());
    }
    if p.gateway.trim().is_empty() {
        return Err("no gateway".into());
    }
    Ok(())
}
