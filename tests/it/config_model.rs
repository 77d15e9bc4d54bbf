//! What a valid configuration declares: every user attribute in its SCIM form, defaults,
//! the `email` shorthand, members by userName or email, nested groups, managers, former
//! names, the policy and target, multi-file loading (from disk and from memory) and the
//! digest — and the warnings a valid configuration can still carry.

use serde_json::json;

use scimform::config::{
    ConfigErrorKind, Declared, ENTERPRISE_SCHEMA, MatchUsersBy, MemberName, Membership,
    UnmanagedGroups, UnmanagedUsers, load_dir, load_files, load_str,
};

fn load(yaml: &str) -> Declared {
    match load_str("scimform.yaml", yaml) {
        Ok(declared) => declared,
        Err(errors) => panic!(
            "expected a valid configuration, got:\n{}",
            scimform::cli::render_diagnostic(&errors, false, 100)
        ),
    }
}

fn error_codes(yaml: &str) -> Vec<&'static str> {
    match load_str("scimform.yaml", yaml) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.errors.iter().map(|e| e.kind.code()).collect(),
    }
}

#[test]
fn every_user_attribute_becomes_scim_json() {
    let declared = load(
        r#"
users:
  - userName: boss@acme.test
  - userName: Alice@Acme.test
    externalId: "00u1"
    displayName: Alice Ng
    nickName: Al
    title: CTO
    userType: Employee
    preferredLanguage: en-GB
    locale: en-GB
    timezone: Europe/London
    active: false
    name:
      formatted: Dr Alice Ng
      givenName: Alice
      familyName: Ng
      middleName: B
      honorificPrefix: Dr
      honorificSuffix: PhD
    emails:
      - { value: alice@acme.test, type: work, primary: true }
      - { value: al@home.test }
    phoneNumbers: [{ value: "+44 20 7946 0000", type: mobile, primary: true }]
    enterprise:
      employeeNumber: 0042
      costCenter: CC1
      organization: Acme
      division: R&D
      department: Platform
      manager: BOSS@acme.test
    extensions:
      urn:example:params:scim:schemas:extension:acme:1.0:User:
        badge: 7
        tags: [a, b]
        nested: { on: true, off: null }
    previously: [alice.old@acme.test]
"#,
    );
    let alice = &declared.users[1];
    assert_eq!(&*alice.user_name, "Alice@Acme.test");
    assert_eq!(alice.manager.as_deref(), Some("boss@acme.test"));
    assert_eq!(alice.previously, ["alice.old@acme.test"]);
    assert_eq!(
        serde_json::Value::Object(alice.attributes.to_map()),
        json!({
            "externalId": "00u1",
            "displayName": "Alice Ng",
            "name": {
                "formatted": "Dr Alice Ng", "givenName": "Alice", "familyName": "Ng",
                "middleName": "B", "honorificPrefix": "Dr", "honorificSuffix": "PhD"
            },
            "nickName": "Al",
            "title": "CTO",
            "userType": "Employee",
            "preferredLanguage": "en-GB",
            "locale": "en-GB",
            "timezone": "Europe/London",
            "active": false,
            "emails": [
                { "value": "alice@acme.test", "type": "work", "primary": true },
                { "value": "al@home.test" }
            ],
            "phoneNumbers": [{ "value": "+44 20 7946 0000", "type": "mobile", "primary": true }],
            ENTERPRISE_SCHEMA: {
                "employeeNumber": "0042", "costCenter": "CC1", "organization": "Acme",
                "division": "R&D", "department": "Platform"
            },
            "urn:example:params:scim:schemas:extension:acme:1.0:User": {
                "badge": 7, "tags": ["a", "b"], "nested": { "on": true, "off": null }
            }
        })
    );
    // Left out is unmanaged: the first user sets nothing.
    assert!(declared.users[0].attributes.is_empty());
    assert_eq!(declared.users[0].manager, None);
}

#[test]
fn defaults_fill_what_a_user_leaves_out() {
    let declared = load(
        r"
defaults:
  active: true
  userType: Employee
  locale: en-GB
  emails_from_userName: true
  email_type: work
  enterprise: { organization: Acme, department: General }
users:
  - userName: a@acme.test
  - userName: b@acme.test
    active: false
    userType: Contractor
    enterprise: { department: Sales }
  - userName: c@acme.test
    email: c.alias@acme.test
  - userName: d@acme.test
    emails: []
  - userName: e@acme.test
    emails: [{ value: e@acme.test, type: home }, { value: e2@acme.test }]
",
    );
    let attrs = |i: usize| serde_json::Value::Object(declared.users[i].attributes.to_map());
    assert_eq!(
        attrs(0),
        json!({
            "userType": "Employee", "locale": "en-GB", "active": true,
            "emails": [{ "value": "a@acme.test", "type": "work", "primary": true }],
            ENTERPRISE_SCHEMA: { "organization": "Acme", "department": "General" }
        })
    );
    assert_eq!(attrs(1)["active"], json!(false));
    assert_eq!(attrs(1)["userType"], json!("Contractor"));
    assert_eq!(
        attrs(1)[ENTERPRISE_SCHEMA],
        json!({ "organization": "Acme", "department": "Sales" })
    );
    // The `email:` shorthand is one primary email.
    assert_eq!(
        attrs(2)["emails"],
        json!([{ "value": "c.alias@acme.test", "type": "work", "primary": true }])
    );
    // An explicit empty list stays "none".
    assert_eq!(attrs(3)["emails"], json!([]));
    assert_eq!(
        attrs(4)["emails"],
        json!([
            { "value": "e@acme.test", "type": "home" },
            { "value": "e2@acme.test", "type": "work" }
        ])
    );
}

