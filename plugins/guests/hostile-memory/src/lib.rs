//! Allocates until something stops it: the host's memory cap must.

use plugin_guest::{Checkout, PaymentStrategy, Plan};

pub struct Hog;

impl PaymentStrategy for Hog {
    fn quote(_input: Checkout) -> Result<Plan, String> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![7u8; 1 << 20]));
        }
    }
}

plugin_guest::export_payment!(Hog);
