//! `scimform validate` on the command line: every example is valid; each `--format`
//! (human, json, github) reports the same problems in its own shape; exit codes follow
//! the contract (1 on any error; warnings alone 0, or 1 with `--strict`). A usage error
//! of any command exits 1, and help or the version asked for exits 0.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn validate(dir: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimform"))
        .current_dir(ROOT)
        .args(["validate", "-C", dir])
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("running scimform validate")
}

fn scimform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimform"))
        .current_dir(ROOT)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("running scimform")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const BROKEN: &str = "tests/fixtures/invalid/13-duplicate-username-across-files";

#[test]
fn every_example_is_valid() {
    let mut seen = 0;
    for entry in std::fs::read_dir(Path::new(ROOT).join("examples")).expect("examples/") {
        let dir = entry.expect("an entry").path();
        if !dir.join("scimform.yaml").is_file() {
            continue;
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let dir = format!("examples/{}", name.unwrap_or_default());
        let output = validate(&dir, &["--strict"]);
        assert!(
            output.status.success(),
            "{dir}:\n{}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        assert!(text(&output.stdout).starts_with("The configuration is valid: "));
        seen += 1;
    }
    assert!(seen >= 3, "only {seen} examples");
}

#[test]
fn every_example_file_points_editors_at_the_schema() {
    let mut pending = vec![Path::new(ROOT).join("examples")];
    let mut files = 0;
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("reading examples") {
            let path = entry.expect("an entry").path();
            // examples/ci holds CI recipes, not scimform configuration (tests/it/ci_recipes.rs
            // checks them).
            if path.is_dir() && !path.ends_with("examples/ci") {
                pending.push(path);
                continue;
            }
            if path.is_dir() || path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let first = std::fs::read_to_string(&path).expect("an example file");
            let first = first.lines().next().unwrap_or_default().to_string();
            let schema = first
                .strip_prefix("# yaml-language-server: $schema=")
                .unwrap_or_else(|| {
                    panic!("{} does not start with the schema comment", path.display())
                });
            let target = path.parent().expect("a directory").join(schema);
            let target = target
                .canonicalize()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                target,
                Path::new(ROOT)
                    .join("schema/scimform.schema.json")
                    .canonicalize()
                    .expect("the schema"),
                "{}",
                path.display()
            );
            files += 1;
        }
    }
    assert!(files >= 9, "{files}");
}

#[test]
fn human_format_shows_both_places_and_advice_on_stderr() {
    let output = validate(BROKEN, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains(&format!("{BROKEN}/users/engineering.yaml:3:15")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{BROKEN}/users/design.yaml:2:15")),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: userNames are compared case-insensitively"),
        "{stderr}"
    );
}

#[test]
fn json_format_is_a_stable_array() {
    let output = validate(BROKEN, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let items = report.as_array().expect("an array");
    assert_eq!(items.len(), 2, "{report:#}");
    for item in items {
        let keys: Vec<&str> = item
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "severity", "code", "message", "file", "line", "column", "help"
            ]
        );
    }
    assert_eq!(
        items[0],
        serde_json::json!({
            "severity": "error",
            "code": "config::duplicate_user",
            "message": "user `Elif.Yilmaz@acme.test` is declared twice",
            "file": format!("{BROKEN}/users/engineering.yaml"),
            "line": 3,
            "column": 15,
            "help": "userNames are compared case-insensitively: remove one of the two entries",
        })
    );
    assert_eq!(items[1]["severity"], "note");
    assert_eq!(items[1]["file"], format!("{BROKEN}/users/design.yaml"));
    assert_eq!(items[1]["help"], Value::Null);
}

#[test]
fn json_format_of_a_valid_configuration_is_an_empty_array() {
    let output = validate("examples/acme", &["--format", "json"]);
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "[]\n");
}

#[test]
fn json_format_of_a_missing_configuration_has_no_place() {
    let output = validate("tests/fixtures/no-such-directory", &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report[0]["code"], "config::unreadable");
    assert_eq!(report[0]["file"], Value::Null);
    assert_eq!(report[0]["line"], Value::Null);
}

