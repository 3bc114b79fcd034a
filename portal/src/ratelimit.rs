//! Attempt limits per source address, without IO or a clock: `now` is always a parameter.
//!
//! The portal keeps two limiters: one for code look-ups (`Redeem` over the WebSocket and the
//! `/join/<code>` page share it) and one for representative logins. Each attempt is *charged
//! before* the slow check (database, Argon2) and *forgiven* when it succeeds, so a burst of
//! concurrent guesses cannot slip past the limit while earlier guesses are still in flight.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tandem_portal::ratelimit::RateLimiter;
//! let mut limiter = RateLimiter::new(2, Duration::from_secs(60));
//! let t0 = Instant::now();
//! assert!(limiter.try_acquire("10.0.0.1", t0).is_ok());
//! assert!(limiter.try_acquire("10.0.0.1", t0).is_ok());
//! assert!(limiter.try_acquire("10.0.0.1", t0).is_err());
//! assert!(limiter.try_acquire("10.0.0.1", t0 + Duration::from_secs(60)).is_ok());
//! ```

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How many keys may be tracked before every call also sweeps out stale ones.
const SWEEP_ABOVE: usize = 4096;

/// Counts failed attempts per key in a sliding window.
#[derive(Debug)]
pub struct RateLimiter<K> {
    max_failures: usize,
    window: Duration,
    failures: HashMap<K, VecDeque<Instant>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// At most `max_failures` failures per key within any `window`.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        RateLimiter {
            max_failures: max_failures.max(1),
            window,
            failures: HashMap::new(),
        }
    }

    /// Charges one attempt to `key`. `Err(wait)` means the key is over its limit and may try
    /// again after `wait`; nothing is charged then.
    pub fn try_acquire(&mut self, key: K, now: Instant) -> Result<(), Duration> {
        self.sweep_if_large(now);
        let window = self.window;
        let entry = self.failures.entry(key).or_default();
        while entry
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            entry.pop_front();
        }
        if entry.len() >= self.max_failures {
            let oldest = entry.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.saturating_duration_since(oldest));
            return Err(wait.max(Duration::from_secs(1)));
        }
        entry.push_back(now);
        Ok(())
    }

    /// Takes back the most recent charge of `key`: the attempt succeeded.
    pub fn forgive(&mut self, key: &K) {
        if let Some(entry) = self.failures.get_mut(key) {
            entry.pop_back();
            if entry.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    /// Forgets every failure older than the window.
    pub fn prune(&mut self, now: Instant) {
        let window = self.window;
        self.failures.retain(|_, entry| {
            entry.retain(|t| now.saturating_duration_since(*t) < window);
            !entry.is_empty()
        });
    }

    /// Number of keys with failures on record (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.failures.len()
    }

    fn sweep_if_large(&mut self, now: Instant) {
        if self.failures.len() > SWEEP_ABOVE {
            self.prune(now);
        }
    }
}

/// The key an address is limited under: IPv4 addresses individually, IPv6 by their /64
/// (one customer line usually owns a whole /64, so single addresses would be free to rotate).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// "3 minutes" for a wait, rounded up to whole minutes (at least one).
pub fn minutes_text(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn allows_up_to_the_limit_then_refuses() {
        let mut l = RateLimiter::new(3, 10 * MIN);
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.try_acquire(1u8, t).is_ok());
        }
        let wait = l
            .try_acquire(1u8, t)
            .expect_err("fourth attempt is over the limit");
        assert_eq!(wait, 10 * MIN);
        // Refusals are not charged: the wait does not grow.
        let wait = l.try_acquire(1u8, t + MIN).expect_err("still limited");
        assert_eq!(wait, 9 * MIN);
    }

    #[test]
    fn keys_are_independent() {
        let mut l = RateLimiter::new(1, MIN);
        let t = Instant::now();
        assert!(l.try_acquire("a", t).is_ok());
        assert!(l.try_acquire("a", t).is_err());
        assert!(l.try_acquire("b", t).is_ok());
    }

    #[test]
    fn window_slides() {
        let mut l = RateLimiter::new(2, 10 * MIN);
        let t = Instant::now();
        assert!(l.try_acquire(7, t).is_ok());
        assert!(l.try_acquire(7, t + 5 * MIN).is_ok());
        assert!(l.try_acquire(7, t + 9 * MIN).is_err());
        // The first failure left the window; one slot is free again, not two.
        assert!(l.try_acquire(7, t + 10 * MIN).is_ok());
        assert!(l.try_acquire(7, t + 10 * MIN).is_err());
    }

    #[test]
    fn forgiven_attempts_do_not_count() {
        let mut l = RateLimiter::new(2, MIN);
        let t = Instant::now();
        for _ in 0..10 {
            assert!(l.try_acquire(1, t).is_ok());
            l.forgive(&1);
        }
        assert_eq!(l.tracked_keys(), 0);
        assert!(l.try_acquire(1, t).is_ok());
        assert!(l.try_acquire(1, t).is_ok());
        assert!(l.try_acquire(1, t).is_err());
    }

    #[test]
    fn prune_forgets_old_keys() {
        let mut l = RateLimiter::new(5, MIN);
        let t = Instant::now();
        for k in 0..100 {
            assert!(l.try_acquire(k, t).is_ok());
        }
        l.prune(t + MIN / 2);
        assert_eq!(l.tracked_keys(), 100);
        l.prune(t + MIN);
        assert_eq!(l.tracked_keys(), 0);
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("valid");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("valid");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("valid");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("valid");
        assert_eq!(
            client_key(mapped),
            "192.0.2.1".parse::<IpAddr>().expect("valid")
        );
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(minutes_text(Duration::from_secs(1)), "1 minute");
        assert_eq!(minutes_text(Duration::from_secs(61)), "2 minutes");
        assert_eq!(minutes_text(Duration::from_secs(600)), "10 minutes");
    }
}
