//! Executing a `Plan`: one SCIM request (or a few) per change, in dependency order, with
//! the ids of users created in this run used for their group memberships.
//!
//! `apply` decides only *how* (request shapes, order); *what* changes was decided by
//! `plan::diff`. It stops at the first failed change and reports exactly which changes
//! were applied and which were not, so a rerun of `plan` shows what remains.

mod member_patch;

pub use member_patch::{batches, remove_operations};

use std::collections::HashMap;
use std::fmt;
use std::io::Write;

use miette::Diagnostic;
use serde_json::{Map, Value, json};

use crate::plan::{Change, ENTERPRISE_USER, MemberRef, MemberType, Plan};
use crate::render::Style;
use crate::scim::{
    GROUP_SCHEMA, PatchOp, RemovalForm, ResourceKind, ScimClient, ScimError, USER_SCHEMA,
    string_attribute,
};
use member_patch::{MemberForms, has_removals, other, refuses_form, with_removal_form};

/// What an apply did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub created: usize,
    pub updated: usize,
    pub destroyed: usize,
}

/// An apply that stopped part-way.
#[derive(Debug)]
pub struct ApplyError {
    /// The change that failed (`group engineering`).
    pub failed: String,
    pub error: ApplyFailure,
    /// Changes that were carried out before the failure.
    pub applied: Vec<String>,
    /// Changes that were not attempted.
    pub not_attempted: Vec<String>,
}

/// Why a change failed.
#[derive(Debug)]
pub enum ApplyFailure {
    Request(ScimError),
    /// A member that should have been created earlier in this run has no id.
    UnresolvedMember(String),
    /// The server accepted a create but its answer gave no id and a lookup found none.
    NoId(String),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "apply stopped at {}: ", self.failed)?;
        match &self.error {
            ApplyFailure::Request(e) => write!(f, "{e}")?,
            ApplyFailure::UnresolvedMember(name) => {
                write!(
                    f,
                    "member {name} has no SCIM id (its creation did not report one)"
                )?;
            }
            ApplyFailure::NoId(what) => write!(f, "{what}")?,
        }
        write!(
            f,
            "\n  applied before the failure: {}",
            list_or_none(&self.applied)
        )?;
        write!(f, "\n  not applied: {}", {
            let mut rest = vec![self.failed.clone()];
            rest.extend(self.not_attempted.iter().cloned());
            rest.join(", ")
        })
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl std::error::Error for ApplyError {}

impl Diagnostic for ApplyError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("apply::failed"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let cause = match &self.error {
            ApplyFailure::Request(e) => e.help().map(|h| h.to_string()),
            _ => None,
        };
        let next = "then run `scimform plan` to see what remains: applied changes will not be planned again";
        Some(Box::new(match cause {
            Some(cause) => format!("{cause}; {next}"),
            None => format!("fix the cause above, {next}"),
        }))
    }
}

/// Carry out `plan` against `client`, writing one line per change to `progress`.
pub async fn apply(
    plan: &Plan,
    client: &ScimClient,
    progress: &mut dyn Write,
    style: Style,
) -> Result<Outcome, ApplyError> {
    let mut run = Run {
        client,
        created_ids: HashMap::new(),
        forms: MemberForms::new(client.profile().member_removal),
        notes: Vec::new(),
    };
    let mut outcome = Outcome::default();
    let mut applied = Vec::new();
    for (index, change) in plan.changes.iter().enumerate() {
        let result = execute(change, &mut run).await;
        for note in run.notes.drain(..) {
            let _ = writeln!(progress, "  note: {note}");
        }
        match result {
            Ok(line) => {
                let _ = writeln!(progress, "{}: {line}", style.bold(&change.address()));
                match change.kind() {
                    crate::plan::ChangeKind::Create => outcome.created += 1,
                    crate::plan::ChangeKind::Update => outcome.updated += 1,
                    crate::plan::ChangeKind::Destroy => outcome.destroyed += 1,
                }
                applied.push(change.address());
            }
            Err(error) => {
                let _ = writeln!(
                    progress,
                    "{}: {}",
                    style.bold(&change.address()),
                    style.destroy("failed")
                );
                return Err(ApplyError {
                    failed: change.address(),
                    error,
                    applied,
                    not_attempted: plan.changes[index + 1..]
                        .iter()
                        .map(Change::address)
                        .collect(),
                });
            }
        }
    }
    Ok(outcome)
}

