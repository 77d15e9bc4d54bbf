//! The third-party SCIM library scimmy 1.3.5 with scimmy-routers 1.3.2 behind a small
//! Express 4 app (`tests/interop/scimmy-server/server.js`, its npm dependencies pinned by
//! the committed `package-lock.json`, installed by `scripts/interop-setup.sh scimmy`),
//! run on 127.0.0.1 for the interop tests by [`ThirdPartyServer`].
//!
//! ```ignore
//! let Some(server) = support::scimmy::Scimmy::start() else {
//!     support::print_interop_skip("my_test");
//!     return;
//! };
//! // server.base_url == "http://127.0.0.1:PORT/scim/v2", bearer token server.token
//! ```
//!
//! Each call starts a fresh server (an empty in-memory directory). Facts about server.js
//! this relies on: `--port P` and `--host 127.0.0.1` choose the address, the bearer token
//! comes from `SCIMMY_SERVER_TOKEN` (so it is not on the command line), it fails with
//! `EADDRINUSE` in its log when the port is taken, answers 401 without
//! `Authorization: Bearer <token>`, and with `--exit-with-stdin` exits when its stdin
//! closes, so a test process that dies without running `Drop` does not leave it behind.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::repo_root;
use super::third_party::{Launch, ThirdPartyServer};

/// Starts the scimmy server.
pub(crate) struct Scimmy;

static LAUNCH: Launch = Launch {
    name: "the scimmy server",
    log_name: "scimmy",
    mount: "/scim/v2",
    port_taken: "EADDRINUSE",
    command,
    spawn_hint: " (is Node.js installed? set NODE=/path/to/node)",
    hold_stdin: true,
    setup_arg: Some("scimmy"),
    needs: "Interop tests need Node.js 18+, npm, and scimmy, scimmy-routers and express from\n\
            the npm registry in tests/interop/scimmy-server/node_modules.",
    installed: installed_marker,
    setup: OnceLock::new(),
};

impl Scimmy {
    /// A fresh server, or `None` when `SCIMFORM_SKIP_INTEROP` is set.
    pub(crate) fn start() -> Option<ThirdPartyServer> {
        ThirdPartyServer::start(&LAUNCH)
    }
}

fn command(port: u16, token: &str) -> Command {
    let mut command = Command::new(node_exe());
    command
        .arg(server_dir().join("server.js"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--exit-with-stdin")
        .env("SCIMMY_SERVER_TOKEN", token)
        .env("NODE_ENV", "production")
        .current_dir(server_dir());
    command
}

/// `tests/interop/scimmy-server`: server.js, package.json, package-lock.json.
fn server_dir() -> PathBuf {
    repo_root()
        .join("tests")
        .join("interop")
        .join("scimmy-server")
}

/// The node binary: `$NODE`, or `node` from `PATH` (as the setup script uses).
fn node_exe() -> PathBuf {
    std::env::var_os("NODE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

fn installed_marker() -> PathBuf {
    server_dir()
        .join("node_modules")
        .join("scimmy-routers")
        .join("package.json")
}
