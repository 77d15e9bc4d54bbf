//! Reading a ListResponse body straight from bytes into slim resources.
//!
//! Large directories send pages of a few megabytes, mostly group members with a
//! `display`, `$ref` and `type` each. Building a JSON tree for all of that and then
//! throwing most of it away costs more than the network. This reader keeps, per
//! resource, everything but `meta`, `schemas` and a user's read-only `groups`, and keeps
//! each member as its bare id. Keys are matched case-insensitively, as on every read.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::resource::{ListPage, as_u64};

/// Parse a ListResponse from its body.
pub fn parse(bytes: &[u8]) -> Result<ListPage, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let page = deserializer
        .deserialize_map(PageVisitor)
        .map_err(|e| format!("the ListResponse is not valid JSON of the expected shape: {e}"))?;
    deserializer
        .end()
        .map_err(|e| format!("trailing data after the ListResponse: {e}"))?;
    Ok(page)
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = ListPage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SCIM ListResponse object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ListPage, A::Error> {
        let mut page = ListPage {
            total_results: None,
            next_cursor: None,
            start_index: None,
            items_per_page: None,
            resources: Vec::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("Resources") {
                page.resources = map.next_value_seed(ResourcesSeed)?;
            } else if key.eq_ignore_ascii_case("totalResults") {
                page.total_results = as_u64(&map.next_value::<Value>()?);
            } else if key.eq_ignore_ascii_case("startIndex") {
                page.start_index = as_u64(&map.next_value::<Value>()?);
            } else if key.eq_ignore_ascii_case("itemsPerPage") {
                page.items_per_page = as_u64(&map.next_value::<Value>()?);
            } else if key.eq_ignore_ascii_case("nextCursor") {
                page.next_cursor = match map.next_value::<Value>()? {
                    Value::String(cursor) if !cursor.is_empty() => Some(cursor),
                    _ => None,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(page)
    }
}

/// `Resources`: a list of objects (null counts as empty).
struct ResourcesSeed;

impl<'de> DeserializeSeed<'de> for ResourcesSeed {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Value>, D::Error> {
        deserializer.deserialize_any(ResourcesVisitor)
    }
}

struct ResourcesVisitor;

impl<'de> Visitor<'de> for ResourcesVisitor {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resources as a list of objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut resources = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1000));
        while let Some(resource) = seq.next_element_seed(ResourceSeed)? {
            resources.push(resource);
        }
        Ok(resources)
    }
}

/// One resource, slimmed as it is read.
struct ResourceSeed;

impl<'de> DeserializeSeed<'de> for ResourceSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_map(ResourceVisitor)
    }
}

struct ResourceVisitor;

impl<'de> Visitor<'de> for ResourceVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if ["meta", "schemas", "groups"]
                .iter()
                .any(|skip| key.eq_ignore_ascii_case(skip))
            {
                map.next_value::<IgnoredAny>()?;
            } else if key.eq_ignore_ascii_case("members") {
                let members = map.next_value_seed(MembersSeed)?;
                object.insert(key, Value::Array(members));
            } else {
                let value = map.next_value::<Value>()?;
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
    }
}

/// `members`: each member's `value` as a bare id string (null counts as none).
struct MembersSeed;

impl<'de> DeserializeSeed<'de> for MembersSeed {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Value>, D::Error> {
        deserializer.deserialize_any(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("members as a list")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<Value>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut members = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(100_000));
        while let Some(member) = seq.next_element_seed(MemberSeed)? {
            if let Some(id) = member {
                members.push(Value::String(id));
            }
        }
        Ok(members)
    }
}

/// One member: an object's `value`, or a bare string.
struct MemberSeed;

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member object with a value")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Option<String>, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Option<String>, E> {
        Ok(Some(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("value") {
                id = match map.next_value::<Value>()? {
                    Value::String(s) => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slims_resources_and_members() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": "2",
            "resources": [
                {"id": "u1", "userName": "a@x.test", "meta": {"version": "1"},
                 "groups": [{"value": "g1"}], "schemas": ["x"], "name": {"givenName": "A"}},
                {"id": "g1", "displayName": "eng",
                 "Members": [{"value": "u1", "display": "a", "$ref": "http://x/Users/u1"}, "u2", {"display": "no id"}]}
            ],
            "nextCursor": "c"
        });
        let page = parse(body.to_string().as_bytes()).expect("page");
        assert_eq!(page.total_results, Some(2));
        assert_eq!(page.next_cursor.as_deref(), Some("c"));
        assert_eq!(
            page.resources,
            vec![
                json!({"id": "u1", "userName": "a@x.test", "name": {"givenName": "A"}}),
                json!({"id": "g1", "displayName": "eng", "Members": ["u1", "u2"]}),
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_a_list_response() {
        assert!(parse(b"[1, 2]").is_err());
        assert!(parse(br#"{"Resources": {}}"#).is_err());
        assert!(parse(br#"{"Resources": [1]}"#).is_err());
        assert!(parse(b"{} trailing").is_err());
        assert_eq!(
            parse(br#"{"Resources": null}"#).map(|p| p.resources.len()),
            Ok(0)
        );
    }
}
