//! Apply on servers as they really are, end to end: the built binary against the
//! dev-server, the directory checked over HTTP (never the tool's own report).
//!
//! - under throttling, 5xx, dropped connections and answers lost after the write: no
//!   user or group twice, no membership lost, nothing deactivated or deleted that should
//!   not be, and an empty plan after at most two applies;
//! - a refused group write: its dependents are skipped, the rest is applied, the report
//!   and the exit code say so, and the re-run converges;
//! - servers that refuse PATCH on users, drop members on group create: apply follows up;
//! - Ctrl-C: no new changes, the report, exit 130;
//! - the audit log: one line per request, never the token.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::cycle::{Http, Run, TOKEN_ENV, scimform};
use crate::support::dev_server::DevServerProcess;

/// A configuration of `users` users and `groups` groups of about 20 members each.
fn config(dir: &Path, base_url: &str, users: usize, groups: usize) -> HashMap<String, Vec<String>> {
    let mut yaml = format!(
        "target:\n  url: {base_url}\n  profile: generic\n  token_env: {TOKEN_ENV}\n\
         policy:\n  max_destroy: {{count: 1000, percent: 100}}\n\
         defaults:\n  active: true\n  emails_from_userName: true\nusers:\n"
    );
    for u in 0..users {
        let _ = writeln!(
            yaml,
            "  - userName: u{u:04}@apply.test\n    displayName: User {u}"
        );
    }
    yaml.push_str("groups:\n");
    let mut declared = HashMap::new();
    for g in 0..groups {
        let members: Vec<String> = (0..20)
            .map(|k| format!("u{:04}@apply.test", (g * 7 + k * 13) % users))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let _ = writeln!(
            yaml,
            "  - displayName: team-{g:03}\n    members: [{}]",
            members.join(", ")
        );
        declared.insert(format!("team-{g:03}"), members);
    }
    std::fs::write(dir.join("scimform.yaml"), yaml).expect("write scimform.yaml");
    declared
}

