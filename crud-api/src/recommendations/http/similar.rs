//! Recommendations ranked by the tenant's recommendation strategy (Wasm plugin or built-in).
//!
//! Candidates come from the catalogue's features (category, price, age, distance, style tags),
//! plus visual similarity (cosine of dl-api image embeddings) wherever photos were analysed.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use plugin_strategies as s;

use crate::cart::store as cart;
use crate::catalogue::http::labels::Labels;
use crate::catalogue::http::views::{self as product_views, ProductSummary};
use crate::catalogue::listing::ProductStatus;
use crate::catalogue::store::images;
use crate::catalogue::store::products::{self, ProductRow};
use crate::delivery::areas;
use crate::http::extract::{ApiPath, ApiQuery, AuthUser};
use crate::identity::store::users;
use crate::orders::store as orders;
use crate::payments::http::views::StrategyInfo;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::recommendations::candidates::MAX_CANDIDATES;
use crate::recommendations::store::signals;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendation {
    pub product: ProductSummary,
    pub score: f64,
    /// Visual similarity to the reference photo or product (cosine, −1–1), when both have
    /// analysed photos.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// Why, for the UI: e.g. "비슷한 스타일".
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationPage {
    pub items: Vec<Recommendation>,
    pub strategy: StrategyInfo,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecommendationQuery {
    /// 1 to 50, default 20.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

pub(crate) fn limit(q: &RecommendationQuery, default: u32) -> ApiResult<u32> {
    let l = q.limit.unwrap_or(default);
    if !(1..=50).contains(&l) {
        return Err(ApiError::field("limit", "must be 1 to 50"));
    }
    Ok(l)
}

fn candidate(
    p: &ProductRow,
    slugs: &BTreeMap<Uuid, String>,
    from: Option<(f64, f64)>,
    similarity: Option<f32>,
    popularity: f64,
) -> s::Candidate {
    s::Candidate {
        id: p.id.to_string(),
        category: slugs.get(&p.category_id).cloned().unwrap_or_default(),
        price: p.price,
        age_days: (chrono::Utc::now() - p.created_at).num_days().max(0) as u32,
        popularity,
        similarity: similarity.map(f64::from),
        distance_km: from.zip(areas::centre(&p.area)).map(|(a, b)| areas::distance_km(a, b)),
        style_tags: product_views::tags(p),
    }
}

/// Ranks `rows` with the tenant's strategy; `popularity` and `similarity` (visual) by product.
/// The page shows the ranked listings as they are now, those still on sale.
pub(crate) async fn rank(
    state: &AppState,
    ctx: s::Context,
    rows: Vec<&ProductRow>,
    popularity: &HashMap<Uuid, f64>,
    from: Option<(f64, f64)>,
    similarity: &HashMap<Uuid, f32>,
) -> ApiResult<RecommendationPage> {
    let categories = state.categories.all().await?;
    let slugs: BTreeMap<Uuid, String> = categories.iter().map(|c| (c.id, c.slug.clone())).collect();
    let cands: Vec<s::Candidate> = rows
        .iter()
        .map(|p| {
            let pop = popularity.get(&p.id).copied().unwrap_or(0.0);
            candidate(p, &slugs, from, similarity.get(&p.id).copied(), pop)
        })
        .collect();
    let registry = state.plugins.clone();
    let outcome = tokio::task::spawn_blocking(move || registry.rank(&ctx, &cands))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|e| ApiError::StrategyUnavailable(format!("recommendation ({})", e.kind())))?;
    let ranked_ids: Vec<Uuid> = outcome.value.iter().filter_map(|r| r.id.parse().ok()).collect();
    // Candidates may be a second old (recommendations::candidates): what the page shows is read
    // afresh, and a listing sold or hidden meanwhile is left out.
    let shown: Vec<ProductRow> = products::by_ids(&state.db, &ranked_ids)
        .await?
        .into_iter()
        .filter(|p| p.status == ProductStatus::OnSale)
        .collect();
    let imgs = images::for_products(&state.db, &ranked_ids).await?;
    // Names for the page only, not for every candidate.
    let labels = Labels::load(&state.db, &categories, &shown).await?;
    let items = outcome
        .value
        .iter()
        .filter_map(|r| {
            let p = shown.iter().find(|p| p.id.to_string() == r.id)?;
            let first = imgs.iter().find(|i| i.product_id == p.id);
            Some(Recommendation {
                product: product_views::summary(p, first.map(|i| i.thumb_key.as_str()), &labels, &state.image_urls),
                score: r.score,
                similarity: similarity.get(&p.id).copied(),
                reason: r.reason.clone(),
            })
        })
        .collect();
    Ok(RecommendationPage {
        items,
        strategy: StrategyInfo {
            plugin_digest: outcome.digest,
            fallback_reason: outcome.fallback_reason.map(|e| e.kind().to_string()),
        },
    })
}

/// Recommended for you
///
/// Candidates from the catalogue, ranked by the tenant's recommendation strategy using your
/// cart, purchases and the styles of what you bought, nearest first among equals.
#[utoipa::path(get, path = "/api/v1/recommendations", operation_id = "recommendations", tag = "catalogue",
    security(("bearer" = [])), params(RecommendationQuery),
    responses(
        (status = 200, description = "Ranked products", body = RecommendationPage),
        (status = 503, description = "The strategy failed and fails closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn for_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<RecommendationQuery>,
) -> ApiResult<Json<RecommendationPage>> {
    let limit = limit(&q, 20)?;
    let me = users::by_id(&state.db, user.id).await?.ok_or(ApiError::InvalidToken("user no longer exists"))?;
    let slugs: BTreeMap<Uuid, String> = state.categories.all().await?.iter().map(|c| (c.id, c.slug.clone())).collect();
    // What the user buys and wants: purchases (orders as buyer), and the cart.
    let bought = orders::for_user(&state.db, user.id, None, 50).await?;
    let bought_ids: Vec<Uuid> =
        orders::items(&state.db, &bought.iter().filter(|o| o.buyer_id == user.id).map(|o| o.id).collect::<Vec<_>>())
            .await?
            .iter()
            .map(|i| i.product_id)
            .collect();
    let cart_ids: Vec<Uuid> = cart::lines(&state.db, user.id).await?.iter().map(|l| l.product_id).collect();
    let known = products::by_ids(&state.db, &[bought_ids.clone(), cart_ids.clone()].concat()).await?;
    let cat_of = |ids: &[Uuid]| -> Vec<String> {
        let mut v: Vec<String> =
            known.iter().filter(|p| ids.contains(&p.id)).filter_map(|p| slugs.get(&p.category_id).cloned()).collect();
        v.dedup();
        v
    };
    let mut styles: Vec<String> = known.iter().flat_map(product_views::tags).collect();
    styles.sort();
    styles.dedup();
    let prices: Vec<i64> = known.iter().map(|p| p.price).collect();
    let ctx = s::Context {
        user_id: Some(user.id.to_string()),
        recent_categories: signals::recent_category_ids(&state.db, user.id, 20)
            .await?
            .iter()
            .filter_map(|c| slugs.get(c).cloned())
            .collect(),
        cart_categories: cat_of(&cart_ids),
        purchased_categories: cat_of(&bought_ids),
        style_preferences: styles,
        price_low: prices.iter().min().map(|p| p / 2),
        price_high: prices.iter().max().map(|p| p * 2),
        limit,
        now: state.plugins.clock().now(),
    };
    let home = serde_json::from_str::<Vec<crate::identity::profile::Address>>(&me.addresses)
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.is_default)
        .and_then(|a| areas::centre(&a.area));
    let candidates = state.candidates.get(&state.db).await?;
    let rows: Vec<&ProductRow> =
        candidates.rows.iter().filter(|p| p.seller_id != user.id && !cart_ids.contains(&p.id)).collect();
    Ok(Json(rank(&state, ctx, rows, &candidates.popularity, home, &HashMap::new()).await?))
}

/// Similar items
///
/// Products like this one, ranked by the tenant's recommendation strategy: visual similarity
/// of analysed photos (dl-api embeddings) where both have them, else style tags, category and
/// price range.
#[utoipa::path(get, path = "/api/v1/products/{id}/similar", operation_id = "similar_products", tag = "catalogue",
    params(("id" = Uuid, Path), RecommendationQuery),
    responses(
        (status = 200, description = "Ranked products", body = RecommendationPage),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn similar(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<RecommendationQuery>,
) -> ApiResult<Json<RecommendationPage>> {
    let limit = limit(&q, 10)?;
    let p = products::by_id(&state.db, id)
        .await?
        .filter(|p| p.status != ProductStatus::Hidden)
        .ok_or(ApiError::NotFound("product"))?;
    let slugs: BTreeMap<Uuid, String> = state.categories.all().await?.iter().map(|c| (c.id, c.slug.clone())).collect();
    let ctx = s::Context {
        user_id: None,
        recent_categories: slugs.get(&p.category_id).cloned().into_iter().collect(),
        cart_categories: vec![],
        purchased_categories: vec![],
        style_preferences: product_views::tags(&p),
        price_low: Some(p.price / 2),
        price_high: Some(p.price * 3 / 2),
        limit,
        now: state.plugins.clock().now(),
    };
    let candidates = state.candidates.get(&state.db).await?;
    let rows: Vec<&ProductRow> = candidates.rows.iter().filter(|x| x.id != p.id).collect();
    let similarity: HashMap<Uuid, f32> = match state.index.vector_of(p.id) {
        Some(v) => state
            .index
            .nearest(&v, MAX_CANDIDATES as usize, |e| e.product_id != p.id)
            .into_iter()
            .map(|(e, s)| (e.product_id, s))
            .collect(),
        None => HashMap::new(),
    };
    Ok(Json(rank(&state, ctx, rows, &candidates.popularity, areas::centre(&p.area), &similarity).await?))
}
