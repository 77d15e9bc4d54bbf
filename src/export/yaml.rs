//! The YAML text of one exported entry — a user or a group — written as `serde_saphyr`
//! writes it, without paying for `serde_saphyr` on every entry of a large directory.
//!
//! An entry is a small tree of [`Node`]s that borrows its strings from the directory.
//! [`push_item`] writes it as an item of a block sequence at the left margin (the
//! `- userName: …` under `users:`), byte for byte as `serde_saphyr` writes the same tree
//! inside the whole document: keys in order, nested mappings indented by two, sequences
//! at their key's indentation, `[]` for an empty one. A string that `serde_saphyr` writes
//! plain is recognised here ([`is_plain`]: a letter first, then letters, digits, spaces
//! and a few punctuation marks, and no YAML keyword); any other string of one short line
//! is quoted by `serde_saphyr` itself; an entry holding a string that would become a
//! block scalar (several lines, or over 80 bytes) is handed to `serde_saphyr` whole. So
//! the fast path can only be wrong by declining — the tests compare the two on awkward
//! input. This module formats; it decides nothing about what an entry holds.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// Beyond this many bytes, `serde_saphyr` may fold a string over lines.
const FOLD_WIDTH: usize = 80;

/// One node of an entry.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    /// Keys in the order they are written.
    Map(Vec<(&'static str, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

impl<'a> Node<'a> {
    pub(super) fn str(text: &'a str) -> Node<'a> {
        Node::Str(Cow::Borrowed(text))
    }
}

impl Serialize for Node<'_> {
    /// The calls a `serde_json::Value` of the same shape makes, so that `serde_saphyr`
    /// writes both alike.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Str(text) => serializer.serialize_str(text),
            Node::Bool(value) => serializer.serialize_bool(*value),
            Node::Map(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (key, value) in pairs {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Node::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// Append `node` to `out` as an item of a block sequence at the left margin.
pub(super) fn push_item(out: &mut String, node: &Node<'_>) {
    let start = out.len();
    if item(out, node, 0).is_none() {
        out.truncate(start);
        push_by_saphyr(out, node);
    }
}

/// `serde_saphyr`'s text of a one-item sequence: the item as it appears in a document.
fn push_by_saphyr(out: &mut String, node: &Node<'_>) {
    match serde_saphyr::to_string(&[node]) {
        Ok(text) => out.push_str(&text),
        Err(e) => {
            out.push_str("- # cannot write YAML: ");
            out.push_str(&e.to_string().replace('\n', " "));
            out.push('\n');
        }
    }
}

/// A sequence item at `indent`; `None` where this writer leaves the entry to
/// `serde_saphyr`.
fn item(out: &mut String, node: &Node<'_>, indent: usize) -> Option<()> {
    pad(out, indent);
    out.push_str("- ");
    match node {
        Node::Map(pairs) if !pairs.is_empty() => pairs_at(out, pairs, indent + 2, true),
        Node::Str(text) => {
            scalar(out, text)?;
            out.push('\n');
            Some(())
        }
        Node::Bool(value) => {
            out.push_str(boolean(*value));
            out.push('\n');
            Some(())
        }
        // A sequence in a sequence, an empty mapping or sequence as an item: never part
        // of an entry; `serde_saphyr` knows how.
        Node::Map(_) | Node::Seq(_) => None,
    }
}

/// The pairs of a mapping whose keys are at `indent`; the first on the current line when
/// `first_inline` (after `- `).
fn pairs_at(
    out: &mut String,
    pairs: &[(&'static str, Node<'_>)],
    indent: usize,
    first_inline: bool,
) -> Option<()> {
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 || !first_inline {
            pad(out, indent);
        }
        out.push_str(key);
        match value {
            Node::Str(text) => {
                out.push_str(": ");
                scalar(out, text)?;
                out.push('\n');
            }
            Node::Bool(value) => {
                out.push_str(": ");
                out.push_str(boolean(*value));
                out.push('\n');
            }
            Node::Map(inner) if inner.is_empty() => out.push_str(": {}\n"),
            Node::Map(inner) => {
                out.push_str(":\n");
                pairs_at(out, inner, indent + 2, false)?;
            }
            Node::Seq(items) if items.is_empty() => out.push_str(": []\n"),
            Node::Seq(items) => {
                out.push_str(":\n");
                for item_node in items {
                    item(out, item_node, indent)?;
                }
            }
        }
    }
    Some(())
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn boolean(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// A string scalar in value position; `None` for one that `serde_saphyr` may write as a
/// block scalar (whose text depends on the column).
fn scalar(out: &mut String, text: &str) -> Option<()> {
    if is_plain(text) {
        out.push_str(text);
        return Some(());
    }
    if text.len() > FOLD_WIDTH || text.contains('\n') {
        return None;
    }
    let quoted = serde_saphyr::to_string(&text).ok()?;
    let quoted = quoted.strip_suffix('\n')?;
    if quoted.contains('\n') {
        return None;
    }
    out.push_str(quoted);
    Some(())
}

/// Words that YAML 1.1 or 1.2 reads as something other than a string when plain.
const KEYWORDS: &[&str] = &[
    "null", "true", "false", "yes", "y", "on", "no", "n", "off", "nan", "inf",
];

/// Punctuation that may follow the first letter of a plain scalar in block context.
const PLAIN_PUNCTUATION: &str = " .,@_-+'()/&";

/// Whether `serde_saphyr` writes `text` plain in a block mapping's value: a conservative
/// test (it may say no to a string that would be plain, never yes to one that would not).
/// A letter first rules out every number, date, indicator and document marker; the
/// characters after it hold no `:` or `#` (so no `: ` and no ` #`), no control or
/// line-breaking character, and no space at the end; the few words left that YAML
/// resolves are [`KEYWORDS`].
pub(super) fn is_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    first.is_alphabetic()
        && text.len() <= FOLD_WIDTH
        && !text.ends_with(' ')
        && plain_characters(&text[first.len_utf8()..])
        && !KEYWORDS.iter().any(|k| text.eq_ignore_ascii_case(k))
}

/// Whether every character of `rest` is a letter, a digit or [`PLAIN_PUNCTUATION`]
/// (ASCII by a table, the rest by `char::is_alphanumeric`).
fn plain_characters(rest: &str) -> bool {
    const TABLE: [bool; 128] = {
        let mut table = [false; 128];
        let mut b: u8 = 0;
        while b < 128 {
            table[b as usize] = b.is_ascii_alphanumeric();
            b += 1;
        }
        let punctuation = PLAIN_PUNCTUATION.as_bytes();
        let mut i = 0;
        while i < punctuation.len() {
            table[punctuation[i] as usize] = true;
            i += 1;
        }
        table
    };
    if rest.is_ascii() {
        return rest.bytes().all(|b| TABLE[usize::from(b)]);
    }
    rest.chars().all(|c| match u8::try_from(c) {
        Ok(b) if b.is_ascii() => TABLE[usize::from(b)],
        _ => c.is_alphanumeric(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `serde_saphyr` writes for `node` as an item of `users:` in a whole document,
    /// without the `users:` line.
    fn by_saphyr_in_a_document(nodes: &[Node<'_>]) -> String {
        let doc = Node::Map(vec![("users", Node::Seq(nodes.to_vec()))]);
        let text = serde_saphyr::to_string(&doc).expect("serialises");
        text.strip_prefix("users:\n")
            .expect("a block sequence")
            .to_string()
    }

    fn fast(nodes: &[Node<'_>]) -> String {
        let mut out = String::new();
        for node in nodes {
            push_item(&mut out, node);
        }
        out
    }

    fn user<'a>(name: &'a str, other: &'a str) -> Node<'a> {
        Node::Map(vec![
            ("userName", Node::str(name)),
            ("displayName", Node::str(other)),
            (
                "name",
                Node::Map(vec![
                    ("givenName", Node::str(other)),
                    ("familyName", Node::str(name)),
                ]),
            ),
            ("active", Node::Bool(true)),
            (
                "emails",
                Node::Seq(vec![Node::Map(vec![
                    ("value", Node::str(other)),
                    ("primary", Node::Bool(false)),
                ])]),
            ),
            ("phoneNumbers", Node::Seq(vec![])),
            ("enterprise", Node::Map(vec![("manager", Node::str(other))])),
        ])
    }

    fn group<'a>(name: &'a str, members: &[&'a str]) -> Node<'a> {
        let mut list: Vec<Node<'a>> = members.iter().map(|m| Node::str(m)).collect();
        list.push(Node::Map(vec![("user", Node::str(name))]));
        list.push(Node::Str(Cow::Owned(format!("group:{name}"))));
        Node::Map(vec![
            ("displayName", Node::str(name)),
            ("members", Node::Seq(list)),
            ("empty", Node::Seq(vec![])),
            ("nothing", Node::Map(vec![])),
        ])
    }

    const AWKWARD: &[&str] = &[
        "",
        " ",
        "a",
        "y",
        "Y",
        "n",
        "No",
        "yes",
        "On",
        "OFF",
        "null",
        "NULL",
        "~",
        "true",
        "False",
        "nan",
        "NaN",
        ".inf",
        "-.inf",
        "inf",
        "0",
        "0042",
        "1e3",
        "1_000",
        "0x1F",
        "0o17",
        "0b101",
        "+1",
        "+1 555 0100",
        "+15550101",
        "12:30",
        "1:20:30",
        "2024-01-02",
        "2024-01-02 10:00:00",
        "- item",
        "-dash",
        "-",
        "?",
        "? x",
        "?x",
        ":x",
        "a: b",
        "a:b",
        "key:",
        "a #b",
        "a#b",
        "#x",
        "@handle",
        "`x",
        "%x",
        "!x",
        "&x",
        "*x",
        "|x",
        ">x",
        "'x",
        "\"x",
        "[x]",
        "{x}",
        "x, y",
        "a [b] {c}",
        "---",
        "--- x",
        "...",
        "a'b",
        "a\"b",
        "a\\b",
        "trailing ",
        " leading",
        "tab\there",
        "two\nlines",
        "two\nlines\n",
        "\u{7}bell",
        "\u{0}nul",
        "\u{85}nel",
        "\u{2028}ls",
        "a\u{2029}b",
        "\u{feff}bom",
        "a\u{feff}",
        "\u{fffe}",
        "a\r\nb",
        "Zoë Ångström",
        "山田 太郎",
        "ÉCOLE",
        "x\u{3000}",
        "yes\u{3000}",
        "<<",
        "=",
        "group:admins",
        "user000001@synthetic.test",
        "VP, Sales & Marketing (EMEA)",
        "Europe/London",
        "a.b-c_d+e@f.test",
        "ann@x.test",
        "A display name that is exactly eighty bytes long, which is the widest unfolded!",
        "A display name that is exactly eighty-one bytes long, which is one over the width",
        "A display name that is much longer than eighty characters, so YAML folds it over lines",
        "\"A quoted display name that is much longer than eighty characters, so it is quoted\"",
        "ééééééééééééééééééééééééééééééééééééééééééééééééé",
    ];

    #[test]
    fn entries_are_written_as_serde_saphyr_writes_them() {
        for a in AWKWARD {
            for b in ["ann@x.test", "yes", "two\nlines", "0042"] {
                let nodes = [user(a, b), user(b, a), group(a, &[b, a]), Node::str(a)];
                assert_eq!(fast(&nodes), by_saphyr_in_a_document(&nodes), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same_by_either_yaml_reader() {
        // Awkward names: read alike by the fast reader and granit, or left to granit.
        let mut fast_read = 0;
        for a in AWKWARD {
            let nodes = [user(a, "ann@x.test"), group(a, &["ann@x.test", a])];
            let text = format!("users:\n{}", fast(&nodes));
            if crate::config::simple_reader_agrees_with_granit(&text) {
                fast_read += 1;
            }
        }
        assert!(
            fast_read > AWKWARD.len() / 2,
            "{fast_read} of {}",
            AWKWARD.len()
        );
        // A directory's usual names take the fast reader.
        let nodes = [
            user("ann@x.test", "Zoë Ångström"),
            group("group-00001", &["ann@x.test", "user000001@synthetic.test"]),
        ];
        let text = format!("users:\n{}", fast(&nodes));
        assert!(
            crate::config::simple_reader_agrees_with_granit(&text),
            "{text}"
        );
    }

    #[test]
    fn plain_strings_are_recognised_without_serde_saphyr() {
        for plain in [
            "ann@x.test",
            "Zoë Ångström",
            "VP, Sales & Marketing (EMEA)",
            "user000001@synthetic.test",
            "group-00001",
        ] {
            assert!(is_plain(plain), "{plain}");
        }
        for not in ["yes", "0042", "a: b", "group:x", "trailing ", "+1 555"] {
            assert!(!is_plain(not), "{not}");
        }
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_saphyr_writes_it(
            text in "[a-zA-Z0-9 .,:#@_+'\"()/&!?|>%*\\[\\]{}~=<-]{0,6}|\\PC{0,90}|[yYnN][a-zA-Z]{0,4}"
        ) {
            let nodes = [user(&text, &text), group(&text, &[&text])];
            prop_assert_eq!(fast(&nodes), by_saphyr_in_a_document(&nodes));
        }
    }
}
