//! The names a product card shows instead of ids: its seller's display name and its
//! category's name, looked up for a whole page at once.

use std::collections::HashMap;

use uuid::Uuid;

use crate::catalogue::store::categories::CategoryRow;
use crate::catalogue::store::products::ProductRow;
use crate::identity::store::users;
use crate::platform::db::Db;

#[derive(Debug, Default)]
pub struct Labels {
    sellers: HashMap<Uuid, String>,
    categories: HashMap<Uuid, String>,
}

impl Labels {
    pub fn new(sellers: HashMap<Uuid, String>, categories: &[CategoryRow]) -> Self {
        Self { sellers, categories: categories.iter().map(|c| (c.id, c.name.clone())).collect() }
    }

    /// One query for a page: the sellers it names (the category tree is in memory).
    pub async fn load(db: &Db, categories: &[CategoryRow], rows: &[ProductRow]) -> Result<Self, sqlx::Error> {
        if rows.is_empty() {
            return Ok(Self::default());
        }
        let mut ids: Vec<Uuid> = rows.iter().map(|p| p.seller_id).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(Self::new(users::names(db, &ids).await?, categories))
    }

    pub fn seller(&self, id: Uuid) -> String {
        self.sellers.get(&id).cloned().unwrap_or_default()
    }

    pub fn category(&self, id: Uuid) -> String {
        self.categories.get(&id).cloned().unwrap_or_default()
    }
}
