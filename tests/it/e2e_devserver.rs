//! End to end against the project's own dev-server, run as the built binary: the full
//! plan → apply → empty re-plan cycle, and the failure paths a user meets first (no token,
//! a rejected token, no terminal to confirm in) with the messages they see.

use crate::support::cycle::{self, TOKEN_ENV, scimform};
use crate::support::dev_server::DevServerProcess;

#[tokio::test]
async fn full_cycle_against_the_dev_server() {
    let server = DevServerProcess::start();
    cycle::full_cycle(&server.base_url, &server.token).await;
}

#[test]
fn a_missing_token_names_the_variable_to_set() {
    let server = DevServerProcess::start();
    let dir = tempfile::tempdir().expect("temp dir");
    cycle::write_config(dir.path(), &server.base_url);
    let run = scimform(dir.path(), None, &["plan"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "the bearer token is missing: {TOKEN_ENV} is not set"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!("export {TOKEN_ENV}")),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "nothing on stdout: {run:?}");
}

#[test]
fn a_rejected_token_is_explained_and_never_shown() {
    let server = DevServerProcess::start();
    let dir = tempfile::tempdir().expect("temp dir");
    cycle::write_config(dir.path(), &server.base_url);
    let wrong = "wrong-token-7f3a9c2e51";
    let run = scimform(dir.path(), Some(wrong), &["plan"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("HTTP 401 Unauthorized"), "{run:?}");
    assert!(
        run.stderr.contains("did not accept the bearer token"),
        "{run:?}"
    );
    assert!(run.stderr.contains(TOKEN_ENV), "{run:?}");
    assert!(!run.all().contains(wrong), "the token leaked: {run:?}");
    assert!(
        !run.all().contains(&server.token),
        "the token leaked: {run:?}"
    );
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let server = DevServerProcess::start();
    let dir = tempfile::tempdir().expect("temp dir");
    cycle::write_config(dir.path(), &server.base_url);
    let run = scimform(dir.path(), Some(&server.token), &["apply"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("apply needs confirmation"), "{run:?}");
    assert!(run.stderr.contains("--auto-approve"), "{run:?}");
    // Nothing was applied: the plan is unchanged.
    let again = scimform(
        dir.path(),
        Some(&server.token),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stdout.contains("Plan: 5 to create"), "{again:?}");
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    cycle::write_config(dir.path(), &format!("http://127.0.0.1:{port}/scim/v2"));
    let run = scimform(dir.path(), Some("t"), &["plan"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("GET /Users?startIndex=1&count=100&excludedAttributes=groups failed"),
        "{run:?}"
    );
    assert!(run.stderr.contains("reachable"), "{run:?}");
}

#[tokio::test]
async fn export_round_trip_against_the_dev_server() {
    let server = DevServerProcess::start();
    cycle::export_round_trip(&server.base_url, &server.token, "none").await;
}

#[tokio::test]
async fn export_round_trip_split_by_team_against_the_dev_server() {
    let server = DevServerProcess::start();
    cycle::export_round_trip(&server.base_url, &server.token, "team").await;
}
