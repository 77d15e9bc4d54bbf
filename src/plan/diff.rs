//! `diff`: the declared state against a complete live snapshot, giving a `Plan`.
//!
//! Pure: no I/O, no clock, no randomness (the creation time comes in with the context).
//! This is where *what* changes is decided; `apply` only decides *how*. The steps:
//!
//! 1. Live objects that `policy.ignore` covers are taken out (counted apart).
//! 2. Declared users and groups are matched to live ones (`matching`): by name, former
//!    name, then the policy's secondary keys; ambiguity is an error, never a guess.
//! 3. Each matched user is compared on its declared attributes only (`compare`); the
//!    action says what the change amounts to (adopt, rename, deactivate, reactivate,
//!    update). Each matched group is compared on its name, externalId and members
//!    (`members`); a rename where the provider cannot rename groups is a replace that
//!    carries the members from this plan.
//! 4. Live objects no file declares follow `policy.unmanaged_users` / `unmanaged_groups`.
//! 5. Changes are ordered as apply must run them: user creates (a manager before their
//!    reports), user updates, group creates and replaces (a nested group before its
//!    parent), group updates, then deactivations and deletions — each run sorted by name,
//!    so the same inputs give the same plan byte for byte.
//! 6. The guards are evaluated on the result (`guards`) and recorded in the plan.

use serde_json::Value;

use super::change::{
    Action, AttributeChange, Change, ManagerChange, MatchedBy, MemberChanges, MemberRef,
    MemberType, ResourceType,
};
use super::compare::{self, attribute_changes};
use super::fingerprint::{group_fingerprint, user_fingerprint};
use super::guards::{self, GroupOutcome, ProtectedRemoval};
use super::matching::{self, How, PlanErrors};
use super::members::{self, Directory, Resolved};
use super::model::{
    Note, NoteKind, PLAN_FORMAT_VERSION, Plan, PlanPolicy, PlanTarget, Scope, Summary, Unmanaged,
    UnmanagedObject,
};
use super::order::dependency_order;
use super::scope;
use crate::config::parallel;
use crate::config::{
    Attributes, Declared, DeclaredGroup, DeclaredUser, PackedValue, UnmanagedGroups,
    UnmanagedUsers, fold_name, name_matches, same_name,
};
use crate::live::json_view::{self, Json};
use crate::live::{Live, LiveGroup, LiveUser};
use crate::scim::profile::DeleteSemantics;
use crate::scim::{as_bool, attribute, string_attribute};

/// The schema URN of the enterprise extension, where `manager` lives.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// What a plan is computed for, besides the declared and live state.
#[derive(Clone, Debug)]
pub struct PlanContext {
    pub target: PlanTarget,
    /// When the plan is computed (RFC 3339).
    pub created_at: String,
    /// The configuration's git commit, if known.
    pub git_commit: Option<String>,
    /// `--target`/`--exclude`, when the plan is limited.
    pub scope: Option<Scope>,
    /// The Atlassian organisation, when `target.atlassian` gives access to it.
    pub atlassian: Option<crate::atlassian::OrgSnapshot>,
}

impl PlanContext {
    /// A context for tests and callers without a clock: the generic profile's
    /// capabilities, the Unix epoch as creation time.
    pub fn for_url(url: &str) -> PlanContext {
        let profile = crate::scim::Profile::generic();
        PlanContext {
            target: PlanTarget {
                url: url.to_string(),
                profile: profile.name.clone(),
                capabilities: super::model::Capabilities::of(&profile),
            },
            created_at: "1970-01-01T00:00:00Z".to_string(),
            git_commit: None,
            scope: None,
            atlassian: None,
        }
    }
}

