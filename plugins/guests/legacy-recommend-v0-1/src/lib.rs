//! A recommendation plugin built against contract 0.1.0, before the context had a clock:
//! cheapest first. The host must keep loading it and feed it the 0.1.0 context.

wit_bindgen::generate!({ path: "../../wit-0.1.0", world: "recommendation-strategy" });

use exports::gajyeogagu::plugins::recommend::{Candidate, Context, Guest, Ranked};

struct Legacy;

impl Guest for Legacy {
    fn rank(ctx: Context, mut candidates: Vec<Candidate>) -> Result<Vec<Ranked>, String> {
        candidates.sort_by_key(|c| c.price);
        Ok(candidates
            .into_iter()
            .take(ctx.limit as usize)
            .map(|c| Ranked { id: c.id, score: -(c.price as f64), reason: "lowest price".into() })
            .collect())
    }
}

export!(Legacy);
