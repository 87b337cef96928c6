//! Offline evaluation of the image model on a labelled set (`labels.tsv`:
//! path, category, name), shared by the `dl-eval` binary and the tests.
//!
//! Three classifiers are measured side by side:
//! - `imagenet`: the summed ImageNet class probabilities per category;
//! - `knn`: the categories of the k nearest catalogue items by embedding cosine
//!   (leave-one-out: an item never votes for itself), as crud-api does with its
//!   catalogue;
//! - `combined`: both, the kNN vote weighted by similarity — what crud-api ships;
//! - `head`: the model version's trained, calibrated category head (`head.json`),
//!   what dl-api suggests when the version ships one.
//!
//! Retrieval precision@5: of each item's five nearest neighbours, the share in the
//! same category.

use std::path::Path;

use crate::batcher::Backend;
use crate::eval_metrics::{self, CoveragePoint, Prediction};
use crate::models::categories::CATEGORIES;
use crate::models::image::{normalised, softmax, ImageInput, ImageModel};
use crate::preprocess;

pub struct Item {
    pub path: String,
    pub category: String,
    pub name: String,
    /// ImageNet category scores in `CATEGORIES` order.
    pub imagenet: [f32; 7],
    pub embedding: Vec<f32>,
    pub probabilities: Vec<f32>,
    /// The category head's calibrated probabilities, when the model has a head and
    /// this image is not one it was trained on.
    pub head: Option<[f32; 7]>,
}

pub fn read_labels(dir: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let text = std::fs::read_to_string(dir.join("labels.tsv"))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string(), f.next().unwrap_or("").to_string()))
        })
        .collect())
}

/// Runs every image through the model (batches of 16).
pub fn embed_all(
    model: &ImageModel,
    session: &mut ort::session::Session,
    dir: &Path,
    labels: &[(String, String, String)],
) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for chunk in labels.chunks(16) {
        let mut pixels = Vec::new();
        for (path, _, _) in chunk {
            let bytes = std::fs::read(dir.join(path))?;
            pixels.extend(preprocess::prepare(&bytes, 40_000_000).map_err(|e| anyhow::anyhow!("{path}: {e}"))?.tensor);
        }
        let out = model
            .run(session, vec![ImageInput { pixels, rows: chunk.len() }])
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .remove(0);
        for ((path, category, name), o) in chunk.iter().zip(out) {
            let probabilities = softmax(&o.logits);
            let imagenet = model.category_scores(&probabilities);
            let embedding = normalised(&o.embedding);
            // The head is not judged on what it learned from.
            let head = model
                .head
                .as_ref()
                .filter(|h| !h.trained_on.contains(path))
                .map(|h| h.probabilities(&embedding, &imagenet));
            items.push(Item {
                path: path.clone(),
                category: category.clone(),
                name: name.clone(),
                imagenet,
                embedding,
                probabilities,
                head,
            });
        }
    }
    Ok(items)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Indices in `pool` of the `k` nearest items to `query` by cosine, `skip` left out (the
/// query itself when it is one of the pool).
fn neighbours(query: &Item, pool: &[Item], skip: Option<usize>, k: usize) -> Vec<(usize, f32)> {
    let mut sims: Vec<(usize, f32)> = pool
        .iter()
        .enumerate()
        .filter(|(j, _)| Some(*j) != skip)
        .map(|(j, o)| (j, dot(&query.embedding, &o.embedding)))
        .collect();
    sims.sort_by(|a, b| b.1.total_cmp(&a.1));
    sims.truncate(k);
    sims
}

/// Similarity-weighted kNN vote per category (sums to 1 when any neighbour exists).
pub fn knn_votes<'a>(neighbours: impl Iterator<Item = (&'a str, f32)>) -> [f32; 7] {
    let mut votes = [0f32; 7];
    for (category, sim) in neighbours {
        if let Some(c) = CATEGORIES.iter().position(|x| *x == category) {
            votes[c] += sim.max(0.0);
        }
    }
    let total: f32 = votes.iter().sum();
    if total > 0.0 {
        votes.iter_mut().for_each(|v| *v /= total);
    }
    votes
}

/// The category crud-api suggests: ImageNet scores plus `weight` × kNN votes.
pub fn combine(imagenet: &[f32; 7], votes: &[f32; 7], weight: f32) -> usize {
    let furniture: f32 = imagenet.iter().sum::<f32>().max(1e-6);
    (0..7)
        .max_by(|a, b| {
            let sa = imagenet[*a] / furniture + weight * votes[*a];
            let sb = imagenet[*b] / furniture + weight * votes[*b];
            sa.total_cmp(&sb)
        })
        .expect("seven categories")
}

fn argmax(v: &[f32; 7]) -> usize {
    (0..7).max_by(|a, b| v[*a].total_cmp(&v[*b])).expect("seven categories")
}

/// One classifier's figures on a set.
pub struct Scores {
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Expected calibration error of the confidence it reports (15 bins).
    pub ece: f64,
    /// `confusion[truth][predicted]`, in `CATEGORIES` order.
    pub confusion: Vec<Vec<usize>>,
    pub curve: Vec<CoveragePoint>,
}

