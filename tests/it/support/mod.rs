//! Helpers shared by the integration tests: the dev-server and the third-party servers
//! as child processes, the plan/apply cycle against them, and HTTP probes.

pub(crate) mod cycle;
pub(crate) mod dev_server;
pub(crate) mod plans;
pub(crate) mod probe;
pub(crate) mod scim2_server;
pub(crate) mod scimmy;
pub(crate) mod third_party;

use std::path::PathBuf;

/// The root of the `scimform` repository (the crate's manifest directory).
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when `SCIMFORM_SKIP_INTEROP` asks to skip the tests against third-party
/// servers: any value other than empty or `0` counts.
pub(crate) fn interop_skipped() -> bool {
    std::env::var("SCIMFORM_SKIP_INTEROP").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Print the loud line a test prints when it skips itself because of
/// `SCIMFORM_SKIP_INTEROP`. It is written to the stderr handle directly, which the
/// test harness does not capture, so it shows even for a passing test.
pub(crate) fn print_interop_skip(test: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED interop (SCIMFORM_SKIP_INTEROP=1): {test} did NOT run against a real SCIM server ***\n"
    );
}

/// A `reqwest::Client` for plain-HTTP test traffic.
///
/// reqwest is built with `rustls-no-provider`, so a rustls crypto provider must be
/// installed before any client is built, even one that only ever speaks plain HTTP.
pub(crate) fn http_client() -> reqwest::Client {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent("scimform-tests")
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("building the reqwest client for the interop tests")
}

/// A number unique within this test process (for tokens and names).
pub(crate) fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
