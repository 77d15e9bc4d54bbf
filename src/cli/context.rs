//! What a plan records about where it was made: the time (`SOURCE_DATE_EPOCH` fixes it,
//! for reproducible output) and the git commit of the configuration directory.
//!
//! Reads the clock, the environment and `git`; nothing else.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now as RFC 3339 (UTC, seconds), or the time `SOURCE_DATE_EPOCH` gives.
pub(super) fn now_rfc3339() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or_else(SystemTime::now, |secs| {
            UNIX_EPOCH + Duration::from_secs(secs)
        });
    humantime::format_rfc3339_seconds(now).to_string()
}

/// The commit `HEAD` points at, when `dir` is inside a git work tree and git is there.
pub(super) fn git_commit(dir: &Path) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (commit.len() >= 40 && commit.chars().all(|c| c.is_ascii_hexdigit())).then_some(commit)
}
