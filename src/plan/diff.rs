//! `diff`: the declared state against a complete live snapshot, giving a `Plan`.
//!
//! Pure: no I/O, no clock, no randomness. Users are matched by userName (then by a former
//! name in `previously:`, which plans a rename), groups by displayName (then `previously:`),
//! all case-insensitively; members are compared as sets of SCIM ids resolved from names.
//! The plan lists changes in the order apply must run them: users (creates ordered so a
//! manager comes before the people who report to them), then group creates (a nested group
//! before the group that contains it), then group updates — each run sorted by name, so the
//! same inputs give the same plan byte for byte. This is where *what* changes is decided;
//! `apply` only decides *how*.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use super::compare::attribute_changes;
use super::model::{
    AttributeChange, Change, ManagerChange, MemberRef, MemberType, PLAN_FORMAT_VERSION, Plan,
    Unmanaged,
};
use super::order::dependency_order;
use crate::config::{Declared, DeclaredGroup, DeclaredUser, MemberName, Membership};
use crate::live::{Live, LiveGroup, LiveUser};
use crate::scim::{attribute, string_attribute};

/// The schema URN of the enterprise extension, where `manager` lives.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Compute the plan that brings `live` to the state `declared` describes.
pub fn diff(declared: &Declared, live: &Live, target: &str) -> Plan {
    let mut notes = Vec::new();
    let live_users = index_unique(
        &live.users,
        |u| &u.user_name,
        |u| u.id.as_str(),
        "users",
        &mut notes,
    );
    let live_groups = index_unique(
        &live.groups,
        |g| &g.display_name,
        |g| g.id.as_str(),
        "groups",
        &mut notes,
    );

    let mut users: Vec<&DeclaredUser> = declared.users.iter().collect();
    users.sort_by_cached_key(|u| (u.user_name.to_lowercase(), u.user_name.clone()));
    let mut groups: Vec<&DeclaredGroup> = declared.groups.iter().collect();
    groups.sort_by_cached_key(|g| (g.display_name.to_lowercase(), g.display_name.clone()));

    let matched_users = match_by_name(
        &users,
        &live_users,
        |u| &u.user_name,
        |u| &u.previously,
        "user",
        &mut notes,
    );
    let matched_groups = match_by_name(
        &groups,
        &live_groups,
        |g| &g.display_name,
        |g| &g.previously,
        "group",
        &mut notes,
    );
    let names = NameIndex::new(live, &matched_users, &matched_groups);

    // Users.
    let mut user_creates = Vec::new();
    let mut user_updates = Vec::new();
    for user in &users {
        let manager = user.manager.as_deref().map(|m| names.user(m));
        match matched_users.get(&user.user_name.to_lowercase()) {
            None => user_creates.push(Change::CreateUser {
                user_name: user.user_name.clone(),
                attributes: user.attributes.clone(),
                manager,
            }),
            Some(found) => {
                let mut attributes = Vec::new();
                if !found.user_name.eq_ignore_ascii_case(&user.user_name) {
                    attributes.push(AttributeChange {
                        path: "userName".to_string(),
                        old: Some(Value::String(found.user_name.clone())),
                        new: Value::String(user.user_name.clone()),
                    });
                }
                let resource = found.resource();
                attributes.extend(attribute_changes(&user.attributes, &resource));
                let manager = manager.and_then(|wanted| manager_change(&resource, wanted, &names));
                if !attributes.is_empty() || manager.is_some() {
                    user_updates.push(Change::UpdateUser {
                        id: found.id.to_string(),
                        user_name: user.user_name.clone(),
                        attributes,
                        manager,
                    });
                }
            }
        }
    }
    let user_creates = dependency_order(user_creates, |change| match change {
        Change::CreateUser {
            user_name, manager, ..
        } => (
            user_name.to_lowercase(),
            manager
                .iter()
                .filter(|m| m.id.is_none())
                .filter_map(|m| m.name.as_ref().map(|n| n.to_lowercase()))
                .collect(),
        ),
        _ => (String::new(), Vec::new()),
    });

    // Groups.
    let mut group_creates = Vec::new();
    let mut group_updates = Vec::new();
    for group in &groups {
        let wanted: Vec<MemberRef> = group
            .members
            .iter()
            .flatten()
            .map(|member| names.declared_member(member))
            .collect();
        match matched_groups.get(&group.display_name.to_lowercase()) {
            None => group_creates.push(Change::CreateGroup {
                display_name: group.display_name.clone(),
                external_id: group.external_id.clone(),
                members: sorted(wanted),
            }),
            Some(found) => {
                let attributes = group_attribute_changes(group, found);
                let (add_members, remove_members) = match &group.members {
                    None => (Vec::new(), Vec::new()),
                    Some(_) => member_changes(group, found, wanted, &names, &mut notes),
                };
                if !attributes.is_empty() || !add_members.is_empty() || !remove_members.is_empty() {
                    group_updates.push(Change::UpdateGroup {
                        id: found.id.to_string(),
                        display_name: group.display_name.clone(),
                        attributes,
                        add_members,
                        remove_members,
                    });
                }
            }
        }
    }
    let group_creates = dependency_order(group_creates, |change| match change {
        Change::CreateGroup {
            display_name,
            members,
            ..
        } => (
            display_name.to_lowercase(),
            members
                .iter()
                .filter(|m| m.r#type == MemberType::Group && m.id.is_none())
                .filter_map(|m| m.name.as_ref().map(|n| n.to_lowercase()))
                .collect(),
        ),
        _ => (String::new(), Vec::new()),
    });

    let mut changes = user_creates;
    changes.extend(user_updates);
    changes.extend(group_creates);
    changes.extend(group_updates);

    let matched_user_ids: HashSet<&str> = matched_users.values().map(|u| u.id.as_str()).collect();
    let matched_group_ids: HashSet<&str> = matched_groups.values().map(|g| g.id.as_str()).collect();
    let unmanaged = Unmanaged {
        users: live
            .users
            .iter()
            .filter(|u| !matched_user_ids.contains(u.id.as_str()))
            .count(),
        groups: live
            .groups
            .iter()
            .filter(|g| !matched_group_ids.contains(g.id.as_str()))
            .count(),
    };

    Plan {
        format_version: PLAN_FORMAT_VERSION,
        target: target.to_string(),
        config_digest: declared.digest.clone(),
        changes,
        unmanaged,
        notes,
    }
}

/// Live resources by lower-cased name; for a name held by several, the one with the
/// smallest id wins (deterministically) and a note says so.
fn index_unique<'a, T>(
    items: &'a [T],
    name: impl Fn(&T) -> &String,
    id: impl Fn(&T) -> &str,
    plural: &str,
    notes: &mut Vec<String>,
) -> HashMap<String, &'a T> {
    let mut by_name: HashMap<String, Vec<&'a T>> = HashMap::new();
    for item in items {
        by_name
            .entry(name(item).to_lowercase())
            .or_default()
            .push(item);
    }
    let mut duplicates: Vec<(String, Vec<String>)> = Vec::new();
    let index = by_name
        .into_iter()
        .map(|(key, mut found)| {
            found.sort_by(|a, b| id(a).cmp(id(b)));
            if found.len() > 1 {
                duplicates.push((
                    name(found[0]).clone(),
                    found.iter().map(|f| id(f).to_string()).collect(),
                ));
            }
            (key, found[0])
        })
        .collect();
    duplicates.sort();
    for (name, ids) in duplicates {
        notes.push(format!(
            "the directory has {} {plural} named `{name}` (ids {}); the first is matched",
            ids.len(),
            ids.join(", ")
        ));
    }
    index
}

