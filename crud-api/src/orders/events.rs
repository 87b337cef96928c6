//! What happens to an order that people are told about, and who tells them: the order flow
//! announces through `OrderEvents` (notifications implements it), so orders never depend on
//! how — or whether — anyone is notified.

use futures_util::future::BoxFuture;

use crate::orders::status::OrderStatus;
use crate::orders::store::OrderRow;

/// What happened, for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    OrderPlaced,
    Paid,
    ReservationExpired,
    RiderAssigned,
    PickedUp,
    Delivered,
    Cancelled,
}

impl OrderEvent {
    pub fn kind(self) -> &'static str {
        match self {
            OrderEvent::OrderPlaced => "order_placed",
            OrderEvent::Paid => "order_paid",
            OrderEvent::ReservationExpired => "reservation_expired",
            OrderEvent::RiderAssigned => "rider_assigned",
            OrderEvent::PickedUp => "picked_up",
            OrderEvent::Delivered => "delivered",
            OrderEvent::Cancelled => "order_cancelled",
        }
    }

    /// The event a status change announces, if any.
    pub fn for_status(to: OrderStatus, expired: bool) -> Option<OrderEvent> {
        match to {
            OrderStatus::Paid => Some(OrderEvent::Paid),
            OrderStatus::PickedUp => Some(OrderEvent::PickedUp),
            OrderStatus::Delivered => Some(OrderEvent::Delivered),
            OrderStatus::Cancelled if expired => Some(OrderEvent::ReservationExpired),
            OrderStatus::Cancelled | OrderStatus::Refunded => Some(OrderEvent::Cancelled),
            _ => None,
        }
    }
}

/// Where the order flow announces its events (`notifications::Notifier`). Never fails: a lost
/// notification must not undo an order change that already committed.
pub trait OrderEvents: Send + Sync {
    fn order_event<'a>(&'a self, event: OrderEvent, order: &'a OrderRow) -> BoxFuture<'a, ()>;
}
