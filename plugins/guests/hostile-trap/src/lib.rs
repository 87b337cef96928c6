//! Traps: the host must contain them, keep serving, and say why. The tenant config key `mode`
//! picks the way: `panic` (the default), `print` (`println!`, a WASI stdout import), `clock`
//! (`SystemTime::now`, a WASI clock import).

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};
use plugin_strategies::Config;

pub struct Boom;

impl PaymentStrategy for Boom {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let lines = std::hint::black_box(input.lines.len());
        match HostConfig.get("mode").unwrap_or_default().as_str() {
            "print" => println!("{lines} lines"),
            "clock" => {
                let now = std::time::SystemTime::now();
                std::hint::black_box(now);
            }
            _ => {}
        }
        if lines < usize::MAX {
            panic!("boom: {lines} lines were too many for me");
        }
        Err("unreachable".into())
    }
}

plugin_guest::export_payment!(Boom);
