//! Rendering stored records as SCIM resources: `schemas`, `id`, the attributes, the
//! `atlassian-external` extension of a user linked to an Atlassian account, group
//! `members` with `display`/`$ref`/`type`, a user's read-only `groups`, and `meta` — as a
//! JSON object (`render`, for single resources and filters), or written straight into a
//! list response body (`ListView`), which builds no intermediate JSON values and copies
//! strings that need no escaping as they are: a page of 100 groups with 10,000 members
//! between them costs a couple of milliseconds.
//!
//! Owns the shape of every resource the server returns; both forms give the same JSON. It
//! must not change the store, and its cost must stay proportional to the resources
//! rendered (member names come from the indexes, never from a scan).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::etag;
use super::members::GroupRef;
use super::org::EXTENSION;
use super::schema::{ENTERPRISE_SCHEMA, Kind};
use super::store::{Record, Store};

/// Which top-level attributes (by name, any case) a response keeps.
pub(crate) type Keep<'a> = &'a (dyn Fn(&str) -> bool + Sync);

impl Store {
    /// The resource `record` (whose id is `id`) as clients see it. Groups leave out
    /// `members` when `members` is false.
    pub(crate) fn render(
        &self,
        kind: Kind,
        id: &Arc<str>,
        record: &Record,
        members: bool,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        let mut schemas = vec![Value::String(kind.schema().to_owned())];
        if record.attributes.contains_key(ENTERPRISE_SCHEMA) {
            schemas.push(Value::String(ENTERPRISE_SCHEMA.to_owned()));
        }
        let account = self.linked_account(kind, id);
        if account.is_some() {
            schemas.push(Value::String(EXTENSION.to_owned()));
        }
        out.insert("schemas".into(), Value::Array(schemas));
        out.insert("id".into(), Value::String(id.to_string()));
        for (key, value) in &record.attributes {
            out.insert(key.clone(), value.clone());
        }
        if let Some(account) = account {
            out.insert(EXTENSION.into(), json!({"atlassianAccountId": account}));
        }
        if kind == Kind::Group && members && !record.members.is_empty() {
            let list = record
                .members
                .iter()
                .map(|m| {
                    json!({
                        "value": &*m.id,
                        "display": &*m.name,
                        "$ref": self.location(m.kind, &m.id),
                        "type": m.kind.name(),
                    })
                })
                .collect();
            out.insert("members".into(), Value::Array(list));
        }
        if kind == Kind::User
            && let Some(groups) = self.member_of.get(id)
        {
            out.insert("groups".into(), self.render_groups_of(groups));
        }
        out.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name(),
                "created": &*record.created,
                "lastModified": &*record.last_modified,
                "location": self.location(kind, id),
                "version": etag::of(record.version),
            }),
        );
        out
    }

    /// The Atlassian account a user is linked to (`--emulate atlassian`), shown as the
    /// `atlassian-external` extension.
    fn linked_account(&self, kind: Kind, id: &str) -> Option<&str> {
        if kind != Kind::User {
            return None;
        }
        self.org.as_ref().and_then(|org| org.account_of(id))
    }

    /// A user's direct groups, in group listing order.
    fn render_groups_of(&self, groups: &[GroupRef]) -> Value {
        Value::Array(
            groups
                .iter()
                .map(|g| {
                    json!({
                        "value": &*g.id,
                        "$ref": self.location(Kind::Group, &g.id),
                        "display": &*g.name,
                        "type": "direct",
                    })
                })
                .collect(),
        )
    }
}

/// Resources of one or more lists, written as one JSON array.
pub(crate) struct ListView<'a> {
    pub store: &'a Store,
    /// (kind, ids) in order; ids no longer in the store are skipped.
    pub parts: Vec<(Kind, &'a [Arc<str>])>,
    /// Whether groups carry `members`.
    pub members: bool,
    pub keep: Keep<'a>,
}

/// One resource of a view, looked up: its kind, id and record.
pub(crate) type Row<'a> = (Kind, &'a Arc<str>, &'a Record);