/// Compute the plan that brings `live` to the state `declared` describes.
pub fn diff(declared: &Declared, live: &Live, context: &PlanContext) -> Result<Plan, PlanErrors> {
    let policy = &declared.policy;
    let capabilities = context.target.capabilities;
    let mut notes = Vec::new();
    let mut errors = Vec::new();

    // 1. Ignored live objects.
    let ignored_users: Vec<bool> = live
        .users
        .iter()
        .map(|u| {
            policy
                .ignore_users
                .iter()
                .any(|p| name_matches(p, &u.user_name))
        })
        .collect();
    let ignored_groups: Vec<bool> = live
        .groups
        .iter()
        .map(|g| {
            policy
                .ignore_groups
                .iter()
                .any(|p| name_matches(p, &g.display_name))
        })
        .collect();
    let eligible_users: Vec<bool> = ignored_users.iter().map(|i| !i).collect();
    let eligible_groups: Vec<bool> = ignored_groups.iter().map(|i| !i).collect();

    // 2. Matching.
    // The declared users in name order, each with its position in `declared.users`.
    let mut order: Vec<usize> = (0..declared.users.len()).collect();
    order.sort_by_cached_key(|&i| {
        let u = &declared.users[i];
        (fold_name(&u.user_name), &*u.user_name)
    });
    let users: Vec<&DeclaredUser> = order.iter().map(|&i| &declared.users[i]).collect();
    let mut groups: Vec<&DeclaredGroup> = declared.groups.iter().collect();
    groups.sort_by_cached_key(|g| {
        let g: &DeclaredGroup = g;
        (fold_name(&g.display_name), g.display_name.as_str())
    });
    let user_matches = matching::match_users(
        &users,
        &live.users,
        &eligible_users,
        &policy.match_users_by,
        &mut notes,
        &mut errors,
    );
    let group_matches = matching::match_groups(
        &groups,
        &live.groups,
        &eligible_groups,
        &mut notes,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(PlanErrors { errors });
    }

    let protected_users: std::collections::HashSet<String> = policy
        .protected_users
        .iter()
        .map(|n| fold_name(n).into_owned())
        .collect();
    let protected_groups: std::collections::HashSet<String> = policy
        .protected_groups
        .iter()
        .map(|n| fold_name(n).into_owned())
        .collect();

    // Which matched groups are replaced (renamed where the provider cannot rename).
    let replaced: Vec<bool> = groups
        .iter()
        .zip(&group_matches.found)
        .map(|(group, found)| {
            found.as_ref().is_some_and(|(l, _)| {
                !capabilities.group_rename
                    && !same_name(&live.groups[*l].display_name, &group.display_name)
            })
        })
        .collect();

    let mut directory = Directory::new(live, &ignored_users, &ignored_groups);
    let mut live_ids: Vec<Option<&str>> = vec![None; declared.users.len()];
    for (position, found) in order.iter().zip(&user_matches.found) {
        live_ids[*position] = found.as_ref().map(|(l, _)| live.users[*l].id.as_str());
    }
    for (user, id) in declared.users.iter().zip(live_ids) {
        directory.declare_user(&user.user_name, id);
    }
    for ((group, found), replaced) in groups.iter().zip(&group_matches.found).zip(&replaced) {
        let id = if *replaced {
            None
        } else {
            found.as_ref().map(|(l, _)| live.groups[*l].id.as_str())
        };
        directory.declare_group(&group.display_name, id);
    }

    // 3. Users, compared on all cores (each comparison is pure; results in order).
    let compared = parallel::map(&parallel::ranges(users.len()), |range| {
        range
            .clone()
            .map(|i| {
                let user = users[i];
                let protected = protected_users.contains(fold_name(&user.user_name).as_ref());
                match &user_matches.found[i] {
                    None => Err(create_user(user, &directory, protected)),
                    Some((l, how)) => {
                        let live_user = &live.users[*l];
                        let protected = protected
                            || protected_users.contains(fold_name(&live_user.user_name).as_ref());
                        Ok(update_user(user, live_user, how, &directory, protected))
                    }
                }
            })
            .collect::<Vec<_>>()
    });
    let mut user_creates = Vec::new();
    let mut user_updates = Vec::new();
    for outcome in compared.into_iter().flatten() {
        match outcome {
            Err(create) => user_creates.push(create),
            Ok(Some(update)) => user_updates.push(update),
            Ok(None) => {}
        }
    }
    if let Some(org) = &context.atlassian {
        super::atlassian::decide_creates(&mut user_creates, &users, org, &mut notes, &mut errors);
        if !errors.is_empty() {
            return Err(PlanErrors { errors });
        }
    } else if context.target.profile == "atlassian" {
        super::atlassian::explain_creates(&mut user_creates, &mut notes);
    }
    let user_creates = dependency_order(user_creates, |change| {
        (
            fold_name(&change.name).into_owned(),
            change
                .manager
                .iter()
                .filter(|m| m.new.id.is_none())
                .filter_map(|m| m.new.name.as_ref().map(|n| fold_name(n).into_owned()))
                .collect(),
        )
    });

    // 3. Groups: the member changes of matched groups first, on all cores (the bulk of a
    // large diff: every member of every group resolved), in order.
    let member_changes = parallel::map(&parallel::ranges(groups.len()), |range| {
        range
            .clone()
            .map(|i| {
                group_matches.found[i].as_ref().map(|(l, _)| {
                    let mut found = Vec::new();
                    let changes = members::group_members(
                        groups[i],
                        &live.groups[*l],
                        &directory,
                        replaced[i],
                        &mut found,
                    );
                    (changes, found)
                })
            })
            .collect::<Vec<_>>()
    });
    let mut group_creates = Vec::new();
    let mut group_updates = Vec::new();
    for (((group, found), replaced), computed) in groups
        .iter()
        .zip(&group_matches.found)
        .zip(&replaced)
        .zip(member_changes.into_iter().flatten())
    {
        let address = format!("group {}", group.display_name);
        let mut protected = protected_groups.contains(fold_name(&group.display_name).as_ref());
        let Some((l, how)) = found else {
            let members = members::created_members(group, &directory);
            group_creates.push(create_group(group, members, protected));
            continue;
        };
        let live_group = &live.groups[*l];
        protected =
            protected || protected_groups.contains(fold_name(&live_group.display_name).as_ref());
        let resource = live_group.resource();
        let (member_changes, member_notes) = computed.unwrap_or_default();
        notes.extend(member_notes);
        let mut attributes = Vec::new();
        let renamed = !same_name(&live_group.display_name, &group.display_name);
        if renamed {
            attributes.push(AttributeChange {
                path: "displayName".into(),
                old: Some(live_group.display_name.as_str().into()),
                new: group.display_name.as_str().into(),
            });
        }
        let declared_attributes = Attributes::build(|object| {
            if let Some(external_id) = &group.external_id {
                object.string("externalId", external_id);
            }
        });
        attributes.extend(attribute_changes(&declared_attributes, &resource));
        let mut change = Change {
            address,
            resource: ResourceType::Group,
            name: group.display_name.clone(),
            action: Action::Update,
            id: Some(live_group.id.to_string()),
            reason: String::new(),
            // Computed below for a change that stays (most matched groups have none).
            fingerprint: None,
            destructive: false,
            privileged: group.privileged,
            protected,
            matched_by: matched_by(how).map(Box::new),
            attributes,
            manager: None,
            members: MemberChanges {
                add: member_changes.add,
                remove: member_changes.remove,
                keep: member_changes.keep,
            },
            linked_account: None,
        };
        if *replaced {
            change.fingerprint = Some(Box::new(group_fingerprint(live_group, &resource)));
            change.action = Action::Replace;
            // The new group carries the externalId it has (or the declared one).
            if change.attribute("externalId").is_none()
                && let Some(external_id) = string_attribute(&resource, "externalId")
            {
                change.attributes.push(AttributeChange {
                    path: "externalId".into(),
                    old: Some(external_id.into()),
                    new: external_id.into(),
                });
            }
            change.reason = format!(
                "renamed from `{}`{}; the {} provider cannot rename groups, so a new group is created under the new name with the members below, and the old group is deleted (its id changes)",
                live_group.display_name,
                how_phrase(how),
                context.target.profile
            );
            parents_note(
                live_group,
                live,
                &directory,
                &group_matches.claimed,
                &mut notes,
            );
            group_creates.push(change);
            continue;
        }
        if change.attributes.is_empty()
            && change.members.add.is_empty()
            && change.members.remove.is_empty()
        {
            continue;
        }
        change.fingerprint = Some(Box::new(group_fingerprint(live_group, &resource)));
        if renamed {
            change.action = Action::Rename;
            change.reason = format!(
                "renamed from `{}`{}",
                live_group.display_name,
                how_phrase(how)
            );
        } else {
            change.reason = group_update_reason(&change);
        }
        group_updates.push(change);
    }
    let group_creates = dependency_order(group_creates, |change| {
        (
            fold_name(&change.name).into_owned(),
            change
                .members
                .add
                .iter()
                .filter(|m| m.r#type == MemberType::Group && m.id.is_none())
                .filter_map(|m| m.name.as_ref().map(|n| fold_name(n).into_owned()))
                .collect(),
        )
    });

    // 4. What no file declares.
    let mut unmanaged = Unmanaged {
        ignored_users: ignored_users.iter().filter(|i| **i).count(),
        ignored_groups: ignored_groups.iter().filter(|i| **i).count(),
        ..Unmanaged::default()
    };
    let mut destroys = Vec::new();
    for (i, user) in live.users.iter().enumerate() {
        if ignored_users[i] || user_matches.claimed[i] {
            continue;
        }
        let protected = protected_users.contains(fold_name(&user.user_name).as_ref());
        match unmanaged_user(user, policy.unmanaged_users, &context.target, protected) {
            Some(change) => destroys.push(change),
            None => unmanaged.users.push(UnmanagedObject {
                name: user.user_name.clone(),
                id: user.id.to_string(),
            }),
        }
    }
    for (i, group) in live.groups.iter().enumerate() {
        if ignored_groups[i] || group_matches.claimed[i] {
            continue;
        }
        if policy.unmanaged_groups == UnmanagedGroups::Delete {
            let protected = protected_groups.contains(fold_name(&group.display_name).as_ref());
            destroys.push(delete_group(group, &directory, protected));
        } else {
            unmanaged.groups.push(UnmanagedObject {
                name: group.display_name.clone(),
                id: group.id.to_string(),
            });
        }
    }
    destroys.sort_by_cached_key(|c| (c.resource, fold_name(&c.name).into_owned(), c.id.clone()));
    unmanaged
        .users
        .sort_by_cached_key(|o| (fold_name(&o.name).into_owned(), o.id.clone()));
    unmanaged
        .groups
        .sort_by_cached_key(|o| (fold_name(&o.name).into_owned(), o.id.clone()));

    // 5. Order.
    // One allocation of the exact size: growing a vector of 110 000 changes by doubling
    // would hold both copies at once.
    let parts = [
        user_creates,
        user_updates,
        group_creates,
        group_updates,
        destroys,
    ];
    let mut changes = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        changes.extend(part);
    }
    if let Some(scope) = &context.scope {
        changes = scope::limit(changes, scope, &mut notes);
    }
    for change in &mut changes {
        change.destructive = guards::destroy_weight(change) > 0;
    }
    if changes
        .iter()
        .any(|c| c.resource == ResourceType::User && c.action == Action::Delete)
    {
        notes.push(Note {
            kind: NoteKind::DeleteSemantics,
            subject: context.target.profile.clone(),
            message: format!(
                "on the {} profile, DELETE {}",
                context.target.profile,
                delete_effect(capabilities.user_delete)
            ),
        });
    }

    // 6. Guards.
    let managed_users = user_matches.claimed.iter().filter(|c| **c).count()
        + if policy.unmanaged_users == UnmanagedUsers::Ignore {
            0
        } else {
            live.users
                .iter()
                .enumerate()
                .filter(|(i, _)| !ignored_users[*i] && !user_matches.claimed[*i])
                .count()
        };
    let outcomes = group_outcomes(&changes, &groups);
    let removals = protected_removals(&changes, &protected_users);
    let guards = guards::evaluate(&changes, &outcomes, &removals, policy, managed_users);

    let atlassian = context
        .atlassian
        .as_ref()
        .map(|org| super::atlassian::report(org, live, &users, &changes));
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        scimform_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: context.created_at.clone(),
        git_commit: context.git_commit.clone(),
        target: context.target.clone(),
        config_digest: declared.digest.clone(),
        scope: context.scope.clone(),
        policy: PlanPolicy {
            adopt_existing: policy
                .match_users_by
                .iter()
                .any(|key| *key != crate::config::MatchUsersBy::UserName),
        },
        summary: Summary::of(&changes),
        guards,
        changes,
        atlassian,
        unmanaged,
        notes,
    })
}

