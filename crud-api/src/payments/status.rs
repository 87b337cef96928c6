//! A payment's life: a quote is claimed for confirmation with the gateway, then captured or
//! failed; captured money is refunded in part or in full; a newer quote supersedes an open one.
//!
//! ```text
//! quoted ──claim──▶ confirming ──gateway ok──▶ confirmed ──refund──▶ partially_refunded ──▶ refunded
//!   │    ◀─release─┘          └──declined──▶ failed         └────────────full refund────────────▶┘
//!   └──newer quote──▶ superseded                     (cancelled: voided at the gateway)
//! ```

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    Quoted,
    Confirming,
    Confirmed,
    Failed,
    Superseded,
    Cancelled,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 8] = [
        PaymentStatus::Quoted,
        PaymentStatus::Confirming,
        PaymentStatus::Confirmed,
        PaymentStatus::Failed,
        PaymentStatus::Superseded,
        PaymentStatus::Cancelled,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Quoted => "quoted",
            PaymentStatus::Confirming => "confirming",
            PaymentStatus::Confirmed => "confirmed",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Superseded => "superseded",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Money was captured and not all of it went back: refundable.
    pub fn is_captured(self) -> bool {
        matches!(self, PaymentStatus::Confirmed | PaymentStatus::PartiallyRefunded)
    }
}

crate::text_enum!(PaymentStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_and_unknown_ones_do_not_parse() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PaymentStatus::parse("Confirmed"), None);
        assert_eq!(PaymentStatus::parse("canceled"), None);
    }
}
