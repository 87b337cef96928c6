//! Cleans photos stored before uploads were re-encoded: each such photo (a row with
//! `sanitized` false — every row from before migration 0006) is re-rendered from its pixels,
//! upright and without EXIF/XMP/IPTC, the row is pointed at the clean files, and the old files
//! are deleted once no row names them. Runs at start-up on every replica; the conditional
//! update lets one replica win each photo and the others skip it.

use crate::catalogue::media::image_store::{display_key_of, ImageStore};
use crate::catalogue::media::images::{self, ImageLimits};
use crate::catalogue::store::images::{self as image_rows, ImageRow};
use crate::platform::db::Db;

/// Photos handled per database round-trip.
const BATCH: i64 = 50;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    /// Re-rendered and re-pointed.
    pub cleaned: usize,
    /// File missing or undecodable: the old file (if any) removed, nothing served any more.
    pub removed: usize,
    /// Clean photos given the display rendition they were stored without.
    pub rendered: usize,
}

/// Cleans every unsanitized photo; returns what it did. Errors end the pass (the next start-up
/// picks up where it stopped).
#[tracing::instrument(skip_all)]
pub async fn clean_stored_photos(db: &Db, store: &ImageStore, limits: ImageLimits) -> anyhow::Result<Cleaned> {
    let mut done = Cleaned::default();
    let mut skipped = std::collections::BTreeSet::new();
    loop {
        let rows = image_rows::unsanitized(db, BATCH + skipped.len() as i64).await?;
        let rows: Vec<ImageRow> = rows.into_iter().filter(|r| !skipped.contains(&r.id)).collect();
        if rows.is_empty() {
            break;
        }
        for row in rows {
            match clean_one(db, store, limits, &row).await? {
                Some(true) => done.cleaned += 1,
                Some(false) => done.removed += 1,
                // Another replica got there first; don't ask for it again.
                None => {
                    skipped.insert(row.id);
                }
            }
        }
    }
    if done != Cleaned::default() {
        tracing::info!(cleaned = done.cleaned, removed = done.removed, "stored photos stripped of metadata");
    }
    let rendered = render_missing_displays(db, store).await?;
    if rendered > 0 {
        tracing::info!(rendered, "display renditions made for older photos");
    }
    Ok(Cleaned { rendered, ..done })
}

/// Gives every clean photo stored before display renditions existed its 1200 px rendition,
/// made from the stored photo (already upright and clean). Every replica may render the same
/// photo at once: the key and bytes are the same, so the last write changes nothing.
async fn render_missing_displays(db: &Db, store: &ImageStore) -> anyhow::Result<usize> {
    let mut rendered = 0;
    let mut skipped = std::collections::BTreeSet::new();
    loop {
        let rows = image_rows::without_display(db, BATCH + skipped.len() as i64).await?;
        let rows: Vec<ImageRow> = rows.into_iter().filter(|r| !skipped.contains(&r.id)).collect();
        if rows.is_empty() {
            return Ok(rendered);
        }
        for row in rows {
            let display = match store.get(&row.image_key).await? {
                Some(bytes) => tokio::task::spawn_blocking(move || images::display_from_stored(&bytes)).await?.ok(),
                None => None,
            };
            let Some(display) = display else {
                // Missing or unreadable: the photo itself is served as it is; try again next start.
                skipped.insert(row.id);
                continue;
            };
            let key = display_key_of(&row.image_key);
            store.put(&key, &display).await?;
            image_rows::set_display(db, row.id, &key).await?;
            rendered += 1;
        }
    }
}

/// Some(true): cleaned; Some(false): nothing cleanable, old file removed; None: lost the race.
async fn clean_one(db: &Db, store: &ImageStore, limits: ImageLimits, row: &ImageRow) -> anyhow::Result<Option<bool>> {
    let Some(bytes) = store.get(&row.image_key).await? else {
        image_rows::mark_sanitized(db, row.id).await?;
        return Ok(Some(false));
    };
    // Photos accepted before the minimum size existed stay: cleaning must not delete them.
    let limits = ImageLimits { min_side: 1, ..limits };
    let processed = tokio::task::spawn_blocking(move || images::process(&bytes, limits)).await?;
    let img = match processed {
        Ok(img) => img,
        Err(e) => {
            // It can't be re-rendered, so it can't be served safely: it goes.
            tracing::warn!(image = %row.id, error = %e, "stored photo could not be cleaned; removing it");
            image_rows::mark_sanitized(db, row.id).await?;
            store.remove(&row.image_key).await?;
            return Ok(Some(false));
        }
    };
    let keys = store.put_processed(&img).await?;
    let clean = img.row(row.product_id, &keys);
    if !image_rows::replace_with_clean(db, row.id, &row.image_key, &clean).await? {
        return Ok(None);
    }
    for old in [&row.image_key, &row.thumb_key] {
        if *old != keys.image && *old != keys.thumb {
            remove_if_unused(db, store, old).await?;
        }
    }
    Ok(Some(true))
}

async fn remove_if_unused(db: &Db, store: &ImageStore, key: &str) -> anyhow::Result<()> {
    if !image_rows::key_in_use(db, key).await? {
        store.remove(key).await?;
    }
    Ok(())
}
