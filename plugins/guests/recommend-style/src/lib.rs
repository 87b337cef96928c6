//! `recommend-style`: style similarity, category affinity, freshness, price fit and
//! popularity, diversified by category. The policy is `plugin_strategies::recommend_style`.

use plugin_guest::{Candidate, Context, Ranked, RecommendConfig, RecommendationStrategy};

pub struct Style;

impl RecommendationStrategy for Style {
    fn rank(ctx: Context, candidates: Vec<Candidate>) -> Result<Vec<Ranked>, String> {
        plugin_strategies::recommend_style::rank(&RecommendConfig, &ctx, &candidates)
    }
}

plugin_guest::export_recommendation!(Style);