/// What the guards need about the declared groups the plan changes: privileged,
/// `min_members`, and their member counts before and after.
fn group_outcomes(changes: &[Change], groups: &[&DeclaredGroup]) -> Vec<GroupOutcome> {
    let declared: std::collections::HashMap<&str, &DeclaredGroup> = groups
        .iter()
        .map(|g| (g.display_name.as_str(), *g))
        .collect();
    changes
        .iter()
        .filter(|c| c.resource == ResourceType::Group && c.action != Action::Delete)
        .filter_map(|change| {
            let group = declared.get(change.name.as_str())?;
            let before = change.fingerprint.as_ref().and_then(|f| f.members);
            let after = match change.action {
                Action::Create => change.members.add.len(),
                Action::Replace => change.members.keep.len() + change.members.add.len(),
                _ => (before.unwrap_or(0) + change.members.add.len())
                    .saturating_sub(change.members.remove.len()),
            };
            Some(GroupOutcome {
                address: change.address.clone(),
                privileged: group.privileged,
                min_members: group.min_members,
                before: if change.action == Action::Create {
                    None
                } else {
                    before
                },
                after,
                changed: true,
            })
        })
        .collect()
}

/// Every removal of a protected user from a group, by any change.
fn protected_removals(
    changes: &[Change],
    protected_users: &std::collections::HashSet<String>,
) -> Vec<ProtectedRemoval> {
    let mut removals = Vec::new();
    for change in changes.iter().filter(|c| c.resource == ResourceType::Group) {
        for member in &change.members.remove {
            if member.r#type == MemberType::User
                && let Some(name) = &member.name
                && protected_users.contains(fold_name(name).as_ref())
            {
                removals.push(ProtectedRemoval {
                    user: name.to_string(),
                    group: change.address.clone(),
                });
            }
        }
    }
    removals
}

