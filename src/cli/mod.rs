//! The command line: clap definitions, resolved settings, one function per subcommand,
//! and the mapping of results to exit codes.
//!
//! Commands wire the other modules together; they hold no planning or protocol logic.
//! `main.rs` calls [`main`] and nothing else.

/// `eprintln!`, through the redaction of every secret the run holds (`crate::secret`).
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(crate::secret::stderr(), $($arg)*);
    }};
}

/// Free `value` on another thread: a large directory and configuration take a
/// noticeable part of a second to free, which the command need not wait for (for a
/// command that goes on, e.g. an apply; one that is about to end leaves its data to the
/// exit instead, [`leave_to_exit`]).
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}

/// Leave `value` for the process exit to free: a large directory, configuration or plan
/// takes a noticeable part of a second of CPU to free piece by piece, and the command is
/// about to end, which frees all of it at once. Only for plain data (nothing whose drop
/// closes, writes or releases anything but memory) that the command no longer needs.
pub(crate) fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

mod apply_run;
mod args;
mod atlassian;
mod audit;
mod context;
mod demo;
mod dev_server;
mod export;
mod plan;
mod report;
mod schema;
mod settings;
mod shell;
mod validate;

pub use args::Cli;
pub use report::{Failure, exit, render_diagnostic};
pub use settings::{DEFAULT_TOKEN_ENV, TOKEN_ENV_PREFIX, URL_ENV};

use clap::Parser;
use clap::error::ErrorKind;

use args::Command;
use settings::Output;

/// Parse the command line, run the command, report any failure; the process exit code.
pub fn main() -> std::process::ExitCode {
    scimform_memory::limit_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    let output = Output::resolve(&cli.global);
    let code = match run(&cli.command, output) {
        Ok(code) => code,
        Err(failure) => {
            report::report(&failure, output.stderr.color);
            failure.code
        }
    };
    std::process::ExitCode::from(code)
}

/// Help or a version asked for (exit 0), or a usage error (exit 1), printed as clap prints
/// them. Not clap's own exit code 2 for a usage error: under `plan --detailed-exitcode`,
/// 2 means "the plan has changes".
fn usage(error: &clap::Error) -> std::process::ExitCode {
    let _ = error.print();
    let code = match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => exit::OK,
        // Including `DisplayHelpOnMissingArgumentOrSubcommand`: help nobody asked for.
        _ => exit::ERROR,
    };
    std::process::ExitCode::from(code)
}

/// Run one command to completion.
pub fn run(command: &Command, output: Output) -> Result<u8, Failure> {
    match command {
        Command::Validate(args) => validate::run(args, output),
        Command::Schema(args) => Ok(schema::run(args)),
        Command::Export(args) => runtime()?.block_on(export::run(args, output)),
        Command::Plan(args) => runtime()?.block_on(plan::run_plan(args, output)),
        Command::Show(args) => plan::run_show(args, output),
        Command::Apply(args) => runtime()?.block_on(plan::run_apply(args, output)),
        Command::DevServer(args) => runtime()?.block_on(dev_server::run(args, output)),
        Command::Demo => runtime()?.block_on(demo::run(output)),
        Command::Completions(args) => Ok(shell::completions(args.shell)),
        Command::Man => shell::man(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            report::Message {
                code: "runtime",
                text: format!("cannot start the async runtime: {e}"),
                help: "check the process's thread and file-descriptor limits".to_string(),
            }
            .into()
        })
}
