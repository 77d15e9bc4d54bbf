//! Configuration mistakes as the user sees them: each rendered diagnostic (no colour,
//! fixed width) is a snapshot that shows the file, line and column, the snippet and the
//! `help:` line; and `validate` on the command line reports them with exit code 1.

use std::fmt::Write as _;
use std::process::Command;

use scimform::config::load_str;

fn rendered(yaml: &str) -> String {
    let Err(errors) = load_str("scimform.yaml", yaml) else {
        panic!("expected the configuration to be refused:\n{yaml}")
    };
    scimform::cli::render_diagnostic(&errors, false, 80)
}

#[test]
fn yaml_syntax_error_points_at_line_and_column() {
    insta::assert_snapshot!(rendered(
        "users:\n  - userName: alice@acme.test\n    displayName: [Alice\n"
    ));
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(rendered(
        "users:\n  - userName: alice@acme.test\n    dispalyName: Alice\n"
    ));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(rendered(
        "users:\n  - userName: alice@acme.test\n    active: maybe\n"
    ));
}

#[test]
fn duplicate_key() {
    insta::assert_snapshot!(rendered(
        "users:\n  - userName: alice@acme.test\n    title: CTO\n    title: CEO\n"
    ));
}

#[test]
fn many_mistakes_are_reported_in_one_run() {
    let text = rendered(
        r#"users:
  - userName: alice@acme.test
    emails:
      - { value: alice@acme.test, primary: true }
      - { value: not-an-email, primary: true }
  - userName: ALICE@acme.test
  - userName: ""
groups:
  - displayName: eng
    members: [alice@acme.test, bob@acme.test, alcie@acme.test]
  - displayName: ENG
"#,
    );
    insta::assert_snapshot!(text);
}

#[test]
fn validate_reports_location_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("scimform.yaml"),
        "users:\n  - userName: alice@acme.test\ngroups:\n  - displayName: eng\n    members: [bob@acme.test]\n",
    )
    .expect("write config");
    let output = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["validate", "-C"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("scimform.yaml:5:15"),
        "no file:line:col in:\n{stderr}"
    );
    assert!(
        stderr.contains("`bob@acme.test`, which is not a declared user"),
        "{stderr}"
    );
    assert!(stderr.contains("help:"), "{stderr}");
}

#[test]
fn validate_accepts_the_example() {
    let output = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args([
            "validate",
            "-C",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme"),
        ])
        .output()
        .expect("run validate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("The configuration is valid: 12 users, 4 groups."),
        "{stdout}"
    );
}

#[test]
fn a_missing_config_file_says_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["validate", "-C"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no configuration file at"), "{stderr}");
    assert!(stderr.contains("-C DIR"), "{stderr}");
}

#[test]
fn a_mistake_past_column_65535_renders_a_window_of_its_line() {
    // One line of about 100 000 characters with the mistake at its end: miette cannot
    // draw a label that far right (it panicked), and the whole line helps nobody.
    let mut yaml = String::from("users: [");
    let mut index = 0;
    while yaml.len() < 100_000 {
        let _ = write!(yaml, "{{userName: u{index}@x.test}}, ");
        index += 1;
    }
    yaml.push_str("{userName: last@x.test, bogus: 1}]\n");
    let column = yaml.find("bogus").expect("the mistake") + 1;
    assert!(column > 65_535);
    let text = rendered(&yaml);
    assert!(
        text.contains(&format!("scimform.yaml:1:{column}]")),
        "no line and column in:\n{text}"
    );
    assert!(text.contains("unknown key `bogus`"), "{text}");
    assert!(text.len() < 4_000, "{} bytes rendered", text.len());
    insta::assert_snapshot!(text);
}

#[test]
fn thousands_of_problems_show_the_first_50_and_count_the_rest() {
    let mut yaml = String::from(
        "users:\n  - userName: alice@x.test\ngroups:\n  - displayName: eng\n    members:\n",
    );
    for index in 0..2_000 {
        let _ = writeln!(yaml, "      - nobody{index}@x.test");
    }
    yaml.push_str("  - displayName: ENG\n");
    let Err(errors) = load_str("scimform.yaml", &yaml) else {
        panic!("unknown members were accepted")
    };
    assert_eq!(errors.errors.len(), 2_001);
    let text = scimform::cli::render_diagnostic(&errors, false, 100);
    assert_eq!(text.matches("Error: config::").count(), 50, "{text}");
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "only the first 50 of 2001 problems are shown below; the other 1951 are: 1950 \
             config::unknown_member, 1 config::duplicate_group"
        ),
        "{}",
        &text[..text.len().min(2_000)]
    );
    assert!(text.contains("--format json"), "{text}");
}
