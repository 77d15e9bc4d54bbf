//! `diff`: the declared state against a complete live snapshot, giving a `Plan`.
//!
//! Pure: no I/O, no clock, no randomness, and the output is ordered (users, then groups,
//! each by name case-insensitively; members by name) so the same inputs give the same plan
//! byte for byte. Users are matched by userName and groups by displayName, both
//! case-insensitively; members are compared as sets of SCIM ids, resolved from userNames.
//! This is where *what* changes is decided; `apply` only decides *how*.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::compare::attribute_changes;
use super::model::{
    AttributeChange, Change, MemberRef, MemberType, PLAN_FORMAT_VERSION, Plan, Unmanaged,
};
use crate::config::{Declared, DeclaredGroup, DeclaredUser, MemberName, Membership};
use crate::live::{Live, LiveGroup, LiveUser};
use serde_json::Value;

/// Compute the plan that brings `live` to the state `declared` describes.
pub fn diff(declared: &Declared, live: &Live, target: &str) -> Plan {
    let mut notes = Vec::new();
    let live_users = index_unique(
        &live.users,
        |u| &u.user_name,
        |name, ids| {
            notes.push(format!(
                "the directory has {} users whose userName is `{name}` (ids {}); the first is matched",
                ids.len(),
                ids.join(", ")
            ))
        },
        |u| &u.id,
    );
    let live_groups = index_unique(
        &live.groups,
        |g| &g.display_name,
        |name, ids| {
            notes.push(format!(
                "the directory has {} groups named `{name}` (ids {}); the first is matched",
                ids.len(),
                ids.join(", ")
            ))
        },
        |g| &g.id,
    );

    let mut changes = Vec::new();
    let mut users: Vec<&DeclaredUser> = declared.users.iter().collect();
    users.sort_by_cached_key(|u| (u.user_name.to_lowercase(), u.user_name.clone()));
    for user in &users {
        match live_users.get(&user.user_name.to_lowercase()) {
            None => changes.push(Change::CreateUser {
                user_name: user.user_name.clone(),
                attributes: user.attributes.clone(),
            }),
            Some(found) => {
                let attributes = attribute_changes(&user.attributes, &found.resource);
                if !attributes.is_empty() {
                    changes.push(Change::UpdateUser {
                        id: found.id.clone(),
                        user_name: user.user_name.clone(),
                        attributes,
                    });
                }
            }
        }
    }

    let names = NameIndex::new(live, &live_users, &live_groups);
    let mut groups: Vec<&DeclaredGroup> = declared.groups.iter().collect();
    groups.sort_by_cached_key(|g| (g.display_name.to_lowercase(), g.display_name.clone()));
    for group in &groups {
        let wanted: Vec<MemberRef> = group
            .members
            .iter()
            .flatten()
            .map(|member| names.declared_member(member))
            .collect();
        match live_groups.get(&group.display_name.to_lowercase()) {
            None => changes.push(Change::CreateGroup {
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
                    changes.push(Change::UpdateGroup {
                        id: found.id.clone(),
                        display_name: group.display_name.clone(),
                        attributes,
                        add_members,
                        remove_members,
                    });
                }
            }
        }
    }

    let declared_users: HashSet<String> = declared
        .users
        .iter()
        .map(|u| u.user_name.to_lowercase())
        .collect();
    let declared_groups: HashSet<String> = declared
        .groups
        .iter()
        .map(|g| g.display_name.to_lowercase())
        .collect();
    let unmanaged = Unmanaged {
        users: live
            .users
            .iter()
            .filter(|u| !declared_users.contains(&u.user_name.to_lowercase()))
            .count(),
        groups: live
            .groups
            .iter()
            .filter(|g| !declared_groups.contains(&g.display_name.to_lowercase()))
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
/// smallest id wins (deterministically) and `on_duplicate` is told.
fn index_unique<'a, T>(
    items: &'a [T],
    name: impl Fn(&T) -> &String,
    mut on_duplicate: impl FnMut(&str, Vec<String>),
    id: impl Fn(&T) -> &String,
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
                    found.iter().map(|f| id(f).clone()).collect(),
                ));
            }
            (key, found[0])
        })
        .collect();
    duplicates.sort();
    for (name, ids) in duplicates {
        on_duplicate(&name, ids);
    }
    index
}

/// Names and ids of everything a member value can point at.
struct NameIndex<'a> {
    /// Live user and group ids → (name, type).
    by_id: HashMap<&'a str, (&'a str, MemberType)>,
    /// Live users by lower-cased userName.
    user_ids: &'a HashMap<String, &'a LiveUser>,
    /// Live groups by lower-cased displayName.
    group_ids: &'a HashMap<String, &'a LiveGroup>,
}

impl<'a> NameIndex<'a> {
    fn new(
        live: &'a Live,
        user_ids: &'a HashMap<String, &'a LiveUser>,
        group_ids: &'a HashMap<String, &'a LiveGroup>,
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
            user_ids,
            group_ids,
        }
    }

    /// A declared member: its live id, or none when the plan creates it.
    fn declared_member(&self, member: &MemberName) -> MemberRef {
        match member {
            MemberName::User(user_name) => MemberRef {
                name: Some(user_name.clone()),
                id: self
                    .user_ids
                    .get(&user_name.to_lowercase())
                    .map(|u| u.id.clone()),
                r#type: MemberType::User,
            },
            MemberName::Group(display_name) => MemberRef {
                name: Some(display_name.clone()),
                id: self
                    .group_ids
                    .get(&display_name.to_lowercase())
                    .map(|g| g.id.clone()),
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

fn group_attribute_changes(group: &DeclaredGroup, live: &LiveGroup) -> Vec<AttributeChange> {
    let mut declared = serde_json::Map::new();
    if let Some(external_id) = &group.external_id {
        declared.insert("externalId".to_string(), Value::String(external_id.clone()));
    }
    attribute_changes(&declared, &live.resource)
}

/// Members to add and to remove so that the live group has exactly the declared members.
fn member_changes(
    group: &DeclaredGroup,
    live: &LiveGroup,
    wanted: Vec<MemberRef>,
    names: &NameIndex<'_>,
    notes: &mut Vec<String>,
) -> (Vec<MemberRef>, Vec<MemberRef>) {
    let current: BTreeSet<&str> = live.members.iter().map(String::as_str).collect();
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
