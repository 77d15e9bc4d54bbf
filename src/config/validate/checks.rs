//! Checks on what refers to declared names from elsewhere: former names (`previously:`)
//! and the policy (protected names, ignore patterns), and the conversion of the policy
//! section into `Policy`.
//!
//! What "an unused `previously:`" means offline: a former name that can never take
//! effect — the entry's own current name, a name listed twice in one entry, or the
//! current name of another declared entry (a live resource under that name is matched to
//! that entry, so the rename never happens). Those are warnings and are left out of the
//! declared model. A former name claimed by two entries is an error: a live resource
//! under it could become either.

use std::collections::HashSet;

use super::groups::Groups;
use super::note;
use super::users::Users;
use crate::config::declared::{MatchUsersBy, MaxDestroy, Policy, UnmanagedGroups, UnmanagedUsers};
use crate::config::diagnostic::ConfigError;
use crate::config::glob::name_matches;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{Located, PolicySection};
use crate::config::names::{FastMap, fast_map, fold};
use crate::config::origin::{Origin, SourceFile};
use crate::config::suggest::Suggester;

/// One entry's view for the former-name check.
struct Entry<'a> {
    kind: &'static str,
    name: &'a str,
    origin: &'a Origin,
    file: &'a SourceFile,
    previously: &'a [Located<String>],
}

