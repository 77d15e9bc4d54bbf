//! Which file each entry goes to, so that no file is over the loader's size limit.
//!
//! A *section* is a list of entries, sorted by name, that one file would hold: all the
//! users or all the groups, or (`--split team`) one department's users. A section that
//! fits in [`budget`] bytes stays one file, as it always was. One that does not is split
//! by the first letters of the names, the way a phone book is: `a.yaml` holds the names
//! that begin with `a`, and a letter that is still too large is split by the next one
//! (`ma.yaml`, `mb.yaml`, …), and so on. Every character becomes a fixed piece of the
//! file name — `a`–`z` and `0`–`9` themselves, any other ASCII character `_`, any other
//! character `+` and six hex digits of its code point — so names are safe on any
//! filesystem and never collide. Whether a set of names is split depends only on its own
//! size, so adding a person changes one file, unless that file's set grows past the
//! budget and splits. Names that share their first [`MAX_DEPTH`] characters, or are
//! equal, are cut into numbered parts instead (`name-001.yaml`); empty names (which no
//! server should hold) go to `empty-name.yaml`. An entry too large for
//! any file gets a file of its own; the caller warns about it.
//!
//! This module only computes; it knows nothing of YAML, users or the disk.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Beyond this many characters of a name, a set of names is cut into numbered parts.
pub(super) const MAX_DEPTH: usize = 16;

/// The most bytes a file is given: nine tenths of the loader's limit, so that a file
/// edited by hand after the export still loads.
pub(super) fn budget(limit: u64) -> u64 {
    limit / 10 * 9 + limit % 10 * 9 / 10
}

/// One file of a split section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chunk {
    /// The file's stem, made of name pieces (see the module docs).
    pub(super) name: String,
    /// Positions of its entries in the section, increasing.
    pub(super) entries: Vec<u32>,
    /// The file's size: the header and the entries.
    pub(super) bytes: u64,
}

/// How a section is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SectionLayout {
    /// One file, as before.
    Whole,
    /// Files by the first letters of the names.
    Chunks(Vec<Chunk>),
}

/// The layout of a section whose entries have these `keys` (the folded names, in the
/// section's order) and `sizes` (bytes), each file starting with `header` bytes.
pub(super) fn lay_out(keys: &[&str], sizes: &[u64], header: u64, budget: u64) -> SectionLayout {
    let total = header + sizes.iter().sum::<u64>();
    if total <= budget {
        return SectionLayout::Whole;
    }
    let items: Vec<(u32, &str)> = (0u32..).zip(keys.iter().copied()).collect();
    let mut chunks = Vec::new();
    let splitter = Splitter {
        sizes,
        header,
        budget,
    };
    splitter.split(&mut chunks, items, String::new(), 0);
    SectionLayout::Chunks(chunks)
}

struct Splitter<'s> {
    sizes: &'s [u64],
    header: u64,
    budget: u64,
}

impl Splitter<'_> {
    fn bytes(&self, items: &[(u32, &str)]) -> u64 {
        self.header
            + items
                .iter()
                .map(|(at, _)| self.sizes[*at as usize])
                .sum::<u64>()
    }

    /// The chunks of `items` (each with what is left of its key after `name`).
    fn split(&self, out: &mut Vec<Chunk>, items: Vec<(u32, &str)>, name: String, depth: usize) {
        let bytes = self.bytes(&items);
        if bytes <= self.budget {
            out.push(Chunk {
                name: stem(name),
                entries: items.iter().map(|(at, _)| *at).collect(),
                bytes,
            });
            return;
        }
        let all_ended = items.iter().all(|(_, rest)| rest.is_empty());
        if depth >= MAX_DEPTH || all_ended {
            self.numbered(out, &items, &name);
            return;
        }
        // By the next character; names that end here come first, under `name` itself.
        let mut buckets: BTreeMap<String, Vec<(u32, &str)>> = BTreeMap::new();
        for (at, rest) in items {
            let mut chars = rest.chars();
            let mut piece = String::new();
            if let Some(c) = chars.next() {
                push_piece(&mut piece, c);
            }
            buckets.entry(piece).or_default().push((at, chars.as_str()));
        }
        for (piece, items) in buckets {
            self.split(out, items, format!("{name}{piece}"), depth + 1);
        }
    }

    /// `items` in consecutive parts of at most the budget (an entry larger than that
    /// alone in its part), named `name-001`, `name-002`, ….
    fn numbered(&self, out: &mut Vec<Chunk>, items: &[(u32, &str)], name: &str) {
        let base = if name.is_empty() { EMPTY } else { name };
        let mut part = Chunk {
            name: String::new(),
            entries: Vec::new(),
            bytes: self.header,
        };
        let mut number = 0;
        for (at, _) in items {
            let size = self.sizes[*at as usize];
            if !part.entries.is_empty() && part.bytes + size > self.budget {
                number += 1;
                part.name = format!("{base}-{number:03}");
                out.push(std::mem::replace(
                    &mut part,
                    Chunk {
                        name: String::new(),
                        entries: Vec::new(),
                        bytes: self.header,
                    },
                ));
            }
            part.entries.push(*at);
            part.bytes += size;
        }
        number += 1;
        part.name = format!("{base}-{number:03}");
        out.push(part);
    }
}

