//! Unit tests of `diff` on small declared/live pairs, built from YAML and SCIM JSON the
//! way the real inputs are.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::*;

use crate::config::{Declared, MemberName, Membership, load_str};
use crate::live::Live;
use crate::scim::profile::DeleteSemantics;

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

fn plan(declared: &Declared, live: &Live) -> Plan {
    diff(declared, live, &PlanContext::for_url("http://t")).expect("a plan")
}

fn plan_on(declared: &Declared, live: &Live, profile: &str) -> Plan {
    let profile = crate::scim::Profile::builtin(profile).expect("a profile");
    let mut context = PlanContext::for_url("http://t");
    context.target.profile = profile.name.clone();
    context.target.capabilities = Capabilities::of(&profile);
    diff(declared, live, &context).expect("a plan")
}

fn change<'a>(plan: &'a Plan, address: &str) -> &'a Change {
    plan.changes
        .iter()
        .find(|c| c.address == address)
        .unwrap_or_else(|| panic!("no change for {address}: {:#?}", plan.changes))
}

fn names(members: &[MemberRef]) -> Vec<Option<&str>> {
    members.iter().map(|m| m.name.as_deref()).collect()
}

fn trips(plan: &Plan) -> Vec<GuardKind> {
    plan.guards.trips.iter().map(|t| t.guard).collect()
}

const CONFIG: &str = r"
users:
  - userName: alice@acme.test
    displayName: Alice Ng
    active: true
  - userName: bob@acme.test
    displayName: Bob Stone
groups:
  - displayName: engineering
    members: [alice@acme.test, bob@acme.test]
";

#[test]
fn everything_missing_is_created_with_members_by_name() {
    let plan = plan(&declared(CONFIG), &Live::default());
    assert_eq!(plan.summary.create, 3);
    assert_eq!(plan.summary.member_adds, 2);
    let group = &plan.changes[2];
    assert_eq!(
        (group.action, group.address.as_str()),
        (Action::Create, "group engineering")
    );
    assert_eq!(
        names(&group.members.add),
        [Some("alice@acme.test"), Some("bob@acme.test")]
    );
    assert!(
        group.members.add.iter().all(|m| m.id.is_none()),
        "ids come at apply time"
    );
    assert!(!plan.refused());
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
    let plan = plan(&declared(CONFIG), &live);
    assert!(!plan.has_changes(), "{:?}", plan.changes);
    assert_eq!(plan.unmanaged, Unmanaged::default());
}

#[test]
fn a_live_name_with_sigma_for_the_final_sigma_is_the_same_name() {
    // A server that lowercases letter by letter stores `ς` as `σ`; validation and the
    // diff fold both to one name, so the user is matched, not created a second time.
    let declared = declared(
        "users:\n  - userName: Οδυσσευς@acme.test\ngroups:\n  - displayName: ήρωες\n    members: [Οδυσσευς@acme.test]\n",
    );
    let live = live(
        json!([{"id": "u1", "userName": "οδυσσευσ@acme.test"}]),
        json!([{"id": "g1", "displayName": "ΉΡΩΕΣ", "members": [{"value": "u1"}]}]),
    );
    let plan = plan(&declared, &live);
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
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
    let plan = plan(&declared(CONFIG), &live);
    assert_eq!(plan.changes[0].address, "user bob@acme.test");
    assert_eq!(plan.changes[0].action, Action::Create);
    let alice = &plan.changes[1];
    assert_eq!(alice.action, Action::Reactivate);
    assert_eq!(alice.id.as_deref(), Some("u1"));
    assert_eq!(
        alice.attributes,
        vec![
            AttributeChange {
                path: "displayName".into(),
                old: Some(json!("Alice").into()),
                new: json!("Alice Ng").into()
            },
            AttributeChange {
                path: "active".into(),
                old: Some(json!(false).into()),
                new: json!(true).into()
            },
        ]
    );
    let fingerprint = alice.fingerprint.as_ref().expect("a fingerprint");
    assert_eq!(fingerprint.active, Some(false));
    assert_eq!(fingerprint.attributes, ["active", "displayName"]);
    let group = &plan.changes[2];
    assert_eq!(group.action, Action::Update);
    assert_eq!(
        group.members.add,
        [MemberRef {
            name: Some("bob@acme.test".into()),
            id: None,
            r#type: MemberType::User
        }]
    );
    assert_eq!(
        group.members.remove,
        [
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
    assert_eq!(group.fingerprint.as_ref().and_then(|f| f.members), Some(3));
    assert_eq!(plan.unmanaged.users.len(), 1);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.kind == NoteKind::DanglingMember),
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
    assert!(!plan(&declared(config), &live).has_changes());
}

#[test]
fn an_empty_member_list_empties_the_group() {
    let config = "groups:\n  - displayName: ops\n    members: []\n";
    let live = live(
        json!([{"id": "u1", "userName": "x@acme.test"}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "u1"}]}]),
    );
    let plan = plan(&declared(config), &live);
    assert_eq!(change(&plan, "group ops").members.remove.len(), 1);
}

