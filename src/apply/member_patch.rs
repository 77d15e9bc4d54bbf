//! Group member changes as the PATCH requests a provider accepts: chunked to its caps,
//! removals in its form and, where it wants them, in requests of their own; and the
//! removal form learned at run time when a server refuses the one the profile named.
//!
//! `batches` is pure (what to send); `MemberForms` remembers, for the rest of the run,
//! which removal form the server took. Sending is the caller's.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::scim::{PatchOp, Profile, RemovalForm, ScimError, ScimErrorKind};

/// The PATCH requests (each a list of operations) for one group update: attribute
/// replaces, members to add and member ids to remove.
pub fn batches(
    profile: &Profile,
    attributes: Vec<PatchOp>,
    add: &[String],
    remove: &[String],
    form: RemovalForm,
) -> Vec<Vec<PatchOp>> {
    let max_add = profile.max_member_adds_per_patch.max(1) as usize;
    let max_remove = profile.max_member_removes_per_patch.max(1) as usize;
    let fits_one = !profile.separate_removes && add.len() <= max_add && remove.len() <= max_remove;
    if fits_one {
        let mut operations = attributes;
        if !add.is_empty() {
            operations.push(add_operation(add));
        }
        operations.extend(remove_operations(remove, form));
        return if operations.is_empty() {
            Vec::new()
        } else {
            vec![operations]
        };
    }
    let mut requests: Vec<Vec<PatchOp>> = Vec::new();
    let mut first = Some(attributes).filter(|a| !a.is_empty());
    for chunk in add.chunks(max_add) {
        let mut operations = first.take().unwrap_or_default();
        operations.push(add_operation(chunk));
        requests.push(operations);
    }
    if let Some(attributes) = first {
        requests.push(attributes);
    }
    for chunk in remove.chunks(max_remove) {
        requests.push(remove_operations(chunk, form));
    }
    requests
}

fn add_operation(ids: &[String]) -> PatchOp {
    PatchOp::add_members(ids.iter().map(String::as_str))
}

/// Operations that remove `ids` in `form`.
pub fn remove_operations(ids: &[String], form: RemovalForm) -> Vec<PatchOp> {
    if ids.is_empty() {
        return Vec::new();
    }
    match form {
        RemovalForm::FilterPath => ids.iter().map(|id| PatchOp::remove_member(id)).collect(),
        RemovalForm::ValueList => vec![PatchOp::Remove {
            path: "members".to_string(),
            value: Some(Value::Array(
                ids.iter().map(|id| json!({ "value": id })).collect(),
            )),
        }],
    }
}

/// Whether a request carries member removals (in either form).
pub(super) fn has_removals(operations: &[PatchOp]) -> bool {
    operations.iter().any(|op| {
        matches!(op, PatchOp::Remove { path, .. } if path == "members" || path.starts_with("members["))
    })
}

/// The same request with its member removals rewritten in `form`.
pub(super) fn with_removal_form(operations: &[PatchOp], form: RemovalForm) -> Vec<PatchOp> {
    let mut ids = Vec::new();
    let mut rewritten = Vec::new();
    for op in operations {
        match op {
            PatchOp::Remove { path, value } if path == "members" => {
                ids.extend(
                    value
                        .iter()
                        .filter_map(Value::as_array)
                        .flatten()
                        .filter_map(|m| m.get("value").and_then(Value::as_str))
                        .map(str::to_string),
                );
            }
            PatchOp::Remove { path, .. } if path.starts_with("members[") => {
                if let Some(id) = filter_path_id(path) {
                    ids.push(id);
                }
            }
            other => rewritten.push(other.clone()),
        }
    }
    rewritten.extend(remove_operations(&ids, form));
    rewritten
}

/// The id in `members[value eq "ID"]`.
fn filter_path_id(path: &str) -> Option<String> {
    let literal = path.strip_prefix("members[value eq ")?.strip_suffix(']')?;
    serde_json::from_str::<String>(literal).ok()
}

/// Whether a server's refusal says it does not take this removal form (as opposed to a
/// problem with the data).
pub(super) fn refuses_form(error: &ScimError) -> bool {
    match &error.kind {
        ScimErrorKind::Status { status: 501, .. } => true,
        ScimErrorKind::Status {
            status: 400,
            scim_type,
            ..
        } => matches!(
            scim_type.as_deref(),
            None | Some("invalidPath" | "invalidFilter" | "invalidValue" | "invalidSyntax")
        ),
        _ => false,
    }
}

