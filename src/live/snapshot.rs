//! The `Live` snapshot: users and groups as the directory has them, with ids, names and
//! member ids pulled out of the raw resources (leniently) and the resources kept whole
//! for attribute comparison.

use serde_json::Value;

use crate::scim::{attribute, string_attribute};

/// A user as the directory has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveUser {
    pub id: String,
    pub user_name: String,
    /// The whole resource as read, for comparing declared attributes.
    pub resource: Value,
}

/// A group as the directory has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveGroup {
    pub id: String,
    pub display_name: String,
    /// Member ids (`members[].value`), as the server lists them.
    pub members: Vec<String>,
    /// The resource as read, without `members` (they are in `members`).
    pub resource: Value,
}

/// The complete directory at the moment it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub users: Vec<LiveUser>,
    pub groups: Vec<LiveGroup>,
}

impl Live {
    /// Build a snapshot from resources (as a server returns them), checking each has an
    /// id and a name. Used by the reader and by tests.
    pub fn from_resources(users: Vec<Value>, groups: Vec<Value>) -> Result<Live, String> {
        let users = users
            .into_iter()
            .map(|resource| {
                let id = string_attribute(&resource, "id")
                    .ok_or("a user has no id")?
                    .to_string();
                let user_name = string_attribute(&resource, "userName")
                    .ok_or_else(|| format!("user {id} has no userName"))?
                    .to_string();
                Ok(LiveUser {
                    id,
                    user_name,
                    resource,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let groups = groups
            .into_iter()
            .map(|mut resource| {
                let id = string_attribute(&resource, "id")
                    .ok_or("a group has no id")?
                    .to_string();
                let display_name = string_attribute(&resource, "displayName")
                    .ok_or_else(|| format!("group {id} has no displayName"))?
                    .to_string();
                let members = take_member_ids(&mut resource);
                Ok(LiveGroup {
                    id,
                    display_name,
                    members,
                    resource,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Live { users, groups })
    }
}

/// `members[].value` of a group resource, leniently, without duplicates (a member may
/// also be a bare id, the form [`slim`] leaves).
pub(super) fn member_ids(group: &Value) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    group
        .as_object()
        .and_then(|o| attribute(o, "members"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().or_else(|| string_attribute(m, "value")))
        .filter(|id| seen.insert(*id))
        .map(str::to_string)
        .collect()
}

/// Move the member ids out of a group resource (the resource keeps the rest), without
/// copying them: on a large directory there are millions.
fn take_member_ids(group: &mut Value) -> Vec<String> {
    let Some(object) = group.as_object_mut() else {
        return Vec::new();
    };
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case("members"))
        .cloned();
    let Some(Value::Array(members)) = key.and_then(|k| object.remove(&k)) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = members
        .into_iter()
        .filter_map(|member| match member {
            Value::String(id) => Some(id),
            other => string_attribute(&other, "value").map(str::to_string),
        })
        .collect();
    // Duplicates are rare; only pay for removing them when there are any.
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    if !ids.iter().all(|id| seen.insert(id.as_str())) {
        let mut kept = std::collections::HashSet::new();
        ids.retain(|id| kept.insert(id.clone()));
    }
    ids
}

/// Drop what a snapshot never uses as soon as a page arrives, so that a large directory
/// fits in memory: server metadata, a user's read-only `groups` (one entry per
/// membership), and every member's `display`/`$ref`/`type` (members become bare ids).
pub(super) fn slim(resource: &mut Value) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    object
        .retain(|key, _| !key.eq_ignore_ascii_case("meta") && !key.eq_ignore_ascii_case("groups"));
    let members_key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case("members"))
        .cloned();
    if let Some(key) = members_key
        && let Some(Value::Array(members)) = object.get_mut(&key)
    {
        for member in members.iter_mut() {
            if let Some(id) = string_attribute(member, "value").map(str::to_string) {
                *member = Value::String(id);
            }
        }
        members.shrink_to_fit();
    }
}
