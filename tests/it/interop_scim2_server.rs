//! The full cycle (seed, plan, apply, empty re-plan) against the third-party
//! `scim2-server` 0.8.3 from `PyPI`, which `scripts/interop-setup.sh` installs on first use.
//! Fails loudly when the server cannot be installed or started; skipped (loudly) only
//! when `SCIMFORM_SKIP_INTEROP=1`.

use crate::support::scim2_server::Scim2Server;

#[tokio::test]
async fn full_cycle_against_scim2_server() {
    let Some(server) = Scim2Server::start() else {
        crate::support::print_interop_skip("full_cycle_against_scim2_server");
        return;
    };
    crate::support::cycle::full_cycle(&server.base_url, &server.token).await;
}

#[tokio::test]
async fn export_round_trip_against_scim2_server() {
    let Some(server) = Scim2Server::start() else {
        crate::support::print_interop_skip("export_round_trip_against_scim2_server");
        return;
    };
    crate::support::cycle::export_round_trip(&server.base_url, &server.token, "none").await;
}
