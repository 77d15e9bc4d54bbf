//! The safety guards, evaluated on a computed plan: the destroy budget
//! (`policy.max_destroy`), protected users and groups, privileged groups left empty and
//! groups going under their `min_members`.
//!
//! A trip does not change the plan: it is recorded in it, every output shows it first,
//! and `plan`/`apply` refuse (exit 3) unless `--force`. Pure.

use std::collections::HashSet;

use super::change::{Action, Change, ResourceType};
use super::model::{DestroyBudget, GuardKind, GuardTrip, Guards};
use crate::config::Policy;

/// The default of `policy.max_destroy.count`.
pub const DEFAULT_MAX_DESTROY_COUNT: u32 = 10;
/// The default of `policy.max_destroy.percent`.
pub const DEFAULT_MAX_DESTROY_PERCENT: f64 = 10.0;

/// What the guards need to know about a declared group besides its change.
#[derive(Debug, Clone)]
pub(crate) struct GroupOutcome {
    pub(crate) address: String,
    pub(crate) privileged: bool,
    pub(crate) min_members: Option<u32>,
    /// Members before the plan (`None`: the plan creates the group).
    pub(crate) before: Option<usize>,
    /// Members after the plan.
    pub(crate) after: usize,
    /// Whether the plan changes the group.
    pub(crate) changed: bool,
}

/// The userNames (folded) whose removal from a group trips the protected-user guard,
/// with the address of the group change that removes them.
pub(crate) struct ProtectedRemoval {
    pub(crate) user: String,
    pub(crate) group: String,
}

/// Every guard on `changes`.
pub(crate) fn evaluate(
    changes: &[Change],
    groups: &[GroupOutcome],
    removals: &[ProtectedRemoval],
    policy: &Policy,
    managed_users: usize,
) -> Guards {
    let count = policy
        .max_destroy
        .count
        .unwrap_or(DEFAULT_MAX_DESTROY_COUNT);
    let percent = policy
        .max_destroy
        .percent
        .unwrap_or(DEFAULT_MAX_DESTROY_PERCENT);
    let destructive: usize = changes.iter().map(destroy_weight).sum();
    let mut trips = Vec::new();
    if destructive > count as usize {
        trips.push(GuardTrip {
            guard: GuardKind::MaxDestroyCount,
            subject: None,
            message: format!(
                "the plan destroys or deactivates {destructive} (deactivations, deletions, replacements and removals from privileged groups); policy.max_destroy.count allows {count}"
            ),
        });
    }
    let share = if managed_users == 0 {
        if destructive > 0 { f64::INFINITY } else { 0.0 }
    } else {
        destructive as f64 * 100.0 / managed_users as f64
    };
    if share > percent {
        let shown = if share.is_finite() {
            format!("{share:.1} %")
        } else {
            "all".to_string()
        };
        trips.push(GuardTrip {
            guard: GuardKind::MaxDestroyPercent,
            subject: None,
            message: format!(
                "the plan destroys or deactivates {destructive} against {managed_users} managed user{} ({shown}); policy.max_destroy.percent allows {percent} %",
                if managed_users == 1 { "" } else { "s" }
            ),
        });
    }
    for change in changes.iter().filter(|c| c.protected) {
        let what = match (change.resource, change.action) {
            (_, Action::Delete) => Some("deletes"),
            (_, Action::Deactivate) => Some("deactivates"),
            (_, Action::Rename) => Some("renames"),
            (ResourceType::User, Action::Adopt) => Some("gives another account the name of"),
            (ResourceType::Group, Action::Replace) => Some("replaces"),
            _ => None,
        };
        let guard = match change.resource {
            ResourceType::User => GuardKind::ProtectedUser,
            ResourceType::Group => GuardKind::ProtectedGroup,
        };
        if let Some(what) = what {
            trips.push(GuardTrip {
                guard,
                subject: Some(change.address.clone()),
                message: format!(
                    "the plan {what} protected {} `{}`",
                    change.resource.noun(),
                    change.name
                ),
            });
        } else if change.resource == ResourceType::Group && !change.members.remove.is_empty() {
            trips.push(GuardTrip {
                guard,
                subject: Some(change.address.clone()),
                message: format!(
                    "protected group `{}` would lose {} member{}",
                    change.name,
                    change.members.remove.len(),
                    if change.members.remove.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                ),
            });
        }
    }
    let mut removals: Vec<&ProtectedRemoval> = removals.iter().collect();
    removals.sort_by(|a, b| (&a.group, &a.user).cmp(&(&b.group, &b.user)));
    let mut seen = HashSet::new();
    for removal in removals {
        if seen.insert((&removal.user, &removal.group)) {
            trips.push(GuardTrip {
                guard: GuardKind::ProtectedUser,
                subject: Some(removal.group.clone()),
                message: format!(
                    "protected user `{}` would be removed from {}",
                    removal.user, removal.group
                ),
            });
        }
    }
    for group in groups {
        if group.privileged && group.after == 0 && group.before != Some(0) {
            trips.push(GuardTrip {
                guard: GuardKind::PrivilegedEmptied,
                subject: Some(group.address.clone()),
                message: format!("privileged {} would have no members", group.address),
            });
        }
        if let Some(min) = group.min_members {
            let min = min as usize;
            // Only a group the plan creates or changes: a plan that leaves a group alone
            // does not make it worse.
            if group.after < min && (group.before.is_none() || group.changed) {
                trips.push(GuardTrip {
                    guard: GuardKind::MinMembers,
                    subject: Some(group.address.clone()),
                    message: format!(
                        "{} would have {} member{}, fewer than its min_members of {min}",
                        group.address,
                        group.after,
                        if group.after == 1 { "" } else { "s" }
                    ),
                });
            }
        }
    }
    Guards {
        max_destroy: DestroyBudget {
            count,
            percent,
            managed_users,
            destructive,
        },
        trips,
    }
}

/// How much a change spends of the destroy budget: 1 for a deactivation, deletion or
/// replacement, plus 1 for each member it removes from a privileged group.
pub(crate) fn destroy_weight(change: &Change) -> usize {
    let own = usize::from(
        matches!(
            change.action,
            Action::Deactivate | Action::Delete | Action::Replace
        ) || deactivates(change),
    );
    let privileged = if change.privileged && change.action != Action::Delete {
        change.members.remove.len()
    } else {
        0
    };
    own + privileged
}

/// Whether a change sets `active` to false (a deactivation, whatever its main action).
pub(crate) fn deactivates(change: &Change) -> bool {
    change
        .attribute("active")
        .is_some_and(|a| a.new == serde_json::Value::Bool(false))
}
