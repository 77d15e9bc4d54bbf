//! Reading list pages straight into snapshot entries: a user page becomes `LiveUser`s and
//! a group page `LiveGroup`s as the body is parsed, with no JSON tree in between.
//!
//! Each kept attribute is taken as the raw text the server sent (whitespace outside
//! strings dropped) and appended to the entry's compact JSON; `meta`, `schemas` and a
//! user's `groups` are skipped unparsed; `id`, `userName` and `displayName` are read
//! leniently (exact key first, then any case); group members become a packed
//! [`MemberIds`]. A resource without an id or a name fails the page with a message that
//! says which, and so does one whose id cannot be a request path segment
//! ([`ScimId::path_problem`]: ids are data, never paths) or whose attribute holds a value
//! that could not be read back as a JSON tree later (see `value_check`). This module
//! parses; the pager checks pages against each other.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::member_ids::MemberIds;
use super::snapshot::{LiveGroup, LiveUser, ResourceJson};
use super::value_check::{self, ValueProblem};
use crate::scim::{
    IdValueSeed, KeySeed, MemberIdsSeed, ResourceKind, ResourceReader, ScimId, is_dropped_attribute,
};

/// Reads each element of a user list into a [`LiveUser`] (with
/// [`parse_with`](crate::scim::parse_with)).
#[derive(Clone, Copy, Debug)]
pub struct UserReader;

impl ResourceReader for UserReader {
    type Item = LiveUser;

    fn next_resource<'de, A: SeqAccess<'de>>(
        &self,
        seq: &mut A,
    ) -> Result<Option<LiveUser>, A::Error> {
        let entry = seq.next_element_seed(EntrySeed(ResourceKind::User))?;
        Ok(entry.map(|entry| LiveUser {
            id: entry.id,
            user_name: entry.name,
            version: entry.version,
            json: entry.json,
        }))
    }
}

/// Reads each element of a group list into a [`LiveGroup`] (with
/// [`parse_with`](crate::scim::parse_with)).
#[derive(Clone, Copy, Debug)]
pub struct GroupReader;

impl ResourceReader for GroupReader {
    type Item = LiveGroup;

    fn next_resource<'de, A: SeqAccess<'de>>(
        &self,
        seq: &mut A,
    ) -> Result<Option<LiveGroup>, A::Error> {
        let entry = seq.next_element_seed(EntrySeed(ResourceKind::Group))?;
        Ok(entry.map(|entry| LiveGroup {
            id: entry.id,
            display_name: entry.name,
            members: entry.members,
            members_listed: entry.members_listed,
            version: entry.version,
            json: entry.json,
        }))
    }
}

/// What a list element gives either kind of entry.
struct Entry {
    id: ScimId,
    /// The userName or displayName.
    name: String,
    /// Groups only (a user's `members`, if any, stay in `json`).
    members: MemberIds,
    /// Whether the resource had a `members` key at all (groups).
    members_listed: bool,
    /// `meta.version`, when the server gives one.
    version: Option<Box<str>>,
    json: ResourceJson,
}

/// Reads one resource of the given kind.
struct EntrySeed(ResourceKind);

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Entry;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Entry, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} resource object", self.0.noun())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let kind = self.0;
        let name_attribute = match kind {
            ResourceKind::User => "userName",
            ResourceKind::Group => "displayName",
        };
        let mut json = CompactObject::new();
        let mut id = Pick::new("id");
        let mut name = Pick::new(name_attribute);
        let mut members: Vec<Cow<'de, str>> = Vec::new();
        let mut members_listed = false;
        let mut version = None;
        // The first attribute whose value cannot be kept, reported once the id and the
        // name (which may come later) are known.
        let mut problem: Option<(String, ValueProblem)> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if key.eq_ignore_ascii_case("meta") {
                version = map.next_value::<MetaVersion>()?.0;
                continue;
            }
            if is_dropped_attribute(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if kind == ResourceKind::Group && key.eq_ignore_ascii_case("members") {
                members_listed = true;
                members.extend(map.next_value_seed(MemberIdsSeed)?);
                continue;
            }
            let raw: &'de RawValue = map.next_value()?;
            if problem.is_none()
                && let Err(found) = value_check::check(raw.get())
            {
                problem = Some((key.to_string(), found));
            }
            id.offer(&key, raw);
            name.offer(&key, raw);
            json.push(&key, raw);
        }
        let noun = kind.noun();
        if let Some((key, found)) = problem {
            let who = match (id.id(), name.string()) {
                (Some(id), _) => format!("{noun} {}", shown(&id)),
                (None, Some(name)) => format!("{noun} {}", shown(&name)),
                (None, None) => format!("a {noun}"),
            };
            return Err(de::Error::custom(format!(
                "{who} has an attribute `{}` that {found}; scimform does not act on a resource it cannot read back",
                escaped(&key)
            )));
        }
        let Some(id) = id.id() else {
            return Err(de::Error::custom(format!("a {noun} has no id")));
        };
        let name = name.string();
        if let Some(why) = ScimId::path_problem(&id) {
            let who = name.as_deref().map_or_else(
                || format!("a {noun}"),
                |name| format!("{noun} {}", shown(name)),
            );
            return Err(de::Error::custom(format!(
                "{who} has the id {}, which cannot be used in a request path ({why}); scimform does not act on such ids",
                shown(&id)
            )));
        }
        // The id is fit to show now: no control characters, at most 1024 bytes.
        let Some(name) = name else {
            return Err(de::Error::custom(format!(
                "{noun} {id} has no {name_attribute}"
            )));
        };
        Ok(Entry {
            id: ScimId::new(&id),
            name,
            members: MemberIds::new(&members),
            members_listed,
            version,
            json: json.finish(),
        })
    }
}

