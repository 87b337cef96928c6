//! Answers plans that must never be charged. The tenant config key `mode` picks the lie:
//!
//! - `overflow`: payouts `[i64::MAX, i64::MAX, total + 2]` to the first seller, which wrap
//!   `i64` back to exactly the total (the sum a naive check computes);
//! - `unknown-gateway`: an honest plan naming a gateway the tenant doesn't have;
//! - `unknown-method`: an honest plan offering a method no gateway takes;
//! - `free-unknown-method`: everything discounted to a total of 0, paid by an unknown method.
//!
//! Anything else: the standard policy's plan, unchanged.

use plugin_guest::{Adjustment, Checkout, HostConfig, PaymentStrategy, Payout, Plan};
use plugin_strategies::Config;

pub struct Liar;

impl PaymentStrategy for Liar {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let mut plan = plugin_strategies::payment_standard::quote(&HostConfig, &input)?;
        let seller = input.lines[0].seller_id.clone();
        match HostConfig.get("mode").unwrap_or_default().as_str() {
            "overflow" => {
                let gross: i64 = input.lines.iter().map(|l| l.unit_price * l.quantity as i64).sum();
                plan.adjustments.clear();
                plan.delivery_fee = 0;
                plan.commission = 0;
                plan.total = gross;
                plan.payouts = vec![
                    Payout { seller_id: seller.clone(), amount: i64::MAX },
                    Payout { seller_id: seller.clone(), amount: i64::MAX },
                    Payout { seller_id: seller, amount: gross.wrapping_add(2) },
                ];
            }
            "unknown-gateway" => plan.gateway = "paypal".into(),
            "unknown-method" => plan.methods = vec!["card".into(), "bitcoin".into()],
            "free-unknown-method" => {
                plan.adjustments = input
                    .lines
                    .iter()
                    .map(|l| Adjustment {
                        product_id: l.product_id.clone(),
                        amount: -(l.unit_price * l.quantity as i64),
                        reason: "공짜".into(),
                    })
                    .collect();
                plan.delivery_fee = 0;
                plan.commission = 0;
                plan.total = 0;
                let mut sellers: Vec<String> = input.lines.iter().map(|l| l.seller_id.clone()).collect();
                sellers.sort();
                sellers.dedup();
                plan.payouts = sellers.into_iter().map(|seller_id| Payout { seller_id, amount: 0 }).collect();
                plan.methods = vec!["cash-on-delivery".into()];
            }
            _ => {}
        }
        Ok(plan)
    }
}

plugin_guest::export_payment!(Liar);
