//! Declared groups: one `DeclaredGroup` per entry, with members resolved to declared
//! userNames and group names, and the checks across groups — names and externalIds
//! unique, members known (with "did you mean"), nested groups free of cycles, member
//! lists not empty, repeated or shorter than `min_members`.

use std::collections::HashMap;
use std::sync::Arc;

use super::users::{self, Users};
use super::{cycles, note};
use crate::config::declared::{DeclaredGroup, MemberName, MemberUser, Membership};
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{GroupEntry, Located, MemberEntry, MemberForm, MemberList};
use crate::config::names::{FastMap, fast_map, fold, fold_into, same_name};
use crate::config::origin::Loc;
use crate::config::origin::{Origin, SourceFile};
use crate::config::parallel;
use crate::config::suggest::Suggester;

/// The declared groups, and what later checks need from their entries.
pub(in crate::config) struct Groups {
    pub declared: Vec<DeclaredGroup>,
    /// Folded displayName → index.
    pub by_name: FastMap<String, usize>,
    pub extras: Vec<GroupExtra>,
}

pub(in crate::config) struct GroupExtra {
    pub file: SourceFile,
    pub previously: Vec<Located<String>>,
    /// Nested-group members: (index of the member group, where it is written).
    pub nested: Vec<(usize, Loc)>,
}

const GROUP_PREFIX: &str = "group:";

/// Turn the entries into declared groups, reporting duplicates and resolving members.
pub(super) fn collect(
    entries: Vec<(SourceFile, GroupEntry)>,
    users: &Users,
    problems: &mut Vec<ConfigError>,
) -> Groups {
    let mut groups = Groups {
        declared: Vec::with_capacity(entries.len()),
        by_name: fast_map(entries.len()),
        extras: Vec::with_capacity(entries.len()),
    };
    let mut external_ids: HashMap<String, (usize, Origin)> = HashMap::new();
    let mut kept = Vec::with_capacity(entries.len());
    // First every name, so that members may name groups declared later.
    for (file, entry) in entries {
        let origin = Origin::of(&file, entry.display_name.loc);
        let display_name = entry.display_name.value.clone();
        let key = fold(&display_name);
        if let Some(&first) = groups.by_name.get(&key) {
            let first = &groups.declared[first];
            problems.push(
                ConfigError::new(
                    ConfigErrorKind::DuplicateGroup,
                    format!("group `{display_name}` is declared twice"),
                )
                .at(&origin, "declared again here")
                .help("group names are compared case-insensitively: merge the two entries")
                .with_related(note(
                    ConfigErrorKind::DuplicateGroup,
                    format!("`{}` is first declared here", first.display_name),
                    &first.origin,
                    "first declared here",
                )),
            );
            continue;
        }
        let index = groups.declared.len();
        if let Some(external_id) = &entry.external_id {
            let here = Origin::of(&file, external_id.loc);
            match external_ids.get(&external_id.value) {
                Some((other, first)) => problems.push(
                    ConfigError::new(
                        ConfigErrorKind::DuplicateExternalId,
                        format!(
                            "groups `{}` and `{display_name}` have the same externalId `{}`",
                            groups.declared[*other].display_name, external_id.value
                        ),
                    )
                    .at(&here, "used again here")
                    .help("an externalId identifies one group: give each group its own")
                    .with_related(note(
                        ConfigErrorKind::DuplicateExternalId,
                        "first used here",
                        first,
                        "first used here",
                    )),
                ),
                None => {
                    external_ids.insert(external_id.value.clone(), (index, here));
                }
            }
        }
        groups.by_name.insert(key, index);
        groups.declared.push(DeclaredGroup {
            display_name,
            external_id: entry.external_id.as_ref().map(|e| e.value.clone()),
            members: None,
            membership: entry.membership.unwrap_or_default(),
            privileged: entry.privileged.unwrap_or(false),
            min_members: entry.min_members.as_ref().map(|m| m.value),
            previously: Vec::new(),
            origin,
        });
        groups.extras.push(GroupExtra {
            file: file.clone(),
            previously: entry.previously.clone().unwrap_or_default(),
            nested: Vec::new(),
        });
        kept.push((index, file, entry));
    }
    // Members, on all cores (a million member references are common enough); each
    // worker drops the entries it has resolved.
    let suggester = Suggester::new();
    // Each userName once, shared by every membership that names the user.
    let user_names: Vec<Arc<str>> = users
        .declared
        .iter()
        .map(|u| Arc::clone(&u.user_name))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let runs = parallel::split(kept, threads * 8);
    let groups_read = &groups;
    let results = parallel::map_owned(runs, |run| {
        let mut found = Vec::new();
        let mut scratch = Scratch::new(users.declared.len(), groups_read.declared.len());
        // A new vector, not one collected in place: that would keep the run's (much
        // larger) entries' allocation alive until every group is resolved.
        let mut resolved: Vec<(usize, Resolved)> = Vec::new();
        for (index, file, entry) in run {
            let Some(listed) = entry.members.as_ref() else {
                continue;
            };
            let context = Context {
                file: &file,
                entry: &entry,
                users,
                user_names: &user_names,
                groups: groups_read,
                suggester: &suggester,
            };
            let members = resolve_members(&context, &listed.value, &mut scratch, &mut found);
            let group = &groups_read.declared[index];
            check_member_count(&file, &entry, group, members.members.len(), &mut found);
            resolved.push((index, members));
        }
        (resolved, found)
    });
    for (resolved, found) in results {
        problems.extend(found);
        for (index, resolved) in resolved {
            groups.extras[index].nested = resolved.nested;
            groups.declared[index].members = Some(resolved.members);
        }
    }
    cycles::report_group_cycles(&groups, problems);
    groups
}

