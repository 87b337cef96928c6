//! `recommend-style`: rank candidates by a blend of style, category affinity, freshness, price
//! fit, popularity and distance, then diversify: at most `diversity.max_per_category` (3)
//! items of one category in the top `limit`.
//!
//! Weights come from config (`weight.style`, `weight.category`, `weight.fresh`, `weight.price`,
//! `weight.popular`, `weight.distance`). Deterministic: equal scores keep the candidates' order.

use crate::columns::{Candidates, Pick};
use crate::config::Config;
use crate::types::{Candidate, Context, Ranked};

pub struct Weights {
    pub style: f64,
    pub category: f64,
    pub fresh: f64,
    pub price: f64,
    pub popular: f64,
    pub distance: f64,
}

impl Weights {
    pub fn from(cfg: &dyn Config) -> Self {
        Self {
            style: cfg.float("weight.style", 0.35),
            category: cfg.float("weight.category", 0.25),
            fresh: cfg.float("weight.fresh", 0.15),
            price: cfg.float("weight.price", 0.15),
            popular: cfg.float("weight.popular", 0.10),
            distance: cfg.float("weight.distance", 0.05),
        }
    }
}

/// How well candidate `i`'s style fits: the share of its tags the user prefers, or its visual
/// similarity to the query image when that is higher. `preferred[t]`: tag `t` is preferred.
fn style_match(c: &Candidates, i: usize, preferred: &[bool], prefs: usize) -> f64 {
    let tags = c.tags_of(i);
    let by_tags = if prefs == 0 || tags.is_empty() {
        0.0
    } else {
        let hits = tags.iter().filter(|&&t| preferred[t as usize]).count() as f64;
        hits / (tags.len() + prefs) as f64 * 2.0
    };
    let similarity = c.similarity[i];
    if similarity.is_nan() {
        by_tags
    } else {
        similarity.clamp(0.0, 1.0).max(by_tags)
    }
}

/// Cart beats recent views beats purchases (you rarely buy two sofas); earlier positions in
/// `recent` count more.
fn category_affinity(category: &str, ctx: &Context) -> f64 {
    let mut a: f64 = 0.0;
    if ctx.cart_categories.iter().any(|c| c == category) {
        a = a.max(1.0);
    }
    if let Some(pos) = ctx.recent_categories.iter().position(|c| c == category) {
        a = a.max(0.8 / (1.0 + pos as f64 * 0.25));
    }
    if ctx.purchased_categories.iter().any(|c| c == category) {
        a = a.max(0.3);
    }
    a
}

fn price_fit(price: i64, ctx: &Context) -> f64 {
    match (ctx.price_low, ctx.price_high) {
        (Some(lo), Some(hi)) if lo <= hi => {
            if (lo..=hi).contains(&price) {
                1.0
            } else {
                let edge = if price < lo { lo } else { hi } as f64;
                (1.0 - (price as f64 - edge).abs() / edge.max(1.0)).max(0.0)
            }
        }
        _ => 0.5,
    }
}

fn nearness(distance_km: f64) -> f64 {
    if distance_km.is_nan() {
        0.0
    } else {
        1.0 / (1.0 + distance_km.max(0.0) / 5.0)
    }
}

/// What the context says about the candidates' names, worked out once per call instead of
/// once per candidate.
struct Prepared {
    /// By category index.
    affinity: Vec<f64>,
    /// By tag index.
    preferred: Vec<bool>,
    prefs: usize,
}

impl Prepared {
    fn new(c: &Candidates, ctx: &Context) -> Self {
        Self {
            affinity: c.category_names.iter().map(|n| category_affinity(n, ctx)).collect(),
            preferred: c.tag_names.iter().map(|t| ctx.style_preferences.contains(t)).collect(),
            prefs: ctx.style_preferences.len(),
        }
    }

    fn parts(&self, c: &Candidates, i: usize, ctx: &Context, w: &Weights) -> [(f64, &'static str); 6] {
        [
            (w.style * style_match(c, i, &self.preferred, self.prefs), "비슷한 스타일"),
            (w.category * self.affinity[c.category[i] as usize], "관심 카테고리"),
            (w.fresh * (-(c.age_days[i] as f64) / 30.0).exp(), "새로 올라온 매물"),
            (w.price * price_fit(c.price[i], ctx), "예산에 맞는 가격"),
            (w.popular * c.popularity[i].clamp(0.0, 1.0), "인기 매물"),
            (w.distance * nearness(c.distance_km[i]), "가까운 거리"),
        ]
    }
}

/// The candidates to show, best first, at most `ctx.limit`. Equal scores keep the candidates'
/// order.
pub fn rank(cfg: &dyn Config, ctx: &Context, candidates: &Candidates) -> Result<Vec<Pick>, String> {
    candidates.check()?;
    let w = Weights::from(cfg);
    let limit = (ctx.limit as usize).min(candidates.len());
    let max_per_category = cfg.int("diversity.max_per_category", 3).max(1) as usize;
    let prepared = Prepared::new(candidates, ctx);
    let mut scored: Vec<(f64, &'static str, u32)> = (0..candidates.len())
        .map(|i| {
            let p = prepared.parts(candidates, i, ctx, &w);
            let score: f64 = p.iter().map(|(s, _)| s).sum();
            let reason = p.iter().max_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, r)| *r).unwrap_or("추천");
            (if score.is_finite() { score } else { 0.0 }, reason, i as u32)
        })
        .collect();
    scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));

    // Diversity: take the best of each category up to the cap; overflow waits until the top
    // `limit` is settled.
    let mut top = Vec::with_capacity(limit);
    let mut overflow = Vec::new();
    let mut per_category = vec![0usize; candidates.category_names.len()];
    for item in scored {
        let n = &mut per_category[candidates.category[item.2 as usize] as usize];
        if top.len() < limit && *n < max_per_category {
            *n += 1;
            top.push(item);
        } else if overflow.len() < limit {
            overflow.push(item);
        }
    }
    top.extend(overflow.into_iter().take(limit.saturating_sub(top.len())));
    Ok(top
        .into_iter()
        .map(|(score, reason, index)| Pick {
            index,
            score: (score * 10_000.0).round() / 10_000.0,
            reason: reason.into(),
        })
        .collect())
}

