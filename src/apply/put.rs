//! The PUT fallback: for a server that answers PATCH with 501 or 405, the resource as it
//! should be after a change — the resource as just read, with the planned changes laid
//! over it and everything scimform does not manage kept — to send whole with PUT.
//!
//! Pure: it builds a body; sending (with `If-Match` on the version just read) is the
//! caller's.

use serde_json::{Map, Value, json};

use crate::plan::{AttributeChange, ENTERPRISE_USER};
use crate::scim::string_attribute;

/// What a PUT body is built from.
pub(crate) struct Edits<'a> {
    pub(crate) attributes: &'a [AttributeChange],
    /// A new manager id (enterprise extension).
    pub(crate) manager: Option<&'a str>,
    pub(crate) add: &'a [String],
    pub(crate) remove: &'a [String],
}

/// `current` with `edits` applied, without `meta`; an error when the resource is not
/// an object.
pub(crate) fn replaced(current: &Value, edits: &Edits<'_>) -> Result<Value, String> {
    let Some(current) = current.as_object() else {
        return Err("the resource read back is not a JSON object".to_string());
    };
    let mut body: Map<String, Value> = current
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("meta"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for change in edits.attributes {
        set(&mut body, &change.path, change.new.to_value());
        if change.path.starts_with("urn:") {
            add_schema(&mut body, &change.path);
        }
    }
    if let Some(manager) = edits.manager {
        let enterprise = take(&mut body, ENTERPRISE_USER).unwrap_or_else(|| json!({}));
        let mut enterprise = enterprise.as_object().cloned().unwrap_or_default();
        set(&mut enterprise, "manager", json!({ "value": manager }));
        body.insert(ENTERPRISE_USER.to_string(), Value::Object(enterprise));
        add_schema(&mut body, ENTERPRISE_USER);
    }
    if !edits.add.is_empty() || !edits.remove.is_empty() {
        let members = take(&mut body, "members").unwrap_or_else(|| json!([]));
        let mut members: Vec<Value> = members.as_array().cloned().unwrap_or_default();
        members.retain(|m| {
            string_attribute(m, "value").is_none_or(|v| !edits.remove.iter().any(|r| r == v))
        });
        for id in edits.add {
            let present = members
                .iter()
                .any(|m| string_attribute(m, "value") == Some(id.as_str()));
            if !present {
                members.push(json!({ "value": id }));
            }
        }
        body.insert("members".into(), Value::Array(members));
    }
    Ok(Value::Object(body))
}

/// Remove the key `name` (any case) and return its value.
fn take(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()?;
    map.remove(&key)
}

/// Set `name` (replacing the key in any case).
fn set(map: &mut Map<String, Value>, name: &str, value: Value) {
    take(map, name);
    map.insert(name.to_string(), value);
}

fn add_schema(body: &mut Map<String, Value>, urn: &str) {
    let schemas = body
        .entry("schemas".to_string())
        .or_insert_with(|| json!([]));
    if let Some(list) = schemas.as_array_mut()
        && !list.iter().any(|s| s.as_str() == Some(urn))
    {
        list.push(Value::String(urn.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_changes_are_laid_over_what_is_kept() {
        let current = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1", "userName": "a@x.test", "DisplayName": "Old", "nickName": "kept",
            "meta": {"version": "W/\"3\""}
        });
        let attributes = vec![AttributeChange {
            path: "displayName".into(),
            old: Some(json!("Old").into()),
            new: json!("New").into(),
        }];
        let body = replaced(
            &current,
            &Edits {
                attributes: &attributes,
                manager: Some("m1"),
                add: &[],
                remove: &[],
            },
        )
        .expect("a body");
        assert_eq!(body["displayName"], json!("New"));
        assert!(body.get("DisplayName").is_none(), "one key per attribute");
        assert_eq!(body["nickName"], json!("kept"));
        assert!(body.get("meta").is_none());
        assert_eq!(body[ENTERPRISE_USER]["manager"]["value"], json!("m1"));
        assert!(
            body["schemas"]
                .as_array()
                .is_some_and(|s| s.contains(&json!(ENTERPRISE_USER)))
        );
    }

    #[test]
    fn members_are_edited_in_place() {
        let current = json!({"id": "g", "displayName": "eng", "members": [{"value": "a", "display": "A"}, {"value": "b"}]});
        let body = replaced(
            &current,
            &Edits {
                attributes: &[],
                manager: None,
                add: &["c".to_string(), "a".to_string()],
                remove: &["b".to_string()],
            },
        )
        .expect("a body");
        assert_eq!(
            body["members"],
            json!([{"value": "a", "display": "A"}, {"value": "c"}])
        );
    }
}
