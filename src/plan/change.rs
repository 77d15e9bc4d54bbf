//! One planned change to one user or group: a common header (address, action, live id,
//! reason, fingerprint, flags) and what the action needs (attribute changes, a manager,
//! member changes). Every field says *what* happens; apply decides only *how*.
//!
//! Plain data; the few accessors here only read it.

use std::sync::Arc;

use crate::config::PackedValue;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A change to one user or group.
// What few changes carry (a fingerprint, a manager, a match by another key, a linked
// account) is boxed: a first import plans 100 000 creates, and each is this struct.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// `user alice@acme.test`, `group engineering`.
    pub address: String,
    pub resource: ResourceType,
    /// The name the change gives the object: the declared userName or displayName, or
    /// the live name of an object the files do not declare.
    pub name: String,
    pub action: Action,
    /// The live object's id (for a replace, the group that is deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why the change is planned, in a sentence.
    pub reason: String,
    /// The live state the change was computed from (absent for creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Box<Fingerprint>>,
    /// Counts against `policy.max_destroy`: a deactivation, a deletion, a replacement, or
    /// a removal of members from a privileged group.
    pub destructive: bool,
    /// The group is marked `privileged`.
    pub privileged: bool,
    /// The object is in `policy.protected_users` / `protected_groups`.
    pub protected: bool,
    /// How the change was matched to its live object, when not by its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<Box<MatchedBy>>,
    /// Attribute changes. For a create, every attribute it is created with (`old` absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
    /// A new manager (enterprise extension), for users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Box<ManagerChange>>,
    /// Member changes, for groups.
    #[serde(default, skip_serializing_if = "MemberChanges::is_empty")]
    pub members: MemberChanges,
    /// For a link: the existing Atlassian account the new SCIM user is linked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_account: Option<Box<LinkedAccount>>,
}

/// An existing Atlassian account that a user create links (by its email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkedAccount {
    pub account_id: String,
    pub name: String,
    /// `active`, `inactive`, `closed`.
    pub status: String,
}

/// Users and groups.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    User,
    Group,
}

impl ResourceType {
    pub fn noun(self) -> &'static str {
        match self {
            ResourceType::User => "user",
            ResourceType::Group => "group",
        }
    }
}

/// What a change does to its object.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new user or group.
    Create,
    /// A new SCIM user that links an existing account with its email (Atlassian: an
    /// account created by SAML just-in-time provisioning joins the SCIM directory).
    Link,
    /// A declared user matched to a live account by a secondary key (email, externalId),
    /// with the changes that make it the declared user (its userName included).
    Adopt,
    /// Attribute or membership changes in place.
    Update,
    /// A new userName or displayName in place (`previously:`, or matched by externalId).
    Rename,
    /// Delete and create again, where the provider cannot change the object in place (a
    /// group rename on Atlassian): the new group carries the members the plan lists.
    Replace,
    /// `active: false`: the account stays but cannot sign in.
    Deactivate,
    /// `active: true` for an account that is deactivated.
    Reactivate,
    /// `DELETE` (what it means for users depends on the provider: `Capabilities`).
    Delete,
}

impl Action {
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Link => "link",
            Action::Adopt => "adopt",
            Action::Update => "update",
            Action::Rename => "rename",
            Action::Replace => "replace",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::Delete => "delete",
        }
    }
}

/// The secondary key that matched a declared user to a live account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchedBy {
    /// `email`, `externalId`, or `previously` (a former name).
    pub key: String,
    /// The value that matched.
    pub value: String,
}

/// The live state a change was computed from. Apply reads the object again before the
/// first write and refuses the plan when the digest no longer matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// `sha256:…` over the object's id, name, `active` (users), the compared attributes
    /// and (groups) the member ids, in a canonical form.
    pub digest: String,
    /// The attributes the digest covers besides the name and `active` (users) or
    /// `externalId` (groups), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// Users: `active` as read (`None`: not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Groups: how many members the group had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<usize>,
    /// The server's `meta.version` (`ETag`), sent as `If-Match` where it is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A top-level attribute whose live value differs from the declared one. For complex
/// attributes (`name`) `new` is the live value with the declared sub-attributes laid
/// over it, so that a replace keeps sub-attributes the YAML does not manage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeChange {
    pub path: String,
    /// The live value; absent when the directory has none (and for creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<PackedValue>,
    pub new: PackedValue,
}

/// A new manager for a user (enterprise extension `manager.value`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagerChange {
    /// The live manager; absent when the user has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<MemberRef>,
    pub new: MemberRef,
}

/// The members a change adds, removes and (for a replace) carries over.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChanges {
    /// Members added (for a create or a replace: the new group's members that it did not
    /// have before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<MemberRef>,
    /// Members removed (for a delete: every member the group had).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<MemberRef>,
    /// For a replace: the live members the new group carries over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<MemberRef>,
}

impl MemberChanges {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.keep.is_empty()
    }
}

/// A group member (or a manager) as the plan names it.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct MemberRef {
    /// The member's name: a user's userName (or a group's displayName for a nested
    /// group). Absent for a live member value that matches no user or group.
    // Shared with the declared model: a million memberships name their users without a
    // copy of each name.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "shared_name")]
    #[schemars(with = "Option<String>")]
    pub name: Option<Arc<str>>,
    /// The SCIM id as the server lists it; absent for an object this plan creates (known
    /// only during apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "MemberType::is_user")]
    pub r#type: MemberType,
}

/// What a member is.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MemberType {
    #[default]
    User,
    Group,
}

impl MemberType {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
    fn is_user(&self) -> bool {
        *self == MemberType::User
    }
}

impl Change {
    /// What the human plan lists first, in a block of its own: destructive changes and
    /// any change to a privileged or protected object.
    pub fn needs_attention(&self) -> bool {
        self.destructive || self.privileged || self.protected
    }

    /// The attribute change of `path`, if the change has one.
    pub fn attribute(&self, path: &str) -> Option<&AttributeChange> {
        self.attributes.iter().find(|a| a.path == path)
    }
}

/// `MemberRef::name` as the plan file writes it: a string.
mod shared_name {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // serde's `with` passes a reference to the field
    pub(super) fn serialize<S: Serializer>(
        name: &Option<Arc<str>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match name {
            Some(name) => serializer.serialize_some(&**name),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<str>>, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.map(Arc::from))
    }
}
