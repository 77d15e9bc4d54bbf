//! The integration tests, as one test binary (linked once): a module per concern.
//!
//! - `config_*`: loading, validation and the invalid-config corpus (offline);
//! - `export`: exported files load back to exactly the directory they came from, and
//!   are written all at once or not at all;
//! - `contract_requests`: exact request shapes against wiremock;
//! - `devserver_*`: the dev-server over HTTP, its emulations and faults;
//! - `e2e_*`, `demo`: the built binary against the dev-server;
//! - `interop_*`: the built binary and raw probes against third-party SCIM servers
//!   (installed by `scripts/interop-setup.sh`);
//! - `live_*`: the live reader against hostile and mistaken servers (wiremock, the
//!   dev-server's emulations, the built binary) and fuzzed list pages;
//! - `schema`: committed JSON Schemas do not drift.
//!
//! `support` holds what several of them share.

mod support;

mod ci_recipes;
mod config_cli;
mod config_corpus;
mod config_diagnostics;
mod config_fuzz;
mod config_include;
mod config_model;
mod config_names;
mod config_proptest;
mod contract_requests;
mod demo;
mod devserver_faults;
mod devserver_http;
mod e2e_apply;
mod e2e_atlassian;
mod e2e_devserver;
mod e2e_faults;
mod e2e_policy;
mod e2e_secrets;
mod export;
mod export_scale;
mod interop_scim2_server;
mod interop_scim2_server_probe;
mod interop_scimmy;
mod interop_scimmy_probe;
mod live_bad_data;
mod live_fuzz;
mod plan_files;
mod schema;
