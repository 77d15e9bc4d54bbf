//! Why one step of an apply failed, and what to do about it.

use std::fmt;

use crate::scim::ScimError;

/// Why a step failed.
#[derive(Debug)]
pub enum StepFailure {
    /// The server refused the request, or no answer came.
    Request(ScimError),
    /// A member (or manager) that should have been created earlier in this run has no id.
    Unresolved(String),
    /// The change names no live object (a plan file edited by hand).
    NoLiveId,
    /// The server accepted a create but gave no id, and a lookup finds none.
    CreatedWithoutId {
        noun: &'static str,
        attribute: String,
        value: String,
    },
    /// A value-list removal (a fallback) removed members it did not name.
    ValueListRemovedOthers { group: String, lost: usize },
    /// A replace created the new group, but the old one was not deleted because a group
    /// that had to take the new one in its place failed.
    SecondStepSkipped { because: String },
    /// The server answered 412: the object changed since the plan (its `If-Match`).
    Stale { address: String },
    /// A user create was answered 409 and the policy does not adopt existing accounts.
    ExistsNotAdopted { user: String, id: String },
    /// What the server sent cannot be used for this change.
    Unusable { what: String, message: String },
    /// A link created the SCIM user, but it is not linked to the account it was meant to
    /// link (Atlassian).
    NotLinked {
        user_id: String,
        expected: String,
        linked: Option<String>,
    },
}

impl From<ScimError> for StepFailure {
    fn from(error: ScimError) -> StepFailure {
        StepFailure::Request(error)
    }
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepFailure::Request(error) => write!(f, "{error}"),
            StepFailure::Unresolved(name) => write!(
                f,
                "{name} has no SCIM id: its creation earlier in this run did not report one"
            ),
            StepFailure::NoLiveId => f.write_str("the change names no live id"),
            StepFailure::CreatedWithoutId {
                noun,
                attribute,
                value,
            } => write!(
                f,
                "the server accepted the {noun} but returned no id, and `{attribute} eq \"{value}\"` finds none"
            ),
            StepFailure::ValueListRemovedOthers { group, lost } => write!(
                f,
                "the server removed {lost} member(s) of group {group} that the value-list removal did not name"
            ),
            StepFailure::SecondStepSkipped { because } => write!(
                f,
                "the new group was created, but the old one was kept because {because} failed"
            ),
            StepFailure::Stale { address } => write!(
                f,
                "{address} changed since the plan (the server answered 412 to If-Match); it was not written"
            ),
            StepFailure::ExistsNotAdopted { user, id } => write!(
                f,
                "a user `{user}` already exists (id {id}) although the read did not show it, and the policy does not adopt existing accounts"
            ),
            StepFailure::Unusable { what, message } => write!(f, "{what}: {message}"),
            StepFailure::NotLinked {
                user_id,
                expected,
                linked,
            } => match linked {
                Some(other) => write!(
                    f,
                    "SCIM user {user_id} was created but linked to account {other}, not to {expected}"
                ),
                None => write!(
                    f,
                    "SCIM user {user_id} was created but is not linked to account {expected} (the Atlassian extension is missing)"
                ),
            },
        }
    }
}

impl StepFailure {
    /// What the user can do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            StepFailure::Request(error) => {
                miette::Diagnostic::help(error).map(|h| h.to_string())
            }
            StepFailure::Unresolved(_) | StepFailure::CreatedWithoutId { .. } => Some(
                "run `scimform plan` again: the object may exist now and will then be matched"
                    .to_string(),
            ),
            StepFailure::NoLiveId => {
                Some("plan again: a plan file must come from `scimform plan --out`".to_string())
            }
            StepFailure::Stale { .. } => Some(
                "run `scimform plan` again: the new plan starts from the object as it is now".to_string(),
            ),
            StepFailure::ExistsNotAdopted { .. } => Some(
                "add email or externalId to policy.match_users_by to adopt such accounts, or remove the account from the directory, then plan again".to_string(),
            ),
            StepFailure::NotLinked { .. } => Some(
                "check the account in admin.atlassian.com (its email, whether it is managed); the SCIM user exists: run `scimform plan` to see what remains".to_string(),
            ),
            StepFailure::Unusable { .. } => Some(
                "check the server's answers (`-v`, the audit log); the change was not made".to_string(),
            ),
            StepFailure::SecondStepSkipped { .. } => Some(
                "fix the failure above and apply again; the old group stays until then".to_string(),
            ),
            StepFailure::ValueListRemovedOthers { .. } => Some(
                "set target.options.member_removal to filter_path for this server, then plan and apply again to restore the members".to_string(),
            ),
        }
    }

    /// The HTTP status and SCIM error type, when the server answered.
    pub fn status(&self) -> Option<(u16, Option<&str>)> {
        match self {
            StepFailure::Request(error) => error.status().map(|s| (s, error.scim_type())),
            _ => None,
        }
    }
}
