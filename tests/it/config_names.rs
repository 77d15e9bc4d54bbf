//! Names that say what they mean: members written `{user: NAME}` or `{group: NAME}` where
//! the short form would be misread, names kept exactly as written (whitespace included),
//! and names from pull requests that cannot reach a terminal with their deceptive
//! characters (the warnings themselves are in the corpus, `tests/fixtures/warnings/`).

use scimform::config::{ConfigErrorKind, Declared, MemberName, load_str};

fn load(yaml: &str) -> Declared {
    match load_str("scimform.yaml", yaml) {
        Ok(declared) => declared,
        Err(errors) => panic!(
            "expected a valid configuration, got:\n{}",
            scimform::cli::render_diagnostic(&errors, false, 100)
        ),
    }
}

#[test]
fn members_may_say_whether_they_name_a_user_or_a_group() {
    let declared = load(
        r#"
users:
  - userName: "group:admins"
  - userName: alice@x.test
groups:
  - displayName: admins
    members: [alice@x.test]
  - displayName: ops
    members:
      - { user: "group:admins" }
      - { group: admins }
      - { user: ALICE@x.test }
"#,
    );
    assert_eq!(
        declared.groups[1].members,
        Some(vec![
            MemberName::User("group:admins".into()),
            MemberName::Group("admins".into()),
            MemberName::User("alice@x.test".into()),
        ])
    );
    let warnings: Vec<ConfigErrorKind> = declared.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(warnings, [ConfigErrorKind::GroupPrefixUserName]);
}

#[test]
fn a_short_group_member_that_only_a_user_has_says_how_to_name_the_user() {
    let Err(errors) = load_str(
        "scimform.yaml",
        "users:\n  - userName: \"group:admins\"\ngroups:\n  - displayName: ops\n    members: [\"group:admins\"]\n",
    ) else {
        panic!("`group:admins` names a group that is not declared")
    };
    assert_eq!(errors.errors.len(), 1);
    let error = &errors.errors[0];
    assert_eq!(error.kind, ConfigErrorKind::UnknownMember);
    assert!(
        error.help.contains(r#"{user: "group:admins"}"#),
        "{}",
        error.help
    );
}

#[test]
fn names_are_exact_not_trimmed() {
    // A live userName with a trailing space is another account than the one without:
    // trimming the declared name made `plan` create a second account next to it.
    let declared = load(
        r#"
users:
  - userName: "bob@x.test "
  - userName: bob@x.test
    enterprise: { manager: "bob@x.test " }
groups:
  - displayName: " ops"
    members: ["bob@x.test ", bob@x.test]
    previously: [" old-ops"]
policy:
  protected_users: ["bob@x.test "]
"#,
    );
    let names: Vec<&str> = declared.users.iter().map(|u| &*u.user_name).collect();
    assert_eq!(names, ["bob@x.test ", "bob@x.test"]);
    assert_eq!(declared.users[1].manager.as_deref(), Some("bob@x.test "));
    assert_eq!(declared.groups[0].display_name, " ops");
    assert_eq!(declared.groups[0].previously, [" old-ops"]);
    assert_eq!(
        declared.groups[0].members,
        Some(vec![
            MemberName::User("bob@x.test ".into()),
            MemberName::User("bob@x.test".into()),
        ])
    );
    assert_eq!(declared.policy.protected_users, ["bob@x.test "]);
    let warnings: Vec<ConfigErrorKind> = declared.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(
        warnings,
        [
            ConfigErrorKind::NameWhitespace,
            ConfigErrorKind::NameWhitespace
        ]
    );
}

#[test]
fn a_name_of_only_whitespace_is_still_empty() {
    let Err(errors) = load_str("scimform.yaml", "users:\n  - userName: \"  \"\n") else {
        panic!("an empty userName was accepted")
    };
    assert_eq!(errors.errors[0].kind, ConfigErrorKind::EmptyName);
}

#[test]
fn deceptive_characters_never_reach_the_rendered_report() {
    // Raw characters in the file (YAML allows no raw control character: that one is an
    // escape): the message escapes them, the snippet shows placeholders of the same
    // length.
    let yaml = "users:\n  - userName: \"adm\u{202E}in\u{200B}@x.test\\a\"\n  - userName: x\n    bogus: 1\n";
    let Err(errors) = load_str("scimform.yaml", yaml) else {
        panic!("`bogus` is not a key")
    };
    let rendered = scimform::cli::render_diagnostic(&errors, false, 100);
    let warning = &errors.warnings[0];
    assert_eq!(warning.kind, ConfigErrorKind::DeceptiveName);
    assert!(
        warning
            .message
            .contains(r"adm\u{202E}in\u{200B}@x.test\u{0007}"),
        "{}",
        warning.message
    );
    for c in ['\u{202E}', '\u{200B}', '\u{7}'] {
        assert!(!rendered.contains(c), "{c:?} in:\n{rendered}");
    }
    let json = scimform::config::escape_deceptive(&errors.warnings[0].message).into_owned();
    assert_eq!(
        json, warning.message,
        "messages are escaped once, when made"
    );
}
