//! Group members: resolving member references from request bodies to existing users and
//! groups, and the fast path for PATCH requests that only add, remove or replace members
//! (so a change to a group of 100,000 members does not render and re-parse all of them).
//!
//! Owns the `Member` type and the rules a member must satisfy (an existing User or Group,
//! not the group itself, a claimed `type` that matches, no duplicates). It must give the
//! same result as the general PATCH path in `patch`; anything it does not recognise it
//! leaves to that path.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{CompareOp, Filter, PatchPath};
use super::patch::{OpKind, Operation};
use super::schema::Kind;
use super::store::Store;

/// One direct member of a group, with its name (userName or displayName) kept at hand
/// for `display`, so rendering a large group looks nothing up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub id: Arc<str>,
    pub kind: Kind,
    pub name: Arc<str>,
}

/// One group a resource is a direct member of, with the group's listing position and
/// name kept at hand for a user's `groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupRef {
    pub seq: i64,
    pub id: Arc<str>,
    pub name: Arc<str>,
}

/// A member reference as a request gives it: the id and the claimed `type`, if any.
type Reference<'a> = (&'a str, Option<&'a str>);

/// A PATCH operation that touches only `members`, in a form the fast path handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MemberOp<'a> {
    Add(Vec<Reference<'a>>),
    Remove(Vec<&'a str>),
    Replace(Vec<Reference<'a>>),
    Clear,
}

/// Sub-attributes a member object in a request may carry.
const MEMBER_KEYS: [&str; 4] = ["value", "type", "display", "$ref"];

/// The operations as member operations, when every one of them is a plain member
/// add/remove/replace; `None` sends the request down the general path.
pub(crate) fn simple_ops(ops: &[Operation]) -> Option<Vec<MemberOp<'_>>> {
    ops.iter().map(simple_op).collect()
}

fn simple_op(op: &Operation) -> Option<MemberOp<'_>> {
    let path = op.path.as_ref()?;
    if !is_members(path) || path.sub.is_some() {
        return None;
    }
    match (op.op, &path.filter, &op.value) {
        (OpKind::Add, None, Some(value)) => Some(MemberOp::Add(references(value)?)),
        (OpKind::Replace, None, Some(value)) => Some(MemberOp::Replace(references(value)?)),
        (OpKind::Remove, None, None) => Some(MemberOp::Clear),
        (OpKind::Remove, None, Some(value)) => Some(MemberOp::Remove(
            references(value)?.into_iter().map(|(id, _)| id).collect(),
        )),
        (OpKind::Remove, Some(filter), None) => Some(MemberOp::Remove(vec![value_eq(filter)?])),
        _ => None,
    }
}

/// Whether a PATCH path is `members` (with or without a filter).
pub(crate) fn is_members(path: &PatchPath) -> bool {
    matches!(path.attr.segments.as_slice(), [one] if one.eq_ignore_ascii_case("members"))
}

/// `value eq "ID"` → `ID`.
pub(crate) fn value_eq(filter: &Filter) -> Option<&str> {
    match filter {
        Filter::Compare(path, CompareOp::Eq, Value::String(id)) if matches!(path.segments.as_slice(), [one] if one.eq_ignore_ascii_case("value")) => {
            Some(id)
        }
        _ => None,
    }
}

/// `[{"value": ID, "type": T}, ...]` or one such object, with nothing else in them.
fn references(value: &Value) -> Option<Vec<Reference<'_>>> {
    match value {
        Value::Array(items) => items.iter().map(reference).collect(),
        item @ Value::Object(_) => Some(vec![reference(item)?]),
        _ => None,
    }
}

/// `{"value": ID, "type": T}` (plus `display`/`$ref`, ignored).
fn reference(item: &Value) -> Option<Reference<'_>> {
    let map = item.as_object()?;
    if !map
        .keys()
        .all(|k| MEMBER_KEYS.iter().any(|m| k.eq_ignore_ascii_case(m)))
    {
        return None;
    }
    let get = |name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let id = get("value")?.as_str()?;
    let claimed = match get("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(_) => return None,
    };
    Some((id, claimed))
}

impl Store {
    /// One member reference checked against the directory.
    fn resolve_one(
        &self,
        own_id: Option<&str>,
        id: &str,
        claimed: Option<&str>,
    ) -> Result<Member, ScimError> {
        if Some(id) == own_id {
            return Err(ScimError::invalid_value(format!(
                "group \"{id}\" cannot be a member of itself"
            )));
        }
        let found = [Kind::User, Kind::Group].into_iter().find_map(|kind| {
            let (shared, record) = self.table(kind).rows.get_key_value(id)?;
            Some(Member {
                id: shared.clone(),
                kind,
                name: record.name.clone(),
            })
        });
        let Some(member) = found else {
            return Err(ScimError::invalid_value(format!(
                "member \"{id}\" is not the id of an existing User or Group"
            )));
        };
        if let Some(claimed) = claimed
            && !claimed.eq_ignore_ascii_case(member.kind.name())
        {
            return Err(ScimError::invalid_value(format!(
                "member \"{id}\" is a {}, not a {claimed}",
                member.kind.name()
            )));
        }
        Ok(member)
    }

