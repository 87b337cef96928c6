//! The thumbnail a line shows beside a product's title (cart lines, order items, deliveries,
//! notifications): its first photo's 400 px rendition, looked up for a whole page at once.

use std::collections::HashMap;

use uuid::Uuid;

use crate::catalogue::http::image_urls::ImageUrls;
use crate::catalogue::store::images;
use crate::platform::db::Db;

/// Thumbnail URLs by product id; products without photos have none.
#[derive(Debug, Default)]
pub struct Thumbnails(HashMap<Uuid, String>);

impl Thumbnails {
    /// One query for every product of the page.
    pub async fn load(db: &Db, product_ids: &[Uuid], urls: &ImageUrls) -> Result<Self, sqlx::Error> {
        let mut ids = product_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut first = HashMap::new();
        // Gallery order: the first row of a product is its cover photo.
        for img in images::for_products(db, &ids).await? {
            first.entry(img.product_id).or_insert_with(|| urls.url(&img.thumb_key));
        }
        Ok(Self(first))
    }

    pub fn get(&self, product_id: Uuid) -> Option<String> {
        self.0.get(&product_id).cloned()
    }
}
