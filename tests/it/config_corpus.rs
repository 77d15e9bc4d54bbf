//! The corpus of broken configurations (`tests/fixtures/invalid/`, one mistake each, plus
//! one with many) and of configurations that are valid but warned about
//! (`tests/fixtures/warnings/`).
//!
//! A case is a file, or a directory holding `scimform.yaml` and the files it includes.
//! Each case says what it must produce in `# expect: CODE at [FILE:]LINE:COLUMN` lines
//! (FILE relative to the case directory; without it, the case file itself): the test
//! checks that exactly those problems are reported, in that order, and keeps a snapshot
//! of the rendered diagnostic (no colour, 80 columns) for review.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scimform::config::{ConfigError, ConfigErrors, ConfigWarnings, Declared, load_dir, load_str};

const INVALID: &str = "tests/fixtures/invalid";
const WARNINGS: &str = "tests/fixtures/warnings";

/// The cases under `dir`, sorted by name.
fn cases(dir: &str) -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, path)
        })
        .collect();
    cases.sort();
    cases
}

/// Load a case the way `scimform validate` would: a directory with `-C`, a file as the
/// root file.
fn load(case: &Path) -> Result<Declared, ConfigErrors> {
    if case.is_dir() {
        load_dir(case)
    } else {
        let text = std::fs::read_to_string(case).expect("a fixture file is UTF-8");
        load_str(&case.to_string_lossy(), &text)
    }
}

/// The `# expect:` lines of a case, as `(code, location)` with full paths.
fn expectations(case: &Path) -> Vec<(String, String)> {
    let root = if case.is_dir() {
        case.join("scimform.yaml")
    } else {
        case.to_path_buf()
    };
    let bytes = std::fs::read(&root).expect("reading a fixture");
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| line.strip_prefix("# expect: "))
        .map(|expect| {
            let (code, at) = expect
                .split_once(" at ")
                .expect("`# expect: CODE at PLACE`");
            let place = if case.is_dir() {
                format!("{}/{at}", case.display())
            } else {
                format!("{}:{at}", case.display())
            };
            (code.to_string(), place)
        })
        .collect()
}

fn found(problems: &[ConfigError]) -> Vec<(String, String)> {
    problems
        .iter()
        .map(|p| {
            let place = p.location().unwrap_or_else(|| "-".to_string());
            (p.kind.code().to_string(), place)
        })
        .collect()
}

#[test]
fn every_broken_configuration_is_refused_at_the_right_place() {
    let cases = cases(INVALID);
    assert!(cases.len() >= 31, "the corpus has {} cases", cases.len());
    for (name, case) in cases {
        let expected = expectations(&case);
        assert!(!expected.is_empty(), "{name} has no `# expect:` line");
        let Err(errors) = load(&case) else {
            panic!("{name}: the configuration was accepted")
        };
        assert_eq!(found(&errors.errors), expected, "{name}");
        let rendered = scimform::cli::render_diagnostic(&errors, false, 80);
        insta::assert_snapshot!(format!("invalid-{name}"), rendered);
    }
}

#[test]
fn valid_configurations_with_warnings_load_and_say_so() {
    let cases = cases(WARNINGS);
    assert!(cases.len() >= 4);
    for (name, case) in cases {
        let declared = match load(&case) {
            Ok(declared) => declared,
            Err(errors) => panic!(
                "{name} was refused:\n{}",
                scimform::cli::render_diagnostic(&errors, false, 80)
            ),
        };
        assert_eq!(found(&declared.warnings), expectations(&case), "{name}");
        let warnings = ConfigWarnings(declared.warnings);
        let rendered = scimform::cli::render_diagnostic(&warnings, false, 80);
        insta::assert_snapshot!(format!("warning-{name}"), rendered);
    }
}

#[test]
fn the_many_mistakes_case_reports_every_mistake_in_one_run() {
    let errors =
        load(Path::new("tests/fixtures/invalid/99-many-mistakes.yaml")).expect_err("many mistakes");
    assert!(errors.errors.len() >= 12, "{}", errors.errors.len());
}

#[test]
fn an_alias_bomb_fails_in_under_a_second() {
    let started = Instant::now();
    let errors =
        load(Path::new("tests/fixtures/invalid/28-alias-bomb.yaml")).expect_err("an alias bomb");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(errors.errors[0].kind.code(), "config::yaml_limit");
    // A deeper bomb (a trillion nodes) fails just as fast.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..13 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        let _ = writeln!(text, "a{level}: &a{level} [{refs}]");
    }
    let started = Instant::now();
    let errors = load_str("bomb.yaml", &text).expect_err("an alias bomb");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(errors.errors[0].kind.code(), "config::yaml_limit");
}
