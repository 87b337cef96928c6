//! In-process token-bucket rate limits: per client IP (sign-in, refresh) and rider position
//! reports. The limits that guard secrets are shared by the replicas (`shared_limit`).
//!
//! In-process: each crud-api replica limits on its own (a flood guard).
//! Buckets refill continuously; a refused attempt learns how long until the next token
//! (`Retry-After`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub struct RateLimiter {
    capacity: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Above this many tracked keys, full buckets are dropped on the next insert.
const PRUNE_AT: usize = 50_000;

impl RateLimiter {
    /// `capacity` attempts per `window`; 0 disables the limiter.
    pub fn new(capacity: u32, window: Duration) -> Self {
        Self {
            capacity: capacity as f64,
            per_sec: capacity as f64 / window.as_secs_f64(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.capacity == 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(key) {
            let (cap, rate) = (self.capacity, self.per_sec);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < cap);
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
    fn zero_disables() {
        let rl = RateLimiter::new(0, Duration::from_secs(60));
        for _ in 0..1000 {
            assert!(rl.check("k").is_ok());
        }
    }
}