/// `rank` for candidates as records (the host's built-in fallback; plugins get columns).
pub fn rank_records(cfg: &dyn Config, ctx: &Context, candidates: &[Candidate]) -> Result<Vec<Ranked>, String> {
    let columns = Candidates::from_records(candidates)?;
    Ok(rank(cfg, ctx, &columns)?
        .into_iter()
        .map(|p| Ranked { id: candidates[p.index as usize].id.clone(), score: p.score, reason: p.reason })
        .collect())
}

/// `n` deterministic synthetic candidates (benchmarks and tests).
pub fn synthetic_candidates(n: usize) -> Vec<Candidate> {
    const CATS: [&str; 8] = ["sofa", "chair", "dining-table", "bed-frame", "wardrobe", "desk", "lighting", "decor"];
    const TAGS: [&str; 6] = ["modern", "vintage", "scandinavian", "industrial", "wood", "leather"];
    (0..n)
        .map(|i| Candidate {
            id: format!("p{i:05}"),
            category: CATS[i % CATS.len()].into(),
            price: 10_000 + ((i as i64 * 7919) % 990_000),
            age_days: (i % 90) as u32,
            popularity: ((i * 37) % 100) as f64 / 100.0,
            similarity: (i % 3 == 0).then(|| ((i * 13) % 100) as f64 / 100.0),
            distance_km: Some(((i * 17) % 40) as f64),
            style_tags: vec![TAGS[i % TAGS.len()].into(), TAGS[(i / 7) % TAGS.len()].into()],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ctx(limit: u32) -> Context {
        Context {
            user_id: Some("u1".into()),
            recent_categories: vec!["sofa".into(), "lighting".into()],
            cart_categories: vec![],
            purchased_categories: vec!["bed-frame".into()],
            style_preferences: vec!["modern".into(), "leather".into()],
            price_low: Some(50_000),
            price_high: Some(300_000),
            limit,
            now: Default::default(),
        }
    }

    #[test]
    fn diversity_caps_each_category_in_the_top() {
        let cands = synthetic_candidates(1000);
        let r = rank_records(&BTreeMap::new(), &ctx(20), &cands).unwrap();
        assert_eq!(r.len(), 20);
        let mut counts = std::collections::HashMap::new();
        for x in &r {
            let c = &cands.iter().find(|c| c.id == x.id).unwrap().category;
            *counts.entry(c.clone()).or_insert(0) += 1;
        }
        assert!(counts.values().all(|n| *n <= 3), "{counts:?}");
        let mut ids: Vec<_> = r.iter().map(|x| x.id.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 20);
    }

    #[test]
    fn preferences_move_matching_items_up_and_explain_why() {
        let mut cands = synthetic_candidates(50);
        for c in &mut cands {
            c.similarity = None;
            c.popularity = 0.0;
            c.age_days = 60;
            c.style_tags = vec!["rustic".into()];
        }
        cands[41].style_tags = vec!["modern".into(), "leather".into()];
        let r = rank_records(&BTreeMap::new(), &ctx(5), &cands).unwrap();
        assert_eq!(r[0].id, cands[41].id);
        assert_eq!(r[0].reason, "비슷한 스타일");
    }

    #[test]
    fn columns_that_disagree_are_refused_not_read_past() {
        let mut cols = Candidates::from_records(&synthetic_candidates(10)).unwrap();
        cols.category[3] = 99;
        assert!(rank(&BTreeMap::new(), &ctx(5), &cols).is_err());
        let mut cols = Candidates::from_records(&synthetic_candidates(10)).unwrap();
        cols.popularity.pop();
        assert!(rank(&BTreeMap::new(), &ctx(5), &cols).is_err());
    }

    #[test]
    fn equal_scores_keep_the_candidates_order() {
        let mut cands = synthetic_candidates(6);
        for c in &mut cands {
            (c.category, c.price, c.age_days, c.popularity) = ("sofa".into(), 1, 0, 0.0);
            (c.similarity, c.distance_km, c.style_tags) = (None, None, vec![]);
        }
        cands.reverse();
        let cfg: BTreeMap<String, String> = [("diversity.max_per_category".to_string(), "9".to_string())].into();
        let r = rank_records(&cfg, &ctx(6), &cands).unwrap();
        let ids: Vec<_> = r.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["p00005", "p00004", "p00003", "p00002", "p00001", "p00000"]);
    }

    #[test]
    fn deterministic_and_bounded() {
        let cands = synthetic_candidates(300);
        let a = rank_records(&BTreeMap::new(), &ctx(50), &cands).unwrap();
        let b = rank_records(&BTreeMap::new(), &ctx(50), &cands).unwrap();
        assert_eq!(a, b);
        assert!(rank_records(&BTreeMap::new(), &ctx(10), &[]).unwrap().is_empty());
        let few = rank_records(&BTreeMap::new(), &ctx(500), &cands[..3]).unwrap();
        assert_eq!(few.len(), 3);
    }
}
