//! `export` writes files that load back to exactly the directory it read: names that the
//! short forms would misread or YAML would trim, department names that make no file name,
//! and an output directory that is written completely or not at all.

use std::fmt::Write as _;

use serde_json::{Value, json};

use scimform::config::{Declared, MemberName, load_dir, load_files};
use scimform::export::{Export, ExportTarget, Split, export, write_files};
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
        let mut declared_users: Vec<&str> = declared
            .users
            .iter()
            .map(|u| u.user_name.as_str())
            .collect();
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
        .find(|u| u.user_name == "a@x.test")
        .expect("a");
    assert_eq!(
        a.attributes[ENTERPRISE]["department"],
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
