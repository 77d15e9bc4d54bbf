//! Member ids that match no listed user or group, proven absent before any plan may
//! remove them.
//!
//! A group that lists a member id no list returned holds either a dangling reference
//! (some servers keep one after a user is deleted) or a user that the list read missed —
//! a cursor list without `totalResults` that ends early cannot be told from a complete
//! one. Removing the member in the second case would take a person out of a group on a
//! misread. So each such id is looked up by itself: `GET /Users/{id}`, then
//! `GET /Groups/{id}`. Both answering 404 (or 410) proves it absent, and only then is it
//! recorded in `Live::absent_member_ids`; an answer of 200 proves the list incomplete
//! and fails the read; a 400 (the server calls the id malformed) leaves it unconfirmed,
//! as does an id that cannot be a path segment at all (it is never sent). More than
//! [`MAX_UNMATCHED`] such ids is itself a sign of a bad read and fails it. The look-ups
//! run concurrently under the client's bound on requests in flight.

use std::collections::HashMap;
use std::hash::BuildHasher;

use rustc_hash::FxSeededState;
use tokio::task::JoinSet;

use super::error::LiveReadError;
use super::id_hash::{IdHashSet, id_hash_set, id_hash_state};
use super::snapshot::{Live, LiveGroup};
use crate::scim::{ResourceKind, ScimClient, ScimError, ScimId};

/// More member ids than this matching nothing fails the read: a directory does not
/// collect that many dangling references, a list that lost users does.
pub(super) const MAX_UNMATCHED: usize = 1000;

/// The member ids of `live`'s groups that match no user or group id — neither exactly
/// nor in another case (the plan resolves an id in another case to its object) — each
/// with the index of the first group that lists it, in the order groups list them.
///
/// A large directory has a million member references, so the ids are compared by a
/// seeded 64-bit hash (one probe of a compact table, no string to fetch), and the groups
/// are scanned on up to four threads: about 0.02 s for a million. Two different ids with
/// the same hash would make a dangling id look matched, which errs on the safe side — it
/// is then never proven absent, so it stays.
pub(super) fn unmatched(live: &Live) -> Vec<(ScimId, usize)> {
    let state = id_hash_state();
    let mut hashes: IdHashSet<u64> = id_hash_set(live.users.len() + live.groups.len());
    hashes.extend(live.users.iter().map(|u| state.hash_one(u.id.as_str())));
    hashes.extend(live.groups.iter().map(|g| state.hash_one(g.id.as_str())));
    let references: usize = live.groups.iter().map(|g| g.members.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    let misses: Vec<(&str, usize)> = if threads == 1 || references < 100_000 {
        misses(&hashes, &state, 0, &live.groups)
    } else {
        let size = live.groups.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let scans: Vec<_> = live
                .groups
                .chunks(size)
                .enumerate()
                .map(|(i, chunk)| {
                    let (hashes, state) = (&hashes, &state);
                    scope.spawn(move || misses(hashes, state, i * size, chunk))
                })
                .collect();
            scans
                .into_iter()
                .flat_map(|scan| scan.join().unwrap_or_default())
                .collect()
        })
    };
    // Rare from here on: ids in another case, dangling ones.
    let mut folded: Option<IdHashSet<String>> = None;
    let mut found: IdHashSet<&str> = id_hash_set(0);
    let mut unmatched = Vec::new();
    for (member, index) in misses {
        if found.contains(member) {
            continue;
        }
        let folded = folded.get_or_insert_with(|| {
            let mut set = id_hash_set(hashes.len());
            set.extend(live.users.iter().map(|u| u.id.to_lowercase()));
            set.extend(live.groups.iter().map(|g| g.id.to_lowercase()));
            set
        });
        if folded.contains(&member.to_lowercase()) {
            continue;
        }
        found.insert(member);
        unmatched.push((ScimId::new(member), index));
    }
    unmatched
}

