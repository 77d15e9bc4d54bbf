//! Property tests (proptest, stable Rust) of the loader and the diagnostic renderer, next
//! to the deterministic mangler of `config_fuzz`: for arbitrary text, YAML-shaped token
//! soup, and valid configurations with random edits, `load_str` (and `load_files`, the
//! text as an included file) returns a model or errors — never a panic — and every
//! problem it returns points into the file it came from; the renderer draws any of them
//! at any width, with or without colour, without a panic and without passing a control
//! or bidirectional character through from the input.
//!
//! `SCIMFORM_PROPTEST_CASES` sets the number of cases per property (default 256; CI runs
//! the default, a soak run sets e.g. 20000). A failure prints the shrunk input.

use proptest::prelude::*;

use scimform::config::{ConfigError, ConfigErrors, ConfigWarnings, Declared, load_files, load_str};

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("SCIMFORM_PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
    )
}

const SEEDS: &[&str] = &[
    include_str!("../../examples/acme/scimform.yaml"),
    include_str!("../../examples/acme/users/engineering.yaml"),
    include_str!("../../examples/acme/groups/engineering.yaml"),
    include_str!("../fixtures/invalid/99-many-mistakes.yaml"),
    r#"
policy:
  protected_users: [a@x.test]
  ignore: { users: ["bot-*"], groups: [ext-*] }
users:
  - &base
    userName: a@x.test
    name: { givenName: A, familyName: B }
    emails: [{ value: a@x.test, primary: true }]
    extensions: { "urn:x:1.0": { k: [1, 2.5, null, true, { n: ~ }] } }
  - <<: *base
    userName: "group:b@x.test"
    enterprise: { manager: a@x.test, employeeNumber: 007 }
    previously: [c@x.test]
  - userName: "\u0430dmin \u202E@x.test"
groups:
  - displayName: g
    members: [a@x.test, "group:h", { user: "group:b@x.test" }, { group: h }]
    membership: additive
    min_members: 1
  - displayName: h
    members: ["group:g"]
"#,
];

/// Pieces that YAML and the configuration format give meaning to.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "\n",
    "  ",
    "    ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "? ",
    "|\n",
    ">\n",
    "#",
    "'",
    "\"",
    "\\",
    "---\n",
    "...\n",
    "~",
    "null",
    "true",
    "0x1F",
    "users",
    "groups",
    "members",
    "userName",
    "displayName",
    "email",
    "emails",
    "value",
    "primary",
    "user",
    "group",
    "group:",
    "include",
    "policy",
    "target",
    "defaults",
    "previously",
    "enterprise",
    "manager",
    "a@x.test",
    "mailto:a@x.test",
    "<a@x.test>",
    "\u{202E}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{7}",
    "\r\n",
    "\t",
    "é",
    "а",
    "日本",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(TOKENS).prop_map(str::to_string),
            1 => "[a-z0-9@.]{1,12}",
        ],
        0..300,
    )
    .prop_map(|parts| parts.concat())
}

/// One edit of a text: where (a fraction of its length), what, and with which piece.
#[derive(Clone, Debug)]
enum Edit {
    Insert(u16, String),
    Delete(u16, u8),
    DuplicateLine(u16),
    DeleteLine(u16),
    SwapLines(u16, u16),
    Indent(u16, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![
        prop::sample::select(TOKENS).prop_map(str::to_string),
        any::<String>(),
    ];
    prop_oneof![
        (any::<u16>(), piece).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<u16>(), any::<u8>()).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<u16>().prop_map(Edit::DuplicateLine),
        any::<u16>().prop_map(Edit::DeleteLine),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<u16>(), 0u8..6).prop_map(|(at, n)| Edit::Indent(at, n)),
    ]
}

/// `at` (0..=65535) as a place in `0..=len`.
fn place(at: u16, len: usize) -> usize {
    usize::from(at) * len / usize::from(u16::MAX)
}

fn char_floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, edit: &Edit) {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let line = |at: u16, lines: &[String]| place(at, lines.len().saturating_sub(1));
    match edit {
        Edit::Insert(at, piece) => {
            let at = char_floor(text, place(*at, text.len()));
            text.insert_str(at, piece);
            return;
        }
        Edit::Delete(at, n) => {
            let from = char_floor(text, place(*at, text.len()));
            let to = char_floor(text, (from + usize::from(*n)).min(text.len()));
            text.replace_range(from..to, "");
            return;
        }
        Edit::DuplicateLine(at) => {
            let at = line(*at, &lines);
            let copy = lines[at].clone();
            lines.insert(at, copy);
        }
        Edit::DeleteLine(at) => {
            let at = line(*at, &lines);
            lines.remove(at);
        }
        Edit::SwapLines(a, b) => {
            let (a, b) = (line(*a, &lines), line(*b, &lines));
            lines.swap(a, b);
        }
        Edit::Indent(at, n) => {
            let at = line(*at, &lines);
            if *n < 3 {
                lines[at].insert_str(0, &" ".repeat(usize::from(*n) + 1));
            } else {
                let strip = lines[at]
                    .bytes()
                    .take_while(|b| *b == b' ')
                    .count()
                    .min(usize::from(*n) - 2);
                lines[at].drain(..strip);
            }
        }
    }
    *text = lines.join("\n");
}

