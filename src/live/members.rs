//! Group members for providers whose group lists do not carry them: one `GET` per group,
//! or one member filter per user (`GET /Groups?filter=members eq "USER_ID"`), concurrently.
//!
//! A filter the server ignores would make every user look like a member of every group,
//! so before relying on it one filter for an id that cannot exist must come back empty.

use std::collections::HashMap;

use tokio::task::JoinSet;

use serde_json::Value;

use super::error::LiveReadError;
use super::member_ids::MemberIds;
use super::pager::{ListRead, read_all};
use super::snapshot::Live;
use crate::scim::{
    ResourceKind, ScimClient, ScimId, SlimResource, attribute, encode_query, quote,
    string_attribute,
};

/// `GET /Groups/{id}` for every group.
pub(super) async fn read_by_group(
    client: &ScimClient,
    live: &mut Live,
) -> Result<(), LiveReadError> {
    let mut reads = JoinSet::new();
    for (index, group) in live.groups.iter().enumerate() {
        let client = client.clone();
        let id = group.id.clone();
        reads.spawn(async move { (index, client.get(ResourceKind::Group, &id).await) });
    }
    while let Some(joined) = reads.join_next().await {
        let (index, resource) = joined.map_err(|e| interrupted(&e))?;
        let resource = resource?;
        live.groups[index].members = MemberIds::new(&member_ids(&resource));
        live.groups[index].members_listed = true;
    }
    Ok(())
}

/// For every user, the groups a member filter finds.
pub(super) async fn read_by_member_filter(
    client: &ScimClient,
    live: &mut Live,
) -> Result<(), LiveReadError> {
    let probe_filter = member_filter("scimform-probe-no-such-id");
    let probe = read_all(
        ListRead::new(client, ResourceKind::Group, &probe_filter),
        SlimResource,
    )
    .await?;
    if !probe.is_empty() {
        return Err(LiveReadError::Inconsistent {
            kind: ResourceKind::Group,
            reason: "the server ignores `members eq` filters (a filter for an id that does not exist returned groups), so group memberships cannot be read".to_string(),
        });
    }
    let index: HashMap<ScimId, usize> = live
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.clone(), i))
        .collect();
    let mut reads = JoinSet::new();
    for user in &live.users {
        let client = client.clone();
        let user_id = user.id.clone();
        reads.spawn(async move {
            let filter = member_filter(&user_id);
            let groups = read_all(
                ListRead::new(&client, ResourceKind::Group, &filter),
                SlimResource,
            )
            .await;
            (user_id, groups)
        });
    }
    let mut memberships: Vec<(usize, ScimId)> = Vec::new();
    while let Some(joined) = reads.join_next().await {
        let (user_id, groups) = joined.map_err(|e| interrupted(&e))?;
        for group in groups? {
            let Some(group_id) = string_attribute(&group, "id") else {
                continue;
            };
            let Some(&at) = index.get(group_id) else {
                return Err(LiveReadError::Inconsistent {
                    kind: ResourceKind::Group,
                    reason: format!(
                        "group {group_id} appeared in a member filter but not in the group list (it changed while it was read)"
                    ),
                });
            };
            memberships.push((at, user_id.clone()));
        }
    }
    memberships.sort();
    let mut by_group: Vec<Vec<ScimId>> = vec![Vec::new(); live.groups.len()];
    for (at, user_id) in memberships {
        by_group[at].push(user_id);
    }
    for (group, members) in live.groups.iter_mut().zip(by_group) {
        group.members = MemberIds::new(&members);
        group.members_listed = true;
    }
    Ok(())
}

/// `members[].value` of a group resource, leniently (a member may also be a bare id).
fn member_ids(group: &Value) -> Vec<&str> {
    group
        .as_object()
        .and_then(|o| attribute(o, "members"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().or_else(|| string_attribute(m, "value")))
        .collect()
}

fn member_filter(user_id: &str) -> String {
    format!(
        "filter={}&excludedAttributes=members",
        encode_query(&format!("members eq {}", quote(user_id)))
    )
}

fn interrupted(error: &tokio::task::JoinError) -> LiveReadError {
    LiveReadError::Inconsistent {
        kind: ResourceKind::Group,
        reason: format!("a member read was interrupted: {error}"),
    }
}
