//! The category head: a softmax regression from a photo's embedding and its
//! ImageNet category scores to the seven categories, trained offline
//! (`scripts/models/train_head.sh`) and shipped as `head.json` in the image model's
//! version directory, so a version's head always matches its embedding.
//!
//! Its probabilities are calibrated (a temperature fitted on held-out training
//! predictions), and below `abstain_below` dl-api says "not sure" instead of naming
//! a category: a new seller is better served by no suggestion than by "sofa, 0.99"
//! for a bed. Without `head.json` the ImageNet mapping decides, as before.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::models::backbone::EMBEDDING;
use crate::models::categories::CATEGORIES;

pub const FILE: &str = "head.json";

#[derive(Debug, Clone, Deserialize)]
struct Features {
    embedding_scale: f32,
    score_scale: f32,
    score_floor: f32,
}

#[derive(Debug, Clone, Deserialize)]
struct HeadFile {
    format: u32,
    categories: Vec<String>,
    features: Features,
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
    temperature: f32,
    abstain_below: f32,
    #[serde(default)]
    training: Training,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Training {
    /// The training images (paths as in the labelled sets' `labels.tsv`).
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CategoryHead {
    features: Features,
    /// One row per category in `CATEGORIES` order: EMBEDDING + 7 weights.
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
    temperature: f32,
    pub abstain_below: f32,
    /// What it was trained on: evaluation leaves these out of the head's figures.
    pub trained_on: HashSet<String>,
}

impl CategoryHead {
    /// `dir/head.json` when there is one; a malformed file fails the load (a version
    /// whose head doesn't fit its embedding must not serve).
    pub fn load(dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
        };
        let file: HeadFile = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Self::from_file(file).map(Some).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    fn from_file(f: HeadFile) -> anyhow::Result<Self> {
        if f.format != 1 {
            anyhow::bail!("unknown head format {}", f.format);
        }
        if f.categories != CATEGORIES {
            anyhow::bail!("categories {:?} are not {:?}", f.categories, CATEGORIES);
        }
        let width = EMBEDDING + CATEGORIES.len();
        if f.weights.len() != CATEGORIES.len() || f.weights.iter().any(|w| w.len() != width) {
            anyhow::bail!("weights must be {} rows of {width}", CATEGORIES.len());
        }
        if f.bias.len() != CATEGORIES.len() {
            anyhow::bail!("bias must have {} entries", CATEGORIES.len());
        }
        if !(f.temperature > 0.0 && f.temperature.is_finite() && (0.0..=1.0).contains(&f.abstain_below)) {
            anyhow::bail!("temperature must be positive and abstain_below within 0–1");
        }
        Ok(Self {
            features: f.features,
            weights: f.weights,
            bias: f.bias,
            temperature: f.temperature,
            abstain_below: f.abstain_below,
            trained_on: f.training.paths.into_iter().collect(),
        })
    }

    /// Calibrated probabilities in `CATEGORIES` order, from the L2-normalised
    /// embedding and the summed ImageNet scores (also in `CATEGORIES` order).
    pub fn probabilities(&self, embedding: &[f32], scores: &[f32; 7]) -> [f32; 7] {
        let f = &self.features;
        let mut logits = [0f32; 7];
        for (c, (w, b)) in self.weights.iter().zip(&self.bias).enumerate() {
            let e: f32 = w[..EMBEDDING].iter().zip(embedding).map(|(w, x)| w * x).sum::<f32>() * f.embedding_scale;
            let s: f32 = w[EMBEDDING..].iter().zip(scores).map(|(w, s)| w * (s + f.score_floor).ln()).sum::<f32>()
                * f.score_scale;
            logits[c] = (e + s + b) / self.temperature;
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut p = logits.map(|l| (l - max).exp());
        let sum: f32 = p.iter().sum();
        p.iter_mut().for_each(|x| *x /= sum);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(temperature: f32) -> HeadFile {
        // Category c's weight picks embedding dimension c.
        let weights = (0..7)
            .map(|c| {
                let mut w = vec![0.0; EMBEDDING + 7];
                w[c] = 1.0;
                w
            })
            .collect();
        HeadFile {
            format: 1,
            categories: CATEGORIES.iter().map(|c| c.to_string()).collect(),
            features: Features { embedding_scale: 4.0, score_scale: 0.0, score_floor: 1e-4 },
            weights,
            bias: vec![0.0; 7],
            temperature,
            abstain_below: 0.5,
            training: Training::default(),
        }
    }

    #[test]
    fn a_higher_temperature_makes_the_same_ranking_less_sure() {
        let mut e = vec![0.0; EMBEDDING];
        e[3] = 1.0; // bed
        let sharp = CategoryHead::from_file(file(1.0)).unwrap().probabilities(&e, &[0.1; 7]);
        let soft = CategoryHead::from_file(file(4.0)).unwrap().probabilities(&e, &[0.1; 7]);
        let best = |p: &[f32; 7]| (0..7).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap();
        assert_eq!((best(&sharp), best(&soft)), (3, 3));
        assert!(sharp[3] > 0.85 && soft[3] < 0.35, "{} {}", sharp[3], soft[3]);
        assert!((soft.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn a_head_that_does_not_fit_the_model_is_refused() {
        let mut f = file(1.0);
        f.weights[2].pop();
        assert!(CategoryHead::from_file(f).is_err());
        let mut f = file(1.0);
        f.categories.swap(0, 1);
        assert!(CategoryHead::from_file(f).is_err());
        assert!(CategoryHead::from_file(file(0.0)).is_err());
    }
}
