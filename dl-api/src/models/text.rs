//! Sentence embeddings. all-MiniLM-L6-v2 (what dl-api serves): WordPiece tokens (the
//! model's own tokenizer.json via the `tokenizers` crate), the int8 ONNX encoder, then
//! mean pooling over real tokens and L2 normalisation, as sentence-transformers does.
//!
//! The same backend runs the multilingual Universal Sentence Encoder
//! (`scripts/models/export_use_multilingual.py`), whose graph takes every text's
//! SentencePiece ids back to back plus row splits and pools by itself: which contract a
//! graph speaks is read from its input names, so a model directory needs no flag.

use std::path::Path;

use ndarray::ArrayView;
use ort::session::Session;
use ort::value::TensorRef;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::batcher::Backend;
use crate::error::DlError;

pub const NAME: &str = "minilm-l6-v2";
pub const DIM: usize = 384;
/// Longest input in tokens; longer texts are truncated.
pub const MAX_TOKENS: usize = 256;

pub struct TextModel {
    tokenizer: Tokenizer,
}

impl TextModel {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&path)
            .map_err(|e| anyhow::anyhow!("loading {}: {e} — run scripts/fetch-models.sh", path.display()))?;
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self { tokenizer })
    }
}

impl Backend for TextModel {
    /// One caller's texts.
    type Input = Vec<String>;
    /// One normalised embedding per text.
    type Output = Vec<Vec<f32>>;

    fn rows(input: &Vec<String>) -> usize {
        input.len()
    }

    fn run(&self, session: &mut Session, inputs: Vec<Vec<String>>) -> Result<Vec<Vec<Vec<f32>>>, DlError> {
        let texts: Vec<&str> = inputs.iter().flatten().map(String::as_str).collect();
        if texts.is_empty() {
            return Ok(inputs.iter().map(|_| Vec::new()).collect());
        }
        let encodings =
            self.tokenizer.encode_batch(texts, true).map_err(|e| DlError::Inference(format!("tokenizer: {e}")))?;
        let pooled = if session.inputs().iter().any(|i| i.name() == RAGGED_SPLITS) {
            ragged(session, &encodings)?
        } else {
            padded(session, &encodings)?
        };
        let mut pooled = pooled.into_iter();
        Ok(inputs.iter().map(|texts| pooled.by_ref().take(texts.len()).collect()).collect())
    }
}

/// The width of the embeddings a loaded text graph answers: the last dimension of its
/// `embedding` (multilingual) or `last_hidden_state` (MiniLM) output; MiniLM's when the
/// graph leaves it open.
pub fn dimensions(session: &Session) -> usize {
    session
        .outputs()
        .iter()
        .filter(|o| o.name() == "embedding" || o.name() == "last_hidden_state")
        .find_map(|o| o.dtype().tensor_shape()?.last().copied().filter(|d| *d > 0))
        .map_or(DIM, |d| d as usize)
}

/// The multilingual encoder's second input: where each text's ids start and end.
const RAGGED_SPLITS: &str = "row_splits";

/// Ids back to back (padding left out) and row splits; the graph pools.
fn ragged(session: &mut Session, encodings: &[tokenizers::Encoding]) -> Result<Vec<Vec<f32>>, DlError> {
    let mut ids: Vec<i32> = Vec::new();
    let mut splits: Vec<i64> = vec![0];
    for e in encodings {
        ids.extend(e.get_ids().iter().zip(e.get_attention_mask()).filter(|(_, m)| **m == 1).map(|(id, _)| *id as i32));
        splits.push(ids.len() as i64);
    }
    let inner = |e: ndarray::ShapeError| DlError::Internal(e.to_string());
    let ids_view = ArrayView::from_shape((ids.len(),), &ids).map_err(inner)?;
    let splits_view = ArrayView::from_shape((splits.len(),), &splits).map_err(inner)?;
    let outputs = session
        .run(ort::inputs![
            "token_ids" => TensorRef::from_array_view(ids_view).map_err(|e| DlError::Inference(e.to_string()))?,
            RAGGED_SPLITS => TensorRef::from_array_view(splits_view).map_err(|e| DlError::Inference(e.to_string()))?,
        ])
        .map_err(|e| DlError::Inference(e.to_string()))?;
    let (_, flat) = outputs["embedding"].try_extract_tensor::<f32>().map_err(|e| DlError::Inference(e.to_string()))?;
    let dim = flat.len() / encodings.len();
    Ok(flat.chunks(dim).map(crate::models::image::normalised).collect())
}

/// Padded rows with attention mask and token types; mean pooling here.
fn padded(session: &mut Session, encodings: &[tokenizers::Encoding]) -> Result<Vec<Vec<f32>>, DlError> {
    let rows = encodings.len();
    let len = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(0).max(1);
    let mut ids = vec![0i64; rows * len];
    let mut mask = vec![0i64; rows * len];
    let mut types = vec![0i64; rows * len];
    for (r, e) in encodings.iter().enumerate() {
        for (t, ((id, m), ty)) in e.get_ids().iter().zip(e.get_attention_mask()).zip(e.get_type_ids()).enumerate() {
            ids[r * len + t] = i64::from(*id);
            mask[r * len + t] = i64::from(*m);
            types[r * len + t] = i64::from(*ty);
        }
    }
    let outputs = session
        .run(ort::inputs![
            "input_ids" => tensor(&ids, rows, len)?,
            "attention_mask" => tensor(&mask, rows, len)?,
            "token_type_ids" => tensor(&types, rows, len)?,
        ])
        .map_err(|e| DlError::Inference(e.to_string()))?;
    let (_, hidden) =
        outputs["last_hidden_state"].try_extract_tensor::<f32>().map_err(|e| DlError::Inference(e.to_string()))?;
    Ok((0..rows).map(|r| mean_pool(hidden, &mask, r, len)).collect())
}

fn tensor(v: &[i64], rows: usize, len: usize) -> Result<TensorRef<'_, i64>, DlError> {
    let view = ArrayView::from_shape((rows, len), v).map_err(|e| DlError::Internal(e.to_string()))?;
    TensorRef::from_array_view(view).map_err(|e| DlError::Inference(e.to_string()))
}

/// Mean of row `r`'s token vectors where the mask is 1, L2-normalised.
fn mean_pool(hidden: &[f32], mask: &[i64], r: usize, len: usize) -> Vec<f32> {
    let mut sum = vec![0f32; DIM];
    let mut count = 0f32;
    for t in 0..len {
        if mask[r * len + t] == 0 {
            continue;
        }
        count += 1.0;
        let start = (r * len + t) * DIM;
        for (s, h) in sum.iter_mut().zip(&hidden[start..start + DIM]) {
            *s += h;
        }
    }
    let mean: Vec<f32> = sum.iter().map(|s| s / count.max(1.0)).collect();
    crate::models::image::normalised(&mean)
}
