//! Comparing declared attributes with a live resource, on the declared fields only.
//!
//! Rules: simple attributes compare exactly (booleans also when the server sends them as
//! strings); complex attributes (`name`) compare each declared sub-attribute; multi-valued
//! attributes (`emails`) compare as sets, an email's `value` case-insensitively and its
//! `type`/`primary` only where declared; an explicit empty list means "none". Live
//! attributes the YAML does not mention are never looked at. Pure functions, no I/O.

use serde_json::{Map, Value};

use super::change::AttributeChange;
use crate::config::{AttributeValue, Attributes, Fields, Items, PackedValue};
use crate::live::json_view::{self, Json};
use crate::scim::{as_bool, attribute};

/// The changes that make `live` show the `declared` attributes, one per top-level
/// attribute that differs, in the declared order.
pub fn attribute_changes(declared: &Attributes, live: &Value) -> Vec<AttributeChange> {
    let empty = Map::new();
    let live = live.as_object().unwrap_or(&empty);
    let mut changes = Vec::new();
    for (path, wanted) in declared {
        let current = attribute(live, path);
        let change = match wanted {
            AttributeValue::Object(subs) => complex_change(subs, current),
            AttributeValue::Array(items) => {
                (!multi_valued_equal(items, current)).then(|| PackedValue::from(wanted))
            }
            _ => (!simple_equal(wanted, current)).then(|| PackedValue::from(wanted)),
        };
        if let Some(new) = change {
            changes.push(AttributeChange {
                path: path.to_string(),
                old: current.map(PackedValue::from_value),
                new,
            });
        }
    }
    changes
}

/// For a complex attribute: `None` when every declared sub-attribute matches, otherwise
/// the live value with the declared sub-attributes laid over it.
fn complex_change(wanted: Fields<'_>, current: Option<&Value>) -> Option<PackedValue> {
    let empty = Map::new();
    let live = current.and_then(Value::as_object).unwrap_or(&empty);
    let differs = wanted
        .into_iter()
        .any(|(key, value)| !simple_equal(value, attribute(live, key)));
    if !differs {
        return None;
    }
    let mut merged = Map::new();
    for (key, value) in live {
        if !wanted.into_iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            merged.insert(key.clone(), value.clone());
        }
    }
    for (key, value) in wanted {
        merged.insert(key.to_string(), value.to_value());
    }
    Some(PackedValue::from(Value::Object(merged)))
}

/// A simple (single-valued, non-complex) attribute.
fn simple_equal(wanted: AttributeValue<'_>, current: Option<&Value>) -> bool {
    match (wanted, current) {
        (AttributeValue::Bool(w), Some(c)) => as_bool(c) == Some(w),
        (w, Some(c)) => w.equals(c),
        (_, None) => false,
    }
}

/// A multi-valued attribute of complex values with a `value` sub-attribute.
fn multi_valued_equal(wanted: Items<'_>, current: Option<&Value>) -> bool {
    let live: &[Value] = match current {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(_) => return false,
    };
    same_set(wanted, live, entry_matches)
}

