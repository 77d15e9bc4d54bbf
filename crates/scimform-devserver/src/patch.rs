//! SCIM PATCH (RFC 7644 §3.5.2): parsing a `PatchOp` request body and applying its
//! operations to a resource's JSON object.
//!
//! Owns the meaning of `add`, `remove` and `replace` on plain paths, sub-attribute paths,
//! extension-URN paths and value-filter paths, and the "one primary value" rule for PATCH.
//! It must not validate the result against a schema, check uniqueness or resolve member
//! references: the store does that on the patched copy afterwards, so a PATCH is applied
//! completely or not at all.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{self, Filter, PatchPath, get_ci, key_ci};

/// The schema URN of a PATCH request body.
pub(crate) const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Add,
    Remove,
    Replace,
}

/// One parsed operation of a PATCH request.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Parses a PATCH request body: `schemas` (if present) must name the `PatchOp` schema;
/// `Operations` (any case) must be a non-empty array of `{op, path?, value?}`.
pub(crate) fn parse_request(body: &Map<String, Value>) -> Result<Vec<Operation>, ScimError> {
    if let Some(schemas) = get_ci(body, "schemas") {
        let ok = schemas.as_array().is_some_and(|list| {
            list.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
            })
        });
        if !ok {
            return Err(ScimError::invalid_syntax(format!(
                "a PATCH request's schemas must contain \"{PATCH_OP_SCHEMA}\""
            )));
        }
    }
    let operations = match get_ci(body, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => {
            return Err(ScimError::invalid_syntax("\"Operations\" is empty"));
        }
        Some(_) => return Err(ScimError::invalid_syntax("\"Operations\" must be an array")),
        None => return Err(ScimError::invalid_syntax("missing \"Operations\"")),
    };
    operations
        .iter()
        .enumerate()
        .map(|(i, op)| parse_operation(i, op))
        .collect()
}

fn parse_operation(index: usize, op: &Value) -> Result<Operation, ScimError> {
    let Value::Object(op) = op else {
        return Err(ScimError::invalid_syntax(format!(
            "Operations[{index}] must be an object"
        )));
    };
    let kind = match get_ci(op, "op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => OpKind::Add,
        Some(s) if s.eq_ignore_ascii_case("remove") => OpKind::Remove,
        Some(s) if s.eq_ignore_ascii_case("replace") => OpKind::Replace,
        Some(s) => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}]: \"{s}\" is not add, remove or replace"
            )));
        }
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}] has no \"op\" string"
            )));
        }
    };
    let path = match get_ci(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(filter::parse_patch_path(p).map_err(|e| {
            ScimError::invalid_path(format!("Operations[{index}]: path \"{p}\": {e}"))
        })?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}]: \"path\" must be a string"
            )));
        }
    };
    let value = get_ci(op, "value").cloned();
    if kind != OpKind::Remove && value.is_none() {
        return Err(ScimError::invalid_value(format!(
            "Operations[{index}]: {kind:?} needs a \"value\"",
        )));
    }
    if kind == OpKind::Remove && path.is_none() {
        return Err(ScimError::no_target(format!(
            "Operations[{index}]: remove needs a \"path\""
        )));
    }
    Ok(Operation {
        op: kind,
        path,
        value,
    })
}

/// Applies `ops` in order to `resource`. `read_only` lists top-level attributes that a
/// PATCH may not touch (lower-case compared); touching one is a `mutability` error.
pub(crate) fn apply(
    resource: &mut Map<String, Value>,
    ops: &[Operation],
    read_only: &[&str],
) -> Result<(), ScimError> {
    for op in ops {
        let before = resource.clone();
        apply_one(resource, op, read_only)?;
        enforce_single_primary(&before, resource);
    }
    Ok(())
}

