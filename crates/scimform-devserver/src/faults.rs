//! Fault injection, reproducible with a seed: latency, 5xx answers, 429 throttling with
//! `Retry-After` (seconds or an HTTP date), connections dropped without an answer (before
//! the request is applied, or after it was), a `totalResults` that lies, and pages that
//! drift because a user is inserted while a list is being read.
//!
//! Owns the `Faults` settings, the `Rate` type, and the dice: each request's fate is drawn
//! from the seed and the request itself (method, path, query, body, and how many times
//! that same request was seen), so a run with the same seed and the same requests meets
//! the same faults even when requests race. It must not apply faults itself (the
//! `behaviour` layer and the list handler do) and never touches stored data.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::StatusCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A probability, 0 to 1 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Rate(f64);

impl Rate {
    pub const ZERO: Rate = Rate(0.0);

    /// `p` when it is a probability.
    pub fn new(p: f64) -> Option<Rate> {
        (0.0..=1.0).contains(&p).then_some(Rate(p))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<f64>()
            .ok()
            .and_then(Rate::new)
            .ok_or_else(|| format!("expected a probability from 0 to 1 (such as 0.05), not {s:?}"))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The faults to inject. The default injects none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Added before every response (discovery included), to a fraction of a millisecond.
    pub latency: Duration,
    /// Requests to /Users and /Groups answered 500, 502 or 503 with a SCIM error body,
    /// not applied.
    pub fail_rate: Rate,
    /// Requests answered 429 with `Retry-After` (usually `1`, sometimes an HTTP date
    /// about two seconds ahead), not applied.
    pub throttle_rate: Rate,
    /// Connections closed (reset) without an answer, the request not applied.
    pub reset_rate: Rate,
    /// Mutating requests (POST, PUT, PATCH, DELETE) applied, then the connection closed
    /// without an answer: the client cannot know it took effect.
    pub reset_after_commit_rate: Rate,
    /// The first page of every whole-list read, and about half of the other list
    /// responses, report `totalResults` one too high.
    pub lie_total: bool,
    /// Between the first page of a list and a later one, a new user is inserted before
    /// every other user, so index paging sees a duplicate.
    pub page_drift: bool,
}

impl Faults {
    /// Whether the rates can be drawn from one die: they may not add up to more than 1.
    pub fn check(&self) -> Result<(), String> {
        let sum = self.fail_rate.0
            + self.throttle_rate.0
            + self.reset_rate.0
            + self.reset_after_commit_rate.0;
        if sum > 1.0 + f64::EPSILON {
            return Err(format!(
                "the fault rates add up to {sum}, more than 1: lower --fail-rate, --throttle-rate, --reset-rate or --reset-after-commit-rate"
            ));
        }
        Ok(())
    }

    /// Whether any request-level fault may happen (so requests need drawing at all).
    pub(crate) fn draws(&self) -> bool {
        self.fail_rate.0 > 0.0
            || self.throttle_rate.0 > 0.0
            || self.reset_rate.0 > 0.0
            || self.reset_after_commit_rate.0 > 0.0
            || self.lie_total
    }