#[test]
fn members_may_be_named_by_email() {
    let config = r"
users:
  - userName: a1
    emails: [{value: alice@acme.test, primary: true}]
groups:
  - displayName: ops
    members: [ALICE@acme.test]
";
    let live = live(
        json!([{"id": "u1", "userName": "a1", "emails": [{"value": "alice@acme.test", "primary": true}]}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "u1"}]}]),
    );
    assert!(!plan(&declared(config), &live).has_changes());
}

#[test]
fn a_member_id_in_another_case_is_the_same_member() {
    let config = r"
users:
  - userName: a@x.test
groups:
  - displayName: ops
    members: [a@x.test]
";
    let live = live(
        json!([{"id": "abc-1", "userName": "a@x.test"}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "ABC-1"}]}]),
    );
    let plan = plan(&declared(config), &live);
    assert!(
        !plan.has_changes(),
        "never a removal and an addition of the same member: {:#?}",
        plan.changes
    );
}

#[test]
fn a_group_with_as_many_members_but_one_other_is_changed() {
    // The same count of members, one of them another user: not "already so".
    let config = r"
users:
  - userName: a@x.test
  - userName: b@x.test
  - userName: c@x.test
groups:
  - displayName: ops
    members: [a@x.test, b@x.test]
  - displayName: dev
    membership: additive
    members: [a@x.test]
";
    let live = live(
        json!([{"id": "u1", "userName": "a@x.test"}, {"id": "u2", "userName": "b@x.test"}, {"id": "u3", "userName": "c@x.test"}]),
        json!([
            {"id": "g1", "displayName": "ops", "members": [{"value": "u1"}, {"value": "u3"}]},
            {"id": "g2", "displayName": "dev", "members": [{"value": "u3"}, {"value": "u1"}]}
        ]),
    );
    let plan = plan(&declared(config), &live);
    let ops = change(&plan, "group ops");
    assert_eq!(names(&ops.members.add), vec![Some("b@x.test")]);
    assert_eq!(names(&ops.members.remove), vec![Some("c@x.test")]);
    assert!(
        plan.changes.iter().all(|c| c.address != "group dev"),
        "an additive group that has its members (and others) is left alone"
    );
}

#[test]
fn members_resolve_by_name_when_the_users_were_reordered_after_validation() {
    // A validated member name carries its user's position; a model whose users were
    // moved since (a tool editing the model) must still resolve by name.
    let config = r"
users:
  - userName: a@x.test
  - userName: b@x.test
  - userName: c@x.test
groups:
  - displayName: ops
    members: [a@x.test, c@x.test]
";
    let live = live(
        json!([{"id": "u1", "userName": "a@x.test"}, {"id": "u2", "userName": "b@x.test"}, {"id": "u3", "userName": "c@x.test"}]),
        json!([{"id": "g1", "displayName": "ops", "members": [{"value": "u1"}, {"value": "u2"}]}]),
    );
    let mut moved = declared(config);
    moved.users.reverse();
    moved.users.pop();
    moved.users.insert(0, declared(config).users[0].clone());
    let plan = plan(&moved, &live);
    let ops = change(&plan, "group ops");
    assert_eq!(names(&ops.members.add), vec![Some("c@x.test")]);
    assert_eq!(names(&ops.members.remove), vec![Some("b@x.test")]);
    assert_eq!(
        ops.members.add[0].id.as_deref(),
        Some("u3"),
        "c is found by name, not at its old position"
    );
}

