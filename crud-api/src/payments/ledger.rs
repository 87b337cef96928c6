//! Double-entry ledger lines for captures and refunds. Each group of entries sums to zero:
//! debits positive, credits negative.
//!
//! Accounts: `gateway:<name>` (money the gateway owes us), `platform:commission`,
//! `platform:delivery`, `seller:<id>` (what we owe a seller).

pub use crate::payments::store::Entry;

/// Capture: the gateway owes the total; we owe sellers their payouts and keep commission and
/// delivery fee.
pub fn capture(gateway: &str, total: i64, delivery_fee: i64, commission: i64, payouts: &[(String, i64)]) -> Vec<Entry> {
    let mut e = vec![(format!("gateway:{gateway}"), total, "buyer charge".to_string())];
    if commission != 0 {
        e.push(("platform:commission".into(), -commission, "platform commission".into()));
    }
    if delivery_fee != 0 {
        e.push(("platform:delivery".into(), -delivery_fee, "delivery fee".into()));
    }
    for (seller, amount) in payouts {
        e.push((format!("seller:{seller}"), -amount, "seller payout".into()));
    }
    e
}

/// How a cumulative refund of `x` splits: from the seller's payout first, then the delivery
/// fee, then the commission (a partial refund is usually a price adjustment).
fn split(x: i64, delivery_fee: i64, payout: i64) -> (i64, i64, i64) {
    let from_seller = x.min(payout);
    let from_delivery = (x - from_seller).min(delivery_fee);
    (from_seller, from_delivery, x - from_seller - from_delivery)
}

/// Refund of `amount` after `already` was refunded, returned through the gateway. Splitting
/// the cumulative amount keeps successive partial refunds consistent with one full refund.
pub fn refund(gateway: &str, already: i64, amount: i64, delivery_fee: i64, seller: &str, payout: i64) -> Vec<Entry> {
    let (s0, d0, c0) = split(already, delivery_fee, payout);
    let (s1, d1, c1) = split(already + amount, delivery_fee, payout);
    let mut e = vec![(format!("gateway:{gateway}"), -amount, "refund to buyer".to_string())];
    if s1 != s0 {
        e.push((format!("seller:{seller}"), s1 - s0, "refund from seller payout".into()));
    }
    if d1 != d0 {
        e.push(("platform:delivery".into(), d1 - d0, "refund of delivery fee".into()));
    }
    if c1 != c0 {
        e.push(("platform:commission".into(), c1 - c0, "refund of commission".into()));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(e: &[Entry]) -> i64 {
        e.iter().map(|x| x.1).sum()
    }

    #[test]
    fn captures_and_refunds_balance() {
        let c = capture("sandbox", 161_000, 11_000, 15_000, &[("s1".into(), 135_000)]);
        assert_eq!(sum(&c), 0);
        assert_eq!(c.len(), 4);
        for amount in [1, 50_000, 135_000, 140_000, 161_000] {
            let r = refund("sandbox", 0, amount, 11_000, "s1", 135_000);
            assert_eq!(sum(&r), 0, "{amount}");
        }
        let mut all = c.clone();
        all.extend(refund("sandbox", 0, 10_000, 11_000, "s1", 135_000));
        all.extend(refund("sandbox", 10_000, 151_000, 11_000, "s1", 135_000));
        let mut by_account = std::collections::BTreeMap::new();
        for (a, v, _) in all {
            *by_account.entry(a).or_insert(0) += v;
        }
        assert!(by_account.values().all(|v| *v == 0), "partial + rest zeroes every account: {by_account:?}");
    }
}
