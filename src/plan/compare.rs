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
    if live.len() != wanted.len() {
        return false;
    }
    let mut used = vec![false; live.len()];
    wanted.into_iter().all(|w| {
        let found = live
            .iter()
            .enumerate()
            .position(|(i, l)| !used[i] && entry_matches(w, l));
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

    #[test]
    fn a_missing_live_attribute_is_a_change() {
        let changes = attribute_changes(&declared(json!({"title": "CTO"})), &json!({}));
        assert_eq!(changes[0].old, None);
    }
}
