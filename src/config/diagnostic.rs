//! Located configuration errors: one `ConfigError` per mistake, each with a kind, the
//! file and span it points at, and a `help:` line; `ConfigErrors` carries all of a run's
//! errors so that they are reported together (miette `related`).
//!
//! This module only describes and renders errors. Finding them is the loader's and the
//! validator's job.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode, SourceSpan};

/// One loaded source file: its display path (relative to the config directory where
/// possible) and its text, shared by every diagnostic that points into it.
#[derive(Clone)]
pub struct SourceFile {
    pub path: Arc<str>,
    pub text: Arc<str>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SourceFile {
    /// Byte offset of a 1-based line and column (columns count characters).
    pub fn offset_of(&self, line: u64, column: u64) -> usize {
        let mut offset = 0usize;
        for (index, text_line) in self.text.split_inclusive('\n').enumerate() {
            if index as u64 + 1 == line {
                let column_bytes: usize = text_line
                    .chars()
                    .take(column.saturating_sub(1) as usize)
                    .map(char::len_utf8)
                    .sum();
                return offset + column_bytes;
            }
            offset += text_line.len();
        }
        self.text.len()
    }

    /// The length in bytes of the token that starts at `offset` (a scalar, up to the end
    /// of the line or a flow delimiter), at least 1 where the file has text there.
    pub fn token_len_at(&self, offset: usize) -> usize {
        let rest = self.text.get(offset..).unwrap_or("");
        let quoted = rest.starts_with('"') || rest.starts_with('\'');
        let len = if quoted {
            let quote = rest.as_bytes()[0];
            rest[1..]
                .find(|c: char| c as u32 == u32::from(quote) || c == '\n')
                .map_or(rest.len(), |end| end + 2)
        } else {
            let end = rest.find(['\n', ',', ']', '}', '#']).unwrap_or(rest.len());
            // A mapping key ends at its `: ` (or a `:` that ends the line).
            let key_end = rest[..end]
                .match_indices(':')
                .map(|(at, _)| at)
                .find(|&at| {
                    rest[at + 1..end].is_empty() || rest[at + 1..].starts_with([' ', '\t'])
                });
            key_end.unwrap_or(end)
        };
        rest[..len.min(rest.len())]
            .trim_end()
            .len()
            .max(usize::from(!rest.is_empty()))
    }
}

/// Where a declared value came from.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: SourceFile,
    pub line: u64,
    pub column: u64,
    pub offset: usize,
    pub len: usize,
}

impl Origin {
    /// The location of the value that starts at 1-based `line`:`column` of `file`.
    pub fn at(file: &SourceFile, line: u64, column: u64) -> Origin {
        let offset = file.offset_of(line, column);
        Origin {
            file: file.clone(),
            line,
            column,
            offset,
            len: file.token_len_at(offset),
        }
    }

    pub fn span(&self) -> SourceSpan {
        SourceSpan::from((self.offset, self.len))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.path, self.line, self.column)
    }
}

/// What is wrong. The kind decides the diagnostic code; the message says the specifics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The root file or an included file could not be read.
    Unreadable,
    /// YAML syntax, a wrong type, an unknown or duplicate key.
    Yaml,
    /// A required name is empty.
    EmptyName,
    /// The same userName declared twice (case-insensitively).
    DuplicateUser,
    /// The same group displayName declared twice (case-insensitively).
    DuplicateGroup,
    /// A group member that names no declared user.
    UnknownMember,
    /// An email address that is not of the form local@domain.
    InvalidEmail,
    /// More than one email marked primary.
    TwoPrimaryEmails,
}

impl ConfigErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ConfigErrorKind::Unreadable => "config::unreadable",
            ConfigErrorKind::Yaml => "config::yaml",
            ConfigErrorKind::EmptyName => "config::empty_name",
            ConfigErrorKind::DuplicateUser => "config::duplicate_user",
            ConfigErrorKind::DuplicateGroup => "config::duplicate_group",
            ConfigErrorKind::UnknownMember => "config::unknown_member",
            ConfigErrorKind::InvalidEmail => "config::invalid_email",
            ConfigErrorKind::TwoPrimaryEmails => "config::two_primary_emails",
        }
    }
}

/// One mistake in the configuration, with where it is and what to do about it.
#[derive(Debug)]
pub struct ConfigError {
    pub kind: ConfigErrorKind,
    pub message: String,
    pub origin: Option<Origin>,
    pub label: String,
    pub help: String,
    /// Other places that take part in the mistake (e.g. the first declaration of a
    /// duplicate), shown beneath it.
    pub related: Vec<ConfigError>,
    /// A pointer to a place that takes part in another error, not a mistake itself.
    pub is_note: bool,
}

impl ConfigError {
    pub fn new(kind: ConfigErrorKind, message: impl Into<String>) -> ConfigError {
        ConfigError {
            kind,
            message: message.into(),
            origin: None,
            label: String::new(),
            help: String::new(),
            related: Vec::new(),
            is_note: false,
        }
    }

    /// A note that points at a place involved in another error (shown as advice).
    pub fn note(kind: ConfigErrorKind, message: impl Into<String>) -> ConfigError {
        ConfigError {
            is_note: true,
            ..ConfigError::new(kind, message)
        }
    }

    pub fn at(mut self, origin: &Origin, label: impl Into<String>) -> ConfigError {
        self.origin = Some(origin.clone());
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> ConfigError {
        self.help = help.into();
        self
    }

    pub fn with_related(mut self, related: ConfigError) -> ConfigError {
        self.related.push(related);
        self
    }

    /// `file:line:col` of the mistake, where it has one.
    pub fn location(&self) -> Option<String> {
        self.origin.as_ref().map(ToString::to_string)
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
        self.is_note.then_some(miette::Severity::Advice)
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

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &'a str = &self.text;
        let contents = text.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.path.to_string(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// Every error found in one run, reported together.
#[derive(Debug)]
pub struct ConfigErrors {
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
            1 => f.write_str("the configuration has 1 error"),
            n => write!(f, "the configuration has {n} errors"),
        }
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
        Some(Box::new(self.errors.iter().map(|e| e as &dyn Diagnostic)))
    }
}
