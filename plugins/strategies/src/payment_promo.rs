//! `payment-promo`: a launch-promotion tenant.
//!
//! Free delivery on everything, a flat `commission.flat` (5%) commission, and a bundle
//! discount: `promo.bundle_percent` (10%) off every line when the order has at least
//! `promo.bundle_min` (2) items. Easy-pay first.

use crate::config::Config;
use crate::payment_standard::{methods, split};
use crate::types::{Adjustment, Checkout, Plan};

pub fn quote(cfg: &dyn Config, c: &Checkout) -> Result<Plan, String> {
    if c.lines.is_empty() {
        return Err("an order needs at least one line".into());
    }
    let items: u32 = c.lines.iter().map(|l| l.quantity).sum();
    let mut notes = vec!["무료 배송 이벤트".to_string()];
    let mut adjustments = Vec::new();
    if items as i64 >= cfg.int("promo.bundle_min", 2) {
        let pct = cfg.int("promo.bundle_percent", 10).clamp(0, 90);
        adjustments = c
            .lines
            .iter()
            .map(|l| Adjustment {
                product_id: l.product_id.clone(),
                amount: -(l.gross() * pct / 100),
                reason: format!("묶음 할인 {pct}%"),
            })
            .filter(|a| a.amount != 0)
            .collect();
        notes.push(format!("{items}개 묶음 할인 {pct}%"));
    }
    let flat = cfg.int("commission.flat", 5);
    // The promo ignores per-category commission: one flat rate for everything.
    let flat_only = FlatCommission(flat);
    let (commission, payouts) = split(&flat_only, &c.lines, &adjustments, flat);
    let total = c.lines.iter().map(|l| l.gross()).sum::<i64>() + adjustments.iter().map(|a| a.amount).sum::<i64>();
    let mut m = methods(cfg, total);
    m.sort_by_key(|x| if x == "card" || x == "transfer" { 1 } else { 0 });
    Ok(Plan {
        adjustments,
        delivery_fee: 0,
        commission,
        payouts,
        methods: m,
        gateway: cfg.get("gateway").unwrap_or_else(|| "sandbox".into()),
        total,
        notes,
    })
}

struct FlatCommission(i64);

impl Config for FlatCommission {
    fn get(&self, key: &str) -> Option<String> {
        (key == "commission.default").then(|| self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment_standard::tests::{checkout, line};
    use crate::verify::verify_plan;
    use std::collections::BTreeMap;

    #[test]
    fn bundles_get_a_discount_and_delivery_is_free() {
        let c = checkout(
            vec![line("p1", "sofa", "s1", 100_000, 1), line("p2", "chair", "s1", 20_000, 1)],
            None,
            Some(30.0),
        );
        let p = quote(&BTreeMap::new(), &c).unwrap();
        assert_eq!(p.delivery_fee, 0);
        assert_eq!(p.total, 108_000);
        assert_eq!(p.commission, 5_400);
        assert_eq!(p.methods[0], "kakaopay");
        verify_plan(&c, &p, &crate::verify::PlanRules::platform_default()).unwrap();
        let single =
            quote(&BTreeMap::new(), &checkout(vec![line("p1", "sofa", "s1", 100_000, 1)], None, None)).unwrap();
        assert!(single.adjustments.is_empty());
        assert_eq!(single.total, 100_000);
    }
}
