//! In-process token-bucket rate limits: per client IP (sign-in, refresh) and rider position
//! reports. The limits that guard secrets are shared by the replicas (`shared_limit`).
//!
//! In-process: each crud-api replica limits on its own (a flood guard).
//! Buckets refill continuously; a refused attempt learns how long until the next token
//! (`Retry-After`).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Keys are spread over this many independently locked maps, so one hot key or one prune
/// holds up a sixteenth of the clients, not all of them.
const SHARDS: usize = 16;
/// Most keys one shard tracks (≈ 260k in all, a few tens of MiB at most). A flood of new keys
/// can't grow the map past this: see `make_room`.
const SHARD_CAPACITY: usize = 16_384;

pub struct RateLimiter {
    capacity: f64,
    per_sec: f64,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
}

impl RateLimiter {
    /// `capacity` attempts per `window`; 0 disables the limiter.
    pub fn new(capacity: u32, window: Duration) -> Self {
        Self {
            capacity: capacity as f64,
            per_sec: capacity as f64 / window.as_secs_f64(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    /// Keys tracked now (for tests and the bound).
    pub fn tracked(&self) -> usize {
        self.shards.iter().map(|s| s.lock().expect("rate limiter lock").len()).sum()
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.capacity == 0.0 {
            return Ok(());
        }
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let mut buckets = self.shards[hasher.finish() as usize % SHARDS].lock().expect("rate limiter lock");
        if buckets.len() >= SHARD_CAPACITY && !buckets.contains_key(key) {
            self.make_room(&mut buckets, now);
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket { tokens: self.capacity, updated: now });
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_sec).min(self.capacity);
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.per_sec))
        }
    }

    /// A full shard drops every bucket that has refilled (forgetting it changes nothing), then,
    /// if still more than three quarters full, the fullest buckets — the clients closest to
    /// unlimited anyway — down to three quarters. Either way the next prune is thousands of
    /// inserts away, so the work per request stays constant however many keys an attacker
    /// invents.
    fn make_room(&self, buckets: &mut HashMap<String, Bucket>, now: Instant) {
        let level = |b: &Bucket| b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * self.per_sec;
        buckets.retain(|_, b| level(b) < self.capacity);
        let keep = SHARD_CAPACITY * 3 / 4;
        if buckets.len() > keep {
            let mut levels: Vec<(f64, String)> = buckets.iter().map(|(k, b)| (level(b), k.clone())).collect();
            levels.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            for (_, key) in levels.into_iter().take(buckets.len() - keep) {
                buckets.remove(&key);
            }
        }
    }
}

/// Whole seconds to put in `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_capacity_then_refills() {
        let rl = RateLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rl.check_at("ip", t0).is_ok());
        }
        let wait = rl.check_at("ip", t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 20);
        assert!(rl.check_at("other", t0).is_ok(), "keys are independent");
        assert!(rl.check_at("ip", t0 + Duration::from_secs(20)).is_ok());
    }

    #[test]
    fn a_flood_of_new_keys_stays_bounded_and_limited_keys_stay_limited() {
        let rl = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        // A client that used up its tokens…
        assert!(rl.check_at("victim-of-its-own-limit", t0).is_ok());
        assert!(rl.check_at("victim-of-its-own-limit", t0).is_ok());
        assert!(rl.check_at("victim-of-its-own-limit", t0).is_err());
        // …then half a million invented keys, one try each.
        for i in 0..500_000u32 {
            assert!(rl.check_at(&format!("k{i}"), t0).is_ok());
        }
        assert!(rl.tracked() <= SHARDS * SHARD_CAPACITY, "{} keys tracked", rl.tracked());
        // The fullest buckets go first: the exhausted client is still limited.
        assert!(rl.check_at("victim-of-its-own-limit", t0).is_err());
    }

    #[test]
    fn zero_disables() {
        let rl = RateLimiter::new(0, Duration::from_secs(60));
        for _ in 0..1000 {
            assert!(rl.check("k").is_ok());
        }
    }
}
