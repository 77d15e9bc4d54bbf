//! Preparing one user entry, file by file (on all cores, before the checks across
//! files): its SCIM attributes with `defaults:` applied and in the SCIM schema's order,
//! its emails folded for the uniqueness check, and what later checks need.
//!
//! Nothing here looks at other entries; `users` does that with the prepared users.

use serde_json::Value;

use crate::config::attributes::{Attributes, ObjectWriter};
use crate::config::declared::{DeclaredUser, ENTERPRISE_SCHEMA};
use crate::config::decode::is_email;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{
    DefaultsSection, EnterpriseDefaults, EnterpriseEntry, Located, NameEntry, UserEntry,
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
    /// Where the externalId is written (its value is among the attributes).
    pub external_id: Option<Loc>,
    pub file: SourceFile,
    /// Boxed, as few users name a manager: 100 000 prepared users are held at once.
    pub manager: Option<Box<Located<String>>>,
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
    let manager = entry
        .enterprise
        .as_mut()
        .and_then(|e| e.manager.take())
        .map(Box::new);
    let previously = entry.previously.take().unwrap_or_default();
    let external_id = entry.external_id.as_ref().map(|e| e.loc);
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
/// `defaults:` adds, in the SCIM schema's order.
fn attributes(
    entry: &mut UserEntry,
    emails: &[(String, Loc)],
    defaults: &DefaultsSection,
) -> Attributes {
    let email_type = defaults.email_type.as_deref();
    let extensions = entry.extensions.take().unwrap_or_default();
    Attributes::build(|object| {
        let string = |object: &mut ObjectWriter<'_>, key, own: &Option<String>, default| {
            if let Some(value) = own.as_deref().or(default) {
                object.string(key, value);
            }
        };
        if let Some(external_id) = &entry.external_id {
            object.string("externalId", &external_id.value);
        }
        string(object, "displayName", &entry.display_name, None);
        if let Some(name) = &entry.name {
            object.object("name", |object| name_value(object, name));
        }
        string(object, "nickName", &entry.nick_name, None);
        string(object, "title", &entry.title, None);
        string(
            object,
            "userType",
            &entry.user_type,
            defaults.user_type.as_deref(),
        );
        string(
            object,
            "preferredLanguage",
            &entry.preferred_language,
            defaults.preferred_language.as_deref(),
        );
        string(object, "locale", &entry.locale, defaults.locale.as_deref());
        string(
            object,
            "timezone",
            &entry.timezone,
            defaults.timezone.as_deref(),
        );
        if let Some(active) = entry.active.or(defaults.active) {
            object.bool("active", active);
        }
        // `email:` and `emails_from_userName` give one primary email; `emails:` is as
        // written.
        match &entry.emails {
            Some(list) => object.array("emails", |items| {
                for email in list {
                    items.object(|item| {
                        multi_value(
                            item,
                            &email.value.value,
                            email.kind.as_deref().or(email_type),
                            email.primary.as_ref().map(|p| p.value),
                        );
                    });
                }
            }),
            None if !emails.is_empty() => object.array("emails", |items| {
                for (value, _) in emails {
                    items.object(|item| multi_value(item, value, email_type, Some(true)));
                }
            }),
            None => {}
        }
        if let Some(list) = &entry.phone_numbers {
            object.array("phoneNumbers", |items| {
                for phone in list {
                    items.object(|item| {
                        multi_value(
                            item,
                            phone.value.value.trim(),
                            phone.kind.as_deref(),
                            phone.primary.as_ref().map(|p| p.value),
                        );
                    });
                }
            });
        }
        enterprise_value(object, entry.enterprise.as_ref(), defaults);
        for (urn, map) in &extensions {
            object.value(&urn.value, &Value::Object(map.clone()));
        }
    })
}

fn name_value(object: &mut ObjectWriter<'_>, name: &NameEntry) {
    for (key, value) in [
        ("formatted", &name.formatted),
        ("givenName", &name.given_name),
        ("familyName", &name.family_name),
        ("middleName", &name.middle_name),
        ("honorificPrefix", &name.honorific_prefix),
        ("honorificSuffix", &name.honorific_suffix),
    ] {
        if let Some(value) = value {
            object.string(key, value);
        }
    }
}

/// `{value, type, primary}` with only what is set.
fn multi_value(
    object: &mut ObjectWriter<'_>,
    value: &str,
    kind: Option<&str>,
    primary: Option<bool>,
) {
    object.string("value", value);
    if let Some(kind) = kind {
        object.string("type", kind);
    }
    if let Some(primary) = primary {
        object.bool("primary", primary);
    }
}

/// The enterprise extension without `manager` (resolved separately), defaults filled in;
/// left out when neither the entry nor the defaults set anything.
fn enterprise_value(
    object: &mut ObjectWriter<'_>,
    entry: Option<&EnterpriseEntry>,
    defaults: &DefaultsSection,
) {
    let shared = defaults.enterprise.as_ref();
    let own = |f: fn(&EnterpriseEntry) -> &Option<String>| entry.and_then(|e| f(e).as_deref());
    let default =
        |f: fn(&EnterpriseDefaults) -> &Option<String>| shared.and_then(|d| f(d).as_deref());
    let values = [
        ("employeeNumber", own(|e| &e.employee_number)),
        (
            "costCenter",
            own(|e| &e.cost_center).or_else(|| default(|d| &d.cost_center)),
        ),
        (
            "organization",
            own(|e| &e.organization).or_else(|| default(|d| &d.organization)),
        ),
        (
            "division",
            own(|e| &e.division).or_else(|| default(|d| &d.division)),
        ),
        (
            "department",
            own(|e| &e.department).or_else(|| default(|d| &d.department)),
        ),
    ];
    if values.iter().any(|(_, value)| value.is_some()) {
        object.object(ENTERPRISE_SCHEMA, |object| {
            for (key, value) in values {
                if let Some(value) = value {
                    object.string(key, value);
                }
            }
        });
    }
}
