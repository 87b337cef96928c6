//! Similarity of embeddings as dl-api returns them (L2-normalised: the dot product is the
//! cosine).

/// The cosine of two normalised vectors; 0 when their lengths differ (different models).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
