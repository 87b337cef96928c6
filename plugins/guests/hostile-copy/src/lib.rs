//! Tries to make the host copy far more than its caps out of plugin memory. The tenant config
//! key `mode` picks the attack:
//!
//! - `log-bomb`: 100 log lines of 16 MiB each (over the per-call copy cap);
//! - `log-flood`: 100 log lines of 900 KiB each (under the copy cap, over the line cap);
//! - `error-bomb`: an `Err` of 14 MiB;
//! - `error-long`: an `Err` of 900 KiB;
//! - `notes-long`: a plan that adds up, with a 900 KiB note.
//!
//! It logs through the raw host binding, not the SDK's `log` (which cuts lines itself).

use plugin_guest::payment::gajyeogagu::plugins::host::{self, Level};
use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};
use plugin_strategies::Config;

pub struct Copier;

fn big(bytes: usize) -> String {
    "x".repeat(bytes)
}

impl PaymentStrategy for Copier {
    fn quote(input: Checkout) -> Result<Plan, String> {
        match HostConfig.get("mode").unwrap_or_default().as_str() {
            "log-bomb" => {
                let line = big(16 << 20);
                for _ in 0..100 {
                    host::log(Level::Info, &line);
                }
            }
            "log-flood" => {
                let line = big(900 << 10);
                for _ in 0..100 {
                    host::log(Level::Info, &line);
                }
            }
            "error-bomb" => return Err(big(14 << 20)),
            "error-long" => return Err(big(900 << 10)),
            _ => {}
        }
        let mut plan = plugin_strategies::payment_standard::quote(&HostConfig, &input)?;
        plan.notes.push(big(900 << 10));
        Ok(plan)
    }
}

plugin_guest::export_payment!(Copier);
