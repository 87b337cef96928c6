//! Notifications: stored for the in-app list and SSE stream, and pushed to registered devices
//! through a `PushSender`.

pub mod http;
pub mod push;
pub mod store;
pub mod streams;

use std::sync::Arc;

use tokio::sync::Notify;
use uuid::Uuid;

use crate::orders::status::OrderStatus;
use crate::orders::store::OrderRow;
use crate::platform::db::Db;

pub use push::{OutboxPushSender, PushSender};

/// What happened, for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    OrderPlaced,
    Paid,
    ReservationExpired,
    RiderAssigned,
    PickedUp,
    Delivered,
    Cancelled,
}

impl Event {
    pub fn kind(self) -> &'static str {
        match self {
            Event::OrderPlaced => "order_placed",
            Event::Paid => "order_paid",
            Event::ReservationExpired => "reservation_expired",
            Event::RiderAssigned => "rider_assigned",
            Event::PickedUp => "picked_up",
            Event::Delivered => "delivered",
            Event::Cancelled => "order_cancelled",
        }
    }

    /// The event a status change announces, if any.
    pub fn for_status(to: OrderStatus, expired: bool) -> Option<Event> {
        match to {
            OrderStatus::Paid => Some(Event::Paid),
            OrderStatus::PickedUp => Some(Event::PickedUp),
            OrderStatus::Delivered => Some(Event::Delivered),
            OrderStatus::Cancelled if expired => Some(Event::ReservationExpired),
            OrderStatus::Cancelled | OrderStatus::Refunded => Some(Event::Cancelled),
            _ => None,
        }
    }

    /// (recipient, title, body) for an order event: the buyer, the seller, or both.
    fn messages(self, o: &OrderRow) -> Vec<(Uuid, &'static str, String)> {
        let short = &o.id.to_string()[..8];
        match self {
            Event::OrderPlaced => vec![(o.seller_id, "새 주문", format!("주문 {short}: 결제를 기다리고 있어요."))],
            Event::Paid => vec![
                (o.buyer_id, "결제 완료", format!("주문 {short} 결제가 완료됐어요.")),
                (o.seller_id, "결제 완료", format!("주문 {short}: 물건을 준비해 주세요.")),
            ],
            Event::ReservationExpired => {
                vec![(o.buyer_id, "예약 만료", format!("주문 {short}: 결제 시간이 지나 예약이 풀렸어요."))]
            }
            Event::RiderAssigned => {
                vec![(o.buyer_id, "배송 기사 배정", format!("주문 {short}에 기사님이 배정됐어요."))]
            }
            Event::PickedUp => {
                vec![(o.buyer_id, "픽업 완료", format!("주문 {short}: 기사님이 물건을 가지고 출발했어요."))]
            }
            Event::Delivered => vec![
                (o.buyer_id, "배송 완료", format!("주문 {short}이 도착했어요.")),
                (o.seller_id, "거래 완료", format!("주문 {short} 배송이 끝났어요.")),
            ],
            Event::Cancelled => vec![
                (o.buyer_id, "주문 취소", format!("주문 {short}이 취소됐어요.")),
                (o.seller_id, "주문 취소", format!("주문 {short}이 취소됐어요.")),
            ],
        }
    }
}

/// Stores notifications, wakes local SSE streams, and hands pushes to the sender.
#[derive(Clone)]
pub struct Notifier {
    db: Db,
    push: Arc<dyn PushSender>,
    /// Rung when a notification is written here: this replica's stream poller reads at once;
    /// other replicas' notice on their next poll.
    pub wake: Arc<Notify>,
}

impl Notifier {
    pub fn new(db: Db, push: Arc<dyn PushSender>) -> Self {
        Self { db, push, wake: Arc::new(Notify::new()) }
    }

    /// Records `event` for everyone it concerns. Failures are logged, never returned: a lost
    /// notification must not undo an order change that already committed.
    #[tracing::instrument(skip_all)]
    pub async fn order_event(&self, event: Event, order: &OrderRow) {
        for (user, title, body) in event.messages(order) {
            match store::insert(&self.db, user, event.kind(), title, &body, Some(order.id)).await {
                Ok(n) => {
                    if let Err(e) = self.push.send(&self.db, &n).await {
                        tracing::warn!(error = %e, notification = %n.id, "push failed");
                    }
                }
                Err(e) => tracing::error!(error = %e, kind = event.kind(), "notification not stored"),
            }
        }
        self.wake.notify_waiters();
    }
}
