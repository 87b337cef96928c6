//! EfficientNet-Lite0: ImageNet logits and the pooled 1280-d embedding for a batch
//! of prepared images.

use std::path::Path;

use ndarray::ArrayView;
use ort::session::Session;
use ort::value::TensorRef;

use crate::batcher::Backend;
use crate::error::DlError;
use crate::models::backbone::{CLASSES, EMBEDDING};
use crate::models::categories::{CategoryMap, CATEGORIES};
use crate::models::head::CategoryHead;
use crate::preprocess::{INPUT_SIZE, PIXELS_PER_IMAGE};

pub const NAME: &str = "efficientnet-lite0";

/// Rows of preprocessed pixels, `rows × [3,224,224]` back to back.
pub struct ImageInput {
    pub pixels: Vec<f32>,
    pub rows: usize,
}

/// Per row: logits and embedding.
pub struct ImageOutput {
    pub logits: Vec<f32>,
    pub embedding: Vec<f32>,
}

pub struct ImageModel {
    pub labels: Vec<String>,
    pub categories: CategoryMap,
    /// The version's trained category head (`head.json`), when it ships one.
    pub head: Option<CategoryHead>,
}

impl ImageModel {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("labels.txt");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e} — run scripts/fetch-models.sh", path.display()))?;
        let labels: Vec<String> = text.lines().map(str::to_string).collect();
        if labels.len() != CLASSES {
            anyhow::bail!("{} has {} labels, expected {CLASSES}", path.display(), labels.len());
        }
        let categories = CategoryMap::new(&labels)?;
        Ok(Self { labels, categories, head: CategoryHead::load(dir)? })
    }

    /// The summed ImageNet category scores in `CATEGORIES` order.
    pub fn category_scores(&self, probabilities: &[f32]) -> [f32; 7] {
        let mut out = [0f32; 7];
        for s in self.categories.scores(probabilities) {
            out[CATEGORIES.iter().position(|c| *c == s.category).expect("a known category")] = s.score;
        }
        out
    }
}

impl Backend for ImageModel {
    type Input = ImageInput;
    type Output = Vec<ImageOutput>;

    fn rows(input: &ImageInput) -> usize {
        input.rows
    }

    fn run(&self, session: &mut Session, inputs: Vec<ImageInput>) -> Result<Vec<Vec<ImageOutput>>, DlError> {
        let rows: usize = inputs.iter().map(|i| i.rows).sum();
        let mut pixels = Vec::with_capacity(rows * PIXELS_PER_IMAGE);
        for input in &inputs {
            pixels.extend_from_slice(&input.pixels);
        }
        let side = INPUT_SIZE as usize;
        let view =
            ArrayView::from_shape((rows, 3, side, side), &pixels).map_err(|e| DlError::Internal(e.to_string()))?;
        let tensor = TensorRef::from_array_view(view).map_err(|e| DlError::Inference(e.to_string()))?;
        let outputs = session.run(ort::inputs!["input" => tensor]).map_err(|e| DlError::Inference(e.to_string()))?;
        let (_, logits) =
            outputs["logits"].try_extract_tensor::<f32>().map_err(|e| DlError::Inference(e.to_string()))?;
        let (_, embedding) =
            outputs["embedding"].try_extract_tensor::<f32>().map_err(|e| DlError::Inference(e.to_string()))?;
        let mut row = 0;
        Ok(inputs
            .iter()
            .map(|input| {
                (0..input.rows)
                    .map(|_| {
                        let out = ImageOutput {
                            logits: logits[row * CLASSES..(row + 1) * CLASSES].to_vec(),
                            embedding: embedding[row * EMBEDDING..(row + 1) * EMBEDDING].to_vec(),
                        };
                        row += 1;
                        out
                    })
                    .collect()
            })
            .collect())
    }
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// The `k` most probable classes as (index, probability).
pub fn top_k(probabilities: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut idx: Vec<usize> = (0..probabilities.len()).collect();
    idx.sort_by(|a, b| probabilities[*b].total_cmp(&probabilities[*a]));
    idx.into_iter().take(k).map(|i| (i, probabilities[i])).collect()
}

/// L2-normalised copy (cosine similarity becomes a dot product).
pub fn normalised(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter().map(|x| x / norm).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let p = softmax(&[1.0, 3.0, 2.0, 5.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(top_k(&p, 2).iter().map(|x| x.0).collect::<Vec<_>>(), vec![3, 1]);
    }

    #[test]
    fn normalised_has_unit_length() {
        let n = normalised(&[3.0, 4.0]);
        assert!((n[0] - 0.6).abs() < 1e-6 && (n[1] - 0.8).abs() < 1e-6);
    }
}
