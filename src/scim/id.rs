//! `ScimId`: a resource id as the service provider assigned it — opaque text, shared.
//!
//! A read keeps every resource's id in the snapshot and again in the set it checks for
//! duplicates, and the member-filter read files each membership under a user's id, so an
//! id is a reference-counted string: cloning it copies a pointer. It compares, hashes and
//! orders as the text it holds, exactly (ids are case-sensitive). This file only defines
//! the type.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An opaque SCIM id (`id`, a member's `value`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScimId(Arc<str>);

impl ScimId {
    pub fn new(id: &str) -> ScimId {
        ScimId(Arc::from(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Why `id` cannot be sent as a path segment (`/Users/{id}`), or `None` when it can.
    ///
    /// Ids are data, never paths: [`encode_query`](crate::scim::encode_query)
    /// percent-encodes a segment, but `.` and `..` survive it (and a URL parser turns
    /// `/Users/..` into the base URL), some servers decode `%2F` back into `/`, and an
    /// empty id makes `/Users/` the list endpoint. So an id must be 1 to
    /// [`MAX_ID_BYTES`](Self::MAX_ID_BYTES) bytes long, not `.` or `..`, and hold no
    /// `/`, `\`, `?`, `#`, `%` and no control character. RFC 7643 §3.1 only asks ids to
    /// be unique, stable and not `bulkId`; every provider's ids (UUIDs, numbers, hex
    /// strings, `userName`-like text) pass.
    pub fn path_problem(id: &str) -> Option<&'static str> {
        if id.is_empty() {
            Some("it is empty")
        } else if id == "." || id == ".." {
            Some("`.` and `..` are path steps, not names")
        } else if id.len() > ScimId::MAX_ID_BYTES {
            Some("it is longer than 1024 bytes")
        } else if id.contains(['/', '\\', '?', '#', '%']) {
            Some("it contains `/`, `\\`, `?`, `#` or `%`")
        } else if id.chars().any(char::is_control) {
            Some("it contains a control character")
        } else {
            None
        }
    }

    /// The longest id [`path_problem`](Self::path_problem) accepts, in bytes.
    pub const MAX_ID_BYTES: usize = 1024;
}

impl Deref for ScimId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ScimId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ScimId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ScimId {
    fn from(id: &str) -> ScimId {
        ScimId::new(id)
    }
}

impl From<String> for ScimId {
    fn from(id: String) -> ScimId {
        ScimId(Arc::from(id))
    }
}

impl From<&ScimId> for String {
    fn from(id: &ScimId) -> String {
        id.0.to_string()
    }
}

impl fmt::Display for ScimId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ScimId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for ScimId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ScimId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for ScimId {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_as_its_text_and_shares_on_clone() {
        let id = ScimId::from("2819c223-7f76");
        let copy = id.clone();
        assert!(std::ptr::eq(id.as_str(), copy.as_str()), "a clone shares");
        assert_eq!(id, "2819c223-7f76");
        assert_eq!(vec![id.clone()], ["2819c223-7f76"]);
        assert_ne!(id, "2819C223-7F76", "ids are case-sensitive");
        let set: std::collections::HashSet<ScimId> = [id].into_iter().collect();
        assert!(set.contains("2819c223-7f76"), "looked up by &str");
        assert_eq!(
            format!("{copy} {copy:?}"),
            "2819c223-7f76 \"2819c223-7f76\""
        );
    }

    #[test]
    fn ids_that_would_change_a_request_path_have_a_problem() {
        for id in ["2819c223-7f76", "7", "a.b", "...", "user@x.test", "ü"] {
            assert_eq!(ScimId::path_problem(id), None, "{id}");
        }
        let long = "x".repeat(ScimId::MAX_ID_BYTES + 1);
        for id in [
            "", ".", "..", "a/b", "a\\b", "a?b", "a#b", "%2e", "a\u{1}b", "a\u{85}", &long,
        ] {
            assert!(ScimId::path_problem(id).is_some(), "{id:?}");
        }
        assert_eq!(ScimId::path_problem(&long[1..]), None);
    }
}
