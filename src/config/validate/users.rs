//! Declared users across files: userNames and emails unique (case-insensitively),
//! externalIds unique, managers declared and free of cycles; and the indexes that members
//! and managers are resolved with.

use std::collections::HashMap;

use super::prepare::PreparedUser;
use super::{cycles, note};
use crate::config::declared::DeclaredUser;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::Located;
use crate::config::names::{FastMap, fast_map, fold_into};
use crate::config::origin::{Loc, Origin, SourceFile};
use crate::config::suggest::Suggester;
use crate::key_table::KeyTable;

/// The declared users and the indexes that members and managers are resolved with.
pub(in crate::config) struct Users {
    pub declared: Vec<DeclaredUser>,
    /// Folded userName, else folded email → index (twice it, plus one for an email):
    /// what a member names, in one table for the million lookups of a large
    /// configuration's members.
    pub by_member_name: KeyTable,
    /// Per user: what later checks need from its entry.
    pub extras: Vec<UserExtra>,
}

pub(in crate::config) struct UserExtra {
    pub file: SourceFile,
    pub manager: Option<Box<Located<String>>>,
    pub previously: Vec<Located<String>>,
}

impl Users {
    /// The index of the declared user that `name` (a userName or an email) names;
    /// `buffer` is scratch space for folding.
    pub(super) fn find_with(&self, name: &str, buffer: &mut String) -> Option<usize> {
        fold_into(name, buffer);
        self.by_member_name.get(buffer.as_bytes()).map(user_index)
    }

    /// The index of the declared user whose folded userName is `folded`.
    pub(super) fn named(&self, folded: &str) -> Option<usize> {
        self.by_member_name
            .get(folded.as_bytes())
            .filter(|value| value & 1 == 0)
            .map(user_index)
    }

    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.find_with(name, &mut String::new())
    }
}

