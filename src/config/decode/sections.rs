//! Decoding a file's top level and the root file's sections: `target`, `policy`,
//! `defaults`, `include`.

use super::Decoder;
use super::group::group;
use super::user::user;
use crate::config::declared::{MatchUsersBy, UnmanagedGroups, UnmanagedUsers};
use crate::config::kind::ConfigErrorKind;
use crate::config::load::ROOT_FILE;
use crate::config::model::{
    AtlassianSection, ConfigFile, DefaultsSection, EnterpriseDefaults, INCLUDED_KEYS,
    IgnoreSection, Located, MaxDestroySection, PolicySection, ROOT_KEYS, TargetSection,
};
use crate::config::origin::Loc;
use crate::config::yaml::{Entry, Node, Resolved, Value};

pub(super) fn config_file(d: &mut Decoder<'_>, node: Option<&Node<'_>>, root: bool) -> ConfigFile {
    let Some(node) = node else {
        return ConfigFile {
            loc: Loc::START,
            ..ConfigFile::default()
        };
    };
    let Value::Map(entries) = &node.value else {
        d.report(
            ConfigErrorKind::WrongType,
            format!(
                "a scimform file is a mapping of sections, but this one is {}",
                node.describe()
            ),
            node.loc,
            "expected `users:`, `groups:`, …",
            "start the file with sections such as `users:` and `groups:`",
        );
        return ConfigFile {
            loc: node.loc,
            ..ConfigFile::default()
        };
    };
    if !root {
        for entry in entries {
            if ROOT_KEYS.contains(&entry.key.as_ref())
                && !INCLUDED_KEYS.contains(&entry.key.as_ref())
            {
                d.report(
                    ConfigErrorKind::MisplacedKey,
                    format!("`{}` may be set only in {ROOT_FILE}", entry.key),
                    entry.key_loc,
                    "not in an included file",
                    format!(
                        "move the `{}` section to {ROOT_FILE}; included files hold only \
                         `users:` and `groups:`",
                        entry.key
                    ),
                );
            }
        }
    }
    let (keys, what, skip): (_, _, &[&str]) = if root {
        (ROOT_KEYS, "scimform.yaml", &[])
    } else {
        // Root-file keys are reported above as misplaced, not as unknown.
        (INCLUDED_KEYS, "an included file", ROOT_KEYS)
    };
    let Some(fields) = d.fields_except(&"", node, what, keys, skip) else {
        return ConfigFile::default();
    };
    let mut config = ConfigFile {
        loc: node.loc,
        ..ConfigFile::default()
    };
    if root {
        config.target = section(d, fields.get("target"), "the target", TARGET_KEYS, target);
        config.policy = section(d, fields.get("policy"), "the policy", POLICY_KEYS, policy);
        config.defaults = section(
            d,
            fields.get("defaults"),
            "user defaults",
            DEFAULTS_KEYS,
            defaults,
        );
        config.include = nullable(fields.get("include"))
            .and_then(|e| d.string_list(Some(e), "of glob patterns"));
    }
    config.users = nullable(fields.get("users"))
        .and_then(|e| d.list(Some(e), "of users", user))
        .unwrap_or_default();
    config.groups = nullable(fields.get("groups"))
        .and_then(|e| d.list(Some(e), "of groups", group))
        .unwrap_or_default();
    config
}

/// An entry, unless its value is null (a section written `users:` with nothing under it
/// is the same as no section).
fn nullable<'n, 'a>(entry: Option<&'n Entry<'a>>) -> Option<&'n Entry<'a>> {
    entry.filter(|e| !matches!(&e.value.value, Value::Scalar(s) if s.resolve() == Resolved::Null))
}

fn section<'n, 'a, T>(
    d: &mut Decoder<'_>,
    entry: Option<&'n Entry<'a>>,
    what: &str,
    keys: &'static [&'static str],
    decode: impl FnOnce(&mut Decoder<'_>, &super::Fields<'n, 'a>) -> T,
) -> Option<T> {
    let entry = nullable(entry)?;
    let fields = d.fields(&super::Key(&entry.key), &entry.value, what, keys)?;
    Some(decode(d, &fields))
}