/// The members of `groups` (the first at index `from`) whose hash no listed id has.
fn misses<'a>(
    hashes: &IdHashSet<u64>,
    state: &FxSeededState,
    from: usize,
    groups: &'a [LiveGroup],
) -> Vec<(&'a str, usize)> {
    let mut misses = Vec::new();
    for (offset, group) in groups.iter().enumerate() {
        for member in &group.members {
            if !hashes.contains(&state.hash_one(member)) {
                misses.push((member, from + offset));
            }
        }
    }
    misses
}

/// What the look-ups found for one id.
enum Lookup {
    Absent,
    /// The server calls the id malformed (400), or it cannot be sent: not proven.
    Unconfirmed,
    /// The server has it: the list of this kind missed it.
    Found(ResourceKind),
}

/// Look up every unmatched member id; record the ones proven absent in
/// `live.absent_member_ids`, or fail the read.
pub(super) async fn confirm(client: &ScimClient, live: &mut Live) -> Result<(), LiveReadError> {
    let unmatched = unmatched(live);
    if unmatched.is_empty() {
        return Ok(());
    }
    if unmatched.len() > MAX_UNMATCHED {
        return Err(LiveReadError::Inconsistent {
            kind: ResourceKind::User,
            reason: format!(
                "{} member ids of groups match no user or group the lists returned (more than {MAX_UNMATCHED}): the lists are not trustworthy, so no member is taken as gone",
                unmatched.len()
            ),
        });
    }
    let mut lookups = JoinSet::new();
    let group_of: HashMap<ScimId, usize> = unmatched.iter().cloned().collect();
    for (id, _) in unmatched {
        if ScimId::path_problem(&id).is_some() {
            continue;
        }
        let client = client.clone();
        lookups.spawn(async move {
            let found = look_up(&client, &id).await;
            (id, found)
        });
    }
    while let Some(joined) = lookups.join_next().await {
        let (id, found) = joined.map_err(|e| LiveReadError::Inconsistent {
            kind: ResourceKind::User,
            reason: format!("a member look-up was interrupted: {e}"),
        })?;
        match found? {
            Lookup::Absent => {
                live.absent_member_ids.insert(id);
            }
            Lookup::Unconfirmed => {}
            Lookup::Found(kind) => {
                lookups.abort_all();
                let group = group_of
                    .get(&id)
                    .and_then(|&index| live.groups.get(index))
                    .map_or("", |g| g.display_name.as_str());
                return Err(LiveReadError::Inconsistent {
                    kind,
                    reason: format!(
                        "the {noun} list is incomplete: group {group:?} lists member {id:?}, which the {noun} list did not return, but GET {endpoint}/{id} finds it; no member is removed on such a read",
                        noun = kind.noun(),
                        endpoint = kind.endpoint(),
                    ),
                });
            }
        }
    }
    Ok(())
}

/// `GET /Users/{id}`, then `GET /Groups/{id}`.
async fn look_up(client: &ScimClient, id: &str) -> Result<Lookup, LiveReadError> {
    for kind in [ResourceKind::User, ResourceKind::Group] {
        match client.get(kind, id).await {
            Ok(_) => return Ok(Lookup::Found(kind)),
            Err(error) if gone(&error) => {}
            Err(error) if error.status() == Some(400) => return Ok(Lookup::Unconfirmed),
            Err(error) => return Err(LiveReadError::Request(error)),
        }
    }
    Ok(Lookup::Absent)
}

fn gone(error: &ScimError) -> bool {
    matches!(error.status(), Some(404 | 410))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unmatched_ids_are_those_no_list_returned_in_any_case() {
        let live = Live::from_resources_with_absent(
            vec![
                json!({"id": "u1", "userName": "a"}),
                json!({"id": "U2", "userName": "b"}),
            ],
            vec![
                json!({"id": "g1", "displayName": "eng",
                       "members": ["u1", "u2", "gone", "g2", "gone"]}),
                json!({"id": "g2", "displayName": "ops", "members": ["also-gone", "gone"]}),
            ],
            &[],
        )
        .expect("live");
        assert_eq!(
            unmatched(&live),
            vec![(ScimId::new("gone"), 0), (ScimId::new("also-gone"), 1)]
        );
    }
}
