//! Notifications: list, mark read, a resumable Server-Sent Events stream, push devices.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::store::{self, tickets, NotificationRow};
use crate::catalogue::http::image_urls::ImageUrls;
use crate::catalogue::http::thumbnails::Thumbnails;
use crate::http::cursor;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::identity::store::users;
use crate::orders::http::handlers::check_limit;
use crate::orders::store as orders;
use crate::platform::db::Db;
use crate::platform::error::{ApiError, ApiResult, FieldError, Problem};
use crate::platform::metrics::Metrics;
use crate::platform::ratelimit::retry_after_secs;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    /// `order_placed`, `order_paid`, `reservation_expired`, `rider_assigned`, `picked_up`,
    /// `delivered`, `order_cancelled`.
    #[schema(example = "order_paid")]
    pub kind: String,
    #[schema(example = "결제 완료")]
    pub title: String,
    pub body: String,
    pub order_id: Option<Uuid>,
    /// The order's first item's cover photo, 400 px.
    pub thumbnail_url: Option<String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&NotificationRow> for NotificationView {
    fn from(n: &NotificationRow) -> Self {
        Self {
            id: n.id,
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            order_id: n.order_id,
            thumbnail_url: None,
            read: n.read_at.is_some(),
            created_at: n.created_at,
        }
    }
}

