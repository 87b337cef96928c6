//! The semantic half of search: every listing's title and its categories' names as a
//! multilingual sentence embedding (dl-api's `use-multilingual-v3`),
//! so "러그" meets "Handwoven wool rug" and "bookshelf" meets "5단 책장" — what the lexical
//! index, which only matches the words written, cannot do. Kept in memory per instance
//! (10,000 listings × 512 floats is 20 MB; brute-force cosine a few ms), rebuilt from the
//! database: a listing is re-embedded only when its text changed. `search_fusion` merges
//! its nearest listings with the lexical ranking.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use uuid::Uuid;

use crate::catalogue::listing::ProductStatus;
use crate::catalogue::store::categories;
use crate::catalogue::store::products::{self, ListFilter, Sort};
use crate::ml::vectors::cosine;
use crate::ml::{DlClient, MlError};
use crate::platform::db::Db;

/// Texts per dl-api call (its limit is 64).
const BATCH: usize = 32;

#[derive(Default)]
pub struct TextIndex {
    /// Listing → (hash of the text embedded, its embedding).
    entries: RwLock<HashMap<Uuid, (u64, Vec<f32>)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub embedded: usize,
    pub removed: usize,
    pub total: usize,
}

/// What is embedded: the title and the category names. Descriptions are left out: a short
/// query sits measurably closer to a short text (USE-multilingual: "bookshelf" to "5단 책장
/// 월넛 (Bookcases)" 0.43, to the same with its description 0.41 — and "lamp" to the mood
/// lamp 0.32 against 0.13 to its description-laden text).
fn text_of(title: &str, category_words: &str) -> String {
    format!("{title} ({category_words})")
}

fn hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl TextIndex {
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Brings the index in line with the searchable listings: embeds the new and the edited
    /// ones, forgets the deleted. An error from dl-api stops this round; what was embedded
    /// before it stays.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, db: &Db, dl: &DlClient) -> Result<Refreshed, RefreshError> {
        let tree = categories::all(db).await?;
        let all = products::list(
            db,
            &ListFilter {
                categories: None,
                query: None,
                boost: Default::default(),
                ids: None,
                min_price: None,
                max_price: None,
                statuses: vec![ProductStatus::OnSale, ProductStatus::Reserved, ProductStatus::Sold],
                seller: None,
                style: None,
                sort: Sort::Newest,
                after: None,
                limit: 1_000_000,
            },
        )
        .await?;
        let texts: Vec<(Uuid, String)> = all
            .iter()
            .map(|p| {
                let words = categories::lineage_words(&tree, p.category_id).unwrap_or_default();
                (p.id, text_of(&p.title, &words))
            })
            .collect();
        let stale: Vec<&(Uuid, String)> = {
            let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
            texts.iter().filter(|(id, t)| entries.get(id).is_none_or(|(h, _)| *h != hash(t))).collect()
        };
        let mut embedded = 0;
        for chunk in stale.chunks(BATCH) {
            let batch: Vec<String> = chunk.iter().map(|(_, t)| t.clone()).collect();
            let vectors = dl.embed_texts(&batch).await?;
            let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
            for ((id, text), v) in chunk.iter().zip(vectors) {
                entries.insert(*id, (hash(text), v));
                embedded += 1;
            }
        }
        let live: std::collections::HashSet<Uuid> = texts.iter().map(|(id, _)| *id).collect();
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = entries.len();
        entries.retain(|id, _| live.contains(id));
        Ok(Refreshed { embedded, removed: before - entries.len(), total: entries.len() })
    }

    /// The `k` listings nearest `query` with a cosine of at least `min`, best first.
    pub fn nearest(&self, query: &[f32], k: usize, min: f32) -> Vec<(Uuid, f32)> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let mut scored: Vec<(Uuid, f32)> =
            entries.iter().map(|(id, (_, v))| (*id, cosine(query, v))).filter(|(_, s)| *s >= min).collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("dl-api: {0}")]
    Ml(#[from] MlError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_holds_what_a_buyer_would_search_for() {
        let t = text_of("Walnut coffee table", "거실 테이블 Coffee tables 테이블 Tables");
        assert_eq!(t, "Walnut coffee table (거실 테이블 Coffee tables 테이블 Tables)");
        assert_ne!(hash(&t), hash("Walnut coffee table (Tables)"));
    }

    #[test]
    fn nearest_keeps_the_close_ones_best_first() {
        let index = TextIndex::default();
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        index.entries.write().unwrap().extend([
            (a, (0, vec![1.0, 0.0])),
            (b, (0, vec![0.8, 0.6])),
            (c, (0, vec![0.0, 1.0])),
        ]);
        let near = index.nearest(&[1.0, 0.0], 5, 0.5);
        assert_eq!(near.iter().map(|x| x.0).collect::<Vec<_>>(), [a, b]);
    }
}
