//! The file format: what `scimform.yaml` and the files it includes may contain, as Rust
//! types that the decoder fills and that the JSON Schema is generated from.
//!
//! The types mirror the YAML one to one (SCIM's camelCase names where SCIM has them,
//! `snake_case` for scimform's own keys), and every field's doc comment is its description
//! in the schema, so editors show it. Values that diagnostics point at carry their
//! position (`Located`). An attribute that the YAML leaves out is `None` (unmanaged: never
//! compared, never sent); an explicit empty list is `Some(vec![])` ("none").
//!
//! Nothing here checks anything: per-value checks happen while decoding (`decode`),
//! cross-entry checks in `validate`.

mod entries;
mod sections;

use std::borrow::Cow;

use schemars::{JsonSchema, SchemaGenerator};

pub(super) use entries::{
    EmailEntry, EnterpriseEntry, Extensions, GroupEntry, MemberEntry, MemberForm, MemberList,
    NameEntry, PhoneNumberEntry, UserEntry,
};
pub(super) use sections::{
    AtlassianSection, DefaultsSection, EnterpriseDefaults, IgnoreSection, MaxDestroySection,
    PolicySection, TargetSection,
};

use super::origin::Loc;

/// A value and where it was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Located<T> {
    pub fn new(value: T, loc: Loc) -> Located<T> {
        Located { value, loc }
    }
}

/// In the schema a located value is just its value.
impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// A string from a file, kept as a span of the file's text where the YAML writes the
/// value verbatim (a plain scalar), else as its own copy: a million member references
/// then cost no allocation each.
#[derive(Clone, Debug, PartialEq)]
pub enum Text {
    Span { offset: u32, len: u32 },
    Owned(Box<str>),
}

impl Text {
    /// The string, given the text of the file it comes from.
    pub fn as_str<'t>(&'t self, source: &'t str) -> &'t str {
        match self {
            Text::Span { offset, len } => {
                let start = *offset as usize;
                source.get(start..start + *len as usize).unwrap_or("")
            }
            Text::Owned(text) => text,
        }
    }
}

impl JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

/// A scimform configuration file. The root file, `scimform.yaml`, may use every key;
/// files that it includes hold only `users` and `groups`.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, title = "scimform configuration")]
pub struct ConfigFile {
    /// The SCIM service provider that this configuration describes (root file only).
    pub target: Option<TargetSection>,
    /// What scimform may do to users and groups that no file declares, and the safety
    /// limits of a plan (root file only).
    pub policy: Option<PolicySection>,
    /// Values applied to every declared user that does not set them itself (root file only).
    pub defaults: Option<DefaultsSection>,
    /// More files that declare users and groups: glob patterns relative to the directory of
    /// `scimform.yaml` (`*` and `?` match within one directory, `**` any number of
    /// directories), expanded in sorted order. Each pattern must match at least one file
    /// inside that directory. Root file only; included files hold `users` and `groups`.
    #[schemars(example = include_example())]
    pub include: Option<Vec<Located<String>>>,
    /// The users that should exist, with the attributes scimform manages.
    #[schemars(default)]
    pub users: Vec<UserEntry>,
    /// The groups that should exist, with their members.
    #[schemars(default)]
    pub groups: Vec<GroupEntry>,
    /// Where the file's content starts (for problems with the file as a whole).
    #[schemars(skip)]
    pub loc: Loc,
}

fn include_example() -> serde_json::Value {
    serde_json::json!(["users/*.yaml", "groups/*.yaml"])
}

/// The keys a file may have at its top level, in schema order.
pub(super) const ROOT_KEYS: &[&str] =
    &["target", "policy", "defaults", "include", "users", "groups"];

/// The top-level keys an included file may have.
pub(super) const INCLUDED_KEYS: &[&str] = &["users", "groups"];
