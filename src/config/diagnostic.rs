//! Located configuration problems: one `ConfigError` per mistake (or warning), each with a
//! kind, the place it points at, a label and a `help:` line, plus related notes (the other
//! place of a duplicate, the other edges of a cycle); `ConfigErrors` carries all of a
//! run's problems so that they are reported together (miette `related`).
//!
//! Names in messages come from files that pull requests edit: every message, label and
//! help has its deceptive characters (control, bidirectional, invisible) escaped as
//! `\u{XXXX}` when the problem is built, so no output format passes them on.
//!
//! A run may find a great many problems (a generated file, a mass rename). Rendered for
//! people, `ConfigErrors` and `ConfigWarnings` show the first [`SHOWN_IN_FULL`] in full
//! and count the rest by code ([`omitted_summary`]); the machine formats of `validate`
//! read `errors` and `warnings` and list every one.
//!
//! This module only describes and renders problems. Finding them is the reader's, the
//! decoder's and the validator's job.

use std::collections::BTreeMap;
use std::fmt;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use super::kind::{ConfigErrorKind, Severity};
use super::names::escape_deceptive;
use super::origin::{Loc, Origin, SourceFile};

/// How many problems a human-readable report shows in full; the rest are counted.
pub const SHOWN_IN_FULL: usize = 50;

/// `text` with deceptive characters escaped, without a copy when it has none.
fn escaped(text: String) -> String {
    match escape_deceptive(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// One problem in the configuration, with where it is and what to do about it.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub kind: ConfigErrorKind,
    pub severity: Severity,
    pub message: String,
    pub origin: Option<Origin>,
    pub label: String,
    pub help: String,
    /// Other places that take part in the problem (e.g. the first declaration of a
    /// duplicate), shown beneath it as notes.
    pub related: Vec<ConfigError>,
}

impl ConfigError {
    /// A problem of `kind`, with the kind's own severity.
    pub fn new(kind: ConfigErrorKind, message: impl Into<String>) -> ConfigError {
        ConfigError {
            kind,
            severity: kind.severity(),
            message: escaped(message.into()),
            origin: None,
            label: String::new(),
            help: String::new(),
            related: Vec::new(),
        }
    }

    /// A note that points at a place involved in another problem (shown as advice).
    pub fn note(kind: ConfigErrorKind, message: impl Into<String>) -> ConfigError {
        ConfigError {
            severity: Severity::Note,
            ..ConfigError::new(kind, message)
        }
    }

    #[must_use]
    pub fn at(mut self, origin: &Origin, label: impl Into<String>) -> ConfigError {
        self.origin = Some(origin.clone());
        self.label = escaped(label.into());
        self
    }

    /// Point at `loc` in `file`.
    #[must_use]
    pub fn at_loc(self, file: &SourceFile, loc: Loc, label: impl Into<String>) -> ConfigError {
        self.at(&Origin::of(file, loc), label)
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> ConfigError {
        self.help = escaped(help.into());
        self
    }

    #[must_use]
    pub fn with_related(mut self, related: ConfigError) -> ConfigError {
        self.related.push(related);
        self
    }

    /// `file:line:col` of the problem, where it has one.
    pub fn location(&self) -> Option<String> {
        self.origin.as_ref().map(ToString::to_string)
    }

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Diagnostic for ConfigError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.origin.as_ref().map(|o| &o.file as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let origin = self.origin.as_ref()?;
        let label = (!self.label.is_empty()).then(|| self.label.clone());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label,
            origin.span(),
        ))))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|e| e as &dyn Diagnostic)))
    }
}

/// Every problem found in one run, reported together: the errors, and the warnings found
/// alongside them.
#[derive(Debug, Default)]
pub struct ConfigErrors {
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<ConfigError>,
}

impl ConfigErrors {
    /// A single error.
    pub fn one(error: ConfigError) -> ConfigErrors {
        ConfigErrors {
            errors: vec![error],
            warnings: Vec::new(),
        }
    }

    /// The errors, then the warnings.
    pub fn all(&self) -> impl Iterator<Item = &ConfigError> {
        self.errors.iter().chain(&self.warnings)
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the configuration has {}",
            plural(self.errors.len(), "error")
        )?;
        if !self.warnings.is_empty() {
            write!(f, " and {}", plural(self.warnings.len(), "warning"))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Diagnostic for ConfigErrors {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        const FIX: &str =
            "fix the errors listed above, then run `scimform validate` to check again";
        Some(match omitted_summary(self.all()) {
            None => Box::new(FIX),
            Some(summary) => Box::new(format!("{FIX}\n{summary}")),
        })
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.all().take(SHOWN_IN_FULL).map(|e| e as &dyn Diagnostic),
        ))
    }
}

/// What a human-readable report of `problems` leaves out after the first
/// [`SHOWN_IN_FULL`]: `only the first 50 of 10000 problems are shown below; the other
/// 9950 are 9000 config::unknown_member, 950 config::duplicate_user` and where to find
/// them all. `None` when every problem is shown. Linear in the number of problems.
pub fn omitted_summary<'a>(problems: impl Iterator<Item = &'a ConfigError>) -> Option<String> {
    let mut total = 0usize;
    let mut by_code: BTreeMap<&'static str, usize> = BTreeMap::new();
    for problem in problems {
        total += 1;
        if total > SHOWN_IN_FULL {
            *by_code.entry(problem.kind.code()).or_default() += 1;
        }
    }
    let omitted = total.checked_sub(SHOWN_IN_FULL).filter(|n| *n > 0)?;
    let mut counts: Vec<(&str, usize)> = by_code.into_iter().collect();
    // Most frequent first, then by code.
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let counts: Vec<String> = counts
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect();
    Some(format!(
        "only the first {SHOWN_IN_FULL} of {total} problems are shown below; the other \
         {omitted} are: {}. `scimform validate --format json` (or `--format github`) lists \
         every one",
        counts.join(", ")
    ))
}

/// Warnings on their own (a valid configuration), rendered like errors.
#[derive(Debug)]
pub struct ConfigWarnings(pub Vec<ConfigError>);

impl fmt::Display for ConfigWarnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the configuration is valid, with {}",
            plural(self.0.len(), "warning")
        )
    }
}

impl std::error::Error for ConfigWarnings {}

impl Diagnostic for ConfigWarnings {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Warning)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        const STRICT: &str =
            "warnings do not stop a plan; `scimform validate --strict` treats them as errors";
        Some(match omitted_summary(self.0.iter()) {
            None => Box::new(STRICT),
            Some(summary) => Box::new(format!("{STRICT}\n{summary}")),
        })
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.0
                .iter()
                .take(SHOWN_IN_FULL)
                .map(|e| e as &dyn Diagnostic),
        ))
    }
}
