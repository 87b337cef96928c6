//! In-memory embedding index, one per crud-api instance: each product's mean image
//! embedding, its category and style tags, plus the style prototypes derived from them.
//!
//! Brute-force cosine over normalised vectors: 10,000 products × 1,280 dims is ~13 M
//! multiply-adds, a few milliseconds — simpler and exact, until the catalogue outgrows
//! it. The worker updates it as embeddings arrive; a periodic reload picks up other
//! instances' work and sellers' edits to tags and categories.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use crate::ml::vectors::cosine;
use crate::platform::db::Db;
use crate::recommendations::catalogue_head::{self, CatalogueHead, Example};
use crate::recommendations::store::embeddings::{self, EmbeddingRow};

#[derive(Debug, Clone)]
pub struct Entry {
    pub product_id: Uuid,
    pub category_id: Uuid,
    pub style_tags: Vec<String>,
    /// Normalised mean of the product's image embeddings.
    pub vector: Vec<f32>,
}

/// A style label and its prototype (normalised mean embedding of products tagged with it).
#[derive(Debug, Clone)]
pub struct Prototype {
    pub style: String,
    pub vector: Vec<f32>,
    pub examples: usize,
}

#[derive(Default)]
struct Data {
    entries: HashMap<Uuid, Entry>,
    prototypes: Vec<Prototype>,
}

#[derive(Default)]
pub struct EmbeddingIndex {
    data: RwLock<Data>,
    /// This shop's category head, retrained as the catalogue grows.
    catalogue_head: RwLock<Option<Arc<CatalogueHead>>>,
}

/// Retrain when the catalogue has grown or shrunk by this share since the last training
/// (at least `MIN_CHANGE` listings), or when the last training is older than `MAX_AGE`
/// (sellers re-categorise listings without the count changing).
const GROWTH: f64 = 0.1;
const MIN_CHANGE: usize = 5;
const MAX_AGE: chrono::Duration = chrono::Duration::minutes(10);

/// A style needs this many tagged products before it gets a prototype.
pub const MIN_STYLE_EXAMPLES: usize = 2;

pub fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn mean(vectors: &[Vec<f32>]) -> Option<Vec<f32>> {
    let first = vectors.first()?;
    let mut sum = vec![0f32; first.len()];
    for v in vectors.iter().filter(|v| v.len() == first.len()) {
        sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
    }
    normalise(&mut sum);
    Some(sum)
}

fn entries_from(rows: Vec<EmbeddingRow>) -> HashMap<Uuid, Entry> {
    let mut by_product: HashMap<Uuid, (EmbeddingRow, Vec<Vec<f32>>)> = HashMap::new();
    for row in rows {
        let v = embeddings::from_bytes(&row.vector);
        by_product.entry(row.product_id).or_insert_with(|| (row.clone(), Vec::new())).1.push(v);
    }
    by_product
        .into_iter()
        .filter_map(|(id, (row, vectors))| {
            Some((
                id,
                Entry {
                    product_id: id,
                    category_id: row.category_id,
                    style_tags: serde_json::from_str(&row.style_tags).unwrap_or_default(),
                    vector: mean(&vectors)?,
                },
            ))
        })
        .collect()
}

fn prototypes(entries: &HashMap<Uuid, Entry>) -> Vec<Prototype> {
    let mut by_style: HashMap<&str, Vec<Vec<f32>>> = HashMap::new();
    for e in entries.values() {
        for t in &e.style_tags {
            by_style.entry(t.as_str()).or_default().push(e.vector.clone());
        }
    }
    let mut out: Vec<Prototype> = by_style
        .into_iter()
        .filter(|(_, v)| v.len() >= MIN_STYLE_EXAMPLES)
        .filter_map(|(style, v)| Some(Prototype { style: style.to_string(), examples: v.len(), vector: mean(&v)? }))
        .collect();
    out.sort_by(|a, b| a.style.cmp(&b.style));
    out
}

