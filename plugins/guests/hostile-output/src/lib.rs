//! Floods the log and answers a multi-megabyte plan: the host's log and output caps apply.

use plugin_guest::{Checkout, PaymentStrategy, Plan};

pub struct Flood;

impl PaymentStrategy for Flood {
    fn quote(input: Checkout) -> Result<Plan, String> {
        for i in 0..10_000 {
            plugin_guest::log(&format!("line {i}: {}", "x".repeat(100)));
        }
        let total: i64 = input.lines.iter().map(|l| l.unit_price * l.quantity as i64).sum();
        Ok(Plan {
            adjustments: vec![],
            delivery_fee: 0,
            commission: 0,
            payouts: vec![plugin_guest::Payout { seller_id: input.lines[0].seller_id.clone(), amount: total }],
            methods: vec!["card".into()],
            gateway: "sandbox".into(),
            total,
            notes: (0..20_000).map(|i| format!("note {i} {}", "y".repeat(200))).collect(),
        })
    }
}

plugin_guest::export_payment!(Flood);
