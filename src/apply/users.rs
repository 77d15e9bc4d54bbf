//! User changes as requests: create (safe to retry; a 409 adopts the existing account
//! when the policy allows; a follow-up PATCH when the server did not keep what was sent),
//! update / adopt / rename / (de|re)activate with PATCH (PUT where the server refuses
//! PATCH), delete.

use serde_json::{Map, Value, json};

use super::execute::{
    StepDone, delete, lookup_id, put_whole, reason_phrase, refuses_patch, stale_or,
};
use super::failure::StepFailure;
use super::put::Edits;
use super::state::RunState;
use crate::config::Attributes;
use crate::plan::{AttributeChange, Change, ENTERPRISE_USER, MemberType, attribute_changes};
use crate::scim::{PatchOp, ResourceKind, USER_SCHEMA, string_attribute};

pub(crate) async fn create_user(
    change: &Change,
    run: &RunState<'_>,
) -> Result<StepDone, StepFailure> {
    let mut declared = Map::new();
    for attribute in &change.attributes {
        declared.insert(attribute.path.clone(), attribute.new.to_value());
    }
    let mut body = Map::new();
    let mut schemas = vec![Value::String(USER_SCHEMA.to_string())];
    body.insert("userName".into(), Value::String(change.name.clone()));
    for (path, value) in &declared {
        if path.starts_with("urn:") {
            schemas.push(Value::String(path.clone()));
        }
        body.insert(path.clone(), value.clone());
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
    let created = match run
        .client
        .create_unique(ResourceKind::User, &Value::Object(body), "userName")
        .await
    {
        Ok(created) => created,
        Err(error) if error.status() == Some(409) => {
            return adopt_after_conflict(change, &declared, run, error).await;
        }
        Err(error) => return Err(error.into()),
    };
    let id = match string_attribute(&created.resource, "id") {
        Some(id) => id.to_string(),
        None => lookup_id(run.client, ResourceKind::User, "userName", &change.name).await?,
    };
    run.register(MemberType::User, &change.name, &id);
    let mut done = StepDone {
        line: format!("{} (id {id})", super::execute::created_line(&created)),
        notes: Vec::new(),
    };
    if let Some(expected) = &change.linked_account {
        check_link(run, &id, &created.resource, &expected.account_id, &mut done).await?;
    }
    // Trust the answer, not the request: an attribute the answer shows with another
    // value than the one sent is sent again, once. (An attribute the answer leaves out
    // says nothing: many servers answer with a short representation.)
    if created.resource.is_object() {
        let differs: Vec<AttributeChange> =
            attribute_changes(&Attributes::from_map(&declared), &created.resource)
                .into_iter()
                .filter(|a| a.old.is_some())
                .collect();
        if !differs.is_empty() {
            follow_up(run, &id, &differs, &mut done).await?;
        }
    }
    Ok(done)
}

/// After a link: the new SCIM user must carry the account it was meant to link (the
/// Atlassian extension), in the answer or, when the answer lacks it, on a read.
async fn check_link(
    run: &RunState<'_>,
    id: &str,
    answer: &Value,
    expected: &str,
    done: &mut StepDone,
) -> Result<(), StepFailure> {
    let mut linked = crate::atlassian::linked_account_of(answer).map(str::to_string);
    if linked.is_none() {
        let user = run.client.get(ResourceKind::User, id).await?;
        linked = crate::atlassian::linked_account_of(&user).map(str::to_string);
    }
    match linked {
        Some(account) if account == expected => {
            done.line.push_str("; linked to account ");
            done.line.push_str(&account);
            Ok(())
        }
        other => Err(StepFailure::NotLinked {
            user_id: id.to_string(),
            expected: expected.to_string(),
            linked: other,
        }),
    }
}

/// A follow-up PATCH of what a create's answer shows the server did not keep.
async fn follow_up(
    run: &RunState<'_>,
    id: &str,
    missing: &[AttributeChange],
    done: &mut StepDone,
) -> Result<(), StepFailure> {
    let names: Vec<&str> = missing.iter().map(|a| a.path.as_str()).collect();
    let operations: Vec<PatchOp> = missing
        .iter()
        .map(|a| PatchOp::replace(&a.path, a.new.to_value()))
        .collect();
    let answer = run
        .client
        .patch(ResourceKind::User, id, &operations)
        .await?;
    done.notes.push(format!(
        "the server's answer did not show the {} sent; sent again with PATCH ({} {})",
        names.join(", "),
        answer.status,
        reason_phrase(answer.status)
    ));
    Ok(())
}

/// A user create answered 409: the userName exists outside what was read (created
/// since, or an account the read does not show). Adopt it when the policy adopts
/// existing accounts: give it the declared attributes; otherwise report.
async fn adopt_after_conflict(
    change: &Change,
    declared: &Map<String, Value>,
    run: &RunState<'_>,
    conflict: crate::scim::ScimError,
) -> Result<StepDone, StepFailure> {
    let found = run
        .client
        .find_thoroughly(ResourceKind::User, "userName", &change.name)
        .await?;
    let Some(existing) = found.first() else {
        return Err(conflict.into());
    };
    let id = string_attribute(existing, "id")
        .unwrap_or_default()
        .to_string();
    if !run.adopt_existing {
        return Err(StepFailure::ExistsNotAdopted {
            user: change.name.clone(),
            id,
        });
    }
    run.register(MemberType::User, &change.name, &id);
    let mut done = StepDone {
        line: format!("adopted the existing account (id {id}) after the create was answered 409"),
        notes: Vec::new(),
    };
    let differs = attribute_changes(&Attributes::from_map(declared), existing);
    if !differs.is_empty() {
        follow_up(run, &id, &differs, &mut done).await?;
    }
    Ok(done)
}

/// Update, adopt, rename, deactivate, reactivate: one PATCH (or GET + PUT).
pub(crate) async fn patch_user(
    change: &Change,
    run: &RunState<'_>,
) -> Result<StepDone, StepFailure> {
    let id = change.id.as_deref().ok_or(StepFailure::NoLiveId)?;
    let manager = match &change.manager {
        Some(manager) => Some(run.resolve(std::slice::from_ref(&manager.new))?.remove(0)),
        None => None,
    };
    let etag = change.fingerprint.as_ref().and_then(|f| f.etag.as_deref());
    let mut done = StepDone::default();
    if !run.patch_refused(ResourceKind::User) {
        let mut operations: Vec<PatchOp> = change
            .attributes
            .iter()
            .map(|a| PatchOp::replace(&a.path, a.new.to_value()))
            .collect();
        if let Some(manager) = &manager {
            operations.push(PatchOp::replace(
                &format!("{ENTERPRISE_USER}:manager"),
                json!({ "value": manager }),
            ));
        }
        match run
            .client
            .patch_if(ResourceKind::User, id, &operations, etag)
            .await
        {
            Ok(answer) => {
                done.line = format!(
                    "{}: PATCH {} {}",
                    change.action.word(),
                    answer.status,
                    reason_phrase(answer.status)
                );
                return Ok(done);
            }
            Err(error) if refuses_patch(&error) => {
                if run.refuse_patch(ResourceKind::User) {
                    done.notes.push(format!(
                        "the server refused PATCH of users (HTTP {}); sending whole users with PUT for the rest of this run",
                        error.status().unwrap_or(0)
                    ));
                }
            }
            Err(error) => return Err(stale_or(error, change)),
        }
    }
    let current = run.client.get(ResourceKind::User, id).await?;
    done.line = put_whole(
        run,
        ResourceKind::User,
        id,
        &current,
        &Edits {
            attributes: &change.attributes,
            manager: manager.as_deref(),
            add: &[],
            remove: &[],
        },
        change,
    )
    .await?;
    Ok(done)
}

pub(crate) async fn delete_user(
    change: &Change,
    run: &RunState<'_>,
) -> Result<StepDone, StepFailure> {
    delete(run, ResourceKind::User, change).await
}
