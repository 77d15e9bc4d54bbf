//! Executing a `Plan`: one SCIM request (or a few) per change, in dependency order, with
//! the ids of users created in this run used for their group memberships.
//!
//! `apply` decides only *how* (request shapes, order); *what* changes was decided by
//! `plan::diff`. It stops at the first failed change and reports exactly which changes
//! were applied and which were not, so a rerun of `plan` shows what remains.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;

use miette::Diagnostic;
use serde_json::{Map, Value, json};

use crate::plan::{Change, MemberRef, MemberType, Plan};
use crate::render::Style;
use crate::scim::string_attribute;
use crate::scim::{GROUP_SCHEMA, PatchOp, ResourceKind, ScimClient, ScimError, USER_SCHEMA};

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
    let mut created_ids: HashMap<(MemberType, String), String> = HashMap::new();
    let mut outcome = Outcome::default();
    let mut applied = Vec::new();
    for (index, change) in plan.changes.iter().enumerate() {
        match execute(change, client, &mut created_ids).await {
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

/// One change; returns the line that describes its result.
async fn execute(
    change: &Change,
    client: &ScimClient,
    created_ids: &mut HashMap<(MemberType, String), String>,
) -> Result<String, ApplyFailure> {
    match change {
        Change::CreateUser {
            user_name,
            attributes,
        } => {
            let mut body = Map::new();
            body.insert("schemas".into(), json!([USER_SCHEMA]));
            body.insert("userName".into(), Value::String(user_name.clone()));
            for (key, value) in attributes {
                body.insert(key.clone(), value.clone());
            }
            let created = client
                .create(ResourceKind::User, &Value::Object(body))
                .await
                .map_err(ApplyFailure::Request)?;
            let id = match string_attribute(&created, "id") {
                Some(id) => id.to_string(),
                None => lookup_id(client, ResourceKind::User, "userName", user_name).await?,
            };
            created_ids.insert((MemberType::User, user_name.to_lowercase()), id.clone());
            Ok(format!("created (id {id})"))
        }
        Change::UpdateUser { id, attributes, .. } => {
            let operations: Vec<PatchOp> = attributes
                .iter()
                .map(|a| PatchOp::replace(&a.path, a.new.clone()))
                .collect();
            client
                .patch(ResourceKind::User, id, &operations)
                .await
                .map_err(ApplyFailure::Request)?;
            Ok(format!(
                "updated ({})",
                plural(attributes.len(), "attribute")
            ))
        }
        Change::CreateGroup {
            display_name,
            external_id,
            members,
        } => {
            let ids = resolve(members, created_ids)?;
            let mut body = Map::new();
            body.insert("schemas".into(), json!([GROUP_SCHEMA]));
            body.insert("displayName".into(), Value::String(display_name.clone()));
            if let Some(external_id) = external_id {
                body.insert("externalId".into(), Value::String(external_id.clone()));
            }
            if !ids.is_empty() {
                body.insert(
                    "members".into(),
                    Value::Array(ids.iter().map(|id| json!({ "value": id })).collect()),
                );
            }
            let created = client
                .create(ResourceKind::Group, &Value::Object(body))
                .await
                .map_err(ApplyFailure::Request)?;
            let id = match string_attribute(&created, "id") {
                Some(id) => id.to_string(),
                None => lookup_id(client, ResourceKind::Group, "displayName", display_name).await?,
            };
            Ok(format!(
                "created with {} (id {id})",
                plural(members.len(), "member")
            ))
        }
        Change::UpdateGroup {
            id,
            attributes,
            add_members,
            remove_members,
            ..
        } => {
            let mut operations: Vec<PatchOp> = attributes
                .iter()
                .map(|a| PatchOp::replace(&a.path, a.new.clone()))
                .collect();
            let add = resolve(add_members, created_ids)?;
            if !add.is_empty() {
                operations.push(PatchOp::add_members(add.iter().map(String::as_str)));
            }
            for member in remove_members {
                if let Some(member_id) = &member.id {
                    operations.push(PatchOp::remove_member(member_id));
                }
            }
            client
                .patch(ResourceKind::Group, id, &operations)
                .await
                .map_err(ApplyFailure::Request)?;
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
        .find(kind, attribute, value)
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