impl<'a> ListView<'a> {
    /// How many resources the view holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rows().len()
    }

    /// The resources, looked up once (a response needs their count before their text).
    pub(crate) fn rows(&self) -> Vec<Row<'a>> {
        self.parts
            .iter()
            .flat_map(|(kind, ids)| {
                let table = self.store.table(*kind);
                ids.iter()
                    .filter_map(move |id| table.rows.get_key_value(id))
                    .map(move |(id, record)| (*kind, id, record))
            })
            .collect()
    }

    /// The resources as one JSON array, appended to `out`.
    #[cfg(test)]
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        self.write_rows(&self.rows(), out)
    }

    /// `rows` (from [`rows`](Self::rows)) as one JSON array, appended to `out`.
    pub(crate) fn write_rows(&self, rows: &[Row<'_>], out: &mut Vec<u8>) -> serde_json::Result<()> {
        let users = Prefix::new(&self.store.base_url, Kind::User);
        let groups = Prefix::new(&self.store.base_url, Kind::Group);
        out.push(b'[');
        for (index, &(kind, id, record)) in rows.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            self.write_resource(out, kind, id, record, [&users, &groups])?;
        }
        out.push(b']');
        Ok(())
    }

    /// One resource, as `Store::render` builds it, projected by `keep`.
    fn write_resource(
        &self,
        out: &mut Vec<u8>,
        kind: Kind,
        id: &Arc<str>,
        record: &Record,
        [users, groups]: [&Prefix; 2],
    ) -> serde_json::Result<()> {
        let (store, keep) = (self.store, self.keep);
        let prefix = |kind| if kind == Kind::User { users } else { groups };
        out.extend_from_slice(b"{\"schemas\":[");
        json_str(out, kind.schema())?;
        if record.attributes.contains_key(ENTERPRISE_SCHEMA) {
            out.push(b',');
            json_str(out, ENTERPRISE_SCHEMA)?;
        }
        let account = store.linked_account(kind, id);
        if account.is_some() {
            out.push(b',');
            json_str(out, EXTENSION)?;
        }
        out.extend_from_slice(b"],\"id\":");
        json_str(out, id)?;
        for (key, value) in &record.attributes {
            if keep(key) {
                out.push(b',');
                json_str(out, key)?;
                out.push(b':');
                json_value(out, value)?;
            }
        }
        if let Some(account) = account.filter(|_| keep(EXTENSION)) {
            out.push(b',');
            json_str(out, EXTENSION)?;
            out.extend_from_slice(b":{\"atlassianAccountId\":");
            json_str(out, account)?;
            out.push(b'}');
        }
        if kind == Kind::Group && self.members && !record.members.is_empty() && keep("members") {
            out.extend_from_slice(b",\"members\":[");
            for (index, member) in record.members.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"value\":");
                json_str(out, &member.id)?;
                out.extend_from_slice(b",\"display\":");
                json_str(out, &member.name)?;
                out.extend_from_slice(b",\"$ref\":");
                prefix(member.kind).write(out, &member.id)?;
                out.extend_from_slice(b",\"type\":");
                json_str(out, member.kind.name())?;
                out.push(b'}');
            }
            out.push(b']');
        }
        if kind == Kind::User
            && keep("groups")
            && let Some(member_of) = store.member_of.get(id)
        {
            out.extend_from_slice(b",\"groups\":[");
            for (index, group) in member_of.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"value\":");
                json_str(out, &group.id)?;
                out.extend_from_slice(b",\"$ref\":");
                groups.write(out, &group.id)?;
                out.extend_from_slice(b",\"display\":");
                json_str(out, &group.name)?;
                out.extend_from_slice(b",\"type\":\"direct\"}");
            }
            out.push(b']');
        }
        if keep("meta") {
            out.extend_from_slice(b",\"meta\":{\"resourceType\":");
            json_str(out, kind.name())?;
            out.extend_from_slice(b",\"created\":");
            json_str(out, &record.created)?;
            out.extend_from_slice(b",\"lastModified\":");
            json_str(out, &record.last_modified)?;
            out.extend_from_slice(b",\"location\":");
            prefix(kind).write(out, id)?;
            out.extend_from_slice(b",\"version\":");
            json_str(out, &etag::of(record.version))?;
            out.push(b'}');
        }
        out.push(b'}');
        Ok(())
    }
}

/// `{base}/{endpoint}/`, the start of every location of one kind, escaped once.
struct Prefix {
    raw: String,
    /// `raw` escaped, without quotes.
    escaped: Vec<u8>,
}

impl Prefix {
    fn new(base: &str, kind: Kind) -> Prefix {
        let raw = format!("{base}/{}/", kind.endpoint());
        let quoted = serde_json::to_vec(&raw).unwrap_or_default();
        let escaped = quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default()
            .to_vec();
        Prefix { raw, escaped }
    }

    /// `"{base}/{endpoint}/{id}"`, as a JSON string.
    fn write(&self, out: &mut Vec<u8>, id: &str) -> serde_json::Result<()> {
        if needs_escaping(id) {
            return json_str(out, &format!("{}{id}", self.raw));
        }
        out.push(b'"');
        out.extend_from_slice(&self.escaped);
        out.extend_from_slice(id.as_bytes());
        out.push(b'"');
        Ok(())
    }
}

