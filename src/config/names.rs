//! Names compared case-insensitively: one folding rule for every userName, email and
//! group name (so that an index built with it finds what a lookup folds the same way),
//! and a fast hash map for the large indexes (a configuration is trusted input, so the
//! hash need not resist collision attacks; it must be quick over 1 000 000 lookups).
//!
//! Names are exact: folding lowercases but does not trim, because the diff matches live
//! names the same way (a live userName ` bob` is not `bob`, and trimming the declared name
//! would make a plan create a second account). Validation warns about names with
//! whitespace at either end instead.
//!
//! Also here, for the warnings about deceptive names and for diagnostics that must not
//! pass them to a terminal as they are: which characters are deceptive
//! ([`is_deceptive`]), their escaped form ([`escape_deceptive`]), and a small script check
//! that finds words mixing Latin, Cyrillic and Greek letters ([`mixed_script_word`]).
//!
//! Only comparison and character classes live here; nothing about what the names mean.

use std::borrow::Cow;
use std::collections::HashMap;

/// A `HashMap` with rustc's Fx hash.
pub(crate) type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// An empty [`FastMap`] with room for `capacity` entries.
pub(crate) fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, rustc_hash::FxBuildHasher)
}

/// `text` folded for comparison: each character lowercased on its own, the Greek final
/// sigma `ς` taken as `σ` (as Unicode case folding does, so that `ΟΔΥΣΣΕΥΣ`, `Οδυσσευς`
/// and `οδυσσευσ` are one name), and otherwise exact (not trimmed). The one rule for
/// every name the tool compares: validation, the diff's matching and guards, apply.
pub(crate) fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    fold_into(text, &mut folded);
    folded
}

/// [`fold`], borrowed where `text` is already folded (most names are lowercase ASCII),
/// so that matching 100 000 users allocates no copy of them.
pub(crate) fn fold_name(text: &str) -> Cow<'_, str> {
    if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(fold(text))
    }
}

/// [`fold`] into a reused buffer.
pub(crate) fn fold_into(text: &str, buffer: &mut String) {
    buffer.clear();
    if text.is_ascii() {
        buffer.push_str(text);
        buffer.make_ascii_lowercase();
    } else {
        buffer.extend(text.chars().flat_map(fold_char));
    }
}

/// Whether `a` and `b` are one name: equal once folded (see [`fold`]), without a copy.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(fold_char)
            .eq(b.chars().flat_map(fold_char))
    }
}

/// One character folded (see [`fold`]): most give one, a few give more (`İ` gives `i̇`).
pub(crate) fn fold_char(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().map(|c| if c == 'ς' { 'σ' } else { c })
}

/// Which characters are deceptive and how they are escaped is one rule for the whole
/// tool, kept with the renderers (`crate::render::text`); diagnostics use it from here.
pub use crate::render::text::{is_deceptive, safe as escape_deceptive};

/// The scripts that the mixed-script check tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Script {
    Latin,
    Cyrillic,
    Greek,
    /// Any other letter (CJK, Arabic, …): never counted as mixing.
    Other,
}

impl Script {
    pub(super) fn name(self) -> &'static str {
        match self {
            Script::Latin => "Latin",
            Script::Cyrillic => "Cyrillic",
            Script::Greek => "Greek",
            Script::Other => "other",
        }
    }
}

/// The script of a letter; `None` for what is not a letter (digits, punctuation,
/// symbols, spaces, combining marks), which the check ignores. A small table of the
/// Unicode blocks that hold the three alphabets whose letters look alike — not the full
/// Unicode Script property, which would need a large table for no better answer here.
pub(super) fn script(c: char) -> Option<Script> {
    if c.is_ascii_alphabetic() {
        return Some(Script::Latin);
    }
    if c.is_ascii() || !c.is_alphabetic() {
        return None;
    }
    Some(match u32::from(c) {
        // Latin-1 Supplement letters, Latin Extended-A/B, IPA, Latin Extended Additional,
        // Latin Extended-C/D/E, fullwidth Latin.
        0x00C0..=0x024F
        | 0x0250..=0x02AF
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xAB30..=0xAB6F
        | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A => Script::Latin,
        // Greek and Coptic, Greek Extended.
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        // Cyrillic, Cyrillic Supplement, Extended-A/B/C.
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        _ => Script::Other,
    })
}

