//! The in-memory directory: users and groups with their server-owned fields, the indexes
//! that keep every request proportional to its answer rather than to the directory
//! (id → record, creation order, case-insensitive userName/displayName, member → groups),
//! the mutations, and conversion to and from the persisted snapshot.
//!
//! Every mutating operation validates first and changes state only when everything is
//! valid, so a failed request leaves the store untouched. Group members are kept compact
//! (shared ids, not JSON) so that a million memberships fit in a few tens of megabytes.
//! Listing lives in `query`, rendering in `render`, member resolution and member `PATCHes` in
//! `members`, synthetic directories in `synthetic`. It must not do HTTP or file I/O, and it
//! knows nothing of provider emulation except the `Change` it reports to a caller's guard.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::ScimError;
use super::ids::{IdGen, now_rfc3339};
use super::members::{self, GroupRef, Member};
use super::org::{Org, OrgSnapshot};
use super::patch::{self, Operation};
use super::schema::{self, Kind};

/// One stored resource as the data file holds it: server-owned fields plus the
/// normalised attributes (for groups, `members` as `[{value, type}]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Row {
    pub id: String,
    pub created: String,
    pub last_modified: String,
    pub version: u64,
    pub attributes: Map<String, Value>,
}

/// Everything the store holds, in listing order; what the data file contains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Snapshot {
    pub format: String,
    pub users: Vec<Row>,
    pub groups: Vec<Row>,
    /// The Atlassian organisation (`--emulate atlassian`), when it holds anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlassian: Option<OrgSnapshot>,
}

/// The `format` value of a snapshot this version writes and reads.
pub(crate) const SNAPSHOT_FORMAT: &str = "scimform-dev-server/1";

/// One stored resource in memory.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Position in listing order (creation order; page drift inserts below the first).
    pub seq: i64,
    pub created: Arc<str>,
    pub last_modified: Arc<str>,
    pub version: u64,
    /// Normalised attributes; for groups without `members`, which live in `members`.
    pub attributes: Map<String, Value>,
    /// The userName or displayName, shared with the memberships that show it.
    pub name: Arc<str>,
    /// Groups only: direct members, in the order they were added.
    pub members: Vec<Member>,
}

/// The records of one resource type and their indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub rows: HashMap<Arc<str>, Record>,
    /// (seq, id), sorted by seq: a page is a slice, whatever its start.
    pub order: Vec<(i64, Arc<str>)>,
    /// lower-cased userName / displayName → id
    pub unique: HashMap<String, Arc<str>>,
}

