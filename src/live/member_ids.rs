//! `MemberIds`: the member ids of one live group, distinct, in the order the server
//! listed them, packed into one string and one offset table.
//!
//! A large directory has a million member references; as a `String` each they cost a
//! million allocations and about 70 bytes apiece, and shared through an interner they
//! cost a hash lookup and an atomic increment apiece from every thread that reads a page.
//! Packed per group they cost the id's own bytes plus eight, and two allocations a group.
//! This file only defines the type.

use std::fmt;

use super::id_hash::{IdHashSet, id_hash_set};

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
        let mut seen: IdHashSet<&str> = id_hash_set(ids.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_of_each_id_in_order() {
        let ids = MemberIds::new(&["u2", "u1", "u2", "", "g-10", "u1"]);
        assert_eq!(ids, ["u2", "u1", "", "g-10"]);
        assert_eq!(ids.len(), 4);
        assert_eq!(format!("{ids:?}"), r#"["u2", "u1", "", "g-10"]"#);
        assert_eq!((&ids).into_iter().count(), 4);
    }

    #[test]
    fn empty_and_repeated() {
        assert!(MemberIds::default().is_empty());
        assert_eq!(MemberIds::default(), []);
        assert_eq!(MemberIds::new(&["a", "b", "a"]), ["a", "b"]);
    }
}
