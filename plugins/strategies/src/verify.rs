//! The host's check that a payment plan adds up and can be charged. A plugin that answers a
//! plan failing any rule is treated as broken (the tenant's fallback applies), never charged.
//!
//! Every sum is taken in `i128` from amounts that were first checked against per-amount caps,
//! so no plan — however hostile its numbers — can wrap around, panic, or pass by overflow. The
//! check itself runs under `catch_unwind`: should a rule ever panic, the plan is rejected.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::types::{Checkout, Plan};

/// Largest total a plan may charge (₩1 billion per order, far above any furniture order).
/// Also the cap on every single amount in a plan, and on a line's gross price.
pub const MAX_TOTAL: i64 = 1_000_000_000;
/// Most adjustments a plan may carry (a few per line is plenty for any real policy).
pub const MAX_ADJUSTMENTS: usize = 1_000;
/// Most payment methods a plan may offer.
pub const MAX_METHODS: usize = 16;
/// Most notes a plan may show the buyer.
pub const MAX_NOTES: usize = 20;

/// The payment methods each gateway can take, as the platform ships them. A plan must name
/// one of the tenant's gateways and offer only methods that gateway supports.
pub mod gateways {
    /// The built-in sandbox gateway: accepts every method the first-party policies offer.
    pub const SANDBOX: (&str, &[&str]) = ("sandbox", &["card", "kakaopay", "naverpay", "tosspay", "transfer"]);
    /// Toss Payments: card, account transfer, virtual account and the easy-pay wallets.
    pub const TOSS: (&str, &[&str]) =
        ("toss", &["card", "transfer", "virtual-account", "kakaopay", "naverpay", "tosspay", "payco"]);
}

/// What a tenant can actually charge with: its gateways and each one's methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRules {
    gateways: BTreeMap<String, BTreeSet<String>>,
}

impl PlanRules {
    /// No gateway at all: every plan is refused until one is added.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_gateway<S: Into<String>>(mut self, name: &str, methods: impl IntoIterator<Item = S>) -> Self {
        self.gateways.insert(name.to_string(), methods.into_iter().map(Into::into).collect());
        self
    }

    /// The gateways a crud-api instance always has (sandbox) plus Toss: what `plugin-runner`
    /// checks against when it has no tenant to ask.
    pub fn platform_default() -> Self {
        let (sandbox, sm) = gateways::SANDBOX;
        let (toss, tm) = gateways::TOSS;
        Self::new().with_gateway(sandbox, sm.iter().copied()).with_gateway(toss, tm.iter().copied())
    }

    /// The methods `gateway` takes, if the tenant has it.
    pub fn methods_of(&self, gateway: &str) -> Option<&BTreeSet<String>> {
        self.gateways.get(gateway)
    }

    pub fn gateway_names(&self) -> impl Iterator<Item = &str> {
        self.gateways.keys().map(String::as_str)
    }
}

/// Checks `p` against the checkout it answers and the tenant's `rules`. Never panics: a panic
/// inside a rule (there should be none) is reported as a rejection.
pub fn verify_plan(c: &Checkout, p: &Plan, rules: &PlanRules) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| check(c, p, rules)))
        .unwrap_or_else(|_| Err("plan verification failed unexpectedly; the plan is rejected".into()))
}

fn in_range(x: i64, lo: i64, hi: i64, what: &str) -> Result<(), String> {
    if (lo..=hi).contains(&x) {
        Ok(())
    } else {
        Err(format!("{what} {x} is outside {lo}..={hi}"))
    }
}

