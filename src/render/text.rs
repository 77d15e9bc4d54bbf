//! Text that cannot deceive: every name, id, value and message that came from a
//! configuration or a server passes through [`safe`] before it reaches a terminal, a CI
//! log or a pull-request comment. Control characters (terminal escapes among them),
//! bidirectional overrides and invisible characters are shown as `\u{…}` escapes, so a
//! name cannot hide, reorder or disguise a line of the plan.
//!
//! Also here: values on one line (JSON strings quoted), and the inline diff of long or
//! multi-line strings. Pure.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use crate::scim::{as_bool, attribute};

/// Whether a character must not reach a reader as it is.
pub fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional formatting: embeddings, overrides, isolates, marks.
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            // Zero-width and invisible characters.
            | '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{3164}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
            // Line and paragraph separators.
            | '\u{2028}' | '\u{2029}'
        )
}

/// `text` with every [deceptive](is_deceptive) character written as `\u{XXXX}`.
pub fn safe(text: &str) -> Cow<'_, str> {
    let plain = |b: &u8| (0x20..0x7f).contains(b);
    if text.as_bytes().iter().all(plain) || !text.chars().any(is_deceptive) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_deceptive(c) {
            let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`safe`], cut to 80 characters (with `…` when cut): for a server's id or value quoted
/// inside a message, where a hostile answer must not fill the screen.
pub fn safe_short(text: &str) -> String {
    let mut short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    safe(&short).into_owned()
}

/// A value on one line: strings quoted (JSON escapes), lists of emails as
/// `[a@x (work, primary)]`, made [safe].
pub fn scalar(value: &Value) -> String {
    let text = match value {
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(multi_value_entry).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Null => "null".to_string(),
        other => other.to_string(),
    };
    safe(&text).into_owned()
}

fn multi_value_entry(entry: &Value) -> String {
    let Some(object) = entry.as_object() else {
        return entry.to_string();
    };
    let Some(value) = attribute(object, "value").and_then(Value::as_str) else {
        return entry.to_string();
    };
    let mut tags = Vec::new();
    if let Some(kind) = attribute(object, "type").and_then(Value::as_str) {
        tags.push(kind.to_string());
    }
    if attribute(object, "primary").and_then(as_bool) == Some(true) {
        tags.push("primary".to_string());
    }
    if tags.is_empty() {
        value.to_string()
    } else {
        format!("{value} ({})", tags.join(", "))
    }
}

/// Strings longer than this (or with a line break) are shown as a diff.
pub const LONG_STRING: usize = 60;

/// How a changed string is best shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringChange {
    /// `"old" -> "new"` fits.
    Short,
    /// One long line, quoted, with word-level changes marked `[-old-]{+new+}`.
    Words(String),
    /// Several lines: a line diff, each line with its sign (`' '`, `-`, `+`).
    Lines(Vec<(char, String)>),
}

/// How to show a change from `old` to `new` (both strings).
pub fn string_change(old: &str, new: &str) -> StringChange {
    if old.contains('\n') || new.contains('\n') {
        let diff = similar::TextDiff::from_lines(old, new);
        let lines = diff
            .iter_all_changes()
            .map(|change| {
                let sign = match change.tag() {
                    similar::ChangeTag::Equal => ' ',
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                };
                let text = change.value().trim_end_matches(['\n', '\r']);
                (sign, safe(text).into_owned())
            })
            .collect();
        return StringChange::Lines(lines);
    }
    if old.chars().count() <= LONG_STRING && new.chars().count() <= LONG_STRING {
        return StringChange::Short;
    }
    let diff = similar::TextDiff::from_words(old, new);
    let mut out = String::from("\"");
    let (mut deleted, mut inserted) = (String::new(), String::new());
    let flush = |out: &mut String, deleted: &mut String, inserted: &mut String| {
        if !deleted.is_empty() {
            let _ = write!(out, "[-{}-]", safe(deleted));
            deleted.clear();
        }
        if !inserted.is_empty() {
            let _ = write!(out, "{{+{}+}}", safe(inserted));
            inserted.clear();
        }
    };
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Equal => {
                flush(&mut out, &mut deleted, &mut inserted);
                out.push_str(&safe(change.value()));
            }
            similar::ChangeTag::Delete => deleted.push_str(change.value()),
            similar::ChangeTag::Insert => inserted.push_str(change.value()),
        }
    }
    flush(&mut out, &mut deleted, &mut inserted);
    out.push('"');
    StringChange::Words(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_and_bidi_and_invisible_characters_are_shown_escaped() {
        assert_eq!(safe("alice@acme.test"), "alice@acme.test");
        assert_eq!(safe("a\x1b[2Kb"), "a\\u{001B}[2Kb");
        assert_eq!(safe("admin\u{202E}txt.exe"), "admin\\u{202E}txt.exe");
        assert_eq!(safe("zero\u{200B}width"), "zero\\u{200B}width");
        assert_eq!(safe("line\rover"), "line\\u{000D}over");
        assert_eq!(safe("ümlaut and 日本"), "ümlaut and 日本");
    }

    #[test]
    fn scalars_are_json_and_safe() {
        assert_eq!(scalar(&json!("x\u{202E}y")), "\"x\\u{202E}y\"");
        assert_eq!(scalar(&json!("a\nb")), "\"a\\nb\"");
        assert_eq!(
            scalar(&json!([{"value": "a@x.test", "type": "work", "primary": true}])),
            "[a@x.test (work, primary)]"
        );
    }

    #[test]
    fn long_and_multi_line_strings_are_diffed() {
        assert_eq!(string_change("a", "b"), StringChange::Short);
        let long_old = "The platform team owns the build and deploy systems for all services";
        let long_new = "The platform team owns the build, test and deploy systems for all services";
        let StringChange::Words(words) = string_change(long_old, long_new) else {
            panic!("a word diff");
        };
        assert_eq!(
            words,
            "\"The platform team owns the [-build-]{+build, test+} and deploy systems for all services\""
        );
        let StringChange::Lines(lines) = string_change("one\ntwo\n", "one\nthree\n") else {
            panic!("a line diff");
        };
        assert_eq!(
            lines,
            vec![
                (' ', "one".to_string()),
                ('-', "two".to_string()),
                ('+', "three".to_string())
            ]
        );
    }
}
