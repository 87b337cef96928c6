//! Notifications: stored for the in-app list and SSE stream, and pushed to registered devices
//! through a `PushSender`.

pub mod http;
pub mod push;
pub mod store;
pub mod streams;

use std::sync::Arc;

use tokio::sync::Notify;
use uuid::Uuid;

use crate::orders::events::{OrderEvent, OrderEvents};
use crate::orders::store::OrderRow;
use crate::platform::db::Db;

pub use push::{OutboxPushSender, PushSender};

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
    pub async fn order_event(&self, event: OrderEvent, order: &OrderRow) {
        for (user, title, body) in messages(event, order) {
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

impl OrderEvents for Notifier {
    fn order_event<'a>(&'a self, event: OrderEvent, order: &'a OrderRow) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(Notifier::order_event(self, event, order))
    }
}

/// (recipient, title, body) for an order event: the buyer, the seller, or both.
fn messages(event: OrderEvent, o: &OrderRow) -> Vec<(Uuid, &'static str, String)> {
    let short = &o.id.to_string()[..8];
    match event {
        OrderEvent::OrderPlaced => vec![(o.seller_id, "새 주문", format!("주문 {short}: 결제를 기다리고 있어요."))],
        OrderEvent::Paid => vec![
            (o.buyer_id, "결제 완료", format!("주문 {short} 결제가 완료됐어요.")),
            (o.seller_id, "결제 완료", format!("주문 {short}: 물건을 준비해 주세요.")),
        ],
        OrderEvent::ReservationExpired => {
            vec![(o.buyer_id, "예약 만료", format!("주문 {short}: 결제 시간이 지나 예약이 풀렸어요."))]
        }
        OrderEvent::RiderAssigned => {
            vec![(o.buyer_id, "배송 기사 배정", format!("주문 {short}에 기사님이 배정됐어요."))]
        }
        OrderEvent::PickedUp => {
            vec![(o.buyer_id, "픽업 완료", format!("주문 {short}: 기사님이 물건을 가지고 출발했어요."))]
        }
        OrderEvent::Delivered => vec![
            (o.buyer_id, "배송 완료", format!("주문 {short}이 도착했어요.")),
            (o.seller_id, "거래 완료", format!("주문 {short} 배송이 끝났어요.")),
        ],
        OrderEvent::Cancelled => vec![
            (o.buyer_id, "주문 취소", format!("주문 {short}이 취소됐어요.")),
            (o.seller_id, "주문 취소", format!("주문 {short}이 취소됐어요.")),
        ],
    }
}
