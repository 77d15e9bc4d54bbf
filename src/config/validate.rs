//! Validation: checks that need more than one entry (duplicates, member references) and
//! per-value rules (non-empty names, email form, one primary email), and the conversion
//! of the file model into the `Declared` model.
//!
//! Every problem is collected; nothing stops at the first. Offline only.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use serde_saphyr::Spanned;

use super::declared::{
    Declared, DeclaredGroup, DeclaredTarget, DeclaredUser, MemberName, Membership, Policy,
};
use super::diagnostic::{ConfigError, ConfigErrorKind, ConfigErrors, Origin, SourceFile};
use super::model::{ConfigFile, EmailEntry, GroupEntry, NameEntry, UserEntry};

pub(super) fn validate(
    file: ConfigFile,
    source: &SourceFile,
    digest: String,
) -> Result<Declared, ConfigErrors> {
    let mut errors = Vec::new();
    let origin_of = |s: &Spanned<String>| {
        Origin::at(
            source,
            s.referenced.line().max(1),
            s.referenced.column().max(1),
        )
    };

    let mut users = Vec::with_capacity(file.users.len());
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for entry in file.users {
        let origin = origin_of(&entry.user_name);
        let user_name = entry.user_name.value.trim().to_string();
        if user_name.is_empty() {
            errors.push(
                ConfigError::new(ConfigErrorKind::EmptyName, "userName is empty")
                    .at(&origin, "empty userName")
                    .help("give the user a userName, usually the login email address"),
            );
            continue;
        }
        check_emails(&entry, source, &mut errors);
        let key = user_name.to_lowercase();
        if let Some(&first) = by_name.get(&key) {
            let first: &DeclaredUser = &users[first];
            errors.push(
                ConfigError::new(
                    ConfigErrorKind::DuplicateUser,
                    format!("user `{user_name}` is declared twice"),
                )
                .at(&origin, "declared again here")
                .help("userNames are compared case-insensitively: remove one of the two entries")
                .with_related(
                    ConfigError::note(
                        ConfigErrorKind::DuplicateUser,
                        format!(
                            "`{}` is first declared at {}",
                            first.user_name, first.origin
                        ),
                    )
                    .at(&first.origin, "first declared here"),
                ),
            );
            continue;
        }
        by_name.insert(key, users.len());
        let attributes = user_attributes(&entry);
        for email in entry.emails.iter().flatten() {
            by_email
                .entry(email.value.value.trim().to_lowercase())
                .or_insert(users.len());
        }
        users.push(DeclaredUser {
            user_name,
            attributes,
            manager: None,
            previously: Vec::new(),
            origin,
        });
    }

    let mut groups: Vec<DeclaredGroup> = Vec::with_capacity(file.groups.len());
    let mut group_names: HashMap<String, usize> = HashMap::new();
    for entry in file.groups {
        let origin = origin_of(&entry.display_name);
        let display_name = entry.display_name.value.trim().to_string();
        if display_name.is_empty() {
            errors.push(
                ConfigError::new(ConfigErrorKind::EmptyName, "group displayName is empty")
                    .at(&origin, "empty displayName")
                    .help("give the group a displayName"),
            );
            continue;
        }
        let key = display_name.to_lowercase();
        if let Some(&first) = group_names.get(&key) {
            let first = &groups[first];
            errors.push(
                ConfigError::new(
                    ConfigErrorKind::DuplicateGroup,
                    format!("group `{display_name}` is declared twice"),
                )
                .at(&origin, "declared again here")
                .help("group names are compared case-insensitively: merge the two entries")
                .with_related(
                    ConfigError::note(
                        ConfigErrorKind::DuplicateGroup,
                        format!(
                            "`{}` is first declared at {}",
                            first.display_name, first.origin
                        ),
                    )
                    .at(&first.origin, "first declared here"),
                ),
            );
            continue;
        }
        let members = resolve_members(&entry, &users, &by_name, &by_email, &origin_of, &mut errors);
        group_names.insert(key, groups.len());
        groups.push(DeclaredGroup {
            display_name,
            external_id: entry.external_id,
            members,
            membership: Membership::Authoritative,
            privileged: false,
            min_members: None,
            previously: Vec::new(),
            origin,
        });
    }

    if !errors.is_empty() {
        return Err(ConfigErrors { errors });
    }
    Ok(Declared {
        target: DeclaredTarget {
            url: file.target.url,
            profile: file.target.profile,
            token_env: file.target.token_env,
            options: serde_json::Map::new(),
        },
        policy: Policy::default(),
        users,
        groups,
        digest,
        warnings: Vec::new(),
    })
}