/// `meta.version` out of a `meta` object (anything else in it, or a `meta` that is not
/// an object, is ignored).
struct MetaVersion(Option<Box<str>>);

impl<'de> serde::Deserialize<'de> for MetaVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MetaVersion, D::Error> {
        deserializer.deserialize_any(MetaVisitor)
    }
}

struct MetaVisitor;

impl<'de> Visitor<'de> for MetaVisitor {
    type Value = MetaVersion;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a meta object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetaVersion, A::Error> {
        let mut version = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if !key.eq_ignore_ascii_case("version") {
                // Anything else in `meta` (dates, locations) is not read at all.
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if let Some(text) = map.next_value::<VersionText>()?.0
                && !text.is_empty()
            {
                version = Some(text.into_boxed_str());
            }
        }
        Ok(MetaVersion(version))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MetaVersion, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MetaVersion(None))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<MetaVersion, E> {
        Ok(MetaVersion(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<MetaVersion, E> {
        Ok(MetaVersion(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<MetaVersion, E> {
        Ok(MetaVersion(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<MetaVersion, E> {
        Ok(MetaVersion(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<MetaVersion, E> {
        Ok(MetaVersion(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<MetaVersion, E> {
        Ok(MetaVersion(None))
    }
}

/// `meta.version` if it is a string; any other value is no version.
struct VersionText(Option<String>);

impl<'de> serde::Deserialize<'de> for VersionText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<VersionText, D::Error> {
        deserializer.deserialize_any(VersionVisitor)
    }
}

struct VersionVisitor;

impl<'de> Visitor<'de> for VersionVisitor {
    type Value = VersionText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a version")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<VersionText, E> {
        Ok(VersionText(Some(text.to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VersionText, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(VersionText(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<VersionText, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(VersionText(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<VersionText, E> {
        Ok(VersionText(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<VersionText, E> {
        Ok(VersionText(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<VersionText, E> {
        Ok(VersionText(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<VersionText, E> {
        Ok(VersionText(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<VersionText, E> {
        Ok(VersionText(None))
    }
}

/// Server text in a message: quoted, escaped (no control characters reach a terminal)
/// and cut to 80 characters.
fn shown(text: &str) -> String {
    const MAX: usize = 80;
    let mut cut: String = text.chars().take(MAX).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// [`shown`] without the quotes (for a name between backticks).
fn escaped(text: &str) -> String {
    let shown = shown(text);
    shown
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(&shown)
        .to_string()
}

/// The value of one attribute, found as `RFC 7643 §2.1` asks: the exact name wins,
/// otherwise the first key equal to it in any case.
struct Pick<'de> {
    name: &'static str,
    raw: Option<&'de RawValue>,
    exact: bool,
}

impl<'de> Pick<'de> {
    fn new(name: &'static str) -> Pick<'de> {
        Pick {
            name,
            raw: None,
            exact: false,
        }
    }

    fn offer(&mut self, key: &str, raw: &'de RawValue) {
        if key == self.name {
            self.raw = Some(raw);
            self.exact = true;
        } else if !self.exact && self.raw.is_none() && key.eq_ignore_ascii_case(self.name) {
            self.raw = Some(raw);
        }
    }

    /// An id: a string, or a number written as one.
    fn id(&self) -> Option<Cow<'de, str>> {
        let raw = self.raw?.get();
        IdValueSeed::VALUE
            .deserialize(&mut serde_json::Deserializer::from_str(raw))
            .ok()
            .flatten()
    }

    /// A name: a string.
    fn string(&self) -> Option<String> {
        match serde_json::from_str::<serde_json::Value>(self.raw?.get()) {
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// The compact JSON text of a resource, assembled from its kept attributes.
struct CompactObject {
    text: String,
}

impl CompactObject {
    fn new() -> CompactObject {
        let mut text = String::with_capacity(256);
        text.push('{');
        CompactObject { text }
    }

    // Whether the key is borrowed says whether it had escapes, so the `Cow` is needed.
    #[allow(clippy::ptr_arg)]
    fn push(&mut self, key: &Cow<'_, str>, raw: &RawValue) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        match key {
            // A key borrowed from the body had no escapes, so it needs none.
            Cow::Borrowed(key) => {
                self.text.push('"');
                self.text.push_str(key);
                self.text.push('"');
            }
            Cow::Owned(key) => self
                .text
                .push_str(&serde_json::Value::String(key.clone()).to_string()),
        }
        self.text.push(':');
        push_minified(&mut self.text, raw.get());
    }

    fn finish(mut self) -> ResourceJson {
        self.text.push('}');
        self.text.shrink_to_fit();
        ResourceJson::from_assembled(self.text)
    }
}

/// Append valid JSON text without the whitespace between its tokens (a scalar has none).
fn push_minified(out: &mut String, json: &str) {
    if !json.starts_with(['{', '[']) || !json.contains(['\n', '\r', '\t', ' ']) {
        out.push_str(json);
        return;
    }
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::parse_with;
    use serde_json::json;

    fn users(body: &serde_json::Value) -> Result<Vec<LiveUser>, String> {
        parse_with(body.to_string().as_bytes(), &UserReader).map(|p| p.resources)
    }

    #[test]
    fn users_keep_their_attributes_as_compact_json() {
        let read = users(&json!({"Resources": [{
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1", "UserName": "a@x.test", "meta": {"version": "W/\"1\""},
            "groups": [{"value": "g1"}], "name": {"givenName": "A b"}, "active": "True",
            "tit\u{0}le": 1
        }]}))
        .expect("page");
        assert_eq!(read[0].id, "u1");
        assert_eq!(read[0].user_name, "a@x.test");
        assert_eq!(read[0].version.as_deref(), Some("W/\"1\""));
        assert_eq!(
            read[0].resource(),
            json!({"id": "u1", "UserName": "a@x.test", "name": {"givenName": "A b"},
                   "active": "True", "tit\u{0}le": 1})
        );
    }

    #[test]
    fn the_exact_name_wins_over_other_cases() {
        let read = users(&json!({"Resources": [
            {"id": 7, "username": "first@x.test", "userName": "exact@x.test"}
        ]}))
        .expect("page");
        assert_eq!(read[0].id, "7", "a numeric id is read as its text");
        assert_eq!(read[0].user_name, "exact@x.test");
    }

    #[test]
    fn a_resource_without_id_or_name_fails_the_page_and_says_which() {
        let no_name = users(&json!({"Resources": [{"id": "u9", "userName": null}]}))
            .expect_err("no userName");
        assert!(no_name.contains("user u9 has no userName"), "{no_name}");
        let no_id = users(&json!({"Resources": [{"userName": "a@x.test"}]})).expect_err("no id");
        assert!(no_id.contains("a user has no id"), "{no_id}");
    }

    #[test]
    fn pretty_printed_values_are_stored_compactly() {
        let body = br#"{"Resources": [ { "id" : "u1", "userName": "a@x.test",
            "name" : { "givenName" : "Ann  Lee",
                       "familyName": "x \" y" } } ] }"#;
        let page = parse_with(body, &UserReader).expect("page");
        assert_eq!(
            page.resources[0].json.as_str(),
            r#"{"id":"u1","userName":"a@x.test","name":{"givenName":"Ann  Lee","familyName":"x \" y"}}"#
        );
    }

    #[test]
    fn group_members_are_bare_ids_without_duplicates() {
        let group_page = json!({"Resources": [{
            "id": "g1", "displayName": "eng", "externalId": "e1",
            "members": [{"value": "u1", "display": "a"}, "u2", {"value": "u1"}, {"display": "none"}]
        }]});
        let groups = parse_with(group_page.to_string().as_bytes(), &GroupReader)
            .expect("groups")
            .resources;
        assert_eq!(groups[0].members, ["u1", "u2"]);
        assert_eq!(
            groups[0].resource(),
            json!({"id": "g1", "displayName": "eng", "externalId": "e1"})
        );
    }
}