#[test]
fn github_format_prints_workflow_annotations() {
    let output = validate(BROKEN, &["--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "::error file={BROKEN}/users/engineering.yaml,line=3,col=15,\
                 title=config%3A%3Aduplicate_user::user `Elif.Yilmaz@acme.test` is declared \
                 twice%0Ahelp: userNames are compared case-insensitively: remove one of the \
                 two entries"
            ),
            format!(
                "::notice file={BROKEN}/users/design.yaml,line=2,col=15,\
                 title=config%3A%3Aduplicate_user::`elif.yilmaz@acme.test` is first declared here"
            ),
        ]
    );
}

#[test]
fn warnings_fail_only_under_strict() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("scimform.yaml"),
        "users:\n  - userName: a@acme.test\ngroups:\n  - displayName: leavers\n    members: []\n",
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();

    let lenient = validate(&path, &[]);
    let stderr = text(&lenient.stderr);
    assert_eq!(lenient.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Warning: config::empty_group"), "{stderr}");
    assert!(text(&lenient.stdout).contains("1 warning (see above)"));

    let strict = validate(&path, &["--strict"]);
    let stderr = text(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Error: config::empty_group"), "{stderr}");

    let json = validate(&path, &["--format", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report[0]["severity"], "warning");
    let json = validate(&path, &["--format", "json", "--strict"]);
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report[0]["severity"], "error");

    let github = validate(&path, &["--format", "github"]);
    assert_eq!(github.status.code(), Some(0));
    assert!(text(&github.stdout).starts_with("::warning file="));
}

#[test]
fn a_usage_error_exits_1_not_2() {
    // clap's own exit code for a usage error is 2, which `plan --detailed-exitcode` uses
    // for "the plan has changes".
    let wrong = scimform(&["plan", "--no-such-flag"]);
    let stderr = text(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    assert!(wrong.stdout.is_empty(), "{}", text(&wrong.stdout));
    assert!(
        stderr.starts_with("error: unexpected argument '--no-such-flag' found"),
        "{stderr}"
    );
    assert!(stderr.contains("Usage: scimform plan"), "{stderr}");

    let no_command = scimform(&[]);
    let stderr = text(&no_command.stderr);
    assert_eq!(no_command.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Usage: scimform"), "{stderr}");
}

#[test]
fn help_and_version_asked_for_exit_0() {
    let help = scimform(&["--help"]);
    let stdout = text(&help.stdout);
    assert_eq!(help.status.code(), Some(0), "{}", text(&help.stderr));
    assert!(stdout.contains("Usage: scimform"), "{stdout}");
    assert!(help.stderr.is_empty(), "{}", text(&help.stderr));

    let help = scimform(&["plan", "--help"]);
    assert_eq!(help.status.code(), Some(0), "{}", text(&help.stderr));
    assert!(text(&help.stdout).contains("Usage: scimform plan"));

    let version = scimform(&["--version"]);
    assert_eq!(version.status.code(), Some(0), "{}", text(&version.stderr));
    assert_eq!(
        text(&version.stdout),
        format!("scimform {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// `plan` reads the directory while the files load; an error in an included file ends
/// the run at once, even against a server that never answers (where waiting for the
/// read would take the request timeout, a minute).
#[test]
fn plan_reports_an_error_in_the_files_without_waiting_for_the_read() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/scim/v2", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        // Accept and hold every connection, answering nothing.
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("scimform.yaml"),
        "target:\n  profile: generic\ninclude: [users.yaml]\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("users.yaml"),
        "users:\n  - userName: [not, a, name]\n",
    )
    .expect("write");
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["plan", "-C"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .env("SCIMFORM_URL", &url)
        .env("SCIMFORM_TOKEN", "plan-test-token-123456")
        .output()
        .expect("running scimform plan");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("users.yaml:2:"),
        "the error is located: {stderr}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the run waited for the read: {:?}",
        started.elapsed()
    );
}

/// When the read fails too (here: nothing listens), the files' errors are the ones
/// reported, as if they had been loaded first.
#[test]
fn plan_reports_the_files_errors_before_a_failed_read() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("scimform.yaml"),
        "target:\n  profile: generic\ninclude: [users.yaml]\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("users.yaml"),
        "users:\n  - userName: a@x.test\n    titel: x\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["plan", "-C"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .env("SCIMFORM_URL", format!("http://127.0.0.1:{port}/scim/v2"))
        .env("SCIMFORM_TOKEN", "plan-test-token-123456")
        .output()
        .expect("running scimform plan");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("config::unknown_key"), "{stderr}");
}
