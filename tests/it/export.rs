//! `export` writes files that load back to exactly the directory it read: names that the
//! short forms would misread or YAML would trim, department names that make no file name,
//! and an output directory that is written completely or not at all.

use std::fmt::Write as _;

use serde_json::{Value, json};

use scimform::config::{Declared, MemberName, load_dir, load_files};
use scimform::export::{
    Export, ExportTarget, Split, WriteError, export, export_within, write_export, write_files,
};
use scimform::live::Live;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn target() -> ExportTarget {
    ExportTarget {
        url: "https://scim.example.test/v2".into(),
        profile: "generic".into(),
        token_env: "SCIMFORM_TOKEN".into(),
    }
}

fn load(export: &Export) -> Declared {
    let files: Vec<(&str, &str)> = export
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    match load_files("", &files) {
        Ok(declared) => declared,
        Err(errors) => panic!(
            "the export does not load:\n{}\n{}",
            scimform::cli::render_diagnostic(&errors, false, 100),
            export.files.iter().fold(String::new(), |mut all, f| {
                let _ = write!(all, "--- {}\n{}", f.path, f.text);
                all
            })
        ),
    }
}

/// A directory whose names the short forms and plain YAML would misread.
fn awkward_live() -> Live {
    let users: Vec<Value> = [
        ("u1", "group:admins"),
        ("u2", "bob@x.test "),
        ("u3", " carol@x.test"),
        ("u4", "yes"),
        ("u5", "0042"),
        ("u6", "null"),
        ("u7", "# not a comment"),
        ("u8", "dave@x.test"),
    ]
    .iter()
    .map(|(id, name)| json!({"id": id, "userName": name}))
    .collect();
    let groups = vec![
        json!({"id": "g1", "displayName": "admins", "members": [{"value": "u8"}]}),
        json!({"id": "g2", "displayName": "ops ", "members": [
            {"value": "u1"}, {"value": "u2"}, {"value": "u3"}, {"value": "u4"},
            {"value": "u5"}, {"value": "u6"}, {"value": "u7"}, {"value": "g1"}
        ]}),
        json!({"id": "g3", "displayName": "group:odd", "members": [{"value": "g2"}]}),
    ];
    Live::from_resources(users, groups).expect("a live directory")
}

#[test]
fn exported_names_load_back_exactly() {
    let live = awkward_live();
    for split in [Split::None, Split::Team] {
        let declared = load(&export(&live, &target(), split));
        let mut live_users: Vec<&str> = live.users.iter().map(|u| u.user_name.as_str()).collect();
        let mut declared_users: Vec<&str> = declared.users.iter().map(|u| &*u.user_name).collect();
        live_users.sort_unstable();
        declared_users.sort_unstable();
        assert_eq!(declared_users, live_users);
        let mut live_groups: Vec<&str> = live
            .groups
            .iter()
            .map(|g| g.display_name.as_str())
            .collect();
        let mut declared_groups: Vec<&str> = declared
            .groups
            .iter()
            .map(|g| g.display_name.as_str())
            .collect();
        live_groups.sort_unstable();
        declared_groups.sort_unstable();
        assert_eq!(declared_groups, live_groups);

        let ops = declared
            .groups
            .iter()
            .find(|g| g.display_name == "ops ")
            .expect("ops");
        let mut members = ops.members.clone().expect("members are managed");
        members.sort_by_key(|m| format!("{m:?}"));
        let mut expected = vec![
            MemberName::Group("admins".into()),
            MemberName::User("group:admins".into()),
            MemberName::User("bob@x.test ".into()),
            MemberName::User(" carol@x.test".into()),
            MemberName::User("yes".into()),
            MemberName::User("0042".into()),
            MemberName::User("null".into()),
            MemberName::User("# not a comment".into()),
        ];
        expected.sort_by_key(|m| format!("{m:?}"));
        assert_eq!(members, expected, "{split:?}");
        let odd = declared
            .groups
            .iter()
            .find(|g| g.display_name == "group:odd")
            .expect("group:odd");
        assert_eq!(odd.members, Some(vec![MemberName::Group("ops ".into())]));
    }
}