/// The directory as the server has it: user names (with active), group members by name.
async fn state(http: &Http) -> (Vec<(String, bool)>, HashMap<String, HashSet<String>>) {
    let users = list_all(http, "/Users").await;
    let names: HashMap<String, String> = users
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap_or_default().to_string(),
                u["userName"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let users: Vec<(String, bool)> = users
        .iter()
        .map(|u| {
            (
                u["userName"].as_str().unwrap_or_default().to_string(),
                u["active"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    let mut groups: HashMap<String, HashSet<String>> = HashMap::new();
    for group in list_all(http, "/Groups").await {
        let members = group["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["value"].as_str())
            .map(|id| names.get(id).cloned().unwrap_or_else(|| format!("?{id}")))
            .collect();
        let name = group["displayName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            groups.insert(name.clone(), members).is_none(),
            "group {name} exists twice"
        );
    }
    (users, groups)
}

async fn list_all(http: &Http, endpoint: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut start = 1;
    loop {
        let page = http
            .get(&format!("{endpoint}?startIndex={start}&count=100"))
            .await;
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        if resources.is_empty() {
            return all;
        }
        start += resources.len();
        all.extend(resources);
    }
}

/// Every user once, active; every group once with exactly its declared members.
async fn assert_declared(http: &Http, users: usize, declared: &HashMap<String, Vec<String>>) {
    let (live_users, groups) = state(http).await;
    let mut seen = HashSet::new();
    for (name, active) in &live_users {
        assert!(seen.insert(name.to_lowercase()), "user {name} exists twice");
        assert!(*active, "user {name} was deactivated");
    }
    assert_eq!(live_users.len(), users, "no user lost or added");
    for (group, members) in declared {
        let live = groups
            .get(group)
            .unwrap_or_else(|| panic!("group {group} is missing"));
        let wanted: HashSet<String> = members.iter().cloned().collect();
        assert_eq!(live, &wanted, "group {group} has its declared members");
    }
    assert_eq!(groups.len(), declared.len(), "no group added");
}

#[tokio::test]
async fn apply_under_faults_converges_without_duplicates_or_losses() {
    for fault in [
        &["--throttle-rate", "0.2"][..],
        &["--fail-rate", "0.1"][..],
        &["--reset-rate", "0.05"][..],
        &["--reset-after-commit-rate", "0.2"][..],
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir
            .path()
            .join("directory.json")
            .to_string_lossy()
            .to_string();
        let mut runs = Vec::new();
        for (attempt, seed) in ["11", "12"].iter().enumerate() {
            let mut flags = vec!["--data", data.as_str(), "--seed", seed];
            flags.extend_from_slice(fault);
            let server = DevServerProcess::start_with(&flags);
            let declared = config(dir.path(), &server.base_url, 300, 30);
            let _ = declared;
            let run = scimform(
                dir.path(),
                Some(&server.token),
                &["apply", "--auto-approve"],
            );
            assert!(
                !run.all().contains(&server.token),
                "the token leaked: {run:?}"
            );
            assert!(
                run.code == 0 || run.code == 1,
                "{fault:?} attempt {attempt}: {run:?}"
            );
            let done = run.code == 0;
            runs.push(run);
            if done {
                break;
            }
        }
        assert!(
            runs.last().is_some_and(|r| r.code == 0),
            "{fault:?}: not complete after two applies: {:?}",
            runs.last()
        );
        // A fault-free server on the same data: nothing left to do, and the state is right.
        let clean = DevServerProcess::start_with(&["--data", &data]);
        let declared = config(dir.path(), &clean.base_url, 300, 30);
        let again = scimform(
            dir.path(),
            Some(&clean.token),
            &["plan", "--detailed-exitcode"],
        );
        assert_eq!(
            again.code, 0,
            "{fault:?}: plan after apply is not empty: {again:?}"
        );
        assert_declared(&Http::new(&clean.base_url, &clean.token), 300, &declared).await;
    }
}

#[tokio::test]
async fn a_refused_group_write_skips_only_its_dependents_and_the_rerun_converges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir
        .path()
        .join("directory.json")
        .to_string_lossy()
        .to_string();
    let body = "users:\n  - userName: a@x.test\n  - userName: b@x.test\n\
                groups:\n  - displayName: ops\n    members: [a@x.test]\n\
                \x20 - displayName: all\n    members: [group:ops, b@x.test]\n\
                \x20 - displayName: eng\n    members: [b@x.test]\n";
    let write = |base_url: &str| {
        let text = format!("target:\n  url: {base_url}\n  token_env: {TOKEN_ENV}\n{body}");
        std::fs::write(dir.path().join("scimform.yaml"), text).expect("write");
    };
    {
        let server =
            DevServerProcess::start_with(&["--data", &data, "--refuse-writes-to-group", "ops"]);
        write(&server.base_url);
        let run = scimform(
            dir.path(),
            Some(&server.token),
            &["apply", "--auto-approve"],
        );
        assert_eq!(run.code, 1, "{run:?}");
        for expected in [
            "group ops: failed:",
            "group all: skipped, because group ops failed",
            "Apply incomplete: 3 applied, 1 failed, 1 skipped, 0 not started.",
            "failed group ops (HTTP 403)",
        ] {
            assert!(run.stdout.contains(expected), "lacks `{expected}`: {run:?}");
        }
        assert!(run.stderr.contains("apply::incomplete"), "{run:?}");
        let http = Http::new(&server.base_url, &server.token);
        let (users, groups) = state(&http).await;
        assert_eq!(users.len(), 2);
        assert!(
            groups.contains_key("eng") && !groups.contains_key("all"),
            "{groups:?}"
        );
    }
    let server = DevServerProcess::start_with(&["--data", &data]);
    write(&server.base_url);
    let rerun = scimform(
        dir.path(),
        Some(&server.token),
        &["apply", "--auto-approve"],
    );
    assert_eq!(rerun.code, 0, "{rerun:?}");
    let again = scimform(
        dir.path(),
        Some(&server.token),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(again.code, 0, "{again:?}");
}

#[tokio::test]
async fn servers_that_refuse_patch_or_drop_members_get_follow_ups() {
    for (flag, note) in [
        (
            "--patch-users-not-implemented",
            "sending whole users with PUT",
        ),
        (
            "--ignore-members-on-create",
            "the server created the group without",
        ),
    ] {
        let server = DevServerProcess::start_with(&[flag]);
        let http = Http::new(&server.base_url, &server.token);
        http.create_user("a@x.test", "Old Name").await;
        let dir = tempfile::tempdir().expect("temp dir");
        let text = format!(
            "target:\n  url: {}\n  token_env: {TOKEN_ENV}\nusers:\n  - userName: a@x.test\n    displayName: New Name\n  - userName: b@x.test\ngroups:\n  - displayName: eng\n    members: [a@x.test, b@x.test]\n",
            server.base_url
        );
        std::fs::write(dir.path().join("scimform.yaml"), text).expect("write");
        let run = scimform(
            dir.path(),
            Some(&server.token),
            &["apply", "--auto-approve"],
        );
        assert_eq!(run.code, 0, "{flag}: {run:?}");
        assert!(run.stdout.contains(note), "{flag}: lacks `{note}`: {run:?}");
        let again = scimform(
            dir.path(),
            Some(&server.token),
            &["plan", "--detailed-exitcode"],
        );
        assert_eq!(
            again.code, 0,
            "{flag}: the end state is the declared one: {again:?}"
        );
    }
}

/// A server that answers 400 to any `count` in a list: the read asks again without it,
/// pages are as long as the server makes them, and the whole cycle works (index paging on
/// Slack's default pages of 10, cursor paging on Entra's).
#[tokio::test]
async fn a_server_that_refuses_count_is_read_without_it() {
    for emulation in ["slack", "entra"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir
            .path()
            .join("directory.json")
            .to_string_lossy()
            .to_string();
        let server = DevServerProcess::start_with(&[
            "--emulate",
            emulation,
            "--refuse-count",
            "--data",
            &data,
        ]);
        let declared = config(dir.path(), &server.base_url, 45, 3);
        let path = dir.path().join("scimform.yaml");
        let text = std::fs::read_to_string(&path).expect("read scimform.yaml");
        std::fs::write(
            &path,
            text.replace("profile: generic", &format!("profile: {emulation}")),
        )
        .expect("write scimform.yaml");
        let run = scimform(
            dir.path(),
            Some(&server.token),
            &["apply", "--auto-approve"],
        );
        assert_eq!(run.code, 0, "{emulation}: {run:?}");
        let again = scimform(
            dir.path(),
            Some(&server.token),
            &["-v", "plan", "--detailed-exitcode"],
        );
        assert_eq!(
            again.code, 0,
            "{emulation}: plan after apply is not empty: {again:?}"
        );
        assert!(
            again.stderr.contains("refused `count`"),
            "{emulation}: -v says lists were read without count: {again:?}"
        );
        drop(server);
        let clean = DevServerProcess::start_with(&["--data", &data]);
        assert_declared(&Http::new(&clean.base_url, &clean.token), 45, &declared).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_stops_new_changes_reports_and_exits_130() {
    let server = DevServerProcess::start_with(&["--latency-ms", "150"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let declared = config(dir.path(), &server.base_url, 120, 0);
    let _ = declared;
    let child = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["apply", "--auto-approve", "-C"])
        .arg(dir.path())
        .env_remove("SCIMFORM_URL")
        .env(TOKEN_ENV, &server.token)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting apply");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = child.wait_with_output().expect("apply ends");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(run.code, 130, "{run:?}");
    assert!(
        run.stderr
            .contains("Interrupted: no new changes will start"),
        "{run:?}"
    );
    assert!(run.stderr.contains("apply::interrupted"), "{run:?}");
    assert!(run.stdout.contains("not started"), "{run:?}");
    // What the report says was created is what the server has; the rest converges.
    let created = run.stdout.matches(": created: 201").count();
    let http = Http::new(&server.base_url, &server.token);
    let users = list_all(&http, "/Users").await;
    assert_eq!(users.len(), created, "{run:?}");
    assert!(created > 0 && created < 120, "created {created}");
    let rest = scimform(
        dir.path(),
        Some(&server.token),
        &["apply", "--auto-approve"],
    );
    assert_eq!(rest.code, 0, "{rest:?}");
    assert_eq!(list_all(&http, "/Users").await.len(), 120);
}

#[tokio::test]
async fn the_audit_log_has_one_line_per_request_and_never_the_token() {
    let server = DevServerProcess::start_with(&["--throttle-rate", "0.2", "--seed", "3"]);
    let dir = tempfile::tempdir().expect("temp dir");
    config(dir.path(), &server.base_url, 30, 3);
    let log = dir.path().join("audit.jsonl");
    let run = scimform(
        dir.path(),
        Some(&server.token),
        &[
            "apply",
            "--auto-approve",
            "--audit-log",
            &log.to_string_lossy(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&log).expect("the audit log");
    assert!(
        !text.contains(&server.token),
        "the token is never in the audit log"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let posts = lines.iter().filter(|l| l["method"] == "POST").count();
    let throttled = lines.iter().filter(|l| l["status"] == 429).count();
    assert!(posts >= 33, "every create is there, retries too: {posts}");
    assert!(throttled > 0, "retried attempts are lines of their own");
    for line in &lines {
        for key in [
            "time",
            "method",
            "path",
            "attempt",
            "duration_ms",
            "outcome",
        ] {
            assert!(line.get(key).is_some(), "{key} in {line}");
        }
        if line["method"] != "GET" {
            assert!(
                line["change"].is_string(),
                "a write names its change: {line}"
            );
        }
        assert!(line.get("body").is_none() && !line.to_string().contains("displayName\":"));
    }
    // Retried attempts are numbered.
    assert!(
        lines.iter().any(|l| l["attempt"].as_u64() > Some(1)),
        "{text}"
    );
    // The default place, with a .gitignore, when no --audit-log is given.
    let again = scimform(
        dir.path(),
        Some(&server.token),
        &["apply", "--auto-approve"],
    );
    assert_eq!(again.code, 0, "{again:?}");
    let audit_dir = dir.path().join(".scimform/audit");
    assert_eq!(
        std::fs::read_dir(&audit_dir)
            .expect("the audit dir")
            .count(),
        1
    );
    assert!(dir.path().join(".scimform/.gitignore").exists());
}