    /// Whether any fault at all is configured.
    pub fn any(&self) -> bool {
        self.draws() || self.page_drift || !self.latency.is_zero()
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Normal,
    /// Close the connection without answering; do not apply the request.
    Reset,
    /// Answer this 5xx; do not apply the request.
    Fail(StatusCode),
    /// Answer 429; `http_date` chooses the `Retry-After` form.
    Throttle {
        http_date: bool,
    },
    /// Apply the request, then close the connection without answering.
    ResetAfterCommit,
}

/// A request's draw: its fate, and whether a list response lies about its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Draw {
    pub fate: Fate,
    pub lie_total: bool,
}

impl Draw {
    pub(crate) const NORMAL: Draw = Draw {
        fate: Fate::Normal,
        lie_total: false,
    };
}

/// The seeded dice, with a count of how often each distinct request was seen.
#[derive(Debug)]
pub(crate) struct Dice {
    seed: u64,
    seen: Mutex<HashMap<u64, u64>>,
}

/// FNV-1a: a hash that is the same in every process (unlike `DefaultHasher`'s seeds)
/// and in every version of every dependency, so a seed printed today reproduces the same
/// faults later. (rustc-hash changed its algorithm between major versions.)
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice {
            seed,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The draw for a request: the n-th time this exact request arrives gets the same
    /// draw in every run with the same seed.
    pub(crate) fn draw(
        &self,
        faults: &Faults,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        mutating: bool,
    ) -> Draw {
        let key = fnv1a(&[method.as_bytes(), path_and_query.as_bytes(), body]);
        let occurrence = {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed ^ key ^ occurrence.wrapping_mul(0xA24B_AED4_963E_E407),
        );
        let fate_roll: f64 = rng.random();
        let detail_roll: f64 = rng.random();
        let lie_roll: f64 = rng.random();
        let reset_edge = faults.reset_rate.0;
        let fail_edge = reset_edge + faults.fail_rate.0;
        let throttle_edge = fail_edge + faults.throttle_rate.0;
        let commit_edge = throttle_edge + faults.reset_after_commit_rate.0;
        let fate = if fate_roll < reset_edge {
            Fate::Reset
        } else if fate_roll < fail_edge {
            // detail_roll is in [0, 1): a third of the range per status.
            let third = detail_roll * 3.0;
            Fate::Fail(if third < 1.0 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else if third < 2.0 {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            })
        } else if fate_roll < throttle_edge {
            Fate::Throttle {
                http_date: detail_roll < 0.25,
            }
        } else if mutating && fate_roll < commit_edge {
            Fate::ResetAfterCommit
        } else {
            Fate::Normal
        };
        Draw {
            fate,
            lie_total: faults.lie_total && lie_roll < 0.5,
        }
    }
}

/// `Retry-After` as an HTTP date (IMF-fixdate) `seconds` from now.
pub(crate) fn http_date_in(seconds: u64) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(fail: f64, throttle: f64, reset: f64, rac: f64) -> Faults {
        Faults {
            fail_rate: Rate(fail),
            throttle_rate: Rate(throttle),
            reset_rate: Rate(reset),
            reset_after_commit_rate: Rate(rac),
            ..Faults::default()
        }
    }

    #[test]
    fn rates_parse_and_add_up() {
        assert_eq!("0.25".parse::<Rate>(), Ok(Rate(0.25)));
        assert!("1.5".parse::<Rate>().is_err());
        assert!("-0.1".parse::<Rate>().is_err());
        assert!("x".parse::<Rate>().is_err());
        assert!(faults(0.5, 0.5, 0.0, 0.0).check().is_ok());
        assert!(faults(0.5, 0.5, 0.1, 0.0).check().is_err());
    }

    #[test]
    fn the_same_seed_and_requests_give_the_same_fates() {
        let f = faults(0.2, 0.2, 0.2, 0.2);
        let run = |seed| {
            let dice = Dice::new(seed);
            (0..200)
                .map(|i| {
                    let path = format!("/scim/v2/Users?startIndex={}", i % 7);
                    dice.draw(&f, "GET", &path, b"", false).fate
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn fates_follow_their_rates() {
        let f = faults(0.1, 0.2, 0.3, 0.4);
        let dice = Dice::new(9);
        let mut counts = HashMap::new();
        let n = 20_000;
        for i in 0..n {
            let fate = match dice
                .draw(
                    &f,
                    "POST",
                    "/scim/v2/Users",
                    format!("{i}").as_bytes(),
                    true,
                )
                .fate
            {
                Fate::Fail(_) => "fail",
                Fate::Throttle { .. } => "throttle",
                Fate::Reset => "reset",
                Fate::ResetAfterCommit => "rac",
                Fate::Normal => "normal",
            };
            *counts.entry(fate).or_insert(0usize) += 1;
        }
        for (name, rate) in [
            ("fail", 0.1),
            ("throttle", 0.2),
            ("reset", 0.3),
            ("rac", 0.4),
        ] {
            let got = counts.get(name).copied().unwrap_or(0) as f64 / f64::from(n);
            assert!((got - rate).abs() < 0.02, "{name}: {got}");
        }
        // Reads are never "reset after commit".
        let read = dice.draw(
            &faults(0.0, 0.0, 0.0, 1.0),
            "GET",
            "/scim/v2/Users",
            b"",
            false,
        );
        assert_eq!(read.fate, Fate::Normal);
    }

    #[test]
    fn a_repeated_request_gets_a_fresh_draw() {
        let f = faults(0.5, 0.0, 0.0, 0.0);
        let dice = Dice::new(1);
        let fates: Vec<Fate> = (0..64)
            .map(|_| dice.draw(&f, "GET", "/scim/v2/Users", b"", false).fate)
            .collect();
        assert!(fates.contains(&Fate::Normal));
        assert!(fates.iter().any(|f| matches!(f, Fate::Fail(_))));
    }

    #[test]
    fn http_dates_look_right() {
        let date = http_date_in(2);
        assert_eq!(date.len(), 29, "{date}");
        assert!(date.ends_with(" GMT"));
        assert!(httpdate::parse_http_date(&date).is_ok(), "{date}");
    }
}
