//! The `target:` section checked against the provider profiles that `scim::profile`
//! defines (offline: profiles are data): the profile's name, and each of `options` by
//! field name and type, so a typo in either is reported at its place before any plan.

use serde_json::{Map, Value};

use crate::config::declared::DeclaredTarget;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{Located, TargetSection};
use crate::config::origin::{Origin, SourceFile};
use crate::config::suggest::closest;
use crate::scim::profile::{PROFILE_NAMES, Profile};

/// The declared target; problems with its profile and options.
pub(super) fn target(
    root: &SourceFile,
    section: Option<TargetSection>,
    problems: &mut Vec<ConfigError>,
) -> DeclaredTarget {
    let Some(section) = section else {
        return DeclaredTarget::default();
    };
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
    DeclaredTarget {
        url: section.url.map(|u| u.value.trim().to_string()),
        profile: profile.map(|p| p.value),
        token_env: section.token_env.map(|t| t.value),
        options,
    }
}
