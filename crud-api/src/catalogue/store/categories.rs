//! The category tree.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub name_en: String,
    pub position: i32,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, parent_id, slug, name, name_en, position, created_at";

/// (slug, 한국어, English)
type Names = (&'static str, &'static str, &'static str);

/// The default tree, seeded into an empty database: (slug, 한국어, English, children).
const DEFAULT_TREE: &[(&str, &str, &str, &[Names])] = &[
    ("sofa", "소파", "Sofas", &[("sofa-bed", "소파베드", "Sofa beds"), ("armchair", "1인 소파", "Armchairs")]),
    (
        "chair",
        "의자",
        "Chairs",
        &[("office-chair", "사무용 의자", "Office chairs"), ("dining-chair", "식탁 의자", "Dining chairs")],
    ),
    (
        "table",
        "테이블",
        "Tables",
        &[("dining-table", "식탁", "Dining tables"), ("coffee-table", "거실 테이블", "Coffee tables")],
    ),
    ("bed", "침대", "Beds", &[("bed-frame", "침대 프레임", "Bed frames"), ("mattress", "매트리스", "Mattresses")]),
    (
        "storage",
        "수납가구",
        "Storage",
        &[
            ("wardrobe", "옷장", "Wardrobes"),
            ("bookcase", "책장", "Bookcases"),
            ("drawer", "서랍장", "Chests of drawers"),
        ],
    ),
    ("desk", "책상", "Desks", &[]),
    ("lighting", "조명", "Lighting", &[]),
    ("decor", "소품", "Decor", &[]),
];

#[tracing::instrument(skip_all)]
pub async fn all(db: &Db) -> Result<Vec<CategoryRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM categories ORDER BY position, slug");
    on_db!(db, |pool| sqlx::query_as::<_, CategoryRow>(&sql).fetch_all(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<CategoryRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM categories WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, CategoryRow>(&sql).bind(id).fetch_optional(pool).await)
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    parent_id: Option<Uuid>,
    slug: &str,
    name: &str,
    name_en: &str,
    position: i32,
) -> Result<CategoryRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO categories (id, parent_id, slug, name, name_en, position, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, CategoryRow>(&sql)
        .bind(Uuid::now_v7())
        .bind(parent_id)
        .bind(slug)
        .bind(name)
        .bind(name_en)
        .bind(position)
        .bind(Utc::now())
        .fetch_one(pool)
        .await)
}

#[tracing::instrument(skip_all)]
pub async fn update(db: &Db, c: &CategoryRow) -> Result<Option<CategoryRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE categories SET parent_id = $2, slug = $3, name = $4, name_en = $5, position = $6 \
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, CategoryRow>(&sql)
        .bind(c.id)
        .bind(c.parent_id)
        .bind(&c.slug)
        .bind(&c.name)
        .bind(&c.name_en)
        .bind(c.position)
        .fetch_optional(pool)
        .await)
}

/// Deletes a leaf category with no products. Returns false when it does not exist.
#[tracing::instrument(skip_all)]
pub async fn delete(db: &Db, id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM categories WHERE id = $1";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(id).execute(pool).await?.rows_affected()) == 1)
}

/// How many children and (not deleted) products a category has.
#[tracing::instrument(skip_all)]
pub async fn usage(db: &Db, id: Uuid) -> Result<(i64, i64), sqlx::Error> {
    let sql = "SELECT (SELECT COUNT(*) FROM categories WHERE parent_id = $1), \
                      (SELECT COUNT(*) FROM products WHERE category_id = $1)";
    on_db!(db, |pool| sqlx::query_as::<_, (i64, i64)>(sql).bind(id).fetch_one(pool).await)
}

/// Seeds the default tree when there are no categories yet (a fresh database).
#[tracing::instrument(skip_all)]
pub async fn seed_defaults(db: &Db) -> Result<bool, sqlx::Error> {
    if !all(db).await?.is_empty() {
        return Ok(false);
    }
    for (i, (slug, name, name_en, children)) in DEFAULT_TREE.iter().enumerate() {
        let parent = insert(db, None, slug, name, name_en, i as i32).await?;
        for (j, (slug, name, name_en)) in children.iter().enumerate() {
            insert(db, Some(parent.id), slug, name, name_en, j as i32).await?;
        }
    }
    Ok(true)
}

/// `root` and every category below it.
/// What a listing in category `id` is found by: the names (Korean and English) of the
/// category and every category above it, so "storage" finds a wardrobe and "의자" an office
/// chair. None when `id` is not in `all`.
pub fn lineage_words(all: &[CategoryRow], id: Uuid) -> Option<String> {
    let mut c = all.iter().find(|c| c.id == id)?;
    let mut words = vec![c.name.as_str(), c.name_en.as_str()];
    // Bounded like `descendants`: a corrupted (cyclic) tree still ends.
    for _ in 0..all.len() {
        match c.parent_id.and_then(|p| all.iter().find(|x| x.id == p)) {
            Some(parent) => {
                words.extend([parent.name.as_str(), parent.name_en.as_str()]);
                c = parent;
            }
            None => break,
        }
    }
    Some(words.join(" "))
}

pub fn descendants(all: &[CategoryRow], root: Uuid) -> Vec<Uuid> {
    let mut out = vec![root];
    let mut i = 0;
    // Bounded by the number of categories, so even a corrupted (cyclic) tree terminates.
    while i < out.len() && out.len() <= all.len() {
        let parent = out[i];
        out.extend(all.iter().filter(|c| c.parent_id == Some(parent)).map(|c| c.id));
        i += 1;
    }
    out
}
