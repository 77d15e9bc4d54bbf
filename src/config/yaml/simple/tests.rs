//! The simple reader against granit: on documents it must read (generated block YAML in
//! every indentation style scimform's users write), on their random mutations and on
//! soups of awkward lines, whatever it accepts granit reads to the same tree, positions
//! included. `SCIMFORM_YAML_CASES` raises the number of generated documents and
//! `SCIMFORM_YAML_SEED` changes them, for a long run.

use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Declined, read};
use crate::config::yaml::simple_reader_agrees_with_granit;

/// The generator for one test: its own stream, moved by `SCIMFORM_YAML_SEED`.
fn generator(stream: u64) -> StdRng {
    let seed: u64 = std::env::var("SCIMFORM_YAML_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(stream))
}

fn cases(default: usize) -> usize {
    std::env::var("SCIMFORM_YAML_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Whatever the simple reader accepts, granit reads the same way. Whether it accepted.
fn check(text: &str) -> bool {
    simple_reader_agrees_with_granit(text)
}

const WORDS: &[&str] = &[
    "alice",
    "user038001@synthetic.test",
    "Zoë Müller",
    "R&D",
    "a b  c",
    "Smith, John",
    "http://example.com:8080/x",
    "a[1]",
    "x{y}",
    "100",
    "-5",
    "1.5",
    "true",
    "null",
    "~",
    "a#b",
    "a:b",
    "日本語",
    "tab-less",
    "it's",
    "50%",
    "a - b",
    "?x",
    "x?",
    "a\"b",
];

const KEYS: &[&str] = &[
    "userName",
    "displayName",
    "members",
    "name",
    "emails",
    "a b",
    "é",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "k",
    "true",
    "1",
    "x-y",
];

/// A scalar as YAML text: plain when YAML allows, else quoted one way or the other.
fn scalar(rng: &mut StdRng, text: &str) -> String {
    let plain_ok = !text.is_empty()
        && !text.starts_with(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!'])
        && !text.starts_with(['|', '>', '\'', '"', '%', '@', '`', ' '])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with([':', ' ']);
    match rng.random_range(0..6) {
        0..=2 if plain_ok => text.to_string(),
        3 if !text.contains(['"', '\\']) => format!("\"{text}\""),
        _ => format!("'{}'", text.replace('\'', "''")),
    }
}

fn key(rng: &mut StdRng) -> String {
    let k = KEYS[rng.random_range(0..KEYS.len())];
    if k.contains(": ") || rng.random_range(0..8) == 0 {
        format!("\"{k}\"")
    } else {
        k.to_string()
    }
}

fn word(rng: &mut StdRng) -> String {
    let w = WORDS[rng.random_range(0..WORDS.len())];
    scalar(rng, w)
}

/// A random value: a scalar, or a list or mapping while `depth` allows.
enum Tree {
    Scalar(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

fn tree(rng: &mut StdRng, depth: usize) -> Tree {
    let kind = if depth == 0 {
        0
    } else {
        rng.random_range(0..4)
    };
    match kind {
        0 | 1 => Tree::Scalar(if rng.random_range(0..10) == 0 {
            String::new()
        } else {
            word(rng)
        }),
        2 => Tree::Seq(
            (0..rng.random_range(1..4))
                .map(|_| tree(rng, depth - 1))
                .collect(),
        ),
        _ => Tree::Map(
            (0..rng.random_range(1..4))
                .map(|_| (key(rng), tree(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// Printing style: the indentation step, and random blank lines, comments and trailing
/// spaces.
struct Style {
    step: usize,
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn end_line(rng: &mut StdRng, out: &mut String) {
    match rng.random_range(0..12) {
        0 => out.push_str("  "),
        1 => out.push_str(" # note: x"),
        _ => {}
    }
    out.push('\n');
    match rng.random_range(0..15) {
        0 => out.push('\n'),
        1 => {
            let n = rng.random_range(0..6);
            pad(out, n);
            out.push_str("# comment - a: b\n");
        }
        2 => out.push_str("   \n"),
        _ => {}
    }
}

/// A value written on its parent's line (a scalar, or an empty list or mapping), ending
/// the line; `false` for a list or mapping with entries, which goes on the lines below.
fn print_inline(rng: &mut StdRng, out: &mut String, node: &Tree) -> bool {
    let text = match node {
        Tree::Seq(items) if items.is_empty() => "[]",
        Tree::Map(entries) if entries.is_empty() => "{}",
        Tree::Scalar(s) => s.as_str(),
        Tree::Seq(_) | Tree::Map(_) => return false,
    };
    if !text.is_empty() {
        let gap = rng.random_range(1..3);
        pad(out, gap);
        out.push_str(text);
    }
    end_line(rng, out);
    true
}

/// `tree` as a block node whose lines start at column `indent`; the first line's
/// indentation is already written.
fn print(rng: &mut StdRng, style: &Style, out: &mut String, node: &Tree, indent: usize) {
    match node {
        Tree::Scalar(_) => unreachable!("scalars are printed by their parent"),
        Tree::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    pad(out, indent);
                }
                out.push('-');
                if print_inline(rng, out, item) {
                    continue;
                }
                if rng.random_range(0..3) == 0 {
                    end_line(rng, out);
                    let deeper = indent + style.step;
                    pad(out, deeper);
                    print(rng, style, out, item, deeper);
                } else {
                    let gap = rng.random_range(1..4);
                    pad(out, gap);
                    print(rng, style, out, item, indent + 1 + gap);
                }
            }
        }
        Tree::Map(entries) => {
            for (i, (k, value)) in entries.iter().enumerate() {
                if i > 0 {
                    pad(out, indent);
                }
                out.push_str(k);
                if rng.random_range(0..20) == 0 {
                    out.push(' ');
                }
                out.push(':');
                if print_inline(rng, out, value) {
                    continue;
                }
                end_line(rng, out);
                if matches!(value, Tree::Seq(_)) && rng.random_range(0..2) == 0 {
                    pad(out, indent);
                    print(rng, style, out, value, indent);
                } else {
                    let deeper = indent + style.step;
                    pad(out, deeper);
                    print(rng, style, out, value, deeper);
                }
            }
        }
    }
}

fn document(rng: &mut StdRng) -> String {
    let style = Style {
        step: rng.random_range(1..5),
    };
    let mut out = String::new();
    match rng.random_range(0..6) {
        0 => out.push_str("---\n"),
        1 => out.push_str("# scimform users\n\n"),
        2 => out.push_str("--- # start\n"),
        _ => {}
    }
    let root = if rng.random_range(0..4) == 0 {
        Tree::Seq((0..rng.random_range(1..4)).map(|_| tree(rng, 3)).collect())
    } else {
        Tree::Map(
            (0..rng.random_range(1..5))
                .map(|_| (key(rng), tree(rng, 4)))
                .collect(),
        )
    };
    print(rng, &style, &mut out, &root, 0);
    if rng.random_range(0..4) == 0 {
        out.pop();
    }
    out
}

const NASTY: &[&str] = &[
    " ", "  ", "\n", "-", "- ", ":", ": ", "#", " #", "'", "\"", "''", "\\", "\t", "\r", "&a ",
    "*a", "!!str ", "!x ", "[", "]", "{", "}", ",", "|", ">", "?", "? ", "%", "@", "`", "---",
    "...", "<<: ", "é", "\u{feff}", "\u{85}", "\u{2028}", "\u{0}", "a", "\n- ", "\n  ", "~",
];

/// `text` with one random edit.
fn mutate(rng: &mut StdRng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.random_range(0..=chars.len());
    match rng.random_range(0..4) {
        0 if at < chars.len() => {
            chars.remove(at);
        }
        1 => {
            // Duplicate or drop a line, or change its indentation.
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let l = rng.random_range(0..lines.len());
            match rng.random_range(0..3) {
                0 => {
                    let line = lines[l].clone();
                    lines.insert(l, line);
                }
                1 => {
                    lines.remove(l);
                }
                _ => {
                    let shift = rng.random_range(0..3);
                    if rng.random_range(0..2) == 0 {
                        lines[l] = format!("{}{}", " ".repeat(shift), lines[l]);
                    } else {
                        lines[l] = lines[l].trim_start_matches(' ').to_string();
                    }
                }
            }
            return lines.join("\n");
        }
        _ => {
            let piece = NASTY[rng.random_range(0..NASTY.len())];
            for (k, c) in piece.chars().enumerate() {
                chars.insert(at + k, c);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn generated_block_yaml_is_read_as_granit_reads_it() {
    let mut rng = generator(7);
    for _ in 0..cases(3000) {
        let text = document(&mut rng);
        assert!(
            check(&text),
            "the simple reader declined a simple document:\n{text}\n---\n{text:?}"
        );
    }
}

#[test]
fn mutated_documents_are_read_as_granit_reads_them_or_declined() {
    let mut rng = generator(11);
    let (mut accepted, mut total) = (0, 0);
    for _ in 0..cases(3000) / 3 {
        let mut text = document(&mut rng);
        for _ in 0..6 {
            text = mutate(&mut rng, &text);
            total += 1;
            if check(&text) {
                accepted += 1;
            }
        }
    }
    // Both sides of the fence are exercised.
    assert!(
        accepted > total / 10 && accepted < total,
        "{accepted} of {total}"
    );
}

#[test]
fn soups_of_lines_are_read_as_granit_reads_them_or_declined() {
    const LINES: &[&str] = &[
        "a: 1",
        "a:",
        "- x",
        "-",
        "- a: 1",
        "  b: 2",
        "  - y",
        "    c: 3",
        "- - z",
        "  -",
        "# c",
        "",
        "---",
        "...",
        "k: v # c",
        "k: 'q'",
        "k: \"d\"",
        "k: a: b",
        "k: - x",
        "  k: v",
        "   k: v",
        "x",
        "k:v",
        "'k': v",
        "\"k\":v",
        "k : v",
        "k: 'a'b",
        "k:   ",
        "-   - q",
        "- 'x'",
        "- \"y\" # c",
        "- #c",
        "? k",
        ": v",
        "k: &a x",
        "k: *a",
        "<<:",
        "k: [1]",
    ];
    let mut rng = generator(13);
    let mut accepted = 0;
    for _ in 0..cases(3000) * 2 {
        let mut text = String::new();
        for _ in 0..rng.random_range(1..8) {
            let _ = writeln!(text, "{}", LINES[rng.random_range(0..LINES.len())]);
        }
        if check(&text) {
            accepted += 1;
        }
    }
    assert!(accepted > 100, "only {accepted} soups were simple");
}

#[test]
fn what_export_writes_is_simple() {
    let text = "users:\n- userName: user030001@synthetic.test\n  displayName: User 30001\n  \
                name:\n    givenName: User\n    familyName: N30001\n  active: true\n  emails:\n  \
                - value: user030001@synthetic.test\n    type: work\n    primary: true\n  \
                \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":\n    \
                department: R&D\ngroups:\n- displayName: group-02001\n  members:\n  - \
                user038001@synthetic.test\n  - 'true'\n  - \"O'Brien\"\n- displayName: empty\n  \
                members: []\n";
    assert!(check(text));
    let text = text.replace("  members: []\n", "  members: [x]\n");
    assert_eq!(
        read(&text),
        Err(Declined),
        "a flow list with items is granit's"
    );
}

#[test]
fn declines_what_it_does_not_read_and_never_errs() {
    for text in [
        "a: [1]\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  x\n",
        "a: b\n  c\n",
        "a: \"x\\ny\"\n",
        "a:\tb\n",
        "a: b\r\n",
        "\u{feff}a: b\n",
        "a: 1\n---\nb: 2\n",
        "%YAML 1.2\n---\na: 1\n",
        "<<: {a: 1}\n",
        "just a scalar\n",
        "a: b: c\n",
        "- a\nb: c\n",
        "a:\n  b\n",
    ] {
        assert_eq!(read(text), Err(Declined), "{text:?}");
    }
    let deep: String = (0..40).fold(String::new(), |mut out, level| {
        let _ = writeln!(out, "{}k:", " ".repeat(level));
        out
    });
    assert_eq!(
        read(&deep),
        Err(Declined),
        "nesting past its limit is granit's"
    );
    assert_eq!(read(""), Ok(None));
    assert_eq!(read("# only a comment\n\n"), Ok(None));
    assert_eq!(read("---\n"), Ok(None));
}

#[test]
fn the_repositorys_yaml_files_are_read_as_granit_reads_them() {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures", "fuzz/seeds/config_load"] {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    let mut rng = generator(17);
    let mut accepted = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if check(&text) {
            accepted += 1;
        }
        let mut mutated = text;
        for _ in 0..cases(3000) / 100 {
            mutated = mutate(&mut rng, &mutated);
            check(&mutated);
        }
    }
    eprintln!("ACCEPTED {accepted} of {}", files.len());
    assert!(
        accepted * 2 > files.len(),
        "{accepted} of {} files",
        files.len()
    );
}
