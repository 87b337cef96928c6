//! Writes the `moment` it was given into its answer — every field, so a test can tell a
//! swapped or dropped field: the standard plan with the moment as a note (payment), each
//! candidate with the moment as its reason (recommendation). The payment plan's last note is
//! what std reads through the sandbox's WASI: the wall clock and a HashMap's iteration order.

use plugin_guest::{
    Candidate, Checkout, Context, HostConfig, Moment, PaymentStrategy, Plan, Ranked, RecommendationStrategy,
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
    fn rank(ctx: Context, candidates: Vec<Candidate>) -> Result<Vec<Ranked>, String> {
        let reason = describe(&ctx.now);
        Ok(candidates
            .into_iter()
            .take(ctx.limit as usize)
            .map(|c| Ranked { id: c.id, score: 1.0, reason: reason.clone() })
            .collect())
    }
}

plugin_guest::export_payment!(Probe);
plugin_guest::export_recommendation!(Probe);
