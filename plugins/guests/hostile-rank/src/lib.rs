//! A recommender whose first `reason` is 900 KiB (under the per-call copy cap): the host must
//! cut reasons to its text cap instead of passing them into an HTTP response. With the tenant
//! config `mode` = `unknown-id` it ranks an id it was never offered instead: the host must
//! refuse the ranking (`invalid_ranking`).

use plugin_guest::{Candidate, Context, Ranked, RecommendConfig, RecommendationStrategy};
use plugin_strategies::Config;

pub struct Verbose;

impl RecommendationStrategy for Verbose {
    fn rank(ctx: Context, candidates: Vec<Candidate>) -> Result<Vec<Ranked>, String> {
        if RecommendConfig.get("mode").as_deref() == Some("unknown-id") {
            return Ok(vec![Ranked { id: "never-offered".into(), score: 1.0, reason: String::new() }]);
        }
        Ok(candidates
            .into_iter()
            .take(ctx.limit as usize)
            .enumerate()
            .map(|(i, c)| Ranked {
                id: c.id,
                score: 1.0,
                reason: if i == 0 { "이유".repeat(150 << 10) } else { "비슷한 스타일".into() },
            })
            .collect())
    }
}

plugin_guest::export_recommendation!(Verbose);
