//! When and how long to wait before trying a request again: which failures are worth a
//! retry, exponential backoff with full jitter, and `Retry-After` in both of its forms
//! (delta-seconds and HTTP-date, RFC 9110 §10.2.3).
//!
//! Pure functions and a small PRNG for jitter; sleeping and sending belong to the client.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parse a `Retry-After` header: delta-seconds or an IMF-fixdate.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate, the form RFC 9110 requires senders to use).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let rest = value.split_once(", ")?.1;
    let mut parts = rest.split_ascii_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: u64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT" || day == 0 || day > 31 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A small xorshift generator for backoff jitter (not for anything secret).
#[derive(Clone, Debug)]
pub struct Jitter(u64);

impl Jitter {
    pub fn seeded(seed: u64) -> Jitter {
        Jitter(seed | 1)
    }

    pub fn from_time() -> Jitter {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Jitter::seeded(nanos ^ u64::from(std::process::id()).rotate_left(32))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A duration in `[0, limit)`.
    pub fn below(&mut self, limit: Duration) -> Duration {
        let nanos = limit.as_nanos() as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next() % nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
