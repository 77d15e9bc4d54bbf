//! A reader for simple block YAML, the shape that `export` writes and that people write
//! by hand: nested block mappings and lists of one-line plain or quoted scalars, `[]`
//! and `{}` for empty ones, comments and blank lines. It builds the same tree, with the
//! same positions, as the granit parser does, several times faster. It declines
//! ([`Declined`]) anything else: other flow collections, anchors, aliases, tags, merge
//! keys, block and multi-line scalars, escapes, tabs, carriage returns, control
//! characters, directives, document markers past the first line, and every syntax
//! error. A declined file is read by granit (`build`), so every error a user sees still
//! comes from granit; this reader never reports one.
//!
//! Being a second parser at a trust boundary, it is held to one rule: whatever it
//! accepts, granit reads to the same tree ([`super::simple_reader_agrees_with_granit`]).
//! The tests compare the two on generated documents and on their mutations, and the
//! `yaml_readers` fuzz target under coverage guidance; a case of doubt is a reason to
//! decline, never to guess. It also stays within the reader's limits: it declines well
//! before [`MAX_DEPTH`](super::MAX_DEPTH), so the error for a file nested too deep is
//! granit's.

use std::borrow::Cow;

use super::{Entry, Node, Scalar, Value};
use crate::config::origin::Loc;

/// The deepest nesting read here; deeper files go to granit (which refuses past 64).
const MAX_DEPTH: usize = 32;

/// The longest implicit key read here (YAML caps implicit keys at 1 024 characters).
const MAX_KEY: usize = 1000;

/// The file's tree (`None` for a file without content), or [`Declined`] when the file is
/// not simple block YAML and granit must read it.
pub(super) fn read(text: &str) -> Result<Option<Node<'_>>, Declined> {
    if !plain_text(text) || u32::try_from(text.len()).is_err() {
        return Err(Declined);
    }
    Reader::new(text).document()
}

/// Whether `text` holds only characters that need no special care: no tab, carriage
/// return or other control character, no byte-order mark, no line or paragraph
/// separator and no non-character.
fn plain_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.iter().any(|&b| (b < b' ' && b != b'\n') || b == 0x7f) {
        return false;
    }
    if bytes.is_ascii() {
        return true;
    }
    !text.chars().any(|c| {
        matches!(
            c,
            '\u{80}'..='\u{9f}' | '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        )
    })
}

/// The file is not simple block YAML: granit reads it.
#[derive(Debug, PartialEq)]
pub(super) struct Declined;

type Read<T> = Result<T, Declined>;

