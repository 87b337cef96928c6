//! Learning from the catalogue: this shop's own category head, a softmax regression
//! from a listing's mean photo embedding to the top-level category its seller chose
//! (the seller's choice is the label). Retrained as the catalogue grows
//! (`Trainer::due`), only on categories with at least `MIN_PER_CATEGORY` listings, and
//! judged on a held-out slice (every `HOLD_OUT_EVERY`-th listing) against the
//! nearest-neighbour vote it replaces: it is adopted only when it does at least as
//! well there, so a catalogue too small or too noisy to learn from keeps the vote.
//! Once adopted, `suggest` blends its probabilities with dl-api's instead of the vote.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A category needs this many listings with analysed photos to be learned.
pub const MIN_PER_CATEGORY: usize = 5;
/// Every this-many-th listing (in id order) is held out to judge the head.
pub const HOLD_OUT_EVERY: usize = 5;
/// At most this many (the newest) listings per category are learned from, so training
/// stays around a second however large the shop grows.
const MAX_PER_CATEGORY: usize = 300;
/// The embedding is unit length; this puts its entries on a scale the weights can use.
const SCALE: f32 = 9.0;
const L2: f32 = 1e-2;
const STEPS: usize = 200;
const RATE: f32 = 0.5;

/// One listing: its top-level category and mean photo embedding.
#[derive(Debug, Clone)]
pub struct Example {
    pub product_id: Uuid,
    pub slug: String,
    pub vector: Vec<f32>,
}

/// How the last training went (`GET /api/v1/admin/catalogue-head`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingReport {
    /// Listings with analysed photos the catalogue had when it trained (what "grown since"
    /// is measured against).
    pub listings: usize,
    /// Listings learned from, per category (categories under the minimum are left out).
    pub per_category: BTreeMap<String, usize>,
    pub min_per_category: usize,
    /// Listings in the held-out slice.
    pub held_out: usize,
    /// Which ones (to compare with other classifiers on the same slice).
    pub held_out_products: Vec<Uuid>,
    /// The head's accuracy on the held-out slice, trained without it.
    pub held_out_accuracy: f64,
    /// The 5-nearest-neighbour vote's accuracy on the same slice.
    pub neighbour_vote_accuracy: f64,
    /// Whether suggestions use the head (it did at least as well as the vote).
    pub adopted: bool,
    pub trained_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone)]
pub struct CatalogueHead {
    categories: Vec<String>,
    /// One row per category.
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
    pub report: TrainingReport,
}

impl CatalogueHead {
    /// Probability per learned category, summing to 1.
    pub fn probabilities(&self, vector: &[f32]) -> Vec<(String, f32)> {
        let p = softmax(&logits(&self.weights, &self.bias, vector));
        self.categories.iter().cloned().zip(p).collect()
    }

    pub fn examples(&self) -> usize {
        self.report.per_category.values().sum()
    }
}

/// Trains on the catalogue; `None` when fewer than two categories reach the minimum.
/// `voters`: how many neighbours the vote it is judged against asks (`suggest::K`).
pub fn train(examples: &[Example], voters: usize) -> Option<CatalogueHead> {
    let mut by_category: HashMap<&str, Vec<&Example>> = HashMap::new();
    for e in examples {
        by_category.entry(e.slug.as_str()).or_default().push(e);
    }
    let mut categories: Vec<String> =
        by_category.iter().filter(|(_, v)| v.len() >= MIN_PER_CATEGORY).map(|(c, _)| c.to_string()).collect();
    if categories.len() < 2 {
        return None;
    }
    categories.sort();
    let mut learned: Vec<(&Example, usize)> = Vec::new();
    for (c, slug) in categories.iter().enumerate() {
        let mut v = by_category[slug.as_str()].clone();
        v.sort_by_key(|e| e.product_id);
        let newest = v.len().saturating_sub(MAX_PER_CATEGORY);
        learned.extend(v[newest..].iter().map(|e| (*e, c)));
    }
    learned.sort_by_key(|(e, _)| e.product_id);
    let (held, kept): (Vec<_>, Vec<_>) = learned.iter().enumerate().partition(|(i, _)| i % HOLD_OUT_EVERY == 0);
    let held: Vec<(&Example, usize)> = held.into_iter().map(|(_, x)| *x).collect();
    let kept: Vec<(&Example, usize)> = kept.into_iter().map(|(_, x)| *x).collect();

    let (w, b) = fit(&kept, categories.len());
    let right = |predict: &dyn Fn(&Example) -> usize| held.iter().filter(|(e, c)| predict(e) == *c).count();
    let head_right = right(&|e| argmax(&logits(&w, &b, &e.vector)));
    let vote_right = right(&|e| neighbour_vote(&kept, &e.vector, categories.len(), voters));
    let n = held.len().max(1) as f64;
    let report = TrainingReport {
        listings: examples.len(),
        per_category: categories
            .iter()
            .enumerate()
            .map(|(c, slug)| (slug.clone(), learned.iter().filter(|(_, x)| *x == c).count()))
            .collect(),
        min_per_category: MIN_PER_CATEGORY,
        held_out: held.len(),
        held_out_products: held.iter().map(|(e, _)| e.product_id).collect(),
        held_out_accuracy: head_right as f64 / n,
        neighbour_vote_accuracy: vote_right as f64 / n,
        adopted: !held.is_empty() && head_right >= vote_right,
        trained_at: chrono::Utc::now(),
    };
    // Judged without the slice, then serving with every label.
    let (weights, bias) = fit(&learned, categories.len());
    Some(CatalogueHead { categories, weights, bias, report })
}

