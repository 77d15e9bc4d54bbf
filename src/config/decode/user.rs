//! Decoding one user entry, with the checks that need only that entry: a userName,
//! email form, one primary email or phone number, `email` versus `emails`, extension
//! URNs.

use super::Decoder;
use crate::config::declared::{ENTERPRISE_SCHEMA, USER_SCHEMA};
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{
    EmailEntry, EnterpriseEntry, Extensions, Located, NameEntry, PhoneNumberEntry, UserEntry,
};
use crate::config::yaml::{Entry, Node};

pub(super) const USER_KEYS: &[&str] = &[
    "userName",
    "externalId",
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "name",
    "email",
    "emails",
    "phoneNumbers",
    "enterprise",
    "extensions",
    "previously",
];
pub(super) const NAME_KEYS: &[&str] = &[
    "formatted",
    "givenName",
    "familyName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
pub(super) const EMAIL_KEYS: &[&str] = &["value", "type", "primary"];
pub(super) const PHONE_NUMBER_KEYS: &[&str] = &["value", "type", "primary"];
pub(super) const ENTERPRISE_KEYS: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];
/// Whether `value` is a bare address, local@domain: a local part of letters, digits,
/// dots and the other characters RFC 5322 allows unquoted (``!#$%&'*+-/=?^_`{|}~``), and a
/// domain of dot-separated labels of letters, digits, `-` and `_` (letters of any script:
/// internationalised addresses are addresses). So `mailto:a@x.test`, `<a@x.test>` and
/// `"A" <a@x.test>` are not: the address is what is inside them.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = |c: char| c.is_alphanumeric() || c == '.' || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    !local.is_empty() && local.chars().all(local_ok) && domain.split('.').all(label_ok)
}

/// Advice for an address that is not one: what to take out of it.
fn email_help(value: &str) -> &'static str {
    if value.to_ascii_lowercase().starts_with("mailto:") {
        "write the bare address, without `mailto:`"
    } else if value.contains(['<', '>', '"']) {
        "write the bare address (local@domain), without a display name or angle brackets"
    } else {
        "write the address as local@domain, e.g. alice@example.com"
    }
}

/// A required, non-empty name (`userName`, `displayName`), exactly as written: names are
/// not trimmed (validation warns about whitespace at either end), but one that is only
/// whitespace is empty.
pub(super) fn required_name(
    d: &mut Decoder<'_>,
    f: &super::Fields<'_, '_>,
    key: &str,
    what: &str,
    help: &str,
) -> Option<Located<String>> {
    let Some(entry) = f.get(key) else {
        d.report(
            ConfigErrorKind::MissingKey,
            format!("{what} has no `{key}`"),
            f.loc,
            format!("this entry needs a `{key}`"),
            format!("add `{key}:`, {help}"),
        );
        return None;
    };
    let name = d.located_string(Some(entry))?;
    if name.value.trim().is_empty() {
        let message = if key == "userName" {
            "userName is empty".to_string()
        } else {
            format!("group {key} is empty")
        };
        d.report(
            ConfigErrorKind::EmptyName,
            message,
            name.loc,
            format!("empty {key}"),
            format!(
                "give the {} a {key}, {help}",
                if key == "userName" { "user" } else { "group" }
            ),
        );
        return None;
    }
    Some(name)
}

