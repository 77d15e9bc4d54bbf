//! Whether a saved plan still fits the directory: every live object a change touches must
//! be as it was when the plan was made (its fingerprint, recomputed from a fresh read),
//! and every object a change creates must still be absent. A plan that does not fit is
//! stale and is refused before the first write, naming each object and what changed
//! ("group engineering gained a member since the plan").
//!
//! Pure: it compares a `Plan` with a `Live` snapshot.

use std::collections::HashMap;

use serde_json::Value;

use super::change::{Action, Change, Fingerprint, ResourceType};
use super::fingerprint::{group_fingerprint, user_fingerprint, value_at};
use super::model::Plan;
use crate::config::PackedValue;
use crate::config::fold_name;
use crate::live::{Live, LiveGroup, LiveUser};
use crate::scim::{as_bool, attribute};

/// One change whose live object is not as the plan saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    pub address: String,
    /// What changed, in words.
    pub what: String,
}

/// The changes of `plan` that no longer fit `live` (empty: the plan can be applied).
pub fn stale_changes(plan: &Plan, live: &Live) -> Vec<Stale> {
    let users: HashMap<&str, &LiveUser> = live.users.iter().map(|u| (u.id.as_str(), u)).collect();
    let groups: HashMap<&str, &LiveGroup> =
        live.groups.iter().map(|g| (g.id.as_str(), g)).collect();
    let user_names: HashMap<String, &LiveUser> = live
        .users
        .iter()
        .map(|u| (fold_name(&u.user_name).into_owned(), u))
        .collect();
    let group_names: HashMap<String, &LiveGroup> = live
        .groups
        .iter()
        .map(|g| (fold_name(&g.display_name).into_owned(), g))
        .collect();
    let mut stale = Vec::new();
    for change in &plan.changes {
        let what = match (change.resource, &change.id, &change.fingerprint) {
            (ResourceType::User, None, _)
                if matches!(change.action, Action::Create | Action::Link) =>
            {
                user_names.get(fold_name(&change.name).as_ref()).map(|u| {
                    format!(
                        "a user `{}` (id {}) was created since the plan",
                        u.user_name, u.id
                    )
                })
            }
            (ResourceType::Group, None, _) if change.action == Action::Create => {
                group_names.get(fold_name(&change.name).as_ref()).map(|g| {
                    format!(
                        "a group `{}` (id {}) was created since the plan",
                        g.display_name, g.id
                    )
                })
            }
            (ResourceType::User, Some(id), Some(before)) => match users.get(id.as_str()) {
                None => Some(format!("user id {id} no longer exists")),
                Some(user) => user_difference(user, change, before),
            },
            (ResourceType::Group, Some(id), Some(before)) => match groups.get(id.as_str()) {
                None => Some(format!("group id {id} no longer exists")),
                Some(group) => group_difference(group, before),
            },
            _ => None,
        };
        // A replace also creates a group under its new name, which must still be free.
        let what = what.or_else(|| {
            (change.action == Action::Replace)
                .then(|| group_names.get(fold_name(&change.name).as_ref()))
                .flatten()
                .map(|g| {
                    format!(
                        "a group `{}` (id {}) was created since the plan",
                        g.display_name, g.id
                    )
                })
        });
        if let Some(what) = what {
            stale.push(Stale {
                address: change.address.clone(),
                what,
            });
        }
    }
    stale
}

fn user_difference(user: &LiveUser, change: &Change, before: &Fingerprint) -> Option<String> {
    let resource = user.resource();
    let now = user_fingerprint(user, &resource, &before.attributes);
    if now.digest == before.digest {
        return None;
    }
    let object = resource.as_object();
    let active = object
        .and_then(|o| attribute(o, "active"))
        .and_then(as_bool);
    if active != before.active {
        return Some(match active {
            Some(false) => "the user was deactivated since the plan".to_string(),
            Some(true) => "the user was activated since the plan".to_string(),
            None => "the user's `active` changed since the plan".to_string(),
        });
    }
    if let Some(renamed) = change
        .attribute("userName")
        .and_then(|a| a.old.as_ref())
        .and_then(PackedValue::as_str)
        .filter(|old| *old != user.user_name)
    {
        return Some(format!(
            "the user was renamed from `{renamed}` to `{}` since the plan",
            user.user_name
        ));
    }
    // The attributes the plan changes, whose live value it kept: name those that moved.
    let moved: Vec<&str> = change
        .attributes
        .iter()
        .filter(|a| a.path != "userName")
        .filter(
            |a| match (object.and_then(|o| value_at(o, &a.path)), &a.old) {
                (Some(now), Some(then)) => *then != *now,
                (now, then) => now.is_some() != then.is_some(),
            },
        )
        .map(|a| a.path.as_str())
        .collect();
    Some(if moved.is_empty() {
        format!(
            "one of the user's compared attributes ({}) changed since the plan",
            before.attributes.join(", ")
        )
    } else {
        format!("the user's {} changed since the plan", moved.join(", "))
    })
}

fn group_difference(group: &LiveGroup, before: &Fingerprint) -> Option<String> {
    let resource = group.resource();
    let now = group_fingerprint(group, &resource);
    if now.digest == before.digest {
        return None;
    }
    let was = before.members.unwrap_or(0);
    let is = group.members.len();
    Some(match is.cmp(&was) {
        std::cmp::Ordering::Greater => format!(
            "the group gained {} since the plan ({was} → {is})",
            members(is - was)
        ),
        std::cmp::Ordering::Less => format!(
            "the group lost {} since the plan ({was} → {is})",
            members(was - is)
        ),
        std::cmp::Ordering::Equal => {
            let external = resource
                .as_object()
                .and_then(|o| attribute(o, "externalId"))
                .and_then(Value::as_str)
                .unwrap_or("");
            format!(
                "the group changed since the plan (its members, name `{}` or externalId `{external}`)",
                group.display_name
            )
        }
    })
}

fn members(n: usize) -> String {
    if n == 1 {
        "a member".to_string()
    } else {
        format!("{n} members")
    }
}
