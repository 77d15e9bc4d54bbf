//! Rendering stored records as SCIM resources: `schemas`, `id`, the attributes, group
//! `members` with `display`/`$ref`/`type`, a user's read-only `groups`, and `meta` — as a
//! JSON object (`render`, for single resources and filters), or serialised straight into
//! a list response (`ListView`), which builds no intermediate JSON values: a page of 100
//! groups with 10,000 members between them costs a few milliseconds.
//!
//! Owns the shape of every resource the server returns; both forms give the same JSON. It
//! must not change the store, and its cost must stay proportional to the resources
//! rendered (member names come from the indexes, never from a scan).

use std::fmt;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

use super::members::GroupRef;
use super::schema::{ENTERPRISE_SCHEMA, Kind};
use super::store::{Record, Store};

/// Which top-level attributes (by name, any case) a response keeps.
pub(crate) type Keep<'a> = &'a (dyn Fn(&str) -> bool + Sync);

impl Store {
    /// The resource `record` (whose id is `id`) as clients see it. Groups leave out
    /// `members` when `members` is false.
    pub(crate) fn render(
        &self,
        kind: Kind,
        id: &Arc<str>,
        record: &Record,
        members: bool,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        let mut schemas = vec![Value::String(kind.schema().to_owned())];
        if record.attributes.contains_key(ENTERPRISE_SCHEMA) {
            schemas.push(Value::String(ENTERPRISE_SCHEMA.to_owned()));
        }
        out.insert("schemas".into(), Value::Array(schemas));
        out.insert("id".into(), Value::String(id.to_string()));
        for (key, value) in &record.attributes {
            out.insert(key.clone(), value.clone());
        }
        if kind == Kind::Group && members && !record.members.is_empty() {
            let list = record
                .members
                .iter()
                .map(|m| {
                    json!({
                        "value": &*m.id,
                        "display": &*m.name,
                        "$ref": self.location(m.kind, &m.id),
                        "type": m.kind.name(),
                    })
                })
                .collect();
            out.insert("members".into(), Value::Array(list));
        }
        if kind == Kind::User
            && let Some(groups) = self.member_of.get(id)
        {
            out.insert("groups".into(), self.render_groups_of(groups));
        }
        out.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name(),
                "created": &*record.created,
                "lastModified": &*record.last_modified,
                "location": self.location(kind, id),
                "version": format!("W/\"{}\"", record.version),
            }),
        );
        out
    }

    /// A user's direct groups, in group listing order.
    fn render_groups_of(&self, groups: &[GroupRef]) -> Value {
        Value::Array(
            groups
                .iter()
                .map(|g| {
                    json!({
                        "value": &*g.id,
                        "$ref": self.location(Kind::Group, &g.id),
                        "display": &*g.name,
                        "type": "direct",
                    })
                })
                .collect(),
        )
    }
}

/// Resources of one or more lists, serialised as one JSON array.
pub(crate) struct ListView<'a> {
    pub store: &'a Store,
    /// (kind, ids) in order; ids no longer in the store are skipped.
    pub parts: Vec<(Kind, &'a [Arc<str>])>,
    /// Whether groups carry `members`.
    pub members: bool,
    pub keep: Keep<'a>,
}

impl ListView<'_> {
    /// How many resources the view holds.
    pub(crate) fn len(&self) -> usize {
        self.resources().count()
    }

    fn resources(&self) -> impl Iterator<Item = (Kind, &Arc<str>, &Record)> {
        self.parts.iter().flat_map(move |(kind, ids)| {
            let table = self.store.table(*kind);
            ids.iter()
                .filter_map(move |id| table.rows.get_key_value(id))
                .map(move |(id, record)| (*kind, id, record))
        })
    }
}

impl Serialize for ListView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for (kind, id, record) in self.resources() {
            seq.serialize_element(&ResourceView {
                store: self.store,
                kind,
                id,
                record,
                members: self.members,
                keep: self.keep,
            })?;
        }
        seq.end()
    }
}

/// One resource, serialised like `Store::render` then projected by `keep`.
struct ResourceView<'a> {
    store: &'a Store,
    kind: Kind,
    id: &'a Arc<str>,
    record: &'a Record,
    members: bool,
    keep: Keep<'a>,
}

impl Serialize for ResourceView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (store, kind, record, keep) = (self.store, self.kind, self.record, self.keep);
        let mut map = serializer.serialize_map(None)?;
        if record.attributes.contains_key(ENTERPRISE_SCHEMA) {
            map.serialize_entry("schemas", &[kind.schema(), ENTERPRISE_SCHEMA])?;
        } else {
            map.serialize_entry("schemas", &[kind.schema()])?;
        }
        map.serialize_entry("id", &**self.id)?;
        for (key, value) in &record.attributes {
            if keep(key) {
                map.serialize_entry(key, value)?;
            }
        }
        if kind == Kind::Group && self.members && !record.members.is_empty() && keep("members") {
            map.serialize_entry("members", &MembersView { store, record })?;
        }
        if kind == Kind::User
            && keep("groups")
            && let Some(groups) = store.member_of.get(self.id)
        {
            map.serialize_entry(
                "groups",
                &GroupsView {
                    base: &store.base_url,
                    groups,
                },
            )?;
        }
        if keep("meta") {
            map.serialize_entry(
                "meta",
                &MetaView {
                    store,
                    kind,
                    id: self.id,
                    record,
                },
            )?;
        }
        map.end()
    }
}

