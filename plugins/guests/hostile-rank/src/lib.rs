//! A recommender whose first `reason` is 900 KiB (under the per-call copy cap): the host must
//! cut reasons to its text cap instead of passing them into an HTTP response. With the tenant
//! config `mode` = `unknown-id` it ranks a position past the candidates instead, and with
//! `duplicate` one candidate twice: the host must refuse the ranking (`invalid_ranking`).

use plugin_guest::{Candidates, Context, Pick, RecommendConfig, RecommendationStrategy};
use plugin_strategies::Config;

pub struct Verbose;

impl RecommendationStrategy for Verbose {
    fn rank(ctx: Context, candidates: Candidates) -> Result<Vec<Pick>, String> {
        let pick = |index: u32, reason: String| Pick { index, score: 1.0, reason };
        match RecommendConfig.get("mode").as_deref() {
            Some("unknown-id") => return Ok(vec![pick(candidates.len() as u32, String::new())]),
            Some("duplicate") => return Ok(vec![pick(0, String::new()), pick(0, String::new())]),
            _ => {}
        }
        Ok((0..candidates.len().min(ctx.limit as usize) as u32)
            .map(|i| pick(i, if i == 0 { "이유".repeat(150 << 10) } else { "비슷한 스타일".into() }))
            .collect())
    }
}

plugin_guest::export_recommendation!(Verbose);
