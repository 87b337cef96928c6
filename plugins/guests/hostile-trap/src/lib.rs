//! Panics (a Wasm trap): the host must contain it and keep serving.

use plugin_guest::{Checkout, PaymentStrategy, Plan};

pub struct Boom;

impl PaymentStrategy for Boom {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let lines = std::hint::black_box(input.lines.len());
        if lines < usize::MAX {
            panic!("boom: {lines} lines were too many for me");
        }
        Err("unreachable".into())
    }
}

plugin_guest::export_payment!(Boom);