/// Thresholds of the coverage/accuracy curve.
pub const CURVE: [f32; 8] = [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

fn scores(predictions: &[Prediction]) -> Scores {
    let confusion = eval_metrics::confusion(predictions, CATEGORIES.len());
    Scores {
        accuracy: predictions.iter().filter(|p| p.truth == p.predicted).count() as f64
            / predictions.len().max(1) as f64,
        macro_f1: eval_metrics::macro_f1(&confusion),
        ece: eval_metrics::expected_calibration_error(predictions, 15),
        confusion,
        curve: eval_metrics::coverage_curve(predictions, &CURVE),
    }
}

fn best(p: &[f32; 7]) -> Prediction {
    let predicted = argmax(p);
    Prediction { truth: 0, predicted, confidence: p[predicted] }
}

pub struct Report {
    pub total: usize,
    /// The ImageNet mapping with the confidence dl-api reports without a head (the
    /// best category's share of the furniture mass); on the head's images when there
    /// is a head.
    pub mapping: Scores,
    /// The category head, when the model has one, on the images it was not trained on.
    pub head: Option<Scores>,
    pub head_held_out: usize,
    pub imagenet_accuracy: f64,
    pub knn_accuracy: f64,
    pub combined_accuracy: f64,
    pub precision_at_5: f64,
    /// Per category: (name, count, imagenet correct, combined correct).
    pub per_category: Vec<(&'static str, usize, usize, usize)>,
    pub misses: Vec<String>,
}

pub const K: usize = 5;
pub const KNN_WEIGHT: f32 = 1.0;

/// Every classifier's figures on `items`. The kNN and precision@5 neighbours come from
/// `catalogue` when given (photos looked up among the listings' renders, as a seller's photo
/// is among a shop's listings), else from the set itself, leave-one-out.
pub fn evaluate(items: &[Item], catalogue: Option<&[Item]>) -> Report {
    let mut imagenet_ok = 0;
    let mut knn_ok = 0;
    let mut combined_ok = 0;
    let mut precision = 0.0;
    let mut per: Vec<(&'static str, usize, usize, usize)> = CATEGORIES.iter().map(|c| (*c, 0, 0, 0)).collect();
    let mut misses = Vec::new();
    let mut mapping = Vec::new();
    let mut head = Vec::new();
    let with_head = items.iter().any(|i| i.head.is_some());
    for (i, item) in items.iter().enumerate() {
        let truth = CATEGORIES.iter().position(|c| *c == item.category).expect("labels use our categories");
        let furniture: f32 = item.imagenet.iter().sum::<f32>().max(1e-6);
        // Side by side with the head: on the same images.
        if item.head.is_some() || !with_head {
            mapping.push(Prediction { truth, ..best(&item.imagenet.map(|s| s / furniture)) });
        }
        if let Some(p) = &item.head {
            head.push(Prediction { truth, ..best(p) });
        }
        let (pool, skip) = match catalogue {
            Some(c) => (c, None),
            None => (items, Some(i)),
        };
        let near = neighbours(item, pool, skip, K);
        precision += near.iter().filter(|(j, _)| pool[*j].category == item.category).count() as f64 / K as f64;
        let votes = knn_votes(near.iter().map(|(j, s)| (pool[*j].category.as_str(), *s)));
        let by_imagenet = argmax(&item.imagenet);
        let by_knn = argmax(&votes);
        let by_both = combine(&item.imagenet, &votes, KNN_WEIGHT);
        per[truth].1 += 1;
        if by_imagenet == truth {
            imagenet_ok += 1;
            per[truth].2 += 1;
        }
        if by_knn == truth {
            knn_ok += 1;
        }
        if by_both == truth {
            combined_ok += 1;
            per[truth].3 += 1;
        } else {
            misses.push(format!("{} ({}): {} → {}", item.path, item.name, item.category, CATEGORIES[by_both]));
        }
    }
    let n = items.len().max(1) as f64;
    Report {
        total: items.len(),
        mapping: scores(&mapping),
        head_held_out: head.len(),
        head: (!head.is_empty()).then(|| scores(&head)),
        imagenet_accuracy: imagenet_ok as f64 / n,
        knn_accuracy: knn_ok as f64 / n,
        combined_accuracy: combined_ok as f64 / n,
        precision_at_5: precision / n,
        per_category: per,
        misses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, category: &str, embedding: [f32; 2]) -> Item {
        Item {
            path: path.into(),
            category: category.into(),
            name: String::new(),
            imagenet: [0.0; 7],
            embedding: embedding.to_vec(),
            probabilities: Vec::new(),
            head: None,
        }
    }

    #[test]
    fn photos_are_looked_up_among_the_catalogue_not_among_themselves() {
        // Two sofa photos close to each other, the catalogue's sofas far from them and its
        // beds close: among themselves the photos would find each other (a sofa), among the
        // catalogue they find beds — which is what a seller's photo meets.
        let photos = [item("a", "sofa", [1.0, 0.0]), item("b", "sofa", [0.99, 0.14])];
        let catalogue: Vec<Item> = (0..5)
            .map(|i| item(&format!("bed{i}"), "bed", [0.9, 0.44]))
            .chain((0..5).map(|i| item(&format!("sofa{i}"), "sofa", [0.0, 1.0])))
            .collect();
        let alone = evaluate(&photos, None);
        assert_eq!(alone.precision_at_5, 0.2, "one neighbour each (of five slots), the other sofa");
        assert_eq!(alone.knn_accuracy, 1.0);
        let among = evaluate(&photos, Some(&catalogue));
        assert_eq!(among.precision_at_5, 0.0, "five beds are nearer than any catalogue sofa");
        assert_eq!(among.knn_accuracy, 0.0);
    }
}
