//! Configuration: loading `scimform.yaml` and the files it includes, the declared model
//! with the origin of every entry, validation that reports every mistake at once with
//! <file:line:col>, a snippet and advice, and the JSON Schema of the file format.
//!
//! The pipeline is `source` (read files: size and UTF-8 checks) → `yaml` (a tree of
//! located nodes; aliases, merge keys and limits) → `decode` (the file model, per file:
//! unknown keys, types, values) → `validate` (across entries and files: duplicates,
//! references, cycles, target and policy) → [`Declared`]. `load` drives it: the root
//! file first, then the included files (`glob`) on all cores (`parallel`), each with its
//! `digest`. Problems are `ConfigError`s (`diagnostic`, `kind`) at an `Origin` (`origin`).
//!
//! This module is offline: it never reads the live directory and never decides what
//! changes; it only says what the files declare, or why they cannot be used.

mod attributes;
mod declared;
mod decode;
mod diagnostic;
mod digest;
mod glob;
mod kind;
mod load;
mod model;
mod names;
mod origin;
pub(crate) mod parallel;
mod source;
mod suggest;
mod validate;
mod yaml;

pub use attributes::{
    ArrayWriter, AttributeValue, Attributes, FieldIter, Fields, ItemIter, Items, NumberValue,
    ObjectWriter, PackedValue,
};
pub use declared::{
    DEFAULT_ATLASSIAN_ADMIN_TOKEN_ENV, Declared, DeclaredAtlassian, DeclaredGroup, DeclaredTarget,
    DeclaredUser, ENTERPRISE_SCHEMA, MatchUsersBy, MaxDestroy, MemberName, MemberUser, Membership,
    Policy, UnmanagedGroups, UnmanagedUsers,
};
pub use diagnostic::{ConfigError, ConfigErrors, ConfigWarnings, SHOWN_IN_FULL, omitted_summary};
pub use glob::name_matches;
pub use kind::{ConfigErrorKind, Severity};
pub use load::{PendingLoad, ROOT_FILE, load_dir, load_files, load_str};
pub use model::ConfigFile;
pub use names::{escape_deceptive, is_deceptive};
pub(crate) use names::{fold_name, same_name};
pub use origin::{Loc, Origin, SourceFile};
pub use source::{MAX_FILE_BYTES, MAX_FILE_BYTES_ENV, max_file_bytes};
pub use yaml::{MAX_ALIAS_NODES, MAX_DEPTH, simple_reader_agrees_with_granit};

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

/// The JSON Schema (draft-07) of `scimform.yaml` and the files it includes,
/// pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let mut settings = SchemaSettings::draft07();
    // Before the draft-07 transforms, which move `$ref` siblings into `allOf`.
    settings
        .transforms
        .insert(0, Box::new(RecursiveTransform(no_null)));
    let schema = settings
        .into_generator()
        .into_root_schema_for::<ConfigFile>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Optional keys may be left out but not written as `null` (scimform refuses a key
/// without a value, so that "unmanaged" is always spelt by leaving the key out): drop the
/// `null` that schemars adds for `Option`.
fn no_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
    }
    let null = serde_json::json!({ "type": "null" });
    if let Some(Value::Array(any_of)) = object.get("anyOf")
        && any_of.len() == 2
        && any_of.contains(&null)
    {
        let other = any_of.iter().find(|s| **s != null).cloned();
        object.remove("anyOf");
        if let Some(Value::Object(other)) = other {
            for (key, value) in other {
                object.entry(key).or_insert(value);
            }
        }
    }
}
