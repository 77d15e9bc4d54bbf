//! Snapshots of the human plan (no colour), for one rich plan computed the real way (YAML
//! and SCIM JSON through `diff`) that has every kind of change, guard trips, a privileged
//! change, a replace, an adoption and a note.

use std::fmt::Write as _;

use serde_json::json;

use super::{HumanOptions, Style, render_plan};
use crate::config::load_str;
use crate::live::Live;
use crate::plan::{Capabilities, Plan, PlanContext, diff};

/// The configuration of the rich fixture.
pub(crate) const RICH_CONFIG: &str = r"
policy:
  unmanaged_users: deactivate
  unmanaged_groups: delete
  match_users_by: [userName, email]
  protected_users: [root@acme.test]
  max_destroy: {count: 3}
users:
  - userName: new@acme.test
    displayName: New Person
    name: {givenName: New, familyName: Person}
    email: new@acme.test
    enterprise: {manager: boss@acme.test}
  - userName: boss@acme.test
    title: Engineering manager for the platform, build and release infrastructure teams
  - userName: jit@acme.test
    email: jit@acme.test
    displayName: Jo Jit
  - userName: renamed@acme.test
    previously: [old.name@acme.test]
  - userName: back@acme.test
    active: true
  - userName: leaver@acme.test
    active: false
groups:
  - displayName: platform
    previously: [infra]
    members: [boss@acme.test, new@acme.test]
  - displayName: admins
    privileged: true
    members: [boss@acme.test]
  - displayName: design
    members: [new@acme.test, jit@acme.test]
";

/// The rich fixture's plan, on the atlassian profile (which cannot rename groups).
pub(crate) fn rich_plan() -> Plan {
    let declared = load_str("scimform.yaml", RICH_CONFIG).expect("valid fixture");
    let live = Live::from_resources(
        vec![
            json!({"id": "u-boss", "userName": "boss@acme.test",
                   "title": "Engineering manager for the platform and build infrastructure teams"}),
            json!({"id": "u-jit", "userName": "jit.user", "emails": [{"value": "jit@acme.test", "primary": true}]}),
            json!({"id": "u-old", "userName": "old.name@acme.test"}),
            json!({"id": "u-back", "userName": "back@acme.test", "active": false}),
            json!({"id": "u-leaver", "userName": "leaver@acme.test", "active": true}),
            json!({"id": "u-root", "userName": "root@acme.test", "active": true}),
            json!({"id": "u-temp", "userName": "temp.contractor@acme.test", "active": true}),
        ],
        vec![
            json!({"id": "g-infra", "displayName": "infra", "members": [{"value": "u-boss"}, {"value": "u-temp"}]}),
            json!({"id": "g-admins", "displayName": "admins", "members": [{"value": "u-boss"}, {"value": "u-root"}, {"value": "5f0c"}]}),
            json!({"id": "g-old", "displayName": "old-team", "members": [{"value": "u-temp"}]}),
        ],
    )
    .expect("valid live fixture");
    let profile = crate::scim::Profile::builtin("atlassian").expect("atlassian");
    let mut context = PlanContext::for_url("https://api.atlassian.com/scim/directory/acme");
    context.target.profile = profile.name.clone();
    context.target.capabilities = Capabilities::of(&profile);
    context.created_at = "2026-12-01T09:00:00Z".to_string();
    context.git_commit = Some("0123456789abcdef0123456789abcdef01234567".to_string());
    diff(&declared, &live, &context).expect("a plan")
}

