//! `KeyTable`: byte-string keys to `u32` values, for the lookups a large directory makes
//! by the million — member names to declared users, member ids to the users and groups
//! they name. It owns the table and its lookups; it knows nothing of what the keys are.
//!
//! A hash map of `String`s costs two cache misses a lookup: the bucket, then the key's
//! own allocation, wherever the allocator put it. Here the keys are held one after
//! another in one block, each slot keeps 32 bits of its key's hash (so a key is compared
//! only when those agree), and [`get_batch`](KeyTable::get_batch) looks up many keys at
//! once: it reads every key's slot, then every candidate key, so that the processor waits
//! for many of those misses at the same time instead of one after another.
//!
//! Keys come from untrusted input (a pull request's names, a server's ids): the hash is
//! seeded per table at random, so that nobody can choose keys that all land in one probe
//! sequence. Nothing here depends on the seed but speed: there is no iteration in hash
//! order.

use std::hash::{BuildHasher as _, Hasher as _};

use rustc_hash::FxHasher;

/// How many keys [`KeyTable::get_batch`] takes up at a time.
const BATCH: usize = 16;

/// A slot's entry when it holds no key.
const EMPTY: u32 = u32::MAX;

/// A table from keys to values; see the module docs.
pub(crate) struct KeyTable {
    seed: usize,
    /// Every key, one after another.
    text: Vec<u8>,
    /// Where each entry's key starts in `text`; one more than there are entries.
    starts: Vec<usize>,
    values: Vec<u32>,
    /// A power of two long, at most half full.
    slots: Vec<Slot>,
}

#[derive(Clone, Copy)]
struct Slot {
    /// The high half of the key's hash.
    tag: u32,
    /// The entry, or [`EMPTY`].
    entry: u32,
}

const FREE: Slot = Slot {
    tag: 0,
    entry: EMPTY,
};

impl KeyTable {
    /// An empty table with room for `keys` keys before it grows.
    pub(crate) fn with_capacity(keys: usize) -> KeyTable {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5c1f_0a4du32);
        KeyTable {
            // Truncated on 32-bit targets: any bits will do.
            #[allow(clippy::cast_possible_truncation)]
            seed: seed as usize,
            text: Vec::new(),
            starts: {
                let mut starts = Vec::with_capacity(keys + 1);
                starts.push(0);
                starts
            },
            values: Vec::with_capacity(keys),
            slots: vec![FREE; slot_count(keys)],
        }
    }

    /// How many keys the table holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Add `key` with `value` unless the table has it; the value it has otherwise.
    pub(crate) fn insert_if_absent(&mut self, key: &[u8], value: u32) -> Option<u32> {
        match self.find(key) {
            Found::Entry(entry) => Some(self.values[entry as usize]),
            Found::Free(at, tag) => {
                self.add(at, tag, key, value);
                None
            }
        }
    }

    /// Add `key` with `value`, replacing the value it has.
    pub(crate) fn set(&mut self, key: &[u8], value: u32) {
        match self.find(key) {
            Found::Entry(entry) => self.values[entry as usize] = value,
            Found::Free(at, tag) => self.add(at, tag, key, value),
        }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        match self.find(key) {
            Found::Entry(entry) => Some(self.values[entry as usize]),
            Found::Free(..) => None,
        }
    }

    /// The value of each of `keys`, in order, appended to `out`: the same answers as
    /// [`get`](Self::get), found several at a time (see the module docs).
    pub(crate) fn get_batch<K: AsRef<[u8]>>(&self, keys: &[K], out: &mut Vec<Option<u32>>) {
        out.reserve(keys.len());
        let mask = self.slots.len() - 1;
        for chunk in keys.chunks(BATCH) {
            let mut hashes = [0u64; BATCH];
            for (hash, key) in hashes.iter_mut().zip(chunk) {
                *hash = self.hash(key.as_ref());
            }
            // Every slot first: the loads do not depend on one another.
            let mut slots = [FREE; BATCH];
            for (slot, hash) in slots.iter_mut().zip(&hashes).take(chunk.len()) {
                *slot = self.slots[home(*hash, mask)];
            }
            for ((key, slot), hash) in chunk.iter().zip(&slots).zip(&hashes) {
                let key = key.as_ref();
                let value = if slot.entry == EMPTY {
                    None
                } else if slot.tag == tag(*hash) && self.key(slot.entry) == key {
                    Some(self.values[slot.entry as usize])
                } else {
                    // Another key in its first slot: probe on, one at a time (rare at
                    // half full).
                    self.get(key)
                };
                out.push(value);
            }
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        let mut hasher = FxHasher::with_seed(self.seed);
        hasher.write(key);
        hasher.finish()
    }

    fn key(&self, entry: u32) -> &[u8] {
        let entry = entry as usize;
        &self.text[self.starts[entry]..self.starts[entry + 1]]
    }

    /// The entry that holds `key`, or the free slot where it would go and its tag.
    fn find(&self, key: &[u8]) -> Found {
        let hash = self.hash(key);
        let tag = tag(hash);
        let mask = self.slots.len() - 1;
        let mut at = home(hash, mask);
        loop {
            let slot = self.slots[at];
            if slot.entry == EMPTY {
                return Found::Free(at, tag);
            }
            if slot.tag == tag && self.key(slot.entry) == key {
                return Found::Entry(slot.entry);
            }
            at = (at + 1) & mask;
        }
    }

    fn add(&mut self, at: usize, tag: u32, key: &[u8], value: u32) {
        let entry = u32::try_from(self.values.len())
            .ok()
            .filter(|entry| *entry != EMPTY)
            .expect("a key table holds fewer than 2^32 - 1 keys");
        self.text.extend_from_slice(key);
        self.starts.push(self.text.len());
        self.values.push(value);
        self.slots[at] = Slot { tag, entry };
        if self.values.len() * 2 > self.slots.len() {
            self.grow();
        }
    }

    /// Twice the slots, every entry placed again.
    fn grow(&mut self) {
        self.slots = vec![FREE; self.slots.len() * 2];
        let mask = self.slots.len() - 1;
        for entry in 0..self.values.len() {
            #[allow(clippy::cast_possible_truncation)] // fewer than 2^32 entries (`add`)
            let entry = entry as u32;
            let hash = self.hash(self.key(entry));
            let mut at = home(hash, mask);
            while self.slots[at].entry != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = Slot {
                tag: tag(hash),
                entry,
            };
        }
    }
}

