//! Where things are: a loaded source file (`SourceFile`), a compact position inside one
//! (`Loc`, what the YAML reader and the file model carry), and a position bound to its
//! file (`Origin`, what the declared model and diagnostics carry).
//!
//! This module only describes positions and turns them into miette source spans. It does
//! not read files (that is `source`) and does not decide what is wrong (that is
//! `decode` and `validate`).
//!
//! Snippets for diagnostics (`SourceCode for SourceFile`) cost what they show, not what
//! the file holds: a file's line starts are indexed once, on first use, so rendering ten
//! thousand diagnostics of one file is linear. A long line is shown as a window around
//! the marked text (miette cannot draw a label past column 65 535, and a 100 000-character
//! line helps nobody), and deceptive characters (control, bidirectional, invisible) are
//! shown as placeholders of the same length, so that a snippet cannot reorder or hide
//! what the reader sees.

use std::fmt;
use std::sync::{Arc, OnceLock};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::names::is_deceptive;

/// One loaded source file: its display path (the config directory joined with the file's
/// path inside it, as the user would type it) and its text, shared by every diagnostic
/// and every declared entry that points into it (one pointer each).
#[derive(Clone)]
pub struct SourceFile {
    shared: Arc<SourceText>,
}

/// What a [`SourceFile`] shares.
pub struct SourceText {
    pub path: Arc<str>,
    pub text: Arc<str>,
    /// What snippets show, built on first use.
    shown: OnceLock<Shown>,
}

impl std::ops::Deref for SourceFile {
    type Target = SourceText;

    fn deref(&self) -> &SourceText {
        &self.shared
    }
}

/// A file as diagnostics show it: its line starts, and (where it has deceptive
/// characters) a copy of its text with each one replaced by a placeholder of the same
/// length in bytes (`?`, `¤` or `�`), so that every offset stays valid.
struct Shown {
    /// The byte offset where each line starts (after `\n`, `\r\n` or a lone `\r`, as
    /// miette counts lines); the first is 0.
    line_starts: Vec<usize>,
    text: Option<String>,
}

/// Lines longer than this (in bytes) are shown as a window around the marked text.
const LONG_LINE: usize = 512;
/// How much of a long line a window shows on either side of the marked text, in bytes.
const WINDOW_CONTEXT: usize = 120;
/// The most of the marked text a label underlines, in bytes.
pub(super) const MAX_LABEL: usize = 256;

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
            shared: Arc::new(SourceText {
                path: path.into(),
                text: text.into(),
                shown: OnceLock::new(),
            }),
        }
    }

    fn shown(&self) -> &Shown {
        self.shown.get_or_init(|| Shown::of(&self.text))
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

impl Shown {
    fn of(text: &str) -> Shown {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut at = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'\r' if bytes.get(at + 1) == Some(&b'\n') => {
                    at += 2;
                    line_starts.push(at);
                }
                b'\r' | b'\n' => {
                    at += 1;
                    line_starts.push(at);
                }
                _ => at += 1,
            }
        }
        // Kept: line breaks and tabs (which miette expands). A lone `\r` is a line break
        // where miette finds lines but is drawn as it is (a carriage return that lets a
        // line overwrite the one before): shown as the `\n` it stands for.
        let kept = |c: char| matches!(c, '\n' | '\t');
        let lone_cr = |at: usize| bytes[at] == b'\r' && bytes.get(at + 1) != Some(&b'\n');
        let text = text
            .char_indices()
            .any(|(at, c)| is_deceptive(c) && !kept(c) && (c != '\r' || lone_cr(at)))
            .then(|| {
                let mut shown = String::with_capacity(text.len());
                for (at, c) in text.char_indices() {
                    if c == '\r' {
                        shown.push(if lone_cr(at) { '\n' } else { '\r' });
                    } else if is_deceptive(c) && !kept(c) {
                        // A placeholder of the same length keeps every offset valid.
                        match c.len_utf8() {
                            1 => shown.push('?'),
                            2 => shown.push('\u{00A4}'),
                            3 => shown.push('\u{FFFD}'),
                            _ => shown.push_str("?\u{FFFD}"),
                        }
                    } else {
                        shown.push(c);
                    }
                }
                shown
            });
        Shown { line_starts, text }
    }

    /// The 0-based line that holds byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// Where 0-based `line` starts (`len` past the last line).
    fn start_of(&self, line: usize, len: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(len)
    }
}

