//! The open notification streams of this replica, and the one task that tells them when to
//! look.
//!
//! Each stream used to poll the database on its own every two seconds, with no limit on how
//! many one user could open, and lived on after its token expired or the account was
//! disabled: one user with fifty tickets held fifty pollers (and their connections) for as
//! long as they liked. Now:
//! - one poller per replica reads what is new for *every* stream (one query per poll, however
//!   many are open) and wakes only the streams of users who got something;
//! - a user has at most `per_user` streams on a replica: opening another ends the oldest
//!   (`replaced` — the tab a user left open somewhere, most likely);
//! - a stream ends when the token (or the ticket's token) that opened it expires
//!   (`token_expired`) and within one poll of the account being disabled (`account_disabled`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use crate::notifications::store;
use crate::platform::db::Db;

/// How often the poller looks for notifications written by other replicas.
pub const POLL: Duration = Duration::from_secs(2);
/// How far back each poll reads: a row committed late (a slow transaction, another replica's
/// clock a little behind) is still seen. Ids already seen in the window don't wake again.
const LOOKBACK: chrono::Duration = chrono::Duration::seconds(10);
/// How often the accounts behind open streams are checked for being disabled.
const ACCOUNT_CHECK: Duration = Duration::from_secs(5);

/// Why the server ended a stream: the `event` name of its last message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The user opened more streams than allowed; this was the oldest.
    Replaced,
    /// The account was disabled.
    AccountDisabled,
}

impl EndReason {
    pub fn event(self) -> &'static str {
        match self {
            EndReason::Replaced => "replaced",
            EndReason::AccountDisabled => "account_disabled",
        }
    }
}

/// What a stream is told: a count that grows each time there may be something for it, and,
/// once, why it must end.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signal {
    pub wakes: u64,
    pub end: Option<EndReason>,
}

struct Sub {
    id: u64,
    tx: watch::Sender<Signal>,
}

/// This replica's open streams, by user.
pub struct StreamHub {
    subs: Mutex<HashMap<Uuid, Vec<Sub>>>,
    per_user: usize,
    next: AtomicU64,
    /// Streams open now (exported at `/metrics`).
    pub open: Gauge<i64, AtomicI64>,
}

/// One open stream's end of the hub: its signals, and its place, given up on drop.
pub struct Subscription {
    pub signals: watch::Receiver<Signal>,
    hub: Arc<StreamHub>,
    user: Uuid,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.user, self.id);
    }
}

impl StreamHub {
    pub fn new(per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            subs: Mutex::default(),
            per_user: per_user.max(1),
            next: AtomicU64::new(0),
            open: Gauge::default(),
        })
    }

    /// Registers a stream for `user`, ending their oldest when they are at the limit.
    pub fn open(self: &Arc<Self>, user: Uuid) -> Subscription {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, signals) = watch::channel(Signal::default());
        let mut subs = self.subs.lock().expect("stream hub lock");
        let mine = subs.entry(user).or_default();
        while mine.len() >= self.per_user {
            let oldest = mine.remove(0);
            oldest.tx.send_modify(|s| s.end = Some(EndReason::Replaced));
            self.open.dec();
        }
        mine.push(Sub { id, tx });
        self.open.inc();
        Subscription { signals, hub: self.clone(), user, id }
    }

    fn remove(&self, user: Uuid, id: u64) {
        let mut subs = self.subs.lock().expect("stream hub lock");
        if let Some(mine) = subs.get_mut(&user) {
            let before = mine.len();
            mine.retain(|s| s.id != id);
            if mine.len() < before {
                self.open.dec();
            }
            if mine.is_empty() {
                subs.remove(&user);
            }
        }
    }

    /// Tells `user`'s streams to look for new notifications.
    pub fn wake(&self, user: Uuid) {
        if let Some(mine) = self.subs.lock().expect("stream hub lock").get(&user) {
            for s in mine {
                s.tx.send_modify(|sig| sig.wakes += 1);
            }
        }
    }

    /// Ends every stream of `user`.
    pub fn end(&self, user: Uuid, reason: EndReason) {
        if let Some(mine) = self.subs.lock().expect("stream hub lock").remove(&user) {
            for s in &mine {
                s.tx.send_modify(|sig| sig.end = Some(reason));
            }
            self.open.dec_by(mine.len() as i64);
        }
    }

    /// Streams `user` has open here.
    pub fn open_for(&self, user: Uuid) -> usize {
        self.subs.lock().expect("stream hub lock").get(&user).map_or(0, Vec::len)
    }

    fn users(&self) -> Vec<Uuid> {
        self.subs.lock().expect("stream hub lock").keys().copied().collect()
    }

    /// The poller: runs for the life of the replica. `local` is rung when this replica writes
    /// a notification, so its own events are read at once rather than at the next poll.
    pub async fn run(self: Arc<Self>, db: Db, local: Arc<Notify>) {
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut checked = tokio::time::Instant::now();
        loop {
            let woken = local.notified();
            let users = self.users();
            if !users.is_empty() {
                let since = Utc::now() - LOOKBACK;
                match store::recent(&db, v7_floor(since)).await {
                    Ok(rows) => {
                        for (id, user) in rows {
                            if seen.insert(id) {
                                self.wake(user);
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "notification poll failed"),
                }
                let floor = v7_floor(since);
                seen.retain(|id| *id >= floor);
                if checked.elapsed() >= ACCOUNT_CHECK {
                    checked = tokio::time::Instant::now();
                    match crate::identity::store::users::disabled_among(&db, &users).await {
                        Ok(disabled) => disabled.into_iter().for_each(|u| self.end(u, EndReason::AccountDisabled)),
                        Err(e) => tracing::warn!(error = %e, "checking streaming accounts failed"),
                    }
                }
            }
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// The smallest UUIDv7 of the millisecond `at`: every id made at or after it sorts at or above
/// (the 48-bit timestamp leads, big-endian, and both databases compare ids bytewise).
fn v7_floor(at: chrono::DateTime<Utc>) -> Uuid {
    let ms = at.timestamp_millis().max(0) as u64;
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_sorts_below_every_later_id() {
        let now = Utc::now();
        let floor = v7_floor(now - chrono::Duration::milliseconds(1));
        assert!(Uuid::now_v7() > floor);
        assert!(v7_floor(now + chrono::Duration::seconds(1)) > Uuid::now_v7());
    }

    #[tokio::test]
    async fn a_user_at_the_limit_loses_the_oldest_stream() {
        let hub = StreamHub::new(2);
        let u = Uuid::now_v7();
        let first = hub.open(u);
        let _second = hub.open(u);
        let _third = hub.open(u);
        assert_eq!(hub.open_for(u), 2);
        assert_eq!(first.signals.borrow().end, Some(EndReason::Replaced));
        assert_eq!(hub.open.get(), 2);
        drop(first); // already gone from the hub: nothing more to count
        assert_eq!(hub.open.get(), 2);
        hub.end(u, EndReason::AccountDisabled);
        assert_eq!(hub.open_for(u), 0);
        assert_eq!(hub.open.get(), 0);
    }
}