enum Found {
    Entry(u32),
    Free(usize, u32),
}

/// Slots for `keys` keys: a power of two, at least twice as many.
fn slot_count(keys: usize) -> usize {
    keys.saturating_mul(2).next_power_of_two().max(16)
}

fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// The slot a hash starts its probe at.
fn home(hash: u64, mask: usize) -> usize {
    #[allow(clippy::cast_possible_truncation)] // only the low bits are wanted
    let low = hash as usize;
    low & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_only_those_one_at_a_time_and_in_batches() {
        let keys: Vec<String> = (0..5000).map(|i| format!("user{i:06}@x.test")).collect();
        // Starts small: it must grow.
        let mut table = KeyTable::with_capacity(3);
        for (value, key) in (0u32..).zip(&keys) {
            assert_eq!(table.insert_if_absent(key.as_bytes(), value), None);
        }
        assert_eq!(table.len(), keys.len());
        let mut probes: Vec<Vec<u8>> = keys.iter().map(|k| k.clone().into_bytes()).collect();
        probes.extend(["", "user", "USER000001@x.test", "user005000@x.test"].map(Into::into));
        let mut batched = Vec::new();
        table.get_batch(&probes, &mut batched);
        assert_eq!(batched.len(), probes.len());
        for (i, (probe, found)) in probes.iter().zip(&batched).enumerate() {
            let expected = u32::try_from(i).ok().filter(|_| i < keys.len());
            assert_eq!(table.get(probe), expected, "{probe:?}");
            assert_eq!(*found, expected, "{probe:?} in a batch");
        }
    }

    #[test]
    fn the_first_value_stays_unless_set() {
        let mut table = KeyTable::with_capacity(4);
        assert_eq!(table.insert_if_absent(b"a", 1), None);
        assert_eq!(table.insert_if_absent(b"a", 2), Some(1));
        assert_eq!(table.get(b"a"), Some(1));
        table.set(b"a", 3);
        table.set(b"b", 4);
        assert_eq!(
            (table.get(b"a"), table.get(b"b"), table.len()),
            (Some(3), Some(4), 2)
        );
        // The empty key is a key like any other.
        assert_eq!(table.get(b""), None);
        table.set(b"", 5);
        assert_eq!(table.get(b""), Some(5));
    }

    #[test]
    fn keys_that_share_a_first_slot_are_all_found() {
        // Many keys in a small table: long probe runs, and batches that probe on.
        let mut table = KeyTable::with_capacity(0);
        let keys: Vec<[u8; 2]> = (0..=255u8).map(|b| [b, b.wrapping_mul(7)]).collect();
        for (value, key) in (0u32..).zip(&keys) {
            table.set(key, value);
        }
        let mut found = Vec::new();
        table.get_batch(&keys, &mut found);
        assert!(found.iter().zip(0u32..).all(|(f, v)| *f == Some(v)));
    }
}
