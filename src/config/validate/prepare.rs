//! Preparing one user entry, file by file (on all cores, before the checks across
//! files): its SCIM attributes with `defaults:` applied and in the SCIM schema's order,
//! its emails folded for the uniqueness check, and what later checks need.
//!
//! Nothing here looks at other entries; `users` does that with the prepared users.

use serde_json::{Map, Value, json};

use crate::config::declared::{DeclaredUser, ENTERPRISE_SCHEMA};
use crate::config::decode::is_email;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{
    DefaultsSection, EmailEntry, EnterpriseDefaults, EnterpriseEntry, Located, NameEntry,
    PhoneNumberEntry, UserEntry,
};
use crate::config::names::fold;
use crate::config::origin::{Loc, Origin, SourceFile};

/// A user entry turned into a declared user, with what the checks across users need.
pub(in crate::config) struct PreparedUser {
    pub user: DeclaredUser,
    /// The folded userName.
    pub key: String,
    /// Folded emails and where each is written (the userName for `emails_from_userName`).
    pub emails: Vec<(String, Loc)>,
    pub external_id: Option<Located<String>>,
    pub file: SourceFile,
    pub manager: Option<Located<String>>,
    pub previously: Vec<Located<String>>,
}

/// Prepare the users of one file.
pub(in crate::config) fn prepare_users(
    file: &SourceFile,
    entries: Vec<UserEntry>,
    defaults: &DefaultsSection,
    problems: &mut Vec<ConfigError>,
) -> Vec<PreparedUser> {
    // Into a new vector: collected in place, the result would keep the allocation of
    // the entries, several times larger than prepared users, for the whole load.
    let mut prepared = Vec::with_capacity(entries.len());
    for entry in entries {
        prepared.push(prepare(file, entry, defaults, problems));
    }
    prepared
}

fn prepare(
    file: &SourceFile,
    entry: UserEntry,
    defaults: &DefaultsSection,
    problems: &mut Vec<ConfigError>,
) -> PreparedUser {
    let mut entry = entry;
    let emails = declared_emails(file, &entry, defaults, problems);
    let manager = entry.enterprise.as_mut().and_then(|e| e.manager.take());
    let previously = entry.previously.take().unwrap_or_default();
    let external_id = entry.external_id.clone();
    let attributes = attributes(&mut entry, &emails, defaults);
    let origin = Origin::of(file, entry.user_name.loc);
    let key = fold(&entry.user_name.value);
    PreparedUser {
        emails: emails.into_iter().map(|(e, loc)| (fold(&e), loc)).collect(),
        key,
        external_id,
        file: file.clone(),
        manager,
        previously,
        user: DeclaredUser {
            user_name: std::sync::Arc::from(entry.user_name.value),
            attributes,
            manager: None,
            previously: Vec::new(),
            origin,
        },
    }
}

/// The user's email addresses with where each is written (`emails_from_userName`: the
/// userName).
fn declared_emails(
    file: &SourceFile,
    entry: &UserEntry,
    defaults: &DefaultsSection,
    problems: &mut Vec<ConfigError>,
) -> Vec<(String, Loc)> {
    if let Some(email) = &entry.email {
        return vec![(email.value.trim().to_string(), email.loc)];
    }
    if let Some(emails) = &entry.emails {
        return emails
            .iter()
            .map(|e| (e.value.value.clone(), e.value.loc))
            .collect();
    }
    if defaults.emails_from_user_name == Some(true) {
        let origin = Origin::of(file, entry.user_name.loc);
        if is_email(&entry.user_name.value) {
            return vec![(entry.user_name.value.clone(), entry.user_name.loc)];
        }
        problems.push(
            ConfigError::new(
                ConfigErrorKind::InvalidEmail,
                format!(
                    "`defaults.emails_from_userName` cannot give `{}` an email: the userName is \
                     not an email address",
                    entry.user_name.value
                ),
            )
            .at(&origin, "not an email address")
            .help("give this user `emails:` (or `emails: []` for none)"),
        );
    }
    Vec::new()
}

