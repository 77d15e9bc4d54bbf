//! Names compared case-insensitively: one folding rule for every userName, email and
//! group name (so that an index built with it finds what a lookup folds the same way),
//! and a fast hash map for the large indexes (a configuration is trusted input, so the
//! hash need not resist collision attacks; it must be quick over 1 000 000 lookups).
//!
//! Only comparison lives here; nothing about what the names mean.

use std::collections::HashMap;

/// A `HashMap` with rustc's Fx hash.
pub(crate) type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// An empty [`FastMap`] with room for `capacity` entries.
pub(crate) fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, rustc_hash::FxBuildHasher)
}

/// `text` folded for comparison (trimmed, lowercase).
pub(super) fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    fold_into(text, &mut folded);
    folded
}

/// [`fold`] into a reused buffer.
pub(super) fn fold_into(text: &str, buffer: &mut String) {
    buffer.clear();
    let text = text.trim();
    if text.is_ascii() {
        buffer.push_str(text);
        buffer.make_ascii_lowercase();
    } else {
        buffer.extend(text.chars().flat_map(char::to_lowercase));
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
