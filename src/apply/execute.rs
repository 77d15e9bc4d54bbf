//! One step of an apply: which requests a change becomes (users in `users`, groups in
//! `groups`), and what the steps share: the line that says what the server answered,
//! lookups of ids a create did not return, and how a refusal is read (a 412 means the
//! object changed since the plan; 501 or 405 to PATCH means "send it whole").
//!
//! What to send is read off the change; nothing here decides *what* changes.

use serde_json::Value;

use super::failure::StepFailure;
use super::groups::{create_group, patch_group};
use super::state::RunState;
use super::users::{create_user, delete_user, patch_user};
use crate::plan::{Action, Change, ResourceType};
use crate::scim::{Created, ResourceKind, ScimClient, ScimError, attribute, string_attribute};

/// What a step did: a line for the report, and things worth telling the user.
#[derive(Debug, Default)]
pub(crate) struct StepDone {
    pub(crate) line: String,
    pub(crate) notes: Vec<String>,
}

/// Carry out the main step of `change`.
pub(crate) async fn main_step(
    change: &Change,
    run: &RunState<'_>,
) -> Result<StepDone, StepFailure> {
    match (change.resource, change.action) {
        (ResourceType::User, Action::Create | Action::Link) => create_user(change, run).await,
        (ResourceType::User, Action::Delete) => delete_user(change, run).await,
        (ResourceType::User, _) => patch_user(change, run).await,
        (ResourceType::Group, Action::Create) => {
            let mut done = StepDone::default();
            let ids = run.resolve(&change.members.add)?;
            let id = create_group(run, change, &ids, &mut done).await?;
            done.line = format!("{} (id {id}, {})", done.line, plural(ids.len(), "member"));
            Ok(done)
        }
        (ResourceType::Group, Action::Replace) => {
            let mut done = StepDone::default();
            let mut members = run.resolve(&change.members.keep)?;
            members.extend(run.resolve(&change.members.add)?);
            let id = create_group(run, change, &members, &mut done).await?;
            done.line = format!(
                "new group {} (id {id}, {}); the old group is deleted once the groups that list it are updated",
                done.line,
                plural(members.len(), "member")
            );
            Ok(done)
        }
        (ResourceType::Group, Action::Delete) => delete(run, ResourceKind::Group, change).await,
        (ResourceType::Group, _) => patch_group(change, run).await,
    }
}

/// The second step of a replace: delete the old group.
pub(crate) async fn delete_replaced(
    change: &Change,
    run: &RunState<'_>,
) -> Result<StepDone, StepFailure> {
    let mut done = delete(run, ResourceKind::Group, change).await?;
    done.line = format!("old group {}", done.line);
    Ok(done)
}

/// DELETE, with `If-Match` on the version the plan saw (never for a replace's old
/// group: the plan saw it before its members moved).
pub(crate) async fn delete(
    run: &RunState<'_>,
    kind: ResourceKind,
    change: &Change,
) -> Result<StepDone, StepFailure> {
    let id = change.id.as_deref().ok_or(StepFailure::NoLiveId)?;
    let etag = if change.action == Action::Delete {
        change.fingerprint.as_ref().and_then(|f| f.etag.as_deref())
    } else {
        None
    };
    let status = run
        .client
        .delete_if(kind, id, etag)
        .await
        .map_err(|e| stale_or(e, change))?;
    Ok(StepDone {
        line: format!("deleted (id {id}): {status} {}", reason_phrase(status)),
        notes: Vec::new(),
    })
}

/// What a create's answer was, in words.
pub(crate) fn created_line(created: &Created) -> String {
    match created.status {
        Some(status) => format!("created: {status} {}", reason_phrase(status)),
        None => format!(
            "created by an earlier attempt: POST was sent {} times without a clear answer, and a lookup found it",
            created.attempts
        ),
    }
}

/// A 412 means the object changed since the plan (its `If-Match` failed).
pub(crate) fn stale_or(error: ScimError, change: &Change) -> StepFailure {
    if error.status() == Some(412) {
        StepFailure::Stale {
            address: change.address.clone(),
        }
    } else {
        StepFailure::Request(error)
    }
}

/// Whether a server refuses PATCH itself (not this PATCH's content).
pub(crate) fn refuses_patch(error: &ScimError) -> bool {
    matches!(error.status(), Some(501 | 405))
}

/// The PUT fallback's last step: `edits` laid over `current` (the resource as just read)
/// and sent whole, with `If-Match` on the version just read (else the plan's `ETag`); the
/// result line.
pub(crate) async fn put_whole(
    run: &RunState<'_>,
    kind: ResourceKind,
    id: &str,
    current: &Value,
    edits: &super::put::Edits<'_>,
    change: &Change,
) -> Result<String, StepFailure> {
    let body = super::put::replaced(current, edits).map_err(|message| StepFailure::Unusable {
        what: format!("{} {id}", kind.noun()),
        message,
    })?;
    let etag = change.fingerprint.as_ref().and_then(|f| f.etag.as_deref());
    let version = version_of(current);
    let answer = run
        .client
        .put(kind, id, &body, version.as_deref().or(etag))
        .await
        .map_err(|e| stale_or(e, change))?;
    Ok(format!(
        "{}: PUT {} {} (the server does not take PATCH)",
        change.action.word(),
        answer.status,
        reason_phrase(answer.status)
    ))
}

/// `meta.version` of a resource as read.
pub(crate) fn version_of(resource: &Value) -> Option<String> {
    resource
        .as_object()
        .and_then(|o| attribute(o, "meta"))
        .and_then(|m| string_attribute(m, "version"))
        .map(str::to_string)
}

/// The id of a resource the server just created but did not return.
pub(crate) async fn lookup_id(
    client: &ScimClient,
    kind: ResourceKind,
    attribute: &str,
    value: &str,
) -> Result<String, StepFailure> {
    let found = client.find_thoroughly(kind, attribute, value).await?;
    found
        .iter()
        .find(|r| string_attribute(r, attribute).is_some_and(|v| v.eq_ignore_ascii_case(value)))
        .and_then(|r| string_attribute(r, "id"))
        .map(str::to_string)
        .ok_or_else(|| StepFailure::CreatedWithoutId {
            noun: kind.noun(),
            attribute: attribute.to_string(),
            value: value.to_string(),
        })
}

/// The reason phrase of a status, for result lines.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
