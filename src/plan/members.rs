//! Group members: what a member name or a live member value points at, and the member
//! changes that give a group its declared members.
//!
//! Declared members name declared users and groups (in their declared spelling); they
//! resolve to the live id the matching found, or to none when this plan creates (or
//! replaces) the object. Live member values resolve to a live user or group by exact id
//! first, and case-insensitively only when exactly one object has that id in another
//! case (some servers compare ids so), so that an id listed in another case is never
//! planned as a removal and an addition of the same member. A value that resolves to
//! nothing (dangling) is removed only when the read proved it absent
//! (`Live::absent_member_ids`); otherwise it may be a user the read missed, and it stays.
//!
//! Most groups of a plan already have their declared members, and a large directory has
//! a million memberships, so the common case is cheap: a validated member carries its
//! user's position (one read of a small table, checked against the shared name), and a
//! group is compared against one small set of its own ids before any member is resolved
//! one by one. Pure.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use super::change::{MemberRef, MemberType};
use super::model::{Note, NoteKind};
use crate::config::{DeclaredGroup, MemberName, MemberUser, Membership};
use crate::live::{IdHashMap, IdHashSet, Live, LiveGroup, id_hash_map, id_hash_set};
use crate::scim::ScimId;

/// A live object a member value can point at.
#[derive(Clone, Copy, Debug)]
struct Target<'a> {
    /// The id as the directory lists the object itself.
    id: &'a str,
    name: &'a str,
    r#type: MemberType,
    /// `policy.ignore` covers it.
    ignored: bool,
}

/// What member values and member names resolve to.
pub(crate) struct Directory<'a> {
    live: &'a Live,
    ignored_users: &'a [bool],
    ignored_groups: &'a [bool],
    /// Live users and groups by id; built on first use (a plan whose groups already
    /// have their members never needs it). Seeded: the keys are ids a server chose.
    by_id: OnceLock<IdHashMap<&'a str, Target<'a>>>,
    /// Lower-cased id → the ids that fold to it; built the first time an exact lookup
    /// fails.
    by_folded_id: OnceLock<HashMap<String, Vec<&'a str>>>,
    /// The declared users, by their position in `Declared::users` (the position a
    /// validated member name carries, see [`MemberUser`]): a million member lookups read
    /// one small table instead of hashing a million names.
    users: Vec<Slot>,
    /// By position: the declared userName.
    user_names: Vec<&'a str>,
    /// By position: the live id, `None` when the plan creates the user.
    user_ids: Vec<Option<&'a str>>,
    /// The same ids packed one after another (each [`Slot`] says where its id is), so
    /// that checking a million memberships reads one small buffer instead of a hundred
    /// thousand separately allocated ids.
    packed_user_ids: String,
    /// Declared userName (as declared) → position, for names held elsewhere (managers,
    /// a member name without a position or whose position does not hold it); built on
    /// first use.
    users_by_name: OnceLock<FxHashMap<&'a str, u32>>,
    /// Declared displayName → the live id, `None` when the plan creates or replaces it.
    groups: FxHashMap<&'a str, Option<&'a str>>,
    /// Member values the read proved absent (the only dangling ones that may go).
    absent: &'a BTreeSet<ScimId>,
}

/// A declared user's name (the address of its shared text, to check that a member
/// name's position holds it) and where its live id is in the packed copy (`start` is
/// `u32::MAX` when the plan creates the user).
#[derive(Clone, Copy, Debug)]
struct Slot {
    address: usize,
    start: u32,
    end: u32,
}

/// A live member value, resolved.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Resolved<'a> {
    /// A live object; `id` is the object's own id (which may differ in case from the
    /// value the group lists).
    Known {
        id: &'a str,
        name: &'a str,
        r#type: MemberType,
        ignored: bool,
    },
    /// Matches no live object.
    Dangling,
}