/// The managed attributes of a user in SCIM form: what the entry sets, then what
/// `defaults:` adds, in the SCIM schema's order. The entry's values are moved, not copied.
fn attributes(
    entry: &mut UserEntry,
    emails: &[(String, Loc)],
    defaults: &DefaultsSection,
) -> Map<String, Value> {
    let string = |own: &mut Option<String>, default: &Option<String>| {
        own.take().or_else(|| default.clone()).map(Value::String)
    };
    let none = None;
    let email_type = defaults.email_type.as_deref();
    // `email:` and `emails_from_userName` give one primary email; `emails:` is as written.
    let emails = match &entry.emails {
        Some(list) => Some(list.iter().map(|e| email_value(e, email_type)).collect()),
        None if !emails.is_empty() => {
            Some(emails.iter().map(|(v, _)| primary(v, email_type)).collect())
        }
        None => None,
    };
    let extensions = entry.extensions.take().unwrap_or_default();
    let mut attributes = object(
        [
            (
                "externalId",
                entry.external_id.take().map(|e| Value::String(e.value)),
            ),
            ("displayName", string(&mut entry.display_name, &none)),
            ("name", entry.name.take().map(name_value)),
            ("nickName", string(&mut entry.nick_name, &none)),
            ("title", string(&mut entry.title, &none)),
            (
                "userType",
                string(&mut entry.user_type, &defaults.user_type),
            ),
            (
                "preferredLanguage",
                string(&mut entry.preferred_language, &defaults.preferred_language),
            ),
            ("locale", string(&mut entry.locale, &defaults.locale)),
            ("timezone", string(&mut entry.timezone, &defaults.timezone)),
            ("active", entry.active.or(defaults.active).map(Value::Bool)),
            ("emails", emails.map(Value::Array)),
            (
                "phoneNumbers",
                entry
                    .phone_numbers
                    .as_ref()
                    .map(|list| Value::Array(list.iter().map(phone_value).collect())),
            ),
            (
                ENTERPRISE_SCHEMA,
                enterprise_value(entry.enterprise.take(), defaults),
            ),
        ],
        extensions.len(),
    );
    for (urn, map) in extensions {
        attributes.insert(urn.value, Value::Object(map));
    }
    attributes
}

/// A JSON object of the entries that have a value, allocated to its exact size (with
/// room for `more`): 100 000 users hold half a million of these.
fn object<const N: usize>(entries: [(&str, Option<Value>); N], more: usize) -> Map<String, Value> {
    let count = entries.iter().filter(|(_, v)| v.is_some()).count();
    let mut map = Map::with_capacity(count + more);
    for (key, value) in entries {
        if let Some(value) = value {
            map.insert(key.to_string(), value);
        }
    }
    map
}

fn name_value(name: NameEntry) -> Value {
    let string = |s: Option<String>| s.map(Value::String);
    Value::Object(object(
        [
            ("formatted", string(name.formatted)),
            ("givenName", string(name.given_name)),
            ("familyName", string(name.family_name)),
            ("middleName", string(name.middle_name)),
            ("honorificPrefix", string(name.honorific_prefix)),
            ("honorificSuffix", string(name.honorific_suffix)),
        ],
        0,
    ))
}

/// `{value, type, primary}` with only what is set.
fn multi_value(value: &str, kind: Option<&str>, primary: Option<bool>) -> Value {
    Value::Object(object(
        [
            ("value", Some(json!(value))),
            ("type", kind.map(|k| json!(k))),
            ("primary", primary.map(Value::Bool)),
        ],
        0,
    ))
}

fn primary(value: &str, kind: Option<&str>) -> Value {
    multi_value(value, kind, Some(true))
}

fn email_value(email: &EmailEntry, default_type: Option<&str>) -> Value {
    multi_value(
        &email.value.value,
        email.kind.as_deref().or(default_type),
        email.primary.as_ref().map(|p| p.value),
    )
}

fn phone_value(phone: &PhoneNumberEntry) -> Value {
    multi_value(
        phone.value.value.trim(),
        phone.kind.as_deref(),
        phone.primary.as_ref().map(|p| p.value),
    )
}

/// The enterprise extension without `manager` (resolved separately), defaults filled in;
/// `None` when neither the entry nor the defaults set anything.
fn enterprise_value(entry: Option<EnterpriseEntry>, defaults: &DefaultsSection) -> Option<Value> {
    let entry = entry.unwrap_or_default();
    let shared = defaults.enterprise.as_ref();
    let default = |f: fn(&EnterpriseDefaults) -> &Option<String>| shared.and_then(|d| f(d).clone());
    let map = object(
        [
            ("employeeNumber", entry.employee_number),
            (
                "costCenter",
                entry.cost_center.or_else(|| default(|d| &d.cost_center)),
            ),
            (
                "organization",
                entry.organization.or_else(|| default(|d| &d.organization)),
            ),
            (
                "division",
                entry.division.or_else(|| default(|d| &d.division)),
            ),
            (
                "department",
                entry.department.or_else(|| default(|d| &d.department)),
            ),
        ]
        .map(|(key, value)| (key, value.map(Value::String))),
        0,
    );
    (!map.is_empty()).then_some(Value::Object(map))
}