fn resolve_members(
    entry: &GroupEntry,
    users: &[DeclaredUser],
    by_name: &HashMap<String, usize>,
    by_email: &HashMap<String, usize>,
    origin_of: &dyn Fn(&Spanned<String>) -> Origin,
    errors: &mut Vec<ConfigError>,
) -> Option<Vec<MemberName>> {
    let listed = entry.members.as_ref()?;
    let mut members: Vec<MemberName> = Vec::with_capacity(listed.len());
    let mut seen = std::collections::HashSet::new();
    for member in listed {
        let key = member.value.trim().to_lowercase();
        let found = by_name.get(&key).or_else(|| by_email.get(&key));
        match found {
            Some(&index) => {
                let user_name = &users[index].user_name;
                if seen.insert(user_name.to_lowercase()) {
                    members.push(MemberName::User(user_name.clone()));
                }
            }
            None => {
                let origin = origin_of(member);
                let mut error = ConfigError::new(
                    ConfigErrorKind::UnknownMember,
                    format!(
                        "group `{}` lists `{}`, which is not a declared user",
                        entry.display_name.value, member.value
                    ),
                )
                .at(&origin, "no user with this userName or email");
                error = match closest(&key, users.iter().map(|u| u.user_name.as_str())) {
                    Some(suggestion) => error.help(format!(
                        "did you mean `{suggestion}`? Members name declared users by userName or email"
                    )),
                    None => error.help(
                        "declare the user under `users:`, or remove it from the group's members",
                    ),
                };
                errors.push(error);
            }
        }
    }
    Some(members)
}

fn check_emails(entry: &UserEntry, source: &SourceFile, errors: &mut Vec<ConfigError>) {
    let Some(emails) = &entry.emails else { return };
    let mut primaries = 0;
    for email in emails {
        let value = email.value.value.trim();
        let valid = value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.contains(char::is_whitespace)
        });
        let origin = Origin::at(
            source,
            email.value.referenced.line().max(1),
            email.value.referenced.column().max(1),
        );
        if !valid {
            errors.push(
                ConfigError::new(
                    ConfigErrorKind::InvalidEmail,
                    format!("`{value}` is not an email address"),
                )
                .at(&origin, "expected local@domain")
                .help("write the address as local@domain, e.g. alice@example.com"),
            );
        }
        if email.primary == Some(true) {
            primaries += 1;
            if primaries == 2 {
                errors.push(
                    ConfigError::new(
                        ConfigErrorKind::TwoPrimaryEmails,
                        format!(
                            "user `{}` has more than one primary email",
                            entry.user_name.value
                        ),
                    )
                    .at(&origin, "second primary email")
                    .help("mark exactly one email `primary: true`"),
                );
            }
        }
    }
}

/// The managed attributes of a user entry in SCIM form: only what the entry sets.
fn user_attributes(entry: &UserEntry) -> Map<String, Value> {
    let mut attributes = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            attributes.insert(key.to_string(), value);
        }
    };
    let string = |s: &Option<String>| s.as_ref().map(|s| Value::String(s.clone()));
    put("externalId", string(&entry.external_id));
    put("displayName", string(&entry.display_name));
    put("name", entry.name.as_ref().map(name_value));
    put("nickName", string(&entry.nick_name));
    put("title", string(&entry.title));
    put("userType", string(&entry.user_type));
    put("preferredLanguage", string(&entry.preferred_language));
    put("locale", string(&entry.locale));
    put("timezone", string(&entry.timezone));
    put("active", entry.active.map(Value::Bool));
    put(
        "emails",
        entry
            .emails
            .as_ref()
            .map(|emails| Value::Array(emails.iter().map(email_value).collect())),
    );
    attributes
}

fn name_value(name: &NameEntry) -> Value {
    let mut map = Map::new();
    for (key, value) in [
        ("formatted", &name.formatted),
        ("givenName", &name.given_name),
        ("familyName", &name.family_name),
        ("middleName", &name.middle_name),
        ("honorificPrefix", &name.honorific_prefix),
        ("honorificSuffix", &name.honorific_suffix),
    ] {
        if let Some(value) = value {
            map.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    Value::Object(map)
}

fn email_value(email: &EmailEntry) -> Value {
    let mut value = json!({ "value": email.value.value.trim() });
    if let Some(kind) = &email.kind {
        value["type"] = Value::String(kind.clone());
    }
    if let Some(primary) = email.primary {
        value["primary"] = Value::Bool(primary);
    }
    value
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a
/// plausible typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 5).max(2))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_a_near_name() {
        let names = ["alice@acme.test", "bob@acme.test"];
        assert_eq!(
            closest("alcie@acme.test", names.into_iter()),
            Some("alice@acme.test")
        );
        assert_eq!(closest("zed@other.example", names.into_iter()), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
