//! `/v1/analyze`: one photo → category suggestion, ImageNet labels, dominant
//! colours and the embedding.

use bytes::Bytes;
use serde::Serialize;

use crate::colours::Colour;
use crate::error::DlError;
use crate::models::categories::{CategoryScore, CATEGORIES};
use crate::models::image::{self, normalised, softmax, top_k, ImageInput, ImageModel};
use crate::preprocess;
use crate::state::AppState;
use crate::styles::Style;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Label {
    /// The ImageNet class index (0–999).
    #[schema(example = 831)]
    pub index: usize,
    #[schema(example = "studio couch")]
    pub label: String,
    pub probability: f32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// A top-level category slug (`sofa`, `chair`, `table`, `bed`, `desk`, `storage`, `lighting`).
    #[schema(example = "sofa")]
    pub slug: &'static str,
    /// 0–1. With the model's category head (`calibrated`), a calibrated probability:
    /// of the suggestions made at 0.8, about 8 in 10 are right. Without it, the
    /// category's share of the furniture probability mass.
    pub confidence: f32,
    /// Whether `confidence` comes from the calibrated category head.
    pub calibrated: bool,
}

/// What one photo shows: the category suggestion, ImageNet labels, colours, the embedding.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    #[schema(example = "efficientnet-lite0")]
    pub model: &'static str,
    /// The version that answered (`/v2/repository/index` lists them).
    #[schema(example = "1")]
    pub model_version: String,
    /// Best furniture category; null when the photo shows no furniture we know, or
    /// when the model is not sure (`abstained`).
    pub category: Option<Suggestion>,
    /// True when the best category's calibrated probability is below the model's
    /// threshold: no suggestion rather than a likely wrong one. The best guess is
    /// still the first of `probabilities`.
    pub abstained: bool,
    /// The category head's calibrated probabilities, best first (absent when the
    /// model version ships no head).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<CategoryScore>>,
    /// Every category with its summed ImageNet probability, best first.
    pub categories: Vec<CategoryScore>,
    /// How much of the probability mass falls on furniture classes at all.
    pub furniture_probability: f32,
    pub labels: Vec<Label>,
    pub colours: Vec<Colour>,
    /// Nearest style prototype, when `DL_STYLE_PROTOTYPES` is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<Style>,
    /// L2-normalised 1280-d embedding (cosine similarity = dot product).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
    pub width: u32,
    pub height: u32,
    pub format: &'static str,
}

/// Below this much furniture mass we don't suggest a category.
const MIN_FURNITURE: f32 = 0.05;

struct Decision {
    category: Option<Suggestion>,
    abstained: bool,
    probabilities: Option<Vec<CategoryScore>>,
}

/// The suggestion: the head's calibrated best category when the version has a head
/// and it is sure enough, else the ImageNet mapping's; none without furniture.
fn decide(
    model: &ImageModel,
    probabilities: &[f32],
    embedding: &[f32],
    categories: &[CategoryScore],
    furniture: f32,
) -> Decision {
    let Some(head) = &model.head else {
        let category = (furniture >= MIN_FURNITURE).then(|| Suggestion {
            slug: categories[0].category,
            confidence: categories[0].score / furniture,
            calibrated: false,
        });
        return Decision { category, abstained: false, probabilities: None };
    };
    let p = head.probabilities(embedding, &model.category_scores(probabilities));
    let mut ranked: Vec<CategoryScore> =
        CATEGORIES.iter().zip(p).map(|(category, score)| CategoryScore { category, score }).collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    let best = &ranked[0];
    let sure = best.score >= head.abstain_below;
    let category = (furniture >= MIN_FURNITURE && sure).then_some(Suggestion {
        slug: best.category,
        confidence: best.score,
        calibrated: true,
    });
    Decision { category, abstained: furniture >= MIN_FURNITURE && !sure, probabilities: Some(ranked) }
}

pub async fn analyze(state: &AppState, bytes: Bytes, with_embedding: bool) -> Result<Analysis, DlError> {
    let models = state.models()?;
    let max_pixels = state.config.max_image_pixels;
    let prepared = tokio::task::spawn_blocking(move || preprocess::prepare(&bytes, max_pixels))
        .await
        .map_err(|e| DlError::Internal(e.to_string()))??;
    // This request stays on this version even if another is loaded meanwhile.
    let serving = models.image().get()?;
    let mut rows = serving.batcher.infer(ImageInput { pixels: prepared.tensor, rows: 1 }).await?;
    let out = rows.pop().ok_or_else(|| DlError::Internal("no output row".into()))?;
    let backend = &serving.backend;
    let probabilities = softmax(&out.logits);
    let categories = backend.categories.scores(&probabilities);
    let furniture: f32 = categories.iter().map(|c| c.score).sum();
    let embedding = normalised(&out.embedding);
    let decision = decide(backend, &probabilities, &embedding, &categories, furniture);
    let labels = top_k(&probabilities, 5)
        .into_iter()
        .map(|(index, probability)| Label { index, label: backend.labels[index].clone(), probability })
        .collect();
    Ok(Analysis {
        style: state.styles.classify(&embedding),
        model: image::NAME,
        model_version: serving.info.version.clone(),
        category: decision.category,
        abstained: decision.abstained,
        probabilities: decision.probabilities,
        categories,
        furniture_probability: furniture,
        labels,
        colours: prepared.colours,
        embedding: with_embedding.then_some(embedding),
        width: prepared.width,
        height: prepared.height,
        format: prepared.format,
    })
}
