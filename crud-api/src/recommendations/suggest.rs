//! The category crud-api suggests for a photo: dl-api's calibrated category
//! probabilities (its category head; the ImageNet-derived scores from a model version
//! without one), plus a similarity-weighted vote of the nearest catalogue items (their
//! sellers' categories). The same rule `make eval` measures (docs/ml.md): the catalogue
//! vote fixes what the model has too few examples of. Below `MIN_CONFIDENCE` nothing
//! is suggested: a seller is better served by choosing than by a likely wrong guess.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use crate::catalogue::store::categories::CategoryRow;
use crate::ml::client::Analysis;
use crate::recommendations::catalogue_head::CatalogueHead;
use crate::recommendations::index::Entry;

/// Neighbours that vote.
pub const K: usize = 5;
/// Below this much furniture probability and without neighbours, no suggestion.
const MIN_FURNITURE: f32 = 0.05;
/// Below this confidence, no suggestion: more likely wrong than right.
pub const MIN_CONFIDENCE: f32 = 0.5;

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CategorySuggestion {
    /// A top-level category slug.
    pub slug: String,
    /// 0–1.
    pub confidence: f32,
    /// What decided: `head` (dl-api's calibrated category head) or `imagenet` (a model
    /// version without a head), `+catalogue` when this shop's catalogue had a say (its
    /// own category head once adopted, else the nearest listings' vote).
    #[schema(example = "head+catalogue")]
    pub source: String,
}

/// Each category id → the slug of its top-level ancestor.
pub fn top_level_slugs(categories: &[CategoryRow]) -> HashMap<Uuid, String> {
    let by_id: HashMap<Uuid, &CategoryRow> = categories.iter().map(|c| (c.id, c)).collect();
    categories
        .iter()
        .map(|c| {
            let mut root = c;
            // The tree is acyclic (checked on every edit); the bound is belt and braces.
            for _ in 0..16 {
                match root.parent_id.and_then(|p| by_id.get(&p)) {
                    Some(parent) => root = parent,
                    None => break,
                }
            }
            (c.id, root.slug.clone())
        })
        .collect()
}

