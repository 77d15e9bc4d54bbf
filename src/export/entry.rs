//! One user or one group as a configuration entry: the attributes the configuration
//! format can express, picked from the resource as read, with managers and members by
//! name. The entry borrows its strings from the resource; `yaml` writes it.
//!
//! Users: userName, the simple strings, `name`, `active`, emails and phone numbers
//! (`value`, `type`, `primary`), the enterprise extension (its manager by userName).
//! Groups: displayName, externalId, members sorted as [`Index`] places them — a user by
//! userName, or `{user: NAME}` when the userName starts with `group:` (which the short
//! form would read as a group), a group as `group:NAME`. What cannot be written is said
//! in a warning.

use std::borrow::Cow;

use super::index::{Index, Resource};
use super::yaml::Node;
use crate::live::LiveGroup;
use crate::live::json_view::{Json, Pairs, attribute, string_attribute};
use crate::plan::ENTERPRISE_USER;

/// Simple string attributes of a user, in the order they are written.
const USER_STRINGS: &[&str] = &[
    "externalId",
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
];
const NAME_PARTS: &[&str] = &[
    "formatted",
    "givenName",
    "familyName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
const ENTERPRISE_STRINGS: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
];

/// A user (its resource as read) as a configuration entry.
pub(super) fn user<'a>(
    resource: &'a Json<'_>,
    index: &Index<'a>,
    warnings: &mut Vec<String>,
) -> Node<'a> {
    let user_name = string_attribute(resource, "userName").unwrap_or_default();
    let mut entry = vec![("userName", Node::str(user_name))];
    let Some(live) = resource.as_object() else {
        // Never so: a resource as read is an object.
        return Node::Map(entry);
    };
    entry.extend(strings(live, USER_STRINGS));
    if let Some(name) = attribute(live, "name").and_then(Json::as_object) {
        let parts = strings(name, NAME_PARTS);
        if !parts.is_empty() {
            entry.push(("name", Node::Map(parts)));
        }
    }
    if let Some(active) = attribute(live, "active").and_then(Json::as_bool) {
        entry.push(("active", Node::Bool(active)));
    }
    for key in ["emails", "phoneNumbers"] {
        if let Some(items) = attribute(live, key).and_then(Json::as_array) {
            let values: Vec<Node<'a>> = items.iter().filter_map(multi_value).collect();
            if !values.is_empty() {
                entry.push((key, Node::Seq(values)));
            }
        }
    }
    if let Some(enterprise) = attribute(live, ENTERPRISE_USER).and_then(Json::as_object) {
        let mut fields = strings(enterprise, ENTERPRISE_STRINGS);
        if let Some(manager_id) =
            attribute(enterprise, "manager").and_then(|m| string_attribute(m, "value"))
        {
            match index.user_name(manager_id) {
                Some(manager) => fields.push(("manager", Node::str(manager))),
                None => warnings.push(format!(
                    "user `{user_name}` has manager id `{manager_id}`, which matches no user; it is left out"
                )),
            }
        }
        if !fields.is_empty() {
            entry.push(("enterprise", Node::Map(fields)));
        }
    }
    Node::Map(entry)
}

/// A user's enterprise department, as [`user`] writes it.
pub(super) fn department<'j>(resource: &'j Json<'_>) -> Option<&'j str> {
    let enterprise = resource
        .as_object()
        .and_then(|live| attribute(live, ENTERPRISE_USER))
        .and_then(Json::as_object)?;
    attribute(enterprise, "department").and_then(Json::as_str)
}

/// A group (its resource as read, without members) as a configuration entry.
pub(super) fn group<'a>(
    group: &'a LiveGroup,
    resource: &'a Json<'_>,
    index: &Index<'a>,
    warnings: &mut Vec<String>,
) -> Node<'a> {
    let mut entry = vec![("displayName", Node::str(&group.display_name))];
    if let Some(external_id) = string_attribute(resource, "externalId") {
        entry.push(("externalId", Node::str(external_id)));
    }
    let mut members: Vec<(u32, Node<'a>)> = Vec::with_capacity(group.members.len());
    let ids: Vec<&str> = group.members.iter().collect();
    let mut found = Vec::new();
    index.resources(&ids, &mut found);
    for (id, found) in ids.iter().zip(found) {
        match found {
            Some(member) => members.push((index.rank(member), member_node(member, index))),
            None => warnings.push(format!(
                "group `{}` lists member id `{id}`, which matches no user or group; it is left out (a plan will remove it from the group)",
                group.display_name
            )),
        }
    }
    members.sort_by_key(|(rank, _)| *rank);
    if group.members_listed {
        let members = members.into_iter().map(|(_, node)| node).collect();
        entry.push(("members", Node::Seq(members)));
    } else {
        // `members: []` would have apply empty the group: leave it unmanaged.
        warnings.push(format!(
            "the members of group `{}` were not read; it is written without `members:`, so that its membership is left as it is",
            group.display_name
        ));
    }
    Node::Map(entry)
}

/// How a member is written: a user by userName, or `{user: NAME}` where the short form
/// would name a group; a group as `group:NAME` (which the loader reads back as exactly
/// NAME, whatever it holds).
fn member_node<'a>(member: Resource, index: &Index<'a>) -> Node<'a> {
    let live = index.live();
    match member {
        Resource::User(i) => {
            let name = live.users[i as usize].user_name.as_str();
            if name.starts_with("group:") {
                Node::Map(vec![("user", Node::str(name))])
            } else {
                Node::str(name)
            }
        }
        Resource::Group(i) => Node::Str(Cow::Owned(format!(
            "group:{}",
            live.groups[i as usize].display_name
        ))),
    }
}

/// The string attributes among `keys`, in that order.
fn strings<'a>(object: &'a Pairs<'_>, keys: &[&'static str]) -> Vec<(&'static str, Node<'a>)> {
    keys.iter()
        .filter_map(|key| {
            let value = attribute(object, key).and_then(Json::as_str)?;
            Some((*key, Node::str(value)))
        })
        .collect()
}

/// `{value, type, primary}` of one email or phone number.
fn multi_value<'a>(item: &'a Json<'_>) -> Option<Node<'a>> {
    let object = item.as_object()?;
    let mut out = vec![(
        "value",
        Node::str(attribute(object, "value").and_then(Json::as_str)?),
    )];
    if let Some(kind) = attribute(object, "type").and_then(Json::as_str) {
        out.push(("type", Node::str(kind)));
    }
    if let Some(primary) = attribute(object, "primary").and_then(Json::as_bool) {
        out.push(("primary", Node::Bool(primary)));
    }
    Some(Node::Map(out))
}