/// What one apply run carries from change to change.
struct Run<'a> {
    client: &'a ScimClient,
    /// Ids of users and groups created in this run, by (type, lower-cased name).
    created_ids: HashMap<(MemberType, String), String>,
    forms: MemberForms,
    /// Things worth telling the user about the last change (printed after its line).
    notes: Vec<String>,
}

/// One change; returns the line that describes its result.
async fn execute(change: &Change, run: &mut Run<'_>) -> Result<String, ApplyFailure> {
    let client = run.client;
    let created_ids = &mut run.created_ids;
    match change {
        Change::CreateUser {
            user_name,
            attributes,
            manager,
        } => {
            let mut body = Map::new();
            let mut schemas = vec![Value::String(USER_SCHEMA.to_string())];
            schemas.extend(
                attributes
                    .keys()
                    .filter(|k| k.starts_with("urn:"))
                    .map(|k| Value::String(k.clone())),
            );
            body.insert("userName".into(), Value::String(user_name.clone()));
            for (key, value) in attributes {
                body.insert(key.clone(), value.clone());
            }
            if let Some(manager) = manager {
                let manager_id = resolve(std::slice::from_ref(manager), created_ids)?.remove(0);
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
            let created = client
                .create_unique(ResourceKind::User, &Value::Object(body), "userName")
                .await
                .map_err(ApplyFailure::Request)?;
            let id = match string_attribute(&created, "id") {
                Some(id) => id.to_string(),
                None => lookup_id(client, ResourceKind::User, "userName", user_name).await?,
            };
            created_ids.insert((MemberType::User, user_name.to_lowercase()), id.clone());
            Ok(format!("created (id {id})"))
        }
        Change::UpdateUser {
            id,
            attributes,
            manager,
            ..
        } => {
            let mut operations: Vec<PatchOp> = attributes
                .iter()
                .map(|a| PatchOp::replace(&a.path, a.new.clone()))
                .collect();
            if let Some(change) = manager {
                let manager_id = resolve(std::slice::from_ref(&change.new), created_ids)?.remove(0);
                operations.push(PatchOp::replace(
                    &format!("{ENTERPRISE_USER}:manager"),
                    json!({ "value": manager_id }),
                ));
            }
            client
                .patch(ResourceKind::User, id, &operations)
                .await
                .map_err(ApplyFailure::Request)?;
            let count = attributes.len() + usize::from(manager.is_some());
            Ok(format!("updated ({})", plural(count, "attribute")))
        }
        Change::CreateGroup {
            display_name,
            external_id,
            members,
        } => {
            let ids = resolve(members, created_ids)?;
            let id = create_group(run, display_name, external_id.as_deref(), &ids).await?;
            Ok(format!(
                "created with {} (id {id})",
                plural(members.len(), "member")
            ))
        }
        Change::UpdateGroup {
            id,
            display_name,
            attributes,
            add_members,
            remove_members,
        } => {
            let renamed = attributes.iter().any(|a| a.path == "displayName");
            if renamed && !client.profile().group_rename {
                let add = resolve(add_members, created_ids)?;
                return recreate_group(run, id, display_name, attributes, &add, remove_members)
                    .await;
            }
            let operations: Vec<PatchOp> = attributes
                .iter()
                .map(|a| PatchOp::replace(&a.path, a.new.clone()))
                .collect();
            let add = resolve(add_members, created_ids)?;
            let remove: Vec<String> = remove_members.iter().filter_map(|m| m.id.clone()).collect();
            for request in batches(
                client.profile(),
                operations,
                &add,
                &remove,
                run.forms.current(),
            ) {
                send_group_patch(run, id, request).await?;
            }
            let mut parts = Vec::new();
            if !attributes.is_empty() {
                parts.push(plural(attributes.len(), "attribute"));
            }
            if !add_members.is_empty() {
                parts.push(format!("+{}", plural(add_members.len(), "member")));
            }
            if !remove_members.is_empty() {
                parts.push(format!("-{}", plural(remove_members.len(), "member")));
            }
            Ok(format!("updated ({})", parts.join(", ")))
        }
    }
}

/// POST a group with as many members as one request may carry, then PATCH in the rest.
/// Records its id for the members and renames that come after it.
async fn create_group(
    run: &mut Run<'_>,
    display_name: &str,
    external_id: Option<&str>,
    ids: &[String],
) -> Result<String, ApplyFailure> {
    let client = run.client;
    let inline = ids
        .len()
        .min(client.profile().max_member_adds_per_patch as usize);
    let mut body = Map::new();
    body.insert("schemas".into(), json!([GROUP_SCHEMA]));
    body.insert("displayName".into(), json!(display_name));
    if let Some(external_id) = external_id {
        body.insert("externalId".into(), json!(external_id));
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
        .await
        .map_err(ApplyFailure::Request)?;
    let id = match string_attribute(&created, "id") {
        Some(id) => id.to_string(),
        None => lookup_id(client, ResourceKind::Group, "displayName", display_name).await?,
    };
    run.created_ids
        .insert((MemberType::Group, display_name.to_lowercase()), id.clone());
    let rest = batches(
        client.profile(),
        Vec::new(),
        &ids[inline..],
        &[],
        run.forms.current(),
    );
    for operations in rest {
        send_group_patch(run, &id, operations).await?;
    }
    Ok(id)
}

/// A rename where the provider cannot rename groups (Atlassian): create the group under
/// its new name with the members it should end up with, then delete the old one. The
/// group's id changes.
async fn recreate_group(
    run: &mut Run<'_>,
    old_id: &str,
    display_name: &str,
    attributes: &[crate::plan::AttributeChange],
    add: &[String],
    remove: &[MemberRef],
) -> Result<String, ApplyFailure> {
    let client = run.client;
    let current = client
        .get(ResourceKind::Group, old_id)
        .await
        .map_err(ApplyFailure::Request)?;
    let removed: std::collections::HashSet<&str> =
        remove.iter().filter_map(|m| m.id.as_deref()).collect();
    let mut members: Vec<String> = member_values(&current)
        .into_iter()
        .filter(|id| !removed.contains(id.as_str()))
        .collect();
    for id in add {
        if !members.contains(id) {
            members.push(id.clone());
        }
    }
    let external_id = attributes
        .iter()
        .find(|a| a.path == "externalId")
        .and_then(|a| a.new.as_str().map(str::to_string))
        .or_else(|| string_attribute(&current, "externalId").map(str::to_string));
    let new_id = create_group(run, display_name, external_id.as_deref(), &members).await?;
    client
        .delete(ResourceKind::Group, old_id)
        .await
        .map_err(ApplyFailure::Request)?;
    run.notes.push(format!(
        "{} cannot rename groups: created `{display_name}` (id {new_id}) with {} and deleted the old group (id {old_id})",
        client.profile().name,
        plural(members.len(), "member")
    ));
    Ok(format!("renamed by re-creating (new id {new_id})"))
}

/// One PATCH of a group's members. When the server refuses the removal form in use
/// (501, or 400 about the path, filter or value), the same request is sent once more in
/// the other form, and that form is kept for the rest of the run. The first time the
/// value-list form is used as a fallback, the group is read back to make sure the server
/// removed only the named members (RFC 7644 does not define that form; a server could
/// read it as "remove all").
async fn send_group_patch(
    run: &mut Run<'_>,
    group_id: &str,
    operations: Vec<PatchOp>,
) -> Result<(), ApplyFailure> {
    let client = run.client;
    let first = client
        .patch(ResourceKind::Group, group_id, &operations)
        .await;
    let error = match first {
        Ok(_) => return Ok(()),
        Err(error) => error,
    };
    if is_no_target(&error) && only_removals(&operations) {
        run.notes.push(format!(
            "a member to remove from group {group_id} was already gone (scimType noTarget)"
        ));
        return Ok(());
    }
    if !has_removals(&operations) || !refuses_form(&error) {
        return Err(ApplyFailure::Request(error));
    }
    let fallback = other(run.forms.current());
    let retried = with_removal_form(&operations, fallback);
    let expected_kept = if fallback == RemovalForm::ValueList && run.forms.needs_value_list_check()
    {
        Some(members_kept(client, group_id, &operations).await?)
    } else {
        None
    };
    match client.patch(ResourceKind::Group, group_id, &retried).await {
        Ok(_) => {
            run.forms.switch_to(fallback);
            run.notes.push(format!(
                "the server refused member removal as {}; switched to {} for the rest of this run",
                form_name(other(fallback)),
                form_name(fallback)
            ));
            if let Some(kept) = expected_kept {
                verify_kept(client, group_id, &kept).await?;
            }
            Ok(())
        }
        Err(_) => Err(ApplyFailure::Request(error)),
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
) -> Result<Vec<String>, ApplyFailure> {
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
            _ => Default::default(),
        };
    let group = client
        .get(ResourceKind::Group, group_id)
        .await
        .map_err(ApplyFailure::Request)?;
    Ok(member_values(&group)
        .into_iter()
        .filter(|id| !removed.contains(id))
        .collect())
}

async fn verify_kept(
    client: &ScimClient,
    group_id: &str,
    kept: &[String],
) -> Result<(), ApplyFailure> {
    let group = client
        .get(ResourceKind::Group, group_id)
        .await
        .map_err(ApplyFailure::Request)?;
    let now: std::collections::HashSet<String> = member_values(&group).into_iter().collect();
    let lost: Vec<&String> = kept.iter().filter(|id| !now.contains(*id)).collect();
    if lost.is_empty() {
        Ok(())
    } else {
        Err(ApplyFailure::NoId(format!(
            "the server removed {} member(s) of group {group_id} that were not named in the value-list removal; stopping. Set target.options.member_removal to filter_path for this server",
            lost.len()
        )))
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

/// SCIM ids for planned members: the live id, or the id of a user created in this run.
fn resolve(
    members: &[MemberRef],
    created_ids: &HashMap<(MemberType, String), String>,
) -> Result<Vec<String>, ApplyFailure> {
    members
        .iter()
        .map(|member| match (&member.id, &member.name) {
            (Some(id), _) => Ok(id.clone()),
            (None, Some(name)) => created_ids
                .get(&(member.r#type, name.to_lowercase()))
                .cloned()
                .ok_or_else(|| ApplyFailure::UnresolvedMember(name.clone())),
            (None, None) => Err(ApplyFailure::UnresolvedMember("(unnamed)".to_string())),
        })
        .collect()
}

/// The id of a resource the server just created but did not return.
async fn lookup_id(
    client: &ScimClient,
    kind: ResourceKind,
    attribute: &str,
    value: &str,
) -> Result<String, ApplyFailure> {
    let found = client
        .find_thoroughly(kind, attribute, value)
        .await
        .map_err(ApplyFailure::Request)?;
    found
        .iter()
        .find(|r| string_attribute(r, attribute).is_some_and(|v| v.eq_ignore_ascii_case(value)))
        .and_then(|r| string_attribute(r, "id"))
        .map(str::to_string)
        .ok_or_else(|| {
            ApplyFailure::NoId(format!(
                "the server accepted the {} but returned no id, and `{attribute} eq \"{value}\"` finds none",
                kind.noun()
            ))
        })
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
