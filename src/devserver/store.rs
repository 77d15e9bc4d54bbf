//! The in-memory directory: users and groups in creation order, the case-insensitive
//! uniqueness index, member references, rendering of resources (with `meta`, member
//! `display`/`$ref` and the users' read-only `groups`), and conversion to and from the
//! persisted snapshot.
//!
//! Every mutating operation validates first and changes state only when everything is
//! valid, so a failed request leaves the store untouched. It must not do HTTP or file I/O:
//! handlers translate requests, `persist` writes snapshots.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::ScimError;
use super::filter::Filter;
use super::ids::{IdGen, now_rfc3339};
use super::patch::{self, Operation};
use super::schema::{self, ENTERPRISE_SCHEMA, Kind};

/// One stored resource: server-owned fields plus the normalised attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Row {
    pub id: String,
    pub created: String,
    pub last_modified: String,
    pub version: u64,
    pub attributes: Map<String, Value>,
}

/// Everything the store holds, in creation order; what the data file contains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Snapshot {
    pub format: String,
    pub users: Vec<Row>,
    pub groups: Vec<Row>,
}

/// The `format` value of a snapshot this version writes and reads.
pub(crate) const SNAPSHOT_FORMAT: &str = "scimform-dev-server/1";

#[derive(Debug, Clone, Default)]
struct Table {
    /// creation sequence → id
    order: BTreeMap<u64, String>,
    /// id → (creation sequence, row)
    rows: HashMap<String, (u64, Row)>,
    /// lower-cased userName / displayName → id
    unique: HashMap<String, String>,
}

impl Table {
    fn unique_key(kind: Kind, attrs: &Map<String, Value>) -> Option<String> {
        attrs
            .get(kind.unique_attribute())
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    }

    fn insert(&mut self, kind: Kind, seq: u64, row: Row) {
        if let Some(key) = Self::unique_key(kind, &row.attributes) {
            self.unique.insert(key, row.id.clone());
        }
        self.order.insert(seq, row.id.clone());
        self.rows.insert(row.id.clone(), (seq, row));
    }

    fn remove(&mut self, kind: Kind, id: &str) -> Option<(u64, Row)> {
        let (seq, row) = self.rows.remove(id)?;
        self.order.remove(&seq);
        if let Some(key) = Self::unique_key(kind, &row.attributes)
            && self.unique.get(&key).is_some_and(|owner| owner == id)
        {
            self.unique.remove(&key);
        }
        Some((seq, row))
    }

    fn get(&self, id: &str) -> Option<&Row> {
        self.rows.get(id).map(|(_, row)| row)
    }

    fn in_order(&self) -> impl Iterator<Item = &Row> {
        self.order.values().filter_map(|id| self.get(id))
    }
}

/// One page of a list request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    pub total: usize,
    pub resources: Vec<Map<String, Value>>,
}

/// The directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    base_url: String,
    users: Table,
    groups: Table,
    next_seq: u64,
    ids: IdGen,
}

/// member id → ids of the groups it is a direct member of, in group creation order.
type Memberships<'a> = HashMap<&'a str, Vec<&'a Row>>;

impl Store {
    /// An empty directory whose resources live under `base_url` (no trailing slash).
    pub(crate) fn new(base_url: impl Into<String>) -> Store {
        Store {
            base_url: base_url.into(),
            users: Table::default(),
            groups: Table::default(),
            next_seq: 0,
            ids: IdGen::from_entropy(),
        }
    }

    fn table(&self, kind: Kind) -> &Table {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn table_mut(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    /// `{base}/Users/{id}` or `{base}/Groups/{id}`.
    pub(crate) fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.base_url, kind.endpoint())
    }

    fn not_found(kind: Kind, id: &str) -> ScimError {
        ScimError::not_found(format!("{} \"{id}\" not found", kind.name()))
    }

