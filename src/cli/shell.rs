//! `scimform completions SHELL` and `scimform man`: generated from the clap definitions,
//! so they always match the command line.

use std::io::Write;

use clap::CommandFactory;

use super::args::Cli;
use super::report::{Failure, Message, exit};

/// Print the completion script for `shell` on stdout.
pub(super) fn completions(shell: clap_complete::Shell) -> u8 {
    let mut command = Cli::command();
    let mut stdout = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "scimform", &mut stdout);
    let _ = stdout.flush();
    exit::OK
}

/// Print the manual page (roff) on stdout.
pub(super) fn man() -> Result<u8, Failure> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut text = Vec::new();
    page.render(&mut text).map_err(|e| Message {
        code: "man",
        text: format!("cannot render the manual page: {e}"),
        help: "this is a bug in scimform; please report it".to_string(),
    })?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&text);
    Ok(exit::OK)
}