impl EmbeddingIndex {
    /// Replaces the whole index with what the database holds.
    pub async fn reload(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let entries = entries_from(embeddings::all(db).await?);
        let protos = prototypes(&entries);
        let n = entries.len();
        let mut data = self.data.write().unwrap_or_else(|p| p.into_inner());
        data.entries = entries;
        data.prototypes = protos;
        Ok(n)
    }

    /// Picks up the embeddings any replica wrote in the last `window`: polled every second,
    /// a new photo becomes similar-searchable on every replica within about a second instead
    /// of at the next full reload. Windows overlap (3 s against a 1 s poll), so commits landing
    /// out of order are not missed; a product is re-read at most a few times, which is
    /// idempotent. What a stalled poll misses, the periodic full reload brings. Returns how
    /// many products it refreshed.
    pub async fn sync(&self, db: &Db, window: std::time::Duration) -> Result<usize, sqlx::Error> {
        let since = chrono::Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
        let changed = embeddings::changed_since(db, since).await?;
        for (product, _) in &changed {
            self.refresh_product(db, *product).await?;
        }
        Ok(changed.len())
    }

    /// Re-reads one product (after its image was analysed).
    pub async fn refresh_product(&self, db: &Db, product_id: Uuid) -> Result<(), sqlx::Error> {
        let mut fresh = entries_from(embeddings::for_product(db, product_id).await?);
        let mut data = self.data.write().unwrap_or_else(|p| p.into_inner());
        match fresh.remove(&product_id) {
            Some(e) => data.entries.insert(product_id, e),
            None => data.entries.remove(&product_id),
        };
        data.prototypes = prototypes(&data.entries);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.data.read().unwrap_or_else(|p| p.into_inner()).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn vector_of(&self, product_id: Uuid) -> Option<Vec<f32>> {
        self.data.read().unwrap_or_else(|p| p.into_inner()).entries.get(&product_id).map(|e| e.vector.clone())
    }

    /// The `k` most similar products to `query` that pass `keep`, best first.
    pub fn nearest(&self, query: &[f32], k: usize, keep: impl Fn(&Entry) -> bool) -> Vec<(Entry, f32)> {
        let data = self.data.read().unwrap_or_else(|p| p.into_inner());
        let mut scored: Vec<(&Entry, f32)> =
            data.entries.values().filter(|e| keep(e)).map(|e| (e, cosine(query, &e.vector))).collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.product_id.cmp(&b.0.product_id)));
        scored.into_iter().take(k).map(|(e, s)| (e.clone(), s)).collect()
    }

    /// The nearest style prototype and its cosine, if any style has enough examples.
    pub fn style_of(&self, query: &[f32]) -> Option<(String, f32)> {
        let data = self.data.read().unwrap_or_else(|p| p.into_inner());
        data.prototypes.iter().map(|p| (p.style.clone(), cosine(query, &p.vector))).max_by(|a, b| a.1.total_cmp(&b.1))
    }

    pub fn prototypes(&self) -> Vec<Prototype> {
        self.data.read().unwrap_or_else(|p| p.into_inner()).prototypes.clone()
    }

    pub fn catalogue_head(&self) -> Option<Arc<CatalogueHead>> {
        self.catalogue_head.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the catalogue changed enough since the last training (or never trained
    /// while it has enough listings to try).
    pub fn catalogue_head_due(&self) -> bool {
        let n = self.len();
        match self.catalogue_head() {
            None => n >= 2 * catalogue_head::MIN_PER_CATEGORY,
            Some(h) => {
                // Against the whole catalogue it saw, not the listings it learned from
                // (those leave out categories under the minimum: always "changed").
                let trained = h.report.listings;
                n.abs_diff(trained) >= MIN_CHANGE.max((trained as f64 * GROWTH) as usize)
                    || chrono::Utc::now() - h.report.trained_at > MAX_AGE
            }
        }
    }

    /// Retrains from the listings now indexed (`slugs`: category id → top-level slug) and
    /// keeps the result; CPU-heavy, so callers run it off the async threads.
    pub fn retrain_catalogue_head(&self, slugs: &HashMap<Uuid, String>, voters: usize) -> Option<Arc<CatalogueHead>> {
        let examples: Vec<Example> = {
            let data = self.data.read().unwrap_or_else(|p| p.into_inner());
            data.entries
                .values()
                .filter_map(|e| {
                    Some(Example {
                        product_id: e.product_id,
                        slug: slugs.get(&e.category_id)?.clone(),
                        vector: e.vector.clone(),
                    })
                })
                .collect()
        };
        let head = catalogue_head::train(&examples, voters).map(Arc::new);
        *self.catalogue_head.write().unwrap_or_else(|p| p.into_inner()) = head.clone();
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(v: Vec<f32>, tags: &[&str]) -> (Uuid, Entry) {
        let id = Uuid::now_v7();
        let mut vector = v;
        normalise(&mut vector);
        (
            id,
            Entry {
                product_id: id,
                category_id: Uuid::nil(),
                style_tags: tags.iter().map(|t| t.to_string()).collect(),
                vector,
            },
        )
    }

    /// Found running `make run`: the demo shop retrained its head every 30 s forever — "due"
    /// compared the catalogue with the listings learned from, which leave out categories
    /// under the minimum.
    #[test]
    fn a_fresh_catalogue_head_is_not_due_until_the_catalogue_changes() {
        let index = EmbeddingIndex::default();
        let cats: Vec<(Uuid, &str, usize)> = vec![
            (Uuid::now_v7(), "sofa", 6),
            (Uuid::now_v7(), "bed", 6),
            (Uuid::now_v7(), "desk", 4),
            (Uuid::now_v7(), "lighting", 4),
        ];
        let mut slugs = HashMap::new();
        {
            let mut data = index.data.write().unwrap();
            for (c, (category, slug, n)) in cats.iter().enumerate() {
                slugs.insert(*category, slug.to_string());
                for i in 0..*n {
                    let mut v = vec![0.01 * i as f32; 8];
                    v[c] = 1.0;
                    let (id, mut e) = entry(v, &[]);
                    e.category_id = *category;
                    data.entries.insert(id, e);
                }
            }
        }
        assert!(index.catalogue_head_due(), "20 listings, never trained");
        let head = index.retrain_catalogue_head(&slugs, 5).unwrap();
        assert_eq!((head.examples(), head.report.listings), (12, 20), "desks and lamps are under the minimum");
        assert!(!index.catalogue_head_due(), "nothing changed since it trained");
    }

    #[test]
    fn nearest_and_prototypes() {
        let entries: HashMap<Uuid, Entry> = [
            entry(vec![1.0, 0.0, 0.0], &["modern"]),
            entry(vec![0.9, 0.1, 0.0], &["modern"]),
            entry(vec![0.0, 1.0, 0.0], &["vintage"]),
            entry(vec![0.0, 0.9, 0.2], &["vintage"]),
            entry(vec![0.0, 0.0, 1.0], &["industrial"]),
        ]
        .into_iter()
        .collect();
        let index = EmbeddingIndex::default();
        {
            let mut d = index.data.write().unwrap();
            d.prototypes = prototypes(&entries);
            d.entries = entries;
        }
        let near = index.nearest(&[1.0, 0.05, 0.0], 2, |_| true);
        assert_eq!(near.len(), 2);
        assert!(near.iter().all(|(e, _)| e.style_tags == ["modern"]));
        assert!(near[0].1 >= near[1].1);
        // "industrial" has one example: no prototype yet.
        let styles: Vec<String> = index.prototypes().into_iter().map(|p| p.style).collect();
        assert_eq!(styles, ["modern", "vintage"]);
        assert_eq!(index.style_of(&[0.1, 1.0, 0.1]).unwrap().0, "vintage");
        assert!(index.nearest(&[1.0, 0.0, 0.0], 5, |e| e.style_tags.is_empty()).is_empty());
    }
}
