//! The order state machine.
//!
//! ```text
//! pending_payment ──pay──▶ paid ──seller──▶ ready_for_pickup ──rider──▶ picked_up ──rider──▶ delivered
//!        │                  │                     │                                            │
//!        └─cancel─▶ cancelled└──────refund────────┴──────────▶ refunded ◀───────admin──────────┘
//! ```
//! Every transition is checked here, applied with a conditional UPDATE (so two actors racing
//! on one order can't both win) and recorded in `order_events`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    ReadyForPickup,
    PickedUp,
    Delivered,
    Cancelled,
    Refunded,
}

crate::text_enum!(OrderStatus);

/// What a transition does to the reserved stock of the order's products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockEffect {
    None,
    /// reserved → sold (payment).
    Sell,
    /// reserved → available (an unpaid order ends).
    Release,
    /// sold → available (refunded before the item left the seller).
    Restock,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::ReadyForPickup,
        OrderStatus::PickedUp,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::ReadyForPickup => "ready_for_pickup",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Legal next states.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            PendingPayment => &[Paid, Cancelled],
            Paid => &[ReadyForPickup, PickedUp, Refunded],
            ReadyForPickup => &[PickedUp, Refunded],
            PickedUp => &[Delivered],
            Delivered => &[Refunded],
            Cancelled | Refunded => &[],
        }
    }

    pub fn can_become(self, to: OrderStatus) -> bool {
        self.next().contains(&to)
    }

    /// Stock movement of `self → to` (only meaningful when the transition is legal).
    pub fn stock_effect(self, to: OrderStatus) -> StockEffect {
        use OrderStatus::*;
        match (self, to) {
            (PendingPayment, Paid) => StockEffect::Sell,
            (PendingPayment, Cancelled) => StockEffect::Release,
            (Paid | ReadyForPickup, Refunded) => StockEffect::Restock,
            _ => StockEffect::None,
        }
    }

    /// Before the rider has the item: the buyer may still back out.
    pub fn buyer_may_cancel(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::ReadyForPickup)
    }

    /// The state a buyer's or admin's cancel leads to: unpaid orders are cancelled, paid ones
    /// refunded.
    pub fn cancel_target(self) -> OrderStatus {
        if self == OrderStatus::PendingPayment {
            OrderStatus::Cancelled
        } else {
            OrderStatus::Refunded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn terminal_states_go_nowhere() {
        for s in [Cancelled, Refunded] {
            assert!(OrderStatus::ALL.iter().all(|t| !s.can_become(*t)));
        }
    }

    #[test]
    fn the_happy_path_is_legal_and_shortcuts_are_not() {
        let path = [PendingPayment, Paid, ReadyForPickup, PickedUp, Delivered];
        for w in path.windows(2) {
            assert!(w[0].can_become(w[1]), "{:?} → {:?}", w[0], w[1]);
        }
        assert!(!PendingPayment.can_become(Delivered));
        assert!(!PickedUp.can_become(Refunded), "no refund while the rider carries it");
        assert!(!Delivered.can_become(PendingPayment));
    }

    #[test]
    fn stock_follows_money() {
        assert_eq!(PendingPayment.stock_effect(Paid), StockEffect::Sell);
        assert_eq!(PendingPayment.stock_effect(Cancelled), StockEffect::Release);
        assert_eq!(ReadyForPickup.stock_effect(Refunded), StockEffect::Restock);
        assert_eq!(Delivered.stock_effect(Refunded), StockEffect::None);
        assert_eq!(PendingPayment.cancel_target(), Cancelled);
        assert_eq!(Paid.cancel_target(), Refunded);
    }

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }
}
