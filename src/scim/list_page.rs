//! Reading a `ListResponse` body straight from bytes, one resource at a time.
//!
//! Large directories send pages of a few megabytes, mostly group members with a
//! `display`, `$ref` and `type` each. Building a JSON tree for all of that and then
//! throwing most of it away costs more than the network. So the envelope
//! (`totalResults`, `nextCursor`, …) is read here and each resource is handed to a
//! [`ResourceReader`], which keeps what its caller needs: [`SlimResource`] keeps a JSON
//! tree without `meta`, `schemas` and a user's read-only `groups`, with each member as
//! its bare id; the live reader builds its snapshot entries directly. Keys are matched
//! case-insensitively, as on every read, and are borrowed from the body, not allocated.
//! This module parses; it sends nothing.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::resource::{ListPage, as_u64};

/// Reads one element of `Resources` into whatever its caller keeps of it.
pub trait ResourceReader {
    type Item;

    /// The next resource of the list, or `None` at its end.
    fn next_resource<'de, A: SeqAccess<'de>>(
        &self,
        seq: &mut A,
    ) -> Result<Option<Self::Item>, A::Error>;
}

/// Parse a `ListResponse` from its body, each resource read by `reader`.
pub fn parse_with<R: ResourceReader>(
    bytes: &[u8],
    reader: &R,
) -> Result<ListPage<R::Item>, String> {
    // One UTF-8 check of the whole body is much cheaper than one per string.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("the ListResponse is not UTF-8 text: {e}"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let page = deserializer
        .deserialize_map(PageVisitor { reader })
        .map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                format!("the ListResponse does not have the expected shape: {e}")
            }
            _ => format!("the ListResponse is not valid JSON: {e}"),
        })?;
    deserializer
        .end()
        .map_err(|e| format!("trailing data after the ListResponse: {e}"))?;
    Ok(page)
}

/// Whether a resource's top-level attribute is one no reader keeps: server metadata,
/// the schema list, and a user's read-only `groups` (one entry per membership).
pub fn is_dropped_attribute(key: &str) -> bool {
    ["meta", "schemas", "groups"]
        .iter()
        .any(|skip| key.eq_ignore_ascii_case(skip))
}

struct PageVisitor<'r, R> {
    reader: &'r R,
}

impl<'de, R: ResourceReader> Visitor<'de> for PageVisitor<'_, R> {
    type Value = ListPage<R::Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SCIM ListResponse object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut page = ListPage {
            total_results: None,
            next_cursor: None,
            start_index: None,
            items_per_page: None,
            resources: Vec::new(),
        };
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if key.eq_ignore_ascii_case("Resources") {
                page.resources = map.next_value_seed(ResourcesSeed {
                    reader: self.reader,
                })?;
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

/// `Resources`: a list (null counts as empty) of what the reader makes of each element.
struct ResourcesSeed<'r, R> {
    reader: &'r R,
}

impl<'de, R: ResourceReader> DeserializeSeed<'de> for ResourcesSeed<'_, R> {
    type Value = Vec<R::Item>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, R: ResourceReader> Visitor<'de> for ResourcesSeed<'_, R> {
    type Value = Vec<R::Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resources as a list of objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut resources = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1000));
        while let Some(resource) = self.reader.next_resource(&mut seq)? {
            resources.push(resource);
        }
        Ok(resources)
    }
}

/// An object key, borrowed from the body unless it holds escapes.
pub struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute name")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key))
    }
}

/// The resource as a JSON tree without the [dropped attributes](is_dropped_attribute),
/// each member as its bare id.
#[derive(Clone, Copy, Debug)]
pub struct SlimResource;

impl ResourceReader for SlimResource {
    type Item = Value;

    fn next_resource<'de, A: SeqAccess<'de>>(
        &self,
        seq: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        seq.next_element_seed(SlimResourceSeed)
    }
}

struct SlimResourceSeed;

impl<'de> DeserializeSeed<'de> for SlimResourceSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SlimResourceSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if is_dropped_attribute(&key) {
                map.next_value::<IgnoredAny>()?;
            } else if key.eq_ignore_ascii_case("members") {
                let members = map.next_value_seed(MemberIdsSeed)?;
                let members = members
                    .into_iter()
                    .map(|id| Value::String(id.into_owned()))
                    .collect();
                object.insert(key.into_owned(), Value::Array(members));
            } else {
                let value = map.next_value::<Value>()?;
                object.insert(key.into_owned(), value);
            }
        }
        Ok(Value::Object(object))
    }
}

/// `members`: each member's `value` (an object's `value`, a string or a number, or a bare
/// string), borrowed from the body where it can be; members without one are left out,
/// and null counts as no members.
pub struct MemberIdsSeed;

impl<'de> DeserializeSeed<'de> for MemberIdsSeed {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MemberIdsSeed {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("members as a list")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(100_000));
        while let Some(member) = seq.next_element_seed(IdValueSeed::MEMBER)? {
            if let Some(id) = member {
                members.push(id);
            }
        }
        Ok(members)
    }
}

/// An id-like value: a string (borrowed where it can be) or a number; anything else is
/// no id. As a member (`IdValueSeed::MEMBER`), an object's `value` too, and a member that
/// is neither an object, a string nor a number is an error.
#[derive(Clone, Copy)]
pub struct IdValueSeed {
    member: bool,
}

impl IdValueSeed {
    /// An attribute's value (`id`, a member's `value`).
    pub const VALUE: IdValueSeed = IdValueSeed { member: false };
    /// One element of `members`.
    const MEMBER: IdValueSeed = IdValueSeed { member: true };

    fn not_an_id<E: de::Error>(
        self,
        found: de::Unexpected<'_>,
    ) -> Result<Option<Cow<'static, str>>, E> {
        if self.member {
            Err(de::Error::invalid_type(found, &self))
        } else {
            Ok(None)
        }
    }
}

impl<'de> DeserializeSeed<'de> for IdValueSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdValueSeed {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.member {
            "a member object with a value"
        } else {
            "an id"
        })
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value.to_string())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value.to_string())))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value.to_string())))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(Value::from(value).to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.not_an_id(de::Unexpected::Unit)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        self.not_an_id(de::Unexpected::Bool(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_an_id(de::Unexpected::Seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if self.member && key.eq_ignore_ascii_case("value") {
                id = map.next_value_seed(IdValueSeed::VALUE)?;
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

    fn parse(bytes: &[u8]) -> Result<ListPage, String> {
        parse_with(bytes, &SlimResource)
    }

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
        assert!(
            parse(br#"{"Resources": [{"id": "g", "members": [true]}]}"#).is_err(),
            "a member that is no object, string or number"
        );
        assert_eq!(
            parse(
                br#"{"Resources": [{"id": "g", "members": [7, {"value": 8}, {"value": null}]}]}"#
            )
            .map(|p| p.resources[0]["members"].clone()),
            Ok(serde_json::json!(["7", "8"]))
        );
        assert!(
            parse(b"{\"Resources\": [{\"id\": \"\xff\"}]}").is_err(),
            "not UTF-8"
        );
        assert_eq!(
            parse(br#"{"Resources": null}"#).map(|p| p.resources.len()),
            Ok(0)
        );
    }
}