fn apply_one(
    resource: &mut Map<String, Value>,
    op: &Operation,
    read_only: &[&str],
) -> Result<(), ScimError> {
    if let Some(path) = &op.path {
        check_writable(path, read_only)?;
        return apply_at(resource, op.op, path, op.value.as_ref());
    }
    // No path: the value is an object of attributes (keys may themselves be paths,
    // such as "name.givenName" or an extension URN).
    let Some(Value::Object(attrs)) = &op.value else {
        return Err(ScimError::invalid_value(
            "an operation without a path needs an object value",
        ));
    };
    for (key, value) in attrs {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let path = filter::parse_patch_path(key)
            .map_err(|e| ScimError::invalid_path(format!("attribute \"{key}\": {e}")))?;
        check_writable(&path, read_only)?;
        apply_at(resource, op.op, &path, Some(value))?;
    }
    Ok(())
}

fn check_writable(path: &PatchPath, read_only: &[&str]) -> Result<(), ScimError> {
    match path.attr.segments.first() {
        Some(first) if read_only.iter().any(|r| first.eq_ignore_ascii_case(r)) => Err(
            ScimError::mutability(format!("\"{first}\" is read-only and cannot be patched")),
        ),
        _ => Ok(()),
    }
}

fn apply_at(
    resource: &mut Map<String, Value>,
    op: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let Some((last, parents)) = path.attr.segments.split_last() else {
        return Err(ScimError::invalid_path("the path is empty"));
    };
    let create = op != OpKind::Remove;
    let mut parent = resource;
    for segment in parents {
        match descend(parent, segment, create)? {
            Some(next) => parent = next,
            None => return Ok(()), // removing below an absent attribute: nothing to do
        }
    }
    match (&path.filter, op, value) {
        (Some(f), _, _) => apply_filtered(parent, last, f, path.sub.as_deref(), op, value),
        (None, OpKind::Remove, value) => {
            remove_plain(parent, last, value);
            Ok(())
        }
        (None, OpKind::Add, Some(value)) => {
            add_value(parent, last, value.clone());
            Ok(())
        }
        (None, OpKind::Replace, Some(value)) => {
            replace_value(parent, last, value.clone());
            Ok(())
        }
        (None, _, None) => Err(ScimError::invalid_value("the operation needs a \"value\"")),
    }
}

/// The complex attribute `segment` of `obj`, created when absent and `create`.
fn descend<'a>(
    obj: &'a mut Map<String, Value>,
    segment: &str,
    create: bool,
) -> Result<Option<&'a mut Map<String, Value>>, ScimError> {
    let key = match key_ci(obj, segment) {
        Some(key) => key,
        None if create => {
            obj.insert(segment.to_owned(), Value::Object(Map::new()));
            segment.to_owned()
        }
        None => return Ok(None),
    };
    let Some(slot) = obj.get_mut(&key) else {
        return Ok(None);
    };
    if slot.is_null() {
        if !create {
            return Ok(None);
        }
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => Ok(Some(map)),
        Value::Array(_) => Err(ScimError::invalid_path(format!(
            "\"{segment}\" is multi-valued: select values with a filter, e.g. {segment}[value eq \"...\"]"
        ))),
        _ => Err(ScimError::invalid_path(format!(
            "\"{segment}\" has no sub-attributes"
        ))),
    }
}

