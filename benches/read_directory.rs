//! Benchmark (not a test): read a large directory completely and print what it cost.
//!
//! Starts the built `scimform dev-server` with a synthetic directory (default 100,000
//! users, 10,000 groups, 1,000,000 memberships), page cap 100 and 20 ms of latency on
//! every response, then reads it with the library's complete-or-nothing reader and prints
//! the requests made against the lower bound ⌈U/100⌉+⌈G/100⌉, the wall time against
//! ⌈requests/concurrency⌉ × latency, when the user and the group list were each complete,
//! the CPU time of the client (this process) and of the dev-server (its own process, on
//! the same cores) during the read, and the client's peak memory.
//!
//! `cargo bench --bench read_directory [-- USERS GROUPS MEMBERSHIPS CONCURRENCY LATENCY_MS]`

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{arg, cpu_time, peak_rss_mib};
use scimform::live::{self, Progress, ReadProgress};
use scimform::scim::{ClientSettings, Profile, ResourceKind, ScimClient, Token};

fn main() {
    let users = arg(1, 100_000);
    let groups = arg(2, 10_000);
    let memberships = arg(3, 1_000_000);
    let concurrency = arg(4, 16);
    let latency_ms = arg(5, 20);
    let token = format!("bench-{}", std::process::id());

    let seeding = Instant::now();
    let mut server = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["dev-server", "--listen", "127.0.0.1:0", "--token", &token])
        .args([
            "--seed-synthetic",
            &format!("{users},{groups},{memberships}"),
        ])
        .args(["--latency-ms", &latency_ms.to_string(), "--seed", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting scimform dev-server");
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().expect("piped stdout"))
        .read_line(&mut first_line)
        .expect("reading the dev-server's base URL");
    let base_url = first_line.trim().to_string();
    println!(
        "dev-server with {users} users, {groups} groups, {memberships} memberships ready in {:.1} s at {base_url}",
        seeding.elapsed().as_secs_f64()
    );

    let mut settings = ClientSettings::new(&base_url, Token::new(token), "BENCH_TOKEN");
    settings.profile = Profile {
        concurrency: u32::try_from(concurrency).unwrap_or(16),
        requests_per_minute: 0,
        ..Profile::generic()
    };
    let client = ScimClient::new(&settings).expect("client");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // What one request costs on an idle server: the latency plus the timer's rounding and
    // the HTTP exchange. Measured with a client of its own, so that it is not counted.
    let round_trip = runtime.block_on(async {
        let probe = ScimClient::new(&settings).expect("client");
        let mut times = Vec::new();
        for _ in 0..7 {
            let asked = Instant::now();
            probe
                .list_page(ResourceKind::User, 1, 1, "")
                .await
                .expect("a probe request");
            times.push(asked.elapsed());
        }
        times.sort();
        times[times.len() / 2]
    });

    let server_pid = server.id().to_string();
    let cpu_before = cpu_time("self");
    let server_cpu_before = cpu_time(&server_pid);
    let started = Instant::now();
    // When each list was complete: lists read at the same time should end together.
    let finished: Arc<Mutex<Vec<(ResourceKind, Duration)>>> = Arc::default();
    let progress = {
        let finished = Arc::clone(&finished);
        Progress::new(move |p: ReadProgress| {
            if p.total == Some(p.read)
                && let Ok(mut finished) = finished.lock()
            {
                finished.push((p.kind, started.elapsed()));
            }
        })
    };
    let live = runtime
        .block_on(live::read_with_progress(&client, &progress))
        .expect("a complete read");
    let wall = started.elapsed();
    let cpu = cpu_time("self")
        .checked_sub(cpu_before)
        .expect("CPU time only grows");
    let server_cpu = cpu_time(&server_pid)
        .checked_sub(server_cpu_before)
        .expect("CPU time only grows");
    let _ = server.kill();
    let _ = server.wait();

    let stats = client.stats();
    let page = 100;
    let lower_bound = users.div_ceil(page) + groups.div_ceil(page);
    let bound_wall = Duration::from_millis(stats.requests.div_ceil(concurrency) * latency_ms);
    let members: usize = live.groups.iter().map(|g| g.members.len()).sum();
    assert_eq!(live.users.len() as u64, users, "every user read");
    assert_eq!(live.groups.len() as u64, groups, "every group read");
    assert_eq!(members as u64, memberships, "every membership read");
    println!(
        "read {} users, {} groups, {members} memberships",
        live.users.len(),
        live.groups.len()
    );
    println!(
        "requests: {} (lower bound {lower_bound}: {:.3}x), retries: {}",
        stats.requests,
        stats.requests as f64 / lower_bound as f64,
        stats.retries
    );
    println!(
        "wall: {:.2} s (bound {:.2} s at concurrency {concurrency} and {latency_ms} ms: {:.2}x)",
        wall.as_secs_f64(),
        bound_wall.as_secs_f64(),
        wall.as_secs_f64() / bound_wall.as_secs_f64()
    );
    let floor = round_trip * u32::try_from(stats.requests.div_ceil(concurrency)).unwrap_or(0);
    println!(
        "  one request to the idle server takes {:.1} ms (median of 7), so the wall at that round trip would be {:.2} s: {:.2}x",
        round_trip.as_secs_f64() * 1000.0,
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64()
    );
    let finished = finished.lock().map(|f| f.clone()).unwrap_or_default();
    let at = |kind: ResourceKind| {
        finished
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(f64::NAN, |(_, t)| t.as_secs_f64())
    };
    println!(
        "  users were complete at {:.2} s, groups at {:.2} s",
        at(ResourceKind::User),
        at(ResourceKind::Group)
    );
    println!(
        "CPU: client {:.2} s, dev-server {:.2} s (both on this machine's {} cores)",
        cpu.as_secs_f64(),
        server_cpu.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    println!(
        "client peak memory (VmHWM): {:.0} MiB",
        peak_rss_mib("self")
    );
}
