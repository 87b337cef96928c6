//! `recommend-style`: style similarity, category affinity, freshness, price fit and
//! popularity, diversified by category. The policy is `plugin_strategies::recommend_style`.

use plugin_guest::{Candidates, Context, Pick, RecommendConfig, RecommendationStrategy};

pub struct Style;

impl RecommendationStrategy for Style {
    fn rank(ctx: Context, candidates: Candidates) -> Result<Vec<Pick>, String> {
        plugin_strategies::recommend_style::rank(&RecommendConfig, &ctx, &candidates)
    }
}

plugin_guest::export_recommendation!(Style);
