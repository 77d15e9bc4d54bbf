//! Runs the third-party SCIM library scimmy 1.3.5 with scimmy-routers 1.3.2 behind a
//! small Express 4 app (`tests/interop/scimmy-server/server.js`, its npm dependencies
//! pinned by the committed `package-lock.json`) on 127.0.0.1 for the interop tests.
//!
//! ```ignore
//! let Some(server) = support::scimmy::Scimmy::start() else {
//!     support::print_interop_skip("my_test");
//!     return;
//! };
//! // server.base_url == "http://127.0.0.1:PORT/scim/v2", bearer token server.token
//! ```
//!
//! Each call starts a fresh server (an empty in-memory directory) on its own free port;
//! dropping the value kills it. `scripts/interop-setup.sh scimmy` (`npm ci` into
//! `tests/interop/scimmy-server/node_modules`) runs once per test process; the script
//! holds a `flock`, so several test processes starting at once do not race on
//! node_modules.
//!
//! Facts about server.js the helpers rely on: `--port P` and `--host 127.0.0.1` choose
//! the address, the bearer token comes from `SCIMMY_SERVER_TOKEN` (so it is not on the
//! command line), it prints `scimmy-server ready on http://HOST:PORT/scim/v2` once
//! listening, fails with `EADDRINUSE` in its log when the port is taken, answers 401
//! without `Authorization: Bearer <token>`, and with `--exit-with-stdin` exits when its
//! stdin closes — so a test process that dies without running `Drop` does not leave it
//! behind.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{interop_skipped, repo_root};

/// How long the server may take to answer its first request.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at starting the server, in case another process takes the port between
/// picking it and the server binding it.
const START_ATTEMPTS: u32 = 3;
/// Where the app mounts scimmy-routers.
const MOUNT: &str = "/scim/v2";

/// A running scimmy server, killed on drop.
pub struct Scimmy {
    child: Child,
    /// Held open so that the server (started with `--exit-with-stdin`) lives exactly as
    /// long as this value, or this process.
    _stdin: Option<ChildStdin>,
    /// `http://127.0.0.1:PORT/scim/v2`, without a trailing slash.
    pub base_url: String,
    /// The bearer token the server accepts (`Authorization: Bearer <token>`).
    pub token: String,
    pub port: u16,
    /// Where the server's stdout and stderr go (`.interop/logs/scimmy-PORT.log`): one
    /// line per request, with its body. Kept when the test panics or
    /// `SCIMFORM_KEEP_INTEROP_LOGS` is set, removed otherwise.
    pub log_path: PathBuf,
}

/// Result of running `scripts/interop-setup.sh scimmy`, once per test process.
static SETUP: OnceLock<Result<String, String>> = OnceLock::new();
static STARTED: AtomicU32 = AtomicU32::new(0);