/// The removal form in use for this run: the profile's, until a server refuses it.
#[derive(Debug)]
pub(super) struct MemberForms {
    current: Mutex<RemovalForm>,
    /// Set once the value-list form has been adopted as a fallback and checked.
    value_list_checked: Mutex<bool>,
}

impl MemberForms {
    pub(super) fn new(form: RemovalForm) -> MemberForms {
        MemberForms {
            current: Mutex::new(form),
            value_list_checked: Mutex::new(form == RemovalForm::ValueList),
        }
    }

    pub(super) fn current(&self) -> RemovalForm {
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn switch_to(&self, form: RemovalForm) {
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = form;
    }

    /// True the first time a value-list fallback needs its result checked.
    pub(super) fn needs_value_list_check(&self) -> bool {
        let mut checked = self
            .value_list_checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !std::mem::replace(&mut *checked, true)
    }
}

/// The other removal form.
pub(super) fn other(form: RemovalForm) -> RemovalForm {
    match form {
        RemovalForm::FilterPath => RemovalForm::ValueList,
        RemovalForm::ValueList => RemovalForm::FilterPath,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::patch_body;

    fn ids(n: usize, prefix: &str) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    #[test]
    fn small_changes_go_in_one_request() {
        let requests = batches(
            &Profile::generic(),
            vec![PatchOp::replace("displayName", json!("ops"))],
            &ids(2, "a"),
            &ids(1, "r"),
            RemovalForm::FilterPath,
        );
        assert_eq!(requests.len(), 1);
        assert_eq!(
            patch_body(&requests[0])["Operations"],
            json!([
                {"op": "replace", "path": "displayName", "value": "ops"},
                {"op": "add", "path": "members", "value": [{"value": "a0"}, {"value": "a1"}]},
                {"op": "remove", "path": "members[value eq \"r0\"]"}
            ])
        );
    }

    #[test]
    fn entra_caps_and_separates() {
        let entra = Profile::builtin("entra").expect("entra");
        let requests = batches(
            &entra,
            vec![],
            &ids(45, "a"),
            &ids(2, "r"),
            RemovalForm::FilterPath,
        );
        // 45 adds at 20 a request, then 2 removes at 1 a request.
        let sizes: Vec<usize> = requests
            .iter()
            .map(|r| match &r[0] {
                PatchOp::Add { value, .. } => value.as_array().map_or(0, Vec::len),
                PatchOp::Remove { .. } => r.len(),
                PatchOp::Replace { .. } => 0,
            })
            .collect();
        assert_eq!(sizes, vec![20, 20, 5, 1, 1]);
        assert!(
            requests[3..]
                .iter()
                .all(|r| has_removals(r) && r.len() == 1)
        );
    }

    #[test]
    fn value_list_form_and_rewriting() {
        let ops = remove_operations(&ids(2, "r"), RemovalForm::ValueList);
        assert_eq!(
            patch_body(&ops)["Operations"],
            json!([{"op": "remove", "path": "members", "value": [{"value": "r0"}, {"value": "r1"}]}])
        );
        let back = with_removal_form(&ops, RemovalForm::FilterPath);
        assert_eq!(
            back,
            remove_operations(&ids(2, "r"), RemovalForm::FilterPath)
        );
        let quoted = with_removal_form(
            &[PatchOp::remove_member(r#"we"ird"#)],
            RemovalForm::ValueList,
        );
        assert_eq!(
            patch_body(&quoted)["Operations"][0]["value"][0]["value"],
            json!(r#"we"ird"#)
        );
    }

    #[test]
    fn attributes_alone_when_only_removals_are_chunked() {
        let mut profile = Profile::generic();
        profile.separate_removes = true;
        let requests = batches(
            &profile,
            vec![PatchOp::replace("externalId", json!("x"))],
            &[],
            &ids(1, "r"),
            RemovalForm::FilterPath,
        );
        assert_eq!(requests.len(), 2);
        assert!(!has_removals(&requests[0]));
        assert!(has_removals(&requests[1]));
    }
}