#[test]
fn members_name_users_by_username_or_email_and_groups_by_prefix() {
    let declared = load(
        r#"
users:
  - userName: Alice@acme.test
    email: alice.ng@acme.test
  - userName: bob@acme.test
groups:
  - displayName: eng
    members: [ALICE@acme.test, Bob@Acme.Test, "group:Platform"]
  - displayName: platform
    membership: additive
    privileged: true
    min_members: 1
    externalId: g-1
    previously: [infra]
    members: [alice.ng@ACME.test]
  - displayName: unmanaged
  - displayName: emptied
    members: []
"#,
    );
    let eng = &declared.groups[0];
    assert_eq!(
        eng.members,
        Some(vec![
            MemberName::User("Alice@acme.test".into()),
            MemberName::User("bob@acme.test".into()),
            MemberName::Group("platform".into()),
        ])
    );
    assert_eq!(eng.membership, Membership::Authoritative);
    let platform = &declared.groups[1];
    assert_eq!(
        platform.members,
        Some(vec![MemberName::User("Alice@acme.test".into())])
    );
    assert_eq!(platform.membership, Membership::Additive);
    assert!(platform.privileged);
    assert_eq!(platform.min_members, Some(1));
    assert_eq!(platform.external_id.as_deref(), Some("g-1"));
    assert_eq!(platform.previously, ["infra"]);
    // No `members` key: membership unmanaged. `members: []`: none (with a warning).
    assert_eq!(declared.groups[2].members, None);
    assert_eq!(declared.groups[3].members, Some(vec![]));
    let warnings: Vec<_> = declared.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(warnings, [ConfigErrorKind::EmptyGroup]);
}

#[test]
fn target_and_policy_are_read() {
    let declared = load(
        r#"
target:
  url: https://scim.example.com/v2
  profile: atlassian
  token_env: SCIMFORM_MY_TOKEN
  options: { max_page_size: 50, paging: cursor }
policy:
  unmanaged_users: deactivate
  unmanaged_groups: delete
  match_users_by: [userName, email, externalId]
  max_destroy: { count: 10, percent: 12.5 }
  protected_users: [root@example.com]
  protected_groups: [admins]
  ignore: { users: ["*@contractors.example.com"], groups: ["jira-*"] }
users:
  - userName: root@example.com
groups:
  - displayName: admins
    members: [root@example.com]
"#,
    );
    assert_eq!(
        declared.target.url.as_deref(),
        Some("https://scim.example.com/v2")
    );
    assert_eq!(declared.target.profile.as_deref(), Some("atlassian"));
    assert_eq!(
        declared.target.token_env.as_deref(),
        Some("SCIMFORM_MY_TOKEN")
    );
    assert_eq!(
        serde_json::Value::Object(declared.target.options.clone()),
        json!({ "max_page_size": 50, "paging": "cursor" })
    );
    let policy = &declared.policy;
    assert_eq!(policy.unmanaged_users, UnmanagedUsers::Deactivate);
    assert_eq!(policy.unmanaged_groups, UnmanagedGroups::Delete);
    assert_eq!(
        policy.match_users_by,
        [
            MatchUsersBy::UserName,
            MatchUsersBy::Email,
            MatchUsersBy::ExternalId
        ]
    );
    assert_eq!(policy.max_destroy.count, Some(10));
    assert_eq!(policy.max_destroy.percent, Some(12.5));
    assert_eq!(policy.protected_users, ["root@example.com"]);
    assert_eq!(policy.protected_groups, ["admins"]);
    assert_eq!(policy.ignore_users, ["*@contractors.example.com"]);
    assert_eq!(policy.ignore_groups, ["jira-*"]);
    assert!(declared.warnings.is_empty());
}

#[test]
fn an_empty_file_declares_nothing_with_default_policy() {
    for text in ["", "# only a comment\n", "users:\ngroups:\n", "---\n"] {
        let declared = load(text);
        assert!(declared.users.is_empty() && declared.groups.is_empty());
        assert_eq!(declared.policy, scimform::config::Policy::default());
    }
}

