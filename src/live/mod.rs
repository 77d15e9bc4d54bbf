//! Reading a whole directory into a `Live` snapshot — completely or not at all.
//!
//! Users and groups are listed at the same time with the profile's paging (`pager`), their
//! pages spread over the requests in flight in proportion (`turns`), each page parsed
//! straight into snapshot entries (`page`, which refuses ids that could not be request
//! paths and values that could not be read back); group members are read by the
//! profile's method, refined by what the server shows so that unknown members are never
//! taken for none (`members`); member ids that match no listed user or group are looked
//! up one by one, and only those proven absent may be removed (`dangling`).
//! Any failed request (after the client's retries), a `totalResults` that changes between
//! pages, an id seen twice, a short or empty page before the end, a member the lists
//! missed fails the whole read: a plan must never be built on a partial directory, since
//! what is missing from a read looks exactly like what should be deleted. This module
//! only reads.

mod dangling;
mod error;
mod id_hash;
pub(crate) use id_hash::{IdHashMap, IdHashSet, id_hash_map, id_hash_set};
pub(crate) mod json_view;
mod member_ids;
mod members;
mod page;
mod pager;
mod progress;
mod snapshot;
mod turns;
mod value_check;

pub use error::LiveReadError;
pub use member_ids::MemberIds;
pub use members::probe_member_read;
pub use page::{GroupReader, UserReader};
pub use pager::{ListRead, Listed, read_all};
pub use progress::{Progress, ReadProgress};
pub use snapshot::{Live, LiveGroup, LiveUser, ResourceJson};

use crate::scim::{MemberRead, ResourceKind, ScimClient};
use pager::read_all_sharing;
use turns::Turns;

/// Read every user and group of the directory, with their memberships.
pub async fn read(client: &ScimClient) -> Result<Live, LiveReadError> {
    read_with_progress(client, &Progress::none()).await
}

/// [`read`], telling `progress` after each page. Users and groups are listed at the
/// same time, sharing the client's concurrency in proportion to their pages (`Turns`);
/// either failing fails the read, and when both fail the users' error is the one
/// reported.
pub async fn read_with_progress(
    client: &ScimClient,
    progress: &Progress,
) -> Result<Live, LiveReadError> {
    let profile = client.profile();
    let user_query = if profile.exclude_user_groups {
        "excludedAttributes=groups"
    } else {
        ""
    };
    let group_query = match profile.member_read {
        MemberRead::InList => "",
        _ if profile.excluded_attributes_members => "excludedAttributes=members",
        _ => "",
    };
    let turns = Turns::new(profile.concurrency as usize);
    let list = |kind, extra| ListRead {
        client,
        kind,
        extra,
        progress,
    };
    let users = read_all_sharing(list(ResourceKind::User, user_query), UserReader, &turns);
    let groups = read_all_sharing(list(ResourceKind::Group, group_query), GroupReader, &turns);
    let (users, groups) = users_then_groups(users, groups).await?;
    let uncounted = [
        (users.counted, ResourceKind::User),
        (groups.counted, ResourceKind::Group),
    ];
    let mut live = Live {
        users: users.items,
        groups: groups.items,
        ..Live::default()
    };
    for (counted, kind) in uncounted {
        if !counted {
            live.notices.push(format!(
                "the {noun} list (cursor paging) gave no totalResults, so its completeness could not be checked against a total; member ids that match no listed user or group are looked up one by one before any is taken as gone",
                noun = kind.noun()
            ));
        }
    }
    members::complete(client, &mut live).await?;
    dangling::confirm(client, &mut live).await?;
    share_member_ids(&mut live);
    Ok(live)
}

/// Once the directory is read: each group's member ids shared with the users and groups
/// they name, a pointer a member instead of a copy of the id (16 instead of 44 bytes a
/// membership with UUID ids), on all cores.
///
/// What this frees goes back to the system as it goes: the pages' buffers before, the
/// packed ids after each run of groups that holds [`RELEASE_EVERY`] bytes of them, and
/// the set of known ids at the end.
/// Freed all at once they would stay resident until the end (a million memberships free
/// 44 MB), at the moment the configuration, loaded at the same time, is being
/// validated: the two peaks would add.
fn share_member_ids(live: &mut Live) {
    scimform_memory::release_free_memory();
    let mut known = id_hash::id_hash_set(live.users.len() + live.groups.len());
    known.extend(live.users.iter().map(|user| user.id.clone()));
    known.extend(live.groups.iter().map(|group| group.id.clone()));
    let mut rest = live.groups.as_mut_slice();
    while !rest.is_empty() {
        let mut bytes = 0;
        let run = rest
            .iter()
            .take_while(|group| {
                let more = bytes < RELEASE_EVERY;
                bytes += group.members.packed_bytes();
                more
            })
            .count();
        let (now, later) = rest.split_at_mut(run);
        crate::config::parallel::for_each_mut(now, |group| group.members.share(&known));
        scimform_memory::release_free_memory();
        rest = later;
    }
    // The set of known ids too.
    drop(known);
    scimform_memory::release_free_memory();
}

/// How many bytes of packed member ids are shared between two releases of memory to the
/// system (each release costs time in proportion to what it returns, so releasing
/// often costs little more than releasing once).
const RELEASE_EVERY: usize = 8 << 20;

/// Both reads, run at the same time, with the error a user sees fixed whichever request
/// happens to fail first: the users' error wins (and stops the group read); the groups'
/// error is reported once the users have been read.
async fn users_then_groups<U, G>(
    users: impl Future<Output = Result<U, LiveReadError>>,
    groups: impl Future<Output = Result<G, LiveReadError>>,
) -> Result<(U, G), LiveReadError> {
    tokio::pin!(users, groups);
    let mut groups_read = None;
    let users = loop {
        tokio::select! {
            read = &mut users => break read?,
            read = &mut groups, if groups_read.is_none() => groups_read = Some(read),
        }
    };
    let groups = match groups_read {
        Some(read) => read?,
        None => groups.await?,
    };
    Ok((users, groups))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn failed(reason: &str) -> LiveReadError {
        LiveReadError::Inconsistent {
            kind: ResourceKind::User,
            reason: reason.to_string(),
        }
    }

    async fn after<T>(ms: u64, result: Result<T, LiveReadError>) -> Result<T, LiveReadError> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        result
    }

    fn reason(result: Result<((), ()), LiveReadError>) -> String {
        match result {
            Err(LiveReadError::Inconsistent { reason, .. }) => reason,
            other => format!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_users_error_is_reported_whichever_fails_first() {
        let both = users_then_groups(
            after(50, Err(failed("users"))),
            after(1, Err(failed("groups"))),
        );
        assert_eq!(reason(both.await), "users");
        let groups_only = users_then_groups(after(50, Ok(())), after(1, Err(failed("groups"))));
        assert_eq!(reason(groups_only.await), "groups");
        let late_groups = users_then_groups(after(1, Ok(())), after(50, Err(failed("groups"))));
        assert_eq!(reason(late_groups.await), "groups");
        let fine = users_then_groups(after(5, Ok(1)), after(1, Ok(2)));
        assert!(matches!(fine.await, Ok((1, 2))));
    }
}
