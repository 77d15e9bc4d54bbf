//! SCIM resource kinds and the lenient reading of server responses: list responses with
//! `Resources` in any case, numbers sent as strings, attributes looked up
//! case-insensitively (RFC 7643 §2.1: attribute names are case-insensitive).
//!
//! Reading is tolerant here so that the rest of the program can be strict; nothing in this
//! file sends a request.

use serde_json::{Map, Value};

/// The SCIM core schema URNs that scimform writes.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A resource type scimform manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "/Users",
            ResourceKind::Group => "/Groups",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            ResourceKind::User => USER_SCHEMA,
            ResourceKind::Group => GROUP_SCHEMA,
        }
    }

    /// Lower-case singular noun for messages.
    pub fn noun(self) -> &'static str {
        match self {
            ResourceKind::User => "user",
            ResourceKind::Group => "group",
        }
    }

    /// `n` and the noun, in the plural unless `n` is 1: "1 user", "3 users".
    pub fn counted(self, n: u64) -> String {
        if n == 1 {
            format!("1 {}", self.noun())
        } else {
            format!("{n} {}s", self.noun())
        }
    }
}

/// One page of a list response, its resources as JSON trees unless a reader made them
/// into something else (see `list_page`).
#[derive(Debug)]
pub struct ListPage<R = Value> {
    /// `totalResults`; required by RFC 7644 for index paging, optional with cursors.
    pub total_results: Option<u64>,
    /// `nextCursor` (cursor paging, RFC 9865): absent on the last page.
    pub next_cursor: Option<String>,
    pub start_index: Option<u64>,
    pub items_per_page: Option<u64>,
    pub resources: Vec<R>,
}

impl ListPage {
    /// Read a `ListResponse` leniently. Fails when the resources are not a list of objects.
    pub fn from_json(body: Value) -> Result<ListPage, String> {
        let Value::Object(mut object) = body else {
            return Err("expected a JSON object (a SCIM ListResponse)".to_string());
        };
        let total_results = attribute(&object, "totalResults").and_then(as_u64);
        let next_cursor = attribute(&object, "nextCursor")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let start_index = attribute(&object, "startIndex").and_then(as_u64);
        let items_per_page = attribute(&object, "itemsPerPage").and_then(as_u64);
        let key = object
            .keys()
            .find(|k| k.eq_ignore_ascii_case("Resources"))
            .cloned();
        let resources = match key.and_then(|k| object.remove(&k)) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => return Err("Resources is not a list".to_string()),
        };
        if let Some(bad) = resources.iter().position(|r| !r.is_object()) {
            return Err(format!("Resources[{bad}] is not an object"));
        }
        Ok(ListPage {
            total_results,
            next_cursor,
            start_index,
            items_per_page,
            resources,
        })
    }
}

/// An attribute of a resource, looked up case-insensitively.
pub fn attribute<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .get(name)
        .or_else(|| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

/// A string attribute of a resource (case-insensitive name).
pub fn string_attribute<'a>(resource: &'a Value, name: &str) -> Option<&'a str> {
    resource
        .as_object()
        .and_then(|o| attribute(o, name))
        .and_then(Value::as_str)
}

/// A number, or a string holding one.
pub fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean, or a string holding one (`"True"`, `"false"`).
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_list_responses_leniently() {
        let page = ListPage::from_json(json!({
            "totalResults": "2", "itemsPerPage": 2, "startIndex": 1,
            "resources": [{"id": "a"}, {"id": "b"}]
        }))
        .expect("valid page");
        assert_eq!(page.total_results, Some(2));
        assert_eq!(page.resources.len(), 2);
    }

    #[test]
    fn a_list_that_is_not_a_list_is_refused() {
        let error = ListPage::from_json(json!({"Resources": {}})).expect_err("not a list");
        assert!(error.contains("not a list"));
        assert!(ListPage::from_json(json!({"Resources": [1]})).is_err());
    }

    #[test]
    fn attributes_are_case_insensitive() {
        let user = json!({"UserName": "a@x.test", "active": "False"});
        assert_eq!(string_attribute(&user, "userName"), Some("a@x.test"));
        assert_eq!(as_bool(&user["active"]), Some(false));
    }
}
