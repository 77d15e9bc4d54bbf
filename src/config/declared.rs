//! The declared model: what the configuration says the directory should be, after
//! loading and validation, with the origin of every entry.
//!
//! Attributes are kept as SCIM JSON holding only what the YAML wrote, so that "left out"
//! (unmanaged) and "explicitly empty" stay distinct all the way to the diff, and so the
//! same value serves as the body of a create. Nothing here talks to a server or decides
//! what changes.

use std::sync::Arc;

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::attributes::{AttributeValue, Attributes};
use super::origin::Origin;

/// The whole declared state plus the target it is meant for.
#[derive(Debug)]
pub struct Declared {
    pub target: DeclaredTarget,
    pub policy: Policy,
    pub users: Vec<DeclaredUser>,
    pub groups: Vec<DeclaredGroup>,
    /// `sha256:` and SHA-256 (lowercase hex) over every loaded file in load order — the root file,
    /// then the included files sorted — each by its path inside the config directory and
    /// its bytes: the same files give the same digest wherever scimform runs from.
    pub digest: String,
    /// Problems that do not stop a plan (errors under `validate --strict`), in file and
    /// position order.
    pub warnings: Vec<super::ConfigError>,
}

impl Declared {
    /// A configuration that declares nothing.
    pub fn empty(digest: String) -> Declared {
        Declared {
            target: DeclaredTarget::default(),
            policy: Policy::default(),
            users: Vec::new(),
            groups: Vec::new(),
            digest,
            warnings: Vec::new(),
        }
    }
}

/// The `target:` section as written (environment overrides are applied by the CLI).
#[derive(Debug, Default, Clone)]
pub struct DeclaredTarget {
    pub url: Option<String>,
    pub profile: Option<String>,
    pub token_env: Option<String>,
    /// `target.options`: overrides of provider-profile fields, as written.
    pub options: Map<String, Value>,
    /// `target.atlassian`: access to the Atlassian organisation, when configured.
    pub atlassian: Option<DeclaredAtlassian>,
}

/// `target.atlassian`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAtlassian {
    pub org_id: String,
    /// The variable that holds the organisation API key (never the key itself).
    pub admin_token_env: String,
}

/// The organisation API key's variable when `admin_token_env` is left out.
pub const DEFAULT_ATLASSIAN_ADMIN_TOKEN_ENV: &str = "SCIMFORM_ATLASSIAN_ADMIN_TOKEN";

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
    /// Patterns of live userNames that scimform never touches (`*` any run of
    /// characters, `?` one character, case-insensitive: match with
    /// [`name_matches`](super::name_matches)). No declared user matches one (validation
    /// refuses that).
    pub ignore_users: Vec<String>,
    /// Patterns of live group displayNames, likewise.
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

/// What happens to a live user that no file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum UnmanagedUsers {
    /// Leave it as it is (the plan counts it).
    Ignore,
    /// Set `active: false`: the account stays, but cannot sign in.
    Deactivate,
    /// Delete it.
    Delete,
}

/// What happens to a live group that no file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum UnmanagedGroups {
    /// Leave it as it is (the plan counts it).
    Ignore,
    /// Delete it.
    Delete,
}

/// An attribute by which a declared user finds its live account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "camelCase")]
pub enum MatchUsersBy {
    /// The userName, case-insensitively.
    UserName,
    /// The primary email, case-insensitively.
    Email,
    /// The externalId, exactly.
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
    /// Exactly as written — not trimmed: a live userName with a space at either end is
    /// matched only by a declared one with the same space, as the diff compares names
    /// (validation warns about such names). Unique among declared users
    /// case-insensitively.
    pub user_name: std::sync::Arc<str>,
    /// The managed attributes in SCIM form, only those that the YAML (or `defaults:`)
    /// sets, in the SCIM schema's order: `externalId`, `displayName`, `name` {…},
    /// `nickName`, `title`, `userType`, `preferredLanguage`, `locale`, `timezone`,
    /// `active`, `emails` [{value, type, primary}], `phoneNumbers` [{value, type,
    /// primary}], the enterprise extension under [`ENTERPRISE_SCHEMA`] {employeeNumber,
    /// costCenter, organization, division, department}, then other extensions under
    /// their URN as written. `userName` and the enterprise `manager` are not here. The
    /// `email:` shorthand and `defaults.emails_from_userName` give one primary email
    /// (with `defaults.email_type` as its type, where set).
    pub attributes: Attributes,
    /// The enterprise extension's `manager`: the userName of a declared user, in that
    /// user's own casing (the YAML may name the manager by userName or email, in any
    /// case), resolved to a SCIM id by the diff. Manager chains never form a cycle.
    pub manager: Option<String>,
    /// Former userNames: a live user found under one of these is renamed, not recreated.
    /// Only names that can take effect (not the user's own, not repeated, not another
    /// declared user's; no two users share one).
    pub previously: Vec<String>,
    /// Where the userName is written: the file's path and the position (the model does
    /// not keep the file's text, so this names a place but shows no snippet).
    pub origin: Origin,
}

