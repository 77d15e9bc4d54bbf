//! Unit tests of `diff` on small declared/live pairs, built from YAML and SCIM JSON the
//! way the real inputs are.

use serde_json::{Value, json};

use super::*;

use crate::config::{Declared, MemberName, Membership, load_str};
use crate::live::Live;

fn declared(yaml: &str) -> Declared {
    match load_str("scimform.yaml", yaml) {
        Ok(declared) => declared,
        Err(errors) => panic!("test config invalid: {:?}", errors.errors),
    }
}

fn live(users: Value, groups: Value) -> Live {
    let list = |v: Value| v.as_array().cloned().unwrap_or_default();
    Live::from_resources(list(users), list(groups)).expect("valid live fixture")
}

const CONFIG: &str = r#"
users:
  - userName: alice@acme.test
    displayName: Alice Ng
    active: true
  - userName: bob@acme.test
    displayName: Bob Stone
groups:
  - displayName: engineering
    members: [alice@acme.test, bob@acme.test]
"#;

#[test]
fn everything_missing_is_created_with_members_by_name() {
    let plan = diff(&declared(CONFIG), &Live::default(), "http://t");
    assert_eq!(
        plan.summary(),
        Summary {
            create: 3,
            update: 0,
            destroy: 0
        }
    );
    let Change::CreateGroup { members, .. } = &plan.changes[2] else {
        panic!(
            "third change should create the group: {:?}",
            plan.changes[2]
        );
    };
    let names: Vec<_> = members.iter().map(|m| m.name.as_deref()).collect();
    assert_eq!(names, [Some("alice@acme.test"), Some("bob@acme.test")]);
    assert!(
        members.iter().all(|m| m.id.is_none()),
        "ids come at apply time"
    );
}

#[test]
fn matching_state_gives_an_empty_plan() {
    let live = live(
        json!([
            {"id": "u1", "userName": "ALICE@acme.test", "displayName": "Alice Ng", "active": true, "title": "CTO"},
            {"id": "u2", "userName": "bob@acme.test", "displayName": "Bob Stone"}
        ]),
        json!([{"id": "g1", "displayName": "Engineering", "members": [{"value": "u2"}, {"value": "u1"}]}]),
    );
    let plan = diff(&declared(CONFIG), &live, "http://t");
    assert!(!plan.has_changes(), "{:?}", plan.changes);
    assert_eq!(plan.unmanaged, Unmanaged::default());
}

#[test]
fn drift_becomes_updates_and_member_changes() {
    let live = live(
        json!([
            {"id": "u1", "userName": "alice@acme.test", "displayName": "Alice", "active": false},
            {"id": "u3", "userName": "mallory@acme.test"}
        ]),
        json!([{"id": "g1", "displayName": "engineering", "members": [{"value": "u1"}, {"value": "u3"}, {"value": "gone"}]}]),
    );
    let plan = diff(&declared(CONFIG), &live, "http://t");
    assert!(
        matches!(&plan.changes[0], Change::CreateUser { user_name, .. } if user_name == "bob@acme.test")
    );
    assert_eq!(
        plan.changes[1],
        Change::UpdateUser {
            id: "u1".into(),
            user_name: "alice@acme.test".into(),
            attributes: vec![
                AttributeChange {
                    path: "displayName".into(),
                    old: Some(json!("Alice")),
                    new: json!("Alice Ng")
                },
                AttributeChange {
                    path: "active".into(),
                    old: Some(json!(false)),
                    new: json!(true)
                },
            ],
            manager: None,
        }
    );
    let Change::UpdateGroup {
        add_members,
        remove_members,
        ..
    } = &plan.changes[2]
    else {
        panic!("expected a group update: {:?}", plan.changes[2]);
    };
    assert_eq!(
        add_members,
        &[MemberRef {
            name: Some("bob@acme.test".into()),
            id: None,
            r#type: MemberType::User
        }]
    );
    assert_eq!(
        remove_members,
        &[
            MemberRef {
                name: None,
                id: Some("gone".into()),
                r#type: MemberType::User
            },
            MemberRef {
                name: Some("mallory@acme.test".into()),
                id: Some("u3".into()),
                r#type: MemberType::User
            },
        ]
    );
    assert_eq!(plan.unmanaged.users, 1);
    assert!(
        plan.notes.iter().any(|n| n.contains("dangling")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn undeclared_members_leave_membership_alone() {
    let config = "groups:\n  - displayName: ops\n";
    let live = live(
        json!([{"id": "u1", "userName": "x@acme.test"}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "u1"}]}]),
    );
    assert!(!diff(&declared(config), &live, "http://t").has_changes());
}

#[test]
fn an_empty_member_list_empties_the_group() {
    let config = "groups:\n  - displayName: ops\n    members: []\n";
    let live = live(
        json!([{"id": "u1", "userName": "x@acme.test"}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "u1"}]}]),
    );
    let plan = diff(&declared(config), &live, "http://t");
    assert!(
        matches!(&plan.changes[0], Change::UpdateGroup { remove_members, .. } if remove_members.len() == 1)
    );
}

#[test]
fn members_may_be_named_by_email() {
    let config = r#"
users:
  - userName: a1
    emails: [{value: alice@acme.test, primary: true}]
groups:
  - displayName: ops
    members: [ALICE@acme.test]
"#;
    let live = live(
        json!([{"id": "u1", "userName": "a1", "emails": [{"value": "alice@acme.test", "primary": true}]}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "u1"}]}]),
    );
    assert!(!diff(&declared(config), &live, "http://t").has_changes());
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let live = live(
        json!([{"id": "u9", "userName": "z@acme.test"}, {"id": "u8", "userName": "y@acme.test"}]),
        json!([{"id": "g1", "displayName": "engineering", "members": [{"value": "u9"}, {"value": "u8"}]}]),
    );
    let a = serde_json::to_string(&diff(&declared(CONFIG), &live, "http://t")).expect("json");
    let b = serde_json::to_string(&diff(&declared(CONFIG), &live, "http://t")).expect("json");
    assert_eq!(a, b);
}