/// `value` as JSON, its strings (and keys) written by [`json_str`]. Stored values were
/// parsed from requests, so their nesting is bounded.
fn json_value(out: &mut Vec<u8>, value: &Value) -> serde_json::Result<()> {
    match value {
        Value::String(text) => json_str(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                json_value(out, item)?;
            }
            out.push(b']');
            Ok(())
        }
        Value::Object(object) => {
            out.push(b'{');
            for (index, (key, item)) in object.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                json_str(out, key)?;
                out.push(b':');
                json_value(out, item)?;
            }
            out.push(b'}');
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => serde_json::to_writer(&mut *out, value),
    }
}

/// `value` as a JSON string. Most strings a directory holds need no escaping, and are
/// copied as they are.
fn json_str(out: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
    if needs_escaping(value) {
        return serde_json::to_writer(&mut *out, value);
    }
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether a string holds a quote, a backslash or a control character. Folded rather
/// than short-circuited, so that the compiler can check many bytes at a time.
fn needs_escaping(value: &str) -> bool {
    value.bytes().fold(false, |found, b| {
        found || (b < 0x20) || (b == b'"') || (b == b'\\')
    })
}

#[cfg(test)]
impl Store {
    /// The resources of a page as JSON objects.
    pub(crate) fn render_page(
        &self,
        kind: Kind,
        page: &super::query::Page,
        members: bool,
    ) -> Vec<Map<String, Value>> {
        page.ids
            .iter()
            .filter_map(|id| {
                let (id, record) = self.table(kind).rows.get_key_value(id)?;
                Some(self.render(kind, id, record, members))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(view: &ListView<'_>) -> Value {
        let mut out = Vec::new();
        view.write_json(&mut out).expect("written");
        serde_json::from_slice(&out).expect("the view writes valid JSON")
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn strings_that_need_escaping_are_found_anywhere() {
        assert!(!needs_escaping(""));
        assert!(!needs_escaping("user000001@synthetic.test ÄÖ ~\u{7f}"));
        for bad in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
            for at in 0..20 {
                let mut text: String = "abcdefghijklmnopqrst".into();
                text.insert(at, bad);
                assert!(needs_escaping(&text), "{text:?}");
            }
        }
        let odd = json!({"a\"": [1, -2.5, null, true, {"k\u{1}": "v\\"}], "b": "ü"});
        let mut written = Vec::new();
        json_value(&mut written, &odd).expect("written");
        assert_eq!(serde_json::from_slice::<Value>(&written).ok(), Some(odd));
        let mut out = Vec::new();
        json_str(&mut out, "a\"b\\c\n").expect("written");
        assert_eq!(out, br#""a\"b\\c\n""#);
    }

    #[test]
    fn the_view_serialises_what_render_builds() {
        let mut s = Store::new("http://x/scim/v2", Some(2));
        let org = crate::org::parse_seed(br#"{"verified_domains": ["x.test"]}"#).expect("seed");
        s.adopt_seed(org).expect("adopted");
        let user = s
            .create(
                Kind::User,
                &obj(
                    json!({"userName": "a", "title": "t", "emails": [{"value": "a@x.test"}],
                    ENTERPRISE_SCHEMA: {"department": "d"}}),
                ),
            )
            .expect("created");
        assert!(
            user[EXTENSION]["atlassianAccountId"].is_string(),
            "{user:?}"
        );
        s.create(Kind::User, &obj(json!({"userName": "unlinked"})))
            .expect("created");
        let uid = user["id"].as_str().unwrap_or_default().to_owned();
        for name in ["g1", "g2"] {
            s.create(
                Kind::Group,
                &obj(json!({"displayName": name, "members": [{"value": uid}]})),
            )
            .expect("created");
        }
        let all = |_: &str| true;
        for kind in [Kind::User, Kind::Group] {
            let ids: Vec<Arc<str>> = s
                .table(kind)
                .order
                .iter()
                .map(|(_, id)| id.clone())
                .collect();
            for members in [true, false] {
                let view = ListView {
                    store: &s,
                    parts: vec![(kind, &ids)],
                    members,
                    keep: &all,
                };
                let rendered: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| s.get(kind, id, members).ok().map(Value::Object))
                    .collect();
                assert_eq!(written(&view), Value::Array(rendered));
                assert_eq!(view.len(), ids.len());
            }
        }
        let ids: Vec<Arc<str>> = s.users.order.iter().map(|(_, id)| id.clone()).collect();
        let no_title = |k: &str| !k.eq_ignore_ascii_case("title") && k != "meta";
        let view = ListView {
            store: &s,
            parts: vec![(Kind::User, &ids)],
            members: true,
            keep: &no_title,
        };
        let out = written(&view);
        assert!(out[0].get("title").is_none() && out[0].get("meta").is_none());
        assert_eq!(out[0]["userName"], "a");
    }
}