#[test]
fn a_member_user_is_its_name() {
    let validated = declared(
        "users: [{userName: a@x.test}]\ngroups: [{displayName: g, members: [a@x.test]}]\n",
    );
    let Some(Some(MemberName::User(user))) = validated.groups[0]
        .members
        .as_ref()
        .map(|m| m.first().cloned())
    else {
        panic!("a user member");
    };
    assert_eq!(user.position(), Some(0));
    assert_eq!(user, "a@x.test".into());
    assert_eq!(format!("{user:?}"), "\"a@x.test\"");
    assert_eq!(crate::config::MemberUser::from("a@x.test").position(), None);
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let live = live(
        json!([{"id": "u9", "userName": "z@acme.test"}, {"id": "u8", "userName": "y@acme.test"}]),
        json!([{"id": "g1", "displayName": "engineering", "members": [{"value": "u9"}, {"value": "u8"}]}]),
    );
    let a = serde_json::to_string(&plan(&declared(CONFIG), &live)).expect("json");
    let b = serde_json::to_string(&plan(&declared(CONFIG), &live)).expect("json");
    assert_eq!(a, b);
}

const PEOPLE: &str = r"
users:
  - userName: ceo@acme.test
  - userName: vp@acme.test
  - userName: ic@acme.test
groups:
  - displayName: all
  - displayName: leads
";

