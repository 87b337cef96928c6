//! What the payment flows can fail with, in their own words; mapped once to the API's problem
//! responses (`From<PaymentError> for ApiError`), with the stable codes clients already see.

use crate::orders::status::OrderStatus;
use crate::platform::error::{ApiError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("the order is {}, not waiting for payment", .0.as_str())]
    NotPayable(OrderStatus),
    #[error("quote the payment first: POST /api/v1/orders/{{id}}/payments/quote")]
    NoQuote,
    #[error("this order is not waiting for payment")]
    AlreadyPaid,
    /// A confirmation of this order or payment key is running (or the payment moved under it).
    #[error("{0}")]
    InProgress(&'static str),
    #[error("this payment key belongs to another order")]
    KeyUsed,
    #[error("amount must equal the quoted total {0}")]
    AmountMismatch(i64),
    #[error("payment declined: {0}")]
    Declined(String),
    #[error("payment gateway unavailable: {0}")]
    GatewayUnavailable(String),
    /// The tenant's strategy failed and its fallback is fail-closed (or its plan is unusable).
    #[error("payment strategy unavailable: {0}")]
    StrategyUnavailable(String),
    #[error("{0}")]
    NotRefundable(&'static str),
    #[error("refund amount must be 1 to {0}")]
    RefundAmount(i64),
    #[error("order not found")]
    OrderNotFound,
    /// A payment of the order is being confirmed, or a crash left it so until the reconciler
    /// settles it: nothing may move the order's money meanwhile.
    #[error("a payment of this order is still being confirmed; try again shortly")]
    Unresolved,
    /// The order state machine refused a move.
    #[error(transparent)]
    Order(#[from] crate::orders::flow::OrderError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        use PaymentError::*;
        match e {
            NotPayable(from) => ApiError::IllegalTransition { from: from.as_str(), to: OrderStatus::Paid.as_str() },
            NoQuote => {
                ApiError::Conflict("no_quote", "quote the payment first: POST /api/v1/orders/{id}/payments/quote")
            }
            AlreadyPaid => ApiError::Conflict("already_paid", "this order is not waiting for payment"),
            InProgress(why) => ApiError::Conflict("payment_in_progress", why),
            KeyUsed => ApiError::Conflict("payment_key_used", "this payment key belongs to another order"),
            AmountMismatch(total) => {
                ApiError::Validation(vec![FieldError::new("amount", format!("must equal the quoted total {total}"))])
            }
            Declined(why) => ApiError::PaymentDeclined(why),
            GatewayUnavailable(why) => ApiError::GatewayUnavailable(why),
            StrategyUnavailable(why) => ApiError::StrategyUnavailable(why),
            NotRefundable(why) => ApiError::Conflict("not_refundable", why),
            RefundAmount(left) => ApiError::field("amount", &format!("must be 1 to {left}")),
            OrderNotFound => ApiError::NotFound("order"),
            Unresolved => ApiError::Conflict(
                "payment_unresolved",
                "a payment of this order is still being confirmed; try again shortly",
            ),
            Order(e) => e.into(),
            Db(e) => e.into(),
            Internal(e) => ApiError::Internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_payment_error_keeps_the_code_clients_know() {
        let cases = [
            (PaymentError::NotPayable(OrderStatus::Paid), 409, "illegal_transition"),
            (PaymentError::NoQuote, 409, "no_quote"),
            (PaymentError::AlreadyPaid, 409, "already_paid"),
            (PaymentError::InProgress("x"), 409, "payment_in_progress"),
            (PaymentError::KeyUsed, 409, "payment_key_used"),
            (PaymentError::AmountMismatch(5), 422, "validation_failed"),
            (PaymentError::Declined("card".into()), 402, "payment_declined"),
            (PaymentError::GatewayUnavailable("down".into()), 502, "gateway_unavailable"),
            (PaymentError::StrategyUnavailable("x".into()), 503, "strategy_unavailable"),
            (PaymentError::NotRefundable("x"), 409, "not_refundable"),
            (PaymentError::RefundAmount(10), 422, "validation_failed"),
            (PaymentError::Unresolved, 409, "payment_unresolved"),
            (PaymentError::OrderNotFound, 404, "not_found"),
        ];
        for (e, status, code) in cases {
            let (s, c) = ApiError::from(e).status_and_code();
            assert_eq!((s.as_u16(), c), (status, code));
        }
    }
}
