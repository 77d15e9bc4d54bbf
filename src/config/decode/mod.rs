//! Decoding: a file's YAML tree (`yaml::Node`) into the file model (`model::ConfigFile`),
//! reporting every unknown key (with "did you mean"), duplicate key (both places), missing
//! key, wrong type and malformed value of the file — all of them, not the first.
//!
//! A value with a problem is left out of the model and decoding carries on, so one run
//! shows every mistake of every file. This module looks at one file at a time; checks
//! across entries or files (duplicates, references) are `validate`'s.

mod group;
mod sections;
mod user;
mod values;

pub(super) use user::is_email;

use std::fmt;

use super::diagnostic::ConfigError;
use super::kind::ConfigErrorKind;
use super::model::ConfigFile;
use super::origin::{Loc, SourceFile};
use super::suggest::closest;
use super::yaml::{Entry, Node, Resolved, Value, abbreviate};

/// Decode the tree of `file` (`None`: a file without content). `root` says whether it is
/// `scimform.yaml` (which may hold every key) or an included file (users and groups).
pub(super) fn decode_file(
    file: &SourceFile,
    node: Option<&Node<'_>>,
    root: bool,
) -> (ConfigFile, Vec<ConfigError>) {
    let mut decoder = Decoder {
        file,
        problems: Vec::new(),
    };
    let config = sections::config_file(&mut decoder, node, root);
    (config, decoder.problems)
}

/// The decoder's state: the file it reads and the problems found so far.
pub(super) struct Decoder<'f> {
    pub file: &'f SourceFile,
    pub problems: Vec<ConfigError>,
}

/// A mapping's entries by key (the first of repeated keys), after unknown and duplicate
/// keys have been reported.
pub(super) struct Fields<'n, 'a> {
    keys: &'static [&'static str],
    found: [Option<&'n Entry<'a>>; MAX_KEYS],
    pub loc: Loc,
}

/// The most keys a mapping of the format has (a user has 17).
const MAX_KEYS: usize = 24;

impl<'n, 'a> Fields<'n, 'a> {
    /// The entry for `key` (one of the keys the mapping was decoded with).
    pub(super) fn get(&self, key: &str) -> Option<&'n Entry<'a>> {
        let index = self.keys.iter().position(|k| *k == key)?;
        self.found.get(index).copied().flatten()
    }
}

