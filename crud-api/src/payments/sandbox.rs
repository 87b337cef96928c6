//! The `sandbox` gateway: deterministic and in-process, for demos and tests.
//!
//! - A `payment_key` starting with `fail_` is declined; any other key is captured.
//! - Capturing the same key twice is refused (a real gateway would too).
//! - Its records live in the database (`payments::store::sandbox`): every replica is the same
//!   gateway, and a capture survives a restart, as it would at a real gateway.
//! - Webhooks are JSON `{"event_id", "payment_key", "status"}` signed with HMAC-SHA256 of the
//!   body under `SANDBOX_WEBHOOK_SECRET`, hex in `X-Sandbox-Signature`.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::gateway::{BoxFuture, GatewayError, Lookup, PaymentGateway, Receipt, WebhookEvent};
use crate::payments::store::sandbox as records;
use crate::platform::db::Db;
use crate::platform::secret::Secret;

pub struct SandboxGateway {
    secret: Secret,
    db: Db,
}

fn unavailable(e: sqlx::Error) -> GatewayError {
    GatewayError::Unavailable(format!("sandbox records: {e}"))
}

impl SandboxGateway {
    pub fn new(secret: Secret, db: Db) -> Self {
        Self { secret, db }
    }

    /// How many captures happened (tests check "exactly once").
    pub async fn captures(&self) -> i64 {
        records::count(&self.db).await.expect("sandbox records")
    }

    pub async fn cancelled(&self, key: &str) -> i64 {
        records::get(&self.db, key).await.expect("sandbox records").map_or(0, |c| c.cancelled)
    }

    pub fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }
}

impl PaymentGateway for SandboxGateway {
    fn name(&self) -> &'static str {
        plugin_strategies::verify::gateways::SANDBOX.0
    }

    fn methods(&self) -> &'static [&'static str] {
        plugin_strategies::verify::gateways::SANDBOX.1
    }

    fn initiate(&self, order_id: Uuid, amount: i64, order_name: &str) -> serde_json::Value {
        serde_json::json!({
            "order_id": order_id, "amount": amount, "order_name": order_name,
            "note": "sandbox: confirm with any payment_key; keys starting with fail_ are declined",
        })
    }

    fn confirm<'a>(
        &'a self,
        payment_key: &'a str,
        order_id: Uuid,
        amount: i64,
    ) -> BoxFuture<'a, Result<Receipt, GatewayError>> {
        Box::pin(async move {
            if payment_key.starts_with("fail_") {
                return Err(GatewayError::Declined("card declined (sandbox)".into()));
            }
            if !records::capture(&self.db, payment_key, order_id, amount, "card").await.map_err(unavailable)? {
                return Err(GatewayError::Declined("payment key already captured".into()));
            }
            Ok(Receipt { method: "card".into() })
        })
    }

    fn cancel<'a>(
        &'a self,
        payment_key: &'a str,
        amount: i64,
        _reason: &'a str,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            if records::get(&self.db, payment_key).await.map_err(unavailable)?.is_none() {
                return Err(GatewayError::Declined("unknown payment key".into()));
            }
            if !records::cancel(&self.db, payment_key, amount).await.map_err(unavailable)? {
                return Err(GatewayError::Declined("cancel exceeds the captured amount".into()));
            }
            Ok(())
        })
    }

    fn lookup<'a>(&'a self, payment_key: &'a str, order_id: Uuid) -> BoxFuture<'a, Result<Lookup, GatewayError>> {
        Box::pin(async move {
            Ok(match records::get(&self.db, payment_key).await.map_err(unavailable)? {
                None => Lookup::NotCaptured,
                Some(c) if c.order_id != order_id => {
                    return Err(GatewayError::Declined("this key was captured for another order".into()))
                }
                Some(c) if c.cancelled > 0 => Lookup::Cancelled,
                Some(c) => Lookup::Captured { amount: c.amount, method: c.method },
            })
        })
    }

    fn verify_webhook<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<WebhookEvent, GatewayError>> {
        Box::pin(async move {
            let given =
                headers.get("x-sandbox-signature").and_then(|v| v.to_str().ok()).ok_or(GatewayError::BadSignature)?;
            let given = hex::decode(given.trim()).map_err(|_| GatewayError::BadSignature)?;
            let mut mac =
                Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).expect("HMAC takes any key length");
            mac.update(body);
            mac.verify_slice(&given).map_err(|_| GatewayError::BadSignature)?;
            let v: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| GatewayError::Malformed(e.to_string()))?;
            let field = |k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .map(String::from)
                    .ok_or_else(|| GatewayError::Malformed(format!("missing {k}")))
            };
            Ok(WebhookEvent {
                event_id: field("event_id")?,
                payment_key: field("payment_key")?,
                status: field("status")?.to_lowercase(),
            })
        })
    }
}