    /// The rendered resource.
    pub(crate) fn get(&self, kind: Kind, id: &str) -> Result<Map<String, Value>, ScimError> {
        let row = self
            .table(kind)
            .get(id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        Ok(self.render(kind, row, &self.memberships()))
    }

    /// Resources matching `filter`, in creation order, from `start_index` (1-based) on,
    /// at most `count` of them; `total` counts every match.
    pub(crate) fn list(
        &self,
        kind: Kind,
        filter: Option<&Filter>,
        start_index: usize,
        count: usize,
    ) -> Page {
        let memberships = self.memberships();
        let skip = start_index.saturating_sub(1);
        let table = self.table(kind);
        match filter {
            None => Page {
                total: table.rows.len(),
                resources: table
                    .in_order()
                    .skip(skip)
                    .take(count)
                    .map(|row| self.render(kind, row, &memberships))
                    .collect(),
            },
            Some(filter) => {
                let matching: Vec<Map<String, Value>> = table
                    .in_order()
                    .map(|row| self.render(kind, row, &memberships))
                    .filter(|resource| filter.matches(resource))
                    .collect();
                Page {
                    total: matching.len(),
                    resources: matching.into_iter().skip(skip).take(count).collect(),
                }
            }
        }
    }

    /// POST: a new resource with a server-generated id.
    pub(crate) fn create(
        &mut self,
        kind: Kind,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let attrs = schema::normalize(kind, body)?;
        let attrs = self.resolve_members(kind, None, attrs)?;
        self.check_unique(kind, None, &attrs)?;
        let id = loop {
            let id = self.ids.next_id();
            if !self.users.rows.contains_key(&id) && !self.groups.rows.contains_key(&id) {
                break id;
            }
        };
        let now = now_rfc3339();
        let row = Row {
            id: id.clone(),
            created: now.clone(),
            last_modified: now,
            version: 1,
            attributes: attrs,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.table_mut(kind).insert(kind, seq, row);
        self.get(kind, &id)
    }

    /// PUT: replaces every attribute; `id`, `meta.created` and the position are kept.
    pub(crate) fn replace(
        &mut self,
        kind: Kind,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        if self.table(kind).get(id).is_none() {
            return Err(Self::not_found(kind, id));
        }
        let attrs = schema::normalize(kind, body)?;
        self.update(kind, id, attrs)
    }

    /// PATCH: applies the operations to the rendered resource, then validates the result
    /// like a PUT. All operations or none take effect.
    pub(crate) fn patch(
        &mut self,
        kind: Kind,
        id: &str,
        ops: &[Operation],
    ) -> Result<Map<String, Value>, ScimError> {
        let mut resource = self.get(kind, id)?;
        patch::apply(&mut resource, ops, kind.read_only())?;
        let attrs = schema::normalize(kind, &resource)?;
        self.update(kind, id, attrs)
    }

    /// DELETE: the resource goes, and with it every membership that names it.
    pub(crate) fn delete(&mut self, kind: Kind, id: &str) -> Result<(), ScimError> {
        self.table_mut(kind)
            .remove(kind, id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        let affected: Vec<String> = self
            .groups
            .in_order()
            .filter(|g| member_values(g).any(|v| v == id))
            .map(|g| g.id.clone())
            .collect();
        let now = now_rfc3339();
        for group_id in affected {
            let Some((_, group)) = self.groups.rows.get_mut(&group_id) else {
                continue;
            };
            if let Some(Value::Array(members)) = group.attributes.get_mut("members") {
                members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                if members.is_empty() {
                    group.attributes.shift_remove("members");
                }
            }
            group.last_modified.clone_from(&now);
            group.version += 1;
        }
        Ok(())
    }

    fn update(
        &mut self,
        kind: Kind,
        id: &str,
        attrs: Map<String, Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let attrs = self.resolve_members(kind, Some(id), attrs)?;
        self.check_unique(kind, Some(id), &attrs)?;
        let table = self.table_mut(kind);
        let (seq, mut row) = table
            .remove(kind, id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        if row.attributes != attrs {
            row.attributes = attrs;
            row.last_modified = now_rfc3339();
            row.version += 1;
        }
        table.insert(kind, seq, row);
        self.get(kind, id)
    }

    fn check_unique(
        &self,
        kind: Kind,
        own_id: Option<&str>,
        attrs: &Map<String, Value>,
    ) -> Result<(), ScimError> {
        let Some(key) = Table::unique_key(kind, attrs) else {
            return Ok(());
        };
        match self.table(kind).unique.get(&key) {
            Some(owner) if Some(owner.as_str()) != own_id => Err(ScimError::uniqueness(format!(
                "{} \"{}\" is already taken by {} \"{owner}\"",
                kind.unique_attribute(),
                attrs
                    .get(kind.unique_attribute())
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                kind.name(),
            ))),
            _ => Ok(()),
        }
    }

    /// For groups: every member must name an existing user or group (not the group
    /// itself); stored as `{value, type}` without duplicates.
    fn resolve_members(
        &self,
        kind: Kind,
        own_id: Option<&str>,
        mut attrs: Map<String, Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        if kind != Kind::Group {
            return Ok(attrs);
        }
        let Some(Value::Array(members)) = attrs.get_mut("members") else {
            return Ok(attrs);
        };
        let mut seen = HashSet::new();
        let mut resolved = Vec::with_capacity(members.len());
        for member in members.iter() {
            let Some(value) = member.get("value").and_then(Value::as_str) else {
                return Err(ScimError::invalid_value(
                    "every member needs a \"value\": the id of a User or Group",
                ));
            };
            if Some(value) == own_id {
                return Err(ScimError::invalid_value(format!(
                    "group \"{value}\" cannot be a member of itself"
                )));
            }
            let actual = if self.users.rows.contains_key(value) {
                "User"
            } else if self.groups.rows.contains_key(value) {
                "Group"
            } else {
                return Err(ScimError::invalid_value(format!(
                    "member \"{value}\" is not the id of an existing User or Group"
                )));
            };
            if let Some(claimed) = member.get("type").and_then(Value::as_str)
                && !claimed.eq_ignore_ascii_case(actual)
            {
                return Err(ScimError::invalid_value(format!(
                    "member \"{value}\" is a {actual}, not a {claimed}"
                )));
            }
            if seen.insert(value.to_owned()) {
                resolved.push(json!({"value": value, "type": actual}));
            }
        }
        *members = resolved;
        Ok(attrs)
    }

    fn memberships(&self) -> Memberships<'_> {
        let mut index: Memberships<'_> = HashMap::new();
        for group in self.groups.in_order() {
            for value in member_values(group) {
                index.entry(value).or_default().push(group);
            }
        }
        index
    }

    fn render(&self, kind: Kind, row: &Row, memberships: &Memberships<'_>) -> Map<String, Value> {
        let mut out = Map::new();
        let mut schemas = vec![Value::String(kind.schema().to_owned())];
        if row.attributes.contains_key(ENTERPRISE_SCHEMA) {
            schemas.push(Value::String(ENTERPRISE_SCHEMA.to_owned()));
        }
        out.insert("schemas".into(), Value::Array(schemas));
        out.insert("id".into(), Value::String(row.id.clone()));
        for (key, value) in &row.attributes {
            let value = match (kind, key.as_str(), value) {
                (Kind::Group, "members", Value::Array(members)) => {
                    Value::Array(members.iter().map(|m| self.render_member(m)).collect())
                }
                _ => value.clone(),
            };
            out.insert(key.clone(), value);
        }
        if kind == Kind::User
            && let Some(groups) = memberships.get(row.id.as_str())
        {
            let groups = groups
                .iter()
                .map(|g| {
                    json!({
                        "value": g.id,
                        "$ref": self.location(Kind::Group, &g.id),
                        "display": g.attributes.get("displayName").cloned().unwrap_or(Value::Null),
                        "type": "direct",
                    })
                })
                .collect();
            out.insert("groups".into(), Value::Array(groups));
        }
        out.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name(),
                "created": row.created,
                "lastModified": row.last_modified,
                "location": self.location(kind, &row.id),
                "version": format!("W/\"{}\"", row.version),
            }),
        );
        out
    }

