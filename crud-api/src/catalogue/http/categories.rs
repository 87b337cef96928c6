//! The category tree: public read, admin management.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalogue::store::categories::{self, CategoryRow};
use crate::http::extract::{AdminUser, ApiJson, ApiPath};
use crate::platform::db::is_unique_violation;
use crate::platform::error::{ApiError, ApiResult, FieldError, Problem};
use crate::state::AppState;

/// A category with its subcategories.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    #[schema(example = "sofa")]
    pub slug: String,
    #[schema(example = "소파")]
    pub name: String,
    #[schema(example = "Sofas")]
    pub name_en: String,
    pub position: i32,
    pub parent_id: Option<Uuid>,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

fn tree(all: &[CategoryRow], parent: Option<Uuid>) -> Vec<CategoryNode> {
    all.iter()
        .filter(|c| c.parent_id == parent)
        .map(|c| CategoryNode { children: tree(all, Some(c.id)), ..leaf(c) })
        .collect()
}

/// Category tree
///
/// Every category, nested, ordered by position.
#[utoipa::path(get, path = "/api/v1/categories", operation_id = "list_categories", tag = "catalogue",
    params(("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer: 304 when unchanged")),
    responses((status = 200, description = "Top-level categories with their children", body = [CategoryNode]), (status = 304, description = "Not modified: the `ETag` in If-None-Match is current")))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryNode>>> {
    Ok(Json(tree(&state.categories.all().await?, None)))
}

/// A new category.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategoryRequest {
    /// Lower-case letters, digits and hyphens; unique (409 when taken).
    #[schema(example = "outdoor", pattern = "^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$")]
    pub slug: String,
    #[schema(example = "야외 가구", min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub name: String,
    #[schema(example = "Outdoor", min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub name_en: String,
    /// Parent category (404 when it does not exist); absent or `null`: top-level.
    pub parent_id: Option<Uuid>,
    pub position: Option<i32>,
}

/// Fields of a category to change; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRequest {
    /// Lower-case letters, digits and hyphens; unique.
    #[schema(example = "outdoor", pattern = "^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$")]
    pub slug: Option<String>,
    #[schema(example = "야외 가구", min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub name: Option<String>,
    #[schema(example = "Outdoor", min_length = 1, max_length = 50, pattern = "ONE_LINE")]
    pub name_en: Option<String>,
    /// Parent category (404 when it does not exist; 409 when it would make a cycle); `null`
    /// makes it top-level.
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    pub position: Option<i32>,
}

fn check_text(field: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) {
    let n = v.trim().chars().count();
    if n == 0 || n > max {
        errors.push(FieldError::new(field, format!("must be 1 to {max} characters")));
    }
}

fn check_slug(v: &str, errors: &mut Vec<FieldError>) {
    let ok = (1..=50).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if !ok {
        errors.push(FieldError::new("slug", "must be 1 to 50 lower-case letters, digits or hyphens"));
    }
}

/// Create a category
///
/// Admins only.
#[utoipa::path(post, path = "/api/v1/admin/categories", operation_id = "create_category", tag = "catalogue",
    security(("bearer" = [])), request_body = NewCategoryRequest,
    responses(
        (status = 201, description = "Created", body = CategoryNode),
        (status = 404, description = "No such parent category", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(req): ApiJson<NewCategoryRequest>,
) -> ApiResult<(StatusCode, Json<CategoryNode>)> {
    let mut errors = Vec::new();
    let (slug, name, name_en) = (req.slug, req.name, req.name_en);
    check_slug(&slug, &mut errors);
    check_text("name", &name, 50, &mut errors);
    check_text("name_en", &name_en, 50, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let parent = req.parent_id;
    if let Some(p) = parent {
        categories::by_id(&state.db, p).await?.ok_or(ApiError::NotFound("parent category"))?;
    }
    let row = categories::insert(&state.db, parent, &slug, name.trim(), name_en.trim(), req.position.unwrap_or(0))
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict("slug_taken", "slug already used")
            } else {
                e.into()
            }
        })?;
    state.categories.invalidate();
    Ok((StatusCode::CREATED, Json(leaf(&row))))
}

fn leaf(c: &CategoryRow) -> CategoryNode {
    CategoryNode {
        id: c.id,
        slug: c.slug.clone(),
        name: c.name.clone(),
        name_en: c.name_en.clone(),
        position: c.position,
        parent_id: c.parent_id,
        children: vec![],
    }
}

/// Change a category
///
/// Admins only. Moving a category under itself or one of its descendants is refused.
#[utoipa::path(patch, path = "/api/v1/admin/categories/{id}", operation_id = "update_category", tag = "catalogue",
    security(("bearer" = [])), request_body = CategoryRequest, params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Updated", body = CategoryNode),
        (status = 404, description = "No such category or parent", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug taken, or the parent would make a cycle", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CategoryRequest>,
) -> ApiResult<Json<CategoryNode>> {
    let all = categories::all(&state.db).await?;
    let mut row = all.iter().find(|c| c.id == id).cloned().ok_or(ApiError::NotFound("category"))?;
    let mut errors = Vec::new();
    if let Some(s) = req.slug {
        check_slug(&s, &mut errors);
        row.slug = s;
    }
    if let Some(n) = req.name {
        check_text("name", &n, 50, &mut errors);
        row.name = n.trim().to_string();
    }
    if let Some(n) = req.name_en {
        check_text("name_en", &n, 50, &mut errors);
        row.name_en = n.trim().to_string();
    }
    if let Some(p) = req.position {
        row.position = p;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(parent) = req.parent_id {
        match parent {
            Some(p) if !all.iter().any(|c| c.id == p) => return Err(ApiError::NotFound("parent category")),
            Some(p) if categories::descendants(&all, id).contains(&p) => {
                return Err(ApiError::Conflict("category_cycle", "the parent would be the category itself or under it"))
            }
            _ => row.parent_id = parent,
        }
    }
    let row = categories::update(&state.db, &row)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict("slug_taken", "slug already used")
            } else {
                e.into()
            }
        })?
        .ok_or(ApiError::NotFound("category"))?;
    state.categories.invalidate();
    let all = categories::all(&state.db).await?;
    let mut node = leaf(&row);
    node.children = tree(&all, Some(row.id));
    Ok(Json(node))
}

/// Delete a category
///
/// Admins only. Only empty leaf categories can go: no subcategories, no products.
#[utoipa::path(delete, path = "/api/v1/admin/categories/{id}", operation_id = "delete_category", tag = "catalogue",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Has subcategories or products", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    categories::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("category"))?;
    let (children, products) = categories::usage(&state.db, id).await?;
    if children > 0 || products > 0 {
        return Err(ApiError::Conflict(
            "category_in_use",
            "the category still has subcategories or products; move them first",
        ));
    }
    categories::delete(&state.db, id).await?;
    state.categories.invalidate();
    Ok(StatusCode::NO_CONTENT)
}