fn check(c: &Checkout, p: &Plan, rules: &PlanRules) -> Result<(), String> {
    // Sizes first: nothing below iterates over an unbounded list.
    if p.adjustments.len() > MAX_ADJUSTMENTS {
        return Err(format!("{} adjustments; at most {MAX_ADJUSTMENTS}", p.adjustments.len()));
    }
    if p.methods.len() > MAX_METHODS || p.notes.len() > MAX_NOTES {
        return Err(format!("at most {MAX_METHODS} methods and {MAX_NOTES} notes"));
    }
    // Per-amount caps: each amount a plan names is at most the largest total in size.
    in_range(p.total, 0, MAX_TOTAL, "total")?;
    in_range(p.delivery_fee, 0, MAX_TOTAL, "delivery fee")?;
    in_range(p.commission, 0, MAX_TOTAL, "commission")?;
    for x in &p.payouts {
        in_range(x.amount, 0, MAX_TOTAL, "payout")?;
    }
    for a in &p.adjustments {
        in_range(a.amount, -MAX_TOTAL, MAX_TOTAL, "adjustment")?;
        if !c.lines.iter().any(|l| l.product_id == a.product_id) {
            return Err(format!("adjustment for unknown product {}", a.product_id));
        }
    }
    // Sums in i128: a thousand amounts of at most 1e9 each can't come near its range.
    let gross_of = |l: &crate::types::Line| l.unit_price as i128 * l.quantity as i128;
    let mut gross: i128 = 0;
    for l in &c.lines {
        let line_gross = gross_of(l);
        if !(0..=MAX_TOTAL as i128).contains(&line_gross) {
            return Err(format!("line {} is priced outside 0..={MAX_TOTAL}", l.product_id));
        }
        let adj: i128 = p.adjustments.iter().filter(|a| a.product_id == l.product_id).map(|a| a.amount as i128).sum();
        if line_gross + adj < 0 {
            return Err(format!("line {} would cost less than nothing", l.product_id));
        }
        gross += line_gross;
    }
    let adjustments: i128 = p.adjustments.iter().map(|a| a.amount as i128).sum();
    let expected = gross + adjustments + p.delivery_fee as i128;
    if p.total as i128 != expected {
        return Err(format!(
            "total {} != lines {gross} + adjustments {adjustments} + delivery {}",
            p.total, p.delivery_fee
        ));
    }
    let payouts: i128 = p.payouts.iter().map(|x| x.amount as i128).sum();
    if p.commission as i128 + payouts != p.total as i128 - p.delivery_fee as i128 {
        return Err(format!(
            "commission {} + payouts {payouts} != total {} - delivery {}",
            p.commission, p.total, p.delivery_fee
        ));
    }
    let mut paid = BTreeSet::new();
    for x in &p.payouts {
        if !c.lines.iter().any(|l| l.seller_id == x.seller_id) {
            return Err(format!("payout to {} who sells nothing here", x.seller_id));
        }
        if !paid.insert(x.seller_id.as_str()) {
            return Err(format!("two payouts to {}", x.seller_id));
        }
    }
    if p.methods.is_empty() {
        return Err("no payment methods".into());
    }
    let Some(supported) = rules.methods_of(&p.gateway) else {
        let known: Vec<&str> = rules.gateway_names().collect();
        return Err(format!("gateway {:?} is not one of this tenant's ({})", p.gateway, known.join(", ")));
    };
    let mut offered = BTreeSet::new();
    for m in &p.methods {
        if !supported.contains(m) {
            return Err(format!("method {m:?} is not taken by gateway {}", p.gateway));
        }
        if !offered.insert(m.as_str()) {
            return Err(format!("method {m:?} offered twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment_standard::tests::{checkout, line};
    use crate::types::{Adjustment, Payout};

    fn rules() -> PlanRules {
        PlanRules::platform_default()
    }

    fn plan(c: &Checkout) -> Plan {
        crate::payment_standard::quote(&BTreeMap::new(), c).unwrap()
    }

    #[test]
    fn the_standard_policy_passes() {
        let c = checkout(vec![line("p1", "sofa", "s1", 150_000, 1)], None, Some(3.0));
        verify_plan(&c, &plan(&c), &rules()).unwrap();
    }

    /// The overflow found by hostile testing: payouts that wrap `i64` to the right sum.
    #[test]
    fn wrapping_payouts_are_refused_not_accepted_or_panicking() {
        let c = checkout(vec![line("p1", "sofa", "s1", 1, 1), line("p2", "desk", "s2", 1, 1)], None, Some(0.0));
        let mut p = plan(&c);
        p.delivery_fee = 0;
        p.total = 2;
        p.commission = 0;
        p.payouts = vec![
            Payout { seller_id: "s1".into(), amount: i64::MAX },
            Payout { seller_id: "s2".into(), amount: i64::MAX },
        ];
        // i64::MAX + i64::MAX + 2 wraps to 0 … and a plain sum panics in a debug build.
        let err = verify_plan(&c, &p, &rules()).unwrap_err();
        assert!(err.contains("payout"), "{err}");

        // Adjustments that wrap back to a plausible total.
        let mut q = plan(&c);
        q.adjustments = vec![
            Adjustment { product_id: "p1".into(), amount: i64::MAX, reason: String::new() },
            Adjustment { product_id: "p1".into(), amount: i64::MAX, reason: String::new() },
            Adjustment { product_id: "p1".into(), amount: 2, reason: String::new() },
        ];
        assert!(verify_plan(&c, &q, &rules()).unwrap_err().contains("adjustment"));
    }

    #[test]
    fn unknown_gateways_and_methods_are_refused() {
        let c = checkout(vec![line("p1", "sofa", "s1", 100_000, 1)], None, Some(0.0));
        let mut p = plan(&c);
        p.gateway = "paypal".into();
        assert!(verify_plan(&c, &p, &rules()).unwrap_err().contains("gateway \"paypal\""));
        let only_sandbox = PlanRules::new().with_gateway("sandbox", ["card"]);
        let mut q = plan(&c);
        q.methods = vec!["card".into(), "bitcoin".into()];
        assert!(verify_plan(&c, &q, &only_sandbox).unwrap_err().contains("bitcoin"));
        // A free order still names methods the gateway takes.
        let mut free = plan(&c);
        free.adjustments = vec![Adjustment { product_id: "p1".into(), amount: -100_000, reason: "gift".into() }];
        free.delivery_fee = 0;
        free.commission = 0;
        free.payouts = vec![Payout { seller_id: "s1".into(), amount: 0 }];
        free.total = 0;
        free.methods = vec!["cash-on-delivery".into()];
        assert!(verify_plan(&c, &free, &rules()).is_err());
        free.methods = vec!["card".into()];
        verify_plan(&c, &free, &rules()).unwrap();
        assert!(verify_plan(&c, &free, &PlanRules::new()).is_err(), "no gateway, no plan");
    }
}

/// Property tests: random plans — most of them hostile — against a reference model written
/// independently (checked arithmetic, bail on the first overflow), plus plans built by the
/// standard policy, which must always pass.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::payment_standard::tests::{checkout, line};
    use crate::types::{Adjustment, Line, Payout};

    /// The rules again, the slow and obvious way: every sum with `checked_add`, and any
    /// overflow is a rejection.
    fn reference(c: &Checkout, p: &Plan, rules: &PlanRules) -> bool {
        fn sum(xs: impl IntoIterator<Item = i64>) -> Option<i64> {
            xs.into_iter().try_fold(0i64, |a, x| a.checked_add(x))
        }
        let cap = |x: i64| (0..=MAX_TOTAL).contains(&x);
        let sizes_ok =
            p.adjustments.len() <= MAX_ADJUSTMENTS && p.methods.len() <= MAX_METHODS && p.notes.len() <= MAX_NOTES;
        let amounts_ok = cap(p.total)
            && cap(p.delivery_fee)
            && cap(p.commission)
            && p.payouts.iter().all(|x| cap(x.amount))
            && p.adjustments.iter().all(|a| (-MAX_TOTAL..=MAX_TOTAL).contains(&a.amount));
        if !sizes_ok || !amounts_ok {
            return false;
        }
        let known = |id: &str| c.lines.iter().any(|l| l.product_id == id);
        if !p.adjustments.iter().all(|a| known(&a.product_id)) {
            return false;
        }
        let mut gross = 0i64;
        for l in &c.lines {
            let Some(g) = l.unit_price.checked_mul(l.quantity as i64).filter(|g| cap(*g)) else { return false };
            let Some(adj) = sum(p.adjustments.iter().filter(|a| a.product_id == l.product_id).map(|a| a.amount)) else {
                return false;
            };
            match g.checked_add(adj) {
                Some(net) if net >= 0 => {}
                _ => return false,
            }
            gross = match gross.checked_add(g) {
                Some(x) => x,
                None => return false,
            };
        }
        let Some(adj) = sum(p.adjustments.iter().map(|a| a.amount)) else { return false };
        let Some(payouts) = sum(p.payouts.iter().map(|x| x.amount)) else { return false };
        let total_ok = gross.checked_add(adj).and_then(|x| x.checked_add(p.delivery_fee)) == Some(p.total);
        let split_ok = p.commission.checked_add(payouts) == p.total.checked_sub(p.delivery_fee);
        let sellers: Vec<&str> = p.payouts.iter().map(|x| x.seller_id.as_str()).collect();
        let unique = sellers.iter().collect::<BTreeSet<_>>().len() == sellers.len();
        let sellers_ok = unique && sellers.iter().all(|s| c.lines.iter().any(|l| l.seller_id == *s));
        let methods_ok = !p.methods.is_empty()
            && p.methods.iter().collect::<BTreeSet<_>>().len() == p.methods.len()
            && rules.methods_of(&p.gateway).is_some_and(|m| p.methods.iter().all(|x| m.contains(x)));
        total_ok && split_ok && sellers_ok && methods_ok
    }

    /// Amounts that hit every edge: small, typical, at the caps, and at `i64`'s ends.
    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![
            3 => 0i64..200_000,
            1 => Just(0i64),
            1 => Just(MAX_TOTAL),
            1 => Just(MAX_TOTAL + 1),
            1 => Just(i64::MAX),
            1 => Just(i64::MIN),
            1 => Just(i64::MAX / 2 + 1),
            1 => -200_000i64..0,
            1 => any::<i64>(),
        ]
    }

    fn lines() -> impl Strategy<Value = Vec<Line>> {
        prop::collection::vec((0u8..3, 0i64..3_000_000, 1u32..4), 1..4).prop_map(|ls| {
            ls.into_iter()
                .enumerate()
                .map(|(i, (seller, price, qty))| line(&format!("p{i}"), "sofa", &format!("s{seller}"), price, qty))
                .collect()
        })
    }

    fn checkout_of(lines: Vec<Line>) -> Checkout {
        checkout(lines, None, Some(5.0))
    }

    /// A plan derived from an honest one by hostile edits, so that some random plans do add
    /// up (exercising the accept path) while most break one rule or another.
    fn hostile_plan(c: Checkout) -> impl Strategy<Value = (Checkout, Plan)> {
        let honest = crate::payment_standard::quote(&BTreeMap::new(), &c).expect("standard policy quotes");
        let n_lines = c.lines.len();
        (
            prop::collection::vec((0..n_lines + 1, amount()), 0..4),
            prop::collection::vec((0u8..4, amount()), 0..4),
            prop::option::of(amount()),
            prop::option::of(amount()),
            prop::option::of(amount()),
            prop::sample::select(vec!["sandbox", "toss", "paypal", ""]),
            prop::sample::select(vec![vec!["card"], vec![], vec!["card", "card"], vec!["bitcoin"], vec!["transfer"]]),
            any::<bool>(),
        )
            .prop_map(move |(adj, payouts, total, fee, commission, gateway, methods, keep_honest)| {
                let mut p = honest.clone();
                if keep_honest {
                    return (c.clone(), p);
                }
                p.adjustments.extend(adj.into_iter().map(|(i, amount)| Adjustment {
                    product_id: format!("p{i}"),
                    amount,
                    reason: String::new(),
                }));
                if !payouts.is_empty() {
                    p.payouts =
                        payouts.into_iter().map(|(s, amount)| Payout { seller_id: format!("s{s}"), amount }).collect();
                }
                p.total = total.unwrap_or(p.total);
                p.delivery_fee = fee.unwrap_or(p.delivery_fee);
                p.commission = commission.unwrap_or(p.commission);
                p.gateway = gateway.into();
                p.methods = methods.into_iter().map(String::from).collect();
                (c.clone(), p)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn verify_agrees_with_the_reference_model((c, p) in lines().prop_map(checkout_of).prop_flat_map(hostile_plan)) {
            let rules = PlanRules::platform_default();
            let got = verify_plan(&c, &p, &rules);
            prop_assert_eq!(got.is_ok(), reference(&c, &p, &rules), "verify said {:?} for {:?}", got, p);
            if got.is_ok() {
                // What an accepted plan guarantees, in exact arithmetic.
                prop_assert!((0..=MAX_TOTAL).contains(&p.total));
                let payouts: i128 = p.payouts.iter().map(|x| x.amount as i128).sum();
                prop_assert_eq!(p.commission as i128 + payouts + p.delivery_fee as i128, p.total as i128);
            }
        }

        #[test]
        fn the_standard_policy_always_verifies(c in lines().prop_map(checkout_of)) {
            let p = crate::payment_standard::quote(&BTreeMap::new(), &c).unwrap();
            let rules = PlanRules::platform_default();
            prop_assert_eq!(verify_plan(&c, &p, &rules), Ok(()));
            prop_assert!(reference(&c, &p, &rules));
        }
    }
}
