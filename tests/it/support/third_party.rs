//! Runs a third-party SCIM server (`scim2-server` from `PyPI`, scimmy from npm) on
//! 127.0.0.1 for the interop tests: set up once per test process, started fresh on a
//! free port for each test, killed on drop.
//!
//! Owns what every such server needs the same way: `scripts/interop-setup.sh` run once
//! (it holds a `flock`, so test processes starting at once do not race on the install),
//! a fresh port and token, a log under `.interop/logs` kept only when a test fails (or
//! `SCIMFORM_KEEP_INTEROP_LOGS` is set), retries when another process takes the port,
//! and a readiness poll that needs the token (so another server on the port is never
//! taken for this one). What differs between servers is a
//! [`Launch`], in the server's own module. An interop test never skips silently: without
//! `SCIMFORM_SKIP_INTEROP` any failure here panics with the setup output or the log.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{interop_skipped, repo_root};

/// How long a server may take to answer its first request.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at starting a server, in case another process takes the port between
/// picking it and the server binding it.
const START_ATTEMPTS: u32 = 3;

/// How to set up and start one kind of server.
pub(crate) struct Launch {
    /// How messages name it ("scim2-server", "the scimmy server").
    pub name: &'static str,
    /// Its logs are `.interop/logs/{log_name}-PORT-PID-N-NANOS.log` (unique to one start).
    pub log_name: &'static str,
    /// The path its SCIM API is served under ("/v2").
    pub mount: &'static str,
    /// What its log says when the port was taken.
    pub port_taken: &'static str,
    /// The command that starts it on a port with a token; the launcher sets its stdio.
    pub command: fn(port: u16, token: &str) -> Command,
    /// Said when the command cannot be spawned at all.
    pub spawn_hint: &'static str,
    /// Its stdin stays open as a pipe while the server value lives (for a server that
    /// exits when stdin closes, so that a test process that dies leaves nothing behind).
    pub hold_stdin: bool,
    /// The argument to `scripts/interop-setup.sh`, if any.
    pub setup_arg: Option<&'static str>,
    /// What the tests need installed, for the message when setup fails.
    pub needs: &'static str,
    /// A file that exists once setup has installed the server.
    pub installed: fn() -> PathBuf,
    /// The setup's outcome, once per test process.
    pub setup: OnceLock<Result<String, String>>,
}

/// A running third-party server, killed on drop.
pub(crate) struct ThirdPartyServer {
    child: Child,
    /// Held open for a `Launch::hold_stdin` server.
    _stdin: Option<ChildStdin>,
    name: &'static str,
    /// `http://127.0.0.1:PORT/MOUNT`, without a trailing slash.
    pub base_url: String,
    /// The bearer token the server accepts (`Authorization: Bearer <token>`).
    pub token: String,
    pub port: u16,
    /// Where the server's stdout and stderr go.
    pub log_path: PathBuf,
}

static STARTED: AtomicU32 = AtomicU32::new(0);

enum StartError {
    /// The server could not bind its port: worth another try on another port.
    PortTaken(String),
    Fatal(String),
}