/// `{base}/{endpoint}/{id}`, written without allocating.
struct Location<'a> {
    base: &'a str,
    kind: Kind,
    id: &'a str,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.base, self.kind.endpoint(), self.id)
    }
}

/// A value serialised through its `Display`.
struct Shown<T>(T);

impl<T: fmt::Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

struct Version(u64);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "W/\"{}\"", self.0)
    }
}

struct MembersView<'a> {
    store: &'a Store,
    record: &'a Record,
}

impl Serialize for MembersView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.record.members.len()))?;
        for member in &self.record.members {
            seq.serialize_element(&MemberView {
                id: &member.id,
                kind: member.kind,
                display: &member.name,
                base: &self.store.base_url,
            })?;
        }
        seq.end()
    }
}

struct MemberView<'a> {
    id: &'a str,
    kind: Kind,
    display: &'a str,
    base: &'a str,
}

impl Serialize for MemberView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("value", self.id)?;
        map.serialize_entry("display", self.display)?;
        map.serialize_entry(
            "$ref",
            &Shown(Location {
                base: self.base,
                kind: self.kind,
                id: self.id,
            }),
        )?;
        map.serialize_entry("type", self.kind.name())?;
        map.end()
    }
}

struct GroupsView<'a> {
    base: &'a str,
    groups: &'a [GroupRef],
}

impl Serialize for GroupsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.groups.len()))?;
        for group in self.groups {
            seq.serialize_element(&GroupRefView {
                id: &group.id,
                display: &group.name,
                base: self.base,
            })?;
        }
        seq.end()
    }
}

struct GroupRefView<'a> {
    id: &'a str,
    display: &'a str,
    base: &'a str,
}

impl Serialize for GroupRefView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("value", self.id)?;
        map.serialize_entry(
            "$ref",
            &Shown(Location {
                base: self.base,
                kind: Kind::Group,
                id: self.id,
            }),
        )?;
        map.serialize_entry("display", self.display)?;
        map.serialize_entry("type", "direct")?;
        map.end()
    }
}

struct MetaView<'a> {
    store: &'a Store,
    kind: Kind,
    id: &'a str,
    record: &'a Record,
}

impl Serialize for MetaView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("resourceType", self.kind.name())?;
        map.serialize_entry("created", &*self.record.created)?;
        map.serialize_entry("lastModified", &*self.record.last_modified)?;
        map.serialize_entry(
            "location",
            &Shown(Location {
                base: &self.store.base_url,
                kind: self.kind,
                id: self.id,
            }),
        )?;
        map.serialize_entry("version", &Shown(Version(self.record.version)))?;
        map.end()
    }
}

#[cfg(test)]
impl Store {
    /// The resources of a page as JSON objects.
    pub(crate) fn render_page(
        &self,
        kind: Kind,
        page: &super::query::Page,
        members: bool,
    ) -> Vec<Map<String, Value>> {
        page.ids
            .iter()
            .filter_map(|id| {
                let (id, record) = self.table(kind).rows.get_key_value(id)?;
                Some(self.render(kind, id, record, members))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn the_view_serialises_what_render_builds() {
        let mut s = Store::new("http://x/scim/v2", Some(2));
        let user = s
            .create(
                Kind::User,
                &obj(json!({"userName": "a", "title": "t",
                    ENTERPRISE_SCHEMA: {"department": "d"}})),
            )
            .expect("created");
        let uid = user["id"].as_str().unwrap_or_default().to_owned();
        for name in ["g1", "g2"] {
            s.create(
                Kind::Group,
                &obj(json!({"displayName": name, "members": [{"value": uid}]})),
            )
            .expect("created");
        }
        let all = |_: &str| true;
        for kind in [Kind::User, Kind::Group] {
            let ids: Vec<Arc<str>> = s
                .table(kind)
                .order
                .iter()
                .map(|(_, id)| id.clone())
                .collect();
            for members in [true, false] {
                let view = ListView {
                    store: &s,
                    parts: vec![(kind, &ids)],
                    members,
                    keep: &all,
                };
                let rendered: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| s.get(kind, id, members).ok().map(Value::Object))
                    .collect();
                assert_eq!(
                    serde_json::to_value(&view).expect("serialises"),
                    Value::Array(rendered)
                );
                assert_eq!(view.len(), ids.len());
            }
        }
        let ids: Vec<Arc<str>> = s.users.order.iter().map(|(_, id)| id.clone()).collect();
        let no_title = |k: &str| !k.eq_ignore_ascii_case("title") && k != "meta";
        let view = ListView {
            store: &s,
            parts: vec![(Kind::User, &ids)],
            members: true,
            keep: &no_title,
        };
        let out = serde_json::to_value(&view).expect("serialises");
        assert!(out[0].get("title").is_none() && out[0].get("meta").is_none());
        assert_eq!(out[0]["userName"], "a");
    }
}