/// The first word of `name` that mixes two of Latin, Cyrillic and Greek, with the two
/// scripts: `аdmin` (a Cyrillic `а`) does, `иван@example.com` does not. Words are the runs
/// between characters that are not letters (digits, punctuation, `@`, `.`, spaces), so
/// that an address with a local part in one script and a domain in another is not
/// flagged; letters of other scripts never count as mixing.
pub(super) fn mixed_script_word(name: &str) -> Option<(&str, Script, Script)> {
    if name.is_ascii() {
        return None;
    }
    for word in name.split(|c: char| script(c).is_none() && !is_mark(c)) {
        let mut first: Option<Script> = None;
        for c in word.chars() {
            match (first, script(c)) {
                (_, None | Some(Script::Other)) => {}
                (None, Some(s)) => first = Some(s),
                (Some(a), Some(b)) if a != b => return Some((word, a, b)),
                _ => {}
            }
        }
    }
    None
}

/// A combining mark (accents written as separate characters stay part of their word).
fn is_mark(c: char) -> bool {
    matches!(u32::from(c), 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_sigma_folds_as_sigma_wherever_it_stands() {
        let names = ["ΟΔΥΣΣΕΥΣ", "Οδυσσευς", "οδυσσευσ", "οδυσσευς"];
        for name in names {
            assert_eq!(fold(name), "οδυσσευσ", "{name}");
            assert_eq!(fold_name(name), "οδυσσευσ", "{name}");
        }
        // `str::to_lowercase` reads a word-final capital sigma as `ς`: folding must not
        // depend on where a letter stands.
        assert_eq!(fold("ΑΣ@x.test"), fold("ασ@x.test"));
        assert_eq!(fold("ΑΣ@x.test"), fold("ας@X.test"));
        assert!(same_name("ΟΔΥΣΣΕΥΣ", "οδυσσευς") && same_name("Ärzte", "äRZTE"));
        assert!(same_name("Alice", "aLICE") && !same_name("alice", "alicе"));
        assert!(!same_name("ärzte", "ärzt") && !same_name("a", "ä"));
        assert!(matches!(fold_name("alice@x.test"), Cow::Borrowed(_)));
        assert_eq!(fold_name("Alice@X.test"), "alice@x.test");
    }

    #[test]
    fn folding_lowercases_any_script_and_keeps_spaces() {
        assert_eq!(fold("Alice@ACME.test"), "alice@acme.test");
        assert_eq!(fold(" Bob "), " bob ");
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

    #[test]
    fn deceptive_characters_are_escaped() {
        assert_eq!(escape_deceptive("plain name"), "plain name");
        assert_eq!(escape_deceptive("José"), "José");
        assert_eq!(escape_deceptive("a\u{202E}b"), "a\\u{202E}b");
        assert_eq!(
            escape_deceptive("a\u{200B}\u{FEFF}b"),
            "a\\u{200B}\\u{FEFF}b"
        );
        assert_eq!(
            escape_deceptive("x\ny\t\u{7}"),
            "x\\u{000A}y\\u{0009}\\u{0007}"
        );
        for c in [
            '\u{00AD}', '\u{061C}', '\u{200E}', '\u{200F}', '\u{2066}', '\u{2069}', '\u{2064}',
        ] {
            assert!(is_deceptive(c), "{c:?}");
        }
        assert!(!is_deceptive('é'));
    }

    #[test]
    fn words_that_mix_latin_cyrillic_or_greek_are_found() {
        assert_eq!(
            mixed_script_word("\u{0430}dmin@x.test"),
            Some(("\u{0430}dmin", Script::Cyrillic, Script::Latin))
        );
        assert_eq!(
            mixed_script_word("p\u{03B1}ypal"),
            Some(("p\u{03B1}ypal", Script::Latin, Script::Greek))
        );
        assert_eq!(mixed_script_word("иван@example.com"), None);
        assert_eq!(mixed_script_word("José-María"), None);
        assert_eq!(mixed_script_word("Jose\u{0301}"), None);
        assert_eq!(mixed_script_word("田中taro"), None);
        assert_eq!(mixed_script_word("admin2"), None);
        assert_eq!(
            mixed_script_word("Ωmega-team"),
            Some(("Ωmega", Script::Greek, Script::Latin))
        );
    }
}