pub(super) fn user(d: &mut Decoder<'_>, node: &Node<'_>) -> Option<UserEntry> {
    let f = d.fields(&"each entry of `users`", node, "a user", USER_KEYS)?;
    let user_name = required_name(
        d,
        &f,
        "userName",
        "a user",
        "usually the login email address",
    );
    let email = d.located_string(f.get("email"));
    if let Some(email) = &email {
        check_email(d, email);
    }
    let emails = d.list(f.get("emails"), "of emails", |d, node| {
        email_entry(d, node, "emails")
    });
    if let (Some(entry), Some(_)) = (f.get("email"), f.get("emails")) {
        d.report(
            ConfigErrorKind::ConflictingKeys,
            "a user sets both `email` and `emails`",
            entry.key_loc,
            "`email` is shorthand for `emails`",
            "keep one: `email: ADDRESS` for a single primary email, or the `emails:` list",
        );
    }
    let display_user = user_name
        .as_ref()
        .map_or("", |n| n.value.as_str())
        .to_string();
    if let Some(emails) = &emails {
        check_one_primary(
            d,
            emails.iter().map(|e| (e.primary.as_ref(), &e.value)),
            ConfigErrorKind::TwoPrimaryEmails,
            &format!("user `{display_user}` has more than one primary email"),
            "second primary email",
            "mark exactly one email `primary: true`",
        );
    }
    let phone_numbers = d.list(f.get("phoneNumbers"), "of phone numbers", phone_number);
    if let Some(phones) = &phone_numbers {
        check_one_primary(
            d,
            phones.iter().map(|p| (p.primary.as_ref(), &p.value)),
            ConfigErrorKind::TwoPrimaryPhoneNumbers,
            &format!("user `{display_user}` has more than one primary phone number"),
            "second primary phone number",
            "mark exactly one phone number `primary: true`",
        );
    }
    let entry = UserEntry {
        user_name: Located::new(String::new(), f.loc),
        external_id: d.located_string(f.get("externalId")),
        display_name: d.string(f.get("displayName")),
        nick_name: d.string(f.get("nickName")),
        title: d.string(f.get("title")),
        user_type: d.string(f.get("userType")),
        preferred_language: d.string(f.get("preferredLanguage")),
        locale: d.string(f.get("locale")),
        timezone: d.string(f.get("timezone")),
        active: d.boolean(f.get("active")),
        name: name(d, f.get("name")),
        email,
        emails,
        phone_numbers,
        enterprise: enterprise(d, f.get("enterprise")),
        extensions: extensions(d, f.get("extensions")),
        previously: d.string_list(f.get("previously"), "of former userNames"),
        loc: f.loc,
    };
    Some(UserEntry {
        user_name: user_name?,
        ..entry
    })
}

fn name(d: &mut Decoder<'_>, entry: Option<&Entry<'_>>) -> Option<NameEntry> {
    let f = d.entry_fields(entry, "a name", NAME_KEYS)?;
    Some(NameEntry {
        formatted: d.string(f.get("formatted")),
        given_name: d.string(f.get("givenName")),
        family_name: d.string(f.get("familyName")),
        middle_name: d.string(f.get("middleName")),
        honorific_prefix: d.string(f.get("honorificPrefix")),
        honorific_suffix: d.string(f.get("honorificSuffix")),
    })
}

fn check_email(d: &mut Decoder<'_>, email: &Located<String>) {
    let value = email.value.trim();
    if !is_email(value) {
        d.report(
            ConfigErrorKind::InvalidEmail,
            format!("`{value}` is not an email address"),
            email.loc,
            "expected local@domain",
            email_help(value),
        );
    }
}

fn email_entry(d: &mut Decoder<'_>, node: &Node<'_>, list: &str) -> Option<EmailEntry> {
    let subject = format!("each entry of `{list}`");
    let f = d.fields(&subject, node, "an email", EMAIL_KEYS)?;
    let value = if let Some(entry) = f.get("value") {
        d.located_string(Some(entry))
    } else {
        d.report(
            ConfigErrorKind::MissingKey,
            "an email has no `value`",
            f.loc,
            "this email needs a `value`",
            "add `value: ADDRESS`",
        );
        None
    };
    if let Some(value) = &value {
        check_email(d, value);
    }
    let kind = d.string(f.get("type"));
    let primary = d.located_bool(f.get("primary"));
    Some(EmailEntry {
        value: value.map(|v| Located::new(v.value.trim().to_string(), v.loc))?,
        kind,
        primary,
    })
}

