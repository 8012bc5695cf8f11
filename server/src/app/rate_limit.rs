//! Failed enrolments and authentications per client address, limited by a
//! token bucket: `burst` failures at once, then `per_minute`. A blocked
//! address gets `auth.rate_limited` (429) before any work is done, so
//! guessing codes or credentials is slow. Successful requests cost nothing,
//! and a request with a valid terminal credential or admin token passes
//! even from a blocked address: tills behind one NAT share an address, and
//! a stranger's failures there must not lock them out.
//! In memory: a restart forgets, which is fine for a brake on guessing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::RateLimitConfig;

const MILLI: u64 = 1000;
/// Addresses remembered at most; the table is cleared of full buckets past this.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a token.
    tokens_milli: u64,
    at: Instant,
}

/// Token buckets per address.
#[derive(Debug)]
pub struct FailureLimiter {
    config: RateLimitConfig,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl FailureLimiter {
    /// A limiter with these limits.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed_ms =
            u64::try_from(now.saturating_duration_since(bucket.at).as_millis()).unwrap_or(u64::MAX);
        let gained = elapsed_ms
            .saturating_mul(u64::from(self.config.per_minute))
            .saturating_mul(MILLI)
            / 60_000;
        Bucket {
            tokens_milli: bucket
                .tokens_milli
                .saturating_add(gained)
                .min(u64::from(self.config.burst) * MILLI),
            at: now,
        }
    }

    /// Whether `ip` has no failures left.
    pub fn is_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .get(&ip)
            .is_some_and(|b| self.refilled(*b, now).tokens_milli < MILLI)
    }

    /// Count one failure of `ip`.
    pub fn charge(&self, ip: IpAddr, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_ADDRESSES {
            let full = u64::from(self.config.burst) * MILLI;
            buckets.retain(|_, b| self.refilled(*b, now).tokens_milli < full);
        }
        let start = Bucket {
            tokens_milli: u64::from(self.config.burst) * MILLI,
            at: now,
        };
        let bucket = buckets.get(&ip).map_or(start, |b| self.refilled(*b, now));
        buckets.insert(
            ip,
            Bucket {
                tokens_milli: bucket.tokens_milli.saturating_sub(MILLI),
                at: now,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn blocks_after_the_burst_and_refills_over_time() {
        let limiter = FailureLimiter::new(RateLimitConfig {
            burst: 3,
            per_minute: 6,
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(!limiter.is_blocked(ip, t0));
            limiter.charge(ip, t0);
        }
        assert!(limiter.is_blocked(ip, t0));
        assert!(!limiter.is_blocked(other, t0));
        // 6 per minute: one token every 10 s
        assert!(limiter.is_blocked(ip, t0 + Duration::from_secs(9)));
        assert!(!limiter.is_blocked(ip, t0 + Duration::from_secs(10)));
        assert!(!limiter.is_blocked(ip, t0 + Duration::from_secs(3600)));
    }
}
