//! End to end against the dev-server under every emulation and every fault: the built
//! binary's plan either shows exactly the plan a fault-free read gives, or fails with a
//! clear error and prints no plan — never a plan from an incomplete read. Apply under
//! faults converges (rerun until it succeeds, then the re-plan is empty) and never
//! creates anything twice. The token never appears in any output.

use std::fmt::Write as _;
use std::path::Path;

use crate::support::cycle::{self, Http, Run, TOKEN_ENV, USER_SCHEMA, scimform};
use crate::support::dev_server::DevServerProcess;
use serde_json::json;

const USERS: usize = 230;
const DECLARED: usize = 200;

/// Seed a directory that needs several pages over HTTP (into `data`, via a fault-free
/// server), and write a configuration that differs from it in known ways.
async fn seed(data: &Path, config_dir: &Path) {
    let data_arg = data.to_string_lossy().to_string();
    let server = DevServerProcess::start_with(&["--data", &data_arg]);
    let http = Http::new(&server.base_url, &server.token);
    let mut ids = Vec::new();
    for i in 0..USERS {
        // Every tenth user has a stale displayName.
        let display = if i % 10 == 0 {
            format!("old name {i}")
        } else {
            format!("User {i:03}")
        };
        let body = json!({
            "schemas": [USER_SCHEMA],
            "userName": format!("u{i:03}@faults.test"),
            "displayName": display,
            "active": true,
        });
        ids.push(cycle::id(&http.post("/Users", body).await));
    }
    let first_half: Vec<&str> = ids[..100].iter().map(String::as_str).collect();
    http.create_group("half", &first_half).await;
    http.create_group("stale", &[ids[0].as_str(), ids[229].as_str()])
        .await;
    drop(server);

    let mut yaml = String::from("target:\n  url: http://placeholder.invalid\n");
    let _ = write!(yaml, "  token_env: {TOKEN_ENV}\nusers:\n");
    for i in 0..DECLARED {
        let _ = write!(
            yaml,
            "  - userName: u{i:03}@faults.test\n    displayName: User {i:03}\n    active: true\n"
        );
    }
    yaml.push_str("groups:\n  - displayName: half\n    members:\n");
    for i in 50..150 {
        let _ = writeln!(yaml, "      - u{i:03}@faults.test");
    }
    yaml.push_str("  - displayName: stale\n    members: [u001@faults.test]\n");
    yaml.push_str("  - displayName: new\n    members: [u002@faults.test, u003@faults.test]\n");
    std::fs::write(config_dir.join("scimform.yaml"), yaml).expect("config");
}

/// Point the configuration at a server.
fn target(config_dir: &Path, base_url: &str) {
    let path = config_dir.join("scimform.yaml");
    let text = std::fs::read_to_string(&path).expect("config");
    let start = text.find("  url: ").expect("url line");
    let end = start + text[start..].find('\n').expect("end of line");
    let text = format!("{}  url: {base_url}{}", &text[..start], &text[end..]);
    std::fs::write(path, text).expect("config");
}

