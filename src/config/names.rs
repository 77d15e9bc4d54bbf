//! Names compared case-insensitively: one folding rule for every userName, email and
//! group name (so that an index built with it finds what a lookup folds the same way),
//! and a fast hash map for the large indexes (a configuration is trusted input, so the
//! hash need not resist collision attacks; it must be quick over 1 000 000 lookups).
//!
//! Only comparison lives here; nothing about what the names mean.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An empty [`FastMap`] with room for `capacity` entries.
pub fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// `text` folded for comparison (trimmed, lowercase).
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    fold_into(text, &mut folded);
    folded
}

/// [`fold`] into a reused buffer.
pub fn fold_into(text: &str, buffer: &mut String) {
    buffer.clear();
    let text = text.trim();
    if text.is_ascii() {
        buffer.push_str(text);
        buffer.make_ascii_lowercase();
    } else {
        buffer.extend(text.chars().flat_map(char::to_lowercase));
    }
}

/// The multiply-rotate hash of rustc (FxHash), eight bytes at a time.
#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_trims_and_lowercases_any_script() {
        assert_eq!(fold("  Alice@ACME.test "), "alice@acme.test");
        assert_eq!(fold("ÉLIF@X"), "élif@x");
        let mut buffer = String::from("old");
        fold_into("İ", &mut buffer);
        assert_eq!(buffer, "i\u{307}");
    }

    #[test]
    fn the_fast_map_is_a_map() {
        let mut map: FastMap<String, usize> = fast_map(4);
        for (i, name) in ["a", "b", "abcdefghijk", ""].iter().enumerate() {
            map.insert((*name).to_string(), i);
        }
        assert_eq!(map.get("abcdefghijk"), Some(&2));
        assert_eq!(map.get(""), Some(&3));
        assert_eq!(map.get("c"), None);
    }
}