/// Declared entries (sorted) to live resources: by current name, else by a former name
/// that no declared entry holds as its current name. Keyed by the lower-cased declared name.
fn match_by_name<'a, D, L>(
    declared: &[&D],
    live: &HashMap<String, &'a L>,
    name: impl Fn(&D) -> &String,
    previously: impl Fn(&D) -> &Vec<String>,
    noun: &str,
    notes: &mut Vec<String>,
) -> HashMap<String, &'a L> {
    let current: HashSet<String> = declared.iter().map(|d| name(d).to_lowercase()).collect();
    let mut matched = HashMap::new();
    for entry in declared {
        let key = name(entry).to_lowercase();
        if let Some(found) = live.get(&key) {
            for former in previously(entry) {
                if live.contains_key(&former.to_lowercase()) {
                    notes.push(format!(
                        "{noun} `{}` lists `{former}` under previously:, but both names exist in the directory; the current name is matched and `{former}` is left alone",
                        name(entry)
                    ));
                }
            }
            matched.insert(key, *found);
            continue;
        }
        let former = previously(entry).iter().find_map(|former| {
            let former = former.to_lowercase();
            (!current.contains(&former))
                .then(|| live.get(&former))
                .flatten()
        });
        if let Some(found) = former {
            matched.insert(key, *found);
        }
    }
    matched
}

/// Names and ids of everything a member value can point at.
struct NameIndex<'a> {
    /// Live user and group ids → (name, type).
    by_id: HashMap<&'a str, (&'a str, MemberType)>,
    /// Live users matched to declared users, by lower-cased declared userName.
    users: &'a HashMap<String, &'a LiveUser>,
    /// Live groups matched to declared groups, by lower-cased declared displayName.
    groups: &'a HashMap<String, &'a LiveGroup>,
}

