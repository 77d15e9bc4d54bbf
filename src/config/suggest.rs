//! "Did you mean …?": the closest candidate to a misspelt word, by edit distance,
//! compared case-insensitively.
//!
//! Used for unknown keys, enum values, members, managers and protected names. Candidates
//! whose length alone puts them too far away are skipped before any distance is computed,
//! so a search among 100 000 userNames stays cheap.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The candidate closest to `word`, if it is close enough to be a plausible typo: at most
/// a fifth of the longer word's characters differ (and at least two may).
pub(super) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let mut best: Option<(usize, &'a str)> = None;
    let mut scratch = Vec::new();
    let mut other: Vec<char> = Vec::new();
    for candidate in candidates {
        other.clear();
        other.extend(candidate.chars().flat_map(char::to_lowercase));
        let limit = (other.len().max(word.len()) / 5).max(2);
        let bound = match best {
            Some((distance, _)) => limit.min(distance),
            None => limit,
        };
        if other.len().abs_diff(word.len()) > bound {
            continue;
        }
        let distance = edit_distance(&word, &other, &mut scratch);
        let better = match best {
            None => distance <= limit,
            Some((d, c)) => distance < d || (distance == d && candidate < c),
        };
        if better && distance <= limit {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance, reusing `row` between calls.
fn edit_distance(a: &[char], b: &[char], row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

/// [`closest`] for many lookups in one run, from several threads: after
/// [`Suggester::BUDGET`] suggestions it stops searching, so a file full of unknown names
/// among 100 000 users stays fast.
pub(super) struct Suggester {
    left: AtomicUsize,
}

impl Default for Suggester {
    fn default() -> Suggester {
        Suggester::new()
    }
}

impl Suggester {
    pub(super) const BUDGET: usize = 100;

    pub(super) fn new() -> Suggester {
        Suggester {
            left: AtomicUsize::new(Suggester::BUDGET),
        }
    }

    pub(super) fn suggest<'a>(
        &self,
        word: &str,
        candidates: impl Iterator<Item = &'a str>,
    ) -> Option<&'a str> {
        let spent = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            });
        spent.ok()?;
        closest(word, candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        edit_distance(&a, &b, &mut Vec::new())
    }

    #[test]
    fn closest_suggests_a_near_name() {
        let names = ["alice@acme.test", "bob@acme.test"];
        assert_eq!(
            closest("alcie@acme.test", names.into_iter()),
            Some("alice@acme.test")
        );
        assert_eq!(closest("zed@other.example", names.into_iter()), None);
        assert_eq!(
            closest("dispalyName", ["displayName", "nickName"].into_iter()),
            Some("displayName")
        );
        assert_eq!(
            closest("username", ["userName"].into_iter()),
            Some("userName")
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
        assert_eq!(distance("é", "e"), 1);
    }
}
