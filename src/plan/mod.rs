//! Planning: matching declared resources to live ones, the pure `diff`, the safety
//! guards, and the `Plan` it produces — the typed changes that renderers show and
//! `apply` executes, with the fingerprints that let apply refuse a stale plan.
//!
//! Nothing in this module performs I/O; given the same declared state, live snapshot and
//! context it returns the same plan.

mod atlassian;
mod change;
mod compare;
mod diff;
mod file;
mod fingerprint;
mod guards;
mod matching;
mod members;
mod model;
mod order;
mod scope;
mod stale;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

pub use change::{
    Action, AttributeChange, Change, Fingerprint, LinkedAccount, ManagerChange, MatchedBy,
    MemberChanges, MemberRef, MemberType, ResourceType,
};
pub use compare::attribute_changes;
pub use diff::{ENTERPRISE_USER, PlanContext, delete_effect, diff};
pub use file::{MAX_PLAN_FILE_BYTES, PlanFileError, PlanFileErrorKind, json_schema};
pub use fingerprint::{group_fingerprint, user_fingerprint};
pub use guards::{DEFAULT_MAX_DESTROY_COUNT, DEFAULT_MAX_DESTROY_PERCENT};
pub use matching::{MatchError, PlanErrors, declared_primary_email as primary_email};
pub use model::{
    AtlassianReport, Capabilities, DestroyBudget, GuardKind, GuardTrip, Guards, Note, NoteKind,
    PLAN_FORMAT_VERSION, Plan, PlanPolicy, PlanTarget, Scope, Summary, Unmanaged, UnmanagedObject,
    UnsyncedAccount,
};
pub use scope::{Selector, SelectorError, check as check_scope};
pub use stale::{Stale, stale_changes};