    fn render_member(&self, member: &Value) -> Value {
        let Some(value) = member.get("value").and_then(Value::as_str) else {
            return member.clone();
        };
        let (kind, display) = if let Some(user) = self.users.get(value) {
            (Kind::User, user.attributes.get("userName"))
        } else if let Some(group) = self.groups.get(value) {
            (Kind::Group, group.attributes.get("displayName"))
        } else {
            return member.clone();
        };
        json!({
            "value": value,
            "display": display.cloned().unwrap_or(Value::Null),
            "$ref": self.location(kind, value),
            "type": kind.name(),
        })
    }

    /// Everything, in creation order, for the data file.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_owned(),
            users: self.users.in_order().cloned().collect(),
            groups: self.groups.in_order().cloned().collect(),
        }
    }

    /// A store holding a snapshot, checked as strictly as requests are: attributes valid,
    /// ids distinct, unique names unique, members existing.
    pub(crate) fn from_snapshot(
        base_url: impl Into<String>,
        snapshot: Snapshot,
    ) -> Result<Store, String> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(format!(
                "format is \"{}\", expected \"{SNAPSHOT_FORMAT}\"",
                snapshot.format
            ));
        }
        let mut store = Store::new(base_url);
        let mut ids = HashSet::new();
        for (kind, rows) in [(Kind::User, snapshot.users), (Kind::Group, snapshot.groups)] {
            for mut row in rows {
                if row.id.is_empty() || !ids.insert(row.id.clone()) {
                    return Err(format!(
                        "{} id \"{}\" is empty or repeated",
                        kind.name(),
                        row.id
                    ));
                }
                row.attributes = schema::normalize(kind, &row.attributes)
                    .map_err(|e| format!("{} \"{}\": {}", kind.name(), row.id, e.detail))?;
                store
                    .check_unique(kind, None, &row.attributes)
                    .map_err(|e| e.detail)?;
                let seq = store.next_seq;
                store.next_seq += 1;
                store.table_mut(kind).insert(kind, seq, row);
            }
        }
        let groups: Vec<Row> = store.groups.in_order().cloned().collect();
        for group in groups {
            let resolved = store
                .resolve_members(Kind::Group, Some(&group.id), group.attributes.clone())
                .map_err(|e| format!("Group \"{}\": {}", group.id, e.detail))?;
            if let Some((_, row)) = store.groups.rows.get_mut(&group.id) {
                row.attributes = resolved;
            }
        }
        Ok(store)
    }
}

