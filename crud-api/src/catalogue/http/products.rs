//! Products: browse and search (public), list and edit (sellers, owners, admins).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::catalogue::http::views::{self as product_views, ProductDetail, ProductPage, ProductStatus};
use crate::catalogue::listing::{self, Condition, Dimensions, StyleTag};
use crate::catalogue::ranking::{names_word, Boost};
use crate::catalogue::store::product_views::record_view;
use crate::catalogue::store::products::{self, After, ListFilter, Listing, ProductRow, Sort, UpdateOutcome};
use crate::catalogue::store::{categories, images};
use crate::catalogue::{search, search_fusion};
use crate::http::cursor;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::identity::role::Role;
use crate::identity::store::users;
use crate::platform::error::{ApiError, ApiResult, FieldError, Problem};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    /// Best text match first (the default when `q` is given).
    Relevance,
    /// Newest first (the default otherwise).
    Newest,
    PriceAsc,
    PriceDesc,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Category id or slug; includes its subcategories. Empty or absent: every category; one
    /// that does not exist: an empty page.
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    pub category: Option<String>,
    /// Text search (Korean and English), e.g. `가죽소파` or `oak table`.
    pub q: Option<String>,
    /// KRW, inclusive.
    #[param(minimum = 0)]
    pub min_price: Option<i64>,
    /// KRW, inclusive (below `min_price`: an empty page).
    #[param(minimum = 0)]
    pub max_price: Option<i64>,
    /// Comma-separated: `on_sale`, `reserved`, `sold`. Default (absent or empty): all three.
    #[param(pattern = "^((on_sale|reserved|sold)(,(on_sale|reserved|sold))*)?$")]
    pub status: Option<String>,
    /// Seller's user id.
    pub seller: Option<Uuid>,
    /// One style tag, e.g. `modern`: letters, digits and dashes.
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    #[param(pattern = "^[A-Za-z0-9-]{0,30}$")]
    pub style: Option<String>,
    pub sort: Option<SortParam>,
    /// From the previous page's `next_cursor`; empty or absent: the first page.
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    #[param(pattern = "^([A-Za-z0-9_-]{32})?$")]
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The cursor after `last` in `sort` order (`done` rows returned so far, for relevance).
fn next_cursor(sort: Sort, last: &ProductRow, done: i64) -> String {
    match sort {
        Sort::Relevance => cursor::encode_position(done, Uuid::nil()),
        _ => cursor::encode_position(last.price, last.id),
    }
}

/// Where a cursor continues. Any cursor-shaped string is a position: one from another sort
/// order continues from the same place in this one rather than failing.
fn after(sort: Sort, c: &str) -> ApiResult<After> {
    let (n, id) = cursor::decode_position(c)?;
    Ok(match sort {
        Sort::Relevance => After::Offset(n.max(0)),
        _ => After::Key { price: n, id },
    })
}

