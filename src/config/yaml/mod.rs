//! Reading YAML: the text of one file into a tree of located nodes (`Node`), built from
//! the events of the granit parser (the YAML parser of serde-saphyr, re-exported by it).
//!
//! Why a tree and not serde: the decoder needs to see every key (to report every unknown
//! key, wrong type and duplicate key in one run, with both places of a duplicate), and the
//! event parser is several times faster than typed deserialization, which a 100 000-user
//! directory needs. This module resolves what YAML itself defines — anchors and aliases,
//! merge keys (`<<`), the core-schema tags — and enforces the reader's limits: one
//! document per file, nesting at most [`MAX_DEPTH`] deep, and alias expansion of at most
//! [`MAX_ALIAS_NODES`] nodes, so an alias bomb fails fast and never allocates its
//! expansion. It knows nothing of scimform's keys; that is `decode`.
//!
//! This file holds the tree and the core schema; `simple` reads simple block YAML straight
//! into the tree, `build` turns granit's events into it (for everything else), `errors`
//! turns granit's errors into diagnostics.

mod build;
mod errors;
mod simple;

use std::borrow::Cow;

use super::origin::Loc;

use super::diagnostic::ConfigError;
use super::origin::SourceFile;

/// Read `file` into a tree. `Ok(None)` for a file without content (empty, or comments
/// only). On a syntax error or a breached limit, the one error that stops the reader.
/// Simple block YAML is read by [`simple`]; everything else, and every error, by granit.
pub(super) fn read(file: &SourceFile) -> Result<Option<Node<'_>>, ConfigError> {
    match simple::read(&file.text) {
        Ok(tree) => Ok(tree),
        Err(simple::Declined) => build::read(file),
    }
}

/// Whether the simple reader reads `text`; when it does, granit must read `text` to the
/// same tree, positions included, and this panics if it does not. The property that the
/// simple reader's tests and the `yaml_readers` fuzz target hold it to.
#[doc(hidden)]
pub fn simple_reader_agrees_with_granit(text: &str) -> bool {
    let Ok(simple) = simple::read(text) else {
        return false;
    };
    let file = SourceFile::new("t.yaml", text);
    match build::read(&file) {
        Ok(granit) => assert!(
            simple == granit,
            "the simple YAML reader and granit differ on {text:?}:\n{simple:#?}\n{granit:#?}"
        ),
        Err(error) => panic!(
            "the simple YAML reader accepted what granit refuses ({}): {text:?}",
            error.message
        ),
    }
    true
}

/// The deepest nesting of lists and mappings a file may have.
pub const MAX_DEPTH: usize = 64;

/// The most nodes that aliases may copy in one file (a defence against alias bombs:
/// an honest file copies a few anchors a few times).
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// A YAML node and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Node<'a> {
    pub value: Value<'a>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value<'a> {
    Scalar(Scalar<'a>),
    Seq(Vec<Node<'a>>),
    Map(Vec<Entry<'a>>),
}

/// A scalar's text and whether YAML's core schema still has to say what it is (a plain,
/// untagged scalar may be null, a boolean or a number; a quoted one is always a string).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Scalar<'a> {
    pub text: Cow<'a, str>,
    pub plain: bool,
}

/// One `key: value` of a mapping, in source order. Repeated keys are kept (the decoder
/// reports them with both places); merged (`<<`) entries follow the explicit ones.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Entry<'a> {
    pub key: Cow<'a, str>,
    pub key_loc: Loc,
    pub value: Node<'a>,
}

/// What a scalar is under YAML's core schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Resolved<'s> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'s str),
}

impl Scalar<'_> {
    /// The scalar under the core schema (YAML 1.2): `~`/`null`/empty are null,
    /// `true`/`false` booleans, decimal/`0x`/`0o` integers and decimal floats numbers;
    /// everything else, and every quoted scalar, a string.
    pub(super) fn resolve(&self) -> Resolved<'_> {
        let text = self.text.as_ref();
        if !self.plain {
            return Resolved::Str(text);
        }
        match text {
            "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
            "true" | "True" | "TRUE" => return Resolved::Bool(true),
            "false" | "False" | "FALSE" => return Resolved::Bool(false),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
                return Resolved::Float(f64::INFINITY);
            }
            "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
            _ => {}
        }
        if let Some(int) = resolve_int(text) {
            return Resolved::Int(int);
        }
        if is_float(text)
            && let Ok(float) = text.parse::<f64>()
        {
            return Resolved::Float(float);
        }
        Resolved::Str(text)
    }
}

fn resolve_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| i64::from_str_radix(hex, 16).ok())
            .flatten();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return (!oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .then(|| i64::from_str_radix(oct, 8).ok())
            .flatten();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(fraction) => {
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !whole.is_empty() && digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

impl Node<'_> {
    /// A short description of what the node is, for "found …" in messages.
    pub(super) fn describe(&self) -> String {
        match &self.value {
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
            Value::Scalar(scalar) => match scalar.resolve() {
                Resolved::Null => "no value (null)".to_string(),
                Resolved::Bool(b) => format!("the boolean `{b}`"),
                Resolved::Int(_) | Resolved::Float(_) => format!("the number `{}`", scalar.text),
                Resolved::Str(s) => format!("the string `{}`", abbreviate(s)),
            },
        }
    }
}

/// At most 40 characters of `text`, on one line.
pub(super) fn abbreviate(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests;
