//! Reading a whole directory into a `Live` snapshot — completely or not at all.
//!
//! Users and groups are listed page by page with startIndex/count, advancing by the number
//! of items received, until `totalResults` is reached. A total that changes between pages,
//! an id seen twice, an empty page before the end or any failed request fails the whole
//! read: a plan must never be built on a partial directory, since what is missing from a
//! read looks exactly like what should be deleted. This module only reads.

use std::collections::HashSet;
use std::fmt;

use miette::Diagnostic;
use serde_json::Value;

use crate::scim::{ResourceKind, ScimClient, ScimError, attribute, string_attribute};

/// The page size asked for.
pub const PAGE_SIZE: u64 = 100;

/// A user as the directory has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveUser {
    pub id: String,
    pub user_name: String,
    /// The whole resource as read, for comparing declared attributes.
    pub resource: Value,
}

/// A group as the directory has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveGroup {
    pub id: String,
    pub display_name: String,
    /// Member ids (`members[].value`), as the server lists them.
    pub members: Vec<String>,
    pub resource: Value,
}

/// The complete directory at the moment it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub users: Vec<LiveUser>,
    pub groups: Vec<LiveGroup>,
}

impl Live {
    /// Build a snapshot from resources (as a server returns them), checking each has an
    /// id and a name. Used by the reader and by tests.
    pub fn from_resources(users: Vec<Value>, groups: Vec<Value>) -> Result<Live, String> {
        let users = users
            .into_iter()
            .map(|resource| {
                let id = string_attribute(&resource, "id")
                    .ok_or("a user has no id")?
                    .to_string();
                let user_name = string_attribute(&resource, "userName")
                    .ok_or_else(|| format!("user {id} has no userName"))?
                    .to_string();
                Ok(LiveUser {
                    id,
                    user_name,
                    resource,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let groups = groups
            .into_iter()
            .map(|resource| {
                let id = string_attribute(&resource, "id")
                    .ok_or("a group has no id")?
                    .to_string();
                let display_name = string_attribute(&resource, "displayName")
                    .ok_or_else(|| format!("group {id} has no displayName"))?
                    .to_string();
                let members = member_ids(&resource);
                Ok(LiveGroup {
                    id,
                    display_name,
                    members,
                    resource,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Live { users, groups })
    }
}

/// `members[].value` of a group resource, leniently.
fn member_ids(group: &Value) -> Vec<String> {
    group
        .as_object()
        .and_then(|o| attribute(o, "members"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| string_attribute(m, "value"))
        .map(str::to_string)
        .collect()
}

/// Why a read did not produce a complete snapshot.
#[derive(Debug)]
pub enum LiveReadError {
    /// A request failed.
    Request(ScimError),
    /// The pages did not add up to one consistent list.
    Inconsistent { kind: ResourceKind, reason: String },
}

impl fmt::Display for LiveReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveReadError::Request(e) => write!(f, "reading the directory failed: {e}"),
            LiveReadError::Inconsistent { kind, reason } => write!(
                f,
                "reading the directory's {}s gave an incomplete or inconsistent list: {reason}",
                kind.noun()
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
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            LiveReadError::Request(e) => e.help(),
            LiveReadError::Inconsistent { .. } => Some(Box::new(
                "nothing was planned from this partial read; run again (the directory may have changed while it was read)",
            )),
        }
    }
}

/// Read every user and group of the directory.
pub async fn read(client: &ScimClient) -> Result<Live, LiveReadError> {
    let users = read_all(client, ResourceKind::User).await?;
    let groups = read_all(client, ResourceKind::Group).await?;
    Live::from_resources(users, groups).map_err(|reason| LiveReadError::Inconsistent {
        kind: ResourceKind::User,
        reason,
    })
}

/// Every resource of one kind, or an error: never a partial list.
pub async fn read_all(
    client: &ScimClient,
    kind: ResourceKind,
) -> Result<Vec<Value>, LiveReadError> {
    let inconsistent = |reason: String| LiveReadError::Inconsistent { kind, reason };
    let mut resources = Vec::new();
    let mut seen = HashSet::new();
    let mut start_index = 1u64;
    let mut expected_total: Option<u64> = None;
    loop {
        let page = client
            .list_page(kind, start_index, PAGE_SIZE)
            .await
            .map_err(LiveReadError::Request)?;
        let total = *expected_total.get_or_insert(page.total_results);
        if page.total_results != total {
            return Err(inconsistent(format!(
                "totalResults changed from {total} to {} between pages",
                page.total_results
            )));
        }
        if page.resources.is_empty() {
            if (resources.len() as u64) < total {
                return Err(inconsistent(format!(
                    "the page at startIndex {start_index} was empty, but only {} of {total} had been read",
                    resources.len()
                )));
            }
            break;
        }
        start_index += page.resources.len() as u64;
        for resource in page.resources {
            let id = string_attribute(&resource, "id")
                .ok_or_else(|| inconsistent(format!("a {} has no id", kind.noun())))?;
            if !seen.insert(id.to_string()) {
                return Err(inconsistent(format!(
                    "{} {id} appeared twice (the list shifted while it was read)",
                    kind.noun()
                )));
            }
            resources.push(resource);
        }
        if resources.len() as u64 > total {
            return Err(inconsistent(format!(
                "read {} {}s, more than totalResults {total}",
                resources.len(),
                kind.noun()
            )));
        }
        if resources.len() as u64 == total {
            break;
        }
    }
    Ok(resources)
}