/// Browse and search products
///
/// Filters combine; text search matches Korean inside compound words (`소파` finds `가죽소파`).
/// Pages are cursor-based: pass `next_cursor` back as `cursor`. Hidden listings never appear.
#[utoipa::path(get, path = "/api/v1/products", operation_id = "list_products", tag = "catalogue", params(ListQuery, ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer: 304 when unchanged")),
    responses(
        (status = 200, description = "One page of products", body = ProductPage),
        (status = 304, description = "Not modified: the `ETag` in If-None-Match is current"),
        (status = 422, description = "Invalid filter or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<ProductPage>> {
    let mut errors = Vec::new();
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        errors.push(FieldError::new("limit", "must be 1 to 100"));
    }
    let query = q.q.as_deref().and_then(search::Query::parse);
    let sort = match (q.sort, &query) {
        (Some(SortParam::Relevance), Some(_)) | (None, Some(_)) => Sort::Relevance,
        (Some(SortParam::Relevance), None) | (Some(SortParam::Newest), _) | (None, None) => Sort::Newest,
        (Some(SortParam::PriceAsc), _) => Sort::PriceAsc,
        (Some(SortParam::PriceDesc), _) => Sort::PriceDesc,
    };
    let mut statuses = Vec::new();
    for s in q.status.as_deref().unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match ProductStatus::parse(s) {
            Some(st) if st != ProductStatus::Hidden => statuses.push(st),
            _ => errors.push(FieldError::new("status", "each must be on_sale, reserved or sold")),
        }
    }
    if statuses.is_empty() {
        // Never "no filter": that would list hidden listings (`status=` did).
        statuses = vec![ProductStatus::OnSale, ProductStatus::Reserved, ProductStatus::Sold];
    }
    let style = q.style.map(|s| s.trim().to_lowercase());
    if style.as_deref().is_some_and(|s| !listing::is_tag(s)) {
        errors.push(FieldError::new("style", "must be a style tag"));
    }
    let after = q.cursor.as_deref().map(|c| after(sort, c)).transpose()?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let empty = || Json(ProductPage { items: Vec::new(), next_cursor: None });
    // Filters nothing can match are an empty page, as any other filter with no results.
    if q.min_price.zip(q.max_price).is_some_and(|(min, max)| min > max) {
        return Ok(empty());
    }
    let tree = state.categories.all().await?;
    let categories = match &q.category {
        Some(c) => match tree.iter().find(|x| x.slug == *c || x.id.to_string() == *c) {
            Some(root) => Some(categories::descendants(&tree, root.id)),
            None => return Ok(empty()),
        },
        None => None,
    };
    let boost = match (&query, q.q.as_deref()) {
        (Some(_), Some(text)) => Boost::new(text, |words| {
            let mut ids = Vec::new();
            for c in tree.iter().filter(|c| words.iter().any(|w| names_word(&c.name, w) || names_word(&c.name_en, w))) {
                ids.extend(
                    categories::descendants(&tree, c.id).into_iter().filter(|id| !ids.contains(id)).collect::<Vec<_>>(),
                );
            }
            ids
        }),
        _ => Boost::default(),
    };
    let filter = ListFilter {
        categories,
        query,
        boost,
        ids: None,
        min_price: q.min_price,
        max_price: q.max_price,
        statuses,
        seller: q.seller,
        style,
        sort,
        after: after.clone(),
        limit,
    };
    let done = match after {
        Some(After::Offset(n)) => n,
        _ => 0,
    };
    // Relevance: the lexical ranking fused with the semantic neighbours when dl-api can
    // embed the query now; else (and for the other sorts) lexical alone.
    let fused = match (q.q.as_deref(), &filter.query) {
        (Some(text), Some(_)) => {
            let semantic = search_fusion::Semantic { dl: state.dl.as_ref(), index: &state.text_index };
            search_fusion::hybrid(&state.db, semantic, text, &filter, done, limit).await?
        }
        _ => None,
    };
    let mut cards = match fused {
        Some(cards) => cards,
        None => search_fusion::lexical(&state.db, &filter).await?,
    };
    let more = cards.len() as i64 > limit;
    cards.truncate(limit as usize);
    let next_cursor =
        cards.last().filter(|_| more).map(|last| next_cursor(sort, &last.product, done.saturating_add(limit)));
    Ok(Json(ProductPage { items: product_views::cards(&cards, &tree, &state.image_urls), next_cursor }))
}

/// Loads everything a detail view needs.
pub async fn load_detail(state: &AppState, p: &ProductRow) -> ApiResult<ProductDetail> {
    let cached = state.categories.all().await?.iter().find(|c| c.id == p.category_id).cloned();
    let category = match cached {
        Some(c) => c,
        // A category newer than the cached tree (another replica's, not yet announced).
        None => categories::by_id(&state.db, p.category_id).await?.ok_or(ApiError::NotFound("category"))?,
    };
    let seller = users::by_id(&state.db, p.seller_id).await?.ok_or(ApiError::NotFound("seller"))?;
    let imgs = images::for_products(&state.db, &[p.id]).await?;
    Ok(product_views::detail(p, &category, &seller, &imgs, &state.image_urls))
}

/// Hidden listings are visible only to their seller and admins.
fn visible_to(p: &ProductRow, viewer: Option<&AuthUser>) -> bool {
    p.status != ProductStatus::Hidden || viewer.is_some_and(|v| v.id == p.seller_id || v.role == Role::Admin)
}

