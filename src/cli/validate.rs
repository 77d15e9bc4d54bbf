//! `scimform validate`: load and check the configuration offline, report every problem.

use std::io::Write;

use super::args::ValidateArgs;
use super::report::{Failure, exit};
use super::settings::Output;
use crate::config;

pub fn run(args: &ValidateArgs, output: Output) -> Result<u8, Failure> {
    let declared = config::load_dir(&args.config.dir)?;
    if !output.quiet {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "The configuration is valid: {} users, {} groups.",
            declared.users.len(),
            declared.groups.len()
        );
    }
    Ok(exit::OK)
}
