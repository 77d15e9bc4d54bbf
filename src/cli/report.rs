//! How a failed command is shown and which exit code it gets.
//!
//! Every error is a miette `Diagnostic` rendered once to stderr, with its `help:` line;
//! colour follows the resolved `Output` settings and never carries meaning alone.

use std::fmt;
use std::io::Write;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

/// Exit codes (the command-line contract).
pub mod exit {
    /// Success: no changes, or applied.
    pub const OK: u8 = 0;
    /// An error.
    pub const ERROR: u8 = 1;
    /// `plan --detailed-exitcode`: the plan has changes.
    pub const CHANGES: u8 = 2;
    /// A safety guard refused.
    pub const REFUSED: u8 = 3;
}

/// A command's failure: a diagnostic and the exit code it maps to.
pub struct Failure {
    pub diagnostic: Box<dyn Diagnostic + Send + Sync>,
    pub code: u8,
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Failure({}: {})", self.code, self.diagnostic)
    }
}

impl<E: Diagnostic + Send + Sync + 'static> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure {
            diagnostic: Box::new(error),
            code: exit::ERROR,
        }
    }
}

/// Render a diagnostic as text, for stderr or for a test.
pub fn render_diagnostic(diagnostic: &dyn Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("error: {diagnostic}\n");
    }
    out
}

/// Write a failure to stderr.
pub(super) fn report(failure: &Failure, color: bool) {
    let width = terminal_width();
    let text = render_diagnostic(failure.diagnostic.as_ref(), color, width);
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(100)
}

/// A plain message with a help line, for failures that are not another module's error.
#[derive(Debug)]
pub(super) struct Message {
    pub code: &'static str,
    pub text: String,
    pub help: String,
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Message {}

impl Diagnostic for Message {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}