/// What DELETE of a user does, for the plan's words.
pub fn delete_effect(semantics: DeleteSemantics) -> &'static str {
    match semantics {
        DeleteSemantics::HardDelete => "deletes the account for good",
        DeleteSemantics::Deactivate => {
            "only deactivates the account (it stays in the directory, inactive)"
        }
        DeleteSemantics::UnlinkAndDeactivate => {
            "removes the account from the SCIM directory and deactivates it; creating it again gives it a new id (`active: false` keeps it)"
        }
    }
}

fn how_phrase(how: &How) -> String {
    match how {
        How::Name => String::new(),
        How::Former(_) => " (listed under previously:)".to_string(),
        How::Email(email) => format!(" (matched by email `{email}`)"),
        How::ExternalId(id) => format!(" (matched by externalId `{id}`)"),
    }
}

fn matched_by(how: &How) -> Option<MatchedBy> {
    let (key, value) = match how {
        How::Name => return None,
        How::Former(former) => ("previously", former),
        How::Email(email) => ("email", email),
        How::ExternalId(id) => ("externalId", id),
    };
    Some(MatchedBy {
        key: key.to_string(),
        value: value.clone(),
    })
}

fn create_user(user: &DeclaredUser, directory: &Directory<'_>, protected: bool) -> Change {
    Change {
        address: format!("user {}", user.user_name),
        resource: ResourceType::User,
        name: user.user_name.to_string(),
        action: Action::Create,
        id: None,
        reason: "declared, and not in the directory".to_string(),
        fingerprint: None,
        destructive: false,
        privileged: false,
        protected,
        matched_by: None,
        attributes: user
            .attributes
            .iter()
            .map(|(path, value)| AttributeChange {
                path: path.to_string(),
                old: None,
                new: PackedValue::from(value),
            })
            .collect(),
        manager: user.manager.as_deref().map(|m| {
            Box::new(ManagerChange {
                old: None,
                new: directory.user_ref(m),
            })
        }),
        members: MemberChanges::default(),
        linked_account: None,
    }
}

