//! Matching declared users and groups to live ones.
//!
//! Users: by userName (case-insensitive), then by a former name in `previously:`, then by
//! the secondary keys of `policy.match_users_by` in the order written (primary email,
//! case-insensitive; externalId, exactly). Groups: by displayName, then `previously:`,
//! then a declared externalId. A match on anything but the current name is recorded with
//! its key. Two live objects matching one declared entry, or one live object claimed by
//! two declared entries, is an error naming all of them: the plan never guesses.
//!
//! Live objects that `policy.ignore` covers are taken out before matching. Pure.

use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashSet;

use miette::Diagnostic;
use serde_json::Value;

use super::model::{Note, NoteKind};
use crate::config::{AttributeValue, DeclaredGroup, DeclaredUser, MatchUsersBy, Origin, fold_name};
use crate::live::{IdHashMap, LiveGroup, LiveUser, id_hash_map};
use crate::scim::{as_bool, attribute, string_attribute};

/// How a declared entry found its live object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum How {
    /// Its current name.
    Name,
    /// A former name from `previously:`.
    Former(String),
    /// A primary email.
    Email(String),
    /// An externalId.
    ExternalId(String),
}

/// The live object (an index into the live list) each declared entry matched, in the
/// declared order; `None` where the plan creates it.
pub(crate) struct Matches {
    pub(crate) found: Vec<Option<(usize, How)>>,
    /// For each live object, whether a declared entry claimed it.
    pub(crate) claimed: Vec<bool>,
}

/// Why matching cannot decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// One declared entry matches several live objects by a secondary key.
    Ambiguous {
        noun: &'static str,
        declared: String,
        origin: String,
        key: &'static str,
        value: String,
        /// The live candidates: (name, id).
        candidates: Vec<(String, String)>,
    },
    /// Atlassian: the email of a user to create is linked to a SCIM record in this
    /// directory under another name (the create would fail; it should be adopted).
    LinkedHere {
        user: String,
        origin: String,
        email: String,
        scim_user_id: String,
    },
    /// Atlassian: the email of a user to create is linked to a SCIM record in another
    /// directory of the organisation (the create would fail).
    LinkedElsewhere {
        user: String,
        origin: String,
        email: String,
        directory_id: String,
    },
    /// One live object is claimed by several declared entries.
    ClaimedTwice {
        noun: &'static str,
        live: String,
        id: String,
        /// The declared entries: (name, how it matched, origin).
        claimants: Vec<(String, String, String)>,
    },
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchError::Ambiguous {
                noun,
                declared,
                origin,
                key,
                value,
                candidates,
            } => {
                let list: Vec<String> = candidates
                    .iter()
                    .map(|(name, id)| format!("`{name}` (id {id})"))
                    .collect();
                write!(
                    f,
                    "{noun} `{declared}` ({origin}) matches {} live {noun}s by {key} `{value}`: {}",
                    candidates.len(),
                    list.join(", ")
                )
            }
            MatchError::LinkedHere {
                user,
                origin,
                email,
                scim_user_id,
            } => write!(
                f,
                "user `{user}` ({origin}) would be created, but its email `{email}` already belongs to SCIM user {scim_user_id} in this directory, which the plan did not match"
            ),
            MatchError::LinkedElsewhere {
                user,
                origin,
                email,
                directory_id,
            } => write!(
                f,
                "user `{user}` ({origin}) cannot be created here: its email `{email}` is linked to a SCIM record in another directory of the organisation ({directory_id})"
            ),
            MatchError::ClaimedTwice {
                noun,
                live,
                id,
                claimants,
            } => {
                let list: Vec<String> = claimants
                    .iter()
                    .map(|(name, how, origin)| format!("`{name}` ({how}, {origin})"))
                    .collect();
                write!(
                    f,
                    "live {noun} `{live}` (id {id}) is matched by {} declared {noun}s: {}",
                    claimants.len(),
                    list.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for MatchError {}

impl Diagnostic for MatchError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            MatchError::Ambiguous { .. } => "plan::ambiguous_match",
            MatchError::ClaimedTwice { .. } => "plan::claimed_twice",
            MatchError::LinkedHere { .. } => "plan::atlassian_linked_here",
            MatchError::LinkedElsewhere { .. } => "plan::atlassian_linked_elsewhere",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            MatchError::Ambiguous { .. } => {
                "scimform does not guess which account is meant: give the declared entry the userName of the live account it should be (or remove the duplicate accounts in the directory)"
            }
            MatchError::ClaimedTwice { .. } => {
                "one live account can be only one declared entry: change the email or externalId of one of them, or declare the account once"
            }
            MatchError::LinkedHere { .. } => {
                "add `email` to policy.match_users_by so that the plan adopts that SCIM user, or give the declared user that SCIM user's userName"
            }
            MatchError::LinkedElsewhere { .. } => {
                "an account is provisioned by one identity-provider directory: remove the user from the other directory (or unlink it in admin.atlassian.com), or leave it out of these files"
            }
        }))
    }
}