fn phone_number(d: &mut Decoder<'_>, node: &Node<'_>) -> Option<PhoneNumberEntry> {
    let f = d.fields(
        &"each entry of `phoneNumbers`",
        node,
        "a phone number",
        PHONE_NUMBER_KEYS,
    )?;
    let value = if let Some(entry) = f.get("value") {
        d.located_string(Some(entry))
    } else {
        d.report(
            ConfigErrorKind::MissingKey,
            "a phone number has no `value`",
            f.loc,
            "this phone number needs a `value`",
            "add `value: NUMBER`",
        );
        None
    };
    if let Some(value) = value.as_ref().filter(|v| v.value.trim().is_empty()) {
        d.report(
            ConfigErrorKind::InvalidValue,
            "a phone number is empty",
            value.loc,
            "empty",
            "write the number, e.g. \"+44 20 7946 0000\", or remove the entry",
        );
    }
    let kind = d.string(f.get("type"));
    let primary = d.located_bool(f.get("primary"));
    Some(PhoneNumberEntry {
        value: value.filter(|v| !v.value.trim().is_empty())?,
        kind,
        primary,
    })
}

/// Report the second value marked primary.
fn check_one_primary<'e>(
    d: &mut Decoder<'_>,
    values: impl Iterator<Item = (Option<&'e Located<bool>>, &'e Located<String>)>,
    kind: ConfigErrorKind,
    message: &str,
    label: &str,
    help: &str,
) {
    let mut primaries = values.filter(|(primary, _)| primary.is_some_and(|p| p.value));
    if let (Some(_), Some((_, second))) = (primaries.next(), primaries.next()) {
        d.report(kind, message, second.loc, label, help);
    }
}

fn enterprise(d: &mut Decoder<'_>, entry: Option<&Entry<'_>>) -> Option<EnterpriseEntry> {
    let f = d.entry_fields(entry, "the enterprise extension", ENTERPRISE_KEYS)?;
    let manager = d.located_string(f.get("manager")).and_then(|m| {
        if m.value.trim().is_empty() {
            d.report(
                ConfigErrorKind::EmptyName,
                "`manager` is empty",
                m.loc,
                "empty",
                "write the manager's userName, or remove the key",
            );
            return None;
        }
        Some(m)
    });
    Some(EnterpriseEntry {
        employee_number: d.string(f.get("employeeNumber")),
        cost_center: d.string(f.get("costCenter")),
        organization: d.string(f.get("organization")),
        division: d.string(f.get("division")),
        department: d.string(f.get("department")),
        manager,
    })
}

fn extensions(d: &mut Decoder<'_>, entry: Option<&Entry<'_>>) -> Option<Extensions> {
    let entry = entry.filter(|e| !d.without_value(e))?;
    let urns = d.free_map(
        &"`extensions`",
        &entry.value,
        "the extensions, by schema URN,",
    )?;
    let mut extensions = Vec::with_capacity(urns.len());
    for urn in urns {
        let problem = if urn.key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
            Some((
                "the enterprise extension has its own key".to_string(),
                "write these attributes under `enterprise:` (employeeNumber, costCenter, \
                 organization, division, department, manager)",
            ))
        } else if urn.key.eq_ignore_ascii_case(USER_SCHEMA) {
            Some((
                "the core User schema is not an extension".to_string(),
                "write core attributes directly on the user",
            ))
        } else if !urn.key.to_ascii_lowercase().starts_with("urn:") {
            Some((
                format!("`{}` is not a schema URN", urn.key),
                "key each extension by its schema URN, e.g. \
                 `urn:example:params:scim:schemas:extension:acme:1.0:User`",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            d.report(
                ConfigErrorKind::InvalidValue,
                message,
                urn.key_loc,
                "not an extension URN",
                help,
            );
            continue;
        }
        let subject = format!("`{}`", urn.key);
        if let Some(map) = d.json_object(&subject, &urn.value, "the extension's attributes") {
            extensions.push((Located::new(urn.key.to_string(), urn.key_loc), map));
        }
    }
    Some(extensions)
}
