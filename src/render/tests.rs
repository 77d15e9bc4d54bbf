//! Snapshots of the human plan (no colour), one plan covering every kind of change.

use serde_json::json;

use super::{Style, render_plan};
use crate::plan::{
    AttributeChange, Change, MemberRef, MemberType, PLAN_FORMAT_VERSION, Plan, Unmanaged,
};

fn member(name: Option<&str>, id: Option<&str>) -> MemberRef {
    MemberRef {
        name: name.map(str::to_string),
        id: id.map(str::to_string),
        r#type: MemberType::User,
    }
}

fn sample() -> Plan {
    let attributes = json!({
        "displayName": "Elif Yılmaz",
        "name": {"givenName": "Elif", "familyName": "Yılmaz"},
        "emails": [{"value": "elif@acme.test", "type": "work", "primary": true}],
        "active": true
    });
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        target: "https://scim.acme.test/scim/v2".into(),
        config_digest: "0123456789abcdef".into(),
        changes: vec![
            Change::CreateUser {
                user_name: "elif@acme.test".into(),
                attributes: attributes.as_object().cloned().unwrap_or_default(),
                manager: Some(member(Some("amara@acme.test"), Some("u-1"))),
            },
            Change::UpdateUser {
                id: "u-2".into(),
                user_name: "ben@acme.test".into(),
                attributes: vec![
                    AttributeChange {
                        path: "displayName".into(),
                        old: Some(json!("Benjamin")),
                        new: json!("Ben Carter"),
                    },
                    AttributeChange {
                        path: "name".into(),
                        old: Some(json!({"givenName": "Benjamin", "familyName": "Carter"})),
                        new: json!({"givenName": "Ben", "familyName": "Carter", "middleName": "J"}),
                    },
                    AttributeChange {
                        path: "title".into(),
                        old: None,
                        new: json!("Backend Engineer"),
                    },
                ],
                manager: Some(crate::plan::ManagerChange {
                    old: None,
                    new: member(Some("elif@acme.test"), None),
                }),
            },
            Change::CreateGroup {
                display_name: "sre-oncall".into(),
                external_id: None,
                members: vec![
                    member(Some("ben@acme.test"), Some("u-2")),
                    member(Some("elif@acme.test"), None),
                ],
            },
            Change::UpdateGroup {
                id: "g-1".into(),
                display_name: "engineering".into(),
                attributes: vec![],
                add_members: vec![member(Some("elif@acme.test"), None)],
                remove_members: vec![
                    member(None, Some("5f0c")),
                    MemberRef {
                        name: Some("contractors".into()),
                        id: Some("g-9".into()),
                        r#type: MemberType::Group,
                    },
                ],
            },
        ],
        unmanaged: Unmanaged {
            users: 3,
            groups: 1,
        },
        notes: vec!["group `engineering` lists member id `5f0c`, which matches no user or group in the directory (a dangling reference); it is removed because the group's members are declared".into()],
    }
}

fn render(plan: &Plan, style: Style) -> String {
    let mut out = Vec::new();
    render_plan(plan, &mut out, style).expect("writing to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn every_kind_of_change() {
    insta::assert_snapshot!(render(&sample(), Style::PLAIN));
}

#[test]
fn no_changes() {
    let mut plan = sample();
    plan.changes.clear();
    plan.notes.clear();
    insta::assert_snapshot!(render(&plan, Style::PLAIN));
}

#[test]
fn colour_only_repeats_the_symbols() {
    let coloured = render(&sample(), Style { color: true });
    assert!(coloured.contains("\x1b[32m+\x1b[0m"));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, render(&sample(), Style::PLAIN));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_same_plan_renders_byte_identically() {
    assert_eq!(
        render(&sample(), Style::PLAIN),
        render(&sample(), Style::PLAIN)
    );
}