/// Every matching error of a plan, reported together.
#[derive(Debug)]
pub struct PlanErrors {
    pub errors: Vec<MatchError>,
}

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "the configuration cannot be matched to the directory unambiguously ({n} problem{})",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for PlanErrors {}

impl Diagnostic for PlanErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("plan::unmatched"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "nothing was planned; fix each problem listed above, then run `scimform plan` again",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.errors.iter().map(|e| e as &dyn Diagnostic)))
    }
}

/// The live objects that hold one key: one (the usual case, without an allocation) or
/// several.
#[derive(Debug)]
enum Holders {
    One([usize; 1]),
    Many(Vec<usize>),
}

impl Holders {
    fn push(&mut self, index: usize) {
        match self {
            Holders::One([first]) => *self = Holders::Many(vec![*first, index]),
            Holders::Many(all) => all.push(index),
        }
    }

    fn as_slice(&self) -> &[usize] {
        match self {
            Holders::One(one) => one,
            Holders::Many(all) => all,
        }
    }
}

/// Live objects by a key, each list sorted by id (the smallest id is the "first").
fn index_by<'t, T>(
    items: &'t [T],
    eligible: &[bool],
    key: impl Fn(&'t T) -> Option<Cow<'t, str>>,
    id: impl Fn(&T) -> &str,
) -> IdHashMap<Cow<'t, str>, Holders> {
    // Seeded: the keys are names a server chose.
    let mut index: IdHashMap<Cow<'t, str>, Holders> = id_hash_map(items.len());
    for (i, item) in items.iter().enumerate() {
        if !eligible[i] {
            continue;
        }
        if let Some(k) = key(item) {
            index
                .entry(k)
                .and_modify(|holders| holders.push(i))
                .or_insert(Holders::One([i]));
        }
    }
    for holders in index.values_mut() {
        if let Holders::Many(found) = holders {
            found.sort_by(|a, b| id(&items[*a]).cmp(id(&items[*b])));
        }
    }
    index
}

/// Notes for live names held by several objects (the first by id is the one matched).
fn duplicate_notes<T>(
    items: &[T],
    by_name: &IdHashMap<Cow<'_, str>, Holders>,
    name: impl Fn(&T) -> &str,
    id: impl Fn(&T) -> &str,
    plural: &str,
    notes: &mut Vec<Note>,
) {
    let mut duplicates: Vec<(String, Vec<String>)> = by_name
        .values()
        .map(Holders::as_slice)
        .filter(|found| found.len() > 1)
        .map(|found| {
            (
                name(&items[found[0]]).to_string(),
                found.iter().map(|i| id(&items[*i]).to_string()).collect(),
            )
        })
        .collect();
    duplicates.sort();
    for (name, ids) in duplicates {
        notes.push(Note {
            kind: NoteKind::DuplicateLiveName,
            subject: name.clone(),
            message: format!(
                "the directory has {} {plural} named `{name}` (ids {}); the first is matched and the others are treated as not declared",
                ids.len(),
                ids.join(", ")
            ),
        });
    }
}

/// The primary email of a live user: the one marked primary, else the only one.
pub(crate) fn live_primary_email(resource: &Value) -> Option<String> {
    let emails = resource
        .as_object()
        .and_then(|o| attribute(o, "emails"))
        .and_then(Value::as_array)?;
    let primary = emails
        .iter()
        .find(|e| {
            e.as_object()
                .and_then(|o| attribute(o, "primary"))
                .and_then(as_bool)
                == Some(true)
        })
        .or_else(|| (emails.len() == 1).then(|| &emails[0]))?;
    string_attribute(primary, "value").map(str::to_string)
}

/// The primary email a declared user declares (the one marked primary, else the first).
pub fn declared_primary_email(user: &DeclaredUser) -> Option<String> {
    let emails = user
        .attributes
        .get("emails")
        .and_then(AttributeValue::items)?;
    let primary = emails
        .into_iter()
        .find(|e| e.get("primary").and_then(AttributeValue::as_bool) == Some(true))
        .or_else(|| emails.into_iter().next())?;
    primary
        .get("value")
        .and_then(AttributeValue::as_str)
        .map(str::to_string)
}

