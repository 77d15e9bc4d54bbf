//! PATCH operations (RFC 7644 §3.5.2) and their request body, and SCIM filter quoting.
//!
//! Member removal uses the filter-path form `members[value eq "id"]` by default: the
//! value-list form is not defined by the RFC and a strict server may read it as "remove
//! all members". This file only builds bodies; choosing forms per provider belongs to the
//! provider profiles.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One PATCH operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    Add {
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        value: Value,
    },
    Replace {
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        value: Value,
    },
    Remove {
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<Value>,
    },
}

impl PatchOp {
    /// `replace` of one attribute.
    pub fn replace(path: &str, value: Value) -> PatchOp {
        PatchOp::Replace {
            path: Some(path.to_string()),
            value,
        }
    }

    /// `add` of members, as a value list.
    pub fn add_members<'a>(ids: impl IntoIterator<Item = &'a str>) -> PatchOp {
        PatchOp::Add {
            path: Some("members".to_string()),
            value: Value::Array(ids.into_iter().map(|id| json!({ "value": id })).collect()),
        }
    }

    /// `remove` of one member, by the RFC filter path `members[value eq "id"]`.
    pub fn remove_member(id: &str) -> PatchOp {
        PatchOp::Remove {
            path: format!("members[value eq {}]", quote(id)),
            value: None,
        }
    }
}

/// The `PatchOp` request body for a list of operations.
pub fn patch_body(operations: &[PatchOp]) -> Value {
    json!({
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": operations,
    })
}

/// A string as a SCIM filter literal: double-quoted, with `\` and `"` escaped (JSON
/// string rules, RFC 7644 §3.4.2.2).
pub fn quote(value: &str) -> String {
    Value::String(value.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_schema_and_capital_operations() {
        let body = patch_body(&[
            PatchOp::add_members(["u1", "u2"]),
            PatchOp::remove_member("u3"),
            PatchOp::replace("displayName", json!("Ops")),
        ]);
        assert_eq!(
            body,
            json!({
                "schemas": [PATCH_OP_SCHEMA],
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
                    {"op": "remove", "path": "members[value eq \"u3\"]"},
                    {"op": "replace", "path": "displayName", "value": "Ops"},
                ]
            })
        );
    }

    #[test]
    fn filter_literals_are_escaped() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
