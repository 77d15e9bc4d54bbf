//! The `target:` section checked against the provider profiles that `scim::profile`
//! defines (offline: profiles are data): the profile's name, and each of `options` by
//! field name and type, so a typo in either is reported at its place before any plan.
//!
//! And the rules that keep a pull request from sending a secret elsewhere: `token_env`
//! must name a `SCIMFORM_` variable, and `url` must not carry a `user:password@`.

use serde_json::{Map, Value};

use crate::config::declared::{
    DEFAULT_ATLASSIAN_ADMIN_TOKEN_ENV, DeclaredAtlassian, DeclaredTarget,
};
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{AtlassianSection, Located, TargetSection};
use crate::config::origin::{Origin, SourceFile};
use crate::config::suggest::closest;
use crate::scim::profile::{PROFILE_NAMES, Profile};
use crate::secret;

/// The declared target; problems with its profile and options.
pub(in crate::config) fn target(
    root: &SourceFile,
    section: Option<TargetSection>,
    problems: &mut Vec<ConfigError>,
) -> DeclaredTarget {
    let Some(section) = section else {
        return DeclaredTarget::default();
    };
    if let Some(token_env) = &section.token_env {
        check_token_env(root, token_env, problems);
    }
    if let Some(url) = &section.url {
        check_no_userinfo(root, url, problems);
    }
    let profile = section.profile.map(|p| Located {
        value: p.value.trim().to_string(),
        loc: p.loc,
    });
    let mut known_profile = true;
    if let Some(profile) = profile.as_ref().filter(|p| !p.value.is_empty())
        && !PROFILE_NAMES.contains(&profile.value.as_str())
    {
        known_profile = false;
        let names = PROFILE_NAMES.join(", ");
        let help = match closest(&profile.value, PROFILE_NAMES.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? The profiles are: {names}"),
            None => format!("the profiles are: {names}"),
        };
        problems.push(
            ConfigError::new(
                ConfigErrorKind::InvalidValue,
                format!("`{}` is not a provider profile", profile.value),
            )
            .at(&Origin::of(root, profile.loc), "unknown profile")
            .help(help),
        );
    }
    let mut options = Map::new();
    // Options are checked against the named profile (`auto` and unknown names: the
    // generic one, which has the same fields).
    let base = profile
        .as_ref()
        .filter(|_| known_profile)
        .and_then(|p| Profile::builtin(&p.value))
        .unwrap_or_else(Profile::generic);
    let fields: Vec<String> = match serde_json::to_value(&base) {
        Ok(Value::Object(fields)) => fields.keys().filter(|k| *k != "name").cloned().collect(),
        _ => Vec::new(),
    };
    for (key, value) in section.options.unwrap_or_default() {
        if !fields.contains(&key.value) {
            let help = match closest(&key.value, fields.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("a profile's fields are: {}", fields.join(", ")),
            };
            problems.push(
                ConfigError::new(
                    ConfigErrorKind::UnknownKey,
                    format!("unknown key `{}` in `target.options`", key.value),
                )
                .at(&Origin::of(root, key.loc), "not a profile field")
                .help(help),
            );
            continue;
        }
        let single = Map::from_iter([(key.value.clone(), value.value.clone())]);
        if let Err(error) = base.clone().with_options(&single) {
            let message = error.0.trim_start_matches("target.options: ").to_string();
            problems.push(
                ConfigError::new(
                    ConfigErrorKind::InvalidValue,
                    format!("`target.options.{}`: {message}", key.value),
                )
                .at(
                    &Origin::of(root, value.loc),
                    "not a valid value for this field",
                )
                .help("give the field a value of the type the profile has for it"),
            );
            continue;
        }
        options.insert(key.value, value.value);
    }
    let atlassian = section.atlassian.and_then(|a| atlassian(root, a, problems));
    DeclaredTarget {
        url: section.url.map(|u| u.value.trim().to_string()),
        profile: profile.map(|p| p.value),
        token_env: section.token_env.map(|t| t.value),
        options,
        atlassian,
    }
}

/// `target.atlassian`: an organisation id, and a `SCIMFORM_` variable for its key.
fn atlassian(
    root: &SourceFile,
    section: AtlassianSection,
    problems: &mut Vec<ConfigError>,
) -> Option<DeclaredAtlassian> {
    if let Some(name) = &section.admin_token_env {
        check_token_env(root, name, problems);
    }
    let org_id = section
        .org_id
        .map(|o| Located {
            value: o.value.trim().to_string(),
            loc: o.loc,
        })
        .filter(|o| !o.value.is_empty());
    // A missing `org_id` is reported where the file is decoded.
    let org_id = org_id?;
    let valid = org_id
        .value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        problems.push(
            ConfigError::new(
                ConfigErrorKind::InvalidValue,
                "`org_id` is not an organisation id (letters, digits, `-` and `_`)",
            )
            .at(&Origin::of(root, org_id.loc), "not an id")
            .help("copy the organisation id from admin.atlassian.com"),
        );
        return None;
    }
    Some(DeclaredAtlassian {
        org_id: org_id.value,
        admin_token_env: section.admin_token_env.map_or_else(
            || DEFAULT_ATLASSIAN_ADMIN_TOKEN_ENV.to_string(),
            |n| n.value,
        ),
    })
}

/// `token_env` names a `SCIMFORM_` variable. A name that is not a variable name at all
/// is reported where the file is decoded; the message never repeats the value, which
/// may be a token written by mistake.
fn check_token_env(
    root: &SourceFile,
    token_env: &Located<String>,
    problems: &mut Vec<ConfigError>,
) {
    let name = token_env.value.as_str();
    let variable_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !variable_name || secret::is_token_variable(name) {
        return;
    }
    let prefix = secret::TOKEN_ENV_PREFIX;
    problems.push(
        ConfigError::new(
            ConfigErrorKind::InvalidValue,
            format!("`token_env` must name a variable that begins with `{prefix}`"),
        )
        .at(&Origin::of(root, token_env.loc), "not a SCIMFORM_ variable")
        .help(format!(
            "a pull request can change this file, and CI runs `plan` on pull requests with \
             the secrets present: naming any other variable (GITHUB_TOKEN, a cloud key) would \
             send it to the target. Put the SCIM token in a variable such as \
             {prefix}TOKEN (the default, when token_env is left out) and name that here"
        )),
    );
}

/// `url` has no `user:password@`: scimform authenticates with the bearer token only, and
/// a password in a URL ends up in logs. The message does not repeat the URL.
fn check_no_userinfo(root: &SourceFile, url: &Located<String>, problems: &mut Vec<ConfigError>) {
    let text = url.value.trim();
    let Some(rest) = text.split_once("://").map(|(_, rest)| rest) else {
        return;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if !authority.contains('@') {
        return;
    }
    problems.push(
        ConfigError::new(
            ConfigErrorKind::InvalidValue,
            "`url` contains a user name or password (`user:password@`)",
        )
        .at(&Origin::of(root, url.loc), "credentials in the URL")
        .help(
            "remove them: scimform sends the bearer token from the environment and nothing \
             else; change that password, since it was committed",
        ),
    );
}
