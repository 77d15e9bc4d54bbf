//! The full cycle (seed, plan, apply, empty re-plan), the export round trip, and a read of
//! a directory larger than one page, against scimmy 1.3.5 with scimmy-routers 1.3.2 behind
//! the Express 4 app in `tests/interop/scimmy-server`, whose npm packages
//! `scripts/interop-setup.sh` installs on first use. Fails loudly when the server cannot be
//! installed or started; skipped (loudly) only when `SCIMFORM_SKIP_INTEROP=1`.

use crate::support::cycle::{Http, TOKEN_ENV, scimform};
use crate::support::scimmy::Scimmy;

#[tokio::test]
async fn full_cycle_against_scimmy() {
    let Some(server) = Scimmy::start() else {
        crate::support::print_interop_skip("full_cycle_against_scimmy");
        return;
    };
    crate::support::cycle::full_cycle(&server.base_url, &server.token).await;
}

#[tokio::test]
async fn export_round_trip_against_scimmy() {
    let Some(server) = Scimmy::start() else {
        crate::support::print_interop_skip("export_round_trip_against_scimmy");
        return;
    };
    crate::support::cycle::export_round_trip(&server.base_url, &server.token, "none").await;
}

/// scimmy's paging differs from scim2-server's where a client can trip: `itemsPerPage`
/// echoes the requested `count` (also on the last, short page), and a `startIndex` past
/// the end serves the first page again instead of an empty one. 200 users and 100 groups
/// are exact multiples of scimform's page size of 100, so a reader that asks for one page
/// too many sees duplicate ids; after apply, 101 groups make a last page of one.
#[tokio::test]
async fn multi_page_read_against_scimmy() {
    let Some(server) = Scimmy::start() else {
        crate::support::print_interop_skip("multi_page_read_against_scimmy");
        return;
    };
    let http = Http::new(&server.base_url, &server.token);
    let alice = http.create_user("alice@pages.test", "Alice Ng").await;
    for n in 1..200 {
        http.create_user(&format!("user{n:03}@pages.test"), &format!("User {n}"))
            .await;
    }
    for n in 0..100 {
        http.create_group(&format!("team-{n:03}"), &[&alice]).await;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        r"target:
  url: {}
  token_env: {TOKEN_ENV}
users:
  - userName: alice@pages.test
    displayName: Alice Ng
groups:
  - displayName: engineering
    members: [alice@pages.test]
",
        server.base_url
    );
    std::fs::write(dir.path().join("scimform.yaml"), config).expect("writing scimform.yaml");

    let token = server.token.as_str();
    let plan = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "plan with changes exits 2: {plan:?}");
    for expected in [
        "+ group engineering",
        "+ member alice@pages.test",
        "Not managed: 199 users and 100 groups",
        "Plan: 1 to create, 0 to adopt, 0 to update, 0 to replace, 0 to deactivate, 0 to delete; 1 membership change (0 removals).",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "plan lacks `{expected}`: {plan:?}"
        );
    }

    let apply = scimform(dir.path(), Some(token), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "apply succeeds: {apply:?}");

    let again = scimform(dir.path(), Some(token), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "plan after apply is empty: {again:?}");
    assert!(
        again
            .stdout
            .contains("No changes. The directory matches the configuration."),
        "{again:?}"
    );
    for run in [&plan, &apply, &again] {
        assert!(!run.all().contains(token), "the token leaked: {run:?}");
    }
}
