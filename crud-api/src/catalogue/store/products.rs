//! Products: listings with stock (available / reserved / sold) and a search index.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bind_args;
use crate::catalogue::listing::{Condition, ProductStatus};
use crate::catalogue::ranking::Boost;
use crate::catalogue::search;
use crate::on_db;
use crate::platform::args::{Arg, Args};
use crate::platform::db::Db;

/// Counts committed writes to listings and their stock made by this process: in-memory copies
/// of the catalogue (the recommendation candidates) compare it to know their copy is behind.
/// Process-wide rather than per database: a bump only ever costs a copy an early reload.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// The number of listing writes this process has committed so far.
pub fn writes() -> u64 {
    WRITES.load(Ordering::Acquire)
}

/// Called after a commit that changed a listing or its stock.
pub fn wrote() {
    WRITES.fetch_add(1, Ordering::AcqRel);
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub category_id: Uuid,
    pub title: String,
    pub description: String,
    pub price: i64,
    pub condition: Condition,
    pub width_cm: Option<i32>,
    pub depth_cm: Option<i32>,
    pub height_cm: Option<i32>,
    pub weight_kg: Option<i32>,
    pub quantity: i32,
    pub available: i32,
    pub reserved: i32,
    pub sold: i32,
    pub hidden: bool,
    /// JSON array of lower-case tags.
    pub style_tags: String,
    pub area: String,
    pub status: ProductStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const COLUMNS: &str = "p.id, p.seller_id, p.category_id, p.title, p.description, p.price, p.condition, \
    p.width_cm, p.depth_cm, p.height_cm, p.weight_kg, p.quantity, p.available, p.reserved, p.sold, p.hidden, \
    p.style_tags, p.area, p.status, p.created_at, p.updated_at";

/// `COLUMNS` without the table alias, for `RETURNING`.
fn returning() -> String {
    COLUMNS.replace("p.", "")
}

/// The editable fields of a listing.
#[derive(Debug, Clone)]
pub struct Listing {
    pub category_id: Uuid,
    pub title: String,
    pub description: String,
    pub price: i64,
    pub condition: Condition,
    pub width_cm: Option<i32>,
    pub depth_cm: Option<i32>,
    pub height_cm: Option<i32>,
    pub weight_kg: Option<i32>,
    pub quantity: i32,
    pub style_tags: Vec<String>,
    pub area: String,
}

impl Listing {
    fn search_terms(&self, category: &str) -> String {
        let tags = self.style_tags.join(" ");
        search::index_terms(&[&self.title, &self.description, &tags, &self.area, category])
    }
}

/// Binds a listing's columns in the order both `insert` and `update` list them: category,
/// title, description, price, condition, the four sizes, quantity, tags, area, search terms.
/// (A macro: the query's backend is only concrete inside `on_db!`.)
macro_rules! bind_listing {
    ($q:expr, $l:expr, $terms:expr) => {
        $q.bind($l.category_id)
            .bind(&$l.title)
            .bind(&$l.description)
            .bind($l.price)
            .bind($l.condition)
            .bind($l.width_cm)
            .bind($l.depth_cm)
            .bind($l.height_cm)
            .bind($l.weight_kg)
            .bind($l.quantity)
            .bind(tags_json(&$l.style_tags))
            .bind(&$l.area)
            .bind($terms)
    };
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("strings serialise")
}

#[tracing::instrument(skip_all)]
pub async fn insert(db: &Db, seller_id: Uuid, l: &Listing, category_words: &str) -> Result<ProductRow, sqlx::Error> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let terms = l.search_terms(category_words);
    let sql = format!(
        "INSERT INTO products (id, seller_id, category_id, title, description, price, condition, width_cm, depth_cm, \
         height_cm, weight_kg, quantity, available, style_tags, area, search_terms, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $16) RETURNING {}",
        returning()
    );
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row = bind_listing!(sqlx::query_as::<_, ProductRow>(&sql).bind(id).bind(seller_id), l, &terms)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        if matches!(db, Db::Sqlite(_)) {
            sqlx::query("INSERT INTO product_search (rowid, terms) SELECT rowid, $2 FROM products WHERE id = $1")
                .bind(id)
                .bind(&terms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        wrote();
        Ok(row)
    })
}