/// Views of `rows`, each with its order's first item's thumbnail: two queries for a page.
async fn views(db: &Db, rows: &[NotificationRow], urls: &ImageUrls) -> Result<Vec<NotificationView>, sqlx::Error> {
    let mut order_ids: Vec<Uuid> = rows.iter().filter_map(|n| n.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let mut first_product = HashMap::new();
    for item in orders::items(db, &order_ids).await? {
        first_product.entry(item.order_id).or_insert(item.product_id);
    }
    let thumbs = Thumbnails::load(db, &first_product.values().copied().collect::<Vec<_>>(), urls).await?;
    Ok(rows
        .iter()
        .map(|n| NotificationView {
            thumbnail_url: n.order_id.and_then(|o| first_product.get(&o)).and_then(|p| thumbs.get(*p)),
            ..NotificationView::from(n)
        })
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub unread_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// From the previous page's `next_cursor`; empty or absent: the first page.
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Your notifications
///
/// Newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "list_notifications", tag = "notifications",
    security(("bearer" = [])), params(NotificationQuery),
    responses((status = 200, description = "One page", body = NotificationPage)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let limit = check_limit(q.limit)?;
    let before = q.cursor.as_deref().map(cursor::decode_id).transpose()?;
    let mut rows = store::page(&state.db, user.id, before, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok(Json(NotificationPage {
        unread_count: store::unread_count(&state.db, user.id).await?,
        next_cursor: if more { rows.last().map(|n| cursor::encode_id(n.id)) } else { None },
        items: views(&state.db, &rows, &state.image_urls).await?,
    }))
}

/// Mark one read
///
/// Idempotent; reading it again keeps the first read time.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", operation_id = "read_notification", tag = "notifications",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "Not yours", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn read(State(state): State<AppState>, user: AuthUser, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    if !store::mark_read(&state.db, user.id, id).await? {
        return Err(ApiError::NotFound("notification"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all read
///
/// Every notification of yours, at once.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", operation_id = "read_all_notifications", tag = "notifications",
    security(("bearer" = [])), responses((status = 204, description = "All read")))]
pub async fn read_all(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    store::mark_all_read(&state.db, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A ticket for `EventSource`, which cannot send an Authorization header.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTicket {
    /// Single use, valid for a minute: pass as `ticket` to the stream.
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
    /// The stream's absolute URL (on `PUBLIC_BASE_URL`) with the ticket, for any origin:
    /// `new EventSource(stream_url)`.
    #[schema(example = "https://api.gajyeogagu.example/api/v1/notifications/stream?ticket=q8V1…")]
    pub stream_url: String,
}

/// A stream ticket
///
/// For browsers: `EventSource` cannot send the access token in a header, and a token in a URL
/// would land in logs and history. A ticket opens one stream, once, within a minute; the
/// stream lives until the access token the ticket was asked with expires. When the stream ends
/// (an error, or one of the events `shutdown`, `token_expired`, `replaced`), ask for a new
/// ticket with a fresh token and reopen with `last_event_id` set to the last event's id.
/// At most 20 tickets a minute per user.
#[utoipa::path(post, path = "/api/v1/notifications/stream-ticket", operation_id = "stream_ticket", tag = "notifications",
    security(("bearer" = [])), responses(
        (status = 201, description = "A ticket", body = StreamTicket),
        (status = 429, description = "Too many tickets; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn stream_ticket(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, Json<StreamTicket>)> {
    state.limits.stream_tickets.check(&user.id.to_string()).map_err(|wait| {
        Metrics::reason(&state.metrics.rate_limited, "stream_ticket");
        ApiError::RateLimited { retry_after_secs: retry_after_secs(wait) }
    })?;
    let session_expires_at = DateTime::from_timestamp(user.expires_at, 0).unwrap_or_else(Utc::now);
    let (ticket, expires_at) = tickets::issue(&state.db, user.id, session_expires_at).await?;
    let stream_url = state.config.public_url(&format!("/api/v1/notifications/stream?ticket={ticket}"));
    Ok((StatusCode::CREATED, Json(StreamTicket { ticket, expires_at, stream_url })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// From `POST /api/v1/notifications/stream-ticket`, instead of the Authorization header.
    pub ticket: Option<String>,
    /// Resume after this notification id (what `Last-Event-ID` says, for a new `EventSource`).
    #[serde(default, deserialize_with = "crate::http::extract::empty_as_none")]
    #[param(format = Uuid)]
    pub last_event_id: Option<String>,
}

/// Live notifications (Server-Sent Events)
///
/// Each event has the notification's id as `id`, its kind as `event`, and the notification
/// as JSON `data`. Reconnect with `Last-Event-ID` (or `last_event_id`) to receive what you
/// missed. Authenticate with the bearer token, or — from a browser's `EventSource` — with a
/// `ticket`. The server ends a stream with a last event that has no `id` and says why:
/// `shutdown` (`retry: 1000`: reconnect, to another replica), `token_expired` (the token that
/// opened it expired: reconnect with a fresh one), `replaced` (you opened more than 5 streams
/// on this server; this was the oldest) or `account_disabled`.
#[utoipa::path(get, path = "/api/v1/notifications/stream", operation_id = "stream_notifications", tag = "notifications",
    security(("bearer" = []), ()),
    params(StreamQuery, ("Last-Event-ID" = Option<Uuid>, Header, nullable = false, description = "Resume after this notification id")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "No token, or the ticket is unknown, spent or expired", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account disabled", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    user: Option<AuthUser>,
    ApiQuery(q): ApiQuery<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let (user_id, ends_at) = match (user, q.ticket.as_deref()) {
        (Some(user), _) => (user.id, DateTime::from_timestamp(user.expires_at, 0)),
        (None, Some(ticket)) => {
            let (user, session_ends) =
                tickets::redeem(&state.db, ticket).await?.ok_or(ApiError::InvalidToken("stream ticket"))?;
            let fallback = Utc::now() + chrono::Duration::seconds(state.config.access_token_ttl_secs as i64);
            (user, Some(session_ends.unwrap_or(fallback)))
        }
        (None, None) => return Err(ApiError::MissingToken),
    };
    let ends_at = ends_at.unwrap_or_else(Utc::now);
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string).or(q.last_event_id);
    let mut last = match resume {
        Some(v) => {
            Some(v.trim().parse::<Uuid>().map_err(|_| ApiError::field("Last-Event-ID", "must be a notification id"))?)
        }
        None => None,
    };
    // A disabled account's access token still verifies until it expires: no new streams.
    if users::by_id(&state.db, user_id).await?.is_none_or(|u| u.disabled) {
        return Err(ApiError::AccountDisabled);
    }
    let until = tokio::time::Instant::now() + (ends_at - Utc::now()).to_std().unwrap_or_default();
    let mut stopping = state.shutdown.subscribe();
    // Registered before the first read, so nothing written in between is missed.
    let mut sub = state.streams.open(user_id);
    let stream = async_stream(move |tx| async move {
        let bye = |event: &str, retry: Duration| Ok(SseEvent::default().event(event).retry(retry).data("reconnect"));
        loop {
            if *stopping.borrow_and_update() {
                // The server is shutting down: tell the client to come back (to another
                // replica) in a second, resuming after the last event it got.
                let _ = tx.send(bye("shutdown", Duration::from_secs(1))).await;
                return;
            }
            let end = sub.signals.borrow_and_update().end;
            if let Some(reason) = end {
                let _ = tx.send(Ok(SseEvent::default().event(reason.event()).data("closed"))).await;
                return;
            }
            let rows = match store::after(&state.db, user_id, last, 100).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "notification stream read failed");
                    Vec::new()
                }
            };
            // A failed thumbnail lookup costs the pictures, not the events.
            let shown = views(&state.db, &rows, &state.image_urls)
                .await
                .unwrap_or_else(|_| rows.iter().map(NotificationView::from).collect());
            for (n, view) in rows.iter().zip(&shown) {
                let data = serde_json::to_string(view).unwrap_or_default();
                let event = SseEvent::default().id(n.id.to_string()).event(n.kind.clone()).data(data);
                if tx.send(Ok(event)).await.is_err() {
                    return; // client went away
                }
                last = Some(n.id);
            }
            if rows.len() < 100 {
                tokio::select! {
                    changed = sub.signals.changed() => if changed.is_err() { return },
                    _ = tokio::time::sleep_until(until) => {
                        let _ = tx.send(bye("token_expired", Duration::from_secs(1))).await;
                        return;
                    }
                    _ = tx.closed() => return,
                    _ = stopping.changed() => {}
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A stream fed by a task; the task ends when the client disconnects.
fn async_stream<T: Send + 'static, F, Fut>(f: F) -> impl Stream<Item = T>
where
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Fcm,
    Apns,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    /// The FCM registration token or APNs device token.
    #[schema(max_length = 4096, pattern = "TOKEN")]
    pub token: String,
    pub platform: Platform,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceDeleteRequest {
    #[schema(max_length = 4096, pattern = "TOKEN")]
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: Uuid,
    pub platform: String,
    pub created_at: DateTime<Utc>,
}

fn check_token(token: &str) -> ApiResult<&str> {
    let t = token.trim();
    if t.is_empty() || t.len() > 4096 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "token",
            "must be 1 to 4096 characters without spaces",
        )]));
    }
    Ok(t)
}

/// Register a push device
///
/// Idempotent: registering a token again updates it (and moves it to you, if the device
/// changed hands).
#[utoipa::path(post, path = "/api/v1/devices", operation_id = "register_device", tag = "notifications",
    security(("bearer" = [])), request_body = DeviceRequest,
    responses(
        (status = 201, description = "Registered", body = DeviceView),
        (status = 422, description = "Invalid token or platform", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_device(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> ApiResult<(StatusCode, Json<DeviceView>)> {
    let token = check_token(&req.token)?;
    let platform = match req.platform {
        Platform::Fcm => "fcm",
        Platform::Apns => "apns",
    };
    let d = store::upsert_device(&state.db, user.id, token, platform).await?;
    Ok((StatusCode::CREATED, Json(DeviceView { id: d.id, platform: d.platform, created_at: d.created_at })))
}

/// Unregister a push device
///
/// Call on sign-out so the device stops receiving your pushes.
#[utoipa::path(delete, path = "/api/v1/devices", operation_id = "unregister_device", tag = "notifications",
    security(("bearer" = [])), request_body = DeviceDeleteRequest,
    responses((status = 204, description = "Gone (also when it was not registered)")))]
pub async fn unregister_device(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<DeviceDeleteRequest>,
) -> ApiResult<StatusCode> {
    let token = check_token(&req.token)?;
    store::delete_device(&state.db, user.id, token).await?;
    Ok(StatusCode::NO_CONTENT)
}