/// `catalogue`: this shop's category head; when it was adopted (it beat the
/// neighbour vote on its held-out slice) its probabilities replace the vote.
pub fn suggest(
    analysis: &Analysis,
    neighbours: &[(Entry, f32)],
    slugs: &HashMap<Uuid, String>,
    catalogue: Option<&CatalogueHead>,
) -> Option<CategorySuggestion> {
    let mut scores: HashMap<String, f32> = HashMap::new();
    let furniture = analysis.furniture_probability.max(1e-6);
    if analysis.furniture_probability >= MIN_FURNITURE {
        match &analysis.probabilities {
            Some(calibrated) => {
                calibrated.iter().for_each(|c| *scores.entry(c.category.clone()).or_default() += c.score)
            }
            None => analysis
                .categories
                .iter()
                .for_each(|c| *scores.entry(c.category.clone()).or_default() += c.score / furniture),
        }
    }
    let total_sim: f32 = neighbours.iter().map(|(_, s)| s.max(0.0)).sum();
    let learned = catalogue.filter(|h| h.report.adopted && !analysis.embedding.is_empty());
    let voted = total_sim > 0.0 || learned.is_some();
    if let Some(head) = learned {
        for (slug, p) in head.probabilities(&analysis.embedding) {
            *scores.entry(slug).or_default() += p;
        }
    } else if voted {
        for (e, s) in neighbours {
            if let Some(slug) = slugs.get(&e.category_id) {
                *scores.entry(slug.clone()).or_default() += s.max(0.0) / total_sim;
            }
        }
    }
    let sum: f32 = scores.values().sum();
    let (slug, best) = scores.into_iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let confidence = if sum > 0.0 { best / sum } else { 0.0 };
    if confidence < MIN_CONFIDENCE {
        return None;
    }
    let model = if analysis.probabilities.is_some() { "head" } else { "imagenet" };
    Some(CategorySuggestion {
        slug,
        confidence,
        source: if voted { format!("{model}+catalogue") } else { model.to_string() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::client::CategoryScore;

    fn analysis(scores: &[(&str, f32)]) -> Analysis {
        Analysis {
            model: "m".into(),
            categories: scores.iter().map(|(c, s)| CategoryScore { category: c.to_string(), score: *s }).collect(),
            probabilities: None,
            furniture_probability: scores.iter().map(|(_, s)| s).sum(),
            labels: vec![],
            colours: vec![],
            embedding: vec![],
        }
    }

    fn neighbour(category_id: Uuid, sim: f32) -> (Entry, f32) {
        (Entry { product_id: Uuid::now_v7(), category_id, style_tags: vec![], vector: vec![] }, sim)
    }

    #[test]
    fn catalogue_neighbours_outvote_a_weak_imagenet_guess() {
        let bed = Uuid::now_v7();
        let slugs = HashMap::from([(bed, "bed".to_string())]);
        // ImageNet thinks "sofa" (studio couch) at 0.6 vs bed 0.3; five beds nearby disagree.
        let a = analysis(&[("sofa", 0.6), ("bed", 0.3)]);
        let n: Vec<_> = (0..5).map(|_| neighbour(bed, 0.8)).collect();
        let s = suggest(&a, &n, &slugs, None).unwrap();
        assert_eq!((s.slug.as_str(), s.source.as_str()), ("bed", "imagenet+catalogue"));
        // Without neighbours ImageNet decides.
        let s = suggest(&a, &[], &slugs, None).unwrap();
        assert_eq!((s.slug.as_str(), s.source.as_str()), ("sofa", "imagenet"));
        assert!((s.confidence - 0.6667).abs() < 1e-3);
        // Nothing furniture-like and no catalogue: no suggestion.
        assert!(suggest(&analysis(&[("sofa", 0.01)]), &[], &slugs, None).is_none());
    }

    #[test]
    fn calibrated_probabilities_decide_and_an_unsure_photo_gets_no_suggestion() {
        let (bed, sofa) = (Uuid::now_v7(), Uuid::now_v7());
        let slugs = HashMap::from([(bed, "bed".to_string()), (sofa, "sofa".to_string())]);
        let calibrated = |p: &[(&str, f32)]| {
            // The mapping is sure it's a sofa; the head is not.
            let mut a = analysis(&[("sofa", 0.9), ("bed", 0.05)]);
            a.probabilities =
                Some(p.iter().map(|(c, s)| CategoryScore { category: c.to_string(), score: *s }).collect());
            a
        };
        let s = suggest(&calibrated(&[("bed", 0.7), ("sofa", 0.3)]), &[], &slugs, None).unwrap();
        assert_eq!((s.slug.as_str(), s.source.as_str()), ("bed", "head"));
        assert!((s.confidence - 0.7).abs() < 1e-6);
        // The head is not sure and no catalogue item votes: nothing, not "sofa, 0.95".
        let unsure = calibrated(&[("sofa", 0.4), ("bed", 0.35), ("chair", 0.25)]);
        assert!(suggest(&unsure, &[], &slugs, None).is_none());
        // Neighbours that agree make it sure enough.
        let n: Vec<_> = (0..5).map(|_| neighbour(bed, 0.8)).collect();
        let s = suggest(&unsure, &n, &slugs, None).unwrap();
        assert_eq!((s.slug.as_str(), s.source.as_str()), ("bed", "head+catalogue"));
        // Split neighbours don't.
        let split: Vec<_> = (0..4).map(|i| neighbour(if i % 2 == 0 { bed } else { sofa }, 0.8)).collect();
        assert!(suggest(&unsure, &split, &slugs, None).is_none());
    }

    #[test]
    fn subcategories_roll_up_to_their_root() {
        let now = chrono::Utc::now();
        let row = |id, parent, slug: &str| CategoryRow {
            id,
            parent_id: parent,
            slug: slug.into(),
            name: slug.into(),
            name_en: slug.into(),
            position: 0,
            created_at: now,
        };
        let (sofa, armchair) = (Uuid::now_v7(), Uuid::now_v7());
        let slugs = top_level_slugs(&[row(sofa, None, "sofa"), row(armchair, Some(sofa), "armchair")]);
        assert_eq!(slugs[&armchair], "sofa");
        assert_eq!(slugs[&sofa], "sofa");
    }
}