#[test]
fn managers_are_created_before_their_reports_and_resolved_by_name() {
    let mut declared = declared(PEOPLE);
    declared.users[0].manager = None;
    declared.users[1].manager = Some("ceo@acme.test".into());
    declared.users[2].manager = Some("vp@acme.test".into());
    // Reverse-sorted names would put ic first; the manager chain decides.
    let plan = plan(&declared, &Live::default());
    let order: Vec<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(
        &order[..3],
        [
            "user ceo@acme.test",
            "user vp@acme.test",
            "user ic@acme.test"
        ]
    );
    assert_eq!(
        plan.changes[2]
            .manager
            .as_ref()
            .and_then(|m| m.new.name.as_deref()),
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
    assert!(!plan(&declared, &live(users("v"), groups.clone())).has_changes());
    let plan = plan(&declared, &live(users("c"), groups));
    let manager = plan.changes[0].manager.as_ref().expect("a manager change");
    assert_eq!(
        manager.old.as_ref().and_then(|m| m.name.as_deref()),
        Some("ceo@acme.test")
    );
    assert_eq!(manager.new.id.as_deref(), Some("v"));
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
    let plan = plan(&declared, &live);
    assert_eq!(plan.summary.create, 0, "{:?}", plan.changes);
    let user = change(&plan, "user ic@acme.test");
    assert_eq!(user.action, Action::Rename);
    assert_eq!(
        user.attributes,
        vec![AttributeChange {
            path: "userName".into(),
            old: Some(json!("old.ic@acme.test").into()),
            new: json!("ic@acme.test").into()
        }]
    );
    // The renamed group keeps its member (resolved through the rename): only the name changes.
    let group = change(&plan, "group leads");
    assert_eq!(group.action, Action::Rename);
    assert_eq!(group.id.as_deref(), Some("g2"));
    assert_eq!(
        group.attributes,
        vec![AttributeChange {
            path: "displayName".into(),
            old: Some(json!("team-leads").into()),
            new: json!("leads").into()
        }]
    );
    assert!(group.members.is_empty());
    assert_eq!(plan.unmanaged, Unmanaged::default());
}

#[test]
fn a_rename_where_groups_cannot_be_renamed_is_a_replace_carrying_the_planned_members() {
    let config = r"
users:
  - userName: a@x.test
  - userName: b@x.test
  - userName: new@x.test
groups:
  - displayName: platform
    previously: [infra]
    members: [a@x.test, new@x.test]
  - displayName: all
    members: [group:platform]
";
    let live = live(
        json!([
            {"id": "ua", "userName": "a@x.test"},
            {"id": "ub", "userName": "b@x.test"}
        ]),
        json!([
            {"id": "g-infra", "displayName": "infra", "externalId": "E1", "members": [{"value": "ua"}, {"value": "ub"}]},
            {"id": "g-all", "displayName": "all", "members": [{"value": "g-infra"}]}
        ]),
    );
    let plan = plan_on(&declared(config), &live, "atlassian");
    let replace = change(&plan, "group platform");
    assert_eq!(replace.action, Action::Replace);
    assert_eq!(replace.id.as_deref(), Some("g-infra"));
    assert!(replace.destructive);
    assert!(
        replace.reason.contains("cannot rename groups"),
        "{}",
        replace.reason
    );
    assert_eq!(names(&replace.members.keep), [Some("a@x.test")]);
    assert_eq!(names(&replace.members.add), [Some("new@x.test")]);
    assert_eq!(names(&replace.members.remove), [Some("b@x.test")]);
    assert_eq!(
        replace.attribute("externalId").map(|a| a.new.to_value()),
        Some(json!("E1")),
        "the new group carries the externalId"
    );
    // The parent takes the new group (created by this plan) in place of the old one.
    let parent = change(&plan, "group all");
    assert_eq!(parent.members.add[0].name.as_deref(), Some("platform"));
    assert_eq!(parent.members.add[0].id, None);
    assert_eq!(parent.members.remove[0].id.as_deref(), Some("g-infra"));
    // On a provider that can rename, the same is a rename.
    let renamed = plan_on(&declared(config), &live, "generic");
    assert_eq!(change(&renamed, "group platform").action, Action::Rename);
}

#[test]
fn nested_groups_are_created_inner_first_and_additive_groups_keep_others() {
    let mut declared = declared(PEOPLE);
    // "all" contains "leads"; both are new.
    declared.groups[0].members = Some(vec![MemberName::Group("leads".into())]);
    let plan = plan(&declared, &Live::default());
    let groups: Vec<&str> = plan
        .changes
        .iter()
        .skip(3)
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(groups, ["group leads", "group all"]);

    let mut additive = self::declared(PEOPLE);
    additive.groups[0].members = Some(vec![MemberName::User("ceo@acme.test".into())]);
    additive.groups[0].membership = Membership::Additive;
    let live = live(
        json!([{"id": "c", "userName": "ceo@acme.test"}, {"id": "x", "userName": "someone@acme.test"}]),
        json!([{"id": "g1", "displayName": "all", "members": [{"value": "x"}]}]),
    );
    let plan = self::plan(&additive, &live);
    let all = change(&plan, "group all");
    assert_eq!(all.members.add.len(), 1);
    assert!(
        all.members.remove.is_empty(),
        "additive groups keep undeclared members"
    );
}

// Adoption and ambiguity.

const MATCH_BY: &str = r"
policy:
  match_users_by: [userName, email, externalId]
users:
  - userName: alice@acme.test
    emails: [{value: alice@acme.test, primary: true}]
  - userName: bob@acme.test
    externalId: E-BOB
";

#[test]
fn a_user_found_by_email_or_external_id_is_adopted() {
    let live = live(
        json!([
            {"id": "u1", "userName": "alice.jit", "emails": [{"value": "ALICE@acme.test", "primary": true}]},
            {"id": "u2", "userName": "robert", "externalId": "E-BOB"}
        ]),
        json!([]),
    );
    let plan = plan(&declared(MATCH_BY), &live);
    assert_eq!(plan.summary.create, 0, "{:#?}", plan.changes);
    assert_eq!(plan.summary.adopt, 2);
    let alice = change(&plan, "user alice@acme.test");
    assert_eq!(alice.action, Action::Adopt);
    assert_eq!(alice.id.as_deref(), Some("u1"));
    assert_eq!(
        alice.matched_by,
        Some(Box::new(MatchedBy {
            key: "email".into(),
            value: "alice@acme.test".into()
        }))
    );
    assert_eq!(
        alice.attribute("userName").map(|a| a.new.to_value()),
        Some(json!("alice@acme.test"))
    );
    assert!(
        alice.reason.contains("matched by email"),
        "{}",
        alice.reason
    );
    let bob = change(&plan, "user bob@acme.test");
    assert_eq!(bob.action, Action::Adopt);
    assert_eq!(
        bob.matched_by.as_ref().map(|m| m.key.as_str()),
        Some("externalId")
    );
    // Without the policy, the same directory gets new accounts.
    let by_name = "users:\n  - userName: alice@acme.test\n    email: alice@acme.test\n";
    let plan = self::plan(&declared(by_name), &live);
    assert_eq!(plan.summary.create, 1);
}

#[test]
fn two_live_accounts_for_one_declared_user_is_an_error_naming_both() {
    let live = live(
        json!([
            {"id": "u1", "userName": "a1", "emails": [{"value": "alice@acme.test", "primary": true}]},
            {"id": "u2", "userName": "a2", "emails": [{"value": "alice@acme.test"}]}
        ]),
        json!([]),
    );
    let errors = diff(
        &declared(MATCH_BY),
        &live,
        &PlanContext::for_url("http://t"),
    )
    .expect_err("ambiguous");
    let text = errors.errors[0].to_string();
    assert!(
        text.contains("`a1` (id u1)") && text.contains("`a2` (id u2)"),
        "{text}"
    );
    assert!(
        text.contains("scimform.yaml:"),
        "names where it is declared: {text}"
    );
}

#[test]
fn one_live_account_claimed_by_two_declared_users_is_an_error() {
    let config = r"
policy:
  match_users_by: [userName, email]
users:
  - userName: alice@acme.test
  - userName: al@acme.test
    emails: [{value: shared@acme.test, primary: true}]
";
    let live = live(
        json!([{"id": "u1", "userName": "alice@acme.test", "emails": [{"value": "shared@acme.test", "primary": true}]}]),
        json!([]),
    );
    let errors = diff(&declared(config), &live, &PlanContext::for_url("http://t"))
        .expect_err("claimed twice");
    let text = errors.errors[0].to_string();
    assert!(
        text.contains("alice@acme.test") && text.contains("al@acme.test") && text.contains("u1"),
        "{text}"
    );
    assert!(matches!(errors.errors[0], MatchError::ClaimedTwice { .. }));
}

// Unmanaged objects and ignore patterns.

fn directory_of(n: usize) -> Live {
    let users: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("u{i}"), "userName": format!("user{i}@x.test"), "active": true}))
        .collect();
    live(Value::Array(users), json!([]))
}