const PEOPLE: &str = r#"
users:
  - userName: ceo@acme.test
  - userName: vp@acme.test
  - userName: ic@acme.test
groups:
  - displayName: all
  - displayName: leads
"#;

#[test]
fn managers_are_created_before_their_reports_and_resolved_by_name() {
    let mut declared = declared(PEOPLE);
    declared.users[0].manager = None;
    declared.users[1].manager = Some("ceo@acme.test".into());
    declared.users[2].manager = Some("vp@acme.test".into());
    // Reverse-sorted names would put ic first; the manager chain decides.
    let plan = diff(&declared, &Live::default(), "http://t");
    let order: Vec<String> = plan.changes.iter().map(Change::address).collect();
    assert_eq!(
        &order[..3],
        [
            "user ceo@acme.test",
            "user vp@acme.test",
            "user ic@acme.test"
        ]
    );
    let Change::CreateUser { manager, .. } = &plan.changes[2] else {
        panic!("{:?}", plan.changes[2]);
    };
    assert_eq!(
        manager.as_ref().and_then(|m| m.name.as_deref()),
        Some("vp@acme.test")
    );
}

#[test]
fn a_live_manager_that_matches_is_no_change_and_a_different_one_is() {
    let mut declared = declared(PEOPLE);
    declared.users[2].manager = Some("vp@acme.test".into());
    let enterprise = ENTERPRISE_USER;
    let users = |manager: &str| {
        json!([
            {"id": "c", "userName": "ceo@acme.test"},
            {"id": "v", "userName": "vp@acme.test"},
            {"id": "i", "userName": "ic@acme.test", enterprise: {"manager": {"value": manager}}}
        ])
    };
    let groups = json!([{"id": "g1", "displayName": "all"}, {"id": "g2", "displayName": "leads"}]);
    assert!(!diff(&declared, &live(users("v"), groups.clone()), "http://t").has_changes());
    let plan = diff(&declared, &live(users("c"), groups), "http://t");
    let Change::UpdateUser {
        manager: Some(change),
        ..
    } = &plan.changes[0]
    else {
        panic!("{:?}", plan.changes);
    };
    assert_eq!(
        change.old.as_ref().and_then(|m| m.name.as_deref()),
        Some("ceo@acme.test")
    );
    assert_eq!(change.new.id.as_deref(), Some("v"));
}

#[test]
fn previously_renames_instead_of_recreating() {
    let mut declared = declared(PEOPLE);
    declared.users[2].previously = vec!["old.ic@acme.test".into()];
    declared.groups[1].previously = vec!["team-leads".into()];
    declared.groups[1].members = Some(vec![MemberName::User("ic@acme.test".into())]);
    let live = live(
        json!([
            {"id": "c", "userName": "ceo@acme.test"},
            {"id": "v", "userName": "vp@acme.test"},
            {"id": "i", "userName": "old.ic@acme.test"}
        ]),
        json!([{"id": "g1", "displayName": "all"}, {"id": "g2", "displayName": "team-leads", "members": [{"value": "i"}]}]),
    );
    let plan = diff(&declared, &live, "http://t");
    assert_eq!(plan.summary().create, 0, "{:?}", plan.changes);
    assert_eq!(
        plan.changes[0],
        Change::UpdateUser {
            id: "i".into(),
            user_name: "ic@acme.test".into(),
            attributes: vec![AttributeChange {
                path: "userName".into(),
                old: Some(json!("old.ic@acme.test")),
                new: json!("ic@acme.test")
            }],
            manager: None,
        }
    );
    // The renamed group keeps its member (resolved through the rename): only the name changes.
    assert_eq!(
        plan.changes[1],
        Change::UpdateGroup {
            id: "g2".into(),
            display_name: "leads".into(),
            attributes: vec![AttributeChange {
                path: "displayName".into(),
                old: Some(json!("team-leads")),
                new: json!("leads")
            }],
            add_members: vec![],
            remove_members: vec![],
        }
    );
    assert_eq!(plan.unmanaged, Unmanaged::default());
}

#[test]
fn nested_groups_are_created_inner_first_and_additive_groups_keep_others() {
    let mut declared = declared(PEOPLE);
    // "all" contains "leads"; both are new.
    declared.groups[0].members = Some(vec![MemberName::Group("leads".into())]);
    let plan = diff(&declared, &Live::default(), "http://t");
    let groups: Vec<String> = plan.changes.iter().skip(3).map(Change::address).collect();
    assert_eq!(groups, ["group leads", "group all"]);

    let mut additive = self::declared(PEOPLE);
    additive.groups[0].members = Some(vec![MemberName::User("ceo@acme.test".into())]);
    additive.groups[0].membership = Membership::Additive;
    let live = live(
        json!([{"id": "c", "userName": "ceo@acme.test"}, {"id": "x", "userName": "someone@acme.test"}]),
        json!([{"id": "g1", "displayName": "all", "members": [{"value": "x"}]}]),
    );
    let plan = diff(&additive, &live, "http://t");
    let Some(Change::UpdateGroup {
        add_members,
        remove_members,
        ..
    }) = plan.changes.iter().find(|c| c.address() == "group all")
    else {
        panic!("{:?}", plan.changes);
    };
    assert_eq!(add_members.len(), 1);
    assert!(
        remove_members.is_empty(),
        "additive groups keep undeclared members"
    );
}
