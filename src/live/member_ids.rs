//! `MemberIds`: the member ids of one live group, distinct, in the order the server
//! listed them, packed into one string and one offset table.
//!
//! A large directory has a million member references; as a `String` each they cost a
//! million allocations and about 70 bytes apiece, and shared through an interner they
//! cost a hash lookup and an atomic increment apiece from every thread that reads a page.
//! Packed per group they cost the id's own bytes plus eight, and two allocations a group;
//! once the read is complete, the ids that name a listed user or group are shared with
//! it (`share`): sixteen bytes a member.
//! This file only defines the type.

use std::fmt;

use super::id_hash::{IdHashSet, id_hash_set};
use crate::scim::ScimId;

/// The distinct member ids of a group.
#[derive(Clone)]
pub struct MemberIds {
    ids: Ids,
}

#[derive(Clone)]
enum Ids {
    /// Every id, one after another, and where each ends.
    Packed { text: Box<str>, ends: Box<[usize]> },
    /// Each id shared with the listed user or group it names.
    Shared(Box<[ScimId]>),
}

impl Default for MemberIds {
    fn default() -> MemberIds {
        MemberIds {
            ids: Ids::Shared(Box::default()),
        }
    }
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
            ids: Ids::Packed {
                text: text.into_boxed_str(),
                ends: ends.into_boxed_slice(),
            },
        }
    }

    /// The same ids, each shared with the entry of `known` that has it: a pointer per
    /// member instead of a copy of its text (a million memberships name a hundred
    /// thousand users). Unchanged when some id is not in `known` (a dangling member).
    pub(crate) fn share(&mut self, known: &IdHashSet<ScimId>) {
        if matches!(self.ids, Ids::Shared(_)) {
            return;
        }
        let shared: Option<Box<[ScimId]>> = self.iter().map(|id| known.get(id).cloned()).collect();
        if let Some(shared) = shared {
            self.ids = Ids::Shared(shared);
        }
    }

    /// The bytes the packed ids take (none once shared): what sharing them frees.
    pub(crate) fn packed_bytes(&self) -> usize {
        match &self.ids {
            Ids::Packed { text, ends } => text.len() + std::mem::size_of_val::<[usize]>(ends),
            Ids::Shared(_) => 0,
        }
    }

    pub fn len(&self) -> usize {
        match &self.ids {
            Ids::Packed { ends, .. } => ends.len(),
            Ids::Shared(ids) => ids.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            ids: match &self.ids {
                Ids::Packed { text, ends } => IterIds::Packed {
                    text,
                    ends: ends.iter(),
                    start: 0,
                },
                Ids::Shared(ids) => IterIds::Shared(ids.iter()),
            },
        }
    }
}

/// The ids of a [`MemberIds`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    ids: IterIds<'a>,
}

#[derive(Clone, Debug)]
enum IterIds<'a> {
    Packed {
        text: &'a str,
        ends: std::slice::Iter<'a, usize>,
        start: usize,
    },
    Shared(std::slice::Iter<'a, ScimId>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.ids {
            IterIds::Packed { text, ends, start } => {
                let end = *ends.next()?;
                let id = text.get(*start..end).unwrap_or_default();
                *start = end;
                Some(id)
            }
            IterIds::Shared(ids) => ids.next().map(ScimId::as_str),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.ids {
            IterIds::Packed { ends, .. } => ends.size_hint(),
            IterIds::Shared(ids) => ids.size_hint(),
        }
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

/// The same ids in the same order, however they are held.
impl PartialEq for MemberIds {
    fn eq(&self, other: &MemberIds) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for MemberIds {}

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
    fn shared_ids_read_the_same_and_a_dangling_id_keeps_the_text() {
        let mut known = id_hash_set(3);
        for id in ["u1", "u2", "g-10"] {
            known.insert(ScimId::new(id));
        }
        let mut ids = MemberIds::new(&["u2", "u1", "g-10"]);
        let before = ids.clone();
        // "u2u1g-10" and three ends.
        assert_eq!(ids.packed_bytes(), 8 + 3 * std::mem::size_of::<usize>());
        ids.share(&known);
        assert_eq!(ids.packed_bytes(), 0, "shared");
        assert!(matches!(ids.ids, Ids::Shared(_)));
        assert_eq!(ids, before);
        assert_eq!(ids, ["u2", "u1", "g-10"]);
        let mut dangling = MemberIds::new(&["u1", "gone"]);
        dangling.share(&known);
        assert!(matches!(dangling.ids, Ids::Packed { .. }));
        assert_eq!(dangling, ["u1", "gone"]);
    }

    #[test]
    fn empty_and_repeated() {
        assert!(MemberIds::default().is_empty());
        assert_eq!(MemberIds::default(), []);
        assert_eq!(MemberIds::new(&["a", "b", "a"]), ["a", "b"]);
    }
}