/// The piece of a file name that stands for `c` (see the module docs).
fn push_piece(name: &mut String, c: char) {
    if c.is_ascii_lowercase() || c.is_ascii_digit() {
        name.push(c);
    } else if c.is_ascii() {
        name.push('_');
    } else {
        let _ = write!(name, "+{:06x}", u32::from(c));
    }
}

/// The stem that stands for empty names: no run of pieces spells it (they hold no `-`),
/// nor does a numbered part (`name-001` has one `-`).
const EMPTY: &str = "empty-name";

/// A chunk's file stem: its name, or [`EMPTY`].
fn stem(name: String) -> String {
    if name.is_empty() {
        EMPTY.to_string()
    } else {
        name
    }
}

/// `limit` bytes for people: `16 MiB`, `256 KiB`, or bytes.
pub(super) fn human_size(limit: u64) -> String {
    const KIB: u64 = 1024;
    if limit >= KIB * KIB && limit.is_multiple_of(KIB * KIB) {
        format!("{} MiB", limit / (KIB * KIB))
    } else if limit >= KIB && limit.is_multiple_of(KIB) {
        format!("{} KiB", limit / KIB)
    } else {
        format!("{limit} bytes")
    }
}

/// The files an export wrote, for one line: each file by name when there are a few and
/// nothing was split; otherwise the files of each directory counted (`users/ in 12
/// files`), and why they were split.
pub fn summary(paths: &[&str], chunked: bool, limit: u64) -> String {
    const LISTED: usize = 8;
    if !chunked && paths.len() <= LISTED {
        return paths.join(", ");
    }
    let mut parts: Vec<(String, usize)> = Vec::new();
    for path in paths {
        let part = match path.split_once('/') {
            Some((dir, _)) => format!("{dir}/"),
            None => (*path).to_string(),
        };
        match parts.iter_mut().find(|(p, _)| *p == part) {
            Some((_, count)) => *count += 1,
            None => parts.push((part, 1)),
        }
    }
    let mut text = parts
        .iter()
        .map(|(part, count)| match (part.ends_with('/'), count) {
            (true, 1) => format!("{part} in 1 file"),
            (true, _) => format!("{part} in {count} files"),
            (false, _) => part.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if chunked {
        let _ = write!(
            text,
            "; files are split by the first letters of names to stay under the {} limit of one configuration file",
            human_size(limit)
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chunks(keys: &[&str], size: u64, budget: u64) -> Vec<Chunk> {
        let sizes = vec![size; keys.len()];
        match lay_out(keys, &sizes, 7, budget) {
            SectionLayout::Whole => Vec::new(),
            SectionLayout::Chunks(chunks) => chunks,
        }
    }

    fn names(chunks: &[Chunk]) -> Vec<&str> {
        chunks.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn a_section_that_fits_stays_whole() {
        assert_eq!(lay_out(&["a", "b"], &[10, 10], 7, 27), SectionLayout::Whole);
    }

    #[test]
    fn names_are_split_by_first_letters_as_far_as_needed() {
        let mut keys = vec![
            "ann", "anna", "bob", "mia", "mo", "mona", "mu", "zoë", "ümit", "émile", ".x", "9",
        ];
        keys.sort_unstable();
        let chunks = chunks(&keys, 10, 7 + 20);
        let mut all: Vec<u32> = chunks.iter().flat_map(|c| c.entries.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..).take(keys.len()).collect::<Vec<u32>>());
        assert!(chunks.iter().all(|c| c.bytes <= 27), "{chunks:?}");
        let by_name: BTreeMap<&str, Vec<&str>> = chunks
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.entries.iter().map(|at| keys[*at as usize]).collect(),
                )
            })
            .collect();
        let expected: BTreeMap<&str, Vec<&str>> = [
            ("_", vec![".x"]),
            ("9", vec!["9"]),
            ("a", vec!["ann", "anna"]),
            ("b", vec!["bob"]),
            ("mi", vec!["mia"]),
            ("mo", vec!["mo", "mona"]),
            ("mu", vec!["mu"]),
            ("z", vec!["zoë"]),
            ("+0000e9", vec!["émile"]),
            ("+0000fc", vec!["ümit"]),
        ]
        .into_iter()
        .collect();
        assert_eq!(by_name, expected);
    }

    #[test]
    fn a_name_ending_where_the_split_goes_on_has_the_file_of_the_prefix() {
        let keys = ["mo", "moa", "mob", "moc"];
        let chunks = chunks(&keys, 10, 7 + 20);
        assert_eq!(names(&chunks), ["mo", "moa", "mob", "moc"]);
        assert_eq!(chunks[0].entries, [0]);
    }

    #[test]
    fn equal_or_long_shared_names_are_cut_into_numbered_parts() {
        let keys = ["same"; 5];
        let chunks = chunks(&keys, 10, 7 + 20);
        assert_eq!(names(&chunks), ["same-001", "same-002", "same-003"]);
        let long = "x".repeat(MAX_DEPTH + 4);
        let keys: Vec<String> = (0..4).map(|i| format!("{long}{i}")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let chunks = super::tests::chunks(&keys, 10, 7 + 20);
        let prefix = "x".repeat(MAX_DEPTH);
        assert_eq!(
            names(&chunks),
            [format!("{prefix}-001"), format!("{prefix}-002")]
        );
    }

    #[test]
    fn an_entry_larger_than_the_budget_gets_a_file_of_its_own() {
        let chunks = match lay_out(&["a", "a", "a"], &[5, 100, 5], 7, 30) {
            SectionLayout::Chunks(chunks) => chunks,
            SectionLayout::Whole => panic!("does not fit"),
        };
        assert_eq!(
            chunks.iter().map(|c| c.entries.clone()).collect::<Vec<_>>(),
            [vec![0], vec![1], vec![2]]
        );
        assert_eq!(chunks[1].bytes, 107);
    }

    #[test]
    fn adding_a_name_changes_one_file_while_no_set_grows_past_the_budget() {
        let mut keys: Vec<String> = (0..200).map(|i| format!("user{:03}@x", i * 5)).collect();
        let before = chunks(
            &keys.iter().map(String::as_str).collect::<Vec<_>>(),
            100,
            5000,
        );
        keys.push("user102@x".to_string());
        keys.sort();
        let after = chunks(
            &keys.iter().map(String::as_str).collect::<Vec<_>>(),
            100,
            5000,
        );
        assert_eq!(names(&before), names(&after));
        let changed: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b.entries.len() != a.entries.len())
            .map(|(b, _)| b.name.as_str())
            .collect();
        assert_eq!(changed, ["user1"]);
    }

    #[test]
    fn sizes_are_told_as_people_say_them() {
        assert_eq!(human_size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(human_size(256 * 1024), "256 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(budget(1000), 900);
        assert_eq!(budget(16 * 1024 * 1024), 15_099_494);
    }

    #[test]
    fn the_summary_lists_a_few_files_and_counts_many() {
        assert_eq!(
            summary(
                &["scimform.yaml", "users/eng.yaml", "groups.yaml"],
                false,
                1024
            ),
            "scimform.yaml, users/eng.yaml, groups.yaml"
        );
        assert_eq!(
            summary(
                &[
                    "scimform.yaml",
                    "users/a.yaml",
                    "users/b.yaml",
                    "groups/g.yaml"
                ],
                true,
                16 * 1024 * 1024
            ),
            "scimform.yaml, users/ in 2 files, groups/ in 1 file; files are split by the first letters of names to stay under the 16 MiB limit of one configuration file"
        );
    }

    proptest! {
        #[test]
        fn every_entry_is_in_one_file_and_every_file_fits(
            mut keys in proptest::collection::vec("[a-c.é]{0,20}", 1..200),
            sizes in proptest::collection::vec(1u64..60, 200),
            budget in 40u64..400,
        ) {
            keys.sort();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let sizes = &sizes[..keys.len()];
            match lay_out(&refs, sizes, 7, budget) {
                SectionLayout::Whole => prop_assert!(7 + sizes.iter().sum::<u64>() <= budget),
                SectionLayout::Chunks(chunks) => {
                    let mut all: Vec<u32> = chunks.iter().flat_map(|c| c.entries.clone()).collect();
                    all.sort_unstable();
                    prop_assert_eq!(all, (0u32..).take(keys.len()).collect::<Vec<_>>());
                    let mut names: Vec<&str> = chunks.iter().map(|c| c.name.as_str()).collect();
                    names.sort_unstable();
                    names.dedup();
                    prop_assert_eq!(names.len(), chunks.len(), "names are unique");
                    for chunk in &chunks {
                        prop_assert!(chunk.bytes <= budget || chunk.entries.len() == 1);
                        prop_assert!(chunk.entries.windows(2).all(|w| w[0] < w[1]));
                        prop_assert!(chunk.name.bytes().all(|b| b.is_ascii_lowercase()
                            || b.is_ascii_digit() || b"_+-".contains(&b)));
                        prop_assert!(chunk.name.len() <= MAX_DEPTH * 7 + 8);
                    }
                }
            }
        }
    }
}