#[test]
fn unmanaged_users_are_left_deactivated_or_deleted_by_policy() {
    let live = live(
        json!([
            {"id": "u1", "userName": "kept@x.test", "active": true},
            {"id": "u2", "userName": "gone@x.test", "active": true},
            {"id": "u3", "userName": "off@x.test", "active": false}
        ]),
        json!([{"id": "g1", "displayName": "old-team", "members": [{"value": "u2"}]}]),
    );
    let base = "users:\n  - userName: kept@x.test\n";
    let ignore = plan(&declared(base), &live);
    assert!(!ignore.has_changes());
    assert_eq!(ignore.unmanaged.users.len(), 2);
    assert_eq!(ignore.unmanaged.groups.len(), 1);

    let deactivate = plan(
        &declared(&format!("policy:\n  unmanaged_users: deactivate\n{base}")),
        &live,
    );
    let gone = change(&deactivate, "user gone@x.test");
    assert_eq!(gone.action, Action::Deactivate);
    assert!(gone.destructive);
    assert!(gone.reason.contains("unmanaged_users"), "{}", gone.reason);
    assert_eq!(
        deactivate.summary.deactivate, 1,
        "the inactive one needs nothing"
    );

    let delete = plan(
        &declared(&format!(
            "policy:\n  unmanaged_users: delete\n  unmanaged_groups: delete\n{base}"
        )),
        &live,
    );
    assert_eq!(delete.summary.delete, 3);
    let group = change(&delete, "group old-team");
    assert_eq!(names(&group.members.remove), [Some("gone@x.test")]);
    assert!(
        change(&delete, "user gone@x.test")
            .reason
            .contains("deletes the account for good")
    );
    // What DELETE means is said per profile.
    let slack = plan_on(
        &declared(&format!("policy:\n  unmanaged_users: delete\n{base}")),
        &live,
        "slack",
    );
    assert_eq!(
        slack.target.capabilities.user_delete,
        DeleteSemantics::Deactivate
    );
    assert!(
        change(&slack, "user gone@x.test")
            .reason
            .contains("only deactivates")
    );
    assert!(
        slack.changes.iter().all(|c| c.name != "off@x.test"),
        "DELETE would not change an inactive account on slack"
    );
    let atlassian = plan_on(
        &declared(&format!("policy:\n  unmanaged_users: delete\n{base}")),
        &live,
        "atlassian",
    );
    assert!(
        change(&atlassian, "user gone@x.test")
            .reason
            .contains("removes the account from the SCIM directory and deactivates it")
    );
    assert!(
        atlassian
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::DeleteSemantics)
    );
}