#[test]
fn yaml_anchors_and_merge_keys_work() {
    let declared = load(
        r"
users:
  - &base
    userName: a@acme.test
    title: Engineer
    name: { familyName: Ng }
  - <<: *base
    userName: b@acme.test
",
    );
    assert_eq!(&*declared.users[1].user_name, "b@acme.test");
    assert_eq!(
        declared.users[1].attributes.to_map()["title"],
        json!("Engineer")
    );
}

const ROOT: &str = "include: [users/*.yaml, groups/**/*.yaml]\n";
const ENG: &str = "users:\n  - userName: a@acme.test\n";
const OPS: &str = "users:\n  - userName: b@acme.test\n";
const GROUPS: &str = "groups:\n  - displayName: all\n    members: [a@acme.test, b@acme.test]\n";

#[test]
fn included_files_load_in_sorted_order_from_disk_and_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        ("scimform.yaml", ROOT),
        ("users/ops.yaml", OPS),
        ("users/eng.yaml", ENG),
        ("groups/deep/all.yaml", GROUPS),
        ("users/.hidden.yaml", "not: [yaml"),
        ("users/notes.txt", "not: [yaml"),
    ];
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    let from_disk = load_dir(dir.path()).expect("valid");
    let from_memory = load_files("cfg", &files).expect("valid");
    for declared in [&from_disk, &from_memory] {
        let names: Vec<&str> = declared.users.iter().map(|u| &*u.user_name).collect();
        assert_eq!(names, ["a@acme.test", "b@acme.test"]);
        assert_eq!(declared.groups[0].members.as_ref().map(Vec::len), Some(2));
        assert!(
            declared.users[0]
                .origin
                .to_string()
                .ends_with("users/eng.yaml:2:15")
        );
    }
    // The digest covers every file by its path inside the directory, wherever it lives.
    assert_eq!(from_disk.digest, from_memory.digest);
    assert_eq!(from_disk.digest.len(), "sha256:".len() + 64);
    std::fs::write(dir.path().join("users/eng.yaml"), ENG.replace("a@", "c@")).expect("write");
    let changed = load_dir(dir.path());
    // (The group now names an unknown member, but the digest is what this checks.)
    assert!(changed.is_err());
    std::fs::write(dir.path().join("groups/deep/all.yaml"), "groups: []\n").expect("write");
    let changed = load_dir(dir.path()).expect("valid");
    assert_ne!(changed.digest, from_disk.digest);
}

#[test]
fn a_file_over_16_mib_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut big = String::from("users:\n");
    while big.len() <= 16 * 1024 * 1024 {
        big.push_str("  # padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(dir.path().join("scimform.yaml"), &big).expect("write");
    let errors = load_dir(dir.path()).expect_err("too large");
    assert_eq!(errors.errors[0].kind, ConfigErrorKind::TooLarge);
    assert!(
        errors.errors[0]
            .message
            .contains("over the limit of 16777216 bytes")
    );
    let errors = load_str("scimform.yaml", &big).expect_err("too large in memory too");
    assert_eq!(errors.errors[0].kind, ConfigErrorKind::TooLarge);
}

#[test]
fn problems_in_several_files_are_all_reported() {
    let errors = load_files(
        "",
        &[
            (
                "scimform.yaml",
                "include: ['*.yaml']\nusers:\n  - userName: a@x.test\n",
            ),
            ("b.yaml", "users:\n  - userName: A@X.test\n"),
            ("c.yaml", "users: [\n"),
            (
                "d.yaml",
                "groups:\n  - displayName: g\n    members: [nobody@x.test]\n",
            ),
        ],
    )
    .expect_err("three files with mistakes");
    let found: Vec<(String, &str)> = errors
        .errors
        .iter()
        .map(|e| (e.location().unwrap_or_default(), e.kind.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("b.yaml:2:15".to_string(), "config::duplicate_user"),
            ("c.yaml:1:8".to_string(), "config::yaml"),
            ("d.yaml:3:15".to_string(), "config::unknown_member"),
        ]
    );
}

#[test]
fn manager_cycles_are_refused() {
    assert_eq!(
        error_codes("users:\n  - userName: a@x.test\n    enterprise: { manager: a@x.test }\n"),
        ["config::manager_cycle"]
    );
    assert_eq!(
        error_codes(
            "users:\n  - userName: a@x.test\n    enterprise: { manager: b@x.test }\n  - userName: b@x.test\n    enterprise: { manager: a@x.test }\n"
        ),
        ["config::manager_cycle"]
    );
}

#[test]
fn previously_names_that_never_take_effect_are_warnings() {
    let declared = load(
        r"
users:
  - userName: a@x.test
    previously: [A@x.test, old@x.test, old@x.test, b@x.test]
  - userName: b@x.test
",
    );
    let kinds: Vec<_> = declared.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(kinds, [ConfigErrorKind::UnusedPreviously; 3]);
    assert_eq!(declared.users[0].previously, ["old@x.test"]);
}
