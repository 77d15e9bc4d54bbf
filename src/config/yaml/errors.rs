//! The parser's errors as located diagnostics, with advice for the common ones.

use serde_saphyr::granit_parser::{ErrorKind, ScanError};

use super::MAX_DEPTH;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::origin::{Loc, SourceFile};

/// The first tab at or after `offset`, within the next three lines.
fn first_tab(text: &str, offset: usize) -> Option<Loc> {
    let rest = text.get(offset..)?;
    let window: usize = rest.split_inclusive('\n').take(3).map(str::len).sum();
    let at = offset + rest[..window].find('\t')?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some(Loc {
        offset: u32::try_from(at).ok()?,
        len: 1,
        line: u32::try_from(line).ok()?,
        column: u32::try_from(column).ok()?,
    })
}

/// A parser error as a located diagnostic, with advice for the common ones.
pub(super) fn scan_error(file: &SourceFile, error: &ScanError) -> ConfigError {
    let marker = error.marker();
    let offset = marker.byte_offset().unwrap_or(0).min(file.text.len());
    let mut loc = Loc {
        offset: u32::try_from(offset).unwrap_or(u32::MAX),
        len: 0,
        line: u32::try_from(marker.line().max(1)).unwrap_or(u32::MAX),
        column: u32::try_from(marker.col() + 1).unwrap_or(u32::MAX),
    };
    let tab = matches!(
        error.kind(),
        ErrorKind::TabNotAllowed
            | ErrorKind::TabInBlockIndentation
            | ErrorKind::TabInIndentation
            | ErrorKind::TabAtBlockScalarStart
            | ErrorKind::TabInPlainScalar
    );
    if tab {
        // The parser may mark the scalar the tab interrupts: point at the tab itself.
        if let Some(at) = first_tab(&file.text, offset) {
            loc = at;
        }
    }
    let mut message = error.info();
    if message.is_empty() {
        message = "invalid YAML".to_string();
    }
    let (kind, help) = match error.kind() {
        ErrorKind::RecursionLimitExceeded => (
            ConfigErrorKind::YamlLimit,
            format!("lists and mappings may nest at most {MAX_DEPTH} levels deep"),
        ),
        ErrorKind::TabNotAllowed
        | ErrorKind::TabInBlockIndentation
        | ErrorKind::TabInIndentation
        | ErrorKind::TabAtBlockScalarStart
        | ErrorKind::TabInPlainScalar => (
            ConfigErrorKind::Yaml,
            "YAML indents with spaces: replace the tab characters with spaces".to_string(),
        ),
        ErrorKind::UnclosedQuotedScalar => (
            ConfigErrorKind::Yaml,
            "close the quoted string with the quote character it starts with".to_string(),
        ),
        ErrorKind::UnexpectedEofFlowSequence
        | ErrorKind::UnexpectedEofFlowMapping
        | ErrorKind::UnexpectedEofImplicitFlowMapping
        | ErrorKind::UnclosedFlowCollection { .. }
        | ErrorKind::MismatchedFlowCollectionEnd { .. }
        | ErrorKind::MisplacedFlowCollectionEnd
        | ErrorKind::ExpectedFlowSequenceSeparator
        | ErrorKind::ExpectedFlowMappingSeparator => (
            ConfigErrorKind::Yaml,
            "close each `[` with `]` and each `{` with `}`, and separate their items with commas"
                .to_string(),
        ),
        ErrorKind::UnknownAnchor => (
            ConfigErrorKind::Yaml,
            "define the anchor (`&name`) before the alias (`*name`) that uses it".to_string(),
        ),
        ErrorKind::InvalidIndentation
        | ErrorKind::ExpectedBlockMappingKey
        | ErrorKind::ExpectedBlockSequenceEntry
        | ErrorKind::InvalidColonPlacement
        | ErrorKind::MappingValueNotAllowed
        | ErrorKind::SimpleKeyExpected
        | ErrorKind::InvalidSimpleKey => (
            ConfigErrorKind::Yaml,
            "check the indentation: the keys of one mapping and the `-` entries of one list \
             line up, and each `key:` is followed by a space"
                .to_string(),
        ),
        _ => (
            ConfigErrorKind::Yaml,
            "correct the YAML at the marked position".to_string(),
        ),
    };
    ConfigError::new(kind, message)
        .at_loc(file, loc, "here")
        .help(help)
}