/// The change to a matched live user, if it differs on anything declared.
fn update_user(
    user: &DeclaredUser,
    live: &LiveUser,
    how: &How,
    directory: &Directory<'_>,
    protected: bool,
) -> Option<Change> {
    // Most matched users are unchanged: say so from a view of the resource, without
    // building a JSON tree of it. The full comparison below decides otherwise.
    if same_name(&live.user_name, &user.user_name) {
        let view = Json::parse(live.json.as_str());
        let manager_unchanged = user
            .manager
            .as_deref()
            .is_none_or(|m| manager_unchanged(&view, &directory.user_ref(m), directory));
        if manager_unchanged && compare::unchanged(&user.attributes, &view) {
            return None;
        }
    }
    // Only the live attributes that are compared (by any case of their name, as
    // `attribute` finds them): the same comparison as on the whole resource.
    let compared_attributes = live.json.to_value_where(|key| {
        user.attributes.keys().any(|k| k.eq_ignore_ascii_case(key))
            || (user.manager.is_some() && key.eq_ignore_ascii_case(ENTERPRISE_USER))
    });
    let mut attributes = Vec::new();
    if !same_name(&live.user_name, &user.user_name) {
        attributes.push(AttributeChange {
            path: "userName".to_string(),
            old: Some(live.user_name.as_str().into()),
            new: (*user.user_name).into(),
        });
    }
    attributes.extend(attribute_changes(&user.attributes, &compared_attributes));
    let manager = user
        .manager
        .as_deref()
        .and_then(|m| manager_change(&compared_attributes, directory.user_ref(m), directory));
    if attributes.is_empty() && manager.is_none() {
        return None;
    }
    let resource = live.resource();
    let mut compared: Vec<String> = user.attributes.keys().map(str::to_string).collect();
    if user.manager.is_some() {
        compared.push(format!("{ENTERPRISE_USER}:manager"));
    }
    let active = attributes.iter().find(|a| a.path == "active");
    let was_inactive = active
        .and_then(|a| a.old.as_ref())
        .is_some_and(|old| as_bool(&old.to_value()) == Some(false));
    let (action, reason) = match how {
        How::Email(_) | How::ExternalId(_) => (
            Action::Adopt,
            format!(
                "the directory has this person as `{}`{}: the existing account becomes this user (policy.match_users_by)",
                live.user_name,
                how_phrase(how)
            ),
        ),
        How::Former(former) => (
            Action::Rename,
            format!("renamed from `{former}` (previously:)"),
        ),
        How::Name if active.is_some_and(|a| a.new.as_bool() == Some(false)) => {
            (Action::Deactivate, "declared `active: false`".to_string())
        }
        How::Name if active.is_some() && was_inactive => (
            Action::Reactivate,
            "declared active, and the account is deactivated".to_string(),
        ),
        How::Name => (
            Action::Update,
            update_reason(&attributes, manager.is_some()),
        ),
    };
    Some(Change {
        address: format!("user {}", user.user_name),
        resource: ResourceType::User,
        name: user.user_name.to_string(),
        action,
        id: Some(live.id.to_string()),
        reason,
        fingerprint: Some(Box::new(user_fingerprint(live, &resource, &compared))),
        destructive: false,
        privileged: false,
        protected,
        matched_by: matched_by(how).map(Box::new),
        attributes,
        manager,
        members: MemberChanges::default(),
        linked_account: None,
    })
}

