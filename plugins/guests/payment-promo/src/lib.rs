//! `payment-promo`: free delivery, a flat commission and bundle discounts — a second policy
//! that shows tenants can differ. The policy is `plugin_strategies::payment_promo`.

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};

pub struct Promo;

impl PaymentStrategy for Promo {
    fn quote(input: Checkout) -> Result<Plan, String> {
        plugin_strategies::payment_promo::quote(&HostConfig, &input)
    }
}

plugin_guest::export_payment!(Promo);
