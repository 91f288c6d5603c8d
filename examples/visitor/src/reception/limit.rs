//! A token-bucket rate limiter on the injected clock, keyed by anything
//! hashable (a kiosk's ID, a peer address).
//!
//! Written here rather than taken from `governor`: that crate keeps its
//! own clock (`quanta`), and the demo's every time check runs on the one
//! injected clock so tests can step it; the whole thing is a map of
//! (tokens, last refill) pairs.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Most keys tracked: past it, keys whose bucket has refilled are dropped
/// (they hold no information), so a flood of addresses cannot grow it.
const MAX_KEYS: usize = 10_000;

/// `burst` requests at once, then one every `per_secs` seconds, per key.
#[derive(Debug)]
pub struct RateLimiter<K> {
    burst: f64,
    per_secs: f64,
    buckets: Mutex<HashMap<K, (f64, DateTime<Utc>)>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter allowing `burst` at once and one more every `per_secs`.
    pub fn new(burst: u32, per_secs: u32) -> Self {
        RateLimiter {
            burst: f64::from(burst.max(1)),
            per_secs: f64::from(per_secs.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`; false when none is left.
    pub fn allow(&self, key: &K, now: DateTime<Utc>) -> bool {
        let mut map = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let refill = |(tokens, last): (f64, DateTime<Utc>)| {
            let secs = (now - last).num_milliseconds().max(0) as f64 / 1000.0;
            (tokens + secs / self.per_secs).min(self.burst)
        };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let burst = self.burst;
            map.retain(|_, b| refill(*b) < burst);
        }
        let tokens = map.get(key).map_or(self.burst, |b| refill(*b));
        let (left, ok) = if tokens >= 1.0 {
            (tokens - 1.0, true)
        } else {
            (tokens, false)
        };
        map.insert(key.clone(), (left, now));
        ok
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_burst_then_one_per_period_per_key() {
        let l = RateLimiter::new(3, 10);
        let t0 = Utc::now();
        assert!((0..3).all(|_| l.allow(&1, t0)));
        assert!(!l.allow(&1, t0), "burst spent");
        assert!(l.allow(&2, t0), "another key has its own bucket");
        assert!(!l.allow(&1, t0 + TimeDelta::seconds(9)));
        // 0.9 token at 9 s, 1.9 at 19 s: one more request, not two.
        assert!(l.allow(&1, t0 + TimeDelta::seconds(19)));
        assert!(!l.allow(&1, t0 + TimeDelta::seconds(19)));
    }
}