fn update_reason(attributes: &[AttributeChange], manager: bool) -> String {
    let mut names: Vec<&str> = attributes.iter().map(|a| short_name(&a.path)).collect();
    if manager {
        names.push("manager");
    }
    format!(
        "declared {} differ{} from the directory",
        names.join(", "),
        if names.len() == 1 { "s" } else { "" }
    )
}

fn short_name(path: &str) -> &str {
    if path.starts_with(ENTERPRISE_USER) {
        "enterprise attributes"
    } else {
        path
    }
}

fn group_update_reason(change: &Change) -> String {
    let mut parts = Vec::new();
    if !change.attributes.is_empty() {
        parts.push(update_reason(&change.attributes, false));
    }
    if !change.members.add.is_empty() || !change.members.remove.is_empty() {
        parts.push("the declared members differ from the directory's".to_string());
    }
    parts.join("; ")
}

/// The manager change for a live user (its resource), if the declared manager is not
/// the live one.
/// Whether the view's manager is `wanted` already: [`manager_change`] would find none.
fn manager_unchanged(live: &Json<'_>, wanted: &MemberRef, directory: &Directory<'_>) -> bool {
    let current = live
        .as_object()
        .and_then(|o| json_view::attribute(o, ENTERPRISE_USER))
        .and_then(Json::as_object)
        .and_then(|e| json_view::attribute(e, "manager"))
        .and_then(|m| json_view::string_attribute(m, "value"));
    match (current, &wanted.id) {
        (Some(current), Some(wanted_id)) => match directory.resolve(current) {
            Resolved::Known { id, .. } => id == wanted_id,
            Resolved::Dangling => current == wanted_id,
        },
        _ => false,
    }
}

