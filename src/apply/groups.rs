//! Group changes as requests: create (with as many members as one request may carry,
//! the rest in `PATCHes`, and the members the server's answer shows it dropped added
//! again), update and rename (member `PATCHes` in the provider's form, with the removal-form
//! fallback; PUT where the server refuses PATCH), replace (create the new group with the
//! members the plan lists; the old one is deleted in a later step), delete.

use serde_json::{Map, Value, json};

use super::execute::{StepDone, put_whole, reason_phrase, refuses_patch, stale_or};
use super::failure::StepFailure;
use super::member_patch::{batches, has_removals, other, refuses_form, with_removal_form};
use super::put::Edits;
use super::state::RunState;
use crate::plan::{Change, MemberType};
use crate::scim::{
    GROUP_SCHEMA, PatchOp, RemovalForm, ResourceKind, ScimClient, ScimError, string_attribute,
};

/// POST a group with as many members as one request may carry, then PATCH in the rest
/// and whatever the answer shows was dropped. Registers its id. Sets `done.line` to what
/// the POST got.
pub(crate) async fn create_group(
    run: &RunState<'_>,
    change: &Change,
    ids: &[String],
    done: &mut StepDone,
) -> Result<String, StepFailure> {
    let client = run.client;
    let inline = ids
        .len()
        .min(client.profile().max_member_adds_per_patch as usize);
    let mut body = Map::new();
    body.insert("schemas".into(), json!([GROUP_SCHEMA]));
    body.insert("displayName".into(), json!(change.name));
    if let Some(external_id) = change.attribute("externalId") {
        body.insert("externalId".into(), external_id.new.to_value());
    }
    if inline > 0 {
        body.insert(
            "members".into(),
            Value::Array(
                ids[..inline]
                    .iter()
                    .map(|id| json!({ "value": id }))
                    .collect(),
            ),
        );
    }
    let created = client
        .create_unique(ResourceKind::Group, &Value::Object(body), "displayName")
        .await?;
    let id = match string_attribute(&created.resource, "id") {
        Some(id) => id.to_string(),
        None => {
            super::execute::lookup_id(client, ResourceKind::Group, "displayName", &change.name)
                .await?
        }
    };
    run.register(MemberType::Group, &change.name, &id);
    done.line = super::execute::created_line(&created);
    // The members the server's answer does not show were dropped: add them again. An
    // answer without `members` says nothing (a short representation); read the group
    // back, where no `members` means none (RFC 7643 §2.5 lets a server leave out an
    // empty multi-valued attribute).
    let mut rest: Vec<String> = ids[inline..].to_vec();
    if inline > 0 {
        let shown = match member_values(&created.resource) {
            Some(shown) => Some(shown),
            None => match client.get(ResourceKind::Group, &id).await {
                Ok(group) => Some(member_values(&group).unwrap_or_default()),
                Err(error) => {
                    done.notes.push(format!(
                        "could not read the new group back to check its members ({error}); run `scimform plan` to check"
                    ));
                    None
                }
            },
        };
        if let Some(shown) = shown {
            let dropped: Vec<String> = ids[..inline]
                .iter()
                .filter(|id| !shown.iter().any(|s| s == *id))
                .cloned()
                .collect();
            if !dropped.is_empty() {
                done.notes.push(format!(
                    "the server created the group without {} of the members sent with it; added them with PATCH",
                    dropped.len()
                ));
                rest.extend(dropped);
            }
        }
    }
    let requests = batches(
        client.profile(),
        Vec::new(),
        &rest,
        &[],
        run.forms.current(),
    );
    for operations in requests {
        send_group_patch(run, &id, operations, None, done).await?;
    }
    Ok(id)
}

/// Update or rename: attribute replaces and member changes in the provider's batches.
pub(crate) async fn patch_group(
    change: &Change,
    run: &RunState<'_>,
) -> Result<StepDone, StepFailure> {
    let id = change.id.as_deref().ok_or(StepFailure::NoLiveId)?;
    let add = run.resolve(&change.members.add)?;
    let remove: Vec<String> = change
        .members
        .remove
        .iter()
        .filter_map(|m| m.id.clone())
        .collect();
    let mut done = StepDone::default();
    if run.patch_refused(ResourceKind::Group) {
        return put_group(change, run, id, &add, &remove, done).await;
    }
    let operations: Vec<PatchOp> = change
        .attributes
        .iter()
        .map(|a| PatchOp::replace(&a.path, a.new.to_value()))
        .collect();
    let requests = batches(
        run.client.profile(),
        operations,
        &add,
        &remove,
        run.forms.current(),
    );
    // Only the first request can carry the ETag the plan saw: each write changes it.
    let mut etag = change.fingerprint.as_ref().and_then(|f| f.etag.as_deref());
    let mut statuses = Vec::new();
    for (i, request) in requests.into_iter().enumerate() {
        match send_group_patch(run, id, request, etag.take(), &mut done).await {
            Ok(status) => statuses.push(status),
            Err(StepFailure::Request(error)) if i == 0 && refuses_patch(&error) => {
                if run.refuse_patch(ResourceKind::Group) {
                    done.notes.push(format!(
                        "the server refused PATCH of groups (HTTP {}); sending whole groups with PUT for the rest of this run",
                        error.status().unwrap_or(0)
                    ));
                }
                return put_group(change, run, id, &add, &remove, done).await;
            }
            Err(StepFailure::Request(error)) => return Err(stale_or(error, change)),
            Err(other) => return Err(other),
        }
    }
    done.line = format!(
        "{}: {}",
        change.action.word(),
        describe_statuses("PATCH", &statuses)
    );
    Ok(done)
}