impl DeclaredUser {
    /// Email addresses the YAML gives for this user, as written.
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .get("emails")
            .and_then(AttributeValue::items)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("value").and_then(AttributeValue::as_str))
    }
}

/// A group the configuration declares.
#[derive(Debug, Clone)]
pub struct DeclaredGroup {
    /// Exactly as written (not trimmed, like userNames).
    pub display_name: String,
    pub external_id: Option<String>,
    /// Members in the order written, without duplicates: users by their declared userName
    /// (resolved from an email where the YAML named one), nested groups by their declared
    /// displayName. `None`: membership is not managed; `Some(vec![])`: no members.
    /// Nested groups never form a cycle.
    pub members: Option<Vec<MemberName>>,
    pub membership: Membership,
    /// Marked as granting privileged access (reviewers' attention; guards).
    pub privileged: bool,
    /// The group must keep at least this many members.
    pub min_members: Option<u32>,
    /// Former displayNames: a live group found under one of these is renamed (only
    /// names that can take effect, as for users).
    pub previously: Vec<String>,
    /// Where the displayName is written (named, without the file's text, as for users).
    pub origin: Origin,
}

/// A declared member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberName {
    /// A declared user's userName (a userName or email, or `{user: NAME}`, in the YAML).
    User(MemberUser),
    /// A declared group's displayName (`group:NAME` or `{group: NAME}` in the YAML).
    Group(std::sync::Arc<str>),
}

/// A declared user as a group names it: the user's userName, shared with
/// [`DeclaredUser::user_name`] by every group that lists the user (a million memberships
/// are a million pointers, not a million strings), and, from validation, the user's
/// position in [`Declared::users`], so that the diff finds the user without a lookup by
/// name. The position is only a shortcut: it is used when the user at that position has
/// this very text, and otherwise the name is looked up. Two `MemberUser`s are equal when
/// their names are; a `MemberUser` made from a name alone has no position.
#[derive(Clone)]
pub struct MemberUser {
    name: Arc<str>,
    position: u32,
}

impl MemberUser {
    /// The name as validation found it, naming `Declared::users[position]`.
    pub(crate) fn declared(name: Arc<str>, position: usize) -> MemberUser {
        MemberUser {
            name,
            position: u32::try_from(position).unwrap_or(u32::MAX),
        }
    }

    /// The shared text.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Where validation found the user in `Declared::users`, if it did.
    pub fn position(&self) -> Option<usize> {
        (self.position != u32::MAX).then_some(self.position as usize)
    }
}

impl From<&str> for MemberUser {
    fn from(name: &str) -> MemberUser {
        MemberUser {
            name: Arc::from(name),
            position: u32::MAX,
        }
    }
}

impl std::ops::Deref for MemberUser {
    type Target = str;

    fn deref(&self) -> &str {
        &self.name
    }
}

impl PartialEq for MemberUser {
    fn eq(&self, other: &MemberUser) -> bool {
        self.name == other.name
    }
}

impl Eq for MemberUser {}

impl std::hash::Hash for MemberUser {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl std::fmt::Debug for MemberUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.name, f)
    }
}

/// Whether the declared members are all the members, or only some that must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Membership {
    /// Members the file does not list are removed.
    #[default]
    Authoritative,
    /// Listed members are added; others are left alone.
    Additive,
}

/// The schema URN of the core User resource.
pub(super) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// The schema URN of the enterprise User extension: the key of its attributes in
/// [`DeclaredUser::attributes`].
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
