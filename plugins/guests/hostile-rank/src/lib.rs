//! A recommender whose first `reason` is 900 KiB (under the per-call copy cap): the host must
//! cut reasons to its text cap instead of passing them into an HTTP response.

use plugin_guest::{Candidate, Context, Ranked, RecommendationStrategy};

pub struct Verbose;

impl RecommendationStrategy for Verbose {
    fn rank(ctx: Context, candidates: Vec<Candidate>) -> Result<Vec<Ranked>, String> {
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
