//! Located configuration problems: one `ConfigError` per mistake (or warning), each with a
//! kind, the place it points at, a label and a `help:` line, plus related notes (the other
//! place of a duplicate, the other edges of a cycle); `ConfigErrors` carries all of a
//! run's problems so that they are reported together (miette `related`).
//!
//! This module only describes and renders problems. Finding them is the reader's, the
//! decoder's and the validator's job.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use super::kind::{ConfigErrorKind, Severity};
use super::origin::{Loc, Origin, SourceFile};

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
            message: message.into(),
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
        self.label = label.into();
        self
    }

    /// Point at `loc` in `file`.
    #[must_use]
    pub fn at_loc(self, file: &SourceFile, loc: Loc, label: impl Into<String>) -> ConfigError {
        self.at(&Origin::of(file, loc), label)
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> ConfigError {
        self.help = help.into();
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
        Some(Box::new(
            "fix the errors listed above, then run `scimform validate` to check again",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.all().map(|e| e as &dyn Diagnostic)))
    }
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
        Some(Box::new(
            "warnings do not stop a plan; `scimform validate --strict` treats them as errors",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.0.iter().map(|e| e as &dyn Diagnostic)))
    }
}
