//! The project's own dev-server, run as the built binary (`scimform dev-server`) on a
//! free loopback port: the base URL is read from the first line of its stdout.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `scimform dev-server`, killed on drop.
pub(crate) struct DevServerProcess {
    child: Child,
    pub base_url: String,
    pub token: String,
}

impl DevServerProcess {
    pub(crate) fn start() -> DevServerProcess {
        Self::start_with(&[])
    }

    /// Start with extra flags (e.g. `--data FILE`).
    pub(crate) fn start_with(extra: &[&str]) -> DevServerProcess {
        let token = format!("dev-token-{}-{}", std::process::id(), super::unique());
        let mut child = Command::new(env!("CARGO_BIN_EXE_scimform"))
            .args(["dev-server", "--listen", "127.0.0.1:0", "--token", &token])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting `scimform dev-server`");
        let stdout = child.stdout.take().expect("dev-server stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the dev-server's base URL");
        let base_url = line.trim().to_string();
        assert!(
            base_url.starts_with("http://127.0.0.1:"),
            "dev-server printed `{base_url}` instead of its base URL"
        );
        DevServerProcess {
            child,
            base_url,
            token,
        }
    }
}

impl Drop for DevServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
