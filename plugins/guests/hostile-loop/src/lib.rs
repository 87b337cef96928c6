//! Never returns: the host's fuel or deadline must stop it.

use plugin_guest::{Checkout, PaymentStrategy, Plan};

pub struct Spin;

impl PaymentStrategy for Spin {
    fn quote(_input: Checkout) -> Result<Plan, String> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

plugin_guest::export_payment!(Spin);
