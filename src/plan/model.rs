//! The `Plan`: a typed, ordered list of changes that `diff` computes, renderers read and
//! `apply` executes. It is plain data (serde), so a plan can be saved and shown again.
//!
//! No logic that decides what changes lives here; only the shape and small accessors.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the plan's file format.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Everything `apply` will do, in the order it will do it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// The SCIM base URL the plan was computed against.
    pub target: String,
    /// Digest of the configuration files the plan was computed from.
    pub config_digest: String,
    pub changes: Vec<Change>,
    /// Live resources that no file declares, left as they are by the policy.
    pub unmanaged: Unmanaged,
    /// Things the reviewer should know that are not changes (ambiguities, oddities).
    pub notes: Vec<String>,
}

/// Counts of live resources the configuration does not manage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    pub users: usize,
    pub groups: usize,
}

/// One change to one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    CreateUser {
        user_name: String,
        /// The declared attributes, in SCIM form (without `userName` and `schemas`).
        attributes: Map<String, Value>,
        /// The enterprise extension's manager (a declared user).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        manager: Option<MemberRef>,
    },
    UpdateUser {
        id: String,
        user_name: String,
        attributes: Vec<AttributeChange>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        manager: Option<ManagerChange>,
    },
    CreateGroup {
        display_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
        members: Vec<MemberRef>,
    },
    UpdateGroup {
        id: String,
        display_name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attributes: Vec<AttributeChange>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        add_members: Vec<MemberRef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove_members: Vec<MemberRef>,
    },
}

/// Which of create / update / destroy a change counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Destroy,
}

impl Change {
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::CreateUser { .. } | Change::CreateGroup { .. } => ChangeKind::Create,
            Change::UpdateUser { .. } | Change::UpdateGroup { .. } => ChangeKind::Update,
        }
    }

    /// `user alice@acme.test`, `group engineering`.
    pub fn address(&self) -> String {
        match self {
            Change::CreateUser { user_name, .. } | Change::UpdateUser { user_name, .. } => {
                format!("user {user_name}")
            }
            Change::CreateGroup { display_name, .. } | Change::UpdateGroup { display_name, .. } => {
                format!("group {display_name}")
            }
        }
    }
}

/// A top-level attribute whose live value differs from the declared one. For complex
/// attributes (`name`) `new` is the live value with the declared sub-attributes laid
/// over it, so that a replace keeps sub-attributes the YAML does not manage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    pub path: String,
    /// The live value; `None` when the directory has none.
    pub old: Option<Value>,
    pub new: Value,
}

/// A new manager for a user (enterprise extension `manager.value`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManagerChange {
    /// The live manager; `None` when the user has none.
    pub old: Option<MemberRef>,
    pub new: MemberRef,
}

/// A group member as the plan names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MemberRef {
    /// The member's name: a user's userName (or a group's displayName for a nested
    /// group). `None` for a live member value that matches no user or group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The SCIM id; `None` for a user this plan creates (known only during apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "MemberType::is_user")]
    pub r#type: MemberType,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MemberType {
    #[default]
    User,
    Group,
}

impl MemberType {
    fn is_user(&self) -> bool {
        *self == MemberType::User
    }
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.kind() {
                ChangeKind::Create => summary.create += 1,
                ChangeKind::Update => summary.update += 1,
                ChangeKind::Destroy => summary.destroy += 1,
            }
        }
        summary
    }

    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}