/// The PUT fallback for a group: read it, lay the changes over it, send it whole. A
/// server that does not show members on a read would lose them: refused.
async fn put_group(
    change: &Change,
    run: &RunState<'_>,
    id: &str,
    add: &[String],
    remove: &[String],
    mut done: StepDone,
) -> Result<StepDone, StepFailure> {
    let current = run.client.get(ResourceKind::Group, id).await?;
    let had_members = change
        .fingerprint
        .as_ref()
        .and_then(|f| f.members)
        .unwrap_or(0)
        > 0;
    if member_values(&current).is_none() && had_members {
        return Err(StepFailure::Unusable {
            what: format!("group {id}"),
            message: "the server refuses PATCH, and its read of the group shows no members: a PUT would remove them all".to_string(),
        });
    }
    done.line = put_whole(
        run,
        ResourceKind::Group,
        id,
        &current,
        &Edits {
            attributes: &change.attributes,
            manager: None,
            add,
            remove,
        },
        change,
    )
    .await?;
    Ok(done)
}

/// One PATCH of a group; its status. When the server refuses the removal form in use
/// (501, or 400 about the path, filter or value), the same request is sent once more in
/// the other form, and that form is kept for the rest of the run. The first time the
/// value-list form is used as a fallback, the group is read back to make sure the server
/// removed only the named members (RFC 7644 does not define that form; a server could
/// read it as "remove all").
pub(crate) async fn send_group_patch(
    run: &RunState<'_>,
    group_id: &str,
    operations: Vec<PatchOp>,
    etag: Option<&str>,
    done: &mut StepDone,
) -> Result<u16, StepFailure> {
    let client = run.client;
    let form = run.forms.current();
    let operations = with_removal_form(&operations, form);
    let error = match client
        .patch_if(ResourceKind::Group, group_id, &operations, etag)
        .await
    {
        Ok(answer) => return Ok(answer.status),
        Err(error) => error,
    };
    if is_no_target(&error) && only_removals(&operations) {
        done.notes.push(format!(
            "a member to remove from group {group_id} was already gone (scimType noTarget)"
        ));
        return Ok(error.status().unwrap_or(400));
    }
    if !has_removals(&operations) || !refuses_form(&error) {
        return Err(error.into());
    }
    let fallback = other(form);
    let retried = with_removal_form(&operations, fallback);
    let expected_kept = if fallback == RemovalForm::ValueList && run.forms.needs_value_list_check()
    {
        Some(members_kept(client, group_id, &operations).await?)
    } else {
        None
    };
    match client.patch(ResourceKind::Group, group_id, &retried).await {
        Ok(answer) => {
            run.forms.switch_to(fallback);
            done.notes.push(format!(
                "the server refused member removal as {}; switched to {} for the rest of this run",
                form_name(form),
                form_name(fallback)
            ));
            if let Some(kept) = expected_kept {
                verify_kept(client, group_id, &kept).await?;
            }
            Ok(answer.status)
        }
        Err(_) => Err(error.into()),
    }
}

fn form_name(form: RemovalForm) -> &'static str {
    match form {
        RemovalForm::FilterPath => "a filter path (members[value eq \"id\"])",
        RemovalForm::ValueList => "a value list",
    }
}

fn is_no_target(error: &ScimError) -> bool {
    error.scim_type() == Some("noTarget")
}

fn only_removals(operations: &[PatchOp]) -> bool {
    operations
        .iter()
        .all(|op| matches!(op, PatchOp::Remove { .. }))
}

/// The group's current members minus those `operations` remove.
async fn members_kept(
    client: &ScimClient,
    group_id: &str,
    operations: &[PatchOp],
) -> Result<Vec<String>, StepFailure> {
    let removed: std::collections::HashSet<String> =
        match with_removal_form(operations, RemovalForm::ValueList)
            .into_iter()
            .find(|op| matches!(op, PatchOp::Remove { path, .. } if path == "members"))
        {
            Some(PatchOp::Remove {
                value: Some(Value::Array(items)),
                ..
            }) => items
                .iter()
                .filter_map(|m| m.get("value").and_then(Value::as_str))
                .map(str::to_string)
                .collect(),
            _ => std::collections::HashSet::default(),
        };
    let group = client.get(ResourceKind::Group, group_id).await?;
    Ok(member_values(&group)
        .unwrap_or_default()
        .into_iter()
        .filter(|id| !removed.contains(id))
        .collect())
}

async fn verify_kept(
    client: &ScimClient,
    group_id: &str,
    kept: &[String],
) -> Result<(), StepFailure> {
    let group = client.get(ResourceKind::Group, group_id).await?;
    let now: std::collections::HashSet<String> = member_values(&group)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let lost = kept.iter().filter(|id| !now.contains(*id)).count();
    if lost == 0 {
        Ok(())
    } else {
        Err(StepFailure::ValueListRemovedOthers {
            group: group_id.to_string(),
            lost,
        })
    }
}

/// The member ids a group resource shows; `None` when it has no `members` key.
fn member_values(group: &Value) -> Option<Vec<String>> {
    let members = group
        .as_object()
        .and_then(|o| crate::scim::attribute(o, "members"))?;
    Some(
        members
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| string_attribute(m, "value"))
            .map(str::to_string)
            .collect(),
    )
}

/// `PATCH 200 OK`, or `2 PATCH requests: 200 OK, 204 No Content`.
fn describe_statuses(method: &str, statuses: &[u16]) -> String {
    match statuses {
        [] => "nothing to send".to_string(),
        [one] => format!("{method} {one} {}", reason_phrase(*one)),
        many => {
            let parts: Vec<String> = many
                .iter()
                .map(|s| format!("{s} {}", reason_phrase(*s)))
                .collect();
            format!("{} {method} requests: {}", many.len(), parts.join(", "))
        }
    }
}
