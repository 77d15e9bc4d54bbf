//! Export: a complete `Live` snapshot written as configuration files that declare exactly
//! what the directory holds, so that `plan` against the same directory is empty.
//!
//! Only attributes the configuration format can express are written (the core user
//! attributes, the enterprise extension, members by name). Output is deterministic:
//! users sorted by userName, groups by displayName, members by name. This module builds
//! file contents; it neither reads the network nor writes to disk (the CLI does both).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::live::Live;
use crate::plan::ENTERPRISE_USER;
use crate::scim::{as_bool, attribute, string_attribute};

/// How to lay out the exported files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Everything in `scimform.yaml`.
    None,
    /// `users/<department>.yaml` per enterprise department (`users/unassigned.yaml` for
    /// users without one), `groups.yaml` for groups, and a root file that includes them.
    Team,
}

/// What the root file's `target:` says.
#[derive(Clone, Debug)]
pub struct ExportTarget {
    pub url: String,
    pub profile: String,
    pub token_env: String,
}

/// One file to write, by path relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: String,
    pub text: String,
}

/// The files, plus what could not be expressed (for the user to read).
#[derive(Debug)]
pub struct Export {
    pub files: Vec<ExportedFile>,
    pub warnings: Vec<String>,
}

/// Simple string attributes of a user, in the order they are written.
const USER_STRINGS: &[&str] = &[
    "externalId",
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
];
const NAME_PARTS: &[&str] = &[
    "formatted",
    "givenName",
    "familyName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
const ENTERPRISE_STRINGS: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
];

pub fn export(live: &Live, target: &ExportTarget, split: Split) -> Export {
    let mut warnings = Vec::new();
    let user_names: HashMap<&str, &str> = live
        .users
        .iter()
        .map(|u| (u.id.as_str(), u.user_name.as_str()))
        .collect();
    let group_names: HashMap<&str, &str> = live
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.display_name.as_str()))
        .collect();

    let mut users: Vec<(String, Option<String>, Value)> = live
        .users
        .iter()
        .map(|user| {
            let (entry, department) = user_entry(&user.resource(), &user_names, &mut warnings);
            (user.user_name.to_lowercase(), department, entry)
        })
        .collect();
    users.sort_by(|a, b| a.0.cmp(&b.0));

    let mut groups: Vec<(String, Value)> = live
        .groups
        .iter()
        .map(|group| {
            let mut entry = Map::new();
            entry.insert("displayName".into(), json!(group.display_name));
            if let Some(external_id) = string_attribute(&group.resource(), "externalId") {
                entry.insert("externalId".into(), json!(external_id));
            }
            let mut members: Vec<String> = Vec::new();
            for id in &group.members {
                if let Some(name) = user_names.get(id) {
                    members.push((*name).to_string());
                } else if let Some(name) = group_names.get(id) {
                    members.push(format!("group:{name}"));
                } else {
                    warnings.push(format!(
                        "group `{}` lists member id `{id}`, which matches no user or group; it is left out (a plan will remove it from the group)",
                        group.display_name
                    ));
                }
            }
            members.sort_by_key(|m| m.to_lowercase());
            entry.insert("members".into(), json!(members));
            (group.display_name.to_lowercase(), Value::Object(entry))
        })
        .collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));

    let target_section = json!({
        "url": target.url,
        "profile": target.profile,
        "token_env": target.token_env,
    });
    let header = format!(
        "# Exported by `scimform export` from {}.\n# Every user and group the directory held is declared here; `scimform plan` against it is empty.\n",
        target.url
    );
    let files = match split {
        Split::None => {
            let root = json!({
                "target": target_section,
                "users": users.iter().map(|(_, _, u)| u.clone()).collect::<Vec<_>>(),
                "groups": groups.iter().map(|(_, g)| g.clone()).collect::<Vec<_>>(),
            });
            vec![ExportedFile {
                path: "scimform.yaml".into(),
                text: format!("{header}{}", to_yaml(&root)),
            }]
        }
        Split::Team => {
            let mut by_team: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for (_, department, entry) in &users {
                let team = department
                    .as_deref()
                    .map(slug)
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "unassigned".to_string());
                by_team.entry(team).or_default().push(entry.clone());
            }
            let mut files = vec![ExportedFile {
                path: "scimform.yaml".into(),
                text: format!(
                    "{header}{}",
                    to_yaml(&json!({
                        "target": target_section,
                        "include": ["users/*.yaml", "groups.yaml"],
                    }))
                ),
            }];
            for (team, entries) in by_team {
                files.push(ExportedFile {
                    path: format!("users/{team}.yaml"),
                    text: to_yaml(&json!({ "users": entries })),
                });
            }
            files.push(ExportedFile {
                path: "groups.yaml".into(),
                text: to_yaml(&json!({
                    "groups": groups.iter().map(|(_, g)| g.clone()).collect::<Vec<_>>()
                })),
            });
            files
        }
    };
    warnings.sort();
    warnings.dedup();
    Export { files, warnings }
}