impl Scimmy {
    /// Start a fresh server, or return `None` when `SCIMFORM_SKIP_INTEROP` is set (the
    /// caller then prints [`super::print_interop_skip`]). Any other failure panics with
    /// the output of the setup script or the server's log: an interop test never skips
    /// silently.
    pub fn start() -> Option<Scimmy> {
        if interop_skipped() {
            return None;
        }
        if let Err(msg) = SETUP.get_or_init(run_setup_script) {
            panic!("{msg}");
        }
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match Self::try_start() {
                Ok(server) => return Some(server),
                Err(StartError::PortTaken(msg)) if attempt < START_ATTEMPTS => failures.push(msg),
                Err(StartError::PortTaken(msg) | StartError::Fatal(msg)) => {
                    failures.push(msg);
                    break;
                }
            }
        }
        panic!(
            "\n==== the scimmy server could not be started ====\n{}\n=================================================\n",
            failures.join("\n---- next attempt ----\n")
        );
    }

    fn try_start() -> Result<Scimmy, StartError> {
        let port = free_port();
        let token = fresh_token();
        let logs = repo_root().join(".interop").join("logs");
        std::fs::create_dir_all(&logs)
            .map_err(|e| StartError::Fatal(format!("cannot create {}: {e}", logs.display())))?;
        let log_path = logs.join(format!("scimmy-{port}.log"));
        let log = File::create(&log_path)
            .map_err(|e| StartError::Fatal(format!("cannot create {}: {e}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| StartError::Fatal(format!("cannot clone log file handle: {e}")))?;
        let node = node_exe();
        let script = server_dir().join("server.js");
        let mut child = Command::new(&node)
            .arg(&script)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--exit-with-stdin")
            .env("SCIMMY_SERVER_TOKEN", &token)
            .env("NODE_ENV", "production")
            .current_dir(server_dir())
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| {
                StartError::Fatal(format!(
                    "cannot spawn `{} {}`: {e} (is Node.js installed? set NODE=/path/to/node)",
                    node.display(),
                    script.display()
                ))
            })?;
        let stdin = child.stdin.take();
        let mut server = Scimmy {
            child,
            _stdin: stdin,
            base_url: format!("http://127.0.0.1:{port}{MOUNT}"),
            token,
            port,
            log_path,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Poll `GET /scim/v2/ServiceProviderConfig` until it answers 200.
    fn wait_ready(&mut self) -> Result<(), StartError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.log_tail(60);
                let msg = format!(
                    "the scimmy server on port {} exited early with {status}; log {}:\n{log}",
                    self.port,
                    self.log_path.display()
                );
                return Err(if log.contains("EADDRINUSE") {
                    StartError::PortTaken(msg)
                } else {
                    StartError::Fatal(msg)
                });
            }
            let last = match probe(self.port, &self.token) {
                Ok(status_line) if status_line.split_whitespace().nth(1) == Some("200") => {
                    return Ok(());
                }
                Ok(status_line) => format!("answered {status_line:?}"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(StartError::Fatal(format!(
                    "the scimmy server on port {} is not ready after {READY_TIMEOUT:?} \
                     (last probe of {MOUNT}/ServiceProviderConfig: {last}); log {}:\n{}",
                    self.port,
                    self.log_path.display(),
                    self.log_tail(60)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last `lines` lines of the server's log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        match std::fs::read_to_string(&self.log_path) {
            Ok(text) => {
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(lines)..].join("\n")
            }
            Err(e) => format!("(cannot read {}: {e})", self.log_path.display()),
        }
    }

    /// `{base_url}{path}`, e.g. `server.url("/Users")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The value of the `Authorization` header the server accepts.
    pub fn auth_header(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

impl Drop for Scimmy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- tail of the scimmy server log {} ----\n{}\n---- end of the scimmy server log ----",
                self.log_path.display(),
                self.log_tail(60)
            );
        } else if std::env::var_os("SCIMFORM_KEEP_INTEROP_LOGS").is_none() {
            // A test that passed leaves no log behind, so .interop/logs stays small.
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

enum StartError {
    /// The server could not bind its port: worth another try on another port.
    PortTaken(String),
    Fatal(String),
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

fn run_setup_script() -> Result<String, String> {
    let script = repo_root().join("scripts").join("interop-setup.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("scimmy")
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!(
            "\n==== {} scimmy failed ({}) ====\n\
             Interop tests need Node.js 18+, npm, and scimmy, scimmy-routers and express from\n\
             the npm registry in tests/interop/scimmy-server/node_modules.\n\
             Set SCIMFORM_SKIP_INTEROP=1 to skip them deliberately.\n\
             ---- stdout ----\n{stdout}\n---- stderr ----\n{stderr}\n====\n",
            script.display(),
            out.status
        ));
    }
    let marker = server_dir()
        .join("node_modules")
        .join("scimmy-routers")
        .join("package.json");
    if !marker.exists() {
        return Err(format!(
            "{} scimmy succeeded but {} does not exist\n---- stdout ----\n{stdout}\n---- stderr ----\n{stderr}",
            script.display(),
            marker.display()
        ));
    }
    Ok(stdout)
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("binding 127.0.0.1:0 to pick a free port");
    listener
        .local_addr()
        .expect("local address of the port-picking listener")
        .port()
}

/// A token unique to this process and server.
fn fresh_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    format!("scimform-test-{}-{n}-{nanos:x}", std::process::id())
}

/// One plain HTTP/1.1 GET of `/scim/v2/ServiceProviderConfig`; returns the status line.
fn probe(port: u16, token: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {MOUNT}/ServiceProviderConfig HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: Bearer {token}\r\nAccept: application/scim+json\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}
