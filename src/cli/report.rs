//! How a failed command is shown and which exit code it gets.
//!
//! Every error is a miette `Diagnostic` rendered once to stderr, with its `help:` line;
//! colour follows the resolved `Output` settings and never carries meaning alone.
//!
//! Every text of a diagnostic (message, help, labels, causes, related diagnostics) is
//! redacted of the run's secrets before miette lays it out — so that wrapping cannot
//! split a secret and hide it from the redaction — and the rendered text is redacted
//! again on its way to stderr.

use std::fmt;
use std::io::Write;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use crate::secret;

/// Exit codes (the command-line contract).
pub mod exit {
    /// Success: no changes, or applied.
    pub const OK: u8 = 0;
    /// An error.
    pub const ERROR: u8 = 1;
    /// `plan --detailed-exitcode`: the plan has changes.
    pub const CHANGES: u8 = 2;
    /// A safety guard refused, or a saved plan does not fit.
    pub const REFUSED: u8 = 3;
    /// An apply stopped by Ctrl-C or SIGTERM (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

/// A command's failure: a diagnostic and the exit code it maps to.
pub struct Failure {
    pub diagnostic: Box<dyn Diagnostic + Send + Sync>,
    pub code: u8,
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.diagnostic.to_string();
        write!(f, "Failure({}: {})", self.code, secret::redact(&text))
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

/// Render a diagnostic as text, for stderr or for a test; redacted of the run's
/// secrets.
pub fn render_diagnostic(diagnostic: &dyn Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let redacted = Redacted::of(diagnostic);
    let mut out = String::new();
    if handler.render_report(&mut out, &redacted).is_err() {
        out = format!("error: {redacted}\n");
    }
    secret::redact(&out).into_owned()
}

/// Write a failure to stderr.
pub(super) fn report(failure: &Failure, color: bool) {
    let width = terminal_width();
    let text = render_diagnostic(failure.diagnostic.as_ref(), color, width);
    let mut stderr = secret::stderr();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// A diagnostic with its texts redacted of the registered secrets; its source code and
/// spans as they are (the configuration's own text: redacted after rendering).
struct Redacted<'a> {
    inner: &'a dyn Diagnostic,
    message: String,
    help: Option<String>,
    cause: Option<Box<Cause>>,
    diagnostic_source: Option<Box<Redacted<'a>>>,
    related: Vec<Redacted<'a>>,
}

impl<'a> Redacted<'a> {
    fn of(inner: &'a dyn Diagnostic) -> Redacted<'a> {
        let clean = |text: &dyn fmt::Display| secret::redact(&text.to_string()).into_owned();
        Redacted {
            inner,
            message: clean(inner),
            help: inner.help().map(|help| clean(&help)),
            cause: inner.source().map(|cause| Box::new(Cause::of(cause))),
            diagnostic_source: inner
                .diagnostic_source()
                .map(|source| Box::new(Redacted::of(source))),
            related: inner
                .related()
                .map(|related| related.map(Redacted::of).collect())
                .unwrap_or_default(),
        }
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redacted")
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Redacted<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for Redacted<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.inner.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = self.inner.labels()?.map(|mut label| {
            if let Some(text) = label.label()
                && let std::borrow::Cow::Owned(clean) = secret::redact(text)
            {
                label.set_label(Some(clean));
            }
            label
        });
        Some(Box::new(labels))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.diagnostic_source
            .as_deref()
            .map(|source| source as &dyn Diagnostic)
    }
}

/// An error's cause chain as redacted text.
#[derive(Debug)]
struct Cause {
    message: String,
    source: Option<Box<Cause>>,
}

impl Cause {
    fn of(error: &(dyn std::error::Error + 'static)) -> Cause {
        Cause {
            message: secret::redact(&error.to_string()).into_owned(),
            source: error.source().map(|cause| Box::new(Cause::of(cause))),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
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
