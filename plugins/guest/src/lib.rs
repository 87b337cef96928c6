//! Write a Gajyeogagu strategy plugin in Rust.
//!
//! Implement `PaymentStrategy` or `RecommendationStrategy` on a unit struct, then export it:
//!
//! ```ignore
//! struct MyPayment;
//! impl plugin_guest::PaymentStrategy for MyPayment {
//!     fn quote(input: plugin_guest::Checkout) -> Result<plugin_guest::Plan, String> { … }
//! }
//! plugin_guest::export_payment!(MyPayment);
//! ```
//!
//! and build with `cargo rustc --target wasm32-wasip2 --profile plugin --crate-type cdylib -p <crate>`
//! (`make plugins`). The SDK converts
//! between the WIT records and the plain types of `plugin-strategies`, so strategy code is
//! ordinary Rust that unit-tests on the host.

pub use plugin_strategies::{Adjustment, Candidates, Checkout, Context, Line, Moment, Payout, Pick, Plan, Weekday};

pub mod payment {
    wit_bindgen::generate!({
        path: "../wit",
        world: "payment-strategy",
        default_bindings_module: "plugin_guest::payment",
        pub_export_macro: true,
        export_macro_name: "export_payment",
    });
}

pub mod recommend {
    wit_bindgen::generate!({
        path: "../wit",
        world: "recommendation-strategy",
        default_bindings_module: "plugin_guest::recommend",
        pub_export_macro: true,
        export_macro_name: "export_recommendation",
    });
}

pub use payment::export_payment;
pub use recommend::export_recommendation;

use payment::exports::gajyeogagu::plugins::payment as wp;
use payment::gajyeogagu::plugins::host as payment_host;
use recommend::exports::gajyeogagu::plugins::recommend as wr;

/// Tenant configuration, read through the host.
pub struct HostConfig;

impl plugin_strategies::Config for HostConfig {
    fn get(&self, key: &str) -> Option<String> {
        payment_host::config(key)
    }
}

/// Longest log line the host keeps (`Limits::log_line_bytes`).
pub const LOG_LINE_BYTES: usize = 1024;

/// Logs through the host. The line is cut to what the host keeps before it is passed, so a
/// long line costs no copy (a line over the host's per-call copy cap would fail the call).
pub fn log(message: &str) {
    payment_host::log(payment_host::Level::Info, cut(message));
}

/// Reports a panic's message and place through the host's log (level `error`, starting with
/// `panicked at`) instead of stderr: there is no WASI in the sandbox, so std's default hook
/// would trap on its stderr import and the message would be lost. The host shows the line as
/// the trap's cause. Installed once, on the first call into the plugin.
fn report_panics(log: fn(&str)) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // `info` reads "panicked at file:line:col:\nmessage": one line in the log.
    ONCE.call_once(|| std::panic::set_hook(Box::new(move |info| log(&info.to_string().replace('\n', " ")))));
}

fn log_error_payment(message: &str) {
    payment_host::log(payment_host::Level::Error, cut(message));
}

fn log_error_recommend(message: &str) {
    use recommend::gajyeogagu::plugins::host;
    host::log(host::Level::Error, cut(message));
}

/// `message` cut to what the host keeps, on a character boundary.
fn cut(message: &str) -> &str {
    let mut end = message.len().min(LOG_LINE_BYTES);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

/// A `moment` record of a world's host interface (`$h`) as the plain `Moment`.
macro_rules! plain_moment {
    ($($h:ident)::+, $m:expr) => {{
        use $($h)::+ as h;
        let m = $m;
        Moment {
            unix_millis: m.unix_millis,
            time_zone: m.time_zone,
            utc_offset_minutes: m.utc_offset_minutes,
            year: m.year,
            month: m.month,
            day: m.day,
            hour: m.hour,
            minute: m.minute,
            second: m.second,
            weekday: match m.weekday {
                h::Weekday::Monday => Weekday::Monday,
                h::Weekday::Tuesday => Weekday::Tuesday,
                h::Weekday::Wednesday => Weekday::Wednesday,
                h::Weekday::Thursday => Weekday::Thursday,
                h::Weekday::Friday => Weekday::Friday,
                h::Weekday::Saturday => Weekday::Saturday,
                h::Weekday::Sunday => Weekday::Sunday,
            },
        }
    }};
}

/// A payment strategy: turn a checkout into a payment plan.
pub trait PaymentStrategy: 'static {
    fn quote(input: Checkout) -> Result<Plan, String>;
}

