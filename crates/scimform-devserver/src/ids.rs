//! Server-generated resource ids, Atlassian account ids and RFC 3339 timestamps for
//! `meta`.
//!
//! Owns the id formats (UUID-shaped with the version 4 bits set; 24 hex digits for
//! accounts) and the clock reading. It must not guarantee uniqueness by itself: the store
//! retries when an id is already taken. No cryptographic quality is claimed or needed;
//! `ChaCha8` is used because it gives the same ids for the same seed on every platform.

use std::time::SystemTime;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A generator seeded from the operating system, or from a number for ids that are the
/// same on every run.
#[derive(Debug, Clone)]
pub(crate) struct IdGen {
    rng: ChaCha8Rng,
}

impl IdGen {
    pub(crate) fn from_entropy() -> IdGen {
        IdGen {
            rng: ChaCha8Rng::from_os_rng(),
        }
    }

    /// A generator that gives the same ids on every run.
    pub(crate) fn seeded(seed: u64) -> IdGen {
        IdGen {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A new id like `3f2b8c1e-9a4d-4e7f-b2c6-0d1e2f3a4b5c`.
    pub(crate) fn next_id(&mut self) -> String {
        let hi = (self.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }

    /// A new Atlassian-style account id: 24 lower-case hex digits.
    pub(crate) fn next_account_id(&mut self) -> String {
        let (hi, lo) = (self.next_u64(), self.next_u64());
        format!("{hi:016x}{:08x}", lo >> 32)
    }
}

/// The current time as `2024-05-01T12:34:56.789Z`.
pub(crate) fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

fn format_rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let mut ids = IdGen::seeded(42);
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes().get(14), Some(&b'4'));
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        let account = ids.next_account_id();
        assert_eq!(account.len(), 24);
        assert!(account.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn timestamps() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |secs: u64, millis: u64| {
            format_rfc3339(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_700_000_000, 999), "2023-11-14T22:13:20.999Z");
    }
}
