//! What the steps of one apply share: the client, the ids of objects created so far, and
//! what the run has learned about the server (the member-removal form it takes, whether
//! it refuses PATCH so that whole resources are sent with PUT instead).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::failure::StepFailure;
use super::member_patch::MemberForms;
use crate::config::fold_name;
use crate::plan::{MemberRef, MemberType, Plan};
use crate::scim::{ResourceKind, ScimClient};

/// The shared state of one run.
pub(crate) struct RunState<'a> {
    pub(crate) client: &'a ScimClient,
    /// Ids of objects created in this run, by (type, lower-cased name).
    created: Mutex<HashMap<(MemberType, String), String>>,
    pub(crate) forms: MemberForms,
    /// The server answered PATCH of users / groups with 501 or 405: use PUT.
    patch_refused: [AtomicBool; 2],
    /// A user create answered 409 may adopt the existing account (the plan's policy).
    pub(crate) adopt_existing: bool,
}

impl<'a> RunState<'a> {
    pub(crate) fn new(client: &'a ScimClient, plan: &Plan) -> RunState<'a> {
        RunState {
            client,
            created: Mutex::new(HashMap::new()),
            forms: MemberForms::new(client.profile().member_removal),
            patch_refused: [AtomicBool::new(false), AtomicBool::new(false)],
            adopt_existing: plan.policy.adopt_existing,
        }
    }

    pub(crate) fn register(&self, kind: MemberType, name: &str, id: &str) {
        self.created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((kind, fold_name(name).into_owned()), id.to_string());
    }

    /// SCIM ids for planned members: the live id, or the id of an object created
    /// earlier in this run.
    pub(crate) fn resolve(&self, members: &[MemberRef]) -> Result<Vec<String>, StepFailure> {
        let created = self
            .created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        members
            .iter()
            .map(|member| match (&member.id, &member.name) {
                (Some(id), _) => Ok(id.clone()),
                (None, Some(name)) => created
                    .get(&(member.r#type, fold_name(name).into_owned()))
                    .cloned()
                    .ok_or_else(|| StepFailure::Unresolved(name.to_string())),
                (None, None) => Err(StepFailure::Unresolved("(unnamed)".to_string())),
            })
            .collect()
    }

    fn slot(kind: ResourceKind) -> usize {
        usize::from(kind == ResourceKind::Group)
    }

    /// Whether PATCH of this kind was refused earlier in the run.
    pub(crate) fn patch_refused(&self, kind: ResourceKind) -> bool {
        self.patch_refused[Self::slot(kind)].load(Ordering::Relaxed)
    }

    /// Remember that the server refuses PATCH of this kind; true the first time.
    pub(crate) fn refuse_patch(&self, kind: ResourceKind) -> bool {
        !self.patch_refused[Self::slot(kind)].swap(true, Ordering::Relaxed)
    }
}
