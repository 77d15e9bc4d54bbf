//! Configuration mistakes as the user sees them: each rendered diagnostic (no colour,
//! fixed width) is a snapshot that shows the file, line and column, the snippet and the
//! `help:` line; and `validate` on the command line reports them with exit code 1.

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
