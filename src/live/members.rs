//! Group members, read so that they are known for every group — or the read fails.
//!
//! The profile says how a provider shows members: in the group list, in
//! `GET /Groups/{id}`, or only through a member filter per user
//! (`GET /Groups?filter=members eq "USER_ID"`). A wrong profile (or `auto` picking
//! `generic` for a server whose lists omit members, as Entra, AWS IAM Identity Center and
//! Databricks do) must not turn unknown members into no members: every plan would re-add
//! all of them and hide every removal. So what the server actually sent decides:
//!
//! - A group listed without a `members` key is read again. When other groups of the list
//!   carried `members`, the server does list them and a group without the key is read
//!   with `GET /Groups/{id}`.
//! - `GET /Groups/{id}` without `members` means no members when the server is seen to
//!   show members in that answer for some group: RFC 7643 §2.5 lets a server leave out an
//!   attribute that has no value, and an empty multi-valued attribute is "unassigned".
//! - When no group carries `members`, neither in the list nor in the first few
//!   `GET /Groups/{id}`, "all empty" cannot be told from "never shown": members are read
//!   with the member filter, once a probe shows the server honours it; if it does not,
//!   the rest of the groups are read by id, and if none of them shows members either,
//!   the read fails ([`LiveReadError::MembersUnreadable`]). A profile that reads members
//!   by GET (`get_by_id`) is trusted in that last case: every group is empty.
//!
//! Servers that list members (the profile's `in_list`) cost no request more. A filter the
//! server ignores would make every user look like a member of every group, so before
//! relying on it, one filter for an id that cannot exist must come back empty.
//! [`probe_member_read`] makes the same decision from the first page of groups, for
//! `profile: auto`.

use std::collections::HashMap;

use serde_json::Value;
use tokio::task::JoinSet;

use super::error::LiveReadError;
use super::member_ids::MemberIds;
use super::page::GroupReader;
use super::pager::{ListRead, read_all};
use super::snapshot::{Live, LiveGroup};
use crate::scim::{
    ListPage, MemberRead, Paging, ResourceKind, ScimClient, ScimId, SlimResource, attribute,
    encode_query, quote,
};

/// How many groups are read by id to see whether the server shows members there, when
/// no group list carried them.
const SAMPLE: usize = 3;

/// Make every group's members known, by the profile's method, refined by what the
/// server shows (see the module documentation). Adds a notice to `live` when the
/// method was refined.
pub(super) async fn complete(client: &ScimClient, live: &mut Live) -> Result<(), LiveReadError> {
    let profile = client.profile();
    match profile.member_read {
        MemberRead::FilterByMember => {
            if !filter_honoured(client).await? {
                return Err(LiveReadError::MembersUnreadable {
                    reason: format!(
                        "the server ignores `members eq` filters (a filter for an id that does not exist returned groups, or was refused), so group memberships cannot be read as profile {} reads them",
                        profile.name
                    ),
                });
            }
            read_by_member_filter(client, live).await
        }
        MemberRead::GetById => {
            let all: Vec<usize> = (0..live.groups.len()).collect();
            if live.groups.is_empty() || read_by_group(client, live, &all).await? > 0 {
                return Ok(());
            }
            if !filter_honoured(client).await? {
                // Nothing else to ask: the profile says GET shows members, and RFC 7643
                // §2.5 lets it leave out an empty list. (A profile chosen by name for
                // a server that never shows members and ignores filters would plan
                // adds, never removals.)
                live.notices.push(format!(
                    "GET /Groups/{{id}} showed no `members` for any of the {} groups and the server does not honour member filters; as profile {} reads members by GET, every group is taken as empty",
                    live.groups.len(),
                    profile.name
                ));
                return Ok(());
            }
            read_by_member_filter(client, live).await?;
            live.notices.push(format!(
                "GET /Groups/{{id}} showed no `members` for any of the {} groups, which profile {} expects; group members were read with a member filter per user (`members eq`) instead, as profiles aws-identity-center and entra do",
                live.groups.len(),
                profile.name
            ));
            Ok(())
        }
        MemberRead::InList => refine_in_list(client, live).await,
    }
}