fn mutated() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(edit(), 1..8),
    )
        .prop_map(|(seed, edits)| {
            let mut text = seed.to_string();
            for edit in &edits {
                apply(&mut text, edit);
            }
            text
        })
}

/// Every problem points into the file it names, at a place that exists.
fn check_located(problem: &ConfigError, files: &[(&str, &str)]) -> Result<(), TestCaseError> {
    let origin = problem.origin.as_ref();
    prop_assert!(
        origin.is_some(),
        "{} has no place: {}",
        problem.kind.code(),
        problem.message
    );
    let origin = origin.expect("checked");
    let text = files
        .iter()
        .find(|(path, _)| *path == &*origin.file.path)
        .map(|(_, text)| *text);
    prop_assert!(text.is_some(), "{} is not a loaded file", origin.file.path);
    let text = text.expect("checked");
    prop_assert!(
        origin.offset <= text.len(),
        "offset {} past the end",
        origin.offset
    );
    prop_assert!(origin.line >= 1 && origin.column >= 1);
    prop_assert!(
        origin.line <= text.split('\n').count() as u64 + 1,
        "line {} of {} lines",
        origin.line,
        text.split('\n').count()
    );
    for related in &problem.related {
        check_located(related, files)?;
    }
    Ok(())
}

/// No control, bidirectional or invisible character of the input is drawn as it is.
fn check_rendered(rendered: &str) -> Result<(), TestCaseError> {
    let leaked = rendered
        .chars()
        .find(|c| scimform::config::is_deceptive(*c) && !matches!(c, '\n' | '\u{1b}'));
    prop_assert!(
        leaked.is_none(),
        "{leaked:?} rendered as it is:\n{rendered}"
    );
    Ok(())
}

fn check_result(
    result: Result<Declared, ConfigErrors>,
    files: &[(&str, &str)],
    width: usize,
    color: bool,
) -> Result<(), TestCaseError> {
    let rendered = match result {
        Ok(declared) => {
            for warning in &declared.warnings {
                check_located(warning, files)?;
            }
            let warnings = ConfigWarnings(declared.warnings);
            scimform::cli::render_diagnostic(&warnings, color, width)
        }
        Err(errors) => {
            prop_assert!(!errors.errors.is_empty(), "an Err without errors");
            for problem in errors.all() {
                check_located(problem, files)?;
            }
            for problem in errors.all().take(3) {
                let one = scimform::cli::render_diagnostic(problem, color, width);
                if !color {
                    check_rendered(&one)?;
                }
            }
            scimform::cli::render_diagnostic(&errors, color, width)
        }
    };
    if !color {
        check_rendered(&rendered)?;
    }
    Ok(())
}

/// Load `text` as the root file and as an included file, and render what comes back.
fn check_text(text: &str, width: usize, color: bool) -> Result<(), TestCaseError> {
    let files = [("scimform.yaml", text)];
    check_result(load_str("scimform.yaml", text), &files, width, color)?;
    let files = [
        ("scimform.yaml", "include: [\"more/*.yaml\"]\n"),
        ("more/x.yaml", text),
    ];
    check_result(load_files("", &files), &files, width, color)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_loads_or_fails_with_located_errors(
        text in any::<String>(),
        width in 0usize..300,
        color in any::<bool>(),
    ) {
        check_text(&text, width, color)?;
    }

    #[test]
    fn yaml_token_soup_loads_or_fails_with_located_errors(
        text in token_soup(),
        width in 0usize..300,
        color in any::<bool>(),
    ) {
        check_text(&text, width, color)?;
    }

    #[test]
    fn edited_valid_configurations_load_or_fail_with_located_errors(
        text in mutated(),
        width in 0usize..300,
        color in any::<bool>(),
    ) {
        check_text(&text, width, color)?;
    }

    #[test]
    fn long_lines_render_at_any_width(
        prefix in 0usize..70_000,
        key in "[a-z]{1,8}",
        width in 0usize..300,
    ) {
        let filler = "x".repeat(prefix);
        let text = format!("users: [{{userName: \"{filler}\", {key}: 1}}]\n");
        check_text(&text, width, false)?;
    }
}