/// `at`, moved back to the start of the character it falls in.
fn char_start(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl SourceCode for SourceFile {
    /// What miette's own `str` implementation returns, found through the line index
    /// (it scans the file from its start for every snippet), with long lines windowed.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let shown = self.shown();
        let text: &'a str = shown.text.as_deref().unwrap_or(&self.text);
        let (offset, len) = (span.offset(), span.len());
        if offset > text.len() || offset.saturating_add(len).saturating_sub(1) > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let lines = shown.line_starts.len();
        let line_len =
            |line: usize| shown.start_of(line + 1, text.len()) - shown.start_of(line, text.len());
        let line = shown.line_of(offset);
        let line_start = shown.start_of(line, text.len());
        let line_end = shown.start_of(line + 1, text.len());
        if line_len(line) > LONG_LINE {
            // A window around the marked text, on this line only.
            let from = if context_lines_before == 0 {
                offset
            } else {
                char_start(text, offset.saturating_sub(WINDOW_CONTEXT).max(line_start))
            };
            let mut to = char_start(
                text,
                offset
                    .saturating_add(len.min(MAX_LABEL) + WINDOW_CONTEXT)
                    .min(line_end),
            )
            .max(from);
            // Never end between the `\r` and the `\n` of a line break.
            if to > from && text.as_bytes()[to - 1] == b'\r' && to < line_end {
                to -= 1;
            }
            return Ok(Box::new(MietteSpanContents::new_named(
                self.path.to_string(),
                &text.as_bytes()[from..to],
                SourceSpan::from((from, to - from)),
                line,
                from - line_start,
                1,
            )));
        }
        // Whole lines: one more than the context lines on either side of the span
        // (miette's scan of the slice keeps what it shows, and it reads an empty span at
        // a line's start, or a span that ends with a line break, as reaching into the
        // line next to it), leaving out context lines that are long.
        let mut first = line;
        while first > 0 && line - first <= context_lines_before && line_len(first - 1) <= LONG_LINE
        {
            first -= 1;
        }
        let last = shown.line_of(offset.saturating_add(len).saturating_sub(1).max(offset));
        let mut end = last + 1;
        while end < lines && end - last <= context_lines_after + 1 && line_len(end) <= LONG_LINE {
            end += 1;
        }
        let window_start = shown.start_of(first, text.len());
        let window: &'a str = &text[window_start..shown.start_of(end, text.len())];
        let relative = SourceSpan::from((offset - window_start, len));
        let contents = window.read_span(&relative, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.path.to_string(),
            contents.data(),
            SourceSpan::from((
                contents.span().offset() + window_start,
                contents.span().len(),
            )),
            contents.line() + first,
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

    /// The marked text as a miette span, at most [`MAX_LABEL`] bytes long.
    pub fn span(&self) -> SourceSpan {
        let mut len = self.len.min(MAX_LABEL);
        while len < self.len && !self.file.text.is_char_boundary(self.offset + len) {
            len += 1;
        }
        SourceSpan::from((self.offset, len))
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

    /// Snippets come out as miette's own scan of the whole text gives them, for every
    /// span of files with short lines (`\n`, `\r\n` and lone `\r` line breaks).
    #[test]
    fn snippets_are_what_miette_finds_in_the_whole_text() {
        let texts = [
            "a: b\nusers:\n  - userName: x\n    bogus: 1\n",
            "one\r\ntwo\r\n\r\nthree",
            "é: ü\n\n\nx\ry\n",
            "",
            "no newline at all",
        ];
        for text in texts {
            let file = SourceFile::new("t.yaml", text);
            // As shown: a lone `\r` is drawn as a `\n` (same offsets, same lines).
            let shown = file
                .shown()
                .text
                .clone()
                .unwrap_or_else(|| text.to_string());
            let whole = shown.as_str();
            for offset in 0..=text.len() {
                for len in 0..=(text.len() - offset).min(6) {
                    for (before, after) in [(0, 0), (1, 1), (2, 3)] {
                        let span = SourceSpan::from((offset, len));
                        let ours = file.read_span(&span, before, after);
                        let theirs = whole.read_span(&span, before, after);
                        match (ours, theirs) {
                            (Ok(ours), Ok(theirs)) => {
                                let what = format!("{text:?} {offset}+{len} ({before}, {after})");
                                assert_eq!(ours.data(), theirs.data(), "{what}");
                                assert_eq!(ours.span(), theirs.span(), "{what}");
                                assert_eq!(ours.line(), theirs.line(), "{what}");
                                assert_eq!(ours.column(), theirs.column(), "{what}");
                                assert_eq!(ours.name(), Some("t.yaml"));
                            }
                            (Err(_), Err(_)) => {}
                            (ours, theirs) => panic!(
                                "{text:?} {offset}+{len}: ours {:?}, miette's {:?}",
                                ours.is_ok(),
                                theirs.is_ok()
                            ),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn long_lines_are_windowed_and_deceptive_characters_replaced() {
        let text = format!("k: {}bad\u{202E}\u{7}\u{AD}\rnext\n", "x".repeat(70_000));
        let file = SourceFile::new("t.yaml", text.as_str());
        let at = text.find("bad").expect("bad");
        let contents = file
            .read_span(&SourceSpan::from((at, 3)), 1, 1)
            .expect("a window");
        assert!(
            contents.data().len() <= 3 + 2 * WINDOW_CONTEXT,
            "{}",
            contents.data().len()
        );
        assert_eq!(contents.line(), 0);
        let shown = String::from_utf8_lossy(contents.data());
        // The lone `\r` ends the line (it is shown as the line break it is).
        assert!(shown.ends_with("bad\u{FFFD}?\u{A4}\n"), "{shown:?}");
        let header = file
            .read_span(&SourceSpan::from((at, 3)), 0, 0)
            .expect("a window");
        assert_eq!((header.line(), header.column()), (0, at));
        // Every offset stays where it was.
        assert_eq!(file.shown().text.as_deref().map(str::len), Some(text.len()));
    }

    #[test]
    fn offsets_count_characters_within_a_line() {
        let file = SourceFile::new("t.yaml", "a: é\nb: c\n");
        assert_eq!(file.offset_of(1, 4), 3);
        assert_eq!(file.offset_of(2, 1), "a: é\n".len());
        assert_eq!(file.offset_of(9, 1), file.text.len());
    }
}