/// Index the `count` prepared users (in load order), reporting duplicates.
pub(super) fn collect(
    prepared: impl Iterator<Item = PreparedUser>,
    count: usize,
    problems: &mut Vec<ConfigError>,
) -> Users {
    let mut users = Users {
        declared: Vec::with_capacity(count),
        by_member_name: KeyTable::with_capacity(count),
        extras: Vec::with_capacity(count),
    };
    // Folded email → index of the user that declares it, and where (only while
    // collecting: members find users by email through `by_member_name`).
    let mut by_email: FastMap<String, (usize, Loc)> = fast_map(count);
    // Emails that are another user's userName: (email, its user, the user so named,
    // where the email is).
    let mut collisions: Vec<(String, usize, usize, Loc)> = Vec::new();
    // Where each externalId was first used.
    let mut external_ids: HashMap<String, (usize, Origin)> = HashMap::new();
    for prepared in prepared {
        let PreparedUser {
            user,
            key,
            emails,
            external_id,
            file,
            manager,
            previously,
        } = prepared;
        let index = users.declared.len();
        match users.by_member_name.get(key.as_bytes()) {
            Some(first) if first & 1 == 0 => {
                let first = &users.declared[user_index(first)];
                problems.push(duplicate_user(&user, first));
                continue;
            }
            Some(email_of) => {
                // An earlier user's email is this userName: the name wins the lookup.
                let owner = user_index(email_of);
                if let Some((_, loc)) = by_email.get(&key) {
                    collisions.push((key.clone(), owner, index, *loc));
                }
                users.by_member_name.set(key.as_bytes(), name_value(index));
            }
            None => {
                users
                    .by_member_name
                    .insert_if_absent(key.as_bytes(), name_value(index));
            }
        }
        let external_id = external_id.and_then(|loc| {
            let value = user.attributes.get("externalId")?.as_str()?;
            Some(Located::new(value.to_string(), loc))
        });
        if let Some(external_id) = &external_id {
            let here = Origin::of(&file, external_id.loc);
            match external_ids.get(&external_id.value) {
                Some((other, first)) => problems.push(
                    ConfigError::new(
                        ConfigErrorKind::DuplicateExternalId,
                        format!(
                            "users `{}` and `{}` have the same externalId `{}`",
                            users.declared[*other].user_name, user.user_name, external_id.value
                        ),
                    )
                    .at(&here, "used again here")
                    .help("an externalId identifies one user: give each user its own")
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
        for (email, loc) in emails {
            match by_email.get(&email) {
                Some(&(other, first)) if other != index => {
                    let mut error = ConfigError::new(
                        ConfigErrorKind::DuplicateEmail,
                        format!(
                            "the email `{email}` belongs to two users, `{}` and `{}`",
                            users.declared[other].user_name, user.user_name
                        ),
                    )
                    .at(&Origin::of(&file, loc), "declared again here")
                    .help("an email address identifies one person: give it to one user only");
                    error = error.with_related(note(
                        ConfigErrorKind::DuplicateEmail,
                        format!("`{}` declares it here", users.declared[other].user_name),
                        &Origin::of(&users.extras[other].file, first),
                        "first declared here",
                    ));
                    problems.push(error);
                }
                Some(_) => {}
                None => {
                    // Members name users by email too, where the email is not a userName.
                    if let Some(named) = users
                        .by_member_name
                        .insert_if_absent(email.as_bytes(), name_value(index) | 1)
                        .map(user_index)
                        .filter(|named| *named != index)
                    {
                        collisions.push((email.clone(), index, named, loc));
                    }
                    by_email.insert(email, (index, loc));
                }
            }
        }
        users.extras.push(UserExtra {
            file,
            manager,
            previously,
        });
        users.declared.push(user);
    }
    report_names_that_are_emails(&users, collisions, problems);
    users
}

fn duplicate_user(user: &DeclaredUser, first: &DeclaredUser) -> ConfigError {
    ConfigError::new(
        ConfigErrorKind::DuplicateUser,
        format!("user `{}` is declared twice", user.user_name),
    )
    .at(&user.origin, "declared again here")
    .help("userNames are compared case-insensitively: remove one of the two entries")
    .with_related(note(
        ConfigErrorKind::DuplicateUser,
        format!("`{}` is first declared here", first.user_name),
        &first.origin,
        "first declared here",
    ))
}

/// A user's index as [`Users::by_member_name`] holds it for its userName.
fn name_value(index: usize) -> u32 {
    u32::try_from(index)
        .ok()
        .and_then(|index| index.checked_mul(2))
        .expect("fewer than 2^31 declared users")
}

/// The user's index in a value of [`Users::by_member_name`].
pub(super) fn user_index(value: u32) -> usize {
    (value >> 1) as usize
}

/// An email that is another user's userName makes members and matching ambiguous.
fn report_names_that_are_emails(
    users: &Users,
    mut collisions: Vec<(String, usize, usize, Loc)>,
    problems: &mut Vec<ConfigError>,
) {
    // Report in declaration order of the email's user.
    collisions.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    for (email, owner, named, loc) in collisions {
        let email_origin = Origin::of(&users.extras[owner].file, loc);
        let (owner, named) = (&users.declared[owner], &users.declared[named]);
        problems.push(
            ConfigError::new(
                ConfigErrorKind::DuplicateEmail,
                format!(
                    "`{email}` is the userName of `{}` and an email of `{}`",
                    named.user_name, owner.user_name
                ),
            )
            .at(&email_origin, "an email of another user's userName")
            .help(format!(
                "members and matching look people up by userName or email, so one name must \
                 mean one person: remove this email from `{}`",
                owner.user_name
            ))
            .with_related(note(
                ConfigErrorKind::DuplicateEmail,
                format!("`{}` is declared here", named.user_name),
                &named.origin,
                "the userName",
            )),
        );
    }
}

/// Resolve every `manager` to a declared userName; report unknown managers and cycles.
/// Cycles are rejected (a self-manager included): an organisation chart is a tree, and a
/// cycle would leave apply no user to create first.
pub(super) fn resolve_managers(users: &mut Users, problems: &mut Vec<ConfigError>) {
    let suggester = Suggester::new();
    let mut manager_of: Vec<Option<usize>> = Vec::with_capacity(users.declared.len());
    for index in 0..users.declared.len() {
        let Some(manager) = users.extras[index].manager.clone() else {
            manager_of.push(None);
            continue;
        };
        let found = users.find(&manager.value);
        manager_of.push(found);
        if let Some(found) = found {
            users.declared[index].manager = Some(users.declared[found].user_name.to_string());
        } else {
            let origin = Origin::of(&users.extras[index].file, manager.loc);
            let help = match suggester.suggest(&manager.value, users.declared.iter().map(|u| &*u.user_name)) {
                Some(near) => format!("did you mean `{near}`? A manager is a declared user, named by userName or email"),
                None => "a manager is a declared user, named by userName or email: declare the manager, or remove `manager`".to_string(),
            };
            problems.push(
                ConfigError::new(
                    ConfigErrorKind::UnknownManager,
                    format!(
                        "the manager of `{}`, `{}`, is not a declared user",
                        users.declared[index].user_name, manager.value
                    ),
                )
                .at(&origin, "no user with this userName or email")
                .help(help),
            );
        }
    }
    cycles::report_manager_cycles(users, &manager_of, problems);
}