/// The profile expects members in the group list: read the groups that came without.
async fn refine_in_list(client: &ScimClient, live: &mut Live) -> Result<(), LiveReadError> {
    let missing: Vec<usize> = (0..live.groups.len())
        .filter(|&i| !live.groups[i].members_listed)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if missing.len() < live.groups.len() {
        // The server lists members: these groups left the key out (no members, RFC 7643
        // §2.5, or too many to list); their own GET settles it.
        read_by_group(client, live, &missing).await?;
        live.notices.push(format!(
            "{} came without `members` in the group list while others had them; they were read with GET /Groups/{{id}}",
            ResourceKind::Group.counted(missing.len() as u64)
        ));
        return Ok(());
    }
    let (sample, rest) = missing.split_at(missing.len().min(SAMPLE));
    let by_id = format!(
        "the group list carries no `members`, which profile {} expects; group members were read with GET /Groups/{{id}} instead, as profile databricks does",
        client.profile().name
    );
    if read_by_group(client, live, sample).await? > 0 {
        read_by_group(client, live, rest).await?;
        live.notices.push(by_id);
        return Ok(());
    }
    if filter_honoured(client).await? {
        read_by_member_filter(client, live).await?;
        live.notices.push(format!(
            "neither the group list nor GET /Groups/{{id}} carries `members`, which profile {} expects in the list; group members were read with a member filter per user (`members eq`) instead, as profiles aws-identity-center and entra do",
            client.profile().name
        ));
        return Ok(());
    }
    if read_by_group(client, live, rest).await? > 0 {
        live.notices.push(by_id);
        return Ok(());
    }
    Err(unreadable(live.groups.len()))
}

fn unreadable(groups: usize) -> LiveReadError {
    LiveReadError::MembersUnreadable {
        reason: format!(
            "none of the {} carries `members`, in the group list or in GET /Groups/{{id}}, and the server does not honour `members eq` filters: group memberships cannot be read, and unknown members are not taken for none",
            ResourceKind::Group.counted(groups as u64)
        ),
    }
}

/// `GET /Groups/{id}` for the groups at `indexes`: their members, known from now on (a
/// GET without `members` gives none). Returns how many answers carried `members`.
async fn read_by_group(
    client: &ScimClient,
    live: &mut Live,
    indexes: &[usize],
) -> Result<usize, LiveReadError> {
    let mut reads = JoinSet::new();
    for &index in indexes {
        let client = client.clone();
        let id = live.groups[index].id.clone();
        reads.spawn(async move { (index, client.get(ResourceKind::Group, &id).await) });
    }
    let mut shown = 0;
    while let Some(joined) = reads.join_next().await {
        let (index, resource) = joined.map_err(|e| interrupted(&e))?;
        let resource = resource?;
        let group = &mut live.groups[index];
        check_same_group(group, &resource)?;
        let members = member_ids(&resource);
        if members.is_some() {
            shown += 1;
        }
        group.members = MemberIds::new(&members.unwrap_or_default());
        group.members_listed = true;
    }
    Ok(shown)
}

/// A `GET /Groups/{id}` must answer with that group: another id is an error, not that
/// group's members.
fn check_same_group(group: &LiveGroup, resource: &Value) -> Result<(), LiveReadError> {
    let answered = resource
        .as_object()
        .and_then(|o| attribute(o, "id"))
        .and_then(id_text);
    if answered.as_deref() == Some(group.id.as_str()) {
        return Ok(());
    }
    Err(LiveReadError::Inconsistent {
        kind: ResourceKind::Group,
        reason: format!(
            "GET /Groups/{} answered with {}, not that group",
            group.id,
            answered.map_or_else(
                || "no id".to_string(),
                |id| format!("the group {:?}", cut(&id))
            ),
        ),
    })
}

