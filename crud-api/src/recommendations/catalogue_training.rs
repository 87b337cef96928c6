//! Retraining this shop's category head (`catalogue_head`) from the listings indexed now:
//! the worker runs it when the catalogue changed, admins on demand.

use std::sync::Arc;

use crate::catalogue::store::categories;
use crate::platform::db::Db;
use crate::recommendations::catalogue_head::CatalogueHead;
use crate::recommendations::index::EmbeddingIndex;
use crate::recommendations::suggest::{top_level_slugs, K};

/// Trains on a blocking thread (about a second for the largest catalogue it learns from)
/// and keeps the result in the index.
#[tracing::instrument(skip_all)]
pub async fn retrain(db: &Db, index: &Arc<EmbeddingIndex>) -> Result<Option<Arc<CatalogueHead>>, sqlx::Error> {
    let slugs = top_level_slugs(&categories::all(db).await?);
    let index = index.clone();
    let head = tokio::task::spawn_blocking(move || index.retrain_catalogue_head(&slugs, K)).await.unwrap_or(None);
    if let Some(h) = &head {
        let r = &h.report;
        tracing::info!(
            listings = h.examples(),
            held_out = r.held_out,
            accuracy = r.held_out_accuracy,
            neighbour_vote = r.neighbour_vote_accuracy,
            adopted = r.adopted,
            "catalogue category head trained"
        );
    }
    Ok(head)
}