fn manager_change(
    live: &Value,
    wanted: MemberRef,
    directory: &Directory<'_>,
) -> Option<Box<ManagerChange>> {
    let current = live
        .as_object()
        .and_then(|o| attribute(o, ENTERPRISE_USER))
        .and_then(Value::as_object)
        .and_then(|e| attribute(e, "manager"))
        .and_then(|m| string_attribute(m, "value"))
        .map(str::to_string);
    if let (Some(current), Some(wanted_id)) = (&current, &wanted.id) {
        let same = match directory.resolve(current) {
            Resolved::Known { id, .. } => id == wanted_id,
            Resolved::Dangling => current == wanted_id,
        };
        if same {
            return None;
        }
    }
    Some(Box::new(ManagerChange {
        old: current.map(|id| directory.live_ref(&id)),
        new: wanted,
    }))
}

fn create_group(group: &DeclaredGroup, members: Vec<MemberRef>, protected: bool) -> Change {
    Change {
        address: format!("group {}", group.display_name),
        resource: ResourceType::Group,
        name: group.display_name.clone(),
        action: Action::Create,
        id: None,
        reason: "declared, and not in the directory".to_string(),
        fingerprint: None,
        destructive: false,
        privileged: group.privileged,
        protected,
        matched_by: None,
        attributes: group
            .external_id
            .iter()
            .map(|id| AttributeChange {
                path: "externalId".into(),
                old: None,
                new: id.as_str().into(),
            })
            .collect(),
        manager: None,
        members: MemberChanges {
            add: members,
            remove: Vec::new(),
            keep: Vec::new(),
        },
        linked_account: None,
    }
}

