//! A recommendation plugin built against contract 0.2.0, when candidates came as records:
//! cheapest first, each with the weekday it was asked on as its reason. The host must keep
//! loading it and feed it the 0.2.0 records (moment included).

wit_bindgen::generate!({ path: "../../wit-0.2.0", world: "recommendation-strategy" });

use exports::gajyeogagu::plugins::recommend::{Candidate, Context, Guest, Ranked};

struct Legacy;

impl Guest for Legacy {
    fn rank(ctx: Context, mut candidates: Vec<Candidate>) -> Result<Vec<Ranked>, String> {
        candidates.sort_by_key(|c| c.price);
        let reason = format!("lowest price, {:?}", ctx.now.weekday);
        Ok(candidates
            .into_iter()
            .take(ctx.limit as usize)
            .map(|c| Ranked { id: c.id, score: -(c.price as f64), reason: reason.clone() })
            .collect())
    }
}

export!(Legacy);
