//! The category crud-api suggests for a photo: dl-api's ImageNet-derived category
//! scores, plus a similarity-weighted vote of the nearest catalogue items (their
//! sellers' categories). The same rule `make eval` measures (docs/ml.md): the catalogue
//! vote fixes what ImageNet has no class for (beds look like "studio couch" to it).

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use crate::catalogue::store::categories::CategoryRow;
use crate::recommendations::client::Analysis;
use crate::recommendations::index::Entry;

/// Neighbours that vote.
pub const K: usize = 5;
/// Below this much furniture probability and without neighbours, no suggestion.
const MIN_FURNITURE: f32 = 0.05;

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CategorySuggestion {
    /// A top-level category slug.
    pub slug: String,
    /// 0–1.
    pub confidence: f32,
    /// `imagenet` or `imagenet+catalogue`.
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

pub fn suggest(
    analysis: &Analysis,
    neighbours: &[(Entry, f32)],
    slugs: &HashMap<Uuid, String>,
) -> Option<CategorySuggestion> {
    let mut scores: HashMap<String, f32> = HashMap::new();
    let furniture = analysis.furniture_probability.max(1e-6);
    if analysis.furniture_probability >= MIN_FURNITURE {
        for c in &analysis.categories {
            *scores.entry(c.category.clone()).or_default() += c.score / furniture;
        }
    }
    let total_sim: f32 = neighbours.iter().map(|(_, s)| s.max(0.0)).sum();
    let voted = total_sim > 0.0;
    if voted {
        for (e, s) in neighbours {
            if let Some(slug) = slugs.get(&e.category_id) {
                *scores.entry(slug.clone()).or_default() += s.max(0.0) / total_sim;
            }
        }
    }
    let sum: f32 = scores.values().sum();
    let (slug, best) = scores.into_iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
    Some(CategorySuggestion {
        slug,
        confidence: if sum > 0.0 { best / sum } else { 0.0 },
        source: if voted { "imagenet+catalogue" } else { "imagenet" }.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommendations::client::CategoryScore;

    fn analysis(scores: &[(&str, f32)]) -> Analysis {
        Analysis {
            model: "m".into(),
            categories: scores.iter().map(|(c, s)| CategoryScore { category: c.to_string(), score: *s }).collect(),
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
        let s = suggest(&a, &n, &slugs).unwrap();
        assert_eq!((s.slug.as_str(), s.source.as_str()), ("bed", "imagenet+catalogue"));
        // Without neighbours ImageNet decides.
        let s = suggest(&a, &[], &slugs).unwrap();
        assert_eq!((s.slug.as_str(), s.source.as_str()), ("sofa", "imagenet"));
        assert!((s.confidence - 0.6667).abs() < 1e-3);
        // Nothing furniture-like and no catalogue: no suggestion.
        assert!(suggest(&analysis(&[("sofa", 0.01)]), &[], &slugs).is_none());
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
