//! The `Live` snapshot: users and groups as the directory has them — ids, names and
//! member ids pulled out, and the rest of each resource kept as compact JSON text
//! ([`ResourceJson`]) that is parsed only when an attribute is compared or exported.
//!
//! A directory of a hundred thousand users held as JSON trees costs gigabytes' worth of
//! small allocations; held as text it costs about its size on the wire. Member ids are
//! packed per group ([`MemberIds`]). This file defines the snapshot; it reads nothing from
//! the network.

use std::fmt;

use serde_json::Value;

use super::member_ids::MemberIds;
use super::page::{GroupReader, UserReader};
use crate::scim::{ScimId, parse_with};

/// A resource as read, without `meta`, `schemas` and a user's `groups` (and a group's
/// `members`, which are kept apart), as compact JSON text. Always a JSON object.
#[derive(Clone, PartialEq, Eq)]
pub struct ResourceJson(Box<str>);

impl ResourceJson {
    /// Text that the page reader assembled from validated pieces: `{`, then
    /// `"key":value` pairs separated by commas, then `}`.
    pub(super) fn from_assembled(text: String) -> ResourceJson {
        ResourceJson(text.into_boxed_str())
    }

    /// The resource as a JSON tree.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).expect("a ResourceJson holds a JSON object")
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ResourceJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as the directory has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveUser {
    pub id: ScimId,
    pub user_name: String,
    /// `meta.version` (the `ETag`), when the server gives one.
    pub version: Option<Box<str>>,
    /// The resource as read, for comparing declared attributes.
    pub json: ResourceJson,
}

impl LiveUser {
    /// The resource as read (without `meta`, `schemas` and `groups`).
    pub fn resource(&self) -> Value {
        self.json.to_value()
    }
}

/// A group as the directory has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveGroup {
    pub id: ScimId,
    pub display_name: String,
    /// Member ids (`members[].value`), as the server lists them, without duplicates.
    pub members: MemberIds,
    /// Whether the server listed `members` at all: a group read without the key has
    /// members that are unknown, not none.
    pub members_listed: bool,
    /// `meta.version` (the `ETag`), when the server gives one.
    pub version: Option<Box<str>>,
    /// The resource as read, without `members` (they are in `members`).
    pub json: ResourceJson,
}

impl LiveGroup {
    /// The resource as read (without `meta`, `schemas` and `members`).
    pub fn resource(&self) -> Value {
        self.json.to_value()
    }
}

/// The complete directory at the moment it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub users: Vec<LiveUser>,
    pub groups: Vec<LiveGroup>,
}

impl Live {
    /// Build a snapshot from resources (as a server returns them), checking each has an
    /// id and a name, exactly as the reader builds one from list pages. Used by tests and
    /// by callers that hold resources already.
    pub fn from_resources(users: Vec<Value>, groups: Vec<Value>) -> Result<Live, String> {
        let page =
            |resources: Vec<Value>| serde_json::json!({ "Resources": resources }).to_string();
        let users = parse_with(page(users).as_bytes(), &UserReader)?.resources;
        let groups = parse_with(page(groups).as_bytes(), &GroupReader)?.resources;
        Ok(Live { users, groups })
    }
}
