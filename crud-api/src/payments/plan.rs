//! A verified payment plan as it is stored with its payment (`payments.plan`, JSON) and read
//! back at confirm and refund. A storage type of its own: the API's `PlanView` may change
//! shape without touching stored rows (the JSON fields are the ones stored since 0004).

use serde::{Deserialize, Serialize};

use plugin_strategies as s;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPlan {
    pub adjustments: Vec<StoredAdjustment>,
    pub delivery_fee: i64,
    pub commission: i64,
    pub payouts: Vec<StoredPayout>,
    pub methods: Vec<String>,
    pub gateway: String,
    pub total: i64,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAdjustment {
    pub product_id: String,
    pub amount: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPayout {
    pub seller_id: String,
    pub amount: i64,
}

impl From<&s::Plan> for StoredPlan {
    fn from(p: &s::Plan) -> Self {
        Self {
            adjustments: p
                .adjustments
                .iter()
                .map(|a| StoredAdjustment {
                    product_id: a.product_id.clone(),
                    amount: a.amount,
                    reason: a.reason.clone(),
                })
                .collect(),
            delivery_fee: p.delivery_fee,
            commission: p.commission,
            payouts: p
                .payouts
                .iter()
                .map(|x| StoredPayout { seller_id: x.seller_id.clone(), amount: x.amount })
                .collect(),
            methods: p.methods.clone(),
            gateway: p.gateway.clone(),
            total: p.total,
            notes: p.notes.clone(),
        }
    }
}

impl StoredPlan {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a plan of strings and integers serialises")
    }

    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stored_before_the_split_still_read() {
        // Exactly what the API's PlanView wrote into payments.plan until 2026-12.
        let old = r#"{"adjustments":[{"product_id":"p1","amount":-15000,"reason":"WELCOME10"}],"delivery_fee":15000,
            "commission":7500,"payouts":[{"seller_id":"s1","amount":127500}],"methods":["card","kakaopay"],
            "gateway":"sandbox","total":150000,"notes":["쿠폰 적용"]}"#;
        let p = StoredPlan::from_json(old).unwrap();
        assert_eq!((p.total, p.payouts[0].amount, p.adjustments[0].amount), (150_000, 127_500, -15_000));
        assert_eq!(StoredPlan::from_json(&p.to_json()).unwrap(), p);
    }
}
