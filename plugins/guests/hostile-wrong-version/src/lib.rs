//! Implements the payment world of a future major version of the contract.

wit_bindgen::generate!({ path: "wit", world: "payment-strategy" });

use exports::gajyeogagu::plugins::payment::{Checkout, Guest, Plan};

struct Future;

impl Guest for Future {
    fn quote(_input: Checkout) -> Result<Plan, String> {
        Err("from the future".into())
    }
}

export!(Future);