/// The userName or displayName in `attrs`.
fn name_in(kind: Kind, attrs: &Map<String, Value>) -> Arc<str> {
    Arc::from(
        attrs
            .get(kind.unique_attribute())
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
}

impl Table {
    fn unique_key(kind: Kind, attrs: &Map<String, Value>) -> Option<String> {
        attrs
            .get(kind.unique_attribute())
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    }

    /// Inserts a record whose seq is above (or, for page drift, below) every other one.
    fn insert(&mut self, kind: Kind, id: Arc<str>, record: Record) {
        if let Some(key) = Self::unique_key(kind, &record.attributes) {
            self.unique.insert(key, id.clone());
        }
        let at = self.order.partition_point(|(seq, _)| *seq < record.seq);
        self.order.insert(at, (record.seq, id.clone()));
        self.rows.insert(id, record);
    }

    fn remove(&mut self, kind: Kind, id: &str) -> Option<(Arc<str>, Record)> {
        let (id, record) = self.rows.remove_entry(id)?;
        if let Ok(at) = self
            .order
            .binary_search_by_key(&record.seq, |(seq, _)| *seq)
        {
            self.order.remove(at);
        }
        if let Some(key) = Self::unique_key(kind, &record.attributes)
            && self.unique.get(&key).is_some_and(|owner| **owner == *id)
        {
            self.unique.remove(&key);
        }
        Some((id, record))
    }

    /// Replaces the attributes of an existing record, keeping the unique index right.
    /// Returns the new name when it changed.
    fn set_attributes(
        &mut self,
        kind: Kind,
        id: &Arc<str>,
        attrs: Map<String, Value>,
    ) -> Option<Arc<str>> {
        let record = self.rows.get_mut(id)?;
        let old_key = Self::unique_key(kind, &record.attributes);
        let new_key = Self::unique_key(kind, &attrs);
        let name = name_in(kind, &attrs);
        let renamed = (name != record.name).then(|| name.clone());
        record.name = name;
        record.attributes = attrs;
        if old_key != new_key {
            if let Some(old) = old_key
                && self.unique.get(&old).is_some_and(|owner| owner == id)
            {
                self.unique.remove(&old);
            }
            if let Some(new) = new_key {
                self.unique.insert(new, id.clone());
            }
        }
        renamed
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Record> {
        self.rows.get(id)
    }

    pub(crate) fn in_order(&self) -> impl Iterator<Item = (&Arc<str>, &Record)> {
        self.order
            .iter()
            .filter_map(|(_, id)| self.rows.get_key_value(id))
    }
}

/// What a mutation is about to do, shown to the caller's guard before it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Change {
    /// Members the change adds (groups).
    pub members_added: usize,
    /// Members the change removes (groups).
    pub members_removed: usize,
    /// Members the group has before the change.
    pub members_before: usize,
    /// Whether any attribute other than `members` changes.
    pub attributes_changed: bool,
    /// Whether a group's displayName changes (exactly, not just in case).
    pub renamed: bool,
    /// The userName or displayName the resource has after the change.
    pub name_after: Arc<str>,
}

/// A caller's veto over a change (provider emulation): `Err` refuses it untouched.
pub(crate) type Guard<'a> = &'a dyn Fn(&Change) -> Result<(), ScimError>;

/// A guard that allows everything.
#[cfg(test)]
pub(crate) const ALLOW_ALL: Guard<'static> = &|_| Ok(());

/// The directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) base_url: String,
    pub(crate) users: Table,
    pub(crate) groups: Table,
    /// member id → the groups it is a direct member of, in listing order.
    pub(crate) member_of: HashMap<Arc<str>, Vec<GroupRef>>,
    /// The Atlassian organisation behind the directory (`--emulate atlassian` only).
    pub(crate) org: Option<Org>,
    next_seq: i64,
    first_seq: i64,
    pub(crate) ids: IdGen,
    drift_count: u64,
}

impl Store {
    /// An empty directory whose resources live under `base_url` (no trailing slash).
    /// With a seed, generated ids are the same on every run.
    pub(crate) fn new(base_url: impl Into<String>, seed: Option<u64>) -> Store {
        Store {
            base_url: base_url.into(),
            users: Table::default(),
            groups: Table::default(),
            member_of: HashMap::new(),
            org: None,
            next_seq: 0,
            first_seq: 0,
            ids: seed.map_or_else(IdGen::from_entropy, IdGen::seeded),
            drift_count: 0,
        }
    }

    pub(crate) fn table(&self, kind: Kind) -> &Table {
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

    /// How many users, groups and memberships the store holds.
    #[cfg(test)]
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let memberships = self.groups.rows.values().map(|g| g.members.len()).sum();
        (self.users.rows.len(), self.groups.rows.len(), memberships)
    }

