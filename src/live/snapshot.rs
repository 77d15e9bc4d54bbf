//! The `Live` snapshot: users and groups as the directory has them — ids, names and
//! member ids pulled out, and the rest of each resource kept as compact JSON text
//! ([`ResourceJson`]) that is parsed only when an attribute is compared or exported.
//!
//! A directory of a hundred thousand users held as JSON trees costs gigabytes' worth of
//! small allocations; held as text it costs about its size on the wire. Member ids are
//! packed per group ([`MemberIds`]). This file defines the snapshot; it reads nothing from
//! the network.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use super::dangling;
use super::json_view::Key;
use super::member_ids::MemberIds;
use super::page::{GroupReader, UserReader};
use crate::scim::{ScimId, parse_with};

/// A resource as read, without `meta`, `schemas` and a user's `groups` (and a group's
/// `members`, which are kept apart), as compact JSON text. Always a JSON object.
#[derive(Clone, PartialEq, Eq)]
pub struct ResourceJson(Box<str>);

impl ResourceJson {
    /// Text that the page reader assembled from validated pieces: `{`, then
    /// `"key":value` pairs separated by commas, then `}`, each value checked by
    /// `value_check` (so that the text parses as a tree: no number beyond `f64`, no
    /// lone surrogate, no nesting near `serde_json`'s recursion limit).
    pub(super) fn from_assembled(text: String) -> ResourceJson {
        ResourceJson(text.into_boxed_str())
    }

    /// The resource as a JSON tree.
    ///
    /// The reader only keeps text that parses (see [`from_assembled`]), so this never
    /// fails; were that ever broken, a debug build panics to show it and a release build
    /// gives an empty object rather than crash on a server's answer.
    ///
    /// [`from_assembled`]: Self::from_assembled
    pub fn to_value(&self) -> Value {
        self.to_value_where(|_| true)
    }

    /// The top-level attributes whose names pass `keep`, in the order read, as a JSON
    /// object: the whole resource with the other attributes left out, without building
    /// them (comparing a few declared attributes of a hundred
    /// thousand users need not build each whole resource).
    pub fn to_value_where(&self, keep: impl Fn(&str) -> bool) -> Value {
        let mut deserializer = serde_json::Deserializer::from_str(&self.0);
        match serde::de::Deserializer::deserialize_map(&mut deserializer, Selected(&keep)) {
            Ok(map) => Value::Object(map),
            Err(error) => {
                debug_assert!(
                    false,
                    "a ResourceJson that does not parse ({error}): {}",
                    self.0
                );
                Value::Object(Map::new())
            }
        }
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The visitor of [`ResourceJson::to_value_where`]: keeps the selected entries, skips
/// the others without building them.
struct Selected<'k, K>(&'k K);

impl<'de, K: Fn(&str) -> bool> serde::de::Visitor<'de> for Selected<'_, K> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            if (self.0)(&key) {
                let value: Value = map.next_value()?;
                kept.insert(key.into_owned(), value);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(kept)
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
    /// Member ids (as groups list them) that match no listed user or group and that the
    /// server confirmed absent: `GET /Users/{id}` and `GET /Groups/{id}` both answered
    /// 404 (or 410). Only these dangling members may be planned for removal; any other
    /// member that matches nothing may be a user the list failed to return.
    pub absent_member_ids: BTreeSet<ScimId>,
    /// What the read decided on its own that the user may want to know (`-v`): a
    /// member read refined because the profile's did not fit the server, a list whose
    /// completeness could not be checked against a total. Plain sentences.
    pub notices: Vec<String>,
}

impl Live {
    /// Build a snapshot from resources (as a server returns them), checking each has an
    /// id and a name, exactly as the reader builds one from list pages. Used by tests and
    /// by callers that hold resources already. Every member id that matches no user or
    /// group is taken as confirmed absent (the caller vouches for the resources being
    /// the whole directory); [`from_resources_with_absent`](Self::from_resources_with_absent)
    /// says which are.
    pub fn from_resources(users: Vec<Value>, groups: Vec<Value>) -> Result<Live, String> {
        let mut live = Live::from_resources_with_absent(users, groups, &[])?;
        live.absent_member_ids = dangling::unmatched(&live)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        Ok(live)
    }

    /// [`from_resources`](Self::from_resources), with only the member ids in `absent`
    /// confirmed absent.
    pub fn from_resources_with_absent(
        users: Vec<Value>,
        groups: Vec<Value>,
        absent: &[&str],
    ) -> Result<Live, String> {
        let page =
            |resources: Vec<Value>| serde_json::json!({ "Resources": resources }).to_string();
        let users = parse_with(page(users).as_bytes(), &UserReader)?.resources;
        let groups = parse_with(page(groups).as_bytes(), &GroupReader)?.resources;
        Ok(Live {
            users,
            groups,
            absent_member_ids: absent.iter().map(|id| ScimId::new(id)).collect(),
            notices: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selected_attributes_are_those_of_the_whole_resource() {
        let text = r#"{"id":"1","userName":"a","Title":"x","title":"y","na\u006de":{"givenName":"G"},"emails":[{"value":"a@x"}],"active":true}"#;
        let json = ResourceJson::from_assembled(text.to_string());
        let whole: Value = serde_json::from_str(text).expect("json");
        assert_eq!(json.to_value(), whole);
        let wanted = ["title", "name", "active"];
        let selected = json.to_value_where(|k| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)));
        let expected: Map<String, Value> = whole
            .as_object()
            .expect("object")
            .iter()
            .filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(selected, Value::Object(expected));
        assert_eq!(
            selected,
            json!({"Title": "x", "title": "y", "name": {"givenName": "G"}, "active": true})
        );
        assert_eq!(json.to_value_where(|_| false), json!({}));
    }
}
