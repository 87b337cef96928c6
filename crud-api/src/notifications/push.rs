//! Push delivery. The default sender records each push in `push_outbox`; a provider adapter
//! (FCM, APNs) implements `PushSender` or drains the outbox — no provider is reachable here.

use async_trait_free::BoxFuture;

use super::store::{self, NotificationRow};
use crate::platform::db::Db;

/// Sends one notification to every device of its user.
pub trait PushSender: Send + Sync {
    fn send<'a>(&'a self, db: &'a Db, n: &'a NotificationRow) -> BoxFuture<'a, Result<usize, sqlx::Error>>;
}

/// Records deliveries in the outbox table.
pub struct OutboxPushSender;

impl PushSender for OutboxPushSender {
    fn send<'a>(&'a self, db: &'a Db, n: &'a NotificationRow) -> BoxFuture<'a, Result<usize, sqlx::Error>> {
        Box::pin(async move {
            let devices = store::devices(db, n.user_id).await?;
            let payload = serde_json::json!({
                "title": n.title, "body": n.body,
                "data": { "notification_id": n.id, "kind": n.kind, "order_id": n.order_id },
            })
            .to_string();
            for d in &devices {
                store::enqueue_push(db, n.id, &d.platform, &d.token, &payload).await?;
            }
            Ok(devices.len())
        })
    }
}

/// A boxed future, so `PushSender` stays object-safe without a macro crate.
mod async_trait_free {
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}