/// A product that is not deleted.
#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<ProductRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1 AND NOT p.deleted");
    on_db!(db, |pool| sqlx::query_as::<_, ProductRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// A seller's listings by public status: (on sale or reserved, sold). Hidden ones are not told.
#[tracing::instrument(skip_all)]
pub async fn seller_counts(db: &Db, seller_id: Uuid) -> Result<(i64, i64), sqlx::Error> {
    let sql = "SELECT COALESCE(SUM(CASE WHEN status IN ($2, $3) THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN status = $4 THEN 1 ELSE 0 END), 0) FROM products WHERE seller_id = $1";
    on_db!(db, |pool| sqlx::query_as::<_, (i64, i64)>(sql)
        .bind(seller_id)
        .bind(ProductStatus::OnSale.as_str())
        .bind(ProductStatus::Reserved.as_str())
        .bind(ProductStatus::Sold.as_str())
        .fetch_one(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<ProductRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::default();
    let list: Vec<String> = ids.iter().map(|id| args.push(Arg::Uuid(*id))).collect();
    let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id IN ({}) AND NOT p.deleted", list.join(", "));
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, ProductRow>(&sql), args.0).fetch_all(pool).await)
}

pub enum UpdateOutcome {
    Updated(Box<ProductRow>),
    NotFound,
    /// The new quantity is below what is already reserved or sold.
    QuantityBelowCommitted,
}

/// Saves edited fields. A quantity change moves `available` by the same amount, and fails
/// rather than drop below what is reserved or sold.
#[tracing::instrument(skip_all)]
pub async fn update(
    db: &Db,
    id: Uuid,
    l: &Listing,
    hidden: bool,
    category_words: &str,
) -> Result<UpdateOutcome, sqlx::Error> {
    let terms = l.search_terms(category_words);
    let sql = format!(
        "UPDATE products SET category_id = $2, title = $3, description = $4, price = $5, condition = $6, \
         width_cm = $7, depth_cm = $8, height_cm = $9, weight_kg = $10, \
         available = available + ($11 - quantity), quantity = $11, style_tags = $12, area = $13, \
         search_terms = $14, hidden = $15, updated_at = $16 \
         WHERE id = $1 AND NOT deleted AND available + ($11 - quantity) >= 0 RETURNING {}",
        returning()
    );
    let row = on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row = bind_listing!(sqlx::query_as::<_, ProductRow>(&sql).bind(id), l, &terms)
            .bind(hidden)
            .bind(Utc::now())
            .fetch_optional(&mut *tx)
            .await?;
        if row.is_some() && matches!(db, Db::Sqlite(_)) {
            sqlx::query(
                "UPDATE product_search SET terms = $2 WHERE rowid = (SELECT rowid FROM products WHERE id = $1)",
            )
            .bind(id)
            .bind(&terms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        wrote();
        row
    });
    Ok(match row {
        Some(r) => UpdateOutcome::Updated(Box::new(r)),
        None if by_id(db, id).await?.is_some() => UpdateOutcome::QuantityBelowCommitted,
        None => UpdateOutcome::NotFound,
    })
}

/// Soft-deletes a listing (orders keep pointing at it). False when it has reservations.
#[tracing::instrument(skip_all)]
pub async fn soft_delete(db: &Db, id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE products SET deleted = $2, updated_at = $3 WHERE id = $1 AND reserved = 0 AND NOT deleted";
    let n =
        on_db!(db, |pool| sqlx::query(sql).bind(id).bind(true).bind(Utc::now()).execute(pool).await?.rows_affected());
    wrote();
    Ok(n == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum After {
    /// Keyset position: the last row's price (for price sorts) and id.
    Key { price: i64, id: Uuid },
    /// Rows already returned (relevance order has no stable key).
    Offset(i64),
}

#[derive(Debug, Clone)]
pub struct ListFilter {
    pub categories: Option<Vec<Uuid>>,
    pub query: Option<search::Query>,
    /// What ranks first among the query's matches (`ranking`); empty without a query.
    pub boost: Boost,
    /// Only these listings (the semantic half of a search, `catalogue::semantic`).
    pub ids: Option<Vec<Uuid>>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub statuses: Vec<ProductStatus>,
    pub seller: Option<Uuid>,
    pub style: Option<String>,
    pub sort: Sort,
    pub after: Option<After>,
    pub limit: i64,
}

/// A listing page's card: the product with its seller's name and its cover photo's thumbnail,
/// read in the page's one query (a page took three queries for them before).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardRow {
    #[sqlx(flatten)]
    pub product: ProductRow,
    pub seller_name: String,
    pub cover_thumb: Option<String>,
}

/// What `CardRow` adds to `COLUMNS`. Scalar subqueries rather than joins: both databases run
/// them for the page's rows only, after the limit, each one index lookup.
const CARD_COLUMNS: &str = "COALESCE((SELECT u.name FROM users u WHERE u.id = p.seller_id), '') AS seller_name, \
    (SELECT i.thumb_key FROM product_images i WHERE i.product_id = p.id ORDER BY i.position LIMIT 1) AS cover_thumb";

/// One page of products; fetches `limit + 1` rows so the caller knows whether more follow.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db, f: &ListFilter) -> Result<Vec<ProductRow>, sqlx::Error> {
    let (sql, args) = list_sql(db, f, COLUMNS);
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, ProductRow>(&sql), args.0).fetch_all(pool).await)
}

/// As `list`, with what a listing card shows.
#[tracing::instrument(skip_all)]
pub async fn list_cards(db: &Db, f: &ListFilter) -> Result<Vec<CardRow>, sqlx::Error> {
    let (sql, args) = list_sql(db, f, &format!("{COLUMNS}, {CARD_COLUMNS}"));
    on_db!(db, |pool| bind_args!(sqlx::query_as::<_, CardRow>(&sql), args.0).fetch_all(pool).await)
}