impl ThirdPartyServer {
    /// Start a fresh server, or return `None` when `SCIMFORM_SKIP_INTEROP` is set (the
    /// caller then prints [`super::print_interop_skip`]). Any other failure panics.
    pub(crate) fn start(launch: &'static Launch) -> Option<ThirdPartyServer> {
        if interop_skipped() {
            return None;
        }
        if let Err(msg) = launch.setup.get_or_init(|| run_setup_script(launch)) {
            panic!("{msg}");
        }
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match Self::try_start(launch) {
                Ok(server) => return Some(server),
                Err(StartError::PortTaken(msg)) if attempt < START_ATTEMPTS => failures.push(msg),
                Err(StartError::PortTaken(msg) | StartError::Fatal(msg)) => {
                    failures.push(msg);
                    break;
                }
            }
        }
        panic!(
            "\n==== {} could not be started ====\n{}\n====\n",
            launch.name,
            failures.join("\n---- next attempt ----\n")
        );
    }

    fn try_start(launch: &Launch) -> Result<ThirdPartyServer, StartError> {
        let port = free_port();
        let token = fresh_token();
        let logs = repo_root().join(".interop").join("logs");
        std::fs::create_dir_all(&logs)
            .map_err(|e| StartError::Fatal(format!("cannot create {}: {e}", logs.display())))?;
        // The name is unique to this process and start, so that two servers that were
        // handed the same port never share (or delete) one log.
        let log_path = logs.join(format!(
            "{}-{port}-{}.log",
            launch.log_name,
            token_suffix(&token)
        ));
        let log = File::create(&log_path)
            .map_err(|e| StartError::Fatal(format!("cannot create {}: {e}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| StartError::Fatal(format!("cannot clone log file handle: {e}")))?;
        let mut command = (launch.command)(port, &token);
        let mut child = command
            .stdin(if launch.hold_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| {
                StartError::Fatal(format!(
                    "cannot spawn \"{}\": {e}{}",
                    command.get_program().display(),
                    launch.spawn_hint
                ))
            })?;
        let stdin = child.stdin.take();
        let mut server = ThirdPartyServer {
            child,
            _stdin: stdin,
            name: launch.name,
            base_url: format!("http://127.0.0.1:{port}{}", launch.mount),
            token,
            port,
            log_path,
        };
        server.wait_ready(launch)?;
        Ok(server)
    }

    /// Poll `GET MOUNT/Users?count=1` with this server's token until it answers 200.
    ///
    /// The request needs the token, so an answer from another server that took the port
    /// between [`free_port`] and the bind (it has another token and answers 401) is not
    /// taken for this one: that is a [`StartError::PortTaken`], and this one is retried
    /// on another port.
    fn wait_ready(&mut self, launch: &Launch) -> Result<(), StartError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.log_tail(60);
                let msg = format!(
                    "{} on port {} exited early with {status}; log {}:\n{log}",
                    self.name,
                    self.port,
                    self.log_path.display()
                );
                return Err(if log.contains(launch.port_taken) {
                    StartError::PortTaken(msg)
                } else {
                    StartError::Fatal(msg)
                });
            }
            let last = match probe(self.port, &self.token, launch.mount) {
                Ok(status_line) if status_line.split_whitespace().nth(1) == Some("200") => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        return Err(StartError::PortTaken(format!(
                            "{} on port {} exited with {status}, yet the port answered: \
                             another server has it",
                            self.name, self.port
                        )));
                    }
                    return Ok(());
                }
                Ok(status_line) if status_line.split_whitespace().nth(1) == Some("401") => {
                    return Err(StartError::PortTaken(format!(
                        "port {} answered {status_line:?} to {}'s token: another server has it",
                        self.port, self.name
                    )));
                }
                Ok(status_line) => format!("answered {status_line:?}"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(StartError::Fatal(format!(
                    "{} on port {} is not ready after {READY_TIMEOUT:?} \
                     (last probe of {}/Users?count=1: {last}); log {}:\n{}",
                    self.name,
                    self.port,
                    launch.mount,
                    self.log_path.display(),
                    self.log_tail(60)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last `lines` lines of the server's log, for failure messages.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        match std::fs::read_to_string(&self.log_path) {
            Ok(text) => {
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(lines)..].join("\n")
            }
            Err(e) => format!("(cannot read {}: {e})", self.log_path.display()),
        }
    }

    /// `{base_url}{path}`, e.g. `server.url("/Users")`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The value of the `Authorization` header the server accepts.
    pub(crate) fn auth_header(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

impl Drop for ThirdPartyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- tail of the {} log {} ----\n{}\n---- end of the {} log ----",
                self.name,
                self.log_path.display(),
                self.log_tail(60),
                self.name
            );
        } else if std::env::var_os("SCIMFORM_KEEP_INTEROP_LOGS").is_none() {
            // A test that passed leaves no log behind, so .interop/logs stays small.
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

fn run_setup_script(launch: &Launch) -> Result<String, String> {
    let script = repo_root().join("scripts").join("interop-setup.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(launch.setup_arg)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let command = format!(
        "{}{}",
        script.display(),
        launch
            .setup_arg
            .map(|a| format!(" {a}"))
            .unwrap_or_default()
    );
    if !out.status.success() {
        return Err(format!(
            "\n==== {command} failed ({}) ====\n{}\n\
             Set SCIMFORM_SKIP_INTEROP=1 to skip them deliberately.\n\
             ---- stdout ----\n{stdout}\n---- stderr ----\n{stderr}\n====\n",
            out.status, launch.needs
        ));
    }
    let installed = (launch.installed)();
    if !installed.exists() {
        return Err(format!(
            "{command} succeeded but {} does not exist\n---- stdout ----\n{stdout}\n---- stderr ----\n{stderr}",
            installed.display()
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
        .map_or(0, |d| d.as_nanos());
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    format!("scimform-test-{}-{n}-{nanos:x}", std::process::id())
}

/// The part of a [`fresh_token`] that tells one start from another.
fn token_suffix(token: &str) -> &str {
    token.strip_prefix("scimform-test-").unwrap_or(token)
}

/// One plain HTTP/1.1 GET of `MOUNT/Users?count=1` with the token; returns the status
/// line.
fn probe(port: u16, token: &str, mount: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {mount}/Users?count=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: Bearer {token}\r\nAccept: application/scim+json\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}
