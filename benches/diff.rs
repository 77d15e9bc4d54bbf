//! Benchmark (not a test): `plan::diff` alone, in process, on a directory of 100 000
//! users, 10 000 groups and 1 000 000 memberships — against a live snapshot that matches
//! the configuration (no changes) and against an empty one (a first import). Prints, per
//! case and run, the wall and CPU time of the diff (all threads: it compares users and
//! groups on every core) and the peak resident memory while it ran, beside the memory
//! the inputs already held.
//!
//! `cargo bench --bench diff [-- USERS GROUPS MEMBERSHIPS RUNS]`
//! (`SCIMFORM_BENCH_ONLY=matching` or `=empty` runs one case). Goal (issue 10): the
//! matching case under 200 ms of CPU.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

mod common;

use std::fmt::Write as _;
use std::time::Instant;

use common::{arg, cpu_time, peak_rss_mib, reset_peak_memory, rss_mib, spread};
use scimform::config::{Declared, load_files};
use scimform::live::Live;
use scimform::plan::{PlanContext, diff};
use serde_json::{Value, json};

fn user_name(i: usize) -> String {
    format!("user{i:06}@bench.test")
}

/// Group `g`'s members: `per_group` users spread over the whole directory.
fn members(g: usize, per_group: usize, users: usize) -> impl Iterator<Item = usize> {
    (0..per_group).map(move |k| (g * 7919 + k * 104_729) % users)
}

/// The configuration, as files in memory: users and groups in files of 10 000 users and
/// 1 000 groups.
fn configuration(users: usize, groups: usize, per_group: usize) -> Declared {
    let mut files = vec![(
        "scimform.yaml".to_string(),
        "target:\n  url: https://scim.bench.test/v2\ninclude: [\"users/*.yaml\", \"groups/*.yaml\"]\n"
            .to_string(),
    )];
    for (start, part) in (0..users).step_by(10_000).zip(0..) {
        let mut text = String::from("users:\n");
        for i in start..(start + 10_000).min(users) {
            let _ = writeln!(
                text,
                "  - userName: {}\n    displayName: User {i}",
                user_name(i)
            );
        }
        files.push((format!("users/{part:03}.yaml"), text));
    }
    for (start, part) in (0..groups).step_by(1_000).zip(0..) {
        let mut text = String::from("groups:\n");
        for g in start..(start + 1_000).min(groups) {
            let _ = writeln!(text, "  - displayName: group-{g:05}\n    members:");
            let mut listed: Vec<usize> = members(g, per_group, users).collect();
            listed.sort_unstable();
            listed.dedup();
            for m in listed {
                let _ = writeln!(text, "      - {}", user_name(m));
            }
        }
        files.push((format!("groups/{part:03}.yaml"), text));
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    load_files("bench", &borrowed).unwrap_or_else(|errors| {
        eprintln!("{}", scimform::cli::render_diagnostic(&errors, false, 100));
        std::process::exit(1);
    })
}

/// The live directory holding exactly what `configuration` declares.
fn matching(users: usize, groups: usize, per_group: usize) -> Live {
    let user_resources: Vec<Value> = (0..users)
        .map(|i| json!({"id": format!("u{i}"), "userName": user_name(i), "displayName": format!("User {i}")}))
        .collect();
    let group_resources: Vec<Value> = (0..groups)
        .map(|g| {
            let mut listed: Vec<usize> = members(g, per_group, users).collect();
            listed.sort_unstable();
            listed.dedup();
            let members: Vec<Value> = listed
                .into_iter()
                .map(|m| json!({"value": format!("u{m}")}))
                .collect();
            json!({"id": format!("g{g}"), "displayName": format!("group-{g:05}"), "members": members})
        })
        .collect();
    Live::from_resources(user_resources, group_resources).expect("a valid snapshot")
}

fn main() {
    let users = usize::try_from(arg(1, 100_000)).unwrap_or(100_000);
    let groups = usize::try_from(arg(2, 10_000)).unwrap_or(10_000);
    let memberships = usize::try_from(arg(3, 1_000_000)).unwrap_or(1_000_000);
    let runs = usize::try_from(arg(4, 3)).unwrap_or(3);
    let per_group = memberships / groups.max(1);
    let declared = configuration(users, groups, per_group);
    let references: usize = declared
        .groups
        .iter()
        .map(|g| g.members.as_ref().map_or(0, Vec::len))
        .sum();
    println!(
        "diff: {} users, {} groups, {references} memberships declared; {runs} runs each (min / median / max)",
        declared.users.len(),
        declared.groups.len()
    );
    let context = PlanContext::for_url("https://scim.bench.test/v2");
    // `SCIMFORM_BENCH_ONLY=matching` (or `empty`): one case, e.g. under a profiler.
    let only = std::env::var("SCIMFORM_BENCH_ONLY").ok();
    for (case, live, goal) in [
        (
            "matching (no changes)",
            matching(users, groups, per_group),
            "≤ 0.20 s CPU",
        ),
        ("empty directory (first import)", Live::default(), "—"),
    ] {
        if only.as_deref().is_some_and(|o| !case.starts_with(o)) {
            continue;
        }
        let (mut walls, mut cpus, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
        let inputs = rss_mib();
        let mut changes = 0;
        for _ in 0..runs {
            reset_peak_memory();
            let cpu = cpu_time("self");
            let started = Instant::now();
            let plan = diff(&declared, &live, &context).expect("a plan");
            walls.push(started.elapsed().as_secs_f64());
            cpus.push(cpu_time("self").saturating_sub(cpu).as_secs_f64());
            peaks.push(peak_rss_mib("self"));
            changes = plan.changes.len();
        }
        let (w0, w1, w2) = spread(&mut walls);
        let (c0, c1, c2) = spread(&mut cpus);
        let (m0, m1, m2) = spread(&mut peaks);
        println!(
            "| {case} | {changes} changes | wall {w0:.3} / {w1:.3} / {w2:.3} s | CPU {c0:.2} / {c1:.2} / {c2:.2} s | peak {m0:.0} / {m1:.0} / {m2:.0} MiB (inputs held: {inputs:.0} MiB) | goal {goal} |"
        );
    }
}
