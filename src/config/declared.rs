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
    pub policy: Policy,
    pub users: Vec<DeclaredUser>,
    pub groups: Vec<DeclaredGroup>,
    /// A digest of the configuration's files, in load order (path and bytes).
    pub digest: String,
    /// Problems that do not stop a plan (errors under `validate --strict`).
    pub warnings: Vec<super::ConfigError>,
}

/// The `target:` section as written (environment overrides are applied by the CLI).
#[derive(Debug, Default, Clone)]
pub struct DeclaredTarget {
    pub url: Option<String>,
    pub profile: Option<String>,
    pub token_env: Option<String>,
    /// `target.options`: overrides of provider-profile fields, as written.
    pub options: Map<String, Value>,
}

/// What to do with what the files do not declare, and the safety limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub unmanaged_users: UnmanagedUsers,
    pub unmanaged_groups: UnmanagedGroups,
    /// How a declared user finds its live account, in order.
    pub match_users_by: Vec<MatchUsersBy>,
    pub max_destroy: MaxDestroy,
    /// userNames (case-insensitive) that a plan may never deactivate, delete or remove
    /// from a group without `--force`.
    pub protected_users: Vec<String>,
    /// Group displayNames (case-insensitive) likewise protected.
    pub protected_groups: Vec<String>,
    /// Globs of live userNames / group displayNames that scimform never touches.
    pub ignore_users: Vec<String>,
    pub ignore_groups: Vec<String>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            unmanaged_users: UnmanagedUsers::Ignore,
            unmanaged_groups: UnmanagedGroups::Ignore,
            match_users_by: vec![MatchUsersBy::UserName],
            max_destroy: MaxDestroy::default(),
            protected_users: Vec::new(),
            protected_groups: Vec::new(),
            ignore_users: Vec::new(),
            ignore_groups: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmanagedUsers {
    Ignore,
    Deactivate,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmanagedGroups {
    Ignore,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchUsersBy {
    UserName,
    Email,
    ExternalId,
}

/// The most a plan may destroy or deactivate without `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MaxDestroy {
    pub count: Option<u32>,
    pub percent: Option<f64>,
}

/// A user the configuration declares.
#[derive(Debug, Clone)]
pub struct DeclaredUser {
    pub user_name: String,
    /// The managed attributes in SCIM form (`displayName`, `name`, `emails`, the enterprise
    /// extension and other extensions under their schema URN, …), only those that the
    /// YAML (or `defaults:`) sets. `userName` and the enterprise `manager` are not here.
    pub attributes: Map<String, Value>,
    /// The enterprise extension's `manager`, as the userName of a declared user (resolved
    /// to a SCIM id by the diff).
    pub manager: Option<String>,
    /// Former userNames: a live user found under one of these is renamed, not recreated.
    pub previously: Vec<String>,
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
    /// Members in the order written, without duplicates: users by their declared userName
    /// (resolved from an email where the YAML named one), nested groups by their declared
    /// displayName. `None`: membership is not managed.
    pub members: Option<Vec<MemberName>>,
    pub membership: Membership,
    /// Marked as granting privileged access (reviewers' attention; guards).
    pub privileged: bool,
    /// The group must keep at least this many members.
    pub min_members: Option<u32>,
    /// Former displayNames: a live group found under one of these is renamed.
    pub previously: Vec<String>,
    pub origin: Origin,
}

/// A declared member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberName {
    /// A declared user's userName.
    User(String),
    /// A declared group's displayName (`group:NAME` in the YAML).
    Group(String),
}

/// Whether the declared members are all the members, or only some that must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Membership {
    /// Members the file does not list are removed.
    #[default]
    Authoritative,
    /// Listed members are added; others are left alone.
    Additive,
}