impl<'a> Directory<'a> {
    /// `ignored_users[i]` / `ignored_groups[i]`: whether `policy.ignore` covers live
    /// object `i`.
    pub(crate) fn new(
        live: &'a Live,
        ignored_users: &'a [bool],
        ignored_groups: &'a [bool],
    ) -> Directory<'a> {
        Directory {
            live,
            ignored_users,
            ignored_groups,
            by_id: OnceLock::new(),
            by_folded_id: OnceLock::new(),
            users: Vec::new(),
            user_names: Vec::new(),
            user_ids: Vec::new(),
            packed_user_ids: String::new(),
            users_by_name: OnceLock::new(),
            groups: FxHashMap::default(),
            absent: &live.absent_member_ids,
        }
    }

    fn by_id(&self) -> &IdHashMap<&'a str, Target<'a>> {
        self.by_id.get_or_init(|| {
            let live = self.live;
            let mut by_id = id_hash_map(live.users.len() + live.groups.len());
            for (i, user) in live.users.iter().enumerate() {
                by_id.insert(
                    user.id.as_str(),
                    Target {
                        id: user.id.as_str(),
                        name: user.user_name.as_str(),
                        r#type: MemberType::User,
                        ignored: self.ignored_users.get(i).copied().unwrap_or(false),
                    },
                );
            }
            for (i, group) in live.groups.iter().enumerate() {
                by_id.insert(
                    group.id.as_str(),
                    Target {
                        id: group.id.as_str(),
                        name: group.display_name.as_str(),
                        r#type: MemberType::Group,
                        ignored: self.ignored_groups.get(i).copied().unwrap_or(false),
                    },
                );
            }
            by_id
        })
    }

    /// Record what the next declared user (in the order of `Declared::users`) resolves
    /// to.
    pub(crate) fn declare_user(&mut self, user_name: &'a Arc<str>, id: Option<&'a str>) {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let start = narrow(self.packed_user_ids.len());
        self.packed_user_ids.push_str(id.unwrap_or_default());
        self.users.push(Slot {
            address: address(user_name),
            start: if id.is_some() { start } else { u32::MAX },
            end: narrow(self.packed_user_ids.len()),
        });
        self.user_names.push(user_name);
        self.user_ids.push(id);
    }

    /// The position of a declared user, by its name's text.
    fn position_by_name(&self, user_name: &str) -> Option<usize> {
        let by_name = self.users_by_name.get_or_init(|| {
            let mut by_name = FxHashMap::default();
            by_name.reserve(self.user_names.len());
            for (position, name) in self.user_names.iter().enumerate() {
                by_name.insert(*name, u32::try_from(position).unwrap_or(u32::MAX));
            }
            by_name
        });
        by_name.get(user_name).map(|position| *position as usize)
    }

    /// The position of the declared user a member names.
    fn position_of(&self, user: &MemberUser) -> Option<usize> {
        match user.position() {
            Some(position)
                if self
                    .users
                    .get(position)
                    .is_some_and(|slot| slot.address == address(user.name())) =>
            {
                Some(position)
            }
            _ => self.position_by_name(user),
        }
    }

    /// Record what a declared group resolves to.
    pub(crate) fn declare_group(&mut self, display_name: &'a str, id: Option<&'a str>) {
        self.groups.insert(display_name, id);
    }

    /// The live id a declared user resolves to (`None`: created by this plan).
    pub(crate) fn user_id(&self, user_name: &str) -> Option<&'a str> {
        self.user_ids
            .get(self.position_by_name(user_name)?)
            .copied()
            .flatten()
    }

    /// A declared user as a member (or manager) reference.
    pub(crate) fn user_ref(&self, user_name: &str) -> MemberRef {
        MemberRef {
            name: Some(Arc::from(user_name)),
            id: self.user_id(user_name).map(str::to_string),
            r#type: MemberType::User,
        }
    }

    /// The live id a declared member resolves to (`None`: created or replaced by this
    /// plan).
    fn declared_id(&self, member: &MemberName) -> Option<&'a str> {
        match member {
            MemberName::User(name) => self
                .user_ids
                .get(self.position_of(name)?)
                .copied()
                .flatten(),
            MemberName::Group(name) => self.groups.get(&**name).copied().flatten(),
        }
    }

    /// [`declared_id`](Self::declared_id), read from the packed copy for users.
    fn declared_id_packed(&self, member: &MemberName) -> Option<&str> {
        if let MemberName::User(user) = member {
            let slot = self.users.get(self.position_of(user)?)?;
            return (slot.start != u32::MAX)
                .then(|| {
                    self.packed_user_ids
                        .get(slot.start as usize..slot.end as usize)
                })
                .flatten();
        }
        self.declared_id(member)
    }

    fn declared_ref(&self, member: &MemberName) -> MemberRef {
        let (name, r#type) = match member {
            MemberName::User(user) => (user.name(), MemberType::User),
            MemberName::Group(name) => (name, MemberType::Group),
        };
        MemberRef {
            name: Some(Arc::clone(name)),
            id: self.declared_id(member).map(str::to_string),
            r#type,
        }
    }

    /// A live member value (or a manager id): its object, by exact id, else by an id
    /// that differs only in case when exactly one object has it.
    pub(crate) fn resolve(&self, value: &str) -> Resolved<'a> {
        let target = self.by_id().get(value).copied().or_else(|| {
            let folded = self.by_folded_id.get_or_init(|| {
                let mut index: HashMap<String, Vec<&'a str>> = HashMap::new();
                for id in self.by_id().keys() {
                    index.entry(id.to_lowercase()).or_default().push(id);
                }
                index
            });
            match folded.get(&value.to_lowercase()).map(Vec::as_slice) {
                Some([only]) => self.by_id().get(only).copied(),
                _ => None,
            }
        });
        match target {
            Some(t) => Resolved::Known {
                id: t.id,
                name: t.name,
                r#type: t.r#type,
                ignored: t.ignored,
            },
            None => Resolved::Dangling,
        }
    }

    /// A live member value as the plan names it (the value as the group lists it).
    pub(crate) fn live_ref(&self, value: &str) -> MemberRef {
        match self.resolve(value) {
            Resolved::Known { name, r#type, .. } => MemberRef {
                name: Some(Arc::from(name)),
                id: Some(value.to_string()),
                r#type,
            },
            Resolved::Dangling => MemberRef {
                name: None,
                id: Some(value.to_string()),
                r#type: MemberType::User,
            },
        }
    }
}