/// RFC 7644 `add`: multi-valued attributes gain the new values (no duplicates), complex
/// attributes gain or overwrite the given sub-attributes, anything else is set.
fn add_value(parent: &mut Map<String, Value>, key: &str, value: Value) {
    let existing = key_ci(parent, key);
    match (existing.as_deref().and_then(|k| parent.get_mut(k)), value) {
        (Some(Value::Array(items)), Value::Array(new)) => {
            for item in new {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
        }
        (Some(Value::Array(items)), item @ Value::Object(_)) => {
            if !items.contains(&item) {
                items.push(item);
            }
        }
        (Some(Value::Object(map)), Value::Object(new)) => {
            for (k, v) in new {
                add_value(map, &k, v);
            }
        }
        (Some(slot), value) => *slot = value,
        (None, Value::Array(new)) => {
            let mut items: Vec<Value> = Vec::with_capacity(new.len());
            for item in new {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            parent.insert(key.to_owned(), Value::Array(items));
        }
        (None, value) => {
            parent.insert(key.to_owned(), value);
        }
    }
}

/// RFC 7644 `replace`: complex attributes get the given sub-attributes replaced (others
/// kept); multi-valued and simple attributes are replaced as a whole.
fn replace_value(parent: &mut Map<String, Value>, key: &str, value: Value) {
    let existing = key_ci(parent, key);
    match (existing.as_deref().and_then(|k| parent.get_mut(k)), value) {
        (Some(Value::Object(map)), Value::Object(new)) => {
            for (k, v) in new {
                replace_value(map, &k, v);
            }
        }
        (Some(slot @ Value::Array(_)), item @ Value::Object(_)) => *slot = Value::Array(vec![item]),
        (Some(slot), value) => *slot = value,
        (None, value) => {
            parent.insert(key.to_owned(), value);
        }
    }
}

/// RFC 7644 `remove` without a filter: the attribute goes, or — when a value list is
/// given for a multi-valued attribute — just those values (matched by `value`).
fn remove_plain(parent: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    let Some(key) = key_ci(parent, key) else {
        return;
    };
    if let (Some(Value::Array(items)), Some(targets)) = (parent.get_mut(&key), value) {
        let targets: Vec<&Value> = match targets {
            Value::Array(list) => list.iter().collect(),
            other => vec![other],
        };
        items.retain(|item| !targets.iter().any(|t| same_value(item, t)));
        if !items.is_empty() {
            return;
        }
    }
    parent.shift_remove(&key);
}

/// Whether `item` is the value `target` names: by `value` when `target` has one, else equal.
fn same_value(item: &Value, target: &Value) -> bool {
    match (item, target) {
        (Value::Object(item), Value::Object(target)) => match get_ci(target, "value") {
            Some(want) => get_ci(item, "value") == Some(want),
            None => item == target,
        },
        (Value::Object(item), Value::String(_)) => get_ci(item, "value") == Some(target),
        _ => item == target,
    }
}

fn apply_filtered(
    parent: &mut Map<String, Value>,
    key: &str,
    filter: &Filter,
    sub: Option<&str>,
    op: OpKind,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let existing = key_ci(parent, key);
    let key = match existing {
        Some(k) => k,
        None if op == OpKind::Remove => return Ok(()),
        None => {
            parent.insert(key.to_owned(), Value::Array(Vec::new()));
            key.to_owned()
        }
    };
    let Some(slot) = parent.get_mut(&key) else {
        return Ok(());
    };
    if slot.is_null() {
        if op == OpKind::Remove {
            return Ok(());
        }
        *slot = Value::Array(Vec::new());
    }
    let Value::Array(items) = slot else {
        return Err(ScimError::invalid_path(format!(
            "\"{key}\" is not multi-valued, so it cannot take a filter"
        )));
    };
    let matched: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.as_object().is_some_and(|o| filter.matches(o)))
        .map(|(i, _)| i)
        .collect();

    if op == OpKind::Remove {
        match sub {
            None => {
                let mut index = 0;
                items.retain(|_| {
                    let keep = !matched.contains(&index);
                    index += 1;
                    keep
                });
            }
            Some(sub) => {
                for i in &matched {
                    if let Some(obj) = items.get_mut(*i).and_then(Value::as_object_mut)
                        && let Some(k) = key_ci(obj, sub)
                    {
                        obj.shift_remove(&k);
                    }
                }
            }
        }
        if items.is_empty() {
            parent.shift_remove(&key);
        }
        return Ok(());
    }

    let Some(value) = value else {
        return Err(ScimError::invalid_value("the operation needs a \"value\""));
    };
    if sub.is_none() && !value.is_object() {
        return Err(ScimError::invalid_value(format!(
            "a value for \"{key}[...]\" must be an object of sub-attributes"
        )));
    }
    if matched.is_empty() {
        // Nothing matches: when the filter pins sub-attributes by equality
        // (emails[type eq "work"]), create that value, as identity providers expect.
        let Some(mut seed) = equality_seed(filter) else {
            return Err(ScimError::no_target(format!(
                "no value of \"{key}\" matches the filter"
            )));
        };
        merge_into(&mut seed, sub, value);
        items.push(Value::Object(seed));
        return Ok(());
    }
    for i in matched {
        if let Some(obj) = items.get_mut(i).and_then(Value::as_object_mut) {
            merge_into(obj, sub, value);
        }
    }
    Ok(())
}

/// Sets `sub` to `value` in `obj`, or — without `sub` — replaces `value`'s sub-attributes.
fn merge_into(obj: &mut Map<String, Value>, sub: Option<&str>, value: &Value) {
    match (sub, value) {
        (Some(sub), value) => replace_value(obj, sub, value.clone()),
        (None, Value::Object(new)) => {
            for (k, v) in new {
                replace_value(obj, k, v.clone());
            }
        }
        (None, _) => {}
    }
}

/// `type eq "work" and primary eq true` → `{"type": "work", "primary": true}`.
fn equality_seed(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(path, filter::CompareOp::Eq, value) if !value.is_null() => {
            match path.segments.as_slice() {
                [name] => {
                    let mut seed = Map::new();
                    seed.insert(name.clone(), value.clone());
                    Some(seed)
                }
                _ => None,
            }
        }
        Filter::And(a, b) => {
            let mut seed = equality_seed(a)?;
            seed.extend(equality_seed(b)?);
            Some(seed)
        }
        _ => None,
    }
}

