//! Building the tree from the parser's events: anchors and aliases (with the expansion
//! and depth limits), merge keys, core-schema tags, one document per file.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::errors::scan_error;
use super::{Entry, MAX_ALIAS_NODES, MAX_DEPTH, Node, Resolved, Scalar, Value};
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::origin::{Loc, SourceFile};

/// Read `file` into a tree with granit. `Ok(None)` for a file without content (empty, or
/// comments only). On a syntax error or a breached limit, the one error that stops the
/// reader.
pub(super) fn read(file: &SourceFile) -> Result<Option<Node<'_>>, ConfigError> {
    let options = serde_saphyr::granit_parser::options! {
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH,
        disallow_directives: false,
    };
    let mut builder = Builder {
        text: &file.text,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
    };
    let mut parser = Parser::new_from_str_with_options(&file.text, options);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(file, &e))?;
        if matches!(event, Event::StreamEnd) {
            break;
        }
        builder
            .event(event, &span)
            .map_err(|problem| problem.into_error(file))?;
    }
    Ok(builder.root)
}

/// A problem found while building the tree, before it is bound to its file.
struct Problem {
    kind: ConfigErrorKind,
    message: String,
    label: &'static str,
    help: String,
    loc: Loc,
}

impl Problem {
    fn into_error(self, file: &SourceFile) -> ConfigError {
        ConfigError::new(self.kind, self.message)
            .at_loc(file, self.loc, self.label)
            .help(self.help)
    }
}

/// An anchored node, with what copying it costs.
struct Anchored<'a> {
    node: Node<'a>,
    size: usize,
    height: usize,
}

struct Frame<'a> {
    loc: Loc,
    anchor: usize,
    size: usize,
    height: usize,
    kind: FrameKind<'a>,
}

enum FrameKind<'a> {
    Seq(Vec<Node<'a>>),
    Map {
        entries: Vec<Entry<'a>>,
        /// The key read, waiting for its value; `true` for a merge key (`<<`).
        key: Option<(Cow<'a, str>, Loc, bool)>,
        merges: Vec<Node<'a>>,
    },
}

struct Builder<'a> {
    text: &'a str,
    stack: Vec<Frame<'a>>,
    anchors: HashMap<usize, Anchored<'a>>,
    alias_nodes: usize,
    root: Option<Node<'a>>,
}