/// A scalar just read, and what follows it on its line.
struct Scanned<'a> {
    node: Node<'a>,
    /// Where the scalar's text ends (for what may follow on the line).
    after: usize,
    /// Where the `:` that makes it a key is, if it is one.
    colon: Option<usize>,
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The start of the current line.
    start: usize,
    /// The end of the current line (its `\n`, or the end of the text).
    end: usize,
    /// The current line's number, from 1.
    line: u32,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let mut reader = Reader {
            text,
            bytes: text.as_bytes(),
            start: 0,
            end: 0,
            line: 1,
            depth: 0,
        };
        reader.end = reader.line_end(0);
        reader
    }

    fn byte(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(b'\n')
    }

    fn line_end(&self, from: usize) -> usize {
        self.bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.bytes.len(), |at| from + at)
    }

    fn next_line(&mut self) {
        self.start = (self.end + 1).min(self.bytes.len());
        if self.end < self.bytes.len() {
            self.line += 1;
        }
        self.end = self.line_end(self.start);
    }

    fn at_eof(&self) -> bool {
        self.start >= self.bytes.len()
    }

    /// The first position at or after `from` on this line that is not a space.
    fn skip_spaces(&self, from: usize) -> usize {
        let mut at = from;
        while at < self.end && self.byte(at) == b' ' {
            at += 1;
        }
        at
    }

    /// Move to the next line with content (skipping blank and comment-only lines); its
    /// indentation, or `None` at the end of the text. A document marker declines.
    fn next_content(&mut self) -> Read<Option<usize>> {
        loop {
            if self.at_eof() {
                return Ok(None);
            }
            let first = self.skip_spaces(self.start);
            if first < self.end && self.byte(first) != b'#' {
                if first == self.start && self.is_document_marker() {
                    return Err(Declined);
                }
                return Ok(Some(first - self.start));
            }
            self.next_line();
        }
    }

    fn is_document_marker(&self) -> bool {
        let line = self.bytes.get(self.start..self.end).unwrap_or_default();
        (line.starts_with(b"---") || line.starts_with(b"..."))
            && matches!(line.get(3), None | Some(b' '))
    }

    /// Whether a block list entry (`-` then a space or the end of the line) is at `at`.
    fn is_dash(&self, at: usize) -> bool {
        self.byte(at) == b'-' && at < self.end && matches!(self.byte(at + 1), b' ' | b'\n')
    }

    /// Whether the rest of the line from `from` is spaces and perhaps a comment (which
    /// needs a space before it).
    fn rest_is_blank(&self, from: usize) -> bool {
        let at = self.skip_spaces(from);
        at == self.end || (self.byte(at) == b'#' && at > from)
    }

    /// The position `at` on the current line, marking `len` bytes.
    fn loc(&self, at: usize, len: usize) -> Loc {
        let prefix = self.text.get(self.start..at).unwrap_or_default();
        let column = if prefix.is_ascii() {
            prefix.len()
        } else {
            prefix.chars().count()
        };
        Loc {
            offset: to_u32(at),
            len: to_u32(len),
            line: self.line,
            column: to_u32(column + 1),
        }
    }

    fn null(&self, at: usize) -> Node<'a> {
        Node {
            value: Value::Scalar(Scalar {
                text: Cow::Borrowed("~"),
                plain: true,
            }),
            loc: self.loc(at, 0),
        }
    }

    fn document(&mut self) -> Read<Option<Node<'a>>> {
        // Blank and comment lines, then perhaps a `---` line.
        while !self.at_eof() {
            let first = self.skip_spaces(self.start);
            if first < self.end && self.byte(first) != b'#' {
                break;
            }
            self.next_line();
        }
        if !self.at_eof() && self.is_document_marker() {
            self.document_start()?;
        }
        let Some(indent) = self.next_content()? else {
            return Ok(None);
        };
        let node = self.node(self.start + indent)?;
        if matches!(node.value, Value::Scalar(_)) || self.next_content()?.is_some() {
            return Err(Declined);
        }
        Ok(Some(node))
    }

    /// Skip a `---` line (a document start, with at most a comment after it).
    fn document_start(&mut self) -> Read<()> {
        let line = self.bytes.get(self.start..self.end).unwrap_or_default();
        if !line.starts_with(b"---") || !self.rest_is_blank(self.start + 3) {
            return Err(Declined);
        }
        self.next_line();
        Ok(())
    }

    /// The node whose first character is at `at` on the current line, and every line
    /// that belongs to it.
    fn node(&mut self, at: usize) -> Read<Node<'a>> {
        if self.is_dash(at) {
            return self.sequence(at - self.start, false);
        }
        if let Some(empty) = self.empty_collection(at) {
            self.next_line();
            return Ok(empty);
        }
        let scanned = self.scalar(at)?;
        if scanned.colon.is_some() {
            return self.mapping(at - self.start, scanned);
        }
        if !self.rest_is_blank(scanned.after) {
            return Err(Declined);
        }
        self.next_line();
        Ok(scanned.node)
    }

    fn enter(&mut self) -> Read<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Declined);
        }
        Ok(())
    }

    /// A block mapping whose first key (already read) starts at column `indent`.
    fn mapping(&mut self, indent: usize, first: Scanned<'a>) -> Read<Node<'a>> {
        self.enter()?;
        let mut loc = first.node.loc;
        loc.len = 0;
        let mut entries = Vec::new();
        let mut key = first;
        loop {
            let Value::Scalar(scalar) = key.node.value else {
                return Err(Declined);
            };
            let colon = key.colon.ok_or(Declined)?;
            let key_start = key.node.loc.offset as usize;
            if (scalar.plain && scalar.text == "<<") || colon - key_start > MAX_KEY {
                return Err(Declined);
            }
            let value = self.mapping_value(indent, colon)?;
            entries.push(Entry {
                key: scalar.text,
                key_loc: key.node.loc,
                value,
            });
            match self.next_content()? {
                Some(next) if next == indent => {
                    let at = self.start + indent;
                    if self.is_dash(at) {
                        return Err(Declined);
                    }
                    key = self.scalar(at)?;
                }
                Some(next) if next > indent => return Err(Declined),
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(Node {
            value: Value::Map(entries),
            loc,
        })
    }

    /// The value of the key whose `:` is at `colon`, in a mapping at column `indent`.
    fn mapping_value(&mut self, indent: usize, colon: usize) -> Read<Node<'a>> {
        let at = self.skip_spaces(colon + 1);
        if at < self.end && self.byte(at) != b'#' {
            // On the key's line: a scalar and nothing more.
            if self.is_dash(at) {
                return Err(Declined);
            }
            if let Some(empty) = self.empty_collection(at) {
                self.next_line();
                return Ok(empty);
            }
            let scanned = self.scalar(at)?;
            if scanned.colon.is_some() || !self.rest_is_blank(scanned.after) {
                return Err(Declined);
            }
            self.next_line();
            return Ok(scanned.node);
        }
        // On the lines below: a nested collection, a list at the key's column, or null.
        let null = self.null(colon);
        self.next_line();
        match self.next_content()? {
            Some(next) if next > indent => self.collection(self.start + next),
            Some(next) if next == indent && self.is_dash(self.start + next) => {
                self.sequence(indent, true)
            }
            _ => Ok(null),
        }
    }

    /// A node that starts a line of its own under a key or a list entry: a list or a
    /// mapping (a scalar there may continue over lines, which granit reads).
    fn collection(&mut self, at: usize) -> Read<Node<'a>> {
        let node = self.node(at)?;
        if matches!(node.value, Value::Scalar(_)) {
            return Err(Declined);
        }
        Ok(node)
    }

    /// A block list whose `-` entries are at column `indent`. An indentless list (the
    /// value of a key at the same column) is marked where its first entry's content
    /// starts, as granit marks it.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Read<Node<'a>> {
        self.enter()?;
        let dash = self.start + indent;
        let mut loc = self.loc(dash, 0);
        let mut items = Vec::new();
        loop {
            let dash = self.start + indent;
            let at = self.skip_spaces(dash + 1);
            let item = if at < self.end && self.byte(at) != b'#' {
                if indentless && items.is_empty() {
                    loc = self.loc(at, 0);
                }
                self.node(at)?
            } else {
                let null = self.null(self.end);
                if indentless && items.is_empty() {
                    loc = null.loc;
                }
                self.next_line();
                match self.next_content()? {
                    Some(next) if next > indent => self.collection(self.start + next)?,
                    _ => null,
                }
            };
            items.push(item);
            match self.next_content()? {
                Some(next) if next == indent => {
                    if !self.is_dash(self.start + indent) {
                        if indentless {
                            break;
                        }
                        return Err(Declined);
                    }
                }
                Some(next) if next > indent => return Err(Declined),
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(Node {
            value: Value::Seq(items),
            loc,
        })
    }

    /// The empty list `[]` or empty mapping `{}` at `at`, alone on the rest of its line
    /// (what `export` writes for a group without members).
    fn empty_collection(&self, at: usize) -> Option<Node<'a>> {
        let value = match (self.byte(at), self.byte(at + 1)) {
            (b'[', b']') => Value::Seq(Vec::new()),
            (b'{', b'}') => Value::Map(Vec::new()),
            _ => return None,
        };
        self.rest_is_blank(at + 2).then(|| Node {
            value,
            loc: self.loc(at, 0),
        })
    }

    /// The one-line scalar at `at`: plain, single-quoted, or double-quoted without
    /// escapes.
    fn scalar(&self, at: usize) -> Read<Scanned<'a>> {
        match self.byte(at) {
            b'\'' | b'"' => self.quoted(at),
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'%' | b'@' | b'`' | b' ' | b'\n' => Err(Declined),
            _ => self.plain(at),
        }
    }

    fn plain(&self, at: usize) -> Read<Scanned<'a>> {
        let mut content_end = at;
        let mut colon = None;
        let mut i = at;
        while i < self.end {
            match self.byte(i) {
                b' ' => {
                    if self.byte(i + 1) == b'#' {
                        break;
                    }
                }
                b':' if matches!(self.byte(i + 1), b' ' | b'\n') => {
                    colon = Some(i);
                    break;
                }
                _ => content_end = i + 1,
            }
            i += 1;
        }
        let text = self.text.get(at..content_end).ok_or(Declined)?;
        Ok(Scanned {
            node: Node {
                value: Value::Scalar(Scalar {
                    text: Cow::Borrowed(text),
                    plain: true,
                }),
                loc: self.loc(at, content_end - at),
            },
            after: content_end,
            colon,
        })
    }

    fn quoted(&self, at: usize) -> Read<Scanned<'a>> {
        let quote = self.byte(at);
        let body = at + 1;
        let mut i = body;
        let mut doubled = false;
        let close = loop {
            if i >= self.end {
                return Err(Declined);
            }
            match self.byte(i) {
                b'\\' if quote == b'"' => return Err(Declined),
                b'\'' if quote == b'\'' && self.byte(i + 1) == b'\'' && i + 1 < self.end => {
                    doubled = true;
                    i += 2;
                    continue;
                }
                b if b == quote => break i,
                _ => {}
            }
            i += 1;
        };
        let raw = self.text.get(body..close).ok_or(Declined)?;
        let text = if doubled {
            Cow::Owned(raw.replace("''", "'"))
        } else {
            Cow::Borrowed(raw)
        };
        let after = close + 1;
        let next = self.skip_spaces(after);
        let colon = (self.byte(next) == b':' && matches!(self.byte(next + 1), b' ' | b'\n'))
            .then_some(next);
        Ok(Scanned {
            node: Node {
                value: Value::Scalar(Scalar { text, plain: false }),
                loc: self.loc(at, after - at),
            },
            after,
            colon,
        })
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