/// Class-balanced softmax regression by fixed-step gradient descent from zeros
/// (deterministic: the same catalogue gives the same head).
fn fit(examples: &[(&Example, usize)], classes: usize) -> (Vec<Vec<f32>>, Vec<f32>) {
    let dim = examples.first().map(|(e, _)| e.vector.len()).unwrap_or(0);
    let mut counts = vec![0usize; classes];
    examples.iter().for_each(|(_, c)| counts[*c] += 1);
    let total: f32 = examples.iter().map(|(_, c)| 1.0 / counts[*c] as f32).sum();
    let mut w = vec![vec![0f32; dim]; classes];
    let mut b = vec![0f32; classes];
    for _ in 0..STEPS {
        let mut gw = vec![vec![0f32; dim]; classes];
        let mut gb = vec![0f32; classes];
        for (e, c) in examples {
            let weight = 1.0 / counts[*c] as f32 / total;
            let p = softmax(&logits(&w, &b, &e.vector));
            for k in 0..classes {
                let g = (p[k] - if k == *c { 1.0 } else { 0.0 }) * weight;
                gb[k] += g;
                gw[k].iter_mut().zip(&e.vector).for_each(|(gw, x)| *gw += g * x * SCALE);
            }
        }
        for k in 0..classes {
            w[k].iter_mut().zip(&gw[k]).for_each(|(w, g)| *w -= RATE * (g + L2 * *w));
            b[k] -= RATE * gb[k];
        }
    }
    (w, b)
}

fn logits(w: &[Vec<f32>], b: &[f32], x: &[f32]) -> Vec<f32> {
    w.iter().zip(b).map(|(w, b)| w.iter().zip(x).map(|(w, x)| w * x * SCALE).sum::<f32>() + b).collect()
}

fn softmax(z: &[f32]) -> Vec<f32> {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|z| (z - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.into_iter().map(|e| e / sum).collect()
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).max_by(|a, b| v[*a].total_cmp(&v[*b])).unwrap_or(0)
}

/// What the vote of `suggest` would say from these examples alone (vectors are unit
/// length: the dot product is the cosine).
fn neighbour_vote(examples: &[(&Example, usize)], query: &[f32], classes: usize, voters: usize) -> usize {
    let dot = |v: &[f32]| v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>();
    let mut near: Vec<(usize, f32)> = examples.iter().map(|(e, c)| (*c, dot(&e.vector))).collect();
    near.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut votes = vec![0f32; classes];
    near.iter().take(voters).for_each(|(c, s)| votes[*c] += s.max(0.0));
    argmax(&votes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommendations::index::normalise;

    /// A listing near `centre` in a 16-d space: `noise` pulls it towards a neighbour
    /// category's centre, as a photo in bad light looks like something else.
    fn example(slug: &str, centre: usize, other: usize, noise: f32, seed: u64) -> Example {
        let mut v = vec![0f32; 16];
        v[centre] = 1.0;
        v[other] = noise;
        // A little deterministic jitter everywhere.
        (0..16).for_each(|i| v[i] += ((seed * 31 + i as u64 * 17) % 13) as f32 / 100.0);
        normalise(&mut v);
        Example { product_id: Uuid::from_u128(seed as u128), slug: slug.into(), vector: v }
    }

    #[test]
    fn categories_under_the_minimum_are_not_learned_and_two_are_needed() {
        let mut catalogue: Vec<Example> = (0..6).map(|i| example("sofa", 0, 1, 0.1, i)).collect();
        catalogue.extend((0..4).map(|i| example("bed", 1, 0, 0.1, 100 + i)));
        assert!(train(&catalogue, 5).is_none(), "one category with enough listings is nothing to choose between");
        catalogue.push(example("bed", 1, 0, 0.1, 200));
        catalogue.extend((0..3).map(|i| example("desk", 2, 0, 0.1, 300 + i)));
        let head = train(&catalogue, 5).expect("sofa and bed reach the minimum");
        assert_eq!(head.report.per_category, BTreeMap::from([("bed".into(), 5), ("sofa".into(), 6)]));
        let p = head.probabilities(&example("bed", 1, 0, 0.0, 999).vector);
        assert_eq!(p.len(), 2);
        assert!((p.iter().map(|x| x.1).sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(p.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0, "bed");
    }

    #[test]
    fn it_beats_the_neighbour_vote_on_its_held_out_slice_where_categories_overlap() {
        // Beds photographed like sofas: half of each sits close to the other's centre,
        // so the nearest listings often belong to the wrong category, while a linear
        // boundary on the remaining dimensions still separates them.
        let mut catalogue = Vec::new();
        for i in 0..40u64 {
            let noise = if i % 2 == 0 { 0.95 } else { 0.2 };
            catalogue.push(example("sofa", 0, 1, noise, 2 * i));
            let mut bed = example("bed", 1, 0, noise, 2 * i + 1);
            bed.vector[5] += 0.3; // what beds have and sofas don't
            normalise(&mut bed.vector);
            catalogue.push(bed);
        }
        let head = train(&catalogue, 5).unwrap();
        let r = &head.report;
        assert_eq!(r.held_out, 16);
        assert!(r.held_out_accuracy >= 0.9, "{r:?}");
        assert!(r.held_out_accuracy >= r.neighbour_vote_accuracy && r.adopted, "{r:?}");
    }
}