impl<'a> Builder<'a> {
    fn event(&mut self, event: Event<'a>, span: &Span) -> Result<(), Problem> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let loc = self.loc(span);
                let mut plain = style == ScalarStyle::Plain;
                if let Some(tag) = &tag {
                    match tag.core_suffix() {
                        Some("str") => plain = false,
                        Some("int" | "float" | "bool" | "null") => plain = true,
                        _ => return Err(self.unsupported_tag(tag, span, "a scalar")),
                    }
                }
                let node = Node {
                    value: Value::Scalar(Scalar { text, plain }),
                    loc,
                };
                if anchor != 0 {
                    self.anchor(anchor, &node, 1, 0);
                }
                self.push(node, 1, 0)
            }
            Event::SequenceStart(_, anchor, tag) => {
                if let Some(tag) = &tag
                    && tag.core_suffix() != Some("seq")
                {
                    return Err(self.unsupported_tag(tag, span, "a list"));
                }
                self.open(span, anchor, FrameKind::Seq(Vec::new()))
            }
            Event::MappingStart(_, anchor, tag) => {
                if let Some(tag) = &tag
                    && tag.core_suffix() != Some("map")
                {
                    return Err(self.unsupported_tag(tag, span, "a mapping"));
                }
                let kind = FrameKind::Map {
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                };
                self.open(span, anchor, kind)
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(id) => self.alias(id, span),
            _ => Ok(()),
        }
    }

    /// The position of `span`'s start, marking its text up to the end of that line.
    fn loc(&self, span: &Span) -> Loc {
        let start = span.start.byte_offset().unwrap_or(0).min(self.text.len());
        let end = span
            .end
            .byte_offset()
            .unwrap_or(start)
            .clamp(start, self.text.len());
        let len = if span.end.line() == span.start.line() && self.text.is_char_boundary(end) {
            // One line (most nodes): the span is the text.
            end - start
        } else {
            let marked = self.text.get(start..end).unwrap_or("");
            let first_line = marked.find(['\n', '\r']).unwrap_or(marked.len());
            marked[..first_line].trim_end().len()
        };
        Loc {
            offset: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(len).unwrap_or(0),
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }

    fn unsupported_tag(&self, tag: &Tag, span: &Span, what: &str) -> Problem {
        let mut at = *span;
        if let Some(tag_start) = span.tag_start {
            at.start = tag_start;
        }
        let mut loc = self.loc(&at);
        loc.len = 0;
        Problem {
            kind: ConfigErrorKind::Yaml,
            message: format!(
                "the YAML tag `{}{}` is not supported on {what}",
                tag.original_handle(),
                tag.suffix()
            ),
            label: "unsupported tag",
            help: "remove the tag: scimform reads plain YAML (only `!!str`, `!!int`, `!!float`, \
                   `!!bool` and `!!null` are understood)"
                .to_string(),
            loc,
        }
    }

    fn open(&mut self, span: &Span, anchor: usize, kind: FrameKind<'a>) -> Result<(), Problem> {
        let mut loc = self.loc(span);
        // A collection is marked by its first token (see `Origin::of`).
        loc.len = 0;
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep(loc));
        }
        self.stack.push(Frame {
            loc,
            anchor,
            size: 1,
            height: 0,
            kind,
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), Problem> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let value = match frame.kind {
            FrameKind::Seq(items) => Value::Seq(items),
            FrameKind::Map {
                mut entries,
                key,
                merges,
            } => {
                if let Some((key, key_loc, _)) = key {
                    // A key without a value (cannot come from the parser, but be total).
                    entries.push(Entry {
                        key,
                        key_loc,
                        value: Node {
                            value: Value::Scalar(Scalar {
                                text: Cow::Borrowed(""),
                                plain: true,
                            }),
                            loc: key_loc,
                        },
                    });
                }
                merge(&mut entries, merges)?;
                Value::Map(entries)
            }
        };
        let node = Node {
            value,
            loc: frame.loc,
        };
        if frame.anchor != 0 {
            self.anchor(frame.anchor, &node, frame.size, frame.height);
        }
        self.push(node, frame.size, frame.height)
    }

    fn anchor(&mut self, id: usize, node: &Node<'a>, size: usize, height: usize) {
        self.anchors.insert(
            id,
            Anchored {
                node: node.clone(),
                size,
                height,
            },
        );
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), Problem> {
        let loc = self.loc(span);
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(Problem {
                kind: ConfigErrorKind::Yaml,
                message: "this alias refers to an anchor that is not defined before it".into(),
                label: "unknown anchor",
                help: "define the anchor (`&name`) before the alias (`*name`) that uses it".into(),
                loc,
            });
        };
        if self.stack.len() + anchored.height >= MAX_DEPTH {
            return Err(too_deep(loc));
        }
        self.alias_nodes = self.alias_nodes.saturating_add(anchored.size);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Problem {
                kind: ConfigErrorKind::YamlLimit,
                message: format!(
                    "aliases in this file expand to more than {MAX_ALIAS_NODES} nodes \
                     (an \"alias bomb\")"
                ),
                label: "the expansion passes the limit here",
                help: "write the values out, or use `defaults:` for values that every user \
                       shares; aliases may copy at most a million nodes per file"
                    .to_string(),
                loc,
            });
        }
        let (size, height) = (anchored.size, anchored.height);
        let mut node = anchored.node.clone();
        node.loc = loc;
        self.push(node, size, height)
    }

    fn push(&mut self, node: Node<'a>, size: usize, height: usize) -> Result<(), Problem> {
        let Some(frame) = self.stack.last_mut() else {
            return self.set_root(node);
        };
        frame.size = frame.size.saturating_add(size);
        frame.height = frame.height.max(height + 1);
        match &mut frame.kind {
            FrameKind::Seq(items) => items.push(node),
            FrameKind::Map {
                entries,
                key,
                merges,
            } => match key.take() {
                None => {
                    let Value::Scalar(scalar) = node.value else {
                        return Err(Problem {
                            kind: ConfigErrorKind::Yaml,
                            message: "a mapping key must be a string, not a list or mapping".into(),
                            label: "complex key",
                            help: "write keys as plain words, e.g. `displayName:`".into(),
                            loc: node.loc,
                        });
                    };
                    let merge = scalar.plain && scalar.text == "<<";
                    *key = Some((scalar.text, node.loc, merge));
                }
                Some((_, _, true)) => merges.push(node),
                Some((key, key_loc, false)) => entries.push(Entry {
                    key,
                    key_loc,
                    value: node,
                }),
            },
        }
        Ok(())
    }

    fn set_root(&mut self, node: Node<'a>) -> Result<(), Problem> {
        let empty = matches!(&node.value, Value::Scalar(s) if s.resolve() == Resolved::Null);
        if empty {
            return Ok(());
        }
        if self.root.is_some() {
            return Err(Problem {
                kind: ConfigErrorKind::Yaml,
                message: "this file holds a second YAML document".into(),
                label: "second document",
                help: "a file holds one document: remove the `---` line to merge them, or move \
                       the second into its own file and list it under `include:`"
                    .to_string(),
                loc: node.loc,
            });
        }
        self.root = Some(node);
        Ok(())
    }
}

fn too_deep(loc: Loc) -> Problem {
    Problem {
        kind: ConfigErrorKind::YamlLimit,
        message: format!("lists and mappings nest more than {MAX_DEPTH} levels deep here"),
        label: "too deep",
        help: "a scimform file needs a handful of levels: check the indentation and brackets"
            .to_string(),
        loc,
    }
}

/// Apply merge keys: entries of the merged mappings whose keys the mapping does not set
/// itself are appended (an earlier merged mapping wins over a later one).
fn merge<'a>(entries: &mut Vec<Entry<'a>>, merges: Vec<Node<'a>>) -> Result<(), Problem> {
    if merges.is_empty() {
        return Ok(());
    }
    let mut seen: HashSet<String> = entries.iter().map(|e| e.key.to_string()).collect();
    for source in merges {
        let maps = match source.value {
            Value::Map(map) => vec![map],
            Value::Seq(items) => {
                let mut maps = Vec::with_capacity(items.len());
                for item in items {
                    match item.value {
                        Value::Map(map) => maps.push(map),
                        _ => return Err(bad_merge(item.loc)),
                    }
                }
                maps
            }
            Value::Scalar(_) => return Err(bad_merge(source.loc)),
        };
        for map in maps {
            for entry in map {
                if seen.insert(entry.key.to_string()) {
                    entries.push(entry);
                }
            }
        }
    }
    Ok(())
}

fn bad_merge(loc: Loc) -> Problem {
    Problem {
        kind: ConfigErrorKind::Yaml,
        message: "a merge key (`<<`) needs a mapping or a list of mappings".into(),
        label: "not a mapping",
        help: "merge an anchored mapping, e.g. `<<: *common`".into(),
        loc,
    }
}