pub(super) const TARGET_KEYS: &[&str] = &["url", "profile", "token_env", "options", "atlassian"];
pub(super) const ATLASSIAN_KEYS: &[&str] = &["org_id", "admin_token_env"];
pub(super) const POLICY_KEYS: &[&str] = &[
    "unmanaged_users",
    "unmanaged_groups",
    "match_users_by",
    "max_destroy",
    "protected_users",
    "protected_groups",
    "ignore",
];
pub(super) const MAX_DESTROY_KEYS: &[&str] = &["count", "percent"];
pub(super) const IGNORE_KEYS: &[&str] = &["users", "groups"];
pub(super) const DEFAULTS_KEYS: &[&str] = &[
    "active",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "emails_from_userName",
    "email_type",
    "enterprise",
];
pub(super) const ENTERPRISE_DEFAULTS_KEYS: &[&str] =
    &["organization", "division", "department", "costCenter"];

fn target(d: &mut Decoder<'_>, f: &super::Fields<'_, '_>) -> TargetSection {
    let url = d.located_string(f.get("url"));
    if let Some(url) = &url {
        check_url(d, url);
    }
    let profile = d.located_string(f.get("profile"));
    if let Some(profile) = profile.as_ref().filter(|p| p.value.trim().is_empty()) {
        d.report(
            ConfigErrorKind::InvalidValue,
            "`profile` is empty",
            profile.loc,
            "empty",
            "name a provider profile, e.g. `generic`, or remove the key",
        );
    }
    let token_env = d.located_string(f.get("token_env"));
    if let Some(token_env) = &token_env {
        check_env_name(d, token_env);
    }
    let options = f
        .get("options")
        .filter(|e| !d.without_value(e))
        .and_then(|e| {
            let entries = d.free_map(&"`options`", &e.value, "profile overrides")?;
            let options = entries
                .into_iter()
                .filter_map(|option| {
                    let value = d.json(&super::Key(&option.key), &option.value)?;
                    Some((
                        Located::new(option.key.to_string(), option.key_loc),
                        Located::new(value, option.value.loc),
                    ))
                })
                .collect();
            Some(options)
        });
    let atlassian_loc = f.get("atlassian").map(|e| e.key_loc);
    let atlassian = d
        .entry_fields(
            f.get("atlassian"),
            "the Atlassian organisation",
            ATLASSIAN_KEYS,
        )
        .map(|f| {
            let org_id = d.located_string(f.get("org_id"));
            if org_id.is_none()
                && let Some(loc) = atlassian_loc
            {
                d.report(
                    ConfigErrorKind::MissingKey,
                    "`target.atlassian` needs `org_id`",
                    loc,
                    "no org_id",
                    "write the organisation's id (admin.atlassian.com shows it with the API keys)",
                );
            }
            let admin_token_env = d.located_string(f.get("admin_token_env"));
            if let Some(name) = &admin_token_env {
                check_env_name(d, name);
            }
            AtlassianSection {
                org_id,
                admin_token_env,
            }
        });
    TargetSection {
        url,
        profile,
        token_env,
        options,
        atlassian,
    }
}

fn check_url(d: &mut Decoder<'_>, url: &Located<String>) {
    let text = url.value.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let problem = match host {
        None => Some("it does not start with https:// (or http://)"),
        Some("") => Some("it has no host"),
        Some(_) if text.contains(char::is_whitespace) => Some("it contains spaces"),
        Some(_) => None,
    };
    if let Some(problem) = problem {
        d.report(
            ConfigErrorKind::InvalidValue,
            format!("`url` is not a usable SCIM base URL: {problem}"),
            url.loc,
            "not an http(s) URL",
            "write the SCIM base URL, e.g. https://api.example.com/scim/v2",
        );
    }
}

/// `token_env` names a variable; it must never hold the token itself.
fn check_env_name(d: &mut Decoder<'_>, name: &Located<String>) {
    let text = name.value.as_str();
    let valid = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        return;
    }
    let looks_secret = text.len() >= 20 && !text.contains(' ');
    let help = if looks_secret {
        "this looks like a token: never write a token in a file (rotate it if it was \
         committed); put it in an environment variable and write that variable's name here"
    } else {
        "write the name of an environment variable (letters, digits and `_`), e.g. SCIMFORM_TOKEN"
    };
    // The message does not repeat the value: it may be a secret.
    d.report(
        ConfigErrorKind::InvalidValue,
        "`token_env` is not the name of an environment variable",
        name.loc,
        "not a variable name",
        help,
    );
}