    /// `{base}/Users/{id}` or `{base}/Groups/{id}`.
    pub(crate) fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.base_url, kind.endpoint())
    }

    pub(crate) fn not_found(kind: Kind, id: &str) -> ScimError {
        ScimError::not_found(format!("{} \"{id}\" not found", kind.name()))
    }

    /// The shared id of an existing resource of `kind`.
    pub(crate) fn id_of(&self, kind: Kind, id: &str) -> Option<Arc<str>> {
        self.table(kind)
            .rows
            .get_key_value(id)
            .map(|(k, _)| k.clone())
    }

    /// The rendered resource; groups with their members unless `members` is false.
    pub(crate) fn get(
        &self,
        kind: Kind,
        id: &str,
        members: bool,
    ) -> Result<Map<String, Value>, ScimError> {
        let (id, record) = self
            .table(kind)
            .rows
            .get_key_value(id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        Ok(self.render(kind, id, record, members))
    }

    fn fresh_id(&mut self) -> Arc<str> {
        loop {
            let id = self.ids.next_id();
            if !self.users.rows.contains_key(id.as_str())
                && !self.groups.rows.contains_key(id.as_str())
            {
                return Arc::from(id);
            }
        }
    }

    /// The listing position for a resource created now (after every other one).
    pub(crate) fn next_seq(&mut self) -> i64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Adds a record whose attributes and members are already valid and unique.
    pub(crate) fn insert_new(
        &mut self,
        kind: Kind,
        attrs: Map<String, Value>,
        member_list: Vec<Member>,
        seq: i64,
        now: &Arc<str>,
    ) -> Arc<str> {
        let id = self.fresh_id();
        let name = name_in(kind, &attrs);
        for member in &member_list {
            let group = GroupRef {
                seq,
                id: id.clone(),
                name: name.clone(),
            };
            self.link(member.id.clone(), group);
        }
        let record = Record {
            seq,
            created: now.clone(),
            last_modified: now.clone(),
            version: 1,
            attributes: attrs,
            name,
            members: member_list,
        };
        self.table_mut(kind).insert(kind, id.clone(), record);
        id
    }

    /// POST: a new resource with a server-generated id. A user without `active` is active.
    pub(crate) fn create(
        &mut self,
        kind: Kind,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let mut attrs = schema::normalize(kind, &self.user_body(kind, body))?;
        if kind == Kind::User && !attrs.contains_key("active") {
            attrs.insert("active".to_owned(), Value::Bool(true));
        }
        let (attrs, member_list) = self.resolve_members(kind, None, attrs)?;
        self.check_unique(kind, None, &attrs)?;
        let link = self.plan_user_link(kind, &attrs)?;
        let seq = self.next_seq();
        let now: Arc<str> = Arc::from(now_rfc3339());
        let id = self.insert_new(kind, attrs, member_list, seq, &now);
        if let Some(link) = link {
            self.link_new_user(link, &id);
        }
        self.get(kind, &id, true)
    }

    /// A new user placed before every other one in listing order (page drift), as if
    /// another client had created it while a list was being read. Returns its id.
    pub(crate) fn insert_drift_user(&mut self) -> Arc<str> {
        loop {
            self.drift_count += 1;
            let name = format!("drift-{}@drift.invalid", self.drift_count);
            if self.users.unique.contains_key(&name) {
                continue;
            }
            let mut attrs = Map::new();
            attrs.insert("userName".into(), Value::String(name));
            attrs.insert("active".into(), Value::Bool(true));
            self.first_seq -= 1;
            let seq = self.first_seq;
            let now: Arc<str> = Arc::from(now_rfc3339());
            return self.insert_new(Kind::User, attrs, Vec::new(), seq, &now);
        }
    }

    /// PUT: replaces every attribute; `id`, `meta.created` and the position are kept.
    pub(crate) fn replace(
        &mut self,
        kind: Kind,
        id: &str,
        body: &Map<String, Value>,
        guard: Guard<'_>,
    ) -> Result<Map<String, Value>, ScimError> {
        if self.table(kind).get(id).is_none() {
            return Err(Self::not_found(kind, id));
        }
        let attrs = schema::normalize(kind, &self.user_body(kind, body))?;
        let (attrs, member_list) = self.resolve_members(kind, Some(id), attrs)?;
        self.update(kind, id, attrs, member_list, guard)
    }

    /// PATCH: applies the operations to the resource, then validates the result like a
    /// PUT. All operations or none take effect. Simple member additions and removals on
    /// a group skip the JSON round trip, so large groups stay cheap to change.
    pub(crate) fn patch(
        &mut self,
        kind: Kind,
        id: &str,
        ops: &[Operation],
        guard: Guard<'_>,
    ) -> Result<Map<String, Value>, ScimError> {
        let record = self
            .table(kind)
            .get(id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        if kind == Kind::Group
            && let Some(member_ops) = members::simple_ops(ops)
        {
            let attrs = record.attributes.clone();
            let member_list = self.apply_member_ops(id, &record.members, &member_ops)?;
            return self.update(kind, id, attrs, member_list, guard);
        }
        let mut resource = self.get(kind, id, true)?;
        patch::apply(&mut resource, ops, kind.read_only())?;
        let attrs = schema::normalize(kind, &self.user_body(kind, &resource))?;
        let (attrs, member_list) = self.resolve_members(kind, Some(id), attrs)?;
        self.update(kind, id, attrs, member_list, guard)
    }

    /// DELETE: the resource goes, and with it every membership that names it.
    pub(crate) fn delete(&mut self, kind: Kind, id: &str) -> Result<(), ScimError> {
        let (id, record) = self
            .table_mut(kind)
            .remove(kind, id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        if kind == Kind::User {
            self.user_deleted(&id);
        }
        for member in &record.members {
            self.unlink_member(&member.id, &id);
        }
        let Some(groups) = self.member_of.remove(&id) else {
            return Ok(());
        };
        let now: Arc<str> = Arc::from(now_rfc3339());
        for group in groups {
            if let Some(group) = self.groups.rows.get_mut(&group.id) {
                group.members.retain(|m| m.id != id);
                group.last_modified = now.clone();
                group.version += 1;
            }
        }
        Ok(())
    }

    /// Sets a user's `active` to false (a DELETE where the provider only deactivates).
    pub(crate) fn deactivate(&mut self, id: &str) -> Result<(), ScimError> {
        let record = self
            .users
            .rows
            .get_mut(id)
            .ok_or_else(|| Self::not_found(Kind::User, id))?;
        if record.attributes.get("active") != Some(&Value::Bool(false)) {
            record
                .attributes
                .insert("active".to_owned(), Value::Bool(false));
            record.last_modified = Arc::from(now_rfc3339());
            record.version += 1;
        }
        self.user_changed(id);
        Ok(())
    }

    /// Records that `member` is in `group`, keeping the list in listing order.
    fn link(&mut self, member: Arc<str>, group: GroupRef) {
        let groups = self.member_of.entry(member).or_default();
        let at = groups.partition_point(|g| g.seq < group.seq);
        groups.insert(at, group);
    }

    fn unlink_member(&mut self, member: &Arc<str>, group: &Arc<str>) {
        if let Some(groups) = self.member_of.get_mut(member) {
            groups.retain(|g| g.id != *group);
            if groups.is_empty() {
                self.member_of.remove(member);
            }
        }
    }

    /// Stores new attributes and members for an existing resource, once unique and
    /// allowed by `guard`; bumps `version` only when something changed.
    fn update(
        &mut self,
        kind: Kind,
        id: &str,
        attrs: Map<String, Value>,
        member_list: Vec<Member>,
        guard: Guard<'_>,
    ) -> Result<Map<String, Value>, ScimError> {
        self.check_unique(kind, Some(id), &attrs)?;
        let (id, record) = self
            .table(kind)
            .rows
            .get_key_value(id)
            .ok_or_else(|| Self::not_found(kind, id))?;
        let id = id.clone();
        let before: HashSet<&str> = record.members.iter().map(|m| &*m.id).collect();
        let after: HashSet<&str> = member_list.iter().map(|m| &*m.id).collect();
        let name = |attrs: &Map<String, Value>| attrs.get("displayName").cloned();
        let change = Change {
            members_added: after.difference(&before).count(),
            members_removed: before.difference(&after).count(),
            members_before: before.len(),
            attributes_changed: record.attributes != attrs,
            renamed: kind == Kind::Group && name(&record.attributes) != name(&attrs),
            name_after: name_in(kind, &attrs),
        };
        guard(&change)?;
        let removed: Vec<Arc<str>> = record
            .members
            .iter()
            .filter(|m| !after.contains(&*m.id))
            .map(|m| m.id.clone())
            .collect();
        let added: Vec<Arc<str>> = member_list
            .iter()
            .filter(|m| !before.contains(&*m.id))
            .map(|m| m.id.clone())
            .collect();
        let members_changed = record.members != member_list;
        for member in &removed {
            self.unlink_member(member, &id);
        }
        let renamed = if change.attributes_changed {
            self.table_mut(kind).set_attributes(kind, &id, attrs)
        } else {
            None
        };
        if let Some(name) = renamed {
            self.propagate_name(kind, &id, &name);
        }
        if let Some(group) = self.groups.rows.get(&id).filter(|_| kind == Kind::Group) {
            let group = GroupRef {
                seq: group.seq,
                id: id.clone(),
                name: group.name.clone(),
            };
            for member in added {
                self.link(member, group.clone());
            }
        }
        if let Some(record) = self.table_mut(kind).rows.get_mut(&id)
            && (change.attributes_changed || members_changed)
        {
            record.members = member_list;
            record.last_modified = Arc::from(now_rfc3339());
            record.version += 1;
        }
        if kind == Kind::User && change.attributes_changed {
            self.user_changed(&id);
        }
        self.get(kind, &id, true)
    }

    /// A resource's new name, copied to where memberships show it: in the groups it is
    /// a member of, and (for a group) in its members' lists of groups.
    fn propagate_name(&mut self, kind: Kind, id: &Arc<str>, name: &Arc<str>) {
        let groups: Vec<Arc<str>> = self
            .member_of
            .get(id)
            .map(|gs| gs.iter().map(|g| g.id.clone()).collect())
            .unwrap_or_default();
        for group in groups {
            if let Some(record) = self.groups.rows.get_mut(&group) {
                for member in record.members.iter_mut().filter(|m| m.id == *id) {
                    member.name = name.clone();
                }
            }
        }
        if kind != Kind::Group {
            return;
        }
        let members: Vec<Arc<str>> = self
            .groups
            .get(id)
            .map(|g| g.members.iter().map(|m| m.id.clone()).collect())
            .unwrap_or_default();
        for member in members {
            if let Some(groups) = self.member_of.get_mut(&member) {
                for group in groups.iter_mut().filter(|g| g.id == *id) {
                    group.name = name.clone();
                }
            }
        }
    }

    pub(crate) fn check_unique(
        &self,
        kind: Kind,
        own_id: Option<&str>,
        attrs: &Map<String, Value>,
    ) -> Result<(), ScimError> {
        let Some(key) = Table::unique_key(kind, attrs) else {
            return Ok(());
        };
        match self.table(kind).unique.get(&key) {
            Some(owner) if Some(&**owner) != own_id => Err(ScimError::uniqueness(format!(
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

    /// Everything, in listing order, for the data file.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let row = |id: &Arc<str>, record: &Record| {
            let mut attributes = record.attributes.clone();
            if !record.members.is_empty() {
                let list = record
                    .members
                    .iter()
                    .map(|m| json!({"value": &*m.id, "type": m.kind.name()}))
                    .collect();
                attributes.insert("members".into(), Value::Array(list));
            }
            Row {
                id: id.to_string(),
                created: record.created.to_string(),
                last_modified: record.last_modified.to_string(),
                version: record.version,
                attributes,
            }
        };
        Snapshot {
            format: SNAPSHOT_FORMAT.to_owned(),
            users: self.users.in_order().map(|(i, r)| row(i, r)).collect(),
            groups: self.groups.in_order().map(|(i, r)| row(i, r)).collect(),
            atlassian: self
                .org
                .as_ref()
                .filter(|org| !org.is_pristine())
                .map(Org::snapshot),
        }
    }

    /// A store holding a snapshot, checked as strictly as requests are: attributes valid,
    /// ids distinct, unique names unique, members existing, the organisation (if any)
    /// consistent and linked to existing users.
    pub(crate) fn from_snapshot(
        base_url: impl Into<String>,
        snapshot: Snapshot,
        seed: Option<u64>,
    ) -> Result<Store, String> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(format!(
                "format is \"{}\", expected \"{SNAPSHOT_FORMAT}\"",
                snapshot.format
            ));
        }
        let mut store = Store::new(base_url, seed);
        let mut ids = HashSet::new();
        let mut pending = Vec::new();
        for (kind, rows) in [(Kind::User, snapshot.users), (Kind::Group, snapshot.groups)] {
            for row in rows {
                if row.id.is_empty() || !ids.insert(row.id.clone()) {
                    return Err(format!(
                        "{} id \"{}\" is empty or repeated",
                        kind.name(),
                        row.id
                    ));
                }
                let mut attrs = schema::normalize(kind, &row.attributes)
                    .map_err(|e| format!("{} \"{}\": {}", kind.name(), row.id, e.detail))?;
                store
                    .check_unique(kind, None, &attrs)
                    .map_err(|e| e.detail)?;
                if let Some(members) = attrs.shift_remove("members") {
                    pending.push((row.id.clone(), members));
                }
                let id: Arc<str> = Arc::from(row.id);
                let record = Record {
                    seq: store.next_seq(),
                    created: Arc::from(row.created),
                    last_modified: Arc::from(row.last_modified),
                    version: row.version,
                    name: name_in(kind, &attrs),
                    attributes: attrs,
                    members: Vec::new(),
                };
                store.table_mut(kind).insert(kind, id, record);
            }
        }
        for (group_id, members) in pending {
            let mut attrs = Map::new();
            attrs.insert("members".into(), members);
            let (_, member_list) = store
                .resolve_members(Kind::Group, Some(&group_id), attrs)
                .map_err(|e| format!("Group \"{group_id}\": {}", e.detail))?;
            let Some((gid, group)) = store.groups.rows.get_key_value(group_id.as_str()) else {
                continue;
            };
            let group = GroupRef {
                seq: group.seq,
                id: gid.clone(),
                name: group.name.clone(),
            };
            let gid = gid.clone();
            for member in &member_list {
                store.link(member.id.clone(), group.clone());
            }
            if let Some(record) = store.groups.rows.get_mut(&gid) {
                record.members = member_list;
            }
        }
        if let Some(org) = snapshot.atlassian {
            store.org = Some(Org::from_snapshot(org).map_err(|e| format!("atlassian: {e}"))?);
            store.check_org_links()?;
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter;
    use crate::query::{ListRequest, Position};
    use crate::test_support::obj;

    fn store() -> Store {
        Store::new("http://localhost/scim/v2", Some(7))
    }

    fn id(resource: &Map<String, Value>) -> String {
        resource
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn patch_ops(ops: Value) -> Vec<Operation> {
        let mut body = Map::new();
        body.insert("Operations".to_owned(), ops);
        patch::parse_request(&body).expect("parses")
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
        assert_eq!(u["active"], true);
    }

    #[test]
    fn seeded_stores_generate_the_same_ids() {
        let mut a = store();
        let mut b = store();
        let body = obj(json!({"userName": "alice"}));
        let (x, y) = (
            a.create(Kind::User, &body).expect("created"),
            b.create(Kind::User, &body).expect("created"),
        );
        assert_eq!(id(&x), id(&y));
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
        s.replace(
            Kind::User,
            &id(&a),
            &obj(json!({"userName": "Alice"})),
            ALLOW_ALL,
        )
        .expect("renaming to a different case of itself is fine");
        let b = s
            .create(Kind::User, &obj(json!({"userName": "bob"})))
            .expect("created");
        let err = s
            .replace(
                Kind::User,
                &id(&b),
                &obj(json!({"userName": "alice"})),
                ALLOW_ALL,
            )
            .expect_err("duplicate");
        assert_eq!(err.scim_type, Some("uniqueness"));
        s.replace(
            Kind::User,
            &id(&b),
            &obj(json!({"userName": "carol"})),
            ALLOW_ALL,
        )
        .expect("renamed");
        s.create(Kind::User, &obj(json!({"userName": "bob"})))
            .expect("the old name is free again");
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
        let u = s.get(Kind::User, &uid, true).expect("exists");
        assert_eq!(u["groups"][0]["value"], g["id"]);

        s.delete(Kind::User, &uid).expect("deleted");
        let g = s.get(Kind::Group, &id(&g), true).expect("exists");
        assert!(g.get("members").is_none());
        assert_eq!(g["meta"]["version"], "W/\"2\"");
        assert!(s.member_of.is_empty());
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
                ALLOW_ALL,
            )
            .expect_err("self-membership");
        assert_eq!(err.scim_type, Some("invalidValue"));
        s.delete(Kind::Group, &id(&inner)).expect("deleted");
        let outer = s.get(Kind::Group, &id(&outer), true).expect("exists");
        assert!(outer.get("members").is_none());
    }

    #[test]
    fn failed_patch_changes_nothing() {
        let mut s = store();
        let u = s
            .create(Kind::User, &obj(json!({"userName": "alice", "title": "x"})))
            .expect("created");
        let ops = patch_ops(json!([
            {"op": "replace", "path": "title", "value": "y"},
            {"op": "remove", "path": "userName"}
        ]));
        let err = s
            .patch(Kind::User, &id(&u), &ops, ALLOW_ALL)
            .expect_err("userName required");
        assert_eq!(err.scim_type, Some("invalidValue"));
        assert_eq!(s.get(Kind::User, &id(&u), true).expect("exists"), u);
    }

    #[test]
    fn member_patches_report_their_change_and_a_guard_can_refuse_them() {
        let mut s = store();
        let a = id(&s
            .create(Kind::User, &obj(json!({"userName": "a"})))
            .expect("created"));
        let b = id(&s
            .create(Kind::User, &obj(json!({"userName": "b"})))
            .expect("created"));
        let g = id(&s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "g", "members": [{"value": a}]})),
            )
            .expect("created"));
        let ops = patch_ops(json!([
            {"op": "add", "path": "members", "value": [{"value": b}]},
            {"op": "remove", "path": format!("members[value eq \"{a}\"]")}
        ]));
        let seen = std::cell::RefCell::new(None);
        let refuse = |c: &Change| {
            *seen.borrow_mut() = Some(c.clone());
            Err(ScimError::invalid_value("no"))
        };
        s.patch(Kind::Group, &g, &ops, &refuse)
            .expect_err("refused");
        assert_eq!(
            seen.borrow().clone(),
            Some(Change {
                members_added: 1,
                members_removed: 1,
                members_before: 1,
                attributes_changed: false,
                renamed: false,
                name_after: Arc::from("g"),
            })
        );
        let group = s.get(Kind::Group, &g, true).expect("exists");
        assert_eq!(group["members"][0]["value"], a.as_str());
        s.patch(Kind::Group, &g, &ops, ALLOW_ALL).expect("applied");
        let group = s.get(Kind::Group, &g, true).expect("exists");
        assert_eq!(
            group["members"],
            json!([{"value": b, "display": "b", "$ref": format!("http://localhost/scim/v2/Users/{b}"), "type": "User"}])
        );
        assert_eq!(group["meta"]["version"], "W/\"2\"");
        assert!(!s.member_of.contains_key(a.as_str()));
        assert_eq!(s.member_of.get(b.as_str()).map(Vec::len), Some(1));
    }

    #[test]
    fn renames_reach_every_membership_that_shows_the_name() {
        let mut s = store();
        let u = id(&s
            .create(Kind::User, &obj(json!({"userName": "old-user"})))
            .expect("created"));
        let inner = id(&s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "old-inner", "members": [{"value": u}]})),
            )
            .expect("created"));
        let outer = id(&s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "outer", "members": [{"value": u}, {"value": inner}]})),
            )
            .expect("created"));
        s.replace(
            Kind::User,
            &u,
            &obj(json!({"userName": "new-user"})),
            ALLOW_ALL,
        )
        .expect("renamed");
        let ops =
            patch_ops(json!([{"op": "replace", "path": "displayName", "value": "new-inner"}]));
        s.patch(Kind::Group, &inner, &ops, ALLOW_ALL)
            .expect("renamed");
        let outer = s.get(Kind::Group, &outer, true).expect("exists");
        assert_eq!(outer["members"][0]["display"], "new-user");
        assert_eq!(outer["members"][1]["display"], "new-inner");
        let inner_group = s.get(Kind::Group, &inner, true).expect("exists");
        assert_eq!(inner_group["members"][0]["display"], "new-user");
        let user = s.get(Kind::User, &u, true).expect("exists");
        let names: Vec<&Value> = user["groups"]
            .as_array()
            .map(|g| g.iter().map(|g| &g["display"]).collect())
            .unwrap_or_default();
        assert_eq!(names, vec!["new-inner", "outer"]);
    }

    #[test]
    fn deactivate_keeps_the_user_listed() {
        let mut s = store();
        let u = id(&s
            .create(Kind::User, &obj(json!({"userName": "a"})))
            .expect("created"));
        s.deactivate(&u).expect("deactivated");
        let user = s.get(Kind::User, &u, true).expect("still there");
        assert_eq!(user["active"], false);
        assert_eq!(user["meta"]["version"], "W/\"2\"");
    }

    #[test]
    fn drift_users_come_first() {
        let mut s = store();
        for name in ["a", "b"] {
            s.create(Kind::User, &obj(json!({"userName": name})))
                .expect("created");
        }
        s.insert_drift_user();
        let page = s.list(&ListRequest {
            kind: Kind::User,
            filter: None,
            position: Position::Index(1),
            count: 10,
        });
        let page = s.render_page(Kind::User, &page, true);
        let names: Vec<&Value> = page.iter().map(|r| &r["userName"]).collect();
        assert_eq!(names, vec!["drift-1@drift.invalid", "a", "b"]);
    }

    #[test]
    fn list_pages_and_filters_in_creation_order() {
        let mut s = store();
        for name in ["c", "a", "b", "d", "e"] {
            s.create(Kind::User, &obj(json!({"userName": name})))
                .expect("created");
        }
        let request = |filter, position, count| ListRequest {
            kind: Kind::User,
            filter,
            position,
            count,
        };
        let page = s.list(&request(None, Position::Index(2), 2));
        assert_eq!(page.total, 5);
        let resources = s.render_page(Kind::User, &page, true);
        let names: Vec<&Value> = resources.iter().map(|r| &r["userName"]).collect();
        assert_eq!(names, vec!["a", "b"]);
        let f = filter::parse(r#"userName eq "D""#).expect("parses");
        let page = s.list(&request(Some(&f), Position::Index(1), 100));
        assert_eq!(page.total, 1);
        assert_eq!(s.render_page(Kind::User, &page, true)[0]["userName"], "d");
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
        let again =
            Store::from_snapshot("http://localhost/scim/v2", snap.clone(), None).expect("loads");
        assert_eq!(again.snapshot(), snap);
        assert_eq!(again.member_of.get(id(&u).as_str()).map(Vec::len), Some(1));

        let mut broken = snap;
        if let Some(g) = broken.groups.first_mut() {
            g.attributes
                .insert("members".into(), json!([{"value": "ghost"}]));
        }
        assert!(Store::from_snapshot("http://x", broken, None).is_err());
    }
}
