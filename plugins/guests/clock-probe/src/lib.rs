//! Writes the `moment` it was given into its answer — every field, so a test can tell a
//! swapped or dropped field: the standard plan with the moment as a note (payment), each
//! candidate with the moment as its reason (recommendation). The payment plan's last note is
//! what std reads through the sandbox's WASI: the wall clock and a HashMap's iteration order.

use plugin_guest::{
    Candidates, Checkout, Context, HostConfig, Moment, PaymentStrategy, Pick, Plan, RecommendationStrategy,
};

fn describe(m: &Moment) -> String {
    format!(
        "{} {:04}-{:02}-{:02} {:02}:{:02}:{:02} {:?} {} {:+}",
        m.unix_millis, m.year, m.month, m.day, m.hour, m.minute, m.second, m.weekday, m.time_zone, m.utc_offset_minutes
    )
}

pub struct Probe;

impl PaymentStrategy for Probe {
    fn quote(input: Checkout) -> Result<Plan, String> {
        let mut plan = plugin_strategies::payment_standard::quote(&HostConfig, &input)?;
        plan.notes.push(describe(&input.placed_at));
        // What std sees through WASI: the wall clock, and a HashMap's (seeded) order.
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let order: Vec<String> =
            (0..8).map(|i| (i, i)).collect::<std::collections::HashMap<_, _>>().keys().map(|k| k.to_string()).collect();
        plan.notes.push(format!("wasi {millis} {}", order.join(",")));
        Ok(plan)
    }
}

impl RecommendationStrategy for Probe {
    fn rank(ctx: Context, candidates: Candidates) -> Result<Vec<Pick>, String> {
        let reason = describe(&ctx.now);
        Ok((0..candidates.len().min(ctx.limit as usize) as u32)
            .map(|index| Pick { index, score: 1.0, reason: reason.clone() })
            .collect())
    }
}

plugin_guest::export_payment!(Probe);
plugin_guest::export_recommendation!(Probe);
