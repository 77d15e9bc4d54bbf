//! Reading a whole directory into a `Live` snapshot — completely or not at all.
//!
//! Users and groups are listed at the same time with the profile's paging (`pager`), each
//! page parsed straight into snapshot entries (`page`); group members are read by the
//! profile's method (`members`), and the result is checked for consistency.
//! Any failed request (after the client's retries), a `totalResults` that changes between
//! pages, an id seen twice, a short or empty page before the end fails the whole read: a
//! plan must never be built on a partial directory, since what is missing from a read
//! looks exactly like what should be deleted. This module only reads.

mod error;
mod id_hash;
mod member_ids;
mod members;
mod page;
mod pager;
mod progress;
mod snapshot;

pub use error::LiveReadError;
pub use member_ids::MemberIds;
pub use pager::{Listed, read_all};
pub use progress::{Progress, ReadProgress};
pub use snapshot::{Live, LiveGroup, LiveUser, ResourceJson};

use crate::scim::{MemberRead, ResourceKind, ScimClient};
use page::{GroupReader, UserReader};

/// Read every user and group of the directory, with their memberships.
pub async fn read(client: &ScimClient) -> Result<Live, LiveReadError> {
    read_with_progress(client, &Progress::none()).await
}

/// [`read`], telling `progress` after each page. Users and groups are listed at the
/// same time (the client bounds the requests in flight); either failing fails the read.
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
    let (users, groups) = tokio::try_join!(
        read_all(client, ResourceKind::User, user_query, progress, UserReader),
        read_all(
            client,
            ResourceKind::Group,
            group_query,
            progress,
            GroupReader
        ),
    )?;
    let mut live = Live { users, groups };
    match profile.member_read {
        MemberRead::InList => {}
        MemberRead::GetById => members::read_by_group(client, &mut live).await?,
        MemberRead::FilterByMember => members::read_by_member_filter(client, &mut live).await?,
    }
    Ok(live)
}