#[test]
fn a_department_name_of_300_bytes_gets_a_safe_file_name_and_round_trips() {
    let department = format!("Research & Development / {}", "Platform ".repeat(31));
    assert!(department.len() > 255, "{}", department.len());
    let users = vec![
        json!({"id": "u1", "userName": "a@x.test", ENTERPRISE: {"department": department}}),
        json!({"id": "u2", "userName": "b@x.test", ENTERPRISE: {"department": "日本語"}}),
        json!({"id": "u3", "userName": "c@x.test"}),
    ];
    let live = Live::from_resources(users, vec![]).expect("live");
    let exported = export(&live, &target(), Split::Team);
    for file in &exported.files {
        for part in file.path.split('/') {
            assert!(
                part.len() <= 80
                    && part.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b"-.".contains(&b)),
                "unsafe file name {part:?}"
            );
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("acme");
    write_files(&out, &exported.files, false).expect("written");
    let declared = load_dir(&out).unwrap_or_else(|errors| {
        panic!("{}", scimform::cli::render_diagnostic(&errors, false, 100))
    });
    let a = declared
        .users
        .iter()
        .find(|u| &*u.user_name == "a@x.test")
        .expect("a");
    assert_eq!(
        a.attributes.to_map()[ENTERPRISE]["department"],
        json!(department),
        "the department itself is kept as it was"
    );
    assert_eq!(declared.users.len(), 3);
}

#[test]
fn a_group_whose_members_were_not_listed_is_exported_without_a_member_list() {
    // `members: []` would tell apply to empty the group; an unknown list is unmanaged.
    let live = Live::from_resources(
        vec![json!({"id": "u1", "userName": "a@x.test"})],
        vec![json!({"id": "g1", "displayName": "eng"})],
    )
    .expect("live");
    if live.groups[0].members_listed {
        return; // This reader treats a missing `members` as none; nothing to check.
    }
    let exported = export(&live, &target(), Split::None);
    let declared = load(&exported);
    assert_eq!(declared.groups[0].members, None);
    assert!(
        exported.warnings.iter().any(|w| w.contains("eng")),
        "{:?}",
        exported.warnings
    );
}

/// A directory with every attribute export writes and the strings YAML writes in every
/// style: plain, quoted, escaped, folded (over 80 characters) and literal (several
/// lines); nested groups, an empty group and one whose
/// members were not listed.
fn rich_live() -> Live {
    let mut users = vec![
        json!({"id": "u1", "userName": "ann@x.test", "externalId": "0042", "displayName": "Ann Lee",
               "nickName": "yes", "title": "VP, Sales & Marketing (EMEA)", "userType": "Employee",
               "preferredLanguage": "en-GB", "locale": "en_GB", "timezone": "Europe/London",
               "name": {"formatted": "Ms. Ann Lee", "givenName": "Ann", "familyName": "Lee",
                        "middleName": "~", "honorificPrefix": "Ms.", "honorificSuffix": "null"},
               "active": "true",
               "emails": [{"value": "ann@x.test", "type": "work", "primary": true},
                          {"value": "ann@home.test", "type": "home", "primary": "false"}],
               "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}, {"value": "+15550101"}],
               ENTERPRISE: {"employeeNumber": "12345", "costCenter": "4711", "organization": "Acme",
                            "division": "R&D", "department": "Platform Eng", "manager": {"value": "u2"}}}),
        json!({"id": "u2", "userName": "Bob@X.test", "displayName": "Bob (the boss)", "active": false,
               ENTERPRISE: {"department": "platform eng", "manager": {"value": "nobody"}}}),
        json!({"id": "u3", "userName": "zoë@x.test", "displayName": "Zoë Ångström", "title": "山田 太郎",
               ENTERPRISE: {"department": "Ünïcode Dept"}}),
        json!({"id": "u4", "userName": "long@x.test",
               "displayName": "A display name that is much longer than eighty characters, so YAML folds it over lines",
               "title": "two\nlines", "nickName": "tab\there", "userType": "trailing ",
               "locale": "a: b", "timezone": "a #b", "preferredLanguage": "key:"}),
        json!({"id": "u5", "userName": "odd@x.test", "displayName": "- item", "nickName": "@handle",
               "title": "2024-01-02", "userType": "0x1F", "locale": "1e3", "timezone": "\u{7}bell",
               "externalId": "\u{2028}sep", "name": {"givenName": "-dash", "familyName": "No"},
               ENTERPRISE: {"department": "  "}}),
    ];
    for (id, name) in [
        ("u6", "group:admins"),
        ("u7", " carol@x.test"),
        ("u8", "null"),
    ] {
        users.push(json!({"id": id, "userName": name}));
    }
    let groups = vec![
        json!({"id": "g1", "displayName": "admins", "externalId": "ext-1",
               "members": [{"value": "u8"}, {"value": "u1"}, {"value": "u2"}]}),
        json!({"id": "g2", "displayName": "Everyone: all", "members": [
            {"value": "u5"}, {"value": "u4"}, {"value": "u3"}, {"value": "u2"}, {"value": "u1"},
            {"value": "u6"}, {"value": "u7"}, {"value": "g1"}, {"value": "g3"}]}),
        json!({"id": "g3", "displayName": "empty", "members": []}),
        json!({"id": "g4", "displayName": "unlisted"}),
        json!({"id": "g5", "displayName": "A group whose display name is longer than eighty characters, so that it is folded over lines",
               "members": [{"value": "u1"}]}),
    ];
    Live::from_resources(users, groups).expect("a live directory")
}

/// Every file of an export, one after another, for a snapshot.
fn all_text(export: &Export) -> String {
    export.files.iter().fold(String::new(), |mut all, f| {
        let _ = write!(all, "--- {}\n{}", f.path, f.text);
        all
    })
}

/// The exact text of a small export does not change: these snapshots were recorded
/// before export learnt to stream and split, so a re-export of a directory that fits
/// writes the same bytes as before.
#[test]
fn a_small_export_is_written_exactly_as_before() {
    let live = rich_live();
    for (split, name) in [(Split::None, "none"), (Split::Team, "team")] {
        let exported = export(&live, &target(), split);
        insta::assert_snapshot!(format!("rich_{name}"), all_text(&exported));
        load(&exported);
        let mut warnings = exported.warnings.clone();
        warnings.sort();
        insta::assert_snapshot!(format!("rich_{name}_warnings"), warnings.join("\n"));
    }
}

/// Names equal but for case (which no configuration can declare, but a server may hold)
/// keep the order the server gave, in the files and in member lists.
#[test]
fn names_equal_but_for_case_keep_the_servers_order() {
    let users = vec![
        json!({"id": "u1", "userName": "b@x.test"}),
        json!({"id": "u2", "userName": "A@x.test"}),
        json!({"id": "u3", "userName": "a@X.test"}),
        json!({"id": "u4", "userName": "group:Eng"}),
    ];
    let groups = vec![
        json!({"id": "g1", "displayName": "eng", "members": [
            {"value": "u3"}, {"value": "u1"}, {"value": "u2"}, {"value": "u4"}, {"value": "g2"}]}),
        json!({"id": "g2", "displayName": "Eng", "members": [{"value": "u2"}, {"value": "u3"}]}),
    ];
    let live = Live::from_resources(users, groups).expect("a live directory");
    let exported = export(&live, &target(), Split::None);
    insta::assert_snapshot!("case_ties", all_text(&exported));
}

/// What a configuration declares, without where: users and groups by name.
fn declared_content(declared: &Declared) -> Vec<String> {
    let mut out: Vec<String> = declared
        .users
        .iter()
        .map(|u| format!("user {:?} {:?} {:?}", u.user_name, u.attributes, u.manager))
        .chain(declared.groups.iter().map(|g| {
            format!(
                "group {:?} {:?} {:?}",
                g.display_name, g.external_id, g.members
            )
        }))
        .collect();
    out.sort();
    out
}

/// A directory of `users` users in one department and `groups` groups of 20 members.
fn many(users: usize, groups: usize) -> Live {
    let users_json: Vec<Value> = (0..users)
        .map(|i| {
            json!({"id": format!("u{i}"), "userName": format!("user{i:05}@x.test"),
                   "displayName": format!("User {i}"), ENTERPRISE: {"department": "Eng"}})
        })
        .collect();
    let groups_json: Vec<Value> = (0..groups)
        .map(|g| {
            let members: Vec<Value> = (0..20)
                .map(|m| json!({"value": format!("u{}", (g * 7 + m) % users)}))
                .collect();
            json!({"id": format!("g{g}"), "displayName": format!("team-{g:04}"), "members": members})
        })
        .collect();
    Live::from_resources(users_json, groups_json).expect("live")
}

#[test]
fn a_split_export_declares_what_one_file_would_with_every_file_under_the_limit() {
    let live = many(600, 120);
    let limit = 16 * 1024;
    for split in [Split::None, Split::Team] {
        let whole = export(&live, &target(), split);
        assert!(!whole.chunked);
        let chunked = export_within(&live, &target(), split, limit);
        assert!(chunked.chunked, "{split:?}");
        for file in &chunked.files {
            assert!(
                file.text.len() as u64 <= limit / 10 * 9,
                "{split:?}: {} is {} bytes",
                file.path,
                file.text.len()
            );
        }
        assert_eq!(
            declared_content(&load(&chunked)),
            declared_content(&load(&whole)),
            "{split:?}"
        );
        assert_eq!(chunked.warnings, whole.warnings);
        let again = export_within(&live, &target(), split, limit);
        assert_eq!(again.files, chunked.files, "deterministic");
    }
    let team = export_within(&live, &target(), Split::Team, limit);
    let paths: Vec<&str> = team.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths[0], "scimform.yaml");
    assert!(paths.contains(&"users/eng/user000.yaml"), "{paths:?}");
    assert!(paths.contains(&"groups/team_000.yaml"), "{paths:?}");
    let root = &team.files[0].text;
    assert!(
        root.contains("include:\n- users/*/*.yaml\n- groups/*.yaml\n"),
        "{root}"
    );
    assert!(root.contains("may not exceed 16 KiB"), "{root}");
}