/// The address of a shared name's text: the same for every clone of one `Arc`.
fn address(name: &Arc<str>) -> usize {
    Arc::as_ptr(name).cast::<u8>() as usize
}

/// The member changes of a live group that a declared group matched.
#[derive(Debug, Default)]
pub(crate) struct GroupMembers {
    pub(crate) add: Vec<MemberRef>,
    pub(crate) remove: Vec<MemberRef>,
    /// The live members that stay.
    pub(crate) keep: Vec<MemberRef>,
    /// How many members the group has after the change.
    pub(crate) after: usize,
    /// The userNames of the users removed (for the protected-user guard).
    pub(crate) removes: Vec<String>,
}

/// The members to add and to remove so that `live` has `declared`'s members (all of
/// them, or at least them for an additive group); `keep_refs` also lists the members that
/// stay (for a replace, which carries them over). Ignored members are kept.
pub(crate) fn group_members(
    declared: &DeclaredGroup,
    live: &LiveGroup,
    directory: &Directory<'_>,
    keep_refs: bool,
    notes: &mut Vec<Note>,
) -> GroupMembers {
    let mut result = GroupMembers::default();
    let Some(wanted) = &declared.members else {
        // Membership not managed: everything stays.
        if keep_refs {
            result.keep = sorted(live.members.iter().map(|v| directory.live_ref(v)).collect());
        }
        result.after = live.members.len();
        return result;
    };
    if !keep_refs && has_exactly(live, wanted, declared.membership, directory) {
        result.after = live.members.len();
        return result;
    }
    // The live members, by the id of the object each one resolves to.
    let mut present: IdHashSet<&str> = id_hash_set(live.members.len());
    let resolved: Vec<(&str, Resolved<'_>)> = live
        .members
        .iter()
        .map(|value| (value, directory.resolve(value)))
        .collect();
    for (_, member) in &resolved {
        if let Resolved::Known { id, .. } = member {
            present.insert(id);
        }
    }
    let mut wanted_ids: IdHashSet<&str> = id_hash_set(wanted.len());
    for member in wanted {
        match directory.declared_id(member) {
            Some(id) => {
                wanted_ids.insert(id);
                if !present.contains(id) {
                    result.add.push(directory.declared_ref(member));
                }
            }
            None => result.add.push(directory.declared_ref(member)),
        }
    }
    let subject = format!("group {}", declared.display_name);
    for (value, member) in resolved {
        let stays = match member {
            Resolved::Known { id, .. } if wanted_ids.contains(id) => true,
            _ if declared.membership == Membership::Additive => true,
            Resolved::Known {
                ignored: true,
                name,
                ..
            } => {
                notes.push(Note {
                    kind: NoteKind::IgnoredMemberKept,
                    subject: subject.clone(),
                    message: format!(
                        "`{name}` is a member of `{}` but not declared there; policy.ignore covers it, so it stays",
                        declared.display_name
                    ),
                });
                true
            }
            Resolved::Known { .. } => false,
            Resolved::Dangling if directory.absent.contains(value) => {
                notes.push(Note {
                    kind: NoteKind::DanglingMember,
                    subject: subject.clone(),
                    message: format!(
                        "`{}` lists member id `{value}`, which matches no user or group in the directory (a dangling reference); it is removed because the group's members are declared",
                        declared.display_name
                    ),
                });
                false
            }
            Resolved::Dangling => {
                notes.push(Note {
                    kind: NoteKind::DanglingMember,
                    subject: subject.clone(),
                    message: format!(
                        "`{}` lists member id `{value}`, which matches no user or group the read listed, but the server did not confirm it is gone; it stays, since it may be a member the read missed",
                        declared.display_name
                    ),
                });
                true
            }
        };
        if stays {
            result.after += 1;
            if keep_refs {
                result.keep.push(directory.live_ref(value));
            }
        } else {
            if let Resolved::Known {
                name,
                r#type: MemberType::User,
                ..
            } = member
            {
                result.removes.push(name.to_string());
            }
            result.remove.push(directory.live_ref(value));
        }
    }
    result.after += result.add.len();
    result.add = sorted(result.add);
    result.remove = sorted(result.remove);
    result.keep = sorted(result.keep);
    result
}

/// Whether the live group already has the declared members: each one by its exact
/// live id, and (for an authoritative group) no other. Most groups of a plan are so, and
/// this is the cheap way to tell (one small set of the group's own ids); any other group
/// takes the full comparison.
fn has_exactly(
    live: &LiveGroup,
    wanted: &[MemberName],
    membership: Membership,
    directory: &Directory<'_>,
) -> bool {
    let exact = match membership {
        Membership::Authoritative => wanted.len() == live.members.len(),
        Membership::Additive => wanted.len() <= live.members.len(),
    };
    if !exact {
        return false;
    }
    let mut present: IdHashSet<&str> = id_hash_set(live.members.len());
    present.extend(live.members.iter());
    wanted.iter().all(|member| {
        directory
            .declared_id_packed(member)
            .is_some_and(|id| present.contains(id))
    })
}

/// The members of a group this plan creates.
pub(crate) fn created_members(
    declared: &DeclaredGroup,
    directory: &Directory<'_>,
) -> Vec<MemberRef> {
    sorted(
        declared
            .members
            .iter()
            .flatten()
            .map(|m| directory.declared_ref(m))
            .collect(),
    )
}

/// Every member of a live group, as the plan names them.
pub(crate) fn live_members(live: &LiveGroup, directory: &Directory<'_>) -> Vec<MemberRef> {
    sorted(live.members.iter().map(|v| directory.live_ref(v)).collect())
}

/// Members sorted by name (case-insensitively), then id, then type: the plan's order.
pub(crate) fn sorted(mut members: Vec<MemberRef>) -> Vec<MemberRef> {
    members.sort_by_cached_key(|m| {
        (
            m.name.as_deref().map(str::to_lowercase),
            m.id.clone(),
            m.r#type,
        )
    });
    members
}