impl Decoder<'_> {
    pub(super) fn report(
        &mut self,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        loc: Loc,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.problems.push(
            ConfigError::new(kind, message)
                .at_loc(self.file, loc, label)
                .help(help),
        );
    }

    /// Report that `node`, which `subject` names (e.g. "`title`"), is not `expected`.
    fn wrong_type(&mut self, subject: &dyn fmt::Display, expected: &str, node: &Node<'_>) {
        let help = format!("write {expected} here");
        self.wrong_type_with(subject, expected, help, node);
    }

    /// [`Decoder::wrong_type`] with advice of the caller's own.
    fn wrong_type_with(
        &mut self,
        subject: &dyn fmt::Display,
        expected: &str,
        help: String,
        node: &Node<'_>,
    ) {
        let (message, help) = match &node.value {
            Value::Scalar(s) if s.resolve() == Resolved::Null => (
                format!("{subject} has no value"),
                format!("give it {expected}, or remove the key to leave it unmanaged"),
            ),
            _ => (
                format!("{subject} should be {expected}, but is {}", node.describe()),
                help,
            ),
        };
        self.report(
            ConfigErrorKind::WrongType,
            message,
            node.loc,
            format!("expected {expected}"),
            help,
        );
    }

    /// Report that `node` should have been a mapping with `keys` (`what` says of what).
    fn not_a_mapping(
        &mut self,
        subject: &dyn fmt::Display,
        what: &str,
        keys: &[&str],
        node: &Node<'_>,
    ) {
        let example = match keys {
            [first, second, ..] => format!("`{{ {first}: …, {second}: … }}`"),
            [only] => format!("`{{ {only}: … }}`"),
            [] => "`{ key: value }`".to_string(),
        };
        let help = format!("write {what} as a mapping of keys, e.g. {example}");
        self.wrong_type_with(subject, "a mapping", help, node);
    }

    /// Report a key written without a value (`title:`), at the key; `true` if it was.
    pub(super) fn without_value(&mut self, entry: &Entry<'_>) -> bool {
        let null = matches!(&entry.value.value, Value::Scalar(s) if s.resolve() == Resolved::Null);
        if null {
            self.report(
                ConfigErrorKind::WrongType,
                format!("{} has no value", Key(&entry.key)),
                entry.key_loc,
                "no value",
                "give it a value, or remove the key to leave the attribute unmanaged",
            );
        }
        null
    }

    /// Check that `node` (which `subject` names) is a mapping whose keys are among `keys`;
    /// report unknown keys (suggesting the closest known key) and repeated keys.
    pub(super) fn fields<'n, 'a>(
        &mut self,
        subject: &dyn fmt::Display,
        node: &'n Node<'a>,
        what: &str,
        keys: &'static [&'static str],
    ) -> Option<Fields<'n, 'a>> {
        self.fields_except(subject, node, what, keys, &[])
    }

    /// [`Decoder::fields`] of the value of `entry` (a key without a value is reported at
    /// the key).
    pub(super) fn entry_fields<'n, 'a>(
        &mut self,
        entry: Option<&'n Entry<'a>>,
        what: &str,
        keys: &'static [&'static str],
    ) -> Option<Fields<'n, 'a>> {
        let entry = entry.filter(|e| !self.without_value(e))?;
        self.fields(&Key(&entry.key), &entry.value, what, keys)
    }

    /// [`Decoder::fields`], passing over the keys in `skip` (reported elsewhere).
    pub(super) fn fields_except<'n, 'a>(
        &mut self,
        subject: &dyn fmt::Display,
        node: &'n Node<'a>,
        what: &str,
        keys: &'static [&'static str],
        skip: &[&str],
    ) -> Option<Fields<'n, 'a>> {
        let Value::Map(entries) = &node.value else {
            self.not_a_mapping(subject, what, keys, node);
            return None;
        };
        let mut found: [Option<&'n Entry<'a>>; MAX_KEYS] = [None; MAX_KEYS];
        for entry in entries {
            match keys
                .iter()
                .position(|k| *k == entry.key)
                .filter(|i| *i < MAX_KEYS)
            {
                Some(index) => match found[index] {
                    Some(first) => self.duplicate_key(first, entry),
                    None => found[index] = Some(entry),
                },
                None if skip.contains(&entry.key.as_ref()) => {}
                None => self.unknown_key(entry, what, keys),
            }
        }
        Some(Fields {
            keys,
            found,
            loc: node.loc,
        })
    }

    fn unknown_key(&mut self, entry: &Entry<'_>, what: &str, keys: &[&str]) {
        let help = match closest(&entry.key, keys.iter().copied()) {
            Some(known) => format!("did you mean `{known}`?"),
            None => format!(
                "{what} may have: {}",
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.report(
            ConfigErrorKind::UnknownKey,
            format!("unknown key `{}` in {what}", abbreviate(&entry.key)),
            entry.key_loc,
            "unknown key",
            help,
        );
    }

    fn duplicate_key(&mut self, first: &Entry<'_>, again: &Entry<'_>) {
        let note = ConfigError::note(
            ConfigErrorKind::DuplicateKey,
            format!("`{}` is first given here", abbreviate(&first.key)),
        )
        .at_loc(self.file, first.key_loc, "first given here");
        self.problems.push(
            ConfigError::new(
                ConfigErrorKind::DuplicateKey,
                format!("`{}` is given twice in one mapping", abbreviate(&again.key)),
            )
            .at_loc(self.file, again.key_loc, "given again here")
            .help("a key may appear once in a mapping: remove one of them, or merge them")
            .with_related(note),
        );
    }
}

/// A key as the subject of a message: "`title`" (formatted only when a message is).
pub(super) struct Key<'a>(pub &'a str);

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", abbreviate(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::sections::{
        ATLASSIAN_KEYS, DEFAULTS_KEYS, ENTERPRISE_DEFAULTS_KEYS, IGNORE_KEYS, MAX_DESTROY_KEYS,
        POLICY_KEYS, TARGET_KEYS,
    };
    use super::user::{EMAIL_KEYS, ENTERPRISE_KEYS, NAME_KEYS, PHONE_NUMBER_KEYS, USER_KEYS};
    use crate::config::model::ROOT_KEYS;

    /// The decoder reads exactly the keys that the JSON Schema documents, in its order.
    #[test]
    fn decoder_keys_are_the_schema_keys() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::config::json_schema()).expect("the schema is JSON");
        let keys = |node: &serde_json::Value| -> Vec<String> {
            node["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default()
        };
        let definition = |name: &str| keys(&schema["definitions"][name]);
        assert_eq!(keys(&schema), ROOT_KEYS);
        for (name, decoded) in [
            ("TargetSection", TARGET_KEYS),
            ("AtlassianSection", ATLASSIAN_KEYS),
            ("PolicySection", POLICY_KEYS),
            ("MaxDestroySection", MAX_DESTROY_KEYS),
            ("IgnoreSection", IGNORE_KEYS),
            ("DefaultsSection", DEFAULTS_KEYS),
            ("EnterpriseDefaults", ENTERPRISE_DEFAULTS_KEYS),
            ("UserEntry", USER_KEYS),
            ("NameEntry", NAME_KEYS),
            ("EmailEntry", EMAIL_KEYS),
            ("PhoneNumberEntry", PHONE_NUMBER_KEYS),
            ("EnterpriseEntry", ENTERPRISE_KEYS),
            ("GroupEntry", super::group::GROUP_KEYS),
        ] {
            assert_eq!(definition(name), decoded, "{name}");
            assert!(decoded.len() <= super::MAX_KEYS, "{name}");
        }
    }
}
