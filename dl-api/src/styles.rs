//! Optional style labels for `/v1/analyze`: nearest prototype by cosine.
//!
//! The prototypes are the mean embeddings of products sellers tagged with each style,
//! computed by crud-api as its catalogue grows (`GET /api/v1/admin/style-prototypes`
//! exports them in this file's format). dl-api loads them from `DL_STYLE_PROTOTYPES`
//! at start-up; without the file, analyses carry no style.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::models::backbone::EMBEDDING;
use crate::models::image::normalised;

#[derive(Debug, Deserialize)]
struct File {
    prototypes: Vec<Prototype>,
}

#[derive(Debug, Deserialize)]
struct Prototype {
    style: String,
    vector: Vec<f32>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Style {
    /// The prototype's style, as configured (`DL_STYLE_PROTOTYPES`).
    pub label: String,
    /// Cosine to the style's prototype.
    pub similarity: f32,
}

#[derive(Debug, Default)]
pub struct Styles {
    prototypes: Vec<(String, Vec<f32>)>,
}

impl Styles {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading DL_STYLE_PROTOTYPES {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("DL_STYLE_PROTOTYPES {} is not valid: {e}", path.display()))?;
        let mut prototypes = Vec::new();
        for p in file.prototypes {
            if p.vector.len() != EMBEDDING {
                anyhow::bail!("style {:?} has {} dimensions, expected {EMBEDDING}", p.style, p.vector.len());
            }
            prototypes.push((p.style, normalised(&p.vector)));
        }
        Ok(Self { prototypes })
    }

    pub fn len(&self) -> usize {
        self.prototypes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prototypes.is_empty()
    }

    /// The nearest style to a normalised embedding.
    pub fn classify(&self, embedding: &[f32]) -> Option<Style> {
        self.prototypes
            .iter()
            .map(|(label, v)| Style {
                label: label.clone(),
                similarity: v.iter().zip(embedding).map(|(a, b)| a * b).sum(),
            })
            .max_by(|a, b| a.similarity.total_cmp(&b.similarity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_checks_and_classifies() {
        let dir = std::env::temp_dir().join(format!("styles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut a = vec![0.0; EMBEDDING];
        a[0] = 2.0;
        let mut b = vec![0.0; EMBEDDING];
        b[1] = 1.0;
        let path = dir.join("p.json");
        let body =
            serde_json::json!({"prototypes": [{"style": "modern", "vector": a}, {"style": "vintage", "vector": b}]});
        std::fs::write(&path, body.to_string()).unwrap();
        let styles = Styles::load(&path).unwrap();
        assert_eq!(styles.len(), 2);
        let mut q = vec![0.0; EMBEDDING];
        q[1] = 1.0;
        assert_eq!(styles.classify(&q).unwrap(), Style { label: "vintage".into(), similarity: 1.0 });
        std::fs::write(&path, r#"{"prototypes": [{"style": "x", "vector": [1.0]}]}"#).unwrap();
        assert!(Styles::load(&path).is_err());
        assert!(Styles::default().classify(&q).is_none());
    }
}
