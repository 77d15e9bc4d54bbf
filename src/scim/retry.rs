//! When and how long to wait before trying a request again: which failures are worth a
//! retry, exponential backoff with full jitter, and `Retry-After` in both of its forms
//! (delta-seconds and HTTP-date, RFC 9110 §10.2.3).
//!
//! Pure functions and the jitter's random source; sleeping and sending belong to the client.

use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Limits on retrying one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff before the second attempt; doubles each time.
    pub base_delay: Duration,
    /// No single wait is longer than this (a longer Retry-After is cut to it).
    pub max_delay: Duration,
    /// No request keeps retrying once this much time has passed since its first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), honouring a
    /// server-given `retry_after`; `None` when the budget of attempts or time is spent.
    pub fn delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
        jitter: &mut Jitter,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.max_delay);
        let wait = match retry_after {
            Some(server) => server.min(self.max_delay),
            // Full jitter: anywhere between half and all of the exponential delay.
            None => exponential / 2 + jitter.below(exponential / 2),
        };
        (elapsed + wait <= self.max_elapsed).then_some(wait)
    }
}

/// Whether an HTTP status is worth retrying (the request was not processed, or the
/// server is briefly unable to).
pub(super) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parse a `Retry-After` header: delta-seconds or an HTTP-date in any of the three forms
/// RFC 9110 §5.6.7 requires a recipient to accept (IMF-fixdate, the obsolete RFC 850
/// form, asctime).
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Randomness for backoff jitter (not for anything secret): a generator seeded from the
/// operating system, or from a number in tests.
#[derive(Clone, Debug)]
pub struct Jitter(StdRng);

impl Jitter {
    pub fn seeded(seed: u64) -> Jitter {
        Jitter(StdRng::seed_from_u64(seed))
    }

    pub fn from_entropy() -> Jitter {
        Jitter(StdRng::from_os_rng())
    }

    /// A duration in `[0, limit)`.
    pub fn below(&mut self, limit: Duration) -> Duration {
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.0.random_range(0..nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:49:37 GMT",
                now + Duration::from_secs(60)
            ),
            Some(Duration::ZERO)
        );
        // The obsolete forms RFC 9110 requires a recipient to parse: RFC 850 and asctime.
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now),
            None
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_stops() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_elapsed: Duration::from_secs(10),
        };
        let mut jitter = Jitter::seeded(42);
        let first = policy
            .delay(1, Duration::ZERO, None, &mut jitter)
            .expect("retry");
        assert!(first >= Duration::from_millis(50) && first < Duration::from_millis(100));
        let third = policy
            .delay(3, Duration::ZERO, None, &mut jitter)
            .expect("retry");
        assert!(third >= Duration::from_millis(150) && third <= Duration::from_millis(300));
        assert_eq!(policy.delay(4, Duration::ZERO, None, &mut jitter), None);
        // A Retry-After longer than max_delay is cut to it.
        assert_eq!(
            policy.delay(
                1,
                Duration::ZERO,
                Some(Duration::from_secs(60)),
                &mut jitter
            ),
            Some(Duration::from_millis(300))
        );
        // Out of time.
        assert_eq!(
            policy.delay(1, Duration::from_secs(10), None, &mut jitter),
            None
        );
    }

    #[test]
    fn which_statuses_are_retried() {
        for status in [429, 502, 503, 504] {
            assert!(retryable_status(status));
        }
        for status in [400, 401, 403, 404, 409, 500, 501] {
            assert!(!retryable_status(status));
        }
    }
}