    /// For groups: takes the (normalised) `members` out of `attrs` and resolves every one
    /// to an existing user or group, without duplicates. Other kinds pass through.
    pub(crate) fn resolve_members(
        &self,
        kind: Kind,
        own_id: Option<&str>,
        mut attrs: Map<String, Value>,
    ) -> Result<(Map<String, Value>, Vec<Member>), ScimError> {
        if kind != Kind::Group {
            return Ok((attrs, Vec::new()));
        }
        let Some(Value::Array(list)) = attrs.shift_remove("members") else {
            return Ok((attrs, Vec::new()));
        };
        let mut seen = HashSet::new();
        let mut resolved = Vec::with_capacity(list.len());
        for item in &list {
            let Some(id) = item.get("value").and_then(Value::as_str) else {
                return Err(ScimError::invalid_value(
                    "every member needs a \"value\": the id of a User or Group",
                ));
            };
            let claimed = item.get("type").and_then(Value::as_str);
            let member = self.resolve_one(own_id, id, claimed)?;
            if seen.insert(member.id.clone()) {
                resolved.push(member);
            }
        }
        Ok((attrs, resolved))
    }

    /// The members of group `group_id` after `ops`, starting from `current`.
    pub(crate) fn apply_member_ops(
        &self,
        group_id: &str,
        current: &[Member],
        ops: &[MemberOp<'_>],
    ) -> Result<Vec<Member>, ScimError> {
        let mut list = current.to_vec();
        let mut present: HashSet<Arc<str>> = list.iter().map(|m| m.id.clone()).collect();
        for op in ops {
            match op {
                MemberOp::Add(refs) => {
                    for (id, claimed) in refs {
                        let member = self.resolve_one(Some(group_id), id, *claimed)?;
                        if present.insert(member.id.clone()) {
                            list.push(member);
                        }
                    }
                }
                MemberOp::Replace(refs) => {
                    list.clear();
                    present.clear();
                    for (id, claimed) in refs {
                        let member = self.resolve_one(Some(group_id), id, *claimed)?;
                        if present.insert(member.id.clone()) {
                            list.push(member);
                        }
                    }
                }
                MemberOp::Remove(ids) => {
                    let gone: HashSet<&str> = ids.iter().copied().collect();
                    list.retain(|m| !gone.contains(&*m.id));
                    present.retain(|id| !gone.contains(&**id));
                }
                MemberOp::Clear => {
                    list.clear();
                    present.clear();
                }
            }
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_request;
    use serde_json::json;

    fn ops(value: Value) -> Vec<Operation> {
        let mut body = Map::new();
        body.insert("Operations".to_owned(), value);
        parse_request(&body).expect("parses")
    }

    #[test]
    fn recognises_the_plain_member_forms() {
        let o = ops(json!([
            {"op": "add", "path": "members", "value": [{"value": "u1", "type": "User"}]},
            {"op": "remove", "path": "members[value eq \"u2\"]"},
            {"op": "Remove", "path": "Members", "value": [{"value": "u3"}]},
            {"op": "replace", "path": "members", "value": {"value": "u4", "display": "x"}},
            {"op": "remove", "path": "members"}
        ]));
        assert_eq!(
            simple_ops(&o),
            Some(vec![
                MemberOp::Add(vec![("u1", Some("User"))]),
                MemberOp::Remove(vec!["u2"]),
                MemberOp::Remove(vec!["u3"]),
                MemberOp::Replace(vec![("u4", None)]),
                MemberOp::Clear,
            ])
        );
    }

    #[test]
    fn anything_else_takes_the_general_path() {
        for value in [
            json!([{"op": "replace", "path": "displayName", "value": "x"}]),
            json!([{"op": "add", "value": {"members": [{"value": "u1"}]}}]),
            json!([{"op": "remove", "path": "members[value sw \"u\"]"}]),
            json!([{"op": "add", "path": "members", "value": [{"value": "u1", "extra": 1}]}]),
            json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]),
            json!([{"op": "replace", "path": "members[value eq \"u\"].display", "value": "x"}]),
        ] {
            assert_eq!(simple_ops(&ops(value.clone())), None, "{value}");
        }
    }
}
