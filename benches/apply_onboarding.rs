//! Benchmark (not a test): onboarding — `scimform apply` of 5 000 new users into 50 new
//! groups (20 000 memberships) against the dev-server with 20 ms of latency on every
//! response, then the same under `--throttle-rate 0.2`.
//!
//! Prints the requests made (counted from the apply's own audit log: one line per
//! request) against the lower bound — 2 list reads of the empty directory, 5 000 user
//! POSTs, 50 group POSTs carrying the first 100 members each and ⌈(members − 100)/100⌉
//! member `PATCHes` per group — the wall time against ⌈writes/concurrency⌉ × latency, the
//! client's CPU and peak memory, and how many changes failed.
//!
//! `cargo bench --bench apply_onboarding [-- USERS GROUPS MEMBERS_PER_GROUP CONCURRENCY LATENCY_MS]`

#![allow(clippy::print_stdout)] // a benchmark prints its figures

mod common;

use std::fmt::Write as _;

use common::{DevServer, arg, run_scimform};

fn main() {
    let users = usize::try_from(arg(1, 5_000)).unwrap_or(5_000);
    let groups = usize::try_from(arg(2, 50)).unwrap_or(50);
    let per_group = usize::try_from(arg(3, 400)).unwrap_or(400);
    let concurrency = arg(4, 16);
    let latency = arg(5, 20);
    let cap = 100;
    let patches: usize = groups * per_group.saturating_sub(cap).div_ceil(cap);
    let writes = users + groups + patches;
    let bound = 2 + writes;
    let wall_bound = (writes as f64 / concurrency as f64).ceil() * latency as f64 / 1000.0;
    println!(
        "onboarding {users} users into {groups} groups of {per_group} ({} memberships), concurrency {concurrency}, {latency} ms latency",
        groups * per_group
    );
    println!(
        "lower bound: {bound} requests (2 reads, {users} + {groups} POSTs, {patches} PATCHes); wall ⌈{writes}/{concurrency}⌉ × {latency} ms = {wall_bound:.2} s"
    );
    for fault in [&[][..], &["--throttle-rate", "0.2", "--seed", "5"][..]] {
        let mut flags = vec!["--latency-ms".to_string(), latency.to_string()];
        flags.extend(fault.iter().map(|f| (*f).to_string()));
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let server = DevServer::start(&flags);
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_config(dir.path(), &server.base_url, users, groups, per_group);
        let audit = dir.path().join("audit.jsonl");
        let measured = run_scimform(
            dir.path(),
            &[
                "apply",
                "--auto-approve",
                "--format",
                "json",
                "--concurrency",
                &concurrency.to_string(),
                "--audit-log",
                &audit.to_string_lossy(),
            ],
            &server.token,
            &[],
        );
        let log = std::fs::read_to_string(&audit).unwrap_or_default();
        let requests = log.lines().count();
        let retried = log
            .lines()
            .filter(|l| !l.contains("\"attempt\":1,"))
            .count();
        let outcome: serde_json::Value =
            serde_json::from_str(&measured.stdout).unwrap_or(serde_json::Value::Null);
        let label = if fault.is_empty() {
            "no faults".to_string()
        } else {
            fault.join(" ")
        };
        println!(
            "{label}: exit {}, applied {}, failed {}, skipped {}; {requests} requests ({:.3}× the bound, {retried} retries); wall {:.2} s ({:.2}× the bound); client CPU {:.2} s; peak {:.0} MiB",
            measured.code,
            outcome["applied"],
            outcome["failed"],
            outcome["skipped"],
            requests as f64 / bound as f64,
            measured.wall.as_secs_f64(),
            measured.wall.as_secs_f64() / wall_bound,
            measured.cpu.as_secs_f64(),
            measured.peak_mib,
        );
        if measured.code != 0 {
            println!("stderr:\n{}", measured.stderr);
        }
    }
}

fn write_config(
    dir: &std::path::Path,
    base_url: &str,
    users: usize,
    groups: usize,
    per_group: usize,
) {
    let mut yaml = format!(
        "target:\n  url: {base_url}\n  profile: generic\n  token_env: SCIMFORM_BENCH_TOKEN\n\
         defaults:\n  active: true\n  emails_from_userName: true\nusers:\n"
    );
    for u in 0..users {
        let _ = writeln!(
            yaml,
            "  - userName: user{u:05}@onboard.example.com\n    displayName: User {u}"
        );
    }
    yaml.push_str("groups:\n");
    for g in 0..groups {
        let _ = writeln!(yaml, "  - displayName: team-{g:03}\n    members:");
        for k in 0..per_group {
            let _ = writeln!(
                yaml,
                "      - user{:05}@onboard.example.com",
                (g * 97 + k) % users
            );
        }
    }
    std::fs::write(dir.join("scimform.yaml"), yaml).expect("write scimform.yaml");
}