/// The plan text without the line that counts unmanaged resources (which a fault that
/// inserts users legitimately changes).
fn changes_of(run: &Run) -> String {
    run.stdout
        .lines()
        .filter(|l| !l.starts_with("Not managed:"))
        .filter(|l| !l.starts_with("scimform will perform"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_token(run: &Run, token: &str) {
    assert!(!run.all().contains(token), "the token leaked: {run:?}");
}

/// Under `fault` (dev-server flags), plan several times with different seeds: each run
/// shows the fault-free plan or fails clearly; returns how many runs failed.
async fn plans_under(fault: &[&str]) -> (usize, usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("directory.json");
    seed(&data, dir.path()).await;
    let data_arg = data.to_string_lossy().to_string();

    let clean = DevServerProcess::start_with(&["--data", &data_arg]);
    target(dir.path(), &clean.base_url);
    let expected = scimform(
        dir.path(),
        Some(&clean.token),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(expected.code, 2, "{expected:?}");
    assert!(
        expected
            .stdout
            .contains("Plan: 1 to create, 0 to adopt, 22 to update"),
        "{expected:?}"
    );
    drop(clean);

    let runs = 6;
    let mut failures = 0;
    for seed in 1..=runs {
        let seed = seed.to_string();
        let mut flags = vec!["--data", data_arg.as_str(), "--seed", seed.as_str()];
        flags.extend_from_slice(fault);
        let server = DevServerProcess::start_with(&flags);
        target(dir.path(), &server.base_url);
        let run = scimform(
            dir.path(),
            Some(&server.token),
            &["plan", "--detailed-exitcode"],
        );
        assert_no_token(&run, &server.token);
        match run.code {
            2 => assert_eq!(
                changes_of(&run),
                changes_of(&expected),
                "under {fault:?} (seed {seed}) the plan differs from the fault-free one"
            ),
            1 => {
                assert!(
                    run.stdout.is_empty(),
                    "a failed read printed a plan: {run:?}"
                );
                assert!(
                    run.stderr.contains("so nothing was planned"),
                    "under {fault:?} (seed {seed}) the error is not the read error: {run:?}"
                );
                assert!(run.stderr.contains("help:"), "{run:?}");
                failures += 1;
            }
            _ => panic!("under {fault:?} (seed {seed}): unexpected exit {run:?}"),
        }
    }
    (runs, failures)
}

#[tokio::test]
async fn plans_under_5xx_are_right_or_refused() {
    let (runs, failed) = plans_under(&["--fail-rate", "0.05"]).await;
    assert!(failed < runs, "retries should carry most reads through");
}

#[tokio::test]
async fn plans_under_throttling_retry_and_succeed() {
    let (_, failed) = plans_under(&["--throttle-rate", "0.2"]).await;
    assert_eq!(failed, 0, "429 with Retry-After is retried");
}

#[tokio::test]
async fn plans_under_dropped_connections_retry_and_succeed() {
    let (_, failed) = plans_under(&["--reset-rate", "0.1"]).await;
    assert_eq!(failed, 0, "GETs are retried after a dropped connection");
}

#[tokio::test]
async fn plans_with_a_lying_total_are_refused_never_partial() {
    let (runs, failed) = plans_under(&["--lie-total"]).await;
    assert_eq!(
        failed, runs,
        "a totalResults that does not add up fails every read"
    );
}

#[tokio::test]
async fn plans_while_the_list_drifts_are_refused_never_partial() {
    let (runs, failed) = plans_under(&["--page-drift"]).await;
    assert!(failed > 0 && failed <= runs);
}

#[tokio::test]
async fn plans_with_latency_are_unchanged() {
    let (_, failed) = plans_under(&["--latency-ms", "30"]).await;
    assert_eq!(failed, 0);
}

/// Apply under a fault until it succeeds (at most a few times), then a fault-free plan
/// must be empty and nothing may exist twice.
async fn apply_converges_under(fault: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("directory.json");
    seed(&data, dir.path()).await;
    let data_arg = data.to_string_lossy().to_string();
    let mut succeeded = false;
    for seed in 1..=6 {
        let seed = seed.to_string();
        let mut flags = vec!["--data", data_arg.as_str(), "--seed", seed.as_str()];
        flags.extend_from_slice(fault);
        let server = DevServerProcess::start_with(&flags);
        target(dir.path(), &server.base_url);
        let run = scimform(
            dir.path(),
            Some(&server.token),
            &["apply", "--auto-approve"],
        );
        assert_no_token(&run, &server.token);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        if run.code == 1 {
            assert!(
                run.stderr.contains("apply::incomplete")
                    || run.stderr.contains("nothing was planned"),
                "{run:?}"
            );
        }
        if run.code == 0 {
            succeeded = true;
            break;
        }
    }
    assert!(succeeded, "apply under {fault:?} never completed in 6 runs");
    let clean = DevServerProcess::start_with(&["--data", &data_arg]);
    target(dir.path(), &clean.base_url);
    let again = scimform(
        dir.path(),
        Some(&clean.token),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(
        again.code, 0,
        "plan after apply under {fault:?} is empty: {again:?}"
    );
    let http = Http::new(&clean.base_url, &clean.token);
    let groups = http.list("/Groups").await;
    let mut names: Vec<String> = groups
        .iter()
        .filter_map(|g| g["displayName"].as_str().map(str::to_lowercase))
        .collect();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "a group was created twice: {names:?}");
}

#[tokio::test]
async fn apply_converges_when_answers_are_lost_after_commit() {
    apply_converges_under(&["--reset-after-commit-rate", "0.2"]).await;
}

#[tokio::test]
async fn apply_converges_under_throttling_and_5xx() {
    apply_converges_under(&["--throttle-rate", "0.1", "--fail-rate", "0.05"]).await;
}

/// The full cycle against each emulated provider, with the configuration naming it.
#[tokio::test]
async fn full_cycle_against_every_emulation() {
    for profile in [
        "generic",
        "atlassian",
        "aws-identity-center",
        "github-emu",
        "slack",
        "okta",
        "entra",
        "databricks",
    ] {
        let server = DevServerProcess::start_with(&["--emulate", profile]);
        cycle::full_cycle_for(&server.base_url, &server.token, profile).await;
    }
}