/// Whether every wanted item matches its own live item, and there are no others.
fn same_set<L>(
    wanted: Items<'_>,
    live: &[L],
    matches: impl Fn(AttributeValue<'_>, &L) -> bool,
) -> bool {
    if live.len() != wanted.len() {
        return false;
    }
    let mut used = vec![false; live.len()];
    wanted.into_iter().all(|w| {
        let found = live
            .iter()
            .enumerate()
            .position(|(i, l)| !used[i] && matches(w, l));
        match found {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

fn entry_matches(wanted: AttributeValue<'_>, live: &Value) -> bool {
    let (AttributeValue::Object(wanted), Some(live)) = (wanted, live.as_object()) else {
        return wanted.equals(live);
    };
    wanted.into_iter().all(|(key, value)| {
        let current = attribute(live, key);
        match (key, value) {
            ("value" | "type", AttributeValue::String(w)) => current
                .and_then(Value::as_str)
                .is_some_and(|c| c.eq_ignore_ascii_case(w)),
            ("primary", AttributeValue::Bool(w)) => current.and_then(as_bool).unwrap_or(false) == w,
            _ => simple_equal(value, current),
        }
    })
}

/// Whether `live` (a resource read as a [`Json`] view) already shows every `declared`
/// attribute: true only when [`attribute_changes`] on the same resource finds none, so
/// that a diff of a hundred thousand unchanged users need not build a JSON tree for
/// each. False may also mean "not sure" (a number, a key given twice): the caller then
/// runs the full comparison, which decides.
pub(super) fn unchanged(declared: &Attributes, live: &Json<'_>) -> bool {
    let Some(live) = live.as_object() else {
        return false;
    };
    declared.into_iter().all(|(path, wanted)| {
        let current = json_view::attribute(live, path);
        match wanted {
            AttributeValue::Object(subs) => {
                let live = current.and_then(Json::as_object).unwrap_or_default();
                subs.into_iter()
                    .all(|(key, value)| view_simple_equal(value, json_view::attribute(live, key)))
            }
            AttributeValue::Array(items) => view_multi_valued_equal(items, current),
            _ => view_simple_equal(wanted, current),
        }
    })
}

/// [`simple_equal`] on a view (false where unsure).
fn view_simple_equal(wanted: AttributeValue<'_>, current: Option<&Json<'_>>) -> bool {
    match (wanted, current) {
        (AttributeValue::Bool(w), Some(c)) => c.as_bool() == Some(w),
        (w, Some(c)) => view_equals(w, c),
        (_, None) => false,
    }
}

/// [`AttributeValue::equals`] on a view (false where unsure: numbers, and objects that
/// give a key twice).
fn view_equals(wanted: AttributeValue<'_>, live: &Json<'_>) -> bool {
    match (wanted, live) {
        (AttributeValue::Null, Json::Null) => true,
        (AttributeValue::Bool(a), Json::Bool(b)) => a == *b,
        (AttributeValue::String(a), Json::Str(b)) => a == b,
        (AttributeValue::Array(items), Json::Array(values)) => {
            items.len() == values.len()
                && items
                    .into_iter()
                    .zip(values)
                    .all(|(item, value)| view_equals(item, value))
        }
        (AttributeValue::Object(fields), Json::Object(pairs)) => {
            let distinct = pairs
                .iter()
                .enumerate()
                .all(|(i, (key, _))| pairs[..i].iter().all(|(k, _)| k != key));
            distinct
                && fields.len() == pairs.len()
                && fields.into_iter().all(|(key, item)| {
                    pairs
                        .iter()
                        .find(|(k, _)| k == key)
                        .is_some_and(|(_, value)| view_equals(item, value))
                })
        }
        _ => false,
    }
}

/// [`multi_valued_equal`] on a view.
fn view_multi_valued_equal(wanted: Items<'_>, current: Option<&Json<'_>>) -> bool {
    let live: &[Json<'_>] = match current {
        None => &[],
        Some(Json::Array(items)) => items,
        Some(_) => return false,
    };
    same_set(wanted, live, view_entry_matches)
}

/// [`entry_matches`] on a view.
fn view_entry_matches(wanted: AttributeValue<'_>, live: &Json<'_>) -> bool {
    let (AttributeValue::Object(wanted), Some(live)) = (wanted, live.as_object()) else {
        return view_equals(wanted, live);
    };
    wanted.into_iter().all(|(key, value)| {
        let current = json_view::attribute(live, key);
        match (key, value) {
            ("value" | "type", AttributeValue::String(w)) => current
                .and_then(Json::as_str)
                .is_some_and(|c| c.eq_ignore_ascii_case(w)),
            ("primary", AttributeValue::Bool(w)) => {
                current.and_then(Json::as_bool).unwrap_or(false) == w
            }
            _ => view_simple_equal(value, current),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)] // called with json!(…) literals
    fn declared(value: Value) -> Attributes {
        Attributes::from_map(value.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn undeclared_attributes_are_not_compared() {
        let changes = attribute_changes(
            &declared(json!({"displayName": "Alice"})),
            &json!({"displayName": "Alice", "title": "CTO", "nickName": "al"}),
        );
        assert!(changes.is_empty());
    }

    #[test]
    fn a_changed_string_is_a_change() {
        let changes = attribute_changes(
            &declared(json!({"displayName": "Alice Ng"})),
            &json!({"displayName": "Alice"}),
        );
        assert_eq!(
            changes,
            vec![AttributeChange {
                path: "displayName".into(),
                old: Some(json!("Alice").into()),
                new: json!("Alice Ng").into()
            }]
        );
    }

    #[test]
    fn booleans_sent_as_strings_compare_equal() {
        let changes = attribute_changes(
            &declared(json!({"active": false})),
            &json!({"active": "False"}),
        );
        assert!(changes.is_empty());
    }

    #[test]
    fn complex_attributes_keep_undeclared_sub_attributes() {
        let changes = attribute_changes(
            &declared(json!({"name": {"givenName": "Alice"}})),
            &json!({"name": {"givenName": "Alicia", "familyName": "Ng"}}),
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].new,
            json!({"familyName": "Ng", "givenName": "Alice"})
        );
    }

    #[test]
    fn emails_compare_as_sets_on_declared_fields() {
        let wanted = declared(json!({"emails": [
            {"value": "Alice@Acme.test", "primary": true},
            {"value": "al@acme.test"}
        ]}));
        let live = json!({"emails": [
            {"value": "al@acme.test", "type": "other"},
            {"value": "alice@acme.test", "type": "work", "primary": "true"}
        ]});
        assert!(attribute_changes(&wanted, &live).is_empty());
        let live_missing_primary = json!({"emails": [
            {"value": "al@acme.test"}, {"value": "alice@acme.test"}
        ]});
        assert_eq!(attribute_changes(&wanted, &live_missing_primary).len(), 1);
    }

    #[test]
    fn an_explicit_empty_list_means_none() {
        let wanted = declared(json!({"emails": []}));
        assert!(attribute_changes(&wanted, &json!({})).is_empty());
        assert_eq!(
            attribute_changes(&wanted, &json!({"emails": [{"value": "a@x.test"}]})).len(),
            1
        );
    }

    /// [`unchanged`] says "unchanged" only where [`attribute_changes`] finds no change,
    /// and, but for numbers and keys given twice, wherever it finds none.
    fn agrees(declared_json: &Value, live_text: &str) {
        let wanted = declared(declared_json.clone());
        let live: Value = serde_json::from_str(live_text).expect("live JSON");
        let none = attribute_changes(&wanted, &live).is_empty();
        let fast = unchanged(&wanted, &Json::parse(live_text));
        assert!(
            !fast || none,
            "{declared_json} / {live_text}: the view says unchanged"
        );
        let sure = !live_text.contains(|c: char| c.is_ascii_digit())
            && !declared_json
                .to_string()
                .contains(|c: char| c.is_ascii_digit());
        let twice = live_text.contains("\"v\":0,\"v\"");
        if sure && !twice {
            assert_eq!(fast, none, "{declared_json} / {live_text}");
        }
    }

    #[test]
    fn the_view_agrees_with_the_full_comparison() {
        let live = r#"{"displayName":"Alice","DisplayName":"Al","active":"TRUE","name":{"givenName":"A","familyName":"N"},"emails":[{"value":"A@x.test","type":"work","primary":true},{"value":"b@x.test"}],"title":null,"x":{"a":null,"b":[true,"s"]}}"#;
        for declared_json in [
            json!({"displayName": "Alice"}),
            json!({"displayname": "Al"}),
            json!({"active": true}),
            json!({"active": false}),
            json!({"name": {"givenName": "A"}}),
            json!({"name": {"givenName": "B"}}),
            json!({"name": {"middleName": "B"}}),
            json!({"emails": [{"value": "b@x.test"}, {"value": "a@x.test", "primary": true}]}),
            json!({"emails": [{"value": "a@x.test"}]}),
            json!({"emails": [{"value": "a@x.test", "type": "home"}, {"value": "b@x.test"}]}),
            json!({"emails": []}),
            json!({"phoneNumbers": []}),
            json!({"title": "CTO"}),
            json!({"title": null}),
            json!({"x": {"a": null, "b": [true, "s"]}}),
            json!({"x": {"b": [true, "s"]}}),
            json!({"x": {"a": null, "b": ["s", true]}}),
            json!({"nickName": "n"}),
        ] {
            agrees(&declared_json, live);
        }
        agrees(&json!({"count": 1}), r#"{"count":1}"#);
        agrees(&json!({"x": {"v": 0}}), r#"{"x":{"v":0,"v":0}}"#);
        agrees(&json!({"displayName": "A"}), r#"{"displayName":"\u0041"}"#);
    }

    #[test]
    fn a_missing_live_attribute_is_a_change() {
        let changes = attribute_changes(&declared(json!({"title": "CTO"})), &json!({}));
        assert_eq!(changes[0].old, None);
    }
}
