//! Decoding values: strings, booleans, numbers, keywords, lists and free-form mappings
//! (passed through as JSON), each with a located error when the value has the wrong
//! type or form.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Number, Value as Json};

use super::{Decoder, Key};
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{Located, Text};
use crate::config::suggest::closest;
use crate::config::yaml::{Entry, Node, Resolved, Value, abbreviate};

impl Decoder<'_> {
    /// A string value. Numbers are taken as written (`employeeNumber: 0042` is "0042").
    pub(crate) fn string(&mut self, entry: Option<&Entry<'_>>) -> Option<String> {
        self.located_string(entry).map(|s| s.value)
    }

    pub(crate) fn located_string(&mut self, entry: Option<&Entry<'_>>) -> Option<Located<String>> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        self.string_node(&Key(&entry.key), &entry.value)
    }

    /// The string that `node` holds, or a reported error. `subject` names the value.
    pub(crate) fn string_node(
        &mut self,
        subject: &dyn fmt::Display,
        node: &Node<'_>,
    ) -> Option<Located<String>> {
        if let Value::Scalar(scalar) = &node.value {
            match scalar.resolve() {
                Resolved::Str(_) | Resolved::Int(_) | Resolved::Float(_) => {
                    return Some(Located::new(scalar.text.to_string(), node.loc));
                }
                Resolved::Bool(b) => {
                    self.report(
                        ConfigErrorKind::WrongType,
                        format!("{subject} should be a string, but is the boolean `{b}`"),
                        node.loc,
                        "expected a string",
                        format!("quote it if you mean the text: \"{}\"", scalar.text),
                    );
                    return None;
                }
                Resolved::Null => {}
            }
        }
        self.wrong_type(subject, "a string", node);
        None
    }

    /// [`Decoder::string_node`], without a copy where the file writes the string verbatim.
    pub(crate) fn text_node(
        &mut self,
        subject: &dyn fmt::Display,
        node: &Node<'_>,
    ) -> Option<Located<Text>> {
        if let Value::Scalar(scalar) = &node.value {
            let (start, len) = (node.loc.offset as usize, node.loc.len as usize);
            let written = self.file.text.get(start..start + len);
            let plain_string = scalar.plain
                && matches!(
                    scalar.resolve(),
                    Resolved::Str(_) | Resolved::Int(_) | Resolved::Float(_)
                );
            if plain_string && written == Some(scalar.text.as_ref()) {
                let text = Text::Span {
                    offset: node.loc.offset,
                    len: node.loc.len,
                };
                return Some(Located::new(text, node.loc));
            }
        }
        let owned = self.string_node(subject, node)?;
        Some(Located::new(
            Text::Owned(owned.value.into_boxed_str()),
            owned.loc,
        ))
    }

    pub(crate) fn boolean(&mut self, entry: Option<&Entry<'_>>) -> Option<bool> {
        self.located_bool(entry).map(|b| b.value)
    }

    pub(crate) fn located_bool(&mut self, entry: Option<&Entry<'_>>) -> Option<Located<bool>> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        let node = &entry.value;
        if let Value::Scalar(scalar) = &node.value {
            match scalar.resolve() {
                Resolved::Bool(b) => return Some(Located::new(b, node.loc)),
                Resolved::Str(text) => {
                    let lower = text.to_ascii_lowercase();
                    let help = if !scalar.plain && (lower == "true" || lower == "false") {
                        format!("remove the quotes: {lower}")
                    } else if ["yes", "no", "on", "off", "y", "n"].contains(&lower.as_str()) {
                        "write `true` or `false` (YAML 1.2 reads `yes`, `no`, `on` and `off` \
                         as text)"
                            .to_string()
                    } else {
                        "write `true` or `false`".to_string()
                    };
                    self.report(
                        ConfigErrorKind::WrongType,
                        format!(
                            "`{}` should be `true` or `false`, but is {}",
                            entry.key,
                            node.describe()
                        ),
                        node.loc,
                        "expected true or false",
                        help,
                    );
                    return None;
                }
                _ => {}
            }
        }
        self.wrong_type(&Key(&entry.key), "`true` or `false`", node);
        None
    }

    /// A whole number from 0 to 4 294 967 295.
    pub(crate) fn count(&mut self, entry: Option<&Entry<'_>>) -> Option<Located<u32>> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        let node = &entry.value;
        if let Value::Scalar(scalar) = &node.value {
            match scalar.resolve() {
                Resolved::Int(n) => {
                    if let Ok(n) = u32::try_from(n) {
                        return Some(Located::new(n, node.loc));
                    }
                    self.report(
                        ConfigErrorKind::InvalidValue,
                        format!("`{}` is {n}, out of range", entry.key),
                        node.loc,
                        "out of range",
                        "write a whole number from 0 to 4294967295",
                    );
                    return None;
                }
                Resolved::Float(_) => {
                    self.report(
                        ConfigErrorKind::InvalidValue,
                        format!(
                            "`{}` should be a whole number, but is {}",
                            entry.key, scalar.text
                        ),
                        node.loc,
                        "not a whole number",
                        "write a whole number, e.g. 3",
                    );
                    return None;
                }
                _ => {}
            }
        }
        self.wrong_type(&Key(&entry.key), "a whole number", node);
        None
    }

    /// A number (whole or not).
    pub(crate) fn number(&mut self, entry: Option<&Entry<'_>>) -> Option<Located<f64>> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        let node = &entry.value;
        if let Value::Scalar(scalar) = &node.value {
            match scalar.resolve() {
                Resolved::Int(n) => return Some(Located::new(n as f64, node.loc)),
                Resolved::Float(f) if f.is_finite() => return Some(Located::new(f, node.loc)),
                _ => {}
            }
        }
        self.wrong_type(&Key(&entry.key), "a number", node);
        None
    }

    /// One of `choices` (a keyword), or a reported error that lists them.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        entry: Option<&Entry<'_>>,
        choices: &[(&'static str, T)],
    ) -> Option<T> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        self.choice_node(&Key(&entry.key), &entry.value, choices)
    }

    pub(crate) fn choice_node<T: Copy>(
        &mut self,
        subject: &dyn fmt::Display,
        node: &Node<'_>,
        choices: &[(&'static str, T)],
    ) -> Option<T> {
        let names: Vec<String> = choices.iter().map(|(n, _)| format!("`{n}`")).collect();
        let expected = format!("one of {}", names.join(", "));
        let Value::Scalar(scalar) = &node.value else {
            self.wrong_type(subject, &expected, node);
            return None;
        };
        if let Some((_, value)) = choices.iter().find(|(n, _)| *n == scalar.text) {
            return Some(*value);
        }
        if scalar.resolve() == Resolved::Null {
            self.wrong_type(subject, &expected, node);
            return None;
        }
        let help = match closest(&scalar.text, choices.iter().map(|(n, _)| *n)) {
            Some(near) => format!("did you mean `{near}`? Write {expected}"),
            None => format!("write {expected}"),
        };
        self.report(
            ConfigErrorKind::InvalidValue,
            format!(
                "`{}` is not a valid value for {subject}",
                abbreviate(&scalar.text)
            ),
            node.loc,
            "not a valid value",
            help,
        );
        None
    }

    /// A list whose items `item` decodes (items it rejects are left out). `None` where the
    /// value is not a list (reported).
    pub(crate) fn list<'n, 'a, T>(
        &mut self,
        entry: Option<&'n Entry<'a>>,
        what: &str,
        mut item: impl FnMut(&mut Self, &'n Node<'a>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        let Value::Seq(items) = &entry.value.value else {
            let help = match &entry.value.value {
                Value::Scalar(scalar) if scalar.resolve() != Resolved::Null => format!(
                    "write a list: `[{text}]`, or one `- {text}` per line below the key",
                    text = abbreviate(&scalar.text)
                ),
                _ => "write a list: `[first, second]`, or one `- item` per line below the key"
                    .to_string(),
            };
            let expected = format!("a list {what}");
            self.wrong_type_with(&Key(&entry.key), &expected, help, &entry.value);
            return None;
        };
        Some(items.iter().filter_map(|node| item(self, node)).collect())
    }

    /// A list of non-empty strings.
    pub(crate) fn string_list(
        &mut self,
        entry: Option<&Entry<'_>>,
        what: &str,
    ) -> Option<Vec<Located<String>>> {
        let key = entry.map(|e| e.key.to_string()).unwrap_or_default();
        let item_key = format!("each entry of `{key}`");
        self.list(entry, what, |d, node| {
            let s = d.string_node(&item_key, node)?;
            if s.value.trim().is_empty() {
                d.report(
                    ConfigErrorKind::EmptyName,
                    format!("an entry of `{key}` is empty"),
                    node.loc,
                    "empty",
                    "remove the empty entry",
                );
                return None;
            }
            Some(s)
        })
    }

    /// The entries of a free-form mapping (duplicates reported, the first kept).
    pub(crate) fn free_map<'n, 'a>(
        &mut self,
        subject: &dyn fmt::Display,
        node: &'n Node<'a>,
        what: &str,
    ) -> Option<Vec<&'n Entry<'a>>> {
        let Value::Map(entries) = &node.value else {
            self.not_a_mapping(subject, what, &[], node);
            return None;
        };
        let mut first: HashMap<&str, &Entry<'a>> = HashMap::new();
        let mut unique = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(earlier) = first.get(entry.key.as_ref()) {
                self.duplicate_key(earlier, entry);
            } else {
                first.insert(&entry.key, entry);
                unique.push(entry);
            }
        }
        Some(unique)
    }

    /// A mapping passed through as a JSON object.
    pub(crate) fn json_object(
        &mut self,
        name: &dyn fmt::Display,
        node: &Node<'_>,
        what: &str,
    ) -> Option<Map<String, Json>> {
        let entries = self.free_map(name, node, what)?;
        let mut map = Map::new();
        for entry in entries {
            if let Some(value) = self.json(&Key(&entry.key), &entry.value) {
                map.insert(entry.key.to_string(), value);
            }
        }
        Some(map)
    }

    /// Any YAML value as JSON (scalars resolved by the core schema).
    pub(crate) fn json(&mut self, subject: &dyn fmt::Display, node: &Node<'_>) -> Option<Json> {
        match &node.value {
            Value::Scalar(scalar) => match scalar.resolve() {
                Resolved::Null => Some(Json::Null),
                Resolved::Bool(b) => Some(Json::Bool(b)),
                Resolved::Int(n) => Some(Json::Number(Number::from(n))),
                Resolved::Float(f) => {
                    if let Some(n) = Number::from_f64(f) {
                        Some(Json::Number(n))
                    } else {
                        self.report(
                            ConfigErrorKind::InvalidValue,
                            format!("{subject} is `{}`, which JSON cannot carry", scalar.text),
                            node.loc,
                            "not a finite number",
                            "write a finite number, or quote the value to send it as text",
                        );
                        None
                    }
                }
                Resolved::Str(s) => Some(Json::String(s.to_string())),
            },
            Value::Seq(items) => Some(Json::Array(
                items
                    .iter()
                    .filter_map(|item| self.json(subject, item))
                    .collect(),
            )),
            Value::Map(_) => self.json_object(subject, node, "a value").map(Json::Object),
        }
    }
}
