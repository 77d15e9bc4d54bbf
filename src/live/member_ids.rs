//! `MemberIds`: the member ids of one live group, distinct, in the order the server
//! listed them, packed into one string and one offset table.
//!
//! A large directory has a million member references; as a `String` each they cost a
//! million allocations and about 70 bytes apiece, and shared through an interner they
//! cost a hash lookup and an atomic increment apiece from every thread that reads a page.
//! Packed per group they cost the id's own bytes plus eight, and two allocations a group.
//! This file only defines the type.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// The distinct member ids of a group.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MemberIds {
    /// Every id, one after another.
    text: Box<str>,
    /// Where each id ends in `text`.
    ends: Box<[usize]>,
}

impl MemberIds {
    /// The distinct ids among `ids`, keeping the first of each.
    pub fn new<S: AsRef<str>>(ids: &[S]) -> MemberIds {
        let mut seen: HashSet<&str, BuildHasherDefault<IdHasher>> =
            HashSet::with_capacity_and_hasher(ids.len(), BuildHasherDefault::default());
        let distinct: Vec<&str> = ids
            .iter()
            .map(AsRef::as_ref)
            .filter(|id| seen.insert(id))
            .collect();
        let mut text = String::with_capacity(distinct.iter().map(|id| id.len()).sum());
        let mut ends = Vec::with_capacity(distinct.len());
        for id in distinct {
            text.push_str(id);
            ends.push(text.len());
        }
        MemberIds {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The ids, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: &self.text,
            ends: self.ends.iter(),
            start: 0,
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.iter().any(|m| m == id)
    }
}

/// The ids of a [`MemberIds`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    text: &'a str,
    ends: std::slice::Iter<'a, usize>,
    start: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = *self.ends.next()?;
        let id = self.text.get(self.start..end).unwrap_or_default();
        self.start = end;
        Some(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a MemberIds {
    type Item = &'a str;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for MemberIds {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> MemberIds {
        let ids: Vec<S> = ids.into_iter().collect();
        MemberIds::new(&ids)
    }
}

impl fmt::Debug for MemberIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for MemberIds {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.len() == N && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

impl PartialEq<Vec<&str>> for MemberIds {
    fn eq(&self, other: &Vec<&str>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

/// A fast multiplicative hash (the "Fx" hash of rustc) for finding repeated ids within
/// one group: SipHash's resistance to crafted collisions buys nothing against ids that
/// the authenticated target assigned, and a read checks a million of them.
#[derive(Default)]
struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_of_each_id_in_order() {
        let ids = MemberIds::new(&["u2", "u1", "u2", "", "g-10", "u1"]);
        assert_eq!(ids, ["u2", "u1", "", "g-10"]);
        assert_eq!(ids.len(), 4);
        assert!(ids.contains("g-10") && !ids.contains("g-1"));
        assert_eq!(format!("{ids:?}"), r#"["u2", "u1", "", "g-10"]"#);
        assert_eq!((&ids).into_iter().count(), 4);
    }

    #[test]
    fn empty_and_collected() {
        assert!(MemberIds::default().is_empty());
        assert_eq!(MemberIds::default(), []);
        let collected: MemberIds = ["a", "b", "a"].into_iter().collect();
        assert_eq!(collected, vec!["a", "b"]);
    }
}
