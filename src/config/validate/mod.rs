//! Validation: the checks that need more than one entry or more than one file —
//! duplicates (both places shown), members and managers that name nothing (with "did you
//! mean"), cycles, former names, the policy's names and patterns — and the conversion of
//! the decoded files into the `Declared` model, `defaults:` applied.
//!
//! Every problem is collected; nothing stops at the first. Problems come back sorted by
//! file (in load order) and position, errors apart from warnings. Offline only.

mod checks;
mod cycles;
mod groups;
mod names;
mod prepare;
mod target;

pub(in crate::config) use target::target;
mod users;

pub(super) use prepare::{PreparedUser, prepare_users};

use std::collections::HashMap;

use super::declared::Declared;
use super::diagnostic::{ConfigError, ConfigErrors};
use super::kind::{ConfigErrorKind, Severity};
use super::load::Loaded;
use super::origin::{Origin, SourceFile};

/// Validate the loaded files (the root file first) and build the declared model.
/// `problems` are those found while reading and decoding.
pub(super) fn validate(
    files: Vec<Loaded>,
    digest: String,
    mut problems: Vec<ConfigError>,
) -> Result<Declared, ConfigErrors> {
    let order: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .map(|(index, loaded)| (loaded.file.path.to_string(), index))
        .collect();
    let mut files = files.into_iter();
    let Some(mut root) = files.next() else {
        return finish(problems, &order, Declared::empty(digest));
    };
    let target = root.config.target.take();
    let policy = root.config.policy.take();
    let root_file = root.file.clone();

    // Per file: moving whole lists, not 100 000 users one by one.
    let mut prepared = Vec::new();
    let mut group_entries = Vec::new();
    for loaded in std::iter::once(root).chain(files) {
        let file = loaded.file;
        prepared.push(loaded.users);
        group_entries.extend(loaded.config.groups.into_iter().map(|g| (file.clone(), g)));
    }

    let count = prepared.iter().map(Vec::len).sum();
    // Each file's prepared users are freed once collected: their pages go back to the
    // system every few files, before the collected ones (and, in a plan, the directory
    // read meanwhile) add up beside them.
    let mut release = scimform_memory::ReleaseEvery::new(RELEASE_EVERY);
    let mut previous_file = 0;
    let prepared = prepared.into_iter().flat_map(|file_users| {
        let bytes = file_users.len() * size_of::<PreparedUser>();
        release.freed(std::mem::replace(&mut previous_file, bytes));
        file_users
    });
    let mut users = users::collect(prepared, count, &mut problems);
    users::resolve_managers(&mut users, &mut problems);
    // The prepared users (twice the size of the declared ones) are freed, in the arenas
    // of the threads that parsed them: give their pages back before the groups' members
    // are resolved beside them.
    scimform_memory::release_free_memory();
    let mut groups = groups::collect(group_entries, &users, &mut problems);
    names::check(&users, &groups, &mut problems);
    checks::user_previously(&mut users, &mut problems);
    checks::group_previously(&mut groups, &mut problems);
    let policy = checks::policy(&root_file, policy, &users, &groups, &mut problems);

    let target = target::target(&root_file, target, &mut problems);
    let declared = Declared {
        target,
        policy,
        users: users.declared,
        groups: groups.declared,
        digest,
        warnings: Vec::new(),
    };
    finish(problems, &order, declared)
}

/// How many bytes of prepared users are collected between two releases of memory to the
/// system. Measured on a plan of 100 000 users (11 files) that changes nothing: releasing
/// after every file cost `validate` a fifth of a second; releasing every 6 MB cost it
/// nothing measurable, and both lowered the plan's peak by 10 to 15 MiB.
const RELEASE_EVERY: usize = 6 << 20;

/// Sort the problems, split errors from warnings, and decide.
fn finish(
    mut problems: Vec<ConfigError>,
    order: &HashMap<String, usize>,
    mut declared: Declared,
) -> Result<Declared, ConfigErrors> {
    let position = |e: &ConfigError| match &e.origin {
        Some(origin) => (
            order
                .get(origin.file.path.as_ref())
                .copied()
                .unwrap_or(usize::MAX),
            origin.offset,
        ),
        None => (0, 0),
    };
    problems.sort_by_key(position);
    let (warnings, errors): (Vec<_>, Vec<_>) = problems
        .into_iter()
        .partition(|p| p.severity == Severity::Warning);
    if errors.is_empty() {
        declared.warnings = warnings;
        release_texts(&mut declared);
        Ok(declared)
    } else {
        Err(ConfigErrors { errors, warnings })
    }
}

/// Point the declared entries' origins at their files without the files' texts: past
/// validation an origin is only ever named (`path:line:column`), and a plan must not hold
/// a 50 MB configuration's text while it reads and compares (the warnings keep the
/// texts they show).
fn release_texts(declared: &mut Declared) {
    let mut named: HashMap<String, SourceFile> = HashMap::new();
    let mut release = |origin: &mut Origin| {
        let file = named
            .entry(origin.file.path.to_string())
            .or_insert_with(|| SourceFile::new(origin.file.path.clone(), ""));
        origin.file = file.clone();
    };
    for user in &mut declared.users {
        release(&mut user.origin);
    }
    for group in &mut declared.groups {
        release(&mut group.origin);
    }
}

/// A note that points at another place involved in a problem.
fn note(
    kind: ConfigErrorKind,
    message: impl Into<String>,
    origin: &Origin,
    label: &str,
) -> ConfigError {
    ConfigError::note(kind, message).at(origin, label)
}
