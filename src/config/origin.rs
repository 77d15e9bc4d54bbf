//! Where things are: a loaded source file (`SourceFile`), a compact position inside one
//! (`Loc`, what the YAML reader and the file model carry), and a position bound to its
//! file (`Origin`, what the declared model and diagnostics carry).
//!
//! This module only describes positions and turns them into miette source spans. It does
//! not read files (that is `source`) and does not decide what is wrong (that is
//! `decode` and `validate`).

use std::fmt;
use std::sync::Arc;

use miette::{SourceCode, SourceSpan};

/// One loaded source file: its display path (the config directory joined with the file's
/// path inside it, as the user would type it) and its text, shared by every diagnostic
/// that points into it.
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
    pub fn new(path: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    /// Byte offset of a 1-based line and column (columns count characters). Scans the
    /// text: for occasional use only (positions from the reader carry their offset).
    pub fn offset_of(&self, line: u64, column: u64) -> usize {
        let mut offset = 0usize;
        for (index, text_line) in self.text.split_inclusive('\n').enumerate() {
            if index as u64 + 1 == line {
                let column_bytes: usize = text_line
                    .chars()
                    .take(usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX))
                    .map(char::len_utf8)
                    .sum();
                return offset + column_bytes;
            }
            offset += text_line.len();
        }
        self.text.len()
    }

    /// The length in bytes of the token that starts at `offset` (a scalar, up to the end
    /// of the line or a flow delimiter; a mapping key up to its `:`), at least 1 where the
    /// file has text there.
    pub fn token_len_at(&self, offset: usize) -> usize {
        let rest = self.text.get(offset..).unwrap_or("");
        let len = match rest.as_bytes().first() {
            Some(&quote @ (b'"' | b'\'')) => rest[1..]
                .find(|c: char| c as u32 == u32::from(quote) || c == '\n')
                .map_or(rest.len(), |end| end + 2),
            Some(b'[' | b'{') => {
                // A flow collection: up to its end on this line, or the line's end.
                let line = rest.split('\n').next().unwrap_or("");
                let close = if rest.starts_with('[') { ']' } else { '}' };
                line.rfind(close).map_or(line.len(), |at| at + 1)
            }
            _ => {
                let end = rest.find(['\n', ',', ']', '}', '#']).unwrap_or(rest.len());
                // A mapping key ends at its `: ` (or a `:` that ends the line).
                let key_end = rest[..end]
                    .match_indices(':')
                    .map(|(at, _)| at)
                    .find(|&at| {
                        rest[at + 1..end].is_empty() || rest[at + 1..].starts_with([' ', '\t'])
                    });
                key_end.unwrap_or(end)
            }
        };
        rest[..len.min(rest.len())]
            .trim_end()
            .len()
            .max(usize::from(!rest.is_empty()))
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

/// A position inside one file, as the YAML reader reports it: byte offset and length of
/// the marked text (never past the end of its line), 1-based line and column (columns
/// count characters). Sixteen bytes, so that every member reference can carry one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    pub offset: u32,
    pub len: u32,
    pub line: u32,
    pub column: u32,
}

impl Loc {
    /// The position of the start of a file (for problems with a whole file).
    pub const START: Loc = Loc {
        offset: 0,
        len: 0,
        line: 1,
        column: 1,
    };
}

/// Where a declared value came from: a file and a position in it.
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
    /// Scans the file; prefer [`Origin::of`] where a `Loc` is at hand.
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

    /// The location `loc` in `file`. A zero length marks the token found at the offset.
    pub fn of(file: &SourceFile, loc: Loc) -> Origin {
        let offset = (loc.offset as usize).min(file.text.len());
        let len = if loc.len == 0 {
            file.token_len_at(offset)
        } else {
            loc.len as usize
        };
        Origin {
            file: file.clone(),
            line: u64::from(loc.line.max(1)),
            column: u64::from(loc.column.max(1)),
            offset,
            len,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_length_stops_at_a_key_colon_or_a_flow_delimiter() {
        let file = SourceFile::new("t.yaml", "  userName: a@b\n  x: [a, b] # c\n  y: \"q:r\"\n");
        assert_eq!(file.token_len_at(2), "userName".len());
        assert_eq!(file.token_len_at(12), "a@b".len());
        let flow = file.text.find('[').unwrap_or_default();
        assert_eq!(file.token_len_at(flow), "[a, b]".len());
        let quoted = file.text.find('"').unwrap_or_default();
        assert_eq!(file.token_len_at(quoted), "\"q:r\"".len());
        assert_eq!(file.token_len_at(file.text.len()), 0);
    }

    #[test]
    fn offsets_count_characters_within_a_line() {
        let file = SourceFile::new("t.yaml", "a: é\nb: c\n");
        assert_eq!(file.offset_of(1, 4), 3);
        assert_eq!(file.offset_of(2, 1), "a: é\n".len());
        assert_eq!(file.offset_of(9, 1), file.text.len());
    }
}