#[test]
fn ignored_objects_are_never_touched_and_counted_apart() {
    let config = r"
policy:
  unmanaged_users: delete
  unmanaged_groups: delete
  ignore:
    users: ['*@contractors.test']
    groups: ['jira-*']
users:
  - userName: a@x.test
groups:
  - displayName: eng
    members: [a@x.test]
";
    let live = live(
        json!([
            {"id": "u1", "userName": "a@x.test"},
            {"id": "c1", "userName": "bot@contractors.test"}
        ]),
        json!([
            {"id": "g1", "displayName": "eng", "members": [{"value": "u1"}, {"value": "c1"}]},
            {"id": "j1", "displayName": "jira-users", "members": [{"value": "u1"}]}
        ]),
    );
    let plan = plan(&declared(config), &live);
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
    assert_eq!(plan.unmanaged.ignored_users, 1);
    assert_eq!(plan.unmanaged.ignored_groups, 1);
    assert!(plan.unmanaged.users.is_empty());
    assert!(
        plan.notes
            .iter()
            .any(|n| n.kind == NoteKind::IgnoredMemberKept)
    );
}

// Guards.

#[test]
fn max_destroy_defaults_apply_even_to_a_small_directory() {
    let config = "policy:\n  unmanaged_users: deactivate\nusers:\n  - userName: user0@x.test\n";
    // Four of five deactivated: under the count (10) but over 10 %.
    let plan = plan(&declared(config), &directory_of(5));
    assert_eq!(plan.summary.deactivate, 4);
    assert_eq!(trips(&plan), [GuardKind::MaxDestroyPercent]);
    assert_eq!(plan.guards.max_destroy.destructive, 4);
    assert_eq!(plan.guards.max_destroy.managed_users, 5);
    // Eleven of 200: under 10 % but over the count.
    let plan = self::plan(&declared(&users_yaml(189)), &directory_of(200));
    assert_eq!(plan.summary.deactivate, 11);
    assert_eq!(trips(&plan), [GuardKind::MaxDestroyCount]);
    // Raised limits let it through.
    let raised = users_yaml(189).replace(
        "unmanaged_users: deactivate",
        "unmanaged_users: deactivate\n  max_destroy: {count: 20, percent: 10}",
    );
    assert!(!self::plan(&declared(&raised), &directory_of(200)).refused());
}

fn users_yaml(n: usize) -> String {
    let mut yaml = "policy:\n  unmanaged_users: deactivate\nusers:\n".to_string();
    for i in 0..n {
        let _ = writeln!(yaml, "  - userName: user{i}@x.test");
    }
    yaml
}