/// Whether the server honours a member filter: one for an id that cannot exist must
/// come back empty (a refusal, 400 or 501, is "no" too).
async fn filter_honoured(client: &ScimClient) -> Result<bool, LiveReadError> {
    let probe_filter = member_filter("scimform-probe-no-such-id");
    let probe = read_all(
        ListRead::new(client, ResourceKind::Group, &probe_filter),
        SlimResource,
    )
    .await;
    match probe {
        Ok(groups) => Ok(groups.is_empty()),
        Err(LiveReadError::Request(error)) if matches!(error.status(), Some(400 | 501)) => {
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// For every user, the groups a member filter finds (the filter is known to work).
async fn read_by_member_filter(client: &ScimClient, live: &mut Live) -> Result<(), LiveReadError> {
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
            let group_id = group
                .as_object()
                .and_then(|o| attribute(o, "id"))
                .and_then(id_text);
            let Some(&at) = group_id.as_deref().and_then(|id| index.get(id)) else {
                return Err(LiveReadError::Inconsistent {
                    kind: ResourceKind::Group,
                    reason: format!(
                        "group {} appeared in a member filter but not in the group list (it changed while it was read)",
                        group_id.map_or_else(
                            || "without an id".to_string(),
                            |id| format!("{:?}", cut(&id))
                        )
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

/// `members[].value` of a group resource, leniently (a member may also be a bare id, and
/// an id may be a number), or `None` when the resource has no `members` key at all (a
/// `null` counts as present and empty, as in a list).
fn member_ids(group: &Value) -> Option<Vec<String>> {
    let object = group.as_object()?;
    let (_, members) = object.get_key_value("members").or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("members"))
    })?;
    Some(
        members
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                id_text(m).or_else(|| {
                    m.as_object()
                        .and_then(|o| attribute(o, "value"))
                        .and_then(id_text)
                })
            })
            .collect(),
    )
}

/// An id as text: a string, or a number written as one (as the page reader reads ids).
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Server text cut to 80 characters for a message (shown with `{:?}`, so escaped).
fn cut(text: &str) -> String {
    text.chars().take(80).collect()
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

/// For `profile: auto`: how this server shows group members, judged from the first page
/// of groups, as [`complete`] would judge the whole list. `None` when the page lists
/// members (or has no group, or nothing tells): the profile's method stands. Otherwise
/// the method to use and a sentence saying why. At most 2 + [`SAMPLE`] requests.
pub async fn probe_member_read(
    client: &ScimClient,
) -> Result<Option<(MemberRead, String)>, LiveReadError> {
    let size = u64::from(client.profile().max_page_size);
    let page: ListPage<LiveGroup> = match client.profile().paging {
        Paging::Index => {
            client
                .list_page_with(ResourceKind::Group, 1, size, "", &GroupReader)
                .await?
        }
        Paging::Cursor => {
            client
                .list_cursor_page_with(ResourceKind::Group, None, size, "", &GroupReader)
                .await?
        }
    };
    if page.resources.is_empty() || page.resources.iter().any(|g| g.members_listed) {
        return Ok(None);
    }
    let mut reads = JoinSet::new();
    for group in page.resources.iter().take(SAMPLE) {
        let client = client.clone();
        let id = group.id.clone();
        reads.spawn(async move { client.get(ResourceKind::Group, &id).await });
    }
    let mut shown = false;
    while let Some(joined) = reads.join_next().await {
        let resource = joined.map_err(|e| interrupted(&e))??;
        shown |= member_ids(&resource).is_some();
    }
    if shown {
        return Ok(Some((
            MemberRead::GetById,
            "the group list carries no `members` but GET /Groups/{id} does: members are read per group (as profile databricks does)".to_string(),
        )));
    }
    if filter_honoured(client).await? {
        return Ok(Some((
            MemberRead::FilterByMember,
            "neither the group list nor GET /Groups/{id} carries `members`: members are read with a member filter per user, `members eq` (as profiles aws-identity-center and entra do)".to_string(),
        )));
    }
    Ok(None)
}