/// What a matching pass needs about one kind of object.
struct Kind<'a, D, L> {
    noun: &'static str,
    declared: &'a [&'a D],
    live: &'a [L],
    eligible: &'a [bool],
    declared_name: fn(&D) -> &str,
    previously: fn(&D) -> &[String],
    origin: fn(&D) -> &Origin,
    live_name: fn(&L) -> &str,
    live_id: fn(&L) -> &str,
}

/// The state of one matching run.
struct Run<'a, D, L> {
    kind: Kind<'a, D, L>,
    found: Vec<Option<(usize, How)>>,
    claimed_by: Vec<Option<usize>>,
    errors: Vec<MatchError>,
}

impl<'a, D, L> Run<'a, D, L> {
    fn new(kind: Kind<'a, D, L>) -> Run<'a, D, L> {
        let declared = kind.declared.len();
        let live = kind.live.len();
        Run {
            kind,
            found: vec![None; declared],
            claimed_by: vec![None; live],
            errors: Vec::new(),
        }
    }

    /// By current name, then by former name; notes for duplicate live names and for
    /// former names that exist beside the current one.
    fn by_names(&mut self, notes: &mut Vec<Note>) {
        let k = &self.kind;
        let by_name = index_by(
            k.live,
            k.eligible,
            |l| Some(fold_name((k.live_name)(l))),
            k.live_id,
        );
        duplicate_notes(
            k.live,
            &by_name,
            k.live_name,
            k.live_id,
            &format!("{}s", k.noun),
            notes,
        );
        for (d, entry) in k.declared.iter().enumerate() {
            if let Some(found) = by_name.get(&fold_name((k.declared_name)(entry))) {
                let found = found.as_slice();
                for former in (k.previously)(entry) {
                    if by_name.contains_key(&fold_name(former)) {
                        notes.push(Note {
                            kind: NoteKind::FormerNameAlsoExists,
                            subject: format!("{} {}", k.noun, (k.declared_name)(entry)),
                            message: format!(
                                "`{}` lists `{former}` under previously:, but both names exist in the directory; the current name is matched and `{former}` is left alone",
                                (k.declared_name)(entry)
                            ),
                        });
                    }
                }
                self.found[d] = Some((found[0], How::Name));
                self.claimed_by[found[0]] = Some(d);
            }
        }
        if k.declared.iter().all(|d| (k.previously)(d).is_empty()) {
            return;
        }
        let current: FxHashSet<Cow<'_, str>> = k
            .declared
            .iter()
            .map(|d| fold_name((k.declared_name)(d)))
            .collect();
        for (d, entry) in k.declared.iter().enumerate() {
            if self.found[d].is_some() {
                continue;
            }
            let former = (k.previously)(entry).iter().find_map(|former| {
                let key = fold_name(former);
                (!current.contains(&key))
                    .then(|| by_name.get(&key))
                    .flatten()
                    .map(|found| (found.as_slice()[0], former.clone()))
            });
            if let Some((l, former)) = former
                && self.claimed_by[l].is_none()
            {
                self.found[d] = Some((l, How::Former(former)));
                self.claimed_by[l] = Some(d);
            }
        }
    }

    /// By a secondary key, for declared entries still unmatched.
    fn by_key(
        &mut self,
        key: &'static str,
        live_key: impl Fn(&'a L) -> Option<Cow<'a, str>>,
        declared_key: impl Fn(&D) -> Option<String>,
        how: fn(String) -> How,
    ) {
        if self.found.iter().all(Option::is_some) {
            return;
        }
        let k = &self.kind;
        let index = index_by(k.live, k.eligible, live_key, k.live_id);
        for (d, entry) in k.declared.iter().enumerate() {
            if self.found[d].is_some() {
                continue;
            }
            let Some(value) = declared_key(entry) else {
                continue;
            };
            let Some(candidates) = index.get(value.as_str()).map(Holders::as_slice) else {
                continue;
            };
            if candidates.len() > 1 {
                self.errors.push(MatchError::Ambiguous {
                    noun: k.noun,
                    declared: (k.declared_name)(entry).to_string(),
                    origin: (k.origin)(entry).to_string(),
                    key,
                    value,
                    candidates: candidates
                        .iter()
                        .map(|l| {
                            (
                                (k.live_name)(&k.live[*l]).to_string(),
                                (k.live_id)(&k.live[*l]).to_string(),
                            )
                        })
                        .collect(),
                });
                continue;
            }
            let l = candidates[0];
            if let Some(other) = self.claimed_by[l] {
                let describe = |d: usize| {
                    let entry = k.declared[d];
                    let how = match &self.found[d] {
                        Some((_, How::Name)) | None => "by its userName".to_string(),
                        Some((_, How::Former(f))) => format!("by its former name `{f}`"),
                        Some((_, How::Email(e))) => format!("by email `{e}`"),
                        Some((_, How::ExternalId(e))) => format!("by externalId `{e}`"),
                    };
                    let how = if k.noun == "group" {
                        how.replace("userName", "displayName")
                    } else {
                        how
                    };
                    (
                        (k.declared_name)(entry).to_string(),
                        how,
                        (k.origin)(entry).to_string(),
                    )
                };
                let mut mine = describe(d);
                mine.1 = format!("by {key} `{value}`");
                self.errors.push(MatchError::ClaimedTwice {
                    noun: k.noun,
                    live: (k.live_name)(&k.live[l]).to_string(),
                    id: (k.live_id)(&k.live[l]).to_string(),
                    claimants: vec![describe(other), mine],
                });
                continue;
            }
            self.found[d] = Some((l, how(value)));
            self.claimed_by[l] = Some(d);
        }
    }

    fn finish(self, errors: &mut Vec<MatchError>) -> Matches {
        errors.extend(self.errors);
        Matches {
            found: self.found,
            claimed: self.claimed_by.iter().map(Option::is_some).collect(),
        }
    }
}

/// Match declared users (sorted) to the live users that `eligible` marks (not ignored).
pub(crate) fn match_users(
    declared: &[&DeclaredUser],
    live: &[LiveUser],
    eligible: &[bool],
    keys: &[MatchUsersBy],
    notes: &mut Vec<Note>,
    errors: &mut Vec<MatchError>,
) -> Matches {
    let mut run = Run::new(Kind {
        noun: "user",
        declared,
        live,
        eligible,
        declared_name: |d: &DeclaredUser| &*d.user_name,
        previously: |d: &DeclaredUser| d.previously.as_slice(),
        origin: |d: &DeclaredUser| &d.origin,
        live_name: |l: &LiveUser| l.user_name.as_str(),
        live_id: |l: &LiveUser| l.id.as_str(),
    });
    run.by_names(notes);
    for key in keys {
        match key {
            MatchUsersBy::UserName => {}
            MatchUsersBy::Email => run.by_key(
                "email",
                |l: &LiveUser| {
                    live_primary_email(&l.resource())
                        .map(|e| Cow::Owned(fold_name(&e).into_owned()))
                },
                |d: &DeclaredUser| declared_primary_email(d).map(|e| fold_name(&e).into_owned()),
                How::Email,
            ),
            MatchUsersBy::ExternalId => run.by_key(
                "externalId",
                |l: &LiveUser| {
                    string_attribute(&l.resource(), "externalId").map(|e| Cow::Owned(e.to_string()))
                },
                |d: &DeclaredUser| {
                    d.attributes
                        .get("externalId")
                        .and_then(AttributeValue::as_str)
                        .map(str::to_string)
                },
                How::ExternalId,
            ),
        }
    }
    run.finish(errors)
}

/// Match declared groups (sorted) to the eligible live groups.
pub(crate) fn match_groups(
    declared: &[&DeclaredGroup],
    live: &[LiveGroup],
    eligible: &[bool],
    notes: &mut Vec<Note>,
    errors: &mut Vec<MatchError>,
) -> Matches {
    let mut run = Run::new(Kind {
        noun: "group",
        declared,
        live,
        eligible,
        declared_name: |d: &DeclaredGroup| d.display_name.as_str(),
        previously: |d: &DeclaredGroup| d.previously.as_slice(),
        origin: |d: &DeclaredGroup| &d.origin,
        live_name: |l: &LiveGroup| l.display_name.as_str(),
        live_id: |l: &LiveGroup| l.id.as_str(),
    });
    run.by_names(notes);
    run.by_key(
        "externalId",
        |l: &LiveGroup| {
            string_attribute(&l.resource(), "externalId").map(|e| Cow::Owned(e.to_string()))
        },
        |d: &DeclaredGroup| d.external_id.clone(),
        How::ExternalId,
    );
    run.finish(errors)
}
