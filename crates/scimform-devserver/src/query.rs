//! Listing: one page of users or groups, by index (`startIndex`, RFC 7644 §3.4.2.4) or by
//! cursor (`cursor`/`nextCursor`, RFC 9865), with an optional filter.
//!
//! Owns the cost model that makes a 100,000-user directory cheap to page through: an
//! unfiltered page is a slice of the ordered index, and equality filters on `id`,
//! `userName`, `displayName`, `members[.value]` and a user's `groups[.value]` start from an
//! index instead of a scan; a page is a list of ids, which `render` serialises straight
//! into the response without building JSON values. It also owns the cursor
//! format (opaque to clients, stable across inserts before it). It must not change the
//! store, nor know about provider emulation (page caps and the like are the caller's).

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::filter::{CompareOp, Filter};
use super::schema::Kind;
use super::store::Store;

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// 1-based `startIndex`.
    Index(usize),
    /// The first page (`None`) or the position a `nextCursor` named.
    Cursor(Option<i64>),
}

/// What to list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListRequest<'a> {
    pub kind: Kind,
    pub filter: Option<&'a Filter>,
    pub position: Position,
    /// Most resources to return (already capped by the caller).
    pub count: usize,
}

/// One page of a list request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    /// Every match, not just this page.
    pub total: usize,
    /// The ids on this page, in order.
    pub ids: Vec<Arc<str>>,
    /// With cursor paging: the cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

const CURSOR_MASK: u64 = 0x5c1f_0a3e_9b7d_2468;

/// An opaque cursor for the position `seq`.
pub(crate) fn encode_cursor(seq: i64) -> String {
    format!("{:016x}", seq.cast_unsigned() ^ CURSOR_MASK)
}

/// The position a cursor names; `None` for anything this server did not issue.
pub(crate) fn decode_cursor(cursor: &str) -> Option<i64> {
    if cursor.len() != 16 {
        return None;
    }
    u64::from_str_radix(cursor, 16)
        .ok()
        .map(|raw| (raw ^ CURSOR_MASK).cast_signed())
}

/// Whether the filter looks at the top-level attribute `name`.
pub(crate) fn mentions(filter: &Filter, name: &str) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => mentions(a, name) || mentions(b, name),
        Filter::Not(f) => mentions(f, name),
        Filter::Present(path) | Filter::Compare(path, _, _) | Filter::ValuePath(path, _) => path
            .segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case(name)),
    }
}

fn is_path(segments: &[String], names: &[&str]) -> bool {
    segments.len() == names.len()
        && segments
            .iter()
            .zip(names)
            .all(|(s, n)| s.eq_ignore_ascii_case(n))
}

/// The page of `request` out of `ordered` (matches sorted by seq).
fn page(request: &ListRequest<'_>, ordered: &[(i64, Arc<str>)]) -> Page {
    let (from, cursor_paging) = match request.position {
        Position::Index(start) => (start.saturating_sub(1).min(ordered.len()), false),
        Position::Cursor(None) => (0, true),
        Position::Cursor(Some(at)) => (ordered.partition_point(|(seq, _)| *seq < at), true),
    };
    let to = from.saturating_add(request.count).min(ordered.len());
    let ids = ordered
        .get(from..to)
        .unwrap_or_default()
        .iter()
        .map(|(_, id)| id.clone())
        .collect();
    let next_cursor = if cursor_paging {
        ordered.get(to).map(|(seq, _)| encode_cursor(*seq))
    } else {
        None
    };
    Page {
        total: ordered.len(),
        ids,
        next_cursor,
    }
}

impl Store {
    /// One page of `request`.
    pub(crate) fn list(&self, request: &ListRequest<'_>) -> Page {
        let table = self.table(request.kind);
        match request.filter {
            None => page(request, &table.order),
            Some(filter) => {
                let members = request.kind == Kind::Group && mentions(filter, "members");
                let matches = |id: &Arc<str>| {
                    table.rows.get(id).is_some_and(|record| {
                        filter.matches(&self.render(request.kind, id, record, members))
                    })
                };
                let mut found: Vec<(i64, Arc<str>)> = match self.candidates(request.kind, filter) {
                    Some(ids) => {
                        let unique: HashSet<Arc<str>> = ids.into_iter().collect();
                        unique
                            .into_iter()
                            .filter(|id| matches(id))
                            .filter_map(|id| table.rows.get(&id).map(|r| (r.seq, id)))
                            .collect()
                    }
                    None => table
                        .order
                        .iter()
                        .filter(|(_, id)| matches(id))
                        .cloned()
                        .collect(),
                };
                found.sort_by_key(|(seq, _)| *seq);
                page(request, &found)
            }
        }
    }

