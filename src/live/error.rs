//! Why a read did not produce a complete snapshot, and what the user should do.

use std::fmt;

use miette::Diagnostic;

use crate::scim::{ResourceKind, ScimError};

#[derive(Debug)]
pub enum LiveReadError {
    /// A request failed (after retries).
    Request(ScimError),
    /// The pages did not add up to one consistent list.
    Inconsistent { kind: ResourceKind, reason: String },
    /// Group members could not be read by any method the server supports; unknown
    /// members are never taken for none.
    MembersUnreadable { reason: String },
}

impl From<ScimError> for LiveReadError {
    fn from(error: ScimError) -> LiveReadError {
        LiveReadError::Request(error)
    }
}

impl fmt::Display for LiveReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveReadError::Request(e) => {
                write!(
                    f,
                    "reading the directory failed, so nothing was planned: {e}"
                )
            }
            LiveReadError::Inconsistent { kind, reason } => write!(
                f,
                "reading the directory's {}s gave an incomplete or inconsistent list, so nothing was planned: {reason}",
                kind.noun()
            ),
            LiveReadError::MembersUnreadable { reason } => write!(
                f,
                "reading the directory's group members failed, so nothing was planned: {reason}"
            ),
        }
    }
}

impl std::error::Error for LiveReadError {}

impl Diagnostic for LiveReadError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            LiveReadError::Request(e) => e.code(),
            LiveReadError::Inconsistent { .. } => Some(Box::new("live::incomplete_read")),
            LiveReadError::MembersUnreadable { .. } => Some(Box::new("live::members_unreadable")),
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            LiveReadError::Request(e) => e.help(),
            LiveReadError::Inconsistent { .. } => Some(Box::new(
                "run again (the directory may have changed while it was read); if it persists, the server's paging is unreliable: lower target.options.max_page_size or report it",
            )),
            LiveReadError::MembersUnreadable { .. } => Some(Box::new(
                "set target.profile to the provider's profile, or target.options.member_read to how this server shows members: in_list, get_by_id or filter_by_member",
            )),
        }
    }
}
