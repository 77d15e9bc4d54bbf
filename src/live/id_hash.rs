//! A fast hash for sets and maps keyed by what a server sent (ids, names): during a read
//! every id is checked against the ids seen before it (a hundred thousand users, a
//! million member references), and the plan indexes live names and member ids. `SipHash` costs a
//! tenth of a read's parsing time; rustc's Fx hash costs next to nothing, but alone it
//! would let a hostile server choose ids that all collide and make every insert slow. So
//! the Fx hash is seeded with a number drawn once per process, which the server cannot
//! know. Nothing iterates these sets, so the seed never changes any output. This file
//! only defines the hash.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rustc_hash::FxSeededState;

/// A set of ids (or anything hashed as bytes) with a per-process seeded Fx hash.
pub(crate) type IdHashSet<T> = HashSet<T, FxSeededState>;

/// An empty [`IdHashSet`] with room for `capacity` ids.
pub(crate) fn id_hash_set<T>(capacity: usize) -> IdHashSet<T> {
    HashSet::with_capacity_and_hasher(capacity, id_hash_state())
}

/// A map keyed by ids or names from a server, with the same hash.
pub(crate) type IdHashMap<K, V> = HashMap<K, V, FxSeededState>;

/// An empty [`IdHashMap`] with room for `capacity` entries.
pub(crate) fn id_hash_map<K, V>(capacity: usize) -> IdHashMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, id_hash_state())
}

/// The seeded hash itself, e.g. to keep 64-bit hashes of ids instead of the ids.
pub(crate) fn id_hash_state() -> FxSeededState {
    static SEED: OnceLock<usize> = OnceLock::new();
    let seed = *SEED.get_or_init(|| usize::from_ne_bytes(rand::random()));
    FxSeededState::with_seed(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_set_is_a_set() {
        let mut set = id_hash_set(2);
        assert!(set.insert("a"));
        assert!(set.insert("abcdefghijk"));
        assert!(!set.insert("a"));
        assert!(set.contains("abcdefghijk"));
        assert!(!set.contains("b"));
    }
}
