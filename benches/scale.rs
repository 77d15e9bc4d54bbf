//! Benchmark (not a test): a 100 000-person directory end to end, every step as a user
//! runs it (the built binary), three runs each, printed as one table beside its goal.
//!
//! The dev-server holds a synthetic directory (default 100 000 users, 10 000 groups,
//! 1 000 000 memberships; `--latency-ms 0`, as the goals were measured). Rows:
//!
//! - `export --out-dir` with `--split none` and `--split team`: wall, peak memory,
//!   whether the files it writes load (`validate`), against the wall of a plain read;
//! - `plan` with the whole directory declared (the export), concurrency 16: no changes;
//! - `plan` of a first import: the same configuration against an empty directory (also
//!   at a quarter and a half of the size, to show whether it is linear);
//! - `validate` of that configuration.
//!
//! `cargo bench --bench scale [-- USERS GROUPS MEMBERSHIPS RUNS]`

#![allow(clippy::print_stdout)] // a benchmark prints its figures

mod common;

use std::path::Path;

use common::{DevServer, Measured, arg, run_scimform, spread};

struct Row {
    name: String,
    goal: String,
    walls: Vec<f64>,
    peaks: Vec<f64>,
    cpus: Vec<f64>,
    ok: bool,
    remark: String,
}

impl Row {
    fn new(name: &str, goal: &str) -> Row {
        Row {
            name: name.to_string(),
            goal: goal.to_string(),
            walls: Vec::new(),
            peaks: Vec::new(),
            cpus: Vec::new(),
            ok: true,
            remark: String::new(),
        }
    }

    fn add(&mut self, measured: &Measured, expected_code: i32) {
        self.walls.push(measured.wall.as_secs_f64());
        self.peaks.push(measured.peak_mib);
        self.cpus.push(measured.cpu.as_secs_f64());
        if measured.code != expected_code {
            self.ok = false;
            let tail: String = measured
                .stderr
                .lines()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .join(" | ");
            self.remark = format!("exit {} (wanted {expected_code}): {tail}", measured.code);
        }
    }

    fn print(&mut self) {
        let (w0, w1, w2) = spread(&mut self.walls);
        let (m0, m1, m2) = spread(&mut self.peaks);
        let (c0, c1, c2) = spread(&mut self.cpus);
        println!(
            "| {} | {w0:.2} / {w1:.2} / {w2:.2} s | {c0:.2} / {c1:.2} / {c2:.2} s | {m0:.0} / {m1:.0} / {m2:.0} MiB | {} | {}{} |",
            self.name,
            self.goal,
            if self.ok { "" } else { "FAILED " },
            self.remark
        );
    }
}

/// The target of every configuration here (`SCIMFORM_URL` points it at a server).
const TARGET: &str = "target:\n  url: http://127.0.0.1:1/scim/v2\n  token_env: SCIMFORM_BENCH_TOKEN\n  options: { concurrency: 16 }\n";

fn scimform(dir: &Path, server: &DevServer, args: &[&str]) -> Measured {
    let mut full = vec!["--quiet"];
    full.extend_from_slice(args);
    run_scimform(
        dir,
        &full,
        &server.token,
        &[("SCIMFORM_URL", server.base_url.as_str())],
    )
}

/// `scimform.yaml` for the export at `dir`: point it at the benchmark's token.
fn fix_target(dir: &Path) {
    let root = dir.join("scimform.yaml");
    let text = std::fs::read_to_string(&root).unwrap_or_default();
    let mut out = String::new();
    let mut in_target = false;
    for line in text.lines() {
        if line.starts_with("target:") {
            in_target = true;
            out.push_str(TARGET);
            continue;
        }
        if in_target && (line.starts_with(' ') || line.is_empty()) {
            continue;
        }
        in_target = false;
        out.push_str(line);
        out.push('\n');
    }
    if !out.contains("target:") {
        out = format!("{TARGET}{out}");
    }
    std::fs::write(root, out).expect("rewrite scimform.yaml");
}

