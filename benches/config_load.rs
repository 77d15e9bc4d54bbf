//! Benchmark (not a test): load and validate a large multi-file configuration — 100 000
//! users, 10 000 groups, 1 000 000 member references — and print the wall time and the
//! peak resident memory (`VmHWM` from /proc/self/status).
//!
//! `cargo bench --bench config_load` (release profile). The configuration is generated
//! into a temporary directory first, in the layout the README recommends: a root file
//! with target, policy and defaults, users per team (100 files of 1 000), groups per
//! area (100 files of 100 groups of about 100 members, in block lists, with some nested
//! groups), and a manager for most users.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::fmt::Write as _;
use std::time::Instant;

const USERS: usize = 100_000;
const USER_FILES: usize = 100;
const GROUPS: usize = 10_000;
const GROUP_FILES: usize = 100;
const MEMBER_REFERENCES: usize = 1_000_000;
const RUNS: usize = 3;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let (bytes, files) = generate(dir.path());
    eprintln!(
        "generated {files} files, {:.1} MiB, in {:.2?}",
        bytes as f64 / (1024.0 * 1024.0),
        started.elapsed()
    );

    reset_peak_memory();
    let baseline = peak_memory_kib();
    let mut first_peak = 0;
    let mut times = Vec::new();
    for run in 0..RUNS {
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        let declared = match scimform::config::load_dir(dir.path()) {
            Ok(declared) => declared,
            Err(errors) => {
                eprintln!("{}", scimform::cli::render_diagnostic(&errors, false, 100));
                std::process::exit(1);
            }
        };
        let elapsed = started.elapsed();
        let cpu = cpu_seconds() - cpu_before;
        let references: usize = declared
            .groups
            .iter()
            .map(|g| g.members.as_ref().map_or(0, Vec::len))
            .sum();
        println!(
            "run {}: loaded and validated {} users, {} groups, {} member references in {:.3} s \
             ({:.2} s of CPU)",
            run + 1,
            declared.users.len(),
            declared.groups.len(),
            references,
            elapsed.as_secs_f64(),
            cpu,
        );
        times.push(elapsed.as_secs_f64());
        if run == 0 {
            // A scimform command loads once: this is its peak.
            first_peak = peak_memory_kib();
        }
        drop(declared);
    }
    times.sort_by(f64::total_cmp);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "config_load: median {:.3} s (best {:.3} s) over {RUNS} runs on {threads} threads; \
         peak RSS {:.0} MiB during the first load ({:.0} MiB over all runs, {:.0} MiB before \
         loading)",
        times[times.len() / 2],
        times[0],
        first_peak as f64 / 1024.0,
        peak_memory_kib() as f64 / 1024.0,
        baseline as f64 / 1024.0,
    );
}

/// `StdRng` from a seed: deterministic, so a case can be replayed from its seed.
struct Rng(rand::rngs::StdRng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(rand::SeedableRng::seed_from_u64(seed))
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            rand::Rng::random_range(&mut self.0, 0..n)
        }
    }
}

const GIVEN: [&str; 8] = [
    "Amara", "Ben", "Chen", "Diana", "Elif", "Farid", "Greta", "Hiro",
];
const FAMILY: [&str; 8] = [
    "Okafor",
    "Carter",
    "Wei",
    "Reyes",
    "Yılmaz",
    "Haddad",
    "Lindqvist",
    "Tanaka",
];
const TITLES: [&str; 6] = [
    "Engineer",
    "Designer",
    "Analyst",
    "Manager",
    "Support Engineer",
    "Recruiter",
];

fn user_name(i: usize) -> String {
    format!("user{i:06}@bench.example.com")
}

/// Write the configuration; the number of bytes and files written.
fn generate(dir: &std::path::Path) -> (usize, usize) {
    let mut rng = Rng::new(0x5c1f_0123);
    let mut bytes = 0;
    let mut files = 0;
    let mut write = |path: &str, text: &str| {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
        bytes += text.len();
        files += 1;
    };
    write(
        "scimform.yaml",
        "# yaml-language-server: $schema=../schema/scimform.schema.json\n\
         target:\n  url: https://scim.bench.example.com/scim/v2\n  profile: generic\n\
         policy:\n  match_users_by: [userName, email]\n  max_destroy: { count: 100 }\n\
         \x20 protected_users: [user000000@bench.example.com]\n\
         defaults:\n  active: true\n  emails_from_userName: true\n  email_type: work\n\
         \x20 enterprise: { organization: Bench Ltd }\n\
         include:\n  - users/*.yaml\n  - groups/*.yaml\n",
    );
    let per_file = USERS / USER_FILES;
    for file in 0..USER_FILES {
        let mut text = String::from("users:\n");
        let lead = file * per_file;
        for i in lead..lead + per_file {
            let given = GIVEN[i % GIVEN.len()];
            let family = FAMILY[(i / GIVEN.len()) % FAMILY.len()];
            let _ = write!(
                text,
                "  - userName: {}\n    displayName: {given} {family} {i}\n    \
                 name: {{ givenName: {given}, familyName: {family} }}\n    title: {}\n",
                user_name(i),
                TITLES[i % TITLES.len()],
            );
            let _ = write!(text, "    enterprise:\n      department: Team {file}\n");
            if i != lead {
                let _ = writeln!(text, "      manager: {}", user_name(lead));
            }
        }
        write(&format!("users/team-{file:03}.yaml"), &text);
    }
    let per_file = GROUPS / GROUP_FILES;
    let per_group = MEMBER_REFERENCES / GROUPS;
    for file in 0..GROUP_FILES {
        let mut text = String::from("groups:\n");
        for g in file * per_file..(file + 1) * per_file {
            let _ = write!(text, "  - displayName: group-{g:05}\n    members:\n");
            // Nested groups point to later groups only: no cycles.
            let nested = usize::from(g % 10 == 0 && g + 1 < GROUPS);
            if nested == 1 {
                let _ = writeln!(text, "      - group:group-{:05}", g + 1);
            }
            // Distinct members: a random start and a stride coprime to the user count.
            let start = rng.below(USERS);
            let stride = [7, 11, 13, 17, 19, 23, 29, 31][rng.below(8)];
            for k in 0..per_group - nested {
                let _ = writeln!(text, "      - {}", user_name((start + k * stride) % USERS));
            }
        }
        write(&format!("groups/area-{file:03}.yaml"), &text);
    }
    (bytes, files)
}

/// User plus system CPU time of the process so far, from /proc/self/stat (0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Reset `VmHWM` to the current RSS (Linux 4.0+), so the peak is that of loading alone.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `VmHWM` (peak resident set size) in KiB, 0 where /proc is not available.
fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix("VmHWM:")?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
        })
        .unwrap_or(0)
}
