//! What the analysis of one photo found: stored as the job's `result` by the worker and shown
//! to the seller by `GET /api/v1/products/{id}/analysis` — one typed shape for both, so the
//! OpenAPI document (and a generated client) knows every field.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ml::client::{CategoryScore, Colour, Label};
use crate::recommendations::suggest::CategorySuggestion;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Findings {
    /// The vision model that looked (dl-api's model name and version).
    pub model: String,
    /// The category crud-api suggests for the listing; null when the photo shows no
    /// furniture, or when no category reaches a confidence of 0.5 (not sure: the
    /// seller chooses; `probabilities` still holds the model's best guesses).
    pub category: Option<CategorySuggestion>,
    /// dl-api's ImageNet-derived category scores.
    pub categories: Vec<CategoryScore>,
    /// dl-api's calibrated category probabilities, best first (absent for analyses
    /// made by a model version without a category head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<CategoryScore>>,
    /// 0–1: how sure the model is that the photo shows furniture at all.
    pub furniture_probability: f32,
    pub labels: Vec<Label>,
    pub colours: Vec<Colour>,
    /// The closest interior style, when style prototypes are loaded.
    pub style: Option<StyleGuess>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StyleGuess {
    #[schema(example = "scandinavian")]
    pub label: String,
    /// Cosine similarity to the style's prototype.
    pub similarity: f32,
}