fn main() {
    let users = arg(1, 100_000);
    let groups = arg(2, 10_000);
    let memberships = arg(3, 1_000_000);
    let runs = usize::try_from(arg(4, 3)).unwrap_or(3);
    let size = format!("{users},{groups},{memberships}");
    println!(
        "scale: {users} users, {groups} groups, {memberships} memberships; {runs} runs each (min / median / max)"
    );
    let full = DevServer::start(&["--seed-synthetic", &size, "--seed", "1"]);
    let empty = DevServer::start(&[]);
    let work = tempfile::tempdir().expect("a temporary directory");

    // The plain read, as the yardstick of export.
    let mut read = Row::new("read only (`plan` of an empty config)", "—");
    let blank = work.path().join("blank");
    std::fs::create_dir_all(&blank).expect("mkdir");
    std::fs::write(blank.join("scimform.yaml"), TARGET).expect("write");
    for _ in 0..runs {
        read.add(
            &run_scimform(
                &blank,
                &["--quiet", "plan"],
                &full.token,
                &[("SCIMFORM_URL", full.base_url.as_str())],
            ),
            0,
        );
    }
    let read_wall = {
        let mut walls = read.walls.clone();
        spread(&mut walls).1
    };

    let mut rows = Vec::new();
    let mut exported = None;
    for split in ["none", "team"] {
        let mut row = Row::new(
            &format!("`export --split {split}`"),
            &format!(
                "≤ 300 MiB, ≤ {:.2} s (1.5× the read), loads back",
                read_wall * 1.5
            ),
        );
        for run in 0..runs {
            let out = work.path().join(format!("export-{split}-{run}"));
            let measured = scimform(
                work.path(),
                &full,
                &[
                    "export",
                    "--out-dir",
                    &out.to_string_lossy(),
                    "--split",
                    split,
                ],
            );
            row.add(&measured, 0);
            if run == 0 && measured.code == 0 {
                fix_target(&out);
                let check = run_scimform(&out, &["--quiet", "validate"], &full.token, &[]);
                if check.code != 0 {
                    row.ok = false;
                    row.remark = format!(
                        "validate of the export: exit {}: {}",
                        check.code,
                        check.stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
                    );
                }
                if split == "team" {
                    exported = Some(out);
                }
            }
        }
        rows.push(row);
    }
    let Some(config) = exported else {
        for row in &mut rows {
            row.print();
        }
        println!("no export to plan with; stopping");
        return;
    };

    let mut matching = Row::new(
        "`plan`, whole directory declared (no changes)",
        "≤ 2.5 s, ≤ 300 MiB",
    );
    for _ in 0..runs {
        matching.add(
            &scimform(&config, &full, &["plan", "--detailed-exitcode"]),
            0,
        );
    }
    rows.push(matching);

    let mut import = Row::new(
        "`plan`, first import (empty directory)",
        "≤ 3 s, ≤ 300 MiB, linear",
    );
    for _ in 0..runs {
        let measured = run_scimform(
            &config,
            &["--quiet", "plan", "--detailed-exitcode"],
            &empty.token,
            &[("SCIMFORM_URL", empty.base_url.as_str())],
        );
        import.add(&measured, 2);
    }
    rows.push(import);
    // Linear? The first import of a quarter and a half of the directory, one run each.
    for part in [4, 2] {
        let (u, g, m) = (users / part, groups / part, memberships / part);
        let small = DevServer::start(&["--seed-synthetic", &format!("{u},{g},{m}"), "--seed", "1"]);
        let out = work.path().join(format!("export-1-{part}"));
        let exported = scimform(
            work.path(),
            &small,
            &[
                "export",
                "--out-dir",
                &out.to_string_lossy(),
                "--split",
                "team",
            ],
        );
        drop(small);
        let mut row = Row::new(
            &format!("`plan`, first import of 1/{part} ({u} users)"),
            "linear in the size",
        );
        if exported.code == 0 {
            fix_target(&out);
            row.add(
                &run_scimform(
                    &out,
                    &["--quiet", "plan", "--detailed-exitcode"],
                    &empty.token,
                    &[("SCIMFORM_URL", empty.base_url.as_str())],
                ),
                2,
            );
        } else {
            row.add(&exported, 0);
        }
        rows.push(row);
    }

    let mut validate = Row::new("`validate` of that configuration", "≤ 1 s, ≤ 200 MiB");
    for _ in 0..runs {
        validate.add(
            &run_scimform(&config, &["--quiet", "validate"], &empty.token, &[]),
            0,
        );
    }
    rows.push(validate);

    println!();
    println!("| step | wall | CPU | peak memory | goal | |");
    println!("|---|---|---|---|---|---|");
    read.print();
    for row in &mut rows {
        row.print();
    }
}