fn render(plan: &Plan, options: &HumanOptions) -> String {
    let mut out = Vec::new();
    render_plan(plan, &mut out, options).expect("writing to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn every_kind_of_change() {
    let plan = rich_plan();
    let text = render(&plan, &HumanOptions::PLAIN);
    for action in [
        "will be created",
        "will be updated in place",
        "will be adopted",
        "will be renamed",
        "will be replaced",
        "will be deactivated",
        "will be reactivated",
        "will be deleted",
    ] {
        assert!(text.contains(action), "no change that {action}:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn no_changes() {
    let mut plan = rich_plan();
    plan.changes.clear();
    plan.notes.clear();
    plan.guards.trips.clear();
    insta::assert_snapshot!(render(&plan, &HumanOptions::PLAIN));
}

#[test]
fn colour_only_repeats_the_symbols() {
    let coloured = render(
        &rich_plan(),
        &HumanOptions {
            style: Style { color: true },
            ..HumanOptions::PLAIN
        },
    );
    assert!(coloured.contains("\x1b[32m+\x1b[0m"));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, render(&rich_plan(), &HumanOptions::PLAIN));
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
        render(&rich_plan(), &HumanOptions::PLAIN),
        render(&rich_plan(), &HumanOptions::PLAIN)
    );
}

#[test]
fn names_cannot_hide_or_reorder_lines() {
    let yaml = "users:\n  - userName: \"evil\\u202Egnp.exe\\u001b[2K\"\n";
    let plan = first_import(yaml);
    let text = render(&plan, &HumanOptions::PLAIN);
    assert!(
        !text.contains('\u{202E}') && !text.contains('\x1b'),
        "{text}"
    );
    assert!(text.contains("evil\\u{202E}gnp.exe\\u{001B}[2K"), "{text}");
}

#[test]
fn long_member_lists_are_cut_unless_verbose() {
    let mut yaml = "users:\n".to_string();
    for i in 0..40 {
        let _ = writeln!(yaml, "  - userName: u{i:02}@x.test");
    }
    yaml.push_str("groups:\n  - displayName: all\n    members: [");
    yaml.push_str(
        &(0..40)
            .map(|i| format!("u{i:02}@x.test"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    yaml.push_str("]\n");
    let plan = first_import(&yaml);
    let short = render(&plan, &HumanOptions::PLAIN);
    assert!(short.contains("… and 15 more members added"), "{short}");
    assert!(!short.contains("member u39@x.test"));
    let all = render(&plan, &HumanOptions::new(Style::PLAIN, true));
    assert!(all.contains("member u39@x.test"));
}

/// The plan of `yaml` (a root file) against an empty directory.
fn first_import(yaml: &str) -> Plan {
    let declared = load_str("scimform.yaml", yaml).expect("valid");
    diff(
        &declared,
        &Live::default(),
        &PlanContext::for_url("http://t"),
    )
    .expect("plan")
}

fn markdown_of(plan: &Plan) -> String {
    let mut out = Vec::new();
    super::render_markdown(plan, &mut out).expect("writing to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

fn review_of(plan: &Plan) -> String {
    let mut out = Vec::new();
    super::render_review(plan, &mut out, Style::PLAIN).expect("writing to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn markdown_comment() {
    let text = markdown_of(&rich_plan());
    assert!(text.starts_with(
        "<!-- scimform:plan target=https://api.atlassian.com/scim/directory/acme -->\n"
    ));
    assert_eq!(text, markdown_of(&rich_plan()), "byte for byte");
    insta::assert_snapshot!(text);
}

#[test]
fn access_review_by_person() {
    insta::assert_snapshot!(review_of(&rich_plan()));
}

#[test]
fn plan_file_json() {
    insta::assert_snapshot!(rich_plan().to_json());
}

#[test]
fn a_long_list_of_changes_renders_as_one_change_after_another() {
    // Users with members, managers and groups: changes of several sizes, in more runs
    // than one thread renders, with colour.
    let mut yaml = String::from("users:\n");
    for i in 0..2_600 {
        let _ = writeln!(yaml, "  - userName: u{i:04}@x.test");
        if i % 7 == 0 && i > 0 {
            let _ = writeln!(yaml, "    enterprise: {{ manager: u{:04}@x.test }}", i - 1);
        }
    }
    yaml.push_str("groups:\n");
    for g in 0..40 {
        let _ = write!(yaml, "  - displayName: g{g}\n    members: [");
        for m in 0..=(g * 3) {
            let _ = write!(yaml, "u{:04}@x.test, ", (g * 61 + m) % 2_600);
        }
        yaml.push_str("]\n");
    }
    let plan = first_import(&yaml);
    let changes: Vec<&crate::plan::Change> = plan.changes.iter().collect();
    assert!(changes.len() > 2_600);
    let options = HumanOptions::new(Style { color: true }, false);
    let mut together = Vec::new();
    super::human::render_views(&changes, &mut together, &options).expect("a Vec");
    let mut one_by_one = Vec::new();
    for change in &changes {
        super::human::render_view(
            &super::breakdown::view(change, options.members_shown),
            &mut one_by_one,
            options.style,
        )
        .expect("a Vec");
    }
    assert!(together == one_by_one, "the same bytes in the same order");
}

#[test]
fn a_huge_plan_stays_under_the_comment_cap_with_its_summary() {
    let mut yaml = String::from("users:\n");
    for i in 0..50_000 {
        let _ = write!(
            yaml,
            "  - userName: user{i:05}@x.test
    displayName: User {i}
"
        );
    }
    let plan = first_import(&yaml);
    assert_eq!(plan.changes.len(), 50_000);
    let text = markdown_of(&plan);
    assert!(
        text.chars().count() <= super::MARKDOWN_CAP,
        "{} characters",
        text.chars().count()
    );
    assert!(
        text.contains("| 50000 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"),
        "the summary is intact"
    );
    assert!(text.contains("This comment is cut to 60000 characters"));
    assert!(text.contains("more changes not shown here"));
    assert_eq!(
        text.matches("<details>").count(),
        text.matches("</details>").count()
    );
}

#[test]
fn the_destructive_section_is_never_cut() {
    let mut yaml = String::from("policy:\n  unmanaged_users: delete\nusers: []\n");
    yaml.push('\n');
    let users: Vec<serde_json::Value> = (0..3_000)
        .map(|i| json!({"id": format!("u{i}"), "userName": format!("leaver{i:04}@x.test")}))
        .collect();
    let live = Live::from_resources(users, vec![]).expect("live");
    let declared = load_str("scimform.yaml", &yaml).expect("valid");
    let plan = diff(&declared, &live, &PlanContext::for_url("http://t")).expect("plan");
    let text = super::markdown(&plan, 20_000);
    for i in [0, 1_500, 2_999] {
        assert!(
            text.contains(&format!("leaver{i:04}@x.test")),
            "leaver{i:04} is named"
        );
    }
}