fn policy(d: &mut Decoder<'_>, f: &super::Fields<'_, '_>) -> PolicySection {
    let unmanaged_users = d.choice(
        f.get("unmanaged_users"),
        &[
            ("ignore", UnmanagedUsers::Ignore),
            ("deactivate", UnmanagedUsers::Deactivate),
            ("delete", UnmanagedUsers::Delete),
        ],
    );
    let unmanaged_groups = d.choice(
        f.get("unmanaged_groups"),
        &[
            ("ignore", UnmanagedGroups::Ignore),
            ("delete", UnmanagedGroups::Delete),
        ],
    );
    let match_users_by = match_users_by(d, f.get("match_users_by"));
    let max_destroy = d.entry_fields(f.get("max_destroy"), "the destroy limits", MAX_DESTROY_KEYS);
    let max_destroy = max_destroy.map(|f| {
        let count = d.count(f.get("count")).map(|c| c.value);
        let percent = d.number(f.get("percent")).and_then(|p| {
            if (0.0..=100.0).contains(&p.value) {
                Some(p.value)
            } else {
                d.report(
                    ConfigErrorKind::InvalidValue,
                    format!("`percent` is {}, outside 0–100", p.value),
                    p.loc,
                    "not a percentage",
                    "write a percentage from 0 to 100",
                );
                None
            }
        });
        MaxDestroySection { count, percent }
    });
    let protected_users = d.string_list(f.get("protected_users"), "of userNames");
    let protected_groups = d.string_list(f.get("protected_groups"), "of group names");
    let ignore = d.entry_fields(f.get("ignore"), "the ignore patterns", IGNORE_KEYS);
    let ignore = ignore.map(|f| IgnoreSection {
        users: d.string_list(f.get("users"), "of userName patterns"),
        groups: d.string_list(f.get("groups"), "of group name patterns"),
    });
    PolicySection {
        unmanaged_users,
        unmanaged_groups,
        match_users_by,
        max_destroy,
        protected_users,
        protected_groups,
        ignore,
    }
}

fn match_users_by(
    d: &mut Decoder<'_>,
    entry: Option<&Entry<'_>>,
) -> Option<Located<Vec<Located<MatchUsersBy>>>> {
    let entry = entry?;
    let choices = [
        ("userName", MatchUsersBy::UserName),
        ("email", MatchUsersBy::Email),
        ("externalId", MatchUsersBy::ExternalId),
    ];
    let items = d.list(Some(entry), "of attributes", |d, node| {
        d.choice_node(&"`match_users_by`", node, &choices)
            .map(|v| Located::new(v, node.loc))
    })?;
    let mut seen: Vec<MatchUsersBy> = Vec::new();
    for item in &items {
        if seen.contains(&item.value) {
            d.report(
                ConfigErrorKind::InvalidValue,
                "`match_users_by` names the same attribute twice",
                item.loc,
                "repeated",
                "list each attribute once, in the order to try them",
            );
        }
        seen.push(item.value);
    }
    if items.is_empty() && matches!(&entry.value.value, Value::Seq(s) if s.is_empty()) {
        d.report(
            ConfigErrorKind::InvalidValue,
            "`match_users_by` is empty: declared users could never find their accounts",
            entry.value.loc,
            "empty",
            "list at least `userName`, or remove the key for the default `[userName]`",
        );
    }
    Some(Located::new(items, entry.value.loc))
}

fn defaults(d: &mut Decoder<'_>, f: &super::Fields<'_, '_>) -> DefaultsSection {
    let enterprise = d.entry_fields(
        f.get("enterprise"),
        "enterprise defaults",
        ENTERPRISE_DEFAULTS_KEYS,
    );
    let enterprise = enterprise.map(|f| EnterpriseDefaults {
        organization: d.string(f.get("organization")),
        division: d.string(f.get("division")),
        department: d.string(f.get("department")),
        cost_center: d.string(f.get("costCenter")),
    });
    DefaultsSection {
        active: d.boolean(f.get("active")),
        user_type: d.string(f.get("userType")),
        preferred_language: d.string(f.get("preferredLanguage")),
        locale: d.string(f.get("locale")),
        timezone: d.string(f.get("timezone")),
        emails_from_user_name: d.boolean(f.get("emails_from_userName")),
        email_type: d.string(f.get("email_type")),
        enterprise,
    }
}
