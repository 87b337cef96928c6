//! A payment plugin as a tenant built it against contract 0.1.0, before the input had a clock:
//! goods at their price, free delivery, no commission, each seller paid their lines. The host
//! must keep loading it, feed it the 0.1.0 checkout, and check its plan like any other.

wit_bindgen::generate!({ path: "../../wit-0.1.0", world: "payment-strategy" });

use exports::gajyeogagu::plugins::payment::{Checkout, Guest, Payout, Plan};
use gajyeogagu::plugins::host::{config, log, Level};

struct Legacy;

impl Guest for Legacy {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let mut payouts: Vec<Payout> = Vec::new();
        for l in &input.lines {
            let gross = l.unit_price * i64::from(l.quantity);
            match payouts.iter_mut().find(|p| p.seller_id == l.seller_id) {
                Some(p) => p.amount += gross,
                None => payouts.push(Payout { seller_id: l.seller_id.clone(), amount: gross }),
            }
        }
        let total = payouts.iter().map(|p| p.amount).sum();
        log(Level::Info, "quoted by a 0.1.0 plugin");
        Ok(Plan {
            adjustments: vec![],
            delivery_fee: 0,
            commission: 0,
            payouts,
            methods: vec!["card".into()],
            gateway: config("gateway").unwrap_or_else(|| "sandbox".into()),
            total,
            notes: vec!["contract 0.1.0".into()],
        })
    }
}

export!(Legacy);
