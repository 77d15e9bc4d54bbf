//! Fingerprints of live objects: a digest of the state a change was computed from, so
//! that apply can tell, by reading the object again, whether it changed since the plan.
//!
//! A user's fingerprint covers its id, userName, `active` and the attributes the change
//! compared (listed in the fingerprint, so apply can recompute it without the
//! configuration); a group's covers its id, displayName, externalId and member ids.
//! `meta.version` alone is not enough (most providers omit it), but it is kept as the
//! `ETag` for `If-Match`. Pure functions over the live snapshot.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::change::Fingerprint;
use crate::live::{LiveGroup, LiveUser};
use crate::scim::{as_bool, attribute};

/// The fingerprint of a live user, over `paths` (top-level attribute names, or
/// `URN:sub` for an attribute inside an extension).
pub fn user_fingerprint(user: &LiveUser, resource: &Value, paths: &[String]) -> Fingerprint {
    let object = resource.as_object();
    let active = object
        .and_then(|o| attribute(o, "active"))
        .and_then(as_bool);
    let mut paths: Vec<String> = paths.to_vec();
    paths.sort();
    paths.dedup();
    let mut attributes = Map::new();
    for path in &paths {
        let value = object
            .and_then(|o| value_at(o, path))
            .cloned()
            .unwrap_or(Value::Null);
        attributes.insert(path.clone(), value);
    }
    let mut state = Map::new();
    state.insert("id".into(), Value::String(user.id.to_string()));
    state.insert("userName".into(), Value::String(user.user_name.clone()));
    state.insert("active".into(), active.map_or(Value::Null, Value::Bool));
    state.insert("attributes".into(), Value::Object(attributes));
    Fingerprint {
        digest: digest(&Value::Object(state)),
        attributes: paths,
        active,
        members: None,
        etag: user.version.as_deref().map(str::to_string),
    }
}

/// The fingerprint of a live group.
pub fn group_fingerprint(group: &LiveGroup, resource: &Value) -> Fingerprint {
    let external_id = resource
        .as_object()
        .and_then(|o| attribute(o, "externalId"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut members: Vec<&str> = group.members.iter().collect();
    members.sort_unstable();
    let mut state = Map::new();
    state.insert("id".into(), Value::String(group.id.to_string()));
    state.insert(
        "displayName".into(),
        Value::String(group.display_name.clone()),
    );
    state.insert("externalId".into(), external_id);
    state.insert(
        "members".into(),
        Value::Array(
            members
                .iter()
                .map(|m| Value::String((*m).to_string()))
                .collect(),
        ),
    );
    Fingerprint {
        digest: digest(&Value::Object(state)),
        attributes: Vec::new(),
        active: None,
        members: Some(group.members.len()),
        etag: group.version.as_deref().map(str::to_string),
    }
}

/// The value at `path`: a top-level attribute (any case), or `URN:sub` inside an
/// extension object.
pub(crate) fn value_at<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = attribute(object, path) {
        return Some(value);
    }
    let (urn, sub) = path.rsplit_once(':')?;
    attribute(attribute(object, urn)?.as_object()?, sub)
}

/// `sha256:` and the hex SHA-256 of `value` in canonical JSON (object keys sorted).
fn digest(value: &Value) -> String {
    let mut text = String::new();
    canonical(value, &mut text);
    let hash = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// JSON with object keys sorted, no whitespace.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::Live;
    use serde_json::json;

    fn user(resource: Value) -> (LiveUser, Value) {
        let live = Live::from_resources(vec![resource], vec![]).expect("valid");
        let user = live.users[0].clone();
        let resource = user.resource();
        (user, resource)
    }

    #[test]
    fn a_user_fingerprint_covers_compared_attributes_only() {
        let paths = vec!["title".to_string()];
        let (a, ra) = user(json!({"id": "1", "userName": "a", "title": "CTO", "nickName": "x"}));
        let (b, rb) = user(json!({"id": "1", "userName": "a", "nickName": "y", "title": "CTO"}));
        let (c, rc) = user(json!({"id": "1", "userName": "a", "title": "CEO"}));
        let (d, rd) = user(json!({"id": "1", "userName": "a", "title": "CTO", "active": false}));
        let fa = user_fingerprint(&a, &ra, &paths);
        assert_eq!(fa.digest, user_fingerprint(&b, &rb, &paths).digest);
        assert_ne!(fa.digest, user_fingerprint(&c, &rc, &paths).digest);
        let fd = user_fingerprint(&d, &rd, &paths);
        assert_ne!(fa.digest, fd.digest, "active is always covered");
        assert_eq!(fd.active, Some(false));
        assert!(fa.digest.starts_with("sha256:") && fa.digest.len() == 71);
    }

    #[test]
    fn a_group_fingerprint_covers_its_members_in_any_order() {
        let groups = |members: Value| {
            let live = Live::from_resources(
                vec![],
                vec![json!({"id": "g", "displayName": "eng", "members": members})],
            )
            .expect("valid");
            let group = live.groups[0].clone();
            let resource = group.resource();
            group_fingerprint(&group, &resource)
        };
        let one = groups(json!([{"value": "a"}, {"value": "b"}]));
        assert_eq!(one, groups(json!([{"value": "b"}, {"value": "a"}])));
        assert_ne!(one.digest, groups(json!([{"value": "a"}])).digest);
        assert_eq!(one.members, Some(2));
    }

    #[test]
    fn extension_paths_are_read_inside_the_extension() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let resource = json!({urn: {"manager": {"value": "m1"}}});
        let object = resource.as_object().expect("object");
        assert_eq!(
            value_at(object, &format!("{urn}:manager")),
            Some(&json!({"value": "m1"}))
        );
        assert_eq!(value_at(object, urn).map(Value::is_object), Some(true));
    }
}
