//! Configuration: loading `scimform.yaml`, the declared model with the origin of every
//! entry, validation that reports every mistake at once with file:line:col, and the JSON
//! Schema of the file format.
//!
//! This module is offline: it never reads the live directory and never decides what
//! changes; it only says what the files declare, or why they cannot be used.

mod declared;
mod diagnostic;
mod load;
mod model;
mod validate;

pub use declared::{
    Declared, DeclaredGroup, DeclaredTarget, DeclaredUser, MatchUsersBy, MaxDestroy, MemberName,
    Membership, Policy, UnmanagedGroups, UnmanagedUsers,
};
pub use diagnostic::{ConfigError, ConfigErrorKind, ConfigErrors, Origin, SourceFile};
pub use load::{MAX_FILE_BYTES, ROOT_FILE, load_dir, load_str};
pub use model::ConfigFile;

/// The JSON Schema (draft-07) of `scimform.yaml`, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<ConfigFile>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
