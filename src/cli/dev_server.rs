//! `scimform dev-server`: run the local SCIM server until interrupted. The base URL is the
//! first line on stdout (so scripts and tests can read it); the rest goes to stderr.

use std::io::Write;

use super::args::DevServerArgs;
use super::report::{Failure, Message, exit};
use super::settings::Output;
use scimform_devserver::{
    AtlassianOptions, Behaviour, DevServer, DevServerError, DevServerOptions, Emulation,
    EmulationProfile, Faults, Quirks,
};

pub(super) async fn run(args: &DevServerArgs, output: Output) -> Result<u8, Failure> {
    if args.token.trim().is_empty() {
        return Err(Message {
            code: "dev_server::no_token",
            text: "the dev-server needs a bearer token".to_string(),
            help: "pass --token T or set SCIMFORM_DEV_TOKEN; clients send it as SCIMFORM_TOKEN"
                .to_string(),
        }
        .into());
    }
    let server = DevServer::start(options(args))
        .await
        .map_err(|error| start_failure(&error))?;
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", server.base_url());
        let _ = stdout.flush();
    }
    if !output.quiet {
        eprintln!(
            "dev-server listening on {}{}; press Ctrl-C to stop",
            server.base_url(),
            args.data
                .as_ref()
                .map(|p| format!(", keeping data in {}", p.display()))
                .unwrap_or_default()
        );
        eprintln!("{}", describe(args, server.seed()));
    }
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    if !output.quiet {
        eprintln!("dev-server stopped");
    }
    Ok(exit::OK)
}

/// The server's options from the command line.
fn options(args: &DevServerArgs) -> DevServerOptions {
    let mut options = DevServerOptions::new(args.listen, args.token.clone());
    options.data.clone_from(&args.data);
    options.synthetic = args.seed_synthetic;
    options.behaviour = Behaviour {
        emulation: Emulation::for_profile(args.emulate),
        faults: Faults {
            latency: std::time::Duration::from_millis(args.latency_ms),
            fail_rate: args.fail_rate,
            throttle_rate: args.throttle_rate,
            reset_rate: args.reset_rate,
            reset_after_commit_rate: args.reset_after_commit_rate,
            lie_total: args.lie_total,
            page_drift: args.page_drift,
        },
        quirks: Quirks {
            patch_users_not_implemented: args.patch_users_not_implemented,
            ignore_members_on_create: args.ignore_members_on_create,
            refuse_count: args.refuse_count,
            refuse_writes_to_groups: args.refuse_writes_to_group.clone(),
        },
        seed: args.seed,
    };
    options.atlassian = AtlassianOptions {
        accounts: args.atlassian_accounts.clone(),
        admin_token: args.atlassian_admin_token.clone(),
    };
    options
}

/// One line saying what the server emulates, injects and which quirks it shows, with the
/// seed to repeat it.
fn describe(args: &DevServerArgs, seed: u64) -> String {
    let mut faults = Vec::new();
    if args.latency_ms > 0 {
        faults.push(format!("latency {} ms", args.latency_ms));
    }
    for (name, rate) in [
        ("fail", args.fail_rate),
        ("throttle", args.throttle_rate),
        ("reset", args.reset_rate),
        ("reset-after-commit", args.reset_after_commit_rate),
    ] {
        if rate.get() > 0.0 {
            faults.push(format!("{name} {rate}"));
        }
    }
    if args.lie_total {
        faults.push("lie-total".to_string());
    }
    if args.page_drift {
        faults.push("page-drift".to_string());
    }
    let faults = if faults.is_empty() {
        "no faults".to_string()
    } else {
        faults.join(", ")
    };
    let mut quirks = Vec::new();
    for (on, name) in [
        (
            args.patch_users_not_implemented,
            "patch-users-not-implemented",
        ),
        (args.ignore_members_on_create, "ignore-members-on-create"),
        (args.refuse_count, "refuse-count"),
    ] {
        if on {
            quirks.push(name.to_string());
        }
    }
    for group in &args.refuse_writes_to_group {
        quirks.push(format!("refuse-writes-to-group {group:?}"));
    }
    let quirks = if quirks.is_empty() {
        String::new()
    } else {
        format!("; quirks: {}", quirks.join(", "))
    };
    let synthetic = args
        .seed_synthetic
        .map(|s| format!("; seeded with {s} synthetic users,groups,memberships"))
        .unwrap_or_default();
    let organisation = if args.emulate == EmulationProfile::Atlassian {
        format!(
            "; organisation API under /admin (accounts: {}; admin key: {})",
            args.atlassian_accounts
                .as_ref()
                .map_or_else(|| "none".to_string(), |p| p.display().to_string()),
            if args.atlassian_admin_token.is_some() {
                "set"
            } else {
                "none, every request 401"
            }
        )
    } else {
        String::new()
    };
    format!(
        "emulating {}; {faults}{quirks}; seed {seed}{synthetic}{organisation}",
        args.emulate
    )
}

/// A dev-server that could not start, with what to do about it.
pub(super) fn start_failure(error: &DevServerError) -> Failure {
    let (code, help) = match error {
        DevServerError::Bind { addr, .. } => (
            "dev_server::bind",
            format!(
                "is another process listening on {addr}? pick another address with --listen (port 0 picks a free one)"
            ),
        ),
        DevServerError::DataUnreadable { .. } => (
            "dev_server::data_unreadable",
            "check the path given with --data and its permissions".to_string(),
        ),
        DevServerError::DataUnwritable { .. } => (
            "dev_server::data_unwritable",
            "check the path given with --data and its permissions".to_string(),
        ),
        DevServerError::DataInvalid { .. } => (
            "dev_server::data_invalid",
            "point --data at a file this dev-server wrote, or move it away to start with an empty directory".to_string(),
        ),
        DevServerError::EmptyToken => (
            "dev_server::no_token",
            "pass --token T; clients send the same value as their bearer token".to_string(),
        ),
        DevServerError::InvalidOptions(_) => (
            "dev_server::invalid_options",
            "check the fault rates (they may add up to at most 1), --seed-synthetic, and that --atlassian-accounts and --atlassian-admin-token come with --emulate atlassian".to_string(),
        ),
    };
    Message {
        code,
        text: error.to_string(),
        help,
    }
    .into()
}
