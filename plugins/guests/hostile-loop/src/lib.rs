//! Never returns: the host's fuel or deadline must stop it. With the tenant config `spin` = N
//! it spins N iterations, then answers the standard plan: a plugin that needs a known share of
//! its CPU budget (the deadline must count CPU, not a busy host's wall clock).

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};
use plugin_strategies::Config;

pub struct Spin;

impl PaymentStrategy for Spin {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let limit = HostConfig.get("spin").and_then(|n| n.parse::<u64>().ok()).unwrap_or(u64::MAX);
        let mut n: u64 = 0;
        while std::hint::black_box(n) < limit {
            n = std::hint::black_box(n.wrapping_add(1));
        }
        plugin_strategies::payment_standard::quote(&HostConfig, &input)
    }
}

plugin_guest::export_payment!(Spin);