#[test]
fn one_file_too_large_puts_users_and_groups_beside_the_root_file() {
    let live = many(10, 120);
    let exported = export_within(&live, &target(), Split::None, 16 * 1024);
    let paths: Vec<&str> = exported.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths[..2], ["scimform.yaml", "users.yaml"]);
    assert!(
        paths[2..].iter().all(|p| p.starts_with("groups/")),
        "{paths:?}"
    );
    assert!(
        exported.files[0]
            .text
            .contains("include:\n- users.yaml\n- groups/*.yaml\n"),
        "{}",
        exported.files[0].text
    );
    load(&exported);
}

#[test]
fn a_team_export_of_no_users_includes_no_missing_file() {
    let live = Live::from_resources(vec![], vec![]).expect("live");
    let exported = export(&live, &target(), Split::Team);
    let declared = load(&exported);
    assert!(declared.users.is_empty() && declared.groups.is_empty());
}

#[test]
fn a_streamed_export_is_written_all_at_once_or_not_at_all() {
    let live = many(600, 120);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let limit = 16 * 1024;
    let written = write_export(&live, &target(), Split::Team, limit, &out, false).expect("written");
    assert!(written.chunked);
    let in_memory = export_within(&live, &target(), Split::Team, limit);
    let mut on_disk: Vec<String> = written.paths.clone();
    on_disk.sort();
    let mut expected: Vec<String> = in_memory.files.iter().map(|f| f.path.clone()).collect();
    expected.sort();
    assert_eq!(on_disk, expected);
    for file in &in_memory.files {
        let text = std::fs::read_to_string(out.join(&file.path)).expect("written");
        assert_eq!(text, file.text, "{}", file.path);
    }
    let listing = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing(&out);
    assert!(
        !before.iter().any(|n| n.starts_with('.')),
        "no staging left: {before:?}"
    );

    // Again, without --force: refused, and nothing changed or left behind.
    let again = write_export(&live, &target(), Split::Team, limit, &out, false);
    assert!(matches!(again, Err(WriteError::Exists(_))), "{again:?}");
    assert_eq!(listing(&out), before);

    // A directory in the way of one of the files: nothing is replaced.
    let fresh = dir.path().join("fresh");
    std::fs::create_dir_all(fresh.join("groups.yaml")).expect("in the way");
    let small = many(3, 2);
    let blocked = write_export(&small, &target(), Split::Team, limit, &fresh, true);
    assert!(matches!(blocked, Err(WriteError::Io { .. })), "{blocked:?}");
    assert_eq!(listing(&fresh), ["groups.yaml"]);
}

#[test]
fn a_file_that_an_earlier_export_left_and_the_includes_load_is_warned_about() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limit = 16 * 1024 * 1024;
    let first = many(3, 1);
    write_export(&first, &target(), Split::Team, limit, dir.path(), false).expect("written");
    assert!(dir.path().join("users/eng.yaml").exists());
    let moved = Live::from_resources(
        vec![json!({"id": "u1", "userName": "a@x.test", ENTERPRISE: {"department": "Ops"}})],
        vec![],
    )
    .expect("live");
    let written =
        write_export(&moved, &target(), Split::Team, limit, dir.path(), true).expect("forced");
    assert_eq!(
        written.warnings,
        [
            "users/eng.yaml was not written by this export, but scimform.yaml includes it (`users/*.yaml`): remove it if an earlier export left it, or what it declares is declared twice"
        ]
    );
}