impl<'a> NameIndex<'a> {
    fn new(
        live: &'a Live,
        users: &'a HashMap<String, &'a LiveUser>,
        groups: &'a HashMap<String, &'a LiveGroup>,
    ) -> NameIndex<'a> {
        let mut by_id = HashMap::new();
        for user in &live.users {
            by_id.insert(
                user.id.as_str(),
                (user.user_name.as_str(), MemberType::User),
            );
        }
        for group in &live.groups {
            by_id.insert(
                group.id.as_str(),
                (group.display_name.as_str(), MemberType::Group),
            );
        }
        NameIndex {
            by_id,
            users,
            groups,
        }
    }

    /// A declared user: its live id, or none when the plan creates it.
    fn user(&self, user_name: &str) -> MemberRef {
        MemberRef {
            name: Some(user_name.to_string()),
            id: self
                .users
                .get(&user_name.to_lowercase())
                .map(|u| u.id.to_string()),
            r#type: MemberType::User,
        }
    }

    /// A declared member: its live id, or none when the plan creates it.
    fn declared_member(&self, member: &MemberName) -> MemberRef {
        match member {
            MemberName::User(user_name) => self.user(user_name),
            MemberName::Group(display_name) => MemberRef {
                name: Some(display_name.clone()),
                id: self
                    .groups
                    .get(&display_name.to_lowercase())
                    .map(|g| g.id.to_string()),
                r#type: MemberType::Group,
            },
        }
    }

    /// A live member value.
    fn live_member(&self, id: &str) -> MemberRef {
        let (name, r#type) = match self.by_id.get(id) {
            Some((name, kind)) => (Some((*name).to_string()), *kind),
            None => (None, MemberType::User),
        };
        MemberRef {
            name,
            id: Some(id.to_string()),
            r#type,
        }
    }
}

/// The manager change for a live user (its resource), if the declared manager is not the live one.
fn manager_change(live: &Value, wanted: MemberRef, names: &NameIndex<'_>) -> Option<ManagerChange> {
    let current = live
        .as_object()
        .and_then(|o| attribute(o, ENTERPRISE_USER))
        .and_then(|e| e.as_object())
        .and_then(|e| attribute(e, "manager"))
        .and_then(|m| string_attribute(m, "value"))
        .map(str::to_string);
    if current.is_some() && current == wanted.id {
        return None;
    }
    Some(ManagerChange {
        old: current.map(|id| names.live_member(&id)),
        new: wanted,
    })
}

fn group_attribute_changes(group: &DeclaredGroup, live: &LiveGroup) -> Vec<AttributeChange> {
    let mut changes = Vec::new();
    if live.display_name != group.display_name
        && !live.display_name.eq_ignore_ascii_case(&group.display_name)
    {
        changes.push(AttributeChange {
            path: "displayName".to_string(),
            old: Some(Value::String(live.display_name.clone())),
            new: Value::String(group.display_name.clone()),
        });
    }
    let mut declared = serde_json::Map::new();
    if let Some(external_id) = &group.external_id {
        declared.insert("externalId".to_string(), Value::String(external_id.clone()));
    }
    changes.extend(attribute_changes(&declared, &live.resource()));
    changes
}

/// Members to add and to remove so that the live group has the declared members (all of
/// them, or at least them for an additive group).
fn member_changes(
    group: &DeclaredGroup,
    live: &LiveGroup,
    wanted: Vec<MemberRef>,
    names: &NameIndex<'_>,
    notes: &mut Vec<String>,
) -> (Vec<MemberRef>, Vec<MemberRef>) {
    let current: BTreeSet<&str> = live.members.iter().collect();
    let wanted_ids: HashSet<&str> = wanted.iter().filter_map(|m| m.id.as_deref()).collect();
    let add: Vec<MemberRef> = wanted
        .iter()
        .filter(|m| m.id.as_deref().is_none_or(|id| !current.contains(id)))
        .cloned()
        .collect();
    let mut remove = Vec::new();
    if group.membership == Membership::Additive {
        return (sorted(add), remove);
    }
    for id in current {
        if wanted_ids.contains(id) {
            continue;
        }
        let member = names.live_member(id);
        if member.name.is_none() {
            notes.push(format!(
                "group `{}` lists member id `{id}`, which matches no user or group in the directory (a dangling reference); it is removed because the group's members are declared",
                group.display_name
            ));
        }
        remove.push(member);
    }
    (sorted(add), sorted(remove))
}

fn sorted(mut members: Vec<MemberRef>) -> Vec<MemberRef> {
    members.sort_by_cached_key(|m| {
        (
            m.name.as_deref().map(str::to_lowercase),
            m.id.clone(),
            m.r#type,
        )
    });
    members
}
