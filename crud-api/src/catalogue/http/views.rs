//! Product bodies: list items, details, images, pages.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalogue::http::image_urls::ImageUrls;
use crate::catalogue::http::labels::Labels;
pub use crate::catalogue::listing::ProductStatus;
use crate::catalogue::listing::{Condition, Dimensions};
use crate::catalogue::store::categories::CategoryRow;
use crate::catalogue::store::images::ImageRow;
use crate::catalogue::store::products::{CardRow, ProductRow};
use crate::identity::store::users::UserRow;

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    pub id: Uuid,
    /// Full image. Every image URL is absolute — this API's `PUBLIC_BASE_URL/api/v1/images/{key}`,
    /// or the photo host's (`IMAGE_BASE_URL/{key}`): use it as it is in `<img src>`.
    #[schema(example = "https://api.gajyeogagu.example/api/v1/images/3f5a…e1.jpg")]
    pub url: String,
    /// JPEG thumbnail, longest side 400 px: list cards.
    #[schema(example = "https://api.gajyeogagu.example/api/v1/images/3f5a…e1.thumb.jpg")]
    pub thumbnail_url: String,
    /// JPEG, longest side at most 1200 px: a detail page (the full image for photos stored
    /// before this rendition existed, until the start-up job has made theirs).
    pub display_url: String,
    /// Of the full image, upright (EXIF orientation applied).
    pub content_type: String,
    pub width: i32,
    pub height: i32,
}

impl ImageView {
    pub fn new(i: &ImageRow, urls: &ImageUrls) -> Self {
        Self {
            id: i.id,
            url: urls.url(&i.image_key),
            thumbnail_url: urls.url(&i.thumb_key),
            display_url: urls.url(i.display_key.as_deref().unwrap_or(&i.image_key)),
            content_type: i.content_type.clone(),
            width: i.width,
            height: i.height,
        }
    }
}

/// A product in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: Uuid,
    #[schema(example = "이케아 3인용 가죽소파")]
    pub title: String,
    /// KRW.
    #[schema(example = 150000)]
    pub price: i64,
    pub status: ProductStatus,
    pub condition: Condition,
    #[schema(example = "마포구")]
    pub area: String,
    pub style_tags: Vec<String>,
    pub category_id: Uuid,
    #[schema(example = "소파")]
    pub category_name: String,
    pub seller_id: Uuid,
    /// The seller's display name (`GET /api/v1/sellers/{seller_id}` has the profile).
    #[schema(example = "김민수")]
    pub seller_name: String,
    /// The cover photo's 400 px rendition.
    pub thumbnail_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn tags(p: &ProductRow) -> Vec<String> {
    serde_json::from_str(&p.style_tags).unwrap_or_default()
}

pub fn summary(p: &ProductRow, cover_thumb: Option<&str>, labels: &Labels, urls: &ImageUrls) -> ProductSummary {
    ProductSummary {
        id: p.id,
        title: p.title.clone(),
        price: p.price,
        status: p.status,
        condition: p.condition,
        area: p.area.clone(),
        style_tags: tags(p),
        category_id: p.category_id,
        category_name: labels.category(p.category_id),
        seller_id: p.seller_id,
        seller_name: labels.seller(p.seller_id),
        thumbnail_url: cover_thumb.map(|key| urls.url(key)),
        created_at: p.created_at,
    }
}

/// Summaries with their first image, in the given order.
pub fn cards(cards: &[CardRow], categories: &[CategoryRow], urls: &ImageUrls) -> Vec<ProductSummary> {
    let labels = Labels::new(cards.iter().map(|c| (c.product.seller_id, c.seller_name.clone())).collect(), categories);
    cards.iter().map(|c| summary(&c.product, c.cover_thumb.as_deref(), &labels, urls)).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SellerSummary {
    pub id: Uuid,
    #[schema(example = "김민수")]
    pub name: String,
    pub member_since: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    #[schema(example = "sofa")]
    pub slug: String,
    #[schema(example = "소파")]
    pub name: String,
}

/// A product with everything a detail page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDetail {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// KRW.
    pub price: i64,
    pub status: ProductStatus,
    pub condition: Condition,
    pub dimensions: Dimensions,
    pub weight_kg: Option<i32>,
    /// Units listed in total.
    pub quantity: i32,
    /// Units that can still be bought.
    pub available: i32,
    pub style_tags: Vec<String>,
    pub area: String,
    pub category: CategoryRef,
    pub seller: SellerSummary,
    pub images: Vec<ImageView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn detail(
    p: &ProductRow,
    category: &CategoryRow,
    seller: &UserRow,
    images: &[ImageRow],
    urls: &ImageUrls,
) -> ProductDetail {
    ProductDetail {
        id: p.id,
        title: p.title.clone(),
        description: p.description.clone(),
        price: p.price,
        status: p.status,
        condition: p.condition,
        dimensions: Dimensions { width_cm: p.width_cm, depth_cm: p.depth_cm, height_cm: p.height_cm },
        weight_kg: p.weight_kg,
        quantity: p.quantity,
        available: p.available,
        style_tags: tags(p),
        area: p.area.clone(),
        category: CategoryRef { id: category.id, slug: category.slug.clone(), name: category.name.clone() },
        seller: SellerSummary { id: seller.id, name: seller.name.clone(), member_since: seller.created_at },
        images: images.iter().map(|i| ImageView::new(i, urls)).collect(),
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// One page of a cursor-paginated list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
