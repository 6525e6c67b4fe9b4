//! An optional limit of requests per token, answered with 429 and `Retry-After` as Webex
//! does, so clients' retry logic can be tested against it.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use serde::{Deserialize, Serialize};

/// At most `requests` per token in each window of `per_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limit {
    pub requests: u32,
    pub per_seconds: u32,
}

impl Limit {
    pub fn check(self) -> Result<Self, String> {
        if self.requests == 0 || self.per_seconds == 0 {
            Err("'requests' and 'perSeconds' must both be at least 1".to_owned())
        } else {
            Ok(self)
        }
    }
}

impl std::str::FromStr for Limit {
    type Err = String;

    /// `REQUESTS/SECONDS`, e.g. `100/60`; a bare number means per second.
    fn from_str(s: &str) -> Result<Self, String> {
        let (requests, per) = s.split_once('/').unwrap_or((s, "1"));
        let parse = |v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("'{s}' is not REQUESTS/SECONDS, e.g. 100/60"))
        };
        Limit {
            requests: parse(requests)?,
            per_seconds: parse(per.trim_end_matches('s'))?,
        }
        .check()
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    limit: RwLock<Option<Limit>>,
    windows: DashMap<String, Window>,
}

impl RateLimiter {
    pub fn new(limit: Option<Limit>) -> Self {
        RateLimiter {
            limit: RwLock::new(limit),
            windows: DashMap::new(),
        }
    }

    pub fn limit(&self) -> Option<Limit> {
        *self.limit.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets (or with `None` lifts) the limit; counting starts afresh.
    pub fn set(&self, limit: Option<Limit>) {
        *self.limit.write().unwrap_or_else(|e| e.into_inner()) = limit;
        self.windows.clear();
    }

    /// Counts a request of `token`; over the limit, the whole seconds until its window ends
    /// (at least 1), for `Retry-After`.
    pub fn check(&self, token: &str, now: Instant) -> Result<(), u64> {
        let Some(limit) = self.limit() else {
            return Ok(());
        };
        let length = Duration::from_secs(u64::from(limit.per_seconds));
        let mut window = self.windows.entry(token.to_owned()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(window.start) >= length {
            *window = Window {
                start: now,
                count: 0,
            };
        }
        if window.count < limit.requests {
            window.count += 1;
            Ok(())
        } else {
            let left = length.saturating_sub(now.duration_since(window.start));
            // Whole seconds, rounded up: a client that waits that long is let through.
            Err((left.as_secs_f64().ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse() {
        assert_eq!(
            "100/60".parse(),
            Ok(Limit {
                requests: 100,
                per_seconds: 60
            })
        );
        assert_eq!(
            "5".parse(),
            Ok(Limit {
                requests: 5,
                per_seconds: 1
            })
        );
        assert_eq!(
            "5/10s".parse(),
            Ok(Limit {
                requests: 5,
                per_seconds: 10
            })
        );
        assert!("0/1".parse::<Limit>().is_err());
        assert!("x".parse::<Limit>().is_err());
    }

    #[test]
    fn a_token_over_the_limit_waits_for_its_window() {
        let limiter = RateLimiter::new(Some(Limit {
            requests: 2,
            per_seconds: 10,
        }));
        let t0 = Instant::now();
        assert_eq!(limiter.check("a", t0), Ok(()));
        assert_eq!(limiter.check("a", t0), Ok(()));
        assert_eq!(limiter.check("b", t0), Ok(()), "tokens are counted apart");
        assert_eq!(limiter.check("a", t0 + Duration::from_millis(2500)), Err(8));
        assert_eq!(limiter.check("a", t0 + Duration::from_millis(9999)), Err(1));
        assert_eq!(limiter.check("a", t0 + Duration::from_secs(10)), Ok(()));
    }

    #[test]
    fn no_limit_lets_everything_through() {
        let limiter = RateLimiter::new(None);
        assert!((0..1000).all(|_| limiter.check("a", Instant::now()).is_ok()));
    }
}