fn member_values(group: &Row) -> impl Iterator<Item = &str> {
    group
        .attributes
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devserver::filter;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn store() -> Store {
        Store::new("http://localhost/scim/v2")
    }

    fn id(resource: &Map<String, Value>) -> String {
        resource
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn create_renders_meta_and_defaults() {
        let mut s = store();
        let u = s
            .create(Kind::User, &obj(json!({"userName": "alice"})))
            .expect("created");
        let meta = u.get("meta").expect("meta");
        assert_eq!(meta["resourceType"], "User");
        assert_eq!(meta["version"], "W/\"1\"");
        assert_eq!(
            meta["location"],
            format!("http://localhost/scim/v2/Users/{}", id(&u))
        );
        assert_eq!(u["schemas"], json!([schema::USER_SCHEMA]));
    }

    #[test]
    fn uniqueness_is_case_insensitive_and_ignores_self() {
        let mut s = store();
        let a = s
            .create(Kind::User, &obj(json!({"userName": "alice"})))
            .expect("created");
        let err = s
            .create(Kind::User, &obj(json!({"userName": "ALICE"})))
            .expect_err("duplicate");
        assert_eq!(err.scim_type, Some("uniqueness"));
        s.replace(Kind::User, &id(&a), &obj(json!({"userName": "Alice"})))
            .expect("renaming to a different case of itself is fine");
        let b = s
            .create(Kind::User, &obj(json!({"userName": "bob"})))
            .expect("created");
        let err = s
            .replace(Kind::User, &id(&b), &obj(json!({"userName": "alice"})))
            .expect_err("duplicate");
        assert_eq!(err.scim_type, Some("uniqueness"));
    }

    #[test]
    fn members_are_resolved_rendered_and_cascaded() {
        let mut s = store();
        let u = s
            .create(Kind::User, &obj(json!({"userName": "alice"})))
            .expect("created");
        let uid = id(&u);
        let err = s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "g", "members": [{"value": "nope"}]})),
            )
            .expect_err("unknown member");
        assert!(err.detail.contains("nope"));
        let g = s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "g", "members": [{"value": uid}, {"value": uid}]})),
            )
            .expect("created");
        assert_eq!(
            g["members"],
            json!([{"value": uid, "display": "alice", "$ref": format!("http://localhost/scim/v2/Users/{uid}"), "type": "User"}])
        );
        let u = s.get(Kind::User, &uid).expect("exists");
        assert_eq!(u["groups"][0]["value"], g["id"]);

        s.delete(Kind::User, &uid).expect("deleted");
        let g = s.get(Kind::Group, &id(&g)).expect("exists");
        assert!(g.get("members").is_none());
        assert_eq!(g["meta"]["version"], "W/\"2\"");
    }

    #[test]
    fn groups_nest_but_not_in_themselves() {
        let mut s = store();
        let inner = s
            .create(Kind::Group, &obj(json!({"displayName": "inner"})))
            .expect("created");
        let outer = s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "outer", "members": [{"value": id(&inner), "type": "Group"}]})),
            )
            .expect("created");
        assert_eq!(outer["members"][0]["display"], "inner");
        let err = s
            .create(
                Kind::Group,
                &obj(
                    json!({"displayName": "x", "members": [{"value": id(&inner), "type": "User"}]}),
                ),
            )
            .expect_err("wrong type");
        assert!(err.detail.contains("is a Group"));
        let err = s
            .replace(
                Kind::Group,
                &id(&inner),
                &obj(json!({"displayName": "inner", "members": [{"value": id(&inner)}]})),
            )
            .expect_err("self-membership");
        assert_eq!(err.scim_type, Some("invalidValue"));
        s.delete(Kind::Group, &id(&inner)).expect("deleted");
        let outer = s.get(Kind::Group, &id(&outer)).expect("exists");
        assert!(outer.get("members").is_none());
    }

    #[test]
    fn failed_patch_changes_nothing() {
        let mut s = store();
        let u = s
            .create(Kind::User, &obj(json!({"userName": "alice", "title": "x"})))
            .expect("created");
        let body = obj(json!({"Operations": [
            {"op": "replace", "path": "title", "value": "y"},
            {"op": "remove", "path": "userName"}
        ]}));
        let ops = patch::parse_request(&body).expect("parses");
        let err = s
            .patch(Kind::User, &id(&u), &ops)
            .expect_err("userName required");
        assert_eq!(err.scim_type, Some("invalidValue"));
        assert_eq!(s.get(Kind::User, &id(&u)).expect("exists"), u);
    }

    #[test]
    fn list_pages_and_filters_in_creation_order() {
        let mut s = store();
        for name in ["c", "a", "b", "d", "e"] {
            s.create(Kind::User, &obj(json!({"userName": name})))
                .expect("created");
        }
        let page = s.list(Kind::User, None, 2, 2);
        assert_eq!(page.total, 5);
        let names: Vec<&Value> = page.resources.iter().map(|r| &r["userName"]).collect();
        assert_eq!(names, vec!["a", "b"]);
        let f = filter::parse(r#"userName eq "D""#).expect("parses");
        let page = s.list(Kind::User, Some(&f), 1, 100);
        assert_eq!(page.total, 1);
        assert_eq!(page.resources[0]["userName"], "d");
    }

    #[test]
    fn snapshot_round_trips() {
        let mut s = store();
        let u = s
            .create(Kind::User, &obj(json!({"userName": "alice"})))
            .expect("created");
        s.create(
            Kind::Group,
            &obj(json!({"displayName": "g", "members": [{"value": id(&u)}]})),
        )
        .expect("created");
        let snap = s.snapshot();
        let again = Store::from_snapshot("http://localhost/scim/v2", snap.clone()).expect("loads");
        assert_eq!(again.snapshot(), snap);

        let mut broken = snap;
        if let Some(g) = broken.groups.first_mut() {
            g.attributes
                .insert("members".into(), json!([{"value": "ghost"}]));
        }
        assert!(Store::from_snapshot("http://x", broken).is_err());
    }
}