/// What resolving one group's members reads.
struct Context<'a> {
    file: &'a SourceFile,
    entry: &'a GroupEntry,
    users: &'a Users,
    /// `users.declared[i].user_name`, shared.
    user_names: &'a [Arc<str>],
    groups: &'a Groups,
    suggester: &'a Suggester,
}

/// Buffers reused from one group to the next.
struct Scratch {
    folded: String,
    /// Per user, then per group: the group being resolved when it was last listed
    /// (`stamp`), and where in that group's list (`position`) — a repeat check without
    /// hashing, for a million members.
    stamp: Vec<u32>,
    position: Vec<u32>,
    /// The current group's stamp.
    current: u32,
    /// The current group's member names that can name a user, folded, one after
    /// another; where each ends; and the user each names.
    keys: String,
    key_ends: Vec<usize>,
    found: Vec<Option<u32>>,
}

impl Scratch {
    fn new(users: usize, groups: usize) -> Scratch {
        Scratch {
            folded: String::new(),
            stamp: vec![0; users + groups],
            position: vec![0; users + groups],
            current: 0,
            keys: String::new(),
            key_ends: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Look up, all at once, the user that each entry of `listed` names (the entries
    /// that can name one: not `{group: NAME}`), into `found`.
    fn look_up_users(&mut self, listed: &MemberList, text: &str, users: &Users) {
        self.keys.clear();
        self.key_ends.clear();
        self.found.clear();
        for member in &listed.entries {
            if member.value.form != MemberForm::Group {
                fold_into(listed.name(member, text), &mut self.folded);
                self.keys.push_str(&self.folded);
                self.key_ends.push(self.keys.len());
            }
        }
        let mut start = 0;
        let keys: Vec<&[u8]> = self
            .key_ends
            .iter()
            .map(|&end| {
                let key = &self.keys.as_bytes()[start..end];
                start = end;
                key
            })
            .collect();
        users.by_member_name.get_batch(&keys, &mut self.found);
    }

    /// Start a group's list.
    fn next_group(&mut self) {
        self.current += 1;
    }

    /// Where the current list first names `slot`, or record `at` as that place.
    fn first_listed(&mut self, slot: usize, at: usize) -> Option<usize> {
        let (stamp, position) = (self.stamp.get_mut(slot)?, self.position.get_mut(slot)?);
        if *stamp == self.current {
            return Some(*position as usize);
        }
        *stamp = self.current;
        *position = u32::try_from(at).unwrap_or(u32::MAX);
        None
    }
}

struct Resolved {
    members: Vec<MemberName>,
    nested: Vec<(usize, Loc)>,
}

fn resolve_members(
    context: &Context<'_>,
    listed: &MemberList,
    scratch: &mut Scratch,
    problems: &mut Vec<ConfigError>,
) -> Resolved {
    let Context {
        file,
        entry,
        users,
        user_names,
        groups,
        suggester,
    } = *context;
    let group_name = &entry.display_name.value;
    let mut members = Vec::with_capacity(listed.entries.len());
    let mut nested = Vec::new();
    scratch.next_group();
    scratch.look_up_users(listed, &file.text, users);
    // Taken for the loop, which needs the rest of the scratch space; given back after.
    let found = std::mem::take(&mut scratch.found);
    let mut user_lookups = found.iter();
    for (position, member) in listed.entries.iter().enumerate() {
        let text = listed.name(member, &file.text);
        // The user this entry's text names, for the forms that can name one.
        let user = if member.value.form == MemberForm::Group {
            None
        } else {
            user_lookups
                .next()
                .copied()
                .flatten()
                .map(users::user_index)
        };
        let target = match member.value.form {
            MemberForm::Short => text
                .strip_prefix(GROUP_PREFIX)
                .map_or(Target::User(text), Target::Group),
            MemberForm::User => Target::User(text),
            MemberForm::Group => Target::Group(text),
        };
        let written = written(member.value, text);
        let found = match target {
            Target::Group(name) => {
                fold_into(name, &mut scratch.folded);
                let group = groups.by_name.get(scratch.folded.as_str()).copied();
                // `group:NAME` while a user is called `group:NAME`: the short form names
                // the group, which may not be what was meant.
                match (group, user) {
                    (Some(g), Some(u)) => {
                        problems.push(ambiguous(
                            file,
                            member,
                            text,
                            name,
                            &users.declared[u].user_name,
                            group_name,
                        ));
                        Some((true, g))
                    }
                    (Some(g), None) => Some((true, g)),
                    (None, _) => {
                        let near = suggester.suggest(
                            name,
                            groups.declared.iter().map(|g| g.display_name.as_str()),
                        );
                        let help = match (user, near) {
                            (Some(u), _) => format!(
                                "`{text}` names a group; to name the user `{}`, write \
                                 `{{user: \"{}\"}}`",
                                users.declared[u].user_name, users.declared[u].user_name
                            ),
                            (None, Some(near)) => match member.value.form {
                                MemberForm::Short => format!("did you mean `group:{near}`?"),
                                _ => format!("did you mean `{{group: {near}}}`?"),
                            },
                            (None, None) => {
                                "declare the group under `groups:`, or remove it from the members"
                                    .to_string()
                            }
                        };
                        problems.push(
                            ConfigError::new(
                                ConfigErrorKind::UnknownMember,
                                format!(
                                    "group `{group_name}` lists `{written}`, but no group `{name}` is declared"
                                ),
                            )
                            .at(&Origin::of(file, member.loc), "no group with this name")
                            .help(help),
                        );
                        None
                    }
                }
            }
            Target::User(name) => {
                if let Some(u) = user {
                    Some((false, u))
                } else {
                    let candidates = users
                        .declared
                        .iter()
                        .flat_map(|u| std::iter::once(&*u.user_name).chain(u.emails()));
                    let help = match suggester.suggest(name, candidates) {
                        Some(near) => format!(
                            "did you mean `{near}`? Members name declared users by userName or email"
                        ),
                        None => {
                            "declare the user under `users:`, or remove it from the group's members"
                                .to_string()
                        }
                    };
                    problems.push(
                        ConfigError::new(
                            ConfigErrorKind::UnknownMember,
                            format!(
                                "group `{group_name}` lists `{written}`, which is not a declared user"
                            ),
                        )
                        .at(
                            &Origin::of(file, member.loc),
                            "no user with this userName or email",
                        )
                        .help(help),
                    );
                    None
                }
            }
        };
        let Some((is_group, index)) = found else {
            continue;
        };
        let slot = if is_group {
            users.declared.len() + index
        } else {
            index
        };
        if let Some(first) = scratch.first_listed(slot, position) {
            problems.push(repeated_member(
                file,
                group_name,
                listed,
                &listed.entries[first],
                member,
            ));
            continue;
        }
        if is_group {
            nested.push((index, member.loc));
            members.push(MemberName::Group(Arc::from(
                groups.declared[index].display_name.as_str(),
            )));
        } else {
            members.push(MemberName::User(MemberUser::declared(
                Arc::clone(&user_names[index]),
                index,
            )));
        }
    }
    scratch.found = found;
    Resolved { members, nested }
}

/// What a member entry names.
enum Target<'t> {
    User(&'t str),
    Group(&'t str),
}

/// A member as the file writes it, for messages: `alice@x.test`, `group:eng`,
/// `{user: group:x}`.
fn written(member: MemberEntry, name: &str) -> std::borrow::Cow<'_, str> {
    match member.form {
        MemberForm::Short => std::borrow::Cow::Borrowed(name),
        MemberForm::User => std::borrow::Cow::Owned(format!("{{user: {name}}}")),
        MemberForm::Group => std::borrow::Cow::Owned(format!("{{group: {name}}}")),
    }
}

/// The warning for `group:NAME` written where a declared user has that userName.
fn ambiguous(
    file: &SourceFile,
    member: &Located<MemberEntry>,
    text: &str,
    group: &str,
    user: &str,
    listing: &str,
) -> ConfigError {
    ConfigError::new(
        ConfigErrorKind::AmbiguousMember,
        format!(
            "group `{listing}` lists `{text}`, which names the group `{group}`, but a declared \
             user is called `{user}`"
        ),
    )
    .at(&Origin::of(file, member.loc), "read as the group")
    .help(format!(
        "say which is meant: `{{group: \"{group}\"}}` for the group, or `{{user: \"{user}\"}}` \
         for the user"
    ))
}

fn repeated_member(
    file: &SourceFile,
    group: &str,
    listed: &MemberList,
    first: &Located<MemberEntry>,
    again: &Located<MemberEntry>,
) -> ConfigError {
    let (first_text, again_text) = (
        written(first.value, listed.name(first, &file.text)),
        written(again.value, listed.name(again, &file.text)),
    );
    let message = if same_name(&first_text, &again_text) {
        format!("`{again_text}` is listed twice in group `{group}`")
    } else {
        format!("`{first_text}` and `{again_text}` are the same member of group `{group}`")
    };
    ConfigError::new(ConfigErrorKind::DuplicateMember, message)
        .at(&Origin::of(file, again.loc), "listed again here")
        .help("list each member once: remove the repeated entry")
        .with_related(note(
            ConfigErrorKind::DuplicateMember,
            "first listed here",
            &Origin::of(file, first.loc),
            "first listed here",
        ))
}

fn check_member_count(
    file: &SourceFile,
    entry: &GroupEntry,
    group: &DeclaredGroup,
    count: usize,
    problems: &mut Vec<ConfigError>,
) {
    let listed = entry.members.as_ref().map_or(0, |m| m.value.entries.len());
    if listed == 0 {
        let (message, help) = match group.membership {
            Membership::Authoritative => (
                format!(
                    "group `{}` has an empty member list: apply removes every member",
                    group.display_name
                ),
                "list the members, or remove `members:` to leave the group's membership unmanaged",
            ),
            Membership::Additive => (
                format!("group `{}` adds no members", group.display_name),
                "list the members to add, or remove `members:`",
            ),
        };
        let loc = entry
            .members
            .as_ref()
            .map_or(entry.display_name.loc, |m| m.loc);
        problems.push(
            ConfigError::new(ConfigErrorKind::EmptyGroup, message)
                .at(&Origin::of(file, loc), "no members")
                .help(help),
        );
    }
    if let (Membership::Authoritative, Some(min)) = (group.membership, &entry.min_members)
        && (count as u64) < u64::from(min.value)
    {
        problems.push(
            ConfigError::new(
                ConfigErrorKind::TooFewMembers,
                format!(
                    "group `{}` lists {count} member{}, fewer than its `min_members: {}`",
                    group.display_name,
                    if count == 1 { "" } else { "s" },
                    min.value
                ),
            )
            .at(&Origin::of(file, min.loc), "the minimum")
            .help("add members, or lower `min_members`"),
        );
    }
}
