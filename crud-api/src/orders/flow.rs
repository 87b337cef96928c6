//! Order operations shared by handlers and background work: state changes with their
//! notifications, and reservation expiry.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::store::{self, Actor, OrderRow, TransitionError};
use crate::orders::events::{OrderEvent, OrderEvents};
use crate::orders::status::OrderStatus;
use crate::platform::db::Db;
use crate::platform::error::ApiError;

/// What moving an order can fail with; mapped once to problem+json (`not_found`,
/// `illegal_transition`).
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("order not found")]
    NotFound,
    #[error("an order can't go from {} to {}", .from.as_str(), .to.as_str())]
    Illegal { from: OrderStatus, to: OrderStatus },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::NotFound => ApiError::NotFound("order"),
            OrderError::Illegal { from, to } => ApiError::IllegalTransition { from: from.as_str(), to: to.as_str() },
            OrderError::Db(e) => e.into(),
        }
    }
}

/// The order state machine's moves and what they need: the database and where to announce.
#[derive(Clone)]
pub struct Orders {
    db: Db,
    events: Arc<dyn OrderEvents>,
}

impl Orders {
    pub fn new(db: Db, events: Arc<dyn OrderEvents>) -> Self {
        Self { db, events }
    }

    /// Applies a transition and announces it. `expect` pins the state it must start from.
    #[tracing::instrument(skip_all, fields(order = %id, to = to.as_str()))]
    pub async fn change_status(
        &self,
        id: Uuid,
        expect: Option<OrderStatus>,
        to: OrderStatus,
        actor: Actor,
        note: Option<&str>,
    ) -> Result<OrderRow, OrderError> {
        match store::transition(&self.db, id, expect, to, actor, note).await? {
            Ok(order) => {
                self.announce(&order, actor).await;
                Ok(order)
            }
            Err(TransitionError::NotFound) => Err(OrderError::NotFound),
            Err(TransitionError::Illegal { from, to }) => Err(OrderError::Illegal { from, to }),
        }
    }

    /// Tells the order's people about the state it just reached (`actor` moved it there),
    /// after the move committed — also for moves made inside another feature's transaction
    /// (a payment's settlement).
    pub async fn announce(&self, order: &OrderRow, actor: Actor) {
        let expired = matches!(actor, Actor::System) && order.status == OrderStatus::Cancelled;
        if let Some(event) = OrderEvent::for_status(order.status, expired) {
            self.events.order_event(event, order).await;
        }
        tracing::info!(order = %order.id, to = order.status.as_str(), actor = ?actor, "order status changed");
    }

    /// Cancels unpaid orders whose reservation ran out, returning their items to sale. Returns
    /// how many it cancelled. Safe to run on several replicas at once: each order's transition is
    /// conditional, so only one of them cancels it.
    #[tracing::instrument(skip_all)]
    pub async fn expire_reservations(&self, now: DateTime<Utc>) -> Result<usize, OrderError> {
        let mut done = 0;
        for id in store::expired(&self.db, now, 500).await? {
            match self
                .change_status(
                    id,
                    Some(OrderStatus::PendingPayment),
                    OrderStatus::Cancelled,
                    Actor::System,
                    Some("reservation expired"),
                )
                .await
            {
                Ok(_) => done += 1,
                Err(OrderError::Illegal { .. }) => {} // paid or cancelled meanwhile
                Err(e) => return Err(e),
            }
        }
        if done > 0 {
            tracing::info!(count = done, "expired reservations");
        }
        Ok(done)
    }
}
