//! Warnings about names that are easily misread — by people reviewing a pull request or
//! by scimform itself: whitespace at either end (names are compared exactly), a userName
//! that starts with `group:` (which members read as a group), control, bidirectional and
//! invisible characters, and words that mix Latin, Cyrillic or Greek letters (`аdmin`
//! with a Cyrillic `а` looks like `admin`).
//!
//! These are warnings, not errors: a directory may really hold such names, and
//! `scimform export` writes what it finds. Names come from files that pull requests edit,
//! so the messages show them with deceptive characters escaped (`ConfigError` does that).

use super::groups::Groups;
use super::users::Users;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::names::{Script, is_deceptive, mixed_script_word, script};
use crate::config::origin::Origin;

/// The prefix that makes a short-form member a group.
const GROUP_PREFIX: &str = "group:";

pub(super) fn check(users: &Users, groups: &Groups, problems: &mut Vec<ConfigError>) {
    for user in &users.declared {
        check_name("userName", &user.user_name, &user.origin, problems);
        if user.user_name.starts_with(GROUP_PREFIX) {
            problems.push(
                ConfigError::new(
                    ConfigErrorKind::GroupPrefixUserName,
                    format!(
                        "the userName `{}` starts with `group:`, which a group's members read as \
                         a group",
                        user.user_name
                    ),
                )
                .at(&user.origin, "starts with `group:`")
                .help(format!(
                    "in `members:`, name this user as `{{user: \"{}\"}}`; `\"{}\"` names the \
                     group `{}`",
                    user.user_name,
                    user.user_name,
                    &user.user_name[GROUP_PREFIX.len()..]
                )),
            );
        }
    }
    for group in &groups.declared {
        check_name("group name", &group.display_name, &group.origin, problems);
    }
}

/// Whitespace, deceptive characters and mixed scripts in one name.
fn check_name(what: &str, name: &str, origin: &Origin, problems: &mut Vec<ConfigError>) {
    let (start, end) = (
        name.starts_with(char::is_whitespace),
        name.ends_with(char::is_whitespace),
    );
    if start || end {
        let place = match (start, end) {
            (true, true) => "at its start and end",
            (true, false) => "at its start",
            _ => "at its end",
        };
        problems.push(
            ConfigError::new(
                ConfigErrorKind::NameWhitespace,
                format!("the {what} `{name}` has whitespace {place}"),
            )
            .at(origin, "whitespace in the name")
            .help(
                "names are compared exactly, spaces included: remove the whitespace, unless \
                 the directory's name really has it",
            ),
        );
    }
    if let Some(c) = name.chars().find(|c| is_deceptive(*c)) {
        problems.push(
            ConfigError::new(
                ConfigErrorKind::DeceptiveName,
                format!(
                    "the {what} `{name}` contains U+{:04X}, {}",
                    u32::from(c),
                    describe(c)
                ),
            )
            .at(origin, "a hidden character")
            .help(
                "such characters make one name look like another (or hide part of it) in a \
                 review: remove them, unless the directory's name really has them",
            ),
        );
    }
    if let Some((word, first, second)) = mixed_script_word(name) {
        // Point at the first letter of the script the word has fewer of.
        let count = |s: Script| word.chars().filter(|c| script(*c) == Some(s)).count();
        let odd = if count(second) <= count(first) {
            second
        } else {
            first
        };
        let letter = word
            .chars()
            .find(|c| script(*c) == Some(odd))
            .unwrap_or_default();
        problems.push(
            ConfigError::new(
                ConfigErrorKind::MixedScriptName,
                format!(
                    "the {what} `{name}` mixes {} and {} letters in `{word}`",
                    first.name(),
                    second.name()
                ),
            )
            .at(origin, "mixed scripts")
            .help(format!(
                "`{letter}` (U+{:04X}) is a {} letter that looks like a letter of another \
                 script: write the name in one script, unless it really is spelt this way",
                u32::from(letter),
                odd.name()
            )),
        );
    }
}

/// What kind of deceptive character `c` is.
fn describe(c: char) -> &'static str {
    match c {
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => {
            "a bidirectional formatting character (it can reorder what is shown)"
        }
        '\u{2028}' | '\u{2029}' => "a line or paragraph separator",
        c if c.is_control() => "a control character",
        _ => "an invisible character",
    }
}
