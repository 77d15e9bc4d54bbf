//! Export: a complete `Live` snapshot written as configuration files that declare exactly
//! what the directory holds, so that `plan` against the same directory is empty.
//!
//! Only attributes the configuration format can express are written (the core user
//! attributes, the enterprise extension, members by name). Output is deterministic:
//! users sorted by userName, groups by displayName, members by name.
//!
//! Names load back exactly as the directory has them: strings are quoted where YAML
//! would read them otherwise (whitespace at either end, `yes`, `null`, numbers), and a
//! member whose short form would be misread — a user whose userName starts with
//! `group:` — is written `{user: NAME}`. File names made from department names are
//! bounded, filesystem-safe slugs (with a short hash where the name had to be
//! shortened). Building the files reads neither the network nor the disk; [`write_files`]
//! (in `write`) puts them in place all at once or not at all.

mod unsynced;
mod write;

pub use unsynced::unsynced_users;
pub use write::{WriteError, write_files};

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::config::escape_deceptive;
use crate::live::Live;
use crate::plan::ENTERPRISE_USER;
use crate::scim::{as_bool, attribute, string_attribute};

/// How to lay out the exported files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Everything in `scimform.yaml`.
    None,
    /// `users/<department>.yaml` per enterprise department (`users/unassigned.yaml` for
    /// users without one; see [`team_file_stem`]), `groups.yaml` for groups, and a root
    /// file that includes them.
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
            let mut members: Vec<(String, Value)> = Vec::new();
            for id in &group.members {
                if let Some(name) = user_names.get(id) {
                    members.push(user_member(name));
                } else if let Some(name) = group_names.get(id) {
                    members.push(group_member(name));
                } else {
                    warnings.push(format!(
                        "group `{}` lists member id `{id}`, which matches no user or group; it is left out (a plan will remove it from the group)",
                        group.display_name
                    ));
                }
            }
            members.sort_by(|a, b| a.0.cmp(&b.0));
            let members: Vec<Value> = members.into_iter().map(|(_, m)| m).collect();
            if group.members_listed {
                entry.insert("members".into(), Value::Array(members));
            } else {
                // `members: []` would have apply empty the group: leave it unmanaged.
                warnings.push(format!(
                    "the members of group `{}` were not read; it is written without `members:`, so that its membership is left as it is",
                    group.display_name
                ));
            }
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
                    .filter(|d| !d.trim().is_empty())
                    .map_or_else(|| UNASSIGNED.to_string(), team_file_stem);
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
    // Names come from the server: no terminal sees their control or bidi characters.
    let mut warnings: Vec<String> = warnings
        .iter()
        .map(|w| escape_deceptive(w).into_owned())
        .collect();
    warnings.sort();
    warnings.dedup();
    Export { files, warnings }
}

/// How a member that is a user is written, with its sort key: the userName, or
/// `{user: NAME}` where the short form would name a group.
fn user_member(name: &str) -> (String, Value) {
    let value = if name.starts_with("group:") {
        json!({ "user": name })
    } else {
        json!(name)
    };
    (name.to_lowercase(), value)
}

/// How a member that is a group is written, with its sort key: `group:NAME` (which the
/// loader reads back as exactly NAME, whatever it holds).
fn group_member(name: &str) -> (String, Value) {
    let short = format!("group:{name}");
    (short.to_lowercase(), json!(short))
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

/// The file of users without a department.
const UNASSIGNED: &str = "unassigned";

/// The longest file stem a department gets, in bytes (file names may have 255).
const MAX_STEM: usize = 64;

/// The file stem of a department's users, `users/<stem>.yaml`: its [`slug`] where that
/// is short and says something (`Platform Eng` → `platform-eng`); otherwise the slug cut
/// to a bounded length, or `department` where nothing of the name is left, then `-` and
/// eight hex digits of the SHA-256 of the whole name, so that different departments
/// stay apart. Always ASCII letters, digits and `-`, at most [`MAX_STEM`] bytes, never
/// a name Windows reserves (`con`, `nul`, `com1`, …).
pub fn team_file_stem(department: &str) -> String {
    let slug = slug(department);
    let reserved = {
        let base = slug.as_str();
        ["con", "prn", "aux", "nul"].contains(&base)
            || ((base.starts_with("com") || base.starts_with("lpt"))
                && base.len() == 4
                && base.as_bytes()[3].is_ascii_digit())
    };
    if !slug.is_empty() && slug.len() <= MAX_STEM && !reserved {
        return slug;
    }
    let digest = Sha256::digest(department.as_bytes());
    let mut hash = String::with_capacity(8);
    for byte in &digest[..4] {
        let _ = write!(hash, "{byte:02x}");
    }
    // ASCII, so any cut is on a character boundary.
    let cut = &slug[..slug.len().min(MAX_STEM - hash.len() - 1)];
    let base = match cut.trim_end_matches('-') {
        "" => "department",
        base => base,
    };
    format!("{base}-{hash}")
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
    fn department_file_names_are_bounded_and_safe() {
        assert_eq!(team_file_stem("Platform Eng"), "platform-eng");
        let long = "Research and Development ".repeat(12);
        let stem = team_file_stem(&long);
        assert!(stem.len() <= MAX_STEM, "{stem}");
        assert!(stem.starts_with("research-and-development-"), "{stem}");
        assert_ne!(stem, team_file_stem(&format!("{long}x")));
        let odd = team_file_stem("日本語");
        assert!(odd.starts_with("department-") && odd.len() == "department-".len() + 8);
        assert!(team_file_stem("CON").starts_with("con-"));
        assert_eq!(team_file_stem("COM10"), "com10");
        for name in ["../../etc/passwd", "a/b\\c", "\u{202E}x", "..", " "] {
            let stem = team_file_stem(name);
            assert!(
                !stem.is_empty()
                    && stem
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name:?} -> {stem:?}"
            );
        }
    }

    #[test]
    fn export_is_deterministic() {
        assert_eq!(
            export(&live(), &target(), Split::None).files,
            export(&live(), &target(), Split::None).files
        );
    }
}