/// Sort keys before the index's rank: in a category the query names first, then more of its
/// words in the title (`ranking::Boost`).
fn boost_keys(db: &Db, boost: &Boost, args: &mut Args) -> Vec<String> {
    let mut keys = Vec::new();
    if !boost.categories.is_empty() {
        let list: Vec<String> = boost.categories.iter().map(|c| args.push(Arg::Uuid(*c))).collect();
        keys.push(format!("CASE WHEN p.category_id IN ({}) THEN 0 ELSE 1 END", list.join(", ")));
    }
    if !boost.title_words.is_empty() {
        let find = match db {
            Db::Sqlite(_) => "instr",
            Db::Postgres(_) => "strpos",
        };
        let misses: Vec<String> = boost
            .title_words
            .iter()
            .map(|w| {
                let ph = args.push(Arg::Text(w.clone()));
                format!("CASE WHEN {find}(lower(p.title), {ph}) > 0 THEN 0 ELSE 1 END")
            })
            .collect();
        keys.push(format!("({})", misses.join(" + ")));
    }
    keys
}

/// The page query selecting `columns`, and its arguments.
fn list_sql(db: &Db, f: &ListFilter, columns: &str) -> (String, Args) {
    let mut args = Args::default();
    let mut from = "products p".to_string();
    let mut wh = vec!["NOT p.deleted".to_string()];
    let mut rank = None;
    if let Some(q) = &f.query {
        match db {
            Db::Sqlite(_) => {
                from.push_str(" JOIN product_search ON product_search.rowid = p.rowid");
                wh.push(format!("product_search MATCH {}", args.push(Arg::Text(q.fts5()))));
                rank = Some("bm25(product_search) ASC".to_string());
            }
            Db::Postgres(_) => {
                let ph = args.push(Arg::Text(q.tsquery()));
                // Stored by the database from search_terms (migration 0012).
                let vector = "p.search_vector";
                wh.push(format!("{vector} @@ {ph}::tsquery"));
                rank = Some(format!("ts_rank({vector}, {ph}::tsquery) DESC"));
            }
        }
    }
    if let Some(cats) = &f.categories {
        let list: Vec<String> = cats.iter().map(|c| args.push(Arg::Uuid(*c))).collect();
        wh.push(format!("p.category_id IN ({})", list.join(", ")));
    }
    if let Some(ids) = &f.ids {
        let list: Vec<String> = ids.iter().map(|id| args.push(Arg::Uuid(*id))).collect();
        wh.push(if list.is_empty() { "1 = 0".to_string() } else { format!("p.id IN ({})", list.join(", ")) });
    }
    if let Some(min) = f.min_price {
        wh.push(format!("p.price >= {}", args.push(Arg::Int(min))));
    }
    if let Some(max) = f.max_price {
        wh.push(format!("p.price <= {}", args.push(Arg::Int(max))));
    }
    if !f.statuses.is_empty() {
        let list: Vec<String> = f.statuses.iter().map(|s| args.push(Arg::Text(s.as_str().to_string()))).collect();
        wh.push(format!("p.status IN ({})", list.join(", ")));
    }
    if let Some(seller) = f.seller {
        wh.push(format!("p.seller_id = {}", args.push(Arg::Uuid(seller))));
    }
    if let Some(style) = &f.style {
        // Tags are stored as a JSON array of lower-case [a-z0-9가-힣-] words: an exact element match.
        wh.push(format!("p.style_tags LIKE {}", args.push(Arg::Text(format!("%\"{style}\"%")))));
    }
    let mut offset = 0;
    match (&f.after, f.sort) {
        (Some(After::Offset(n)), _) => offset = *n,
        (Some(After::Key { id, .. }), Sort::Newest | Sort::Relevance) => {
            wh.push(format!("p.id < {}", args.push(Arg::Uuid(*id))));
        }
        (Some(After::Key { price, id }), Sort::PriceAsc) => {
            let (p, i) = (args.push(Arg::Int(*price)), args.push(Arg::Uuid(*id)));
            wh.push(format!("(p.price > {p} OR (p.price = {p} AND p.id > {i}))"));
        }
        (Some(After::Key { price, id }), Sort::PriceDesc) => {
            let (p, i) = (args.push(Arg::Int(*price)), args.push(Arg::Uuid(*id)));
            wh.push(format!("(p.price < {p} OR (p.price = {p} AND p.id < {i}))"));
        }
        (None, _) => {}
    }
    let order = match f.sort {
        Sort::Relevance => {
            let mut keys = boost_keys(db, &f.boost, &mut args);
            keys.push(rank.unwrap_or_else(|| "p.id DESC".into()));
            format!("{}, p.id DESC", keys.join(", "))
        }
        Sort::Newest => "p.id DESC".into(),
        Sort::PriceAsc => "p.price ASC, p.id ASC".into(),
        Sort::PriceDesc => "p.price DESC, p.id DESC".into(),
    };
    let limit = args.push(Arg::Int(f.limit + 1));
    let off = args.push(Arg::Int(offset));
    let sql =
        format!("SELECT {columns} FROM {from} WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {off}", wh.join(" AND "));
    (sql, args)
}
