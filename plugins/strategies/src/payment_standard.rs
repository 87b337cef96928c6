//! `payment-standard`: the default policy.
//!
//! - Coupons from config `coupons` = `CODE:10%,CODE2:5000` (percent off every line, or a fixed
//!   amount off the most expensive line).
//! - Delivery fee: `delivery.base` (₩5,000) + `delivery.per_km` (₩500) × distance (10 km when
//!   unknown) + `delivery.large_item` (₩10,000) per line over 1 m³ or 30 kg; free from
//!   `delivery.free_over` (off when unset).
//! - Platform commission by category: `commission.<category>` percent, else
//!   `commission.default` (10%), on each line's price after discounts; the rest goes to sellers.
//! - Methods by total: easy-pay wallets only up to ₩2,000,000 (their usual limit); card and
//!   bank transfer always.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::types::{Adjustment, Checkout, Line, Payout, Plan};

pub fn coupons(cfg: &dyn Config) -> BTreeMap<String, Coupon> {
    let mut out = BTreeMap::new();
    for entry in cfg.get("coupons").unwrap_or_default().split(',') {
        let Some((code, value)) = entry.trim().split_once(':') else { continue };
        let value = value.trim();
        let coupon = match value.strip_suffix('%') {
            Some(p) => p.parse().ok().filter(|p| (1..=100).contains(p)).map(Coupon::Percent),
            None => value.parse().ok().filter(|v| *v > 0).map(Coupon::Amount),
        };
        if let Some(c) = coupon {
            out.insert(code.trim().to_uppercase(), c);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coupon {
    Percent(i64),
    Amount(i64),
}

/// Discounts of a coupon, per line.
pub fn coupon_adjustments(coupon: Coupon, code: &str, lines: &[Line]) -> Vec<Adjustment> {
    match coupon {
        Coupon::Percent(p) => lines
            .iter()
            .map(|l| Adjustment {
                product_id: l.product_id.clone(),
                amount: -(l.gross() * p / 100),
                reason: format!("쿠폰 {code} {p}%"),
            })
            .filter(|a| a.amount != 0)
            .collect(),
        Coupon::Amount(v) => lines
            .iter()
            .max_by_key(|l| (l.gross(), std::cmp::Reverse(l.product_id.clone())))
            .map(|l| {
                vec![Adjustment {
                    product_id: l.product_id.clone(),
                    amount: -v.min(l.gross()),
                    reason: format!("쿠폰 {code}"),
                }]
            })
            .unwrap_or_default(),
    }
}

fn is_large(l: &Line) -> bool {
    let volume = l.width_cm.unwrap_or(0) as u64 * l.depth_cm.unwrap_or(0) as u64 * l.height_cm.unwrap_or(0) as u64;
    volume > 1_000_000 || l.weight_kg.unwrap_or(0) > 30
}

pub fn delivery_fee(cfg: &dyn Config, c: &Checkout, net_total: i64) -> i64 {
    let free_over = cfg.int("delivery.free_over", 0);
    if free_over > 0 && net_total >= free_over {
        return 0;
    }
    let km = c.distance_km.unwrap_or(10.0).clamp(0.0, 500.0);
    let large = c.lines.iter().filter(|l| is_large(l)).count() as i64;
    cfg.int("delivery.base", 5_000)
        + (cfg.int("delivery.per_km", 500) as f64 * km).round() as i64
        + large * cfg.int("delivery.large_item", 10_000)
}

/// Commission per line (on the price after adjustments) and payouts per seller.
pub fn split(cfg: &dyn Config, lines: &[Line], adjustments: &[Adjustment], default_pct: i64) -> (i64, Vec<Payout>) {
    let mut commission = 0;
    let mut payouts: BTreeMap<String, i64> = BTreeMap::new();
    for l in lines {
        let adj: i64 = adjustments.iter().filter(|a| a.product_id == l.product_id).map(|a| a.amount).sum();
        let net = l.gross() + adj;
        let pct =
            cfg.int(&format!("commission.{}", l.category), cfg.int("commission.default", default_pct)).clamp(0, 100);
        let fee = net * pct / 100;
        commission += fee;
        *payouts.entry(l.seller_id.clone()).or_default() += net - fee;
    }
    (commission, payouts.into_iter().map(|(seller_id, amount)| Payout { seller_id, amount }).collect())
}

pub fn methods(cfg: &dyn Config, total: i64) -> Vec<String> {
    if let Some(list) = cfg.get("methods") {
        let m: Vec<String> = list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if !m.is_empty() {
            return m;
        }
    }
    if total <= 2_000_000 {
        ["card", "kakaopay", "naverpay", "tosspay", "transfer"].map(String::from).to_vec()
    } else {
        ["card", "transfer"].map(String::from).to_vec()
    }
}

pub fn quote(cfg: &dyn Config, c: &Checkout) -> Result<Plan, String> {
    if c.lines.is_empty() {
        return Err("an order needs at least one line".into());
    }
    let mut notes = Vec::new();
    let mut adjustments = Vec::new();
    if let Some(code) = c.coupon.as_deref().map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()) {
        match coupons(cfg).get(&code) {
            Some(coupon) => {
                adjustments = coupon_adjustments(*coupon, &code, &c.lines);
                notes.push(format!("쿠폰 {code} 적용"));
            }
            None => notes.push(format!("쿠폰 {code}은(는) 사용할 수 없어요")),
        }
    }
    let net: i64 = c.lines.iter().map(|l| l.gross()).sum::<i64>() + adjustments.iter().map(|a| a.amount).sum::<i64>();
    let delivery_fee = delivery_fee(cfg, c, net);
    if delivery_fee == 0 {
        notes.push("무료 배송".into());
    }
    let (commission, payouts) = split(cfg, &c.lines, &adjustments, 10);
    let total = net + delivery_fee;
    Ok(Plan {
        adjustments,
        delivery_fee,
        commission,
        payouts,
        methods: methods(cfg, total),
        gateway: cfg.get("gateway").unwrap_or_else(|| "sandbox".into()),
        total,
        notes,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::verify::verify_plan;

    pub fn line(id: &str, category: &str, seller: &str, price: i64, qty: u32) -> Line {
        Line {
            product_id: id.into(),
            title: format!("item {id}"),
            category: category.into(),
            seller_id: seller.into(),
            unit_price: price,
            quantity: qty,
            width_cm: None,
            depth_cm: None,
            height_cm: None,
            weight_kg: None,
        }
    }

    pub fn checkout(lines: Vec<Line>, coupon: Option<&str>, km: Option<f64>) -> Checkout {
        Checkout {
            order_id: "o1".into(),
            buyer_id: "b1".into(),
            delivery_area: "강남구".into(),
            pickup_area: "마포구".into(),
            distance_km: km,
            lines,
            coupon: coupon.map(String::from),
            placed_at: Default::default(),
        }
    }

    fn cfg(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn plain_order_adds_up() {
        let c = checkout(vec![line("p1", "sofa", "s1", 150_000, 1)], None, Some(12.0));
        let p = quote(&cfg(&[]), &c).unwrap();
        assert_eq!(p.delivery_fee, 5_000 + 6_000);
        assert_eq!(p.commission, 15_000);
        assert_eq!(p.payouts, vec![Payout { seller_id: "s1".into(), amount: 135_000 }]);
        assert_eq!(p.total, 161_000);
        assert_eq!(p.gateway, "sandbox");
        verify_plan(&c, &p, &crate::verify::PlanRules::platform_default()).unwrap();
    }

    #[test]
    fn large_items_cost_more_to_carry() {
        let mut sofa = line("p1", "sofa", "s1", 100_000, 1);
        (sofa.width_cm, sofa.depth_cm, sofa.height_cm) = (Some(210), Some(90), Some(85));
        let c = checkout(vec![sofa], None, None);
        let p = quote(&cfg(&[]), &c).unwrap();
        assert_eq!(p.delivery_fee, 5_000 + 5_000 + 10_000);
    }

    #[test]
    fn coupons_and_category_commission() {
        let c = checkout(
            vec![line("p1", "sofa", "s1", 100_000, 1), line("p2", "lighting", "s2", 50_000, 2)],
            Some("welcome10"),
            Some(0.0),
        );
        let conf = cfg(&[("coupons", "WELCOME10:10%,FIX:3000"), ("commission.lighting", "20")]);
        let p = quote(&conf, &c).unwrap();
        assert_eq!(p.adjustments.iter().map(|a| a.amount).sum::<i64>(), -20_000);
        // sofa 90,000 at 10% = 9,000; lighting 90,000 at 20% = 18,000
        assert_eq!(p.commission, 27_000);
        assert_eq!(p.total, 180_000 + 5_000);
        verify_plan(&c, &p, &crate::verify::PlanRules::platform_default()).unwrap();

        let fixed = quote(&conf, &checkout(c.lines.clone(), Some("FIX"), Some(0.0))).unwrap();
        assert_eq!(fixed.adjustments.len(), 1);
        assert_eq!(fixed.adjustments[0].product_id, "p1", "a tie (100,000 each) goes to the first product id");
        let unknown = quote(&conf, &checkout(c.lines.clone(), Some("NOPE"), Some(0.0))).unwrap();
        assert!(unknown.adjustments.is_empty() && unknown.notes[0].contains("NOPE"));
    }

    #[test]
    fn expensive_orders_lose_easy_pay() {
        let c = checkout(vec![line("p1", "desk", "s1", 3_000_000, 1)], None, Some(1.0));
        assert_eq!(quote(&cfg(&[]), &c).unwrap().methods, ["card", "transfer"]);
        let free = quote(&cfg(&[("delivery.free_over", "1000000")]), &c).unwrap();
        assert_eq!(free.delivery_fee, 0);
    }
}