/// The change `policy.unmanaged_users` asks for a live user no file declares.
fn unmanaged_user(
    user: &LiveUser,
    policy: UnmanagedUsers,
    target: &PlanTarget,
    protected: bool,
) -> Option<Change> {
    let resource = user.resource();
    let active = resource
        .as_object()
        .and_then(|o| attribute(o, "active"))
        .and_then(as_bool);
    let (action, attributes, reason) = match policy {
        UnmanagedUsers::Ignore => return None,
        UnmanagedUsers::Deactivate => {
            if active == Some(false) {
                return None;
            }
            (
                Action::Deactivate,
                vec![AttributeChange {
                    path: "active".into(),
                    old: active.map(PackedValue::from),
                    new: false.into(),
                }],
                "not declared, and policy.unmanaged_users is `deactivate`".to_string(),
            )
        }
        UnmanagedUsers::Delete => {
            let semantics = target.capabilities.user_delete;
            if semantics == DeleteSemantics::Deactivate && active == Some(false) {
                // DELETE would only deactivate an account that already is.
                return None;
            }
            (
                Action::Delete,
                Vec::new(),
                format!(
                    "not declared, and policy.unmanaged_users is `delete`; on the {} profile DELETE {}",
                    target.profile,
                    delete_effect(semantics)
                ),
            )
        }
    };
    Some(Change {
        address: format!("user {}", user.user_name),
        resource: ResourceType::User,
        name: user.user_name.clone(),
        action,
        id: Some(user.id.to_string()),
        reason,
        fingerprint: Some(Box::new(user_fingerprint(user, &resource, &[]))),
        destructive: true,
        privileged: false,
        protected,
        matched_by: None,
        attributes,
        manager: None,
        members: MemberChanges::default(),
        linked_account: None,
    })
}

fn delete_group(group: &LiveGroup, directory: &Directory<'_>, protected: bool) -> Change {
    let resource = group.resource();
    Change {
        address: format!("group {}", group.display_name),
        resource: ResourceType::Group,
        name: group.display_name.clone(),
        action: Action::Delete,
        id: Some(group.id.to_string()),
        reason: "not declared, and policy.unmanaged_groups is `delete`".to_string(),
        fingerprint: Some(Box::new(group_fingerprint(group, &resource))),
        destructive: true,
        privileged: false,
        protected,
        matched_by: None,
        attributes: Vec::new(),
        manager: None,
        members: MemberChanges {
            add: Vec::new(),
            remove: members::live_members(group, directory),
            keep: Vec::new(),
        },
        linked_account: None,
    }
}

/// A note for every group the files do not declare that contains `replaced`: the
/// replacement has a new id, so it leaves them.
fn parents_note(
    replaced: &LiveGroup,
    live: &Live,
    directory: &Directory<'_>,
    claimed: &[bool],
    notes: &mut Vec<Note>,
) {
    let mut parents: Vec<&str> = live
        .groups
        .iter()
        .enumerate()
        .filter(|(i, _)| !claimed[*i])
        .filter(|(_, g)| {
            g.members.iter().any(|m| {
                matches!(directory.resolve(m), Resolved::Known { id, .. } if id == replaced.id.as_str())
            })
        })
        .map(|(_, g)| g.display_name.as_str())
        .collect();
    parents.sort_unstable();
    for parent in parents {
        notes.push(Note {
            kind: NoteKind::ReplacedGroupLeavesParents,
            subject: format!("group {}", replaced.display_name),
            message: format!(
                "`{}` is a member of `{parent}`, which no file declares; the replacement has a new id and will not be a member of it",
                replaced.display_name
            ),
        });
    }
}
