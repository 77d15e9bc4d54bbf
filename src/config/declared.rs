//! The declared model: what the configuration says the directory should be, after
//! loading and validation, with the origin of every entry.
//!
//! Attributes are kept as SCIM JSON holding only what the YAML wrote, so that "left out"
//! (unmanaged) and "explicitly empty" stay distinct all the way to the diff, and so the
//! same value serves as the body of a create. Nothing here talks to a server or decides
//! what changes.

use serde_json::{Map, Value};

use super::diagnostic::Origin;

/// The whole declared state plus the target it is meant for.
#[derive(Debug)]
pub struct Declared {
    pub target: DeclaredTarget,
    pub users: Vec<DeclaredUser>,
    pub groups: Vec<DeclaredGroup>,
    /// A digest of the configuration's files, in load order (path and bytes).
    pub digest: String,
}

/// The `target:` section as written (environment overrides are applied by the CLI).
#[derive(Debug, Default, Clone)]
pub struct DeclaredTarget {
    pub url: Option<String>,
    pub profile: Option<String>,
    pub token_env: Option<String>,
}

/// A user the configuration declares.
#[derive(Debug, Clone)]
pub struct DeclaredUser {
    pub user_name: String,
    /// The managed attributes in SCIM form (`displayName`, `name`, `emails`, …), only those
    /// that the YAML sets. `userName` is not repeated here.
    pub attributes: Map<String, Value>,
    pub origin: Origin,
}

impl DeclaredUser {
    /// Email addresses the YAML gives for this user, as written.
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .get("emails")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("value").and_then(Value::as_str))
    }
}

/// A group the configuration declares.
#[derive(Debug, Clone)]
pub struct DeclaredGroup {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Members by the userName of a declared user (resolved from an email where the YAML
    /// named one), in the order written, without duplicates. `None`: membership is not
    /// managed.
    pub members: Option<Vec<String>>,
    pub origin: Origin,
}
