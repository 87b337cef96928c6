//! Hybrid search: the lexical ranking (full-text index, category and title ordering) fused
//! with the listings nearest the query in the multilingual embedding space
//! (`semantic::TextIndex`), by reciprocal rank fusion — each list gives a listing
//! 1 / (60 + its rank), summed. A listing both find comes first; one only the embeddings
//! find ("러그" → the English rug listing) still makes the page. Relevance-sorted searches
//! only; without dl-api, with an empty index or when dl-api doesn't answer in time, the
//! lexical ranking alone (search never waits on or fails because of dl-api).

use std::collections::HashMap;
use std::time::Duration;

use uuid::Uuid;

use crate::catalogue::search;
use crate::catalogue::semantic::TextIndex;
use crate::catalogue::store::products::{self, CardRow, ListFilter, Sort};
use crate::ml::DlClient;
use crate::platform::db::Db;

/// Lexical candidates fused (the page is cut from the fused list).
const LEXICAL: i64 = 100;
/// Semantic neighbours fused.
const SEMANTIC: usize = 50;
/// Below this cosine a neighbour is not a match. Query to "title (categories)" with
/// USE-multilingual: the right listing 0.32–0.58 ("lamp" → 무드등 스탠드 0.32, "bookshelf" →
/// 5단 책장 0.43), unrelated ones −0.1–0.25, a near miss ("서랍장" → 책장) 0.32.
pub const MIN_COSINE: f32 = 0.3;
const RRF_K: f64 = 60.0;
/// How long a search waits for the query's embedding before answering lexically.
const EMBED_WAIT: Duration = Duration::from_millis(500);

/// The lexical matches: every term, or — when no listing has them all — any of them.
/// Decided on the whole result, so every page of a query (any sort) is the same search.
pub async fn lexical(db: &Db, filter: &ListFilter) -> Result<Vec<CardRow>, sqlx::Error> {
    let cards = products::list_cards(db, filter).await?;
    if cards.is_empty() {
        if let Some(relaxed) = filter.query.as_ref().and_then(search::Query::relaxed) {
            let probe = ListFilter { after: None, limit: 1, ..filter.clone() };
            if products::list(db, &probe).await?.is_empty() {
                return products::list_cards(db, &ListFilter { query: Some(relaxed), ..filter.clone() }).await;
            }
        }
    }
    Ok(cards)
}

/// What the semantic half needs: dl-api to embed the query, the listings' embeddings.
pub struct Semantic<'a> {
    pub dl: Option<&'a DlClient>,
    pub index: &'a TextIndex,
}

/// Cards `offset..offset + limit + 1` of the fused ranking (one more than the page, to
/// know whether another follows); None when semantic search is not available now.
pub async fn hybrid(
    db: &Db,
    semantic: Semantic<'_>,
    text: &str,
    filter: &ListFilter,
    offset: i64,
    limit: i64,
) -> Result<Option<Vec<CardRow>>, sqlx::Error> {
    let Some(dl) = semantic.dl.filter(|_| !semantic.index.is_empty() && filter.sort == Sort::Relevance) else {
        return Ok(None);
    };
    let query = match tokio::time::timeout(EMBED_WAIT, dl.embed_texts(&[text.to_string()])).await {
        Ok(Ok(mut v)) if v.len() == 1 => v.remove(0),
        other => {
            tracing::debug!(answer = ?other.map(|r| r.map(|v| v.len())), "semantic search unavailable; lexical only");
            return Ok(None);
        }
    };
    let near = semantic.index.nearest(&query, SEMANTIC, MIN_COSINE);
    let lexical = lexical(db, &ListFilter { after: None, limit: LEXICAL, ..filter.clone() }).await?;
    // The neighbours that pass the same filters (category, price, status, seller, style).
    let semantic = products::list_cards(
        db,
        &ListFilter {
            query: None,
            boost: Default::default(),
            ids: Some(near.iter().map(|(id, _)| *id).collect()),
            after: None,
            limit: SEMANTIC as i64,
            ..filter.clone()
        },
    )
    .await?;
    let order: HashMap<Uuid, usize> = near.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut semantic: Vec<CardRow> = semantic;
    semantic.sort_by_key(|c| order.get(&c.product.id).copied().unwrap_or(usize::MAX));
    Ok(Some(fuse(lexical, semantic).into_iter().skip(offset.max(0) as usize).take(limit as usize + 1).collect()))
}

/// Reciprocal rank fusion of two rankings; ties keep the lexical order.
fn fuse(lexical: Vec<CardRow>, semantic: Vec<CardRow>) -> Vec<CardRow> {
    let mut scores: HashMap<Uuid, (f64, usize)> = HashMap::new();
    let n = lexical.len();
    for (rank, c) in lexical.iter().enumerate() {
        scores.insert(c.product.id, (1.0 / (RRF_K + rank as f64 + 1.0), rank));
    }
    for (rank, c) in semantic.iter().enumerate() {
        let e = scores.entry(c.product.id).or_insert((0.0, n + rank));
        e.0 += 1.0 / (RRF_K + rank as f64 + 1.0);
    }
    let mut all: Vec<CardRow> = lexical;
    all.extend(semantic.into_iter().filter(|c| scores[&c.product.id].1 >= n));
    all.sort_by(|a, b| {
        let (sa, ra) = scores[&a.product.id];
        let (sb, rb) = scores[&b.product.id];
        sb.total_cmp(&sa).then(ra.cmp(&rb))
    });
    all
}