/// Check every former name; the usable ones, per entry.
fn previously(
    entries: &[Entry<'_>],
    named: impl Fn(&str) -> Option<usize>,
    problems: &mut Vec<ConfigError>,
) -> Vec<Vec<String>> {
    let mut claimed: FastMap<String, (usize, Origin)> = fast_map(0);
    let mut usable = vec![Vec::new(); entries.len()];
    for (index, entry) in entries.iter().enumerate() {
        let mut listed = HashSet::new();
        let own = fold(entry.name);
        for former in entry.previously {
            let name = former.value.as_str();
            let key = fold(name);
            let origin = Origin::of(entry.file, former.loc);
            let unused = |message: String, help: &str| {
                ConfigError::new(ConfigErrorKind::UnusedPreviously, message)
                    .at(&origin, "never takes effect")
                    .help(help.to_string())
            };
            if key == own {
                problems.push(unused(
                    format!(
                        "`{name}` is the current name of this {}, not a former one",
                        entry.kind
                    ),
                    "remove it: `previously:` lists the names the entry had before a rename",
                ));
            } else if !listed.insert(key.clone()) {
                problems.push(unused(
                    format!("`{name}` is listed twice in `previously:`"),
                    "remove the repeated entry",
                ));
            } else if let Some(other) = named(&key) {
                problems.push(
                    unused(
                        format!("`{name}` is declared as a {} of its own", entry.kind),
                        &format!(
                            "a live {} named `{name}` is that entry, so this rename never happens: \
                             remove the former name, or the other entry",
                            entry.kind
                        ),
                    )
                    .with_related(note(
                        ConfigErrorKind::UnusedPreviously,
                        format!("`{}` is declared here", entries[other].name),
                        entries[other].origin,
                        "declared here",
                    )),
                );
            } else if let Some((other, first)) = claimed.get(&key) {
                problems.push(
                    ConfigError::new(
                        ConfigErrorKind::PreviouslyConflict,
                        format!(
                            "`{name}` is a former name of both `{}` and `{}`",
                            entries[*other].name, entry.name
                        ),
                    )
                    .at(&origin, "claimed again here")
                    .help(format!(
                        "a live {} under `{name}` can be renamed to one entry only: keep the \
                         former name on one of them",
                        entry.kind
                    ))
                    .with_related(note(
                        ConfigErrorKind::PreviouslyConflict,
                        format!("`{}` claims it here", entries[*other].name),
                        first,
                        "first claimed here",
                    )),
                );
            } else {
                claimed.insert(key, (index, origin));
                usable[index].push(name.to_string());
            }
        }
    }
    usable
}

pub(super) fn user_previously(users: &mut Users, problems: &mut Vec<ConfigError>) {
    let entries: Vec<Entry<'_>> = users
        .declared
        .iter()
        .zip(&users.extras)
        .map(|(user, extra)| Entry {
            kind: "user",
            name: &user.user_name,
            origin: &user.origin,
            file: &extra.file,
            previously: &extra.previously,
        })
        .collect();
    let usable = previously(&entries, |key| users.named(key), problems);
    for (user, names) in users.declared.iter_mut().zip(usable) {
        user.previously = names;
    }
}

pub(super) fn group_previously(groups: &mut Groups, problems: &mut Vec<ConfigError>) {
    let entries: Vec<Entry<'_>> = groups
        .declared
        .iter()
        .zip(&groups.extras)
        .map(|(group, extra)| Entry {
            kind: "group",
            name: &group.display_name,
            origin: &group.origin,
            file: &extra.file,
            previously: &extra.previously,
        })
        .collect();
    let usable = previously(&entries, |key| groups.by_name.get(key).copied(), problems);
    for (group, names) in groups.declared.iter_mut().zip(usable) {
        group.previously = names;
    }
}

/// The policy, with warnings for protected names that no file declares and errors for
/// declared entries that an ignore pattern covers.
pub(super) fn policy(
    root: &SourceFile,
    section: Option<PolicySection>,
    users: &Users,
    groups: &Groups,
    problems: &mut Vec<ConfigError>,
) -> Policy {
    let Some(section) = section else {
        return Policy::default();
    };
    let suggester = Suggester::new();
    let protected_users = section.protected_users.unwrap_or_default();
    for name in &protected_users {
        if users.find(&name.value).is_none() {
            let near = suggester.suggest(&name.value, users.declared.iter().map(|u| &*u.user_name));
            problems.push(not_declared(root, name, "user", near));
        }
    }
    let protected_groups = section.protected_groups.unwrap_or_default();
    for name in &protected_groups {
        if !groups.by_name.contains_key(&fold(&name.value)) {
            let near = suggester.suggest(
                &name.value,
                groups.declared.iter().map(|g| g.display_name.as_str()),
            );
            problems.push(not_declared(root, name, "group", near));
        }
    }
    let ignore = section.ignore.unwrap_or_default();
    let ignore_users = ignore.users.unwrap_or_default();
    let ignore_groups = ignore.groups.unwrap_or_default();
    let declared_users = users.declared.iter().map(|u| (&*u.user_name, &u.origin));
    ignored_but_declared(
        root,
        &ignore_users,
        declared_users,
        "user",
        "users",
        problems,
    );
    let declared_groups = groups
        .declared
        .iter()
        .map(|g| (g.display_name.as_str(), &g.origin));
    ignored_but_declared(
        root,
        &ignore_groups,
        declared_groups,
        "group",
        "groups",
        problems,
    );

    // Names are exact, like the names they refer to; patterns are trimmed.
    let names =
        |list: Vec<Located<String>>| -> Vec<String> { list.into_iter().map(|l| l.value).collect() };
    let patterns = |list: Vec<Located<String>>| -> Vec<String> {
        list.into_iter()
            .map(|l| l.value.trim().to_string())
            .collect()
    };
    let defaults = Policy::default();
    Policy {
        unmanaged_users: section.unmanaged_users.unwrap_or(UnmanagedUsers::Ignore),
        unmanaged_groups: section.unmanaged_groups.unwrap_or(UnmanagedGroups::Ignore),
        match_users_by: section
            .match_users_by
            .map(|m| {
                m.value
                    .into_iter()
                    .map(|v| v.value)
                    .collect::<Vec<MatchUsersBy>>()
            })
            .filter(|m| !m.is_empty())
            .unwrap_or(defaults.match_users_by),
        max_destroy: section
            .max_destroy
            .map_or_else(MaxDestroy::default, |m| MaxDestroy {
                count: m.count,
                percent: m.percent,
            }),
        protected_users: names(protected_users),
        protected_groups: names(protected_groups),
        ignore_users: patterns(ignore_users),
        ignore_groups: patterns(ignore_groups),
    }
}

fn not_declared(
    root: &SourceFile,
    name: &Located<String>,
    kind: &str,
    near: Option<&str>,
) -> ConfigError {
    let help = match near {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!(
            "check the spelling; a protected {kind} that no file declares is still protected, \
             but it is usually a typo"
        ),
    };
    ConfigError::new(
        ConfigErrorKind::ProtectedNotDeclared,
        format!(
            "protected {kind} `{}` is not declared in any file",
            name.value
        ),
    )
    .at(&Origin::of(root, name.loc), "not declared")
    .help(help)
}

fn ignored_but_declared<'a>(
    root: &SourceFile,
    patterns: &[Located<String>],
    declared: impl Iterator<Item = (&'a str, &'a Origin)>,
    kind: &str,
    key: &str,
    problems: &mut Vec<ConfigError>,
) {
    if patterns.is_empty() {
        return;
    }
    for (name, origin) in declared {
        let Some(pattern) = patterns.iter().find(|p| name_matches(p.value.trim(), name)) else {
            continue;
        };
        problems.push(
            ConfigError::new(
                ConfigErrorKind::IgnoredButDeclared,
                format!(
                    "{kind} `{name}` is declared, but `policy.ignore.{key}` says scimform never \
                     touches it"
                ),
            )
            .at(origin, "declared here")
            .help(format!(
                "a {kind} cannot be both managed and ignored: remove the entry, or narrow the pattern"
            ))
            .with_related(note(
                ConfigErrorKind::IgnoredButDeclared,
                format!("the pattern `{}` matches it", pattern.value.trim()),
                &Origin::of(root, pattern.loc),
                "matches the declared name",
            )),
        );
    }
}