/// A user as a configuration entry, and its enterprise department (for `--split team`).
fn user_entry(
    resource: &Value,
    user_names: &HashMap<&str, &str>,
    warnings: &mut Vec<String>,
) -> (Value, Option<String>) {
    let empty = Map::new();
    let live = resource.as_object().unwrap_or(&empty);
    let mut entry = Map::new();
    let user_name = string_attribute(resource, "userName").unwrap_or_default();
    entry.insert("userName".into(), json!(user_name));
    for key in USER_STRINGS {
        if let Some(value) = attribute(live, key).and_then(Value::as_str) {
            entry.insert((*key).into(), json!(value));
        }
    }
    if let Some(name) = attribute(live, "name").and_then(Value::as_object) {
        let parts = pick_strings(name, NAME_PARTS);
        if !parts.is_empty() {
            entry.insert("name".into(), Value::Object(parts));
        }
    }
    if let Some(active) = attribute(live, "active").and_then(as_bool) {
        entry.insert("active".into(), json!(active));
    }
    for key in ["emails", "phoneNumbers"] {
        if let Some(items) = attribute(live, key).and_then(Value::as_array) {
            let values: Vec<Value> = items.iter().filter_map(multi_value).collect();
            if !values.is_empty() {
                entry.insert(key.into(), Value::Array(values));
            }
        }
    }
    let mut department = None;
    if let Some(enterprise) = attribute(live, ENTERPRISE_USER).and_then(Value::as_object) {
        let mut fields = pick_strings(enterprise, ENTERPRISE_STRINGS);
        department = fields
            .get("department")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(manager_id) =
            attribute(enterprise, "manager").and_then(|m| string_attribute(m, "value"))
        {
            match user_names.get(manager_id) {
                Some(manager) => {
                    fields.insert("manager".into(), json!(manager));
                }
                None => warnings.push(format!(
                    "user `{user_name}` has manager id `{manager_id}`, which matches no user; it is left out"
                )),
            }
        }
        if !fields.is_empty() {
            entry.insert("enterprise".into(), Value::Object(fields));
        }
    }
    (Value::Object(entry), department)
}

fn pick_strings(object: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut picked = Map::new();
    for key in keys {
        if let Some(value) = attribute(object, key).and_then(Value::as_str) {
            picked.insert((*key).into(), json!(value));
        }
    }
    picked
}

/// `{value, type, primary}` of one email or phone number.
fn multi_value(item: &Value) -> Option<Value> {
    let object = item.as_object()?;
    let mut out = Map::new();
    out.insert(
        "value".into(),
        json!(attribute(object, "value").and_then(Value::as_str)?),
    );
    if let Some(kind) = attribute(object, "type").and_then(Value::as_str) {
        out.insert("type".into(), json!(kind));
    }
    if let Some(primary) = attribute(object, "primary").and_then(as_bool) {
        out.insert("primary".into(), json!(primary));
    }
    Some(Value::Object(out))
}

/// A file-name-safe lower-case slug.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn to_yaml(value: &Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("# cannot write YAML: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Live {
        Live::from_resources(
            vec![
                json!({"id": "u1", "userName": "b@x.test", "displayName": "B", "active": "true",
                       ENTERPRISE_USER: {"department": "Platform Eng", "manager": {"value": "u2"}}}),
                json!({"id": "u2", "userName": "a@x.test", "name": {"givenName": "A"},
                       "emails": [{"value": "a@x.test", "primary": true}]}),
            ],
            vec![json!({"id": "g1", "displayName": "eng", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "gone"}]})],
        )
        .expect("live")
    }

    fn target() -> ExportTarget {
        ExportTarget {
            url: "https://scim.x.test/v2".into(),
            profile: "generic".into(),
            token_env: "SCIMFORM_TOKEN".into(),
        }
    }

    #[test]
    fn one_file_sorted_with_managers_by_name() {
        let export = export(&live(), &target(), Split::None);
        assert_eq!(export.files.len(), 1);
        let text = &export.files[0].text;
        let a = text.find("userName: a@x.test").expect("a");
        let b = text.find("userName: b@x.test").expect("b");
        assert!(a < b, "users sorted:\n{text}");
        assert!(text.contains("manager: a@x.test"), "{text}");
        assert!(text.contains("active: true"), "{text}");
        assert_eq!(export.warnings.len(), 1, "{:?}", export.warnings);
        assert!(export.warnings[0].contains("`gone`"));
    }

    #[test]
    fn team_split_by_department() {
        let export = export(&live(), &target(), Split::Team);
        let paths: Vec<&str> = export.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "scimform.yaml",
                "users/platform-eng.yaml",
                "users/unassigned.yaml",
                "groups.yaml"
            ]
        );
    }

    #[test]
    fn export_is_deterministic() {
        assert_eq!(
            export(&live(), &target(), Split::None).files,
            export(&live(), &target(), Split::None).files
        );
    }
}
