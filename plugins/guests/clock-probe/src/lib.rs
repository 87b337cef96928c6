//! Writes the `moment` it was given into its answer — every field, so a test can tell a
//! swapped or dropped field: the standard plan with the moment as a note (payment), each
//! candidate with the moment as its reason (recommendation).

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
