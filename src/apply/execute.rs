//! One step of an apply as SCIM requests: the request bodies for each action, the ids
//! of objects created earlier in the run, member `PATCHes` in the provider's form (with
//! the removal-form fallback), and a line that says what the server answered.
//!
//! What to send is read off the change; nothing here decides *what* changes.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::failure::StepFailure;
use super::member_patch::{
    MemberForms, batches, has_removals, other, refuses_form, with_removal_form,
};
use crate::plan::{Action, Change, ENTERPRISE_USER, MemberRef, MemberType, ResourceType};
use crate::scim::{
    GROUP_SCHEMA, PatchOp, RemovalForm, ResourceKind, ScimClient, ScimError, USER_SCHEMA,
    string_attribute,
};

/// What the steps of one run share.
pub(crate) struct RunState<'a> {
    pub(crate) client: &'a ScimClient,
    /// Ids of objects created in this run, by (type, lower-cased name).
    created: Mutex<HashMap<(MemberType, String), String>>,
    pub(crate) forms: MemberForms,
}

impl<'a> RunState<'a> {
    pub(crate) fn new(client: &'a ScimClient) -> RunState<'a> {
        RunState {
            client,
            created: Mutex::new(HashMap::new()),
            forms: MemberForms::new(client.profile().member_removal),
        }
    }

    fn register(&self, kind: MemberType, name: &str, id: &str) {
        self.created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((kind, name.to_lowercase()), id.to_string());
    }

    /// SCIM ids for planned members: the live id, or the id of an object created
    /// earlier in this run.
    fn resolve(&self, members: &[MemberRef]) -> Result<Vec<String>, StepFailure> {
        let created = self
            .created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        members
            .iter()
            .map(|member| match (&member.id, &member.name) {
                (Some(id), _) => Ok(id.clone()),
                (None, Some(name)) => created
                    .get(&(member.r#type, name.to_lowercase()))
                    .cloned()
                    .ok_or_else(|| StepFailure::Unresolved(name.clone())),
                (None, None) => Err(StepFailure::Unresolved("(unnamed)".to_string())),
            })
            .collect()
    }
}

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
        (ResourceType::User, Action::Create) => create_user(change, run).await,
        (ResourceType::User, Action::Delete) => delete(run, ResourceKind::User, change).await,
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

async fn create_user(change: &Change, run: &RunState<'_>) -> Result<StepDone, StepFailure> {
    let mut body = Map::new();
    let mut schemas = vec![Value::String(USER_SCHEMA.to_string())];
    body.insert("userName".into(), Value::String(change.name.clone()));
    for attribute in &change.attributes {
        if attribute.path.starts_with("urn:") {
            schemas.push(Value::String(attribute.path.clone()));
        }
        body.insert(attribute.path.clone(), attribute.new.clone());
    }
    if let Some(manager) = &change.manager {
        let manager_id = run.resolve(std::slice::from_ref(&manager.new))?.remove(0);
        let enterprise = body
            .entry(ENTERPRISE_USER.to_string())
            .or_insert_with(|| json!({}));
        if let Some(enterprise) = enterprise.as_object_mut() {
            enterprise.insert("manager".into(), json!({ "value": manager_id }));
        }
        if !schemas.iter().any(|s| s == ENTERPRISE_USER) {
            schemas.push(Value::String(ENTERPRISE_USER.to_string()));
        }
    }
    body.insert("schemas".into(), Value::Array(schemas));
    let created = run
        .client
        .create_unique(ResourceKind::User, &Value::Object(body), "userName")
        .await?;
    let id = match string_attribute(&created.resource, "id") {
        Some(id) => id.to_string(),
        None => lookup_id(run.client, ResourceKind::User, "userName", &change.name).await?,
    };
    run.register(MemberType::User, &change.name, &id);
    Ok(StepDone {
        line: format!("{} (id {id})", created_line(&created)),
        notes: Vec::new(),
    })
}

fn created_line(created: &crate::scim::Created) -> String {
    match created.status {
        Some(status) => format!("created: {status} {}", reason_phrase(status)),
        None => format!(
            "created by an earlier attempt: POST was sent {} times without a clear answer, and a lookup found it",
            created.attempts
        ),
    }
}

async fn patch_user(change: &Change, run: &RunState<'_>) -> Result<StepDone, StepFailure> {
    let id = change.id.as_deref().ok_or(StepFailure::NoLiveId)?;
    let mut operations: Vec<PatchOp> = change
        .attributes
        .iter()
        .map(|a| PatchOp::replace(&a.path, a.new.clone()))
        .collect();
    if let Some(manager) = &change.manager {
        let manager_id = run.resolve(std::slice::from_ref(&manager.new))?.remove(0);
        operations.push(PatchOp::replace(
            &format!("{ENTERPRISE_USER}:manager"),
            json!({ "value": manager_id }),
        ));
    }
    let answer = run
        .client
        .patch(ResourceKind::User, id, &operations)
        .await?;
    Ok(StepDone {
        line: format!(
            "{}: {} {}",
            change.action.word(),
            answer.status,
            reason_phrase(answer.status)
        ),
        notes: Vec::new(),
    })
}

async fn delete(
    run: &RunState<'_>,
    kind: ResourceKind,
    change: &Change,
) -> Result<StepDone, StepFailure> {
    let id = change.id.as_deref().ok_or(StepFailure::NoLiveId)?;
    let status = run.client.delete(kind, id).await?;
    Ok(StepDone {
        line: format!("deleted (id {id}): {status} {}", reason_phrase(status)),
        notes: Vec::new(),
    })
}

async fn patch_group(change: &Change, run: &RunState<'_>) -> Result<StepDone, StepFailure> {
    let id = change.id.as_deref().ok_or(StepFailure::NoLiveId)?;
    let operations: Vec<PatchOp> = change
        .attributes
        .iter()
        .map(|a| PatchOp::replace(&a.path, a.new.clone()))
        .collect();
    let add = run.resolve(&change.members.add)?;
    let remove: Vec<String> = change
        .members
        .remove
        .iter()
        .filter_map(|m| m.id.clone())
        .collect();
    let requests = batches(
        run.client.profile(),
        operations,
        &add,
        &remove,
        run.forms.current(),
    );
    let mut done = StepDone::default();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(send_group_patch(run, id, request, &mut done).await?);
    }
    done.line = format!(
        "{}: {}",
        change.action.word(),
        describe_statuses("PATCH", &statuses)
    );
    Ok(done)
}

/// POST a group with as many members as one request may carry, then PATCH in the rest.
/// Registers its id for the members and steps that come after it. Sets `done.line` to
/// what the POST got.
async fn create_group(
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
        body.insert("externalId".into(), external_id.new.clone());
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
        None => lookup_id(client, ResourceKind::Group, "displayName", &change.name).await?,
    };
    run.register(MemberType::Group, &change.name, &id);
    done.line = created_line(&created);
    let rest = batches(
        client.profile(),
        Vec::new(),
        &ids[inline..],
        &[],
        run.forms.current(),
    );
    for operations in rest {
        send_group_patch(run, &id, operations, done).await?;
    }
    Ok(id)
}

/// One PATCH of a group's members; its status. When the server refuses the removal form
/// in use (501, or 400 about the path, filter or value), the same request is sent once
/// more in the other form, and that form is kept for the rest of the run. The first time
/// the value-list form is used as a fallback, the group is read back to make sure the
/// server removed only the named members (RFC 7644 does not define that form; a server
/// could read it as "remove all").
async fn send_group_patch(
    run: &RunState<'_>,
    group_id: &str,
    operations: Vec<PatchOp>,
    done: &mut StepDone,
) -> Result<u16, StepFailure> {
    let client = run.client;
    let form = run.forms.current();
    let operations = with_removal_form(&operations, form);
    let error = match client
        .patch(ResourceKind::Group, group_id, &operations)
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
    let now: std::collections::HashSet<String> = member_values(&group).into_iter().collect();
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

fn member_values(group: &Value) -> Vec<String> {
    group
        .as_object()
        .and_then(|o| crate::scim::attribute(o, "members"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| string_attribute(m, "value"))
        .map(str::to_string)
        .collect()
}

/// The id of a resource the server just created but did not return.
async fn lookup_id(
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

/// The reason phrase of a status, for result lines.
fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
