//! `payment-standard`: distance- and size-based delivery, commission by category, coupons,
//! payment methods by total. The policy is `plugin_strategies::payment_standard`.

use plugin_guest::{Checkout, HostConfig, PaymentStrategy, Plan};

pub struct Standard;

impl PaymentStrategy for Standard {
    fn quote(input: Checkout) -> Result<Plan, String> {
        plugin_strategies::payment_standard::quote(&HostConfig, &input)
    }
}

plugin_guest::export_payment!(Standard);