#[test]
fn protected_users_and_groups_trip_their_guards() {
    let config = r"
policy:
  unmanaged_users: deactivate
  protected_users: [root@x.test, lead@x.test]
  protected_groups: [oncall]
users:
  - userName: lead@x.test
  - userName: dev@x.test
groups:
  - displayName: oncall
    members: [dev@x.test]
  - displayName: team
    members: [dev@x.test]
";
    let live = live(
        json!([
            {"id": "r", "userName": "root@x.test", "active": true},
            {"id": "l", "userName": "lead@x.test"},
            {"id": "d", "userName": "dev@x.test"}
        ]),
        json!([
            {"id": "g1", "displayName": "oncall", "members": [{"value": "d"}, {"value": "l"}]},
            {"id": "g2", "displayName": "team", "members": [{"value": "d"}]}
        ]),
    );
    let plan = plan(&declared(config), &live);
    let messages: Vec<&str> = plan
        .guards
        .trips
        .iter()
        .map(|t| t.message.as_str())
        .collect();
    assert!(
        trips(&plan).contains(&GuardKind::ProtectedUser),
        "{messages:?}"
    );
    assert!(
        trips(&plan).contains(&GuardKind::ProtectedGroup),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("deactivates protected user `root@x.test`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("protected group `oncall` would lose 1 member")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("protected user `lead@x.test` would be removed from group oncall")),
        "{messages:?}"
    );
    assert!(change(&plan, "group oncall").protected);
    // Adding a member to a protected group trips nothing.
    let grow = config
        .replace(
            "members: [dev@x.test]\n  - displayName: team",
            "members: [dev@x.test, lead@x.test]\n  - displayName: team",
        )
        .replace(
            "protected_users: [root@x.test, lead@x.test]",
            "protected_users: [lead@x.test]",
        )
        .replace("unmanaged_users: deactivate", "unmanaged_users: ignore");
    let live = self::live(
        json!([{"id": "l", "userName": "lead@x.test"}, {"id": "d", "userName": "dev@x.test"}]),
        json!([{"id": "g1", "displayName": "oncall", "members": [{"value": "d"}]}, {"id": "g2", "displayName": "team", "members": [{"value": "d"}]}]),
    );
    let plan = self::plan(&declared(&grow), &live);
    assert!(plan.has_changes());
    assert!(!plan.refused(), "{:?}", plan.guards.trips);
}

#[test]
fn privileged_groups_left_empty_and_min_members_in_the_result_trip() {
    let config = r"
users:
  - userName: a@x.test
groups:
  - displayName: admins
    privileged: true
    members: []
  - displayName: helpers
    membership: additive
    min_members: 3
    members: [a@x.test]
";
    let live = live(
        json!([{"id": "a", "userName": "a@x.test"}, {"id": "b", "userName": "b@x.test"}]),
        json!([
            {"id": "g1", "displayName": "admins", "members": [{"value": "b"}]},
            {"id": "g2", "displayName": "helpers", "members": [{"value": "b"}]}
        ]),
    );
    let plan = plan(&declared(config), &live);
    let admins = change(&plan, "group admins");
    assert!(admins.privileged && admins.destructive);
    assert_eq!(
        plan.guards.max_destroy.destructive, 1,
        "a removal from a privileged group counts"
    );
    assert!(trips(&plan).contains(&GuardKind::PrivilegedEmptied));
    // helpers: 1 live + 1 added = 2, still under its minimum of 3 after apply.
    assert!(
        trips(&plan).contains(&GuardKind::MinMembers),
        "{:?}",
        plan.guards.trips
    );
    // With enough members in the result, nothing trips.
    let live = self::live(
        json!([{"id": "a", "userName": "a@x.test"}, {"id": "b", "userName": "b@x.test"}, {"id": "c", "userName": "c@x.test"}]),
        json!([{"id": "g1", "displayName": "admins", "members": [{"value": "b"}]}, {"id": "g2", "displayName": "helpers", "members": [{"value": "b"}, {"value": "c"}]}]),
    );
    let plan = self::plan(&declared(config), &live);
    assert!(
        !trips(&plan).contains(&GuardKind::MinMembers),
        "{:?}",
        plan.guards.trips
    );
}

#[test]
fn a_dangling_member_is_removed_only_when_the_read_proved_it_absent() {
    let config =
        "users:\n  - userName: a@x.test\ngroups:\n  - displayName: eng\n    members: [a@x.test]\n";
    let users = vec![json!({"id": "u1", "userName": "a@x.test"})];
    let groups = vec![json!({"id": "g1", "displayName": "eng",
        "members": [{"value": "u1"}, {"value": "gone"}, {"value": "missed"}]})];
    let live = Live::from_resources_with_absent(users, groups, &["gone"]).expect("live");
    let plan = plan(&declared(config), &live);
    let eng = change(&plan, "group eng");
    let removed: Vec<Option<&str>> = eng.members.remove.iter().map(|m| m.id.as_deref()).collect();
    assert_eq!(removed, [Some("gone")], "only the proven absent id goes");
    let kept = plan
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::DanglingMember && n.message.contains("`missed`"))
        .unwrap_or_else(|| panic!("a note on the unconfirmed id: {:?}", plan.notes));
    assert!(kept.message.contains("it stays"), "{}", kept.message);
    assert_eq!(
        eng.fingerprint.as_ref().and_then(|f| f.members),
        Some(3),
        "the fingerprint still counts what the group lists"
    );
}
