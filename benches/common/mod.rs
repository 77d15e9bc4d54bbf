//! What the benchmarks share: arguments, the built dev-server as a child process, running
//! the built binary and measuring it (wall, CPU, peak memory from /proc), and figures.
//!
//! Each benchmark declares `mod common;` and uses what it needs.

#![allow(dead_code)] // each benchmark binary uses a part of it

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `index`-th positional argument (after the benchmark's name), or `default`.
pub(crate) fn arg(index: usize, default: u64) -> u64 {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// `VmHWM` (peak resident set) of a process (`self` or a pid), in MiB.
pub(crate) fn peak_rss_mib(process: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `VmRSS` (resident set now) of this process, in MiB.
pub(crate) fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Reset `VmHWM` of this process to its current RSS (Linux 4.0+).
pub(crate) fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// User + system CPU time of a process (`self`, or a pid).
pub(crate) fn cpu_time(process: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{process}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the full line: 11 and 12 after the name.
    let clock_ticks_per_second = 100;
    Duration::from_millis((ticks(11) + ticks(12)) * 1000 / clock_ticks_per_second)
}

/// A running `scimform dev-server`, killed on drop.
pub(crate) struct DevServer {
    child: Child,
    pub(crate) base_url: String,
    pub(crate) token: String,
}

impl DevServer {
    /// Start the built dev-server with `flags`; returns once it listens.
    pub(crate) fn start(flags: &[&str]) -> DevServer {
        let token = format!("bench-{}", std::process::id());
        let mut child = Command::new(env!("CARGO_BIN_EXE_scimform"))
            .args(["dev-server", "--listen", "127.0.0.1:0", "--token", &token])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting scimform dev-server");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut first_line)
            .expect("reading the dev-server's base URL");
        DevServer {
            child,
            base_url: first_line.trim().to_string(),
            token,
        }
    }

    pub(crate) fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of the binary cost.
pub(crate) struct Measured {
    pub(crate) code: i32,
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    pub(crate) peak_mib: f64,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Run the built `scimform` with `args` in `dir` (token in `SCIMFORM_BENCH_TOKEN`),
/// sampling its CPU time and peak memory from /proc until it ends.
pub(crate) fn run_scimform(
    dir: &Path,
    args: &[&str],
    token: &str,
    env: &[(&str, &str)],
) -> Measured {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(args)
        .current_dir(dir)
        .env("SCIMFORM_BENCH_TOKEN", token)
        .env("SCIMFORM_TOKEN", token)
        .env("NO_COLOR", "1")
        .env_remove("SCIMFORM_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting scimform");
    let pid = child.id().to_string();
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let stdout = std::thread::spawn(move || std::io::read_to_string(out).unwrap_or_default());
    let stderr = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    let mut peak = 0.0_f64;
    let mut cpu = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for scimform") {
            break status;
        }
        let now = peak_rss_mib(&pid);
        if now.is_finite() {
            peak = peak.max(now);
        }
        let used = cpu_time(&pid);
        if used > cpu {
            cpu = used;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Measured {
        code: status.code().unwrap_or(-1),
        wall: started.elapsed(),
        cpu,
        peak_mib: peak,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// min / median / max of some seconds.
pub(crate) fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values.first().copied().unwrap_or(f64::NAN),
        values[values.len() / 2],
        values.last().copied().unwrap_or(f64::NAN),
    )
}
