//! Traps: the host must contain them, keep serving, and say why. The tenant config key `mode`
//! picks the way: `panic` (the default), `print` (`println!`, a WASI stdout import), `file`
//! (`std::fs::read`, a WASI filesystem import). (The WASI clock and randomness are provided,
//! deterministically: see `clock-probe`.)

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};
use plugin_strategies::Config;

pub struct Boom;

impl PaymentStrategy for Boom {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let lines = std::hint::black_box(input.lines.len());
        match HostConfig.get("mode").unwrap_or_default().as_str() {
            "print" => println!("{lines} lines"),
            "file" => {
                let secrets = std::fs::read("/etc/passwd");
                std::hint::black_box(secrets.is_ok());
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
