//! Payments (`/api/v1/orders/{id}/payments/*`, `/api/v1/payments/*`, admin refunds).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::extract::{AdminUser, ApiJson, ApiPath, AuthUser};
use crate::orders::http::handlers::visible_order;
use crate::orders::store::Actor;
use crate::payments::http::views::{PaymentView, QuoteView};
use crate::payments::store;
use crate::payments::GatewayError;
use crate::platform::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[schema(example = "WELCOME10")]
    pub coupon: Option<String>,
}

/// Quote the payment of an order
///
/// Runs the tenant's payment strategy (a Wasm plugin, or the built-in fallback) on the order
/// and stores the verified plan: discounts, delivery fee, commission and payouts, the payment
/// methods to offer and the gateway to use. The buyer only; the order must be unpaid.
#[utoipa::path(post, path = "/api/v1/orders/{id}/payments/quote", operation_id = "quote_payment", tag = "payments",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = QuoteRequest,
    responses(
        (status = 200, description = "The plan to pay", body = QuoteView),
        (status = 403, description = "Not the buyer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting for payment", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The strategy failed and fails closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn quote(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> ApiResult<Json<QuoteView>> {
    let order = visible_order(&state, &user, id).await?;
    if order.buyer_id != user.id {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(QuoteView::new(order.id, state.payments.quote(&order, req.coupon).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub order_id: Uuid,
    /// From the gateway's client SDK after the buyer authorised the payment. With the `sandbox`
    /// gateway (the default) there is no SDK: make one up — any key captures (one key per
    /// order), a key starting with `fail_` is declined.
    #[schema(example = "tgen_20261126_abc123", max_length = 200, pattern = "TOKEN")]
    pub payment_key: String,
    /// Must equal the quoted total (KRW).
    pub amount: i64,
}

/// Confirm a payment
///
/// Verifies the amount equals the stored plan's total, captures it with the plan's gateway,
/// marks the order paid and writes the ledger. Idempotent: replaying the same confirmation
/// answers the same payment, and concurrent confirmations capture once.
#[utoipa::path(post, path = "/api/v1/payments/confirm", operation_id = "confirm_payment", tag = "payments",
    security(("bearer" = [])), request_body = ConfirmRequest,
    responses(
        (status = 200, description = "Captured; the order is paid", body = PaymentView),
        (status = 402, description = "The gateway declined", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No quote, already paid, or a confirmation is running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Amount differs from the quote", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Gateway unreachable; retry", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> ApiResult<Json<PaymentView>> {
    let key = req.payment_key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::field("payment_key", "must be 1 to 200 characters"));
    }
    let order = visible_order(&state, &user, req.order_id).await?;
    if order.buyer_id != user.id {
        return Err(ApiError::Forbidden);
    }
    let row = state.payments.confirm(&order, key, req.amount).await?;
    Ok(Json(PaymentView::from(&row)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAck {
    /// False when this event was delivered before (nothing done twice).
    pub processed: bool,
}

/// Gateway callback
///
/// Verified per gateway (sandbox: HMAC-SHA256 signature header; toss: the event is checked
/// against Toss's API) and applied once per event.
#[utoipa::path(post, path = "/api/v1/payments/webhooks/{gateway}", operation_id = "payment_webhook", tag = "payments",
    params(("gateway" = String, Path, description = "`sandbox` or `toss`")),
    request_body(content = Object, description = "The gateway's event JSON"),
    responses(
        (status = 200, description = "Accepted", body = WebhookAck),
        (status = 401, description = "Signature invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown gateway", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn webhook(
    State(state): State<AppState>,
    ApiPath(gateway): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAck>> {
    let g = state.gateways.get(&gateway).cloned().ok_or(ApiError::NotFound("gateway"))?;
    let event = g.verify_webhook(&headers, &body).await.map_err(|e| match e {
        GatewayError::BadSignature => ApiError::InvalidSignature,
        GatewayError::Malformed(m) => ApiError::Malformed(m),
        other => ApiError::GatewayUnavailable(other.to_string()),
    })?;
    let processed = state.payments.webhook(g.name(), &event, &String::from_utf8_lossy(&body)).await?;
    Ok(Json(WebhookAck { processed }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// KRW; absent refunds everything not yet refunded.
    #[schema(minimum = 1)]
    pub amount: Option<i64>,
    #[schema(min_length = 1, max_length = 200, pattern = "ONE_LINE")]
    pub reason: String,
}

/// Refund a payment (admin)
///
/// Full or partial, through the gateway, with ledger entries. A full refund of an order that
/// has not left the seller puts the item back on sale.
#[utoipa::path(post, path = "/api/v1/admin/payments/{id}/refund", operation_id = "refund_payment", tag = "payments",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RefundRequest,
    responses(
        (status = 200, description = "Refunded", body = PaymentView),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not refundable", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Amount out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refund(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RefundRequest>,
) -> ApiResult<Json<PaymentView>> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::field("reason", "must be 1 to 200 characters"));
    }
    let p = store::by_id(&state.db, id).await?.ok_or(ApiError::NotFound("payment"))?;
    let row = state.payments.refund(&p, req.amount, reason, Actor::Admin(admin.id)).await?;
    Ok(Json(PaymentView::from(&row)))
}

/// Payments of an order
///
/// Every quote and attempt, with states and amounts. Buyer, seller or admin.
#[utoipa::path(get, path = "/api/v1/orders/{id}/payments", operation_id = "order_payments", tag = "payments",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Payments, oldest first", body = [PaymentView]),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<PaymentView>>> {
    let order = visible_order(&state, &user, id).await?;
    let rows = store::for_order(&state.db, order.id).await?;
    Ok(Json(rows.iter().map(PaymentView::from).collect()))
}
