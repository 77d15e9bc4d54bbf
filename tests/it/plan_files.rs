//! Plan files end to end: `plan --out`, `show`, the JSON and Markdown formats, scoping
//! with `--target`/`--exclude`, and `apply PLAN_FILE` refusing a plan that does not fit
//! (another target, another format, a tripped guard, objects changed since the plan) —
//! with nothing written — and applying one that does.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::cycle::{Http, Run, TOKEN_ENV, scimform, scimform_with};
use crate::support::dev_server::DevServerProcess;

const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1764579600");

fn config(dir: &Path, base_url: &str, body: &str) {
    let text =
        format!("target:\n  url: {base_url}\n  profile: generic\n  token_env: {TOKEN_ENV}\n{body}");
    std::fs::write(dir.join("scimform.yaml"), text).expect("write scimform.yaml");
}

const BODY: &str = r"
users:
  - userName: a@x.test
    displayName: Ann
  - userName: b@x.test
    displayName: Bo
  - userName: c@x.test
groups:
  - displayName: eng
    members: [a@x.test, b@x.test]
  - displayName: ops
    members: [c@x.test]
";

/// `scimform show ARGS` (no configuration directory, no token).
fn show(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .arg("show")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SCIMFORM_TOKEN")
        .env_remove(TOKEN_ENV)
        .output()
        .expect("running scimform show");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A dev-server with `a` (stale displayName) and group `eng` (with `a` and `x`, not
/// declared), and a configuration directory for it.
async fn drifted() -> (DevServerProcess, tempfile::TempDir, Http) {
    let server = DevServerProcess::start();
    let http = Http::new(&server.base_url, &server.token);
    let a = http.create_user("a@x.test", "Old Ann").await;
    let x = http.create_user("x@x.test", "Ex").await;
    http.create_group("eng", &[&a, &x]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    config(dir.path(), &server.base_url, BODY);
    (server, dir, http)
}

#[tokio::test]
async fn a_saved_plan_shows_as_it_was_computed_and_applies_exactly() {
    let (server, dir, http) = drifted().await;
    let token = server.token.as_str();
    let file = dir.path().join("plan.json");
    let file_arg = file.to_string_lossy().to_string();
    let planned = scimform_with(
        dir.path(),
        Some(token),
        &["plan", "--out", &file_arg, "--detailed-exitcode"],
        &[EPOCH],
    );
    assert_eq!(planned.code, 2, "{planned:?}");
    assert!(planned.stderr.contains("Saved the plan to"), "{planned:?}");
    let text = std::fs::read_to_string(&file).expect("the plan file");
    assert!(!text.contains(token), "the token never reaches a plan file");
    let json_now = scimform_with(
        dir.path(),
        Some(token),
        &["plan", "--format", "json"],
        &[EPOCH],
    );
    assert_eq!(json_now.code, 0, "{json_now:?}");
    let shown = show(&[&file_arg, "--format", "json"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert_eq!(
        shown.stdout, json_now.stdout,
        "show of the file = plan --format json"
    );
    assert_eq!(shown.stdout, text);
    let document: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(document["format_version"], json!(1));
    assert_eq!(document["created_at"], json!("2025-12-01T09:00:00Z"));
    assert!(
        document["config_digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    // Human and markdown from the file, offline.
    let human = show(&[&file_arg]);
    assert!(human.stdout.contains("~ user a@x.test"), "{human:?}");
    let markdown = show(&[&file_arg, "--format", "markdown"]);
    assert!(
        markdown.stdout.starts_with(&format!(
            "<!-- scimform:plan target={} -->",
            server.base_url
        )),
        "{markdown:?}"
    );
    let people = show(&[&file_arg, "--by", "person"]);
    assert!(people.stdout.contains("+ joins eng"), "{people:?}");

    // apply PLAN_FILE does exactly that plan.
    let applied = scimform(
        dir.path(),
        Some(token),
        &["apply", &file_arg, "--auto-approve"],
    );
    assert_eq!(applied.code, 0, "{applied:?}");
    let again = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    let users = http.list("/Users").await;
    assert_eq!(users.len(), 4, "a, b, c and the undeclared x: {users:?}");
    // Applying the same file again: everything it touched has changed since: stale.
    let twice = scimform(
        dir.path(),
        Some(token),
        &["apply", &file_arg, "--auto-approve"],
    );
    assert_eq!(twice.code, 3, "{twice:?}");
    assert!(twice.stderr.contains("the plan is stale"), "{twice:?}");
}

#[tokio::test]
async fn a_stale_plan_is_refused_naming_what_changed_and_nothing_is_written() {
    let (server, dir, http) = drifted().await;
    let token = server.token.as_str();
    let file = dir.path().join("plan.json");
    let file_arg = file.to_string_lossy().to_string();
    let planned = scimform(dir.path(), Some(token), &["plan", "--out", &file_arg]);
    assert_eq!(planned.code, 0, "{planned:?}");

    // After the plan: someone adds a member to eng and deactivates a@x.test.
    let users = http.list("/Users").await;
    let id_of = |name: &str| {
        users
            .iter()
            .find(|u| u["userName"].as_str() == Some(name))
            .and_then(|u| u["id"].as_str())
            .expect("a user")
            .to_string()
    };
    let extra = http.create_user("late@x.test", "Late").await;
    let groups = http.list("/Groups").await;
    let eng = groups[0]["id"].as_str().expect("id").to_string();
    let client = crate::support::http_client();
    let patch = |path: String, body: Value| {
        client
            .patch(format!("{}{path}", server.base_url))
            .bearer_auth(token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    let op = |operations: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations});
    assert!(
        patch(
            format!("/Groups/{eng}"),
            op(json!([{"op": "add", "path": "members", "value": [{"value": extra}]}]))
        )
        .await
        .expect("PATCH")
        .status()
        .is_success()
    );
    assert!(
        patch(
            format!("/Users/{}", id_of("a@x.test")),
            op(json!([{"op": "replace", "path": "active", "value": false}]))
        )
        .await
        .expect("PATCH")
        .status()
        .is_success()
    );
    let before_users = http.list("/Users").await;
    let before_groups = http.list("/Groups").await;

    let refused = scimform(
        dir.path(),
        Some(token),
        &["apply", &file_arg, "--auto-approve"],
    );
    assert_eq!(refused.code, 3, "{refused:?}");
    for expected in [
        "the plan is stale: 2 objects changed since it was made",
        "group eng: the group gained a member since the plan (2 → 3)",
        "user a@x.test: the user was deactivated since the plan",
        "nothing was written",
    ] {
        assert!(
            refused.stderr.contains(expected),
            "lacks `{expected}`: {refused:?}"
        );
    }
    assert_eq!(
        http.list("/Users").await,
        before_users,
        "nothing was written"
    );
    assert_eq!(
        http.list("/Groups").await,
        before_groups,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_plan_for_another_target_or_format_or_with_a_tripped_guard_is_refused() {
    let (server, dir, _http) = drifted().await;
    let token = server.token.as_str();
    let file = dir.path().join("plan.json");
    let file_arg = file.to_string_lossy().to_string();
    assert_eq!(
        scimform(dir.path(), Some(token), &["plan", "--out", &file_arg]).code,
        0
    );
    let text = std::fs::read_to_string(&file).expect("plan file");

    // Another target.
    let other = DevServerProcess::start();
    config(dir.path(), &other.base_url, BODY);
    let refused = scimform(
        dir.path(),
        Some(&other.token),
        &["apply", &file_arg, "--auto-approve"],
    );
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(
        refused.stderr.contains("the plan was made for"),
        "{refused:?}"
    );
    config(dir.path(), &server.base_url, BODY);

    // An older format.
    let mut older: Value = serde_json::from_str(&text).expect("JSON");
    older["format_version"] = json!(0);
    let older_file = dir.path().join("older.json");
    std::fs::write(&older_file, older.to_string()).expect("write");
    let refused = scimform(
        dir.path(),
        Some(token),
        &["apply", &older_file.to_string_lossy(), "--auto-approve"],
    );
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(
        refused.stderr.contains("format version 0, older"),
        "{refused:?}"
    );

    // A guard the plan recorded as tripped: refused without --force.
    config(
        dir.path(),
        &server.base_url,
        &format!("policy:\n  unmanaged_users: deactivate\n{BODY}"),
    );
    let guarded = dir.path().join("guarded.json");
    let guarded_arg = guarded.to_string_lossy().to_string();
    let planned = scimform(dir.path(), Some(token), &["plan", "--out", &guarded_arg]);
    assert_eq!(planned.code, 3, "{planned:?}");
    let refused = scimform(
        dir.path(),
        Some(token),
        &["apply", &guarded_arg, "--auto-approve"],
    );
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("safety guard"), "{refused:?}");
    let forced = scimform(
        dir.path(),
        Some(token),
        &["apply", &guarded_arg, "--auto-approve", "--force"],
    );
    assert_eq!(forced.code, 0, "{forced:?}");
}

#[tokio::test]
async fn a_scoped_plan_changes_only_what_it_names() {
    let (server, dir, http) = drifted().await;
    let token = server.token.as_str();
    // Without a scope: a, b, c, eng, ops all change; with unmanaged deletion, x too.
    config(
        dir.path(),
        &server.base_url,
        &format!(
            "policy:\n  unmanaged_users: delete\n  max_destroy: {{count: 10, percent: 100}}\n{BODY}"
        ),
    );
    let group_only = scimform(
        dir.path(),
        Some(token),
        &["plan", "--format", "json", "--target", "group:eng"],
    );
    assert_eq!(group_only.code, 0, "{group_only:?}");
    let plan: Value = serde_json::from_str(&group_only.stdout).expect("JSON");
    let addresses: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["address"].as_str())
        .collect();
    // eng, and the create of b that it needs; nothing deleted outside the scope.
    assert_eq!(addresses, ["user b@x.test", "group eng"], "{plan:#}");
    assert_eq!(plan["scope"]["targets"], json!(["group:eng"]));
    let human = scimform(dir.path(), Some(token), &["plan", "--target", "group:eng"]);
    assert!(
        human.stdout.contains("limited by --target/--exclude"),
        "{human:?}"
    );

    let excluded = scimform(
        dir.path(),
        Some(token),
        &[
            "plan",
            "--format",
            "json",
            "--exclude",
            "user:x@x.test",
            "--exclude",
            "user:b@x.test",
        ],
    );
    let plan: Value = serde_json::from_str(&excluded.stdout).expect("JSON");
    let text = plan["changes"].to_string();
    assert!(!text.contains("x@x.test"), "no change involves x: {plan:#}");
    assert!(!text.contains("b@x.test"), "no change involves b: {plan:#}");
    assert_eq!(plan["summary"]["delete"], json!(0));

    let bad = scimform(dir.path(), Some(token), &["plan", "--target", "eng"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("user:NAME or group:NAME"), "{bad:?}");

    // Applying a scoped plan leaves the rest alone.
    let applied = scimform(
        dir.path(),
        Some(token),
        &["apply", "--auto-approve", "--target", "group:eng"],
    );
    assert_eq!(applied.code, 0, "{applied:?}");
    let users = http.list("/Users").await;
    let names: Vec<&str> = users
        .iter()
        .filter_map(|u| u["userName"].as_str())
        .collect();
    assert!(names.contains(&"x@x.test"), "x is still there: {names:?}");
    assert!(!names.contains(&"c@x.test"), "c was not created: {names:?}");
}
