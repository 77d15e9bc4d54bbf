//! The third-party Python SCIM server `scim2-server` (`PyPI`, pinned in
//! `scripts/interop-setup.sh`, installed in `.interop/venv`), run on 127.0.0.1 for the
//! interop tests by [`ThirdPartyServer`].
//!
//! ```ignore
//! let Some(server) = support::scim2_server::Scim2Server::start() else {
//!     support::print_interop_skip("my_test");
//!     return;
//! };
//! // server.base_url == "http://127.0.0.1:PORT/v2", bearer token server.token
//! ```
//!
//! Each call starts a fresh server (an empty in-memory directory). Facts about
//! scim2-server 0.8.3 this relies on: it serves under `/v2`, logs "Address already in
//! use" when its port is taken, and with `--bearer-token T` answers 401 to requests
//! without `Authorization: Bearer T`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::repo_root;
use super::third_party::{Launch, ThirdPartyServer};

/// Starts `scim2-server`.
pub(crate) struct Scim2Server;

static LAUNCH: Launch = Launch {
    name: "scim2-server",
    log_name: "scim2-server",
    mount: "/v2",
    port_taken: "Address already in use",
    command,
    spawn_hint: "",
    hold_stdin: false,
    setup_arg: None,
    needs: "Interop tests need scim2-server from PyPI in .interop/venv.",
    installed: scim2_server_exe,
    setup: OnceLock::new(),
};

impl Scim2Server {
    /// A fresh server, or `None` when `SCIMFORM_SKIP_INTEROP` is set.
    pub(crate) fn start() -> Option<ThirdPartyServer> {
        ThirdPartyServer::start(&LAUNCH)
    }
}

fn command(port: u16, token: &str) -> Command {
    let mut command = Command::new(scim2_server_exe());
    command
        .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
        .args(["--bearer-token", token])
        .env("PYTHONUNBUFFERED", "1");
    command
}

fn scim2_server_exe() -> PathBuf {
    repo_root()
        .join(".interop")
        .join("venv")
        .join("bin")
        .join("scim2-server")
}