/// Product details
///
/// Images, seller, category, stock and status.
#[utoipa::path(get, path = "/api/v1/products/{id}", operation_id = "get_product", tag = "catalogue",
    params(("id" = Uuid, Path), ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer: 304 when unchanged")),
    responses(
        (status = 200, description = "The product", body = ProductDetail),
        (status = 304, description = "Not modified: the `ETag` in If-None-Match is current"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    viewer: Option<AuthUser>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ProductDetail>> {
    let p = products::by_id(&state.db, id)
        .await?
        .filter(|p| visible_to(p, viewer.as_ref()))
        .ok_or(ApiError::NotFound("product"))?;
    // A buyer's look feeds their recommendations and the listing's popularity; losing one
    // look is better than failing the page.
    if let Some(v) = viewer.as_ref().filter(|v| v.id != p.seller_id) {
        if let Err(e) = record_view(&state.db, v.id, p.id).await {
            tracing::warn!(error = %e, "product view not recorded");
        }
    }
    Ok(Json(load_detail(&state, &p).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    #[schema(example = "이케아 3인용 가죽소파", min_length = 2, max_length = 100, pattern = "ONE_LINE")]
    pub title: String,
    #[serde(default)]
    #[schema(
        example = "2년 사용, 생활 기스 조금 있어요. 직접 가져가셔야 합니다.",
        max_length = 5000,
        pattern = "FREE_TEXT"
    )]
    pub description: String,
    /// KRW.
    #[schema(example = 150000, minimum = 0, maximum = 1000000000)]
    pub price: i64,
    /// A category's id (`GET /api/v1/categories`); one that does not exist is a 404.
    pub category_id: Uuid,
    pub condition: Condition,
    #[serde(default)]
    pub dimensions: Dimensions,
    #[schema(minimum = 1, maximum = 2000)]
    pub weight_kg: Option<i32>,
    /// Default 1 (most listings are one-of-a-kind).
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: Option<i32>,
    /// At most 10; lower-cased, duplicates dropped.
    #[serde(default)]
    #[schema(example = json!(["modern", "leather"]), max_items = 10, inline)]
    pub style_tags: Vec<StyleTag>,
    /// Area name for pickup and delivery matching.
    #[schema(example = "마포구", min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub area: String,
}

/// The words a category adds to the search index; a 404 when it does not exist (the body is
/// well-formed; what it names is missing), after the body's own field errors.
async fn category_words(state: &AppState, id: Uuid) -> ApiResult<String> {
    // From the database, not the cache: a category created a moment ago on another replica.
    let tree = categories::all(&state.db).await?;
    categories::lineage_words(&tree, id).ok_or(ApiError::NotFound("category"))
}

/// List an item for sale
///
/// Sellers and admins (become a seller with `PATCH /api/v1/users/me {"is_seller": true}`).
#[utoipa::path(post, path = "/api/v1/products", operation_id = "create_product", tag = "catalogue",
    security(("bearer" = [])), request_body = CreateProductRequest,
    responses(
        (status = 201, description = "Listed", body = ProductDetail),
        (status = 403, description = "Not a seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The category does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateProductRequest>,
) -> ApiResult<(StatusCode, Json<ProductDetail>)> {
    let me = users::by_id(&state.db, user.id).await?.ok_or(ApiError::InvalidToken("user no longer exists"))?;
    if !me.is_seller && user.role != Role::Admin {
        return Err(ApiError::NotSeller);
    }
    let mut errors = Vec::new();
    let title = listing::check_title(&req.title, &mut errors);
    let description = listing::check_description(&req.description, &mut errors);
    listing::check_price(req.price, &mut errors);
    let quantity = req.quantity.unwrap_or(1);
    listing::check_quantity(quantity, &mut errors);
    listing::check_dimensions(&req.dimensions, req.weight_kg, &mut errors);
    let style_tags = listing::check_tags(&req.style_tags, &mut errors);
    let area = listing::check_area(&req.area, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let words = category_words(&state, req.category_id).await?;
    let l = Listing {
        category_id: req.category_id,
        title,
        description,
        price: req.price,
        condition: req.condition,
        width_cm: req.dimensions.width_cm,
        depth_cm: req.dimensions.depth_cm,
        height_cm: req.dimensions.height_cm,
        weight_kg: req.weight_kg,
        quantity,
        style_tags,
        area,
    };
    let p = products::insert(&state.db, user.id, &l, &words).await?;
    tracing::info!(product = %p.id, seller = %user.id, "listed");
    Ok((StatusCode::CREATED, Json(load_detail(&state, &p).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    #[schema(min_length = 2, max_length = 100, pattern = "ONE_LINE")]
    pub title: Option<String>,
    #[schema(max_length = 5000, pattern = "FREE_TEXT")]
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 1000000000)]
    pub price: Option<i64>,
    pub category_id: Option<Uuid>,
    pub condition: Option<Condition>,
    pub dimensions: Option<Dimensions>,
    #[schema(minimum = 1, maximum = 2000)]
    pub weight_kg: Option<i32>,
    /// Total units; cannot drop below what is reserved or sold (409).
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: Option<i32>,
    #[schema(max_items = 10, inline)]
    pub style_tags: Option<Vec<StyleTag>>,
    #[schema(min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub area: Option<String>,
    /// Admins only: hide or show the listing.
    pub hidden: Option<bool>,
}

/// The product, if `user` may change it (its seller or an admin).
async fn owned(state: &AppState, user: &AuthUser, id: Uuid) -> ApiResult<ProductRow> {
    let p = products::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("product"))?;
    if p.seller_id != user.id && user.role != Role::Admin {
        // Others' hidden listings don't exist for them; visible ones are simply not theirs.
        return Err(if visible_to(&p, Some(user)) { ApiError::Forbidden } else { ApiError::NotFound("product") });
    }
    Ok(p)
}

/// Edit a listing
///
/// Its seller or an admin. Only admins may set `hidden`. Orders keep the price they were
/// placed at.
#[utoipa::path(patch, path = "/api/v1/products/{id}", operation_id = "update_product", tag = "catalogue",
    security(("bearer" = [])), request_body = UpdateProductRequest, params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Updated", body = ProductDetail),
        (status = 403, description = "Not the seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Quantity below what is reserved or sold", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateProductRequest>,
) -> ApiResult<Json<ProductDetail>> {
    let p = owned(&state, &user, id).await?;
    let mut errors = Vec::new();
    if req.hidden.is_some() && user.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let title = req.title.map(|t| listing::check_title(&t, &mut errors)).unwrap_or(p.title.clone());
    let description =
        req.description.map(|d| listing::check_description(&d, &mut errors)).unwrap_or(p.description.clone());
    let price = req.price.unwrap_or(p.price);
    listing::check_price(price, &mut errors);
    let quantity = req.quantity.unwrap_or(p.quantity);
    listing::check_quantity(quantity, &mut errors);
    let dims =
        req.dimensions.unwrap_or(Dimensions { width_cm: p.width_cm, depth_cm: p.depth_cm, height_cm: p.height_cm });
    let weight_kg = req.weight_kg.or(p.weight_kg);
    listing::check_dimensions(&dims, weight_kg, &mut errors);
    let style_tags = match req.style_tags {
        Some(t) => listing::check_tags(&t, &mut errors),
        None => product_views::tags(&p),
    };
    let area = req.area.map(|a| listing::check_area(&a, &mut errors)).unwrap_or(p.area.clone());
    let category_id = req.category_id.unwrap_or(p.category_id);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let words = category_words(&state, category_id).await?;
    let l = Listing {
        category_id,
        title,
        description,
        price,
        condition: req.condition.unwrap_or(p.condition),
        width_cm: dims.width_cm,
        depth_cm: dims.depth_cm,
        height_cm: dims.height_cm,
        weight_kg,
        quantity,
        style_tags,
        area,
    };
    match products::update(&state.db, id, &l, req.hidden.unwrap_or(p.hidden), &words).await? {
        UpdateOutcome::Updated(p) => Ok(Json(load_detail(&state, &p).await?)),
        UpdateOutcome::NotFound => Err(ApiError::NotFound("product")),
        UpdateOutcome::QuantityBelowCommitted => Err(ApiError::Conflict(
            "quantity_below_committed",
            "quantity cannot drop below the units already reserved or sold",
        )),
    }
}

/// Remove a listing
///
/// Its seller or an admin. A listing with reserved units can't be removed until the orders
/// finish or are cancelled.
#[utoipa::path(delete, path = "/api/v1/products/{id}", operation_id = "delete_product", tag = "catalogue",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not the seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Units are reserved by an order", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    owned(&state, &user, id).await?;
    if !products::soft_delete(&state.db, id).await? {
        return Err(ApiError::Conflict("product_reserved", "the listing has reserved units; it can't be removed now"));
    }
    Ok(StatusCode::NO_CONTENT)
}