/// RFC 7644 §3.5.2: setting `primary` to true on one value of a multi-valued attribute
/// sets it to false on the others. Values that were primary before lose it.
fn enforce_single_primary(before: &Map<String, Value>, after: &mut Map<String, Value>) {
    for (key, value) in after.iter_mut() {
        let Value::Array(items) = value else {
            continue;
        };
        let is_primary = |v: &Value| {
            v.as_object()
                .and_then(|o| get_ci(o, "primary"))
                .is_some_and(|p| p == &Value::Bool(true))
        };
        let primaries: Vec<usize> = (0..items.len())
            .filter(|&i| items.get(i).is_some_and(is_primary))
            .collect();
        if primaries.len() < 2 {
            continue;
        }
        let old: Vec<&Value> = match before.get(key) {
            Some(Value::Array(old)) => old.iter().filter(|v| is_primary(v)).collect(),
            _ => Vec::new(),
        };
        let newest = primaries
            .iter()
            .rev()
            .copied()
            .find(|&i| items.get(i).is_some_and(|v| !old.contains(&v)));
        let Some(keep) = newest else {
            continue;
        };
        for i in primaries {
            if i == keep {
                continue;
            }
            if let Some(obj) = items.get_mut(i).and_then(Value::as_object_mut)
                && let Some(k) = key_ci(obj, "primary")
            {
                obj.insert(k, Value::Bool(false));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const READ_ONLY: &[&str] = &["id", "meta", "schemas", "groups"];

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn patch(resource: Value, ops: Value) -> Result<Value, ScimError> {
        let mut resource = obj(resource);
        let mut body = obj(json!({ "schemas": [PATCH_OP_SCHEMA] }));
        body.insert("Operations".to_owned(), ops);
        let ops = parse_request(&body)?;
        apply(&mut resource, &ops, READ_ONLY)?;
        Ok(Value::Object(resource))
    }

    fn ok(resource: Value, ops: Value) -> Value {
        match patch(resource, ops) {
            Ok(v) => v,
            Err(e) => panic!("patch failed: {e}"),
        }
    }

    fn group() -> Value {
        json!({"displayName": "eng", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]})
    }

    #[test]
    fn replace_simple_and_sub_attributes() {
        let out = ok(
            json!({"userName": "a", "active": true, "name": {"givenName": "A", "familyName": "Z"}}),
            json!([
                {"op": "Replace", "path": "active", "value": false},
                {"op": "replace", "path": "name.givenName", "value": "Alice"},
                {"op": "REPLACE", "path": "displayName", "value": "Alice Z"}
            ]),
        );
        assert_eq!(
            out,
            json!({"userName": "a", "active": false, "name": {"givenName": "Alice", "familyName": "Z"}, "displayName": "Alice Z"})
        );
    }

    #[test]
    fn attribute_names_in_paths_are_case_insensitive() {
        let out = ok(
            json!({"userName": "a", "displayName": "x"}),
            json!([{"op": "replace", "path": "DISPLAYNAME", "value": "y"}]),
        );
        assert_eq!(out, json!({"userName": "a", "displayName": "y"}));
    }

    #[test]
    fn lowercase_operations_key_is_accepted() {
        let mut resource = obj(json!({"userName": "a"}));
        let body = obj(json!({"operations": [{"op": "add", "path": "title", "value": "Dr"}]}));
        let ops = parse_request(&body).expect("parses");
        apply(&mut resource, &ops, READ_ONLY).expect("applies");
        assert_eq!(
            Value::Object(resource),
            json!({"userName": "a", "title": "Dr"})
        );
    }

    #[test]
    fn extension_urn_paths() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let out = ok(
            json!({"userName": "a"}),
            json!([
                {"op": "add", "path": format!("{urn}:department"), "value": "Eng"},
                {"op": "add", "path": format!("{urn}:manager.value"), "value": "boss"}
            ]),
        );
        assert_eq!(
            out,
            json!({"userName": "a", urn: {"department": "Eng", "manager": {"value": "boss"}}})
        );
        let out = ok(
            out,
            json!([{"op": "remove", "path": format!("{urn}:department")}]),
        );
        assert_eq!(
            out,
            json!({"userName": "a", urn: {"manager": {"value": "boss"}}})
        );
    }

    #[test]
    fn no_path_value_object_adds_and_replaces() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let out = ok(
            json!({"userName": "a", "name": {"familyName": "Z"}}),
            json!([
                {"op": "replace", "value": {"displayName": "A", "name.givenName": "Al", urn: {"department": "Ops"}}},
                {"op": "add", "value": {"name": {"middleName": "M"}, "active": false}}
            ]),
        );
        assert_eq!(
            out,
            json!({
                "userName": "a",
                "name": {"familyName": "Z", "givenName": "Al", "middleName": "M"},
                "displayName": "A",
                urn: {"department": "Ops"},
                "active": false
            })
        );
    }

    #[test]
    fn members_add_skips_duplicates() {
        let out = ok(
            group(),
            json!([{"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "u4"}, {"value": "u4"}]}]),
        );
        assert_eq!(
            out["members"],
            json!([{"value": "u1"}, {"value": "u2"}, {"value": "u3"}, {"value": "u4"}])
        );
    }

    #[test]
    fn members_add_to_group_without_members() {
        let out = ok(
            json!({"displayName": "empty"}),
            json!([{"op": "add", "path": "members", "value": [{"value": "u1"}]}]),
        );
        assert_eq!(out["members"], json!([{"value": "u1"}]));
    }

    #[test]
    fn members_remove_by_filter_path() {
        let out = ok(
            group(),
            json!([{"op": "remove", "path": "members[value eq \"u2\"]"}]),
        );
        assert_eq!(out["members"], json!([{"value": "u1"}, {"value": "u3"}]));
    }

    #[test]
    fn members_remove_by_value_list() {
        let out = ok(
            group(),
            json!([{"op": "remove", "path": "members", "value": [{"value": "u1"}, {"value": "u3"}]}]),
        );
        assert_eq!(out["members"], json!([{"value": "u2"}]));
    }

    #[test]
    fn members_remove_without_value_removes_all() {
        let out = ok(group(), json!([{"op": "remove", "path": "members"}]));
        assert_eq!(out, json!({"displayName": "eng"}));
    }

    #[test]
    fn removing_the_last_member_drops_the_attribute() {
        let out = ok(
            json!({"displayName": "g", "members": [{"value": "u1"}]}),
            json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]),
        );
        assert_eq!(out, json!({"displayName": "g"}));
    }

    #[test]
    fn members_replace_replaces_the_list() {
        let out = ok(
            group(),
            json!([{"op": "replace", "path": "members", "value": [{"value": "u9"}]}]),
        );
        assert_eq!(out["members"], json!([{"value": "u9"}]));
    }

    #[test]
    fn filtered_sub_attribute_replace() {
        let out = ok(
            json!({"userName": "a", "emails": [{"value": "a@work", "type": "work"}, {"value": "a@home", "type": "home"}]}),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@work"}]),
        );
        assert_eq!(
            out["emails"],
            json!([{"value": "new@work", "type": "work"}, {"value": "a@home", "type": "home"}])
        );
    }

    #[test]
    fn filtered_add_creates_the_value_when_absent() {
        let out = ok(
            json!({"userName": "a"}),
            json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": "a@work"}]),
        );
        assert_eq!(out["emails"], json!([{"type": "work", "value": "a@work"}]));
    }

    #[test]
    fn filtered_replace_without_match_and_no_equality_is_no_target() {
        let err = patch(
            json!({"userName": "a", "emails": [{"value": "x", "type": "home"}]}),
            json!([{"op": "replace", "path": "emails[type sw \"wo\"].value", "value": "y"}]),
        )
        .expect_err("no target");
        assert_eq!(err.scim_type, Some("noTarget"));
    }

    #[test]
    fn new_primary_clears_the_old_one() {
        let out = ok(
            json!({"userName": "a", "emails": [{"value": "old", "primary": true}]}),
            json!([{"op": "add", "path": "emails", "value": [{"value": "new", "primary": true}]}]),
        );
        assert_eq!(
            out["emails"],
            json!([{"value": "old", "primary": false}, {"value": "new", "primary": true}])
        );
    }

    #[test]
    fn read_only_attributes_are_refused() {
        let err = patch(
            json!({"userName": "a"}),
            json!([{"op": "replace", "path": "id", "value": "x"}]),
        )
        .expect_err("read-only");
        assert_eq!(err.scim_type, Some("mutability"));
        let err = patch(
            json!({"userName": "a"}),
            json!([{"op": "replace", "value": {"meta": {}}}]),
        )
        .expect_err("read-only");
        assert_eq!(err.scim_type, Some("mutability"));
    }

    #[test]
    fn malformed_requests_are_errors() {
        let cases = [
            json!({"Operations": []}),
            json!({"Operations": {}}),
            json!({}),
            json!({"schemas": ["urn:wrong"], "Operations": [{"op": "add", "path": "a", "value": 1}]}),
            json!({"Operations": [{"op": "move", "path": "a"}]}),
            json!({"Operations": [{"op": "add", "path": "a"}]}),
            json!({"Operations": [{"op": "remove"}]}),
            json!({"Operations": [{"op": "add", "path": "a[", "value": 1}]}),
            json!({"Operations": [{"op": "add", "path": 7, "value": 1}]}),
            json!({"Operations": ["add"]}),
        ];
        for body in cases {
            assert!(
                parse_request(&obj(body.clone())).is_err(),
                "{body} should fail"
            );
        }
        let err = patch(
            json!({"userName": "a"}),
            json!([{"op": "add", "value": "x"}]),
        )
        .expect_err("needs object");
        assert_eq!(err.scim_type, Some("invalidValue"));
    }

    #[test]
    fn paths_through_multi_valued_attributes_need_a_filter() {
        let err = patch(
            json!({"userName": "a", "emails": [{"value": "x"}]}),
            json!([{"op": "replace", "path": "emails.value", "value": "y"}]),
        )
        .expect_err("ambiguous");
        assert_eq!(err.scim_type, Some("invalidPath"));
    }

    #[test]
    fn remove_of_absent_things_is_a_no_op() {
        let out = ok(
            json!({"userName": "a"}),
            json!([
                {"op": "remove", "path": "title"},
                {"op": "remove", "path": "name.givenName"},
                {"op": "remove", "path": "emails[type eq \"work\"]"}
            ]),
        );
        assert_eq!(out, json!({"userName": "a"}));
    }
}
