//! The `sandbox` gateway: deterministic and in-process, for demos and tests.
//!
//! - A `payment_key` starting with `fail_` is declined; any other key is captured.
//! - Capturing the same key twice is refused (a real gateway would too).
//! - Webhooks are JSON `{"event_id", "payment_key", "status"}` signed with HMAC-SHA256 of the
//!   body under `SANDBOX_WEBHOOK_SECRET`, hex in `X-Sandbox-Signature`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::gateway::{BoxFuture, GatewayError, PaymentGateway, Receipt, WebhookEvent};
use crate::platform::secret::Secret;

pub struct SandboxGateway {
    secret: Secret,
    /// payment key → (captured amount, cancelled amount)
    captures: Mutex<BTreeMap<String, (i64, i64)>>,
}

impl SandboxGateway {
    pub fn new(secret: Secret) -> Self {
        Self { secret, captures: Mutex::new(BTreeMap::new()) }
    }

    /// How many captures happened (tests check "exactly once").
    pub fn captures(&self) -> usize {
        self.captures.lock().expect("sandbox lock").len()
    }

    pub fn cancelled(&self, key: &str) -> i64 {
        self.captures.lock().expect("sandbox lock").get(key).map_or(0, |c| c.1)
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
        _order_id: Uuid,
        amount: i64,
    ) -> BoxFuture<'a, Result<Receipt, GatewayError>> {
        Box::pin(async move {
            if payment_key.starts_with("fail_") {
                return Err(GatewayError::Declined("card declined (sandbox)".into()));
            }
            let mut c = self.captures.lock().expect("sandbox lock");
            if c.contains_key(payment_key) {
                return Err(GatewayError::Declined("payment key already captured".into()));
            }
            c.insert(payment_key.to_string(), (amount, 0));
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
            let mut c = self.captures.lock().expect("sandbox lock");
            let entry = c.get_mut(payment_key).ok_or_else(|| GatewayError::Declined("unknown payment key".into()))?;
            if entry.1 + amount > entry.0 {
                return Err(GatewayError::Declined("cancel exceeds the captured amount".into()));
            }
            entry.1 += amount;
            Ok(())
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