    /// Ids that may match `filter` (a superset of the matches), from an index; `None`
    /// when the filter has no indexed equality to start from.
    fn candidates(&self, kind: Kind, filter: &Filter) -> Option<Vec<Arc<str>>> {
        match filter {
            Filter::And(a, b) => match (self.candidates(kind, a), self.candidates(kind, b)) {
                (Some(x), Some(y)) => Some(if x.len() <= y.len() { x } else { y }),
                (x, y) => x.or(y),
            },
            Filter::Or(a, b) => {
                let mut x = self.candidates(kind, a)?;
                x.extend(self.candidates(kind, b)?);
                Some(x)
            }
            Filter::Compare(path, CompareOp::Eq, Value::String(value)) => {
                self.indexed_eq(kind, &path.segments, value)
            }
            Filter::ValuePath(path, inner) => match inner.as_ref() {
                Filter::Compare(sub, CompareOp::Eq, Value::String(value))
                    if is_path(&sub.segments, &["value"]) =>
                {
                    let mut segments = path.segments.clone();
                    segments.push("value".to_owned());
                    self.indexed_eq(kind, &segments, value)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn indexed_eq(&self, kind: Kind, segments: &[String], value: &str) -> Option<Vec<Arc<str>>> {
        // Ids are compared exactly by the index; leave anything unusual to the scan.
        let plain_id = !value.chars().any(char::is_uppercase);
        let table = self.table(kind);
        if is_path(segments, &["id"]) {
            return Some(self.id_of(kind, value).into_iter().collect());
        }
        if is_path(segments, &[kind.unique_attribute()]) {
            return Some(
                table
                    .unique
                    .get(&value.to_lowercase())
                    .cloned()
                    .into_iter()
                    .collect(),
            );
        }
        let member_path =
            is_path(segments, &["members"]) || is_path(segments, &["members", "value"]);
        if kind == Kind::Group && member_path && plain_id {
            let groups = self
                .member_of
                .get(value)
                .map(Vec::as_slice)
                .unwrap_or_default();
            return Some(groups.iter().map(|g| g.id.clone()).collect());
        }
        let groups_path = is_path(segments, &["groups"]) || is_path(segments, &["groups", "value"]);
        if kind == Kind::User && groups_path && plain_id {
            let members = self
                .groups
                .get(value)
                .map(|g| {
                    g.members
                        .iter()
                        .filter(|m| m.kind == Kind::User)
                        .map(|m| m.id.clone())
                        .collect()
                })
                .unwrap_or_default();
            return Some(members);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter;
    use crate::store::Store;
    use crate::test_support::obj;
    use serde_json::{Map, json};

    fn id(resource: &Map<String, Value>) -> String {
        resource
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn directory() -> (Store, Vec<String>, String) {
        let mut s = Store::new("http://x/scim/v2", Some(1));
        let users: Vec<String> = (0..5)
            .map(|i| {
                id(&s
                    .create(Kind::User, &obj(json!({"userName": format!("u{i}")})))
                    .expect("created"))
            })
            .collect();
        let g = s
            .create(
                Kind::Group,
                &obj(json!({"displayName": "G", "members": [{"value": users[1]}, {"value": users[3]}]})),
            )
            .expect("created");
        (s, users, id(&g))
    }

    fn names(resources: &[Map<String, Value>], key: &str) -> Vec<String> {
        resources
            .iter()
            .map(|r| r[key].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        for seq in [-3, 0, 1, 99_999] {
            assert_eq!(decode_cursor(&encode_cursor(seq)), Some(seq));
        }
        assert_eq!(decode_cursor("abc"), None);
        assert_eq!(decode_cursor("zzzzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn cursor_paging_walks_everything_once() {
        let (s, _, _) = directory();
        let mut position = Position::Cursor(None);
        let mut seen = Vec::new();
        loop {
            let page = s.list(&ListRequest {
                kind: Kind::User,
                filter: None,
                position,
                count: 2,
            });
            assert_eq!(page.total, 5);
            seen.extend(names(&s.render_page(Kind::User, &page, true), "userName"));
            match page.next_cursor {
                Some(c) => position = Position::Cursor(decode_cursor(&c)),
                None => break,
            }
        }
        assert_eq!(seen, ["u0", "u1", "u2", "u3", "u4"]);
    }

    #[test]
    fn indexed_filters_agree_with_the_scan() {
        let (s, users, g) = directory();
        let cases = [
            (Kind::Group, format!("members eq \"{}\"", users[1])),
            (Kind::Group, format!("members.value eq \"{}\"", users[3])),
            (Kind::Group, format!("members[value eq \"{}\"]", users[3])),
            (
                Kind::Group,
                format!("id eq \"{g}\" and members eq \"{}\"", users[1]),
            ),
            (
                Kind::Group,
                format!("id eq \"{g}\" and members eq \"{}\"", users[0]),
            ),
            (Kind::Group, "displayName eq \"g\"".to_owned()),
            (Kind::User, format!("groups.value eq \"{g}\"")),
            (
                Kind::User,
                "userName eq \"U2\" or userName eq \"u4\"".to_owned(),
            ),
            (
                Kind::User,
                "userName sw \"u\" and not (userName eq \"u0\")".to_owned(),
            ),
        ];
        for (kind, text) in cases {
            let f = filter::parse(&text).expect("parses");
            let request = ListRequest {
                kind,
                filter: Some(&f),
                position: Position::Index(1),
                count: 100,
            };
            let page = s.list(&request);
            let indexed = s.render_page(kind, &page, true);
            let scanned: Vec<Map<String, Value>> = s
                .table(kind)
                .in_order()
                .map(|(id, r)| s.render(kind, id, r, true))
                .filter(|r| f.matches(r))
                .collect();
            assert_eq!(indexed, scanned, "{text}");
            assert_eq!(page.total, scanned.len(), "{text}");
        }
    }

    #[test]
    fn mentions_finds_attributes_anywhere() {
        let f = filter::parse(r#"id eq "x" and not (members[value eq "y"])"#).expect("parses");
        assert!(mentions(&f, "members"));
        assert!(!mentions(&f, "displayName"));
    }
}
