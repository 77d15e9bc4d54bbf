//! Planning: matching declared resources to live ones, the pure `diff`, and the `Plan` it
//! produces (the typed changes that renderers show and `apply` executes).
//!
//! Nothing in this module performs I/O; given the same declared state and live snapshot
//! it returns the same plan.

mod compare;
mod diff;
mod model;
mod order;

#[cfg(test)]
mod tests;

pub use compare::attribute_changes;
pub use diff::{ENTERPRISE_USER, diff};
pub use model::{
    AttributeChange, Change, ChangeKind, ManagerChange, MemberRef, MemberType, PLAN_FORMAT_VERSION,
    Plan, Summary, Unmanaged,
};