/// A recommendation strategy: rank candidates for a context. The candidates come as columns
/// (`Candidates`: one `Vec` per feature, names stored once); the answer names candidates by
/// position.
pub trait RecommendationStrategy: 'static {
    fn rank(ctx: Context, candidates: Candidates) -> Result<Vec<Pick>, String>;
}

impl<T: PaymentStrategy> wp::Guest for T {
    fn quote(input: wp::Checkout) -> Result<wp::Plan, String> {
        report_panics(log_error_payment);
        let c = Checkout {
            order_id: input.order_id,
            buyer_id: input.buyer_id,
            delivery_area: input.delivery_area,
            pickup_area: input.pickup_area,
            distance_km: input.distance_km,
            coupon: input.coupon,
            placed_at: plain_moment!(payment_host, input.placed_at),
            lines: input
                .lines
                .into_iter()
                .map(|l| Line {
                    product_id: l.product_id,
                    title: l.title,
                    category: l.category,
                    seller_id: l.seller_id,
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    width_cm: l.width_cm,
                    depth_cm: l.depth_cm,
                    height_cm: l.height_cm,
                    weight_kg: l.weight_kg,
                })
                .collect(),
        };
        let p = T::quote(c)?;
        Ok(wp::Plan {
            adjustments: p
                .adjustments
                .into_iter()
                .map(|a| wp::Adjustment { product_id: a.product_id, amount: a.amount, reason: a.reason })
                .collect(),
            delivery_fee: p.delivery_fee,
            commission: p.commission,
            payouts: p.payouts.into_iter().map(|x| wp::Payout { seller_id: x.seller_id, amount: x.amount }).collect(),
            methods: p.methods,
            gateway: p.gateway,
            total: p.total,
            notes: p.notes,
        })
    }
}

/// Tenant configuration for recommendation plugins.
pub struct RecommendConfig;

impl plugin_strategies::Config for RecommendConfig {
    fn get(&self, key: &str) -> Option<String> {
        recommend::gajyeogagu::plugins::host::config(key)
    }
}

impl<T: RecommendationStrategy> wr::Guest for T {
    fn rank(ctx: wr::Context, candidates: wr::Candidates) -> Result<Vec<wr::Ranked>, String> {
        report_panics(log_error_recommend);
        let ctx = Context {
            user_id: ctx.user_id,
            recent_categories: ctx.recent_categories,
            cart_categories: ctx.cart_categories,
            purchased_categories: ctx.purchased_categories,
            style_preferences: ctx.style_preferences,
            price_low: ctx.price_low,
            price_high: ctx.price_high,
            limit: ctx.limit,
            now: plain_moment!(recommend::gajyeogagu::plugins::host, ctx.now),
        };
        // The columns move over as they are: no copy, no allocation per candidate.
        let candidates = Candidates {
            category_names: candidates.category_names,
            category: candidates.category,
            price: candidates.price,
            age_days: candidates.age_days,
            popularity: candidates.popularity,
            similarity: candidates.similarity,
            distance_km: candidates.distance_km,
            tag_names: candidates.tag_names,
            tag_start: candidates.tag_start,
            tags: candidates.tags,
        };
        Ok(T::rank(ctx, candidates)?
            .into_iter()
            .map(|r| wr::Ranked { index: r.index, score: r.score, reason: r.reason })
            .collect())
    }
}
