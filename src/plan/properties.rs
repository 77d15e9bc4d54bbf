//! Property tests of `diff` over generated configurations and live directories:
//!
//! - a directory that already is what the files declare gives an empty plan;
//! - carrying a plan out on an in-memory model of the directory (the way apply sends
//!   it) gives a directory whose next plan is empty — the declared state on every
//!   declared field — and that honours the unmanaged policy;
//! - no change ever touches an object that `policy.ignore` covers;
//! - a change that deactivates, deletes, replaces or removes a protected object always
//!   comes with a guard trip (so it never happens without `--force`);
//! - the plan does not depend on the order the directory lists things in, and is the
//!   same byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::config::fold_name;
use crate::config::load_str;
use crate::live::Live;

/// A generated person: an index into the name pool and their attributes.
#[derive(Clone, Debug)]
struct Person {
    name: usize,
    display: Option<usize>,
    title: Option<usize>,
    active: Option<bool>,
}

/// A generated group: its name, members (person indexes) and nested groups (lower
/// group indexes only, so no cycles).
#[derive(Clone, Debug)]
struct Team {
    name: usize,
    members: Option<Vec<usize>>,
    nested: Vec<usize>,
    additive: bool,
}

#[derive(Clone, Debug)]
struct Case {
    declared_people: Vec<Person>,
    declared_teams: Vec<Team>,
    live_people: Vec<(Person, bool)>,
    live_teams: Vec<(Team, Vec<usize>)>,
    unmanaged_users: usize,
    unmanaged_groups: usize,
    ignore: bool,
    protect: Option<usize>,
    protect_group: Option<usize>,
}

const NAMES: usize = 12;
const TEAMS: usize = 5;
const DISPLAY: &[&str] = &["Ann", "Bo", "Cy Long Name", "Dee"];
const TITLES: &[&str] = &["Engineer", "Manager", "Line one\nline two"];

fn user_name(i: usize) -> String {
    // A few names fall under the ignore pattern.
    if i >= NAMES - 2 {
        format!("bot{i}@ignored.test")
    } else {
        format!("user{i}@x.test")
    }
}

fn group_name(i: usize) -> String {
    if i == TEAMS - 1 {
        "ext-tools".to_string()
    } else {
        format!("team{i}")
    }
}

fn person() -> impl Strategy<Value = Person> {
    (
        0..NAMES,
        proptest::option::of(0..DISPLAY.len()),
        proptest::option::of(0..TITLES.len()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(name, display, title, active)| Person {
            name,
            display,
            title,
            active,
        })
}

fn team() -> impl Strategy<Value = Team> {
    (
        0..TEAMS,
        proptest::option::of(proptest::collection::vec(0..NAMES, 0..6)),
        proptest::collection::vec(0..TEAMS, 0..2),
        any::<bool>(),
    )
        .prop_map(|(name, members, nested, additive)| Team {
            name,
            members,
            nested: nested.into_iter().filter(|n| *n < name).collect(),
            additive,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(person(), 0..8),
        proptest::collection::vec(team(), 0..4),
        proptest::collection::vec((person(), any::<bool>()), 0..10),
        proptest::collection::vec((team(), proptest::collection::vec(0..30usize, 0..5)), 0..5),
        0..3usize,
        0..2usize,
        any::<bool>(),
        proptest::option::of(0..NAMES),
        proptest::option::of(0..TEAMS),
    )
        .prop_map(
            |(
                dp,
                dt,
                lp,
                lt,
                unmanaged_users,
                unmanaged_groups,
                ignore,
                protect,
                protect_group,
            )| {
                Case {
                    declared_people: dp,
                    declared_teams: dt,
                    live_people: lp,
                    live_teams: lt,
                    unmanaged_users,
                    unmanaged_groups,
                    ignore,
                    protect,
                    protect_group,
                }
            },
        )
}

/// Declared people and teams, deduplicated by name (the first wins), ignored names left
/// out (validation refuses declaring them), members limited to declared people.
fn declared_sets(case: &Case) -> (BTreeMap<usize, Person>, BTreeMap<usize, Team>) {
    let mut people = BTreeMap::new();
    for p in &case.declared_people {
        if case.ignore && p.name >= NAMES - 2 {
            continue;
        }
        people.entry(p.name).or_insert_with(|| p.clone());
    }
    let mut teams: BTreeMap<usize, Team> = BTreeMap::new();
    for t in &case.declared_teams {
        if case.ignore && t.name == TEAMS - 1 {
            continue;
        }
        teams.entry(t.name).or_insert_with(|| t.clone());
    }
    let names: Vec<usize> = teams.keys().copied().collect();
    for team in teams.values_mut() {
        if let Some(members) = &mut team.members {
            members.retain(|m| people.contains_key(m));
            members.sort_unstable();
            members.dedup();
        }
        team.nested.retain(|n| names.contains(n));
        team.nested.sort_unstable();
        team.nested.dedup();
        if team.members.is_none() {
            team.nested.clear();
        }
    }
    (people, teams)
}

fn yaml(case: &Case) -> String {
    let (people, teams) = declared_sets(case);
    let mut y = String::from("policy:\n");
    let _ = writeln!(
        y,
        "  unmanaged_users: {}",
        ["ignore", "deactivate", "delete"][case.unmanaged_users]
    );
    let _ = writeln!(
        y,
        "  unmanaged_groups: {}",
        ["ignore", "delete"][case.unmanaged_groups]
    );
    y.push_str("  max_destroy: {count: 1000, percent: 100}\n");
    if case.ignore {
        y.push_str("  ignore: {users: ['*@ignored.test'], groups: ['ext-*']}\n");
    }
    if let Some(p) = case.protect {
        let _ = writeln!(y, "  protected_users: ['{}']", user_name(p));
    }
    if let Some(g) = case.protect_group {
        let _ = writeln!(y, "  protected_groups: ['{}']", group_name(g));
    }
    y.push_str("users:\n");
    for p in people.values() {
        let _ = writeln!(y, "  - userName: {}", user_name(p.name));
        if let Some(d) = p.display {
            let _ = writeln!(y, "    displayName: {}", json!(DISPLAY[d]));
        }
        if let Some(t) = p.title {
            let _ = writeln!(y, "    title: {}", json!(TITLES[t]));
        }
        if let Some(a) = p.active {
            let _ = writeln!(y, "    active: {a}");
        }
    }
    y.push_str("groups:\n");
    for t in teams.values() {
        let _ = writeln!(y, "  - displayName: {}", group_name(t.name));
        if t.additive {
            y.push_str("    membership: additive\n");
        }
        if let Some(members) = &t.members {
            let mut names: Vec<String> = members.iter().map(|m| user_name(*m)).collect();
            names.extend(t.nested.iter().map(|n| format!("group:{}", group_name(*n))));
            let _ = writeln!(y, "    members: {}", json!(names));
        }
    }
    y
}

/// The live directory of a case, as SCIM resources. Live names may differ in case from
/// the declared ones; member values may dangle.
fn live(case: &Case) -> Live {
    let mut users = BTreeMap::new();
    for (p, upper) in &case.live_people {
        let name = if *upper {
            user_name(p.name).to_uppercase()
        } else {
            user_name(p.name)
        };
        let mut resource = json!({"id": format!("u{}", p.name), "userName": name});
        if let Some(d) = p.display {
            resource["displayName"] = json!(DISPLAY[d]);
        }
        if let Some(t) = p.title {
            resource["title"] = json!(TITLES[t]);
        }
        if let Some(a) = p.active {
            resource["active"] = json!(a);
        }
        users.entry(p.name).or_insert(resource);
    }
    let mut groups = BTreeMap::new();
    for (t, raw_members) in &case.live_teams {
        let members: Vec<Value> = raw_members
            .iter()
            .map(|m| {
                if *m < NAMES {
                    json!({"value": format!("u{m}")})
                } else if *m < NAMES + TEAMS {
                    json!({"value": format!("g{}", m - NAMES)})
                } else {
                    json!({"value": format!("gone{m}")})
                }
            })
            .collect();
        groups.entry(t.name).or_insert(json!({
            "id": format!("g{}", t.name),
            "displayName": group_name(t.name),
            "members": members
        }));
    }
    Live::from_resources(
        users.into_values().collect(),
        groups.into_values().collect(),
    )
    .expect("valid live")
}

fn context() -> PlanContext {
    PlanContext::for_url("http://model")
}

/// The directory as a model apply can change: users and groups by id.
#[derive(Clone, Debug, Default)]
struct Model {
    users: BTreeMap<String, Map<String, Value>>,
    groups: BTreeMap<String, (Map<String, Value>, Vec<String>)>,
    next: usize,
}

impl Model {
    fn of(live: &Live) -> Model {
        let mut model = Model::default();
        for user in &live.users {
            let resource = user.resource();
            model.users.insert(
                user.id.to_string(),
                resource.as_object().cloned().unwrap_or_default(),
            );
        }
        for group in &live.groups {
            let resource = group.resource();
            model.groups.insert(
                group.id.to_string(),
                (
                    resource.as_object().cloned().unwrap_or_default(),
                    group.members.iter().map(str::to_string).collect(),
                ),
            );
        }
        model
    }

    fn live(&self) -> Live {
        let users = self
            .users
            .values()
            .map(|u| Value::Object(u.clone()))
            .collect();
        let groups = self
            .groups
            .values()
            .map(|(g, members)| {
                let mut g = g.clone();
                g.insert(
                    "members".into(),
                    Value::Array(members.iter().map(|m| json!({"value": m})).collect()),
                );
                Value::Object(g)
            })
            .collect();
        Live::from_resources(users, groups).expect("model is valid")
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-new-{}", self.next)
    }

    /// Carry out `plan` as apply sends it (in order; ids of created objects by name).
    fn apply(&mut self, plan: &Plan) {
        let mut created: BTreeMap<(MemberType, String), String> = BTreeMap::new();
        let resolve = |created: &BTreeMap<(MemberType, String), String>, m: &MemberRef| {
            m.id.clone().unwrap_or_else(|| {
                created[&(
                    m.r#type,
                    fold_name(m.name.as_deref().unwrap_or_default()).into_owned(),
                )]
                    .clone()
            })
        };
        let mut deferred_deletes = Vec::new();
        for change in &plan.changes {
            match (change.resource, change.action) {
                (ResourceType::User, Action::Create) => {
                    let id = self.new_id("u");
                    let mut user = Map::new();
                    user.insert("id".into(), json!(id));
                    user.insert("userName".into(), json!(change.name));
                    for a in &change.attributes {
                        user.insert(a.path.clone(), a.new.to_value());
                    }
                    self.users.insert(id.clone(), user);
                    created.insert((MemberType::User, fold_name(&change.name).into_owned()), id);
                }
                (ResourceType::User, Action::Delete) => {
                    let id = change.id.clone().expect("id");
                    self.users.remove(&id);
                    for (_, members) in self.groups.values_mut() {
                        members.retain(|m| m != &id);
                    }
                }
                (ResourceType::User, _) => {
                    let id = change.id.clone().expect("id");
                    let user = self.users.get_mut(&id).expect("user exists");
                    for a in &change.attributes {
                        let existing = user
                            .keys()
                            .find(|k| k.eq_ignore_ascii_case(&a.path))
                            .cloned();
                        if let Some(existing) = existing {
                            user.remove(&existing);
                        }
                        user.insert(a.path.clone(), a.new.to_value());
                    }
                }
                (ResourceType::Group, Action::Create | Action::Replace) => {
                    let id = self.new_id("g");
                    let mut group = Map::new();
                    group.insert("id".into(), json!(id));
                    group.insert("displayName".into(), json!(change.name));
                    let members: Vec<String> = change
                        .members
                        .keep
                        .iter()
                        .chain(&change.members.add)
                        .map(|m| resolve(&created, m))
                        .collect();
                    self.groups.insert(id.clone(), (group, members));
                    created.insert(
                        (MemberType::Group, fold_name(&change.name).into_owned()),
                        id,
                    );
                    if change.action == Action::Replace {
                        deferred_deletes.push(change.id.clone().expect("id"));
                    }
                }
                (ResourceType::Group, Action::Delete) => {
                    let id = change.id.clone().expect("id");
                    self.groups.remove(&id);
                }
                (ResourceType::Group, _) => {
                    let id = change.id.clone().expect("id");
                    let adds: Vec<String> = change
                        .members
                        .add
                        .iter()
                        .map(|m| resolve(&created, m))
                        .collect();
                    let (group, members) = self.groups.get_mut(&id).expect("group exists");
                    for a in &change.attributes {
                        group.insert(a.path.clone(), a.new.to_value());
                    }
                    let removed: Vec<&String> = change
                        .members
                        .remove
                        .iter()
                        .filter_map(|m| m.id.as_ref())
                        .collect();
                    members.retain(|m| !removed.contains(&m));
                    members.extend(adds);
                }
            }
        }
        for id in deferred_deletes {
            self.groups.remove(&id);
        }
    }
}

fn ignored_ids(live: &Live) -> Vec<String> {
    live.users
        .iter()
        .filter(|u| u.user_name.to_lowercase().ends_with("@ignored.test"))
        .map(|u| u.id.to_string())
        .chain(
            live.groups
                .iter()
                .filter(|g| g.display_name.starts_with("ext-"))
                .map(|g| g.id.to_string()),
        )
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("SCIMFORM_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn applying_the_plan_gives_the_declared_state(case in case()) {
        let declared = load_str("scimform.yaml", &yaml(&case)).expect("generated config is valid");
        let live = live(&case);
        let Ok(plan) = diff(&declared, &live, &context()) else {
            // Ambiguity is an error, never a guess; nothing to check.
            return Ok(());
        };
        let mut model = Model::of(&live);
        model.apply(&plan);
        let after = model.live();
        let again = diff(&declared, &after, &context()).expect("plans again");
        prop_assert!(
            !again.has_changes(),
            "plan after apply is not empty:\n{}\nfirst plan: {:#?}\nsecond plan: {:#?}",
            yaml(&case),
            plan.changes,
            again.changes
        );
        // The unmanaged policy holds: nothing unmanaged is left active (deactivate) or
        // present (delete), except what is ignored.
        let ignored = ignored_ids(&after);
        let inactive = |id: &str| {
            after
                .users
                .iter()
                .any(|l| l.id.as_str() == id && l.resource()["active"] == json!(false))
        };
        match case.unmanaged_users {
            1 => {
                let all_off = again
                    .unmanaged
                    .users
                    .iter()
                    .all(|u| ignored.contains(&u.id) || inactive(&u.id));
                prop_assert!(all_off, "an unmanaged user is still active");
            }
            2 => prop_assert!(again.unmanaged.users.is_empty()),
            _ => {}
        }
        if case.unmanaged_groups == 1 {
            prop_assert!(again.unmanaged.groups.is_empty());
        }
    }

    #[test]
    fn the_declared_state_plans_empty(case in case()) {
        let declared = load_str("scimform.yaml", &yaml(&case)).expect("generated config is valid");
        let Ok(plan) = diff(&declared, &Live::default(), &context()) else {
            return Ok(());
        };
        let mut model = Model::default();
        model.apply(&plan);
        let again = diff(&declared, &model.live(), &context()).expect("plans again");
        prop_assert!(!again.has_changes(), "{:#?}", again.changes);
    }

    #[test]
    fn ignored_objects_are_never_touched(case in case()) {
        let declared = load_str("scimform.yaml", &yaml(&case)).expect("generated config is valid");
        let live = live(&case);
        let Ok(plan) = diff(&declared, &live, &context()) else {
            return Ok(());
        };
        let ignored = if case.ignore { ignored_ids(&live) } else { Vec::new() };
        for change in &plan.changes {
            prop_assert!(change.id.as_ref().is_none_or(|id| !ignored.contains(id)), "{change:#?}");
            // (Deleting a group ends every membership in it, ignored members' too: the
            // group is what is deleted.)
            prop_assert!(
                change.action == Action::Delete
                    || change.members.remove.iter().all(|m| m.id.as_ref().is_none_or(|id| !ignored.contains(id))),
                "{change:#?}"
            );
        }
    }

    #[test]
    fn protected_objects_change_only_with_a_guard_trip(case in case()) {
        let declared = load_str("scimform.yaml", &yaml(&case)).expect("generated config is valid");
        let live = live(&case);
        let Ok(plan) = diff(&declared, &live, &context()) else {
            return Ok(());
        };
        let protected_user = case.protect.map(user_name);
        for change in &plan.changes {
            let destructive_to_it = change.protected
                && (matches!(change.action, Action::Deactivate | Action::Delete | Action::Replace | Action::Rename)
                    || !change.members.remove.is_empty());
            let removes_protected_user = protected_user.as_ref().is_some_and(|p| {
                change.members.remove.iter().any(|m| m.name.as_ref().is_some_and(|n| crate::config::same_name(n, p)))
            });
            if destructive_to_it || removes_protected_user {
                prop_assert!(
                    plan.guards.trips.iter().any(|t| t.subject.as_deref() == Some(change.address.as_str())),
                    "{change:#?} without a trip: {:?}",
                    plan.guards.trips
                );
            }
        }
    }

    #[test]
    fn the_plan_is_deterministic_whatever_the_listing_order(case in case(), seed in any::<u64>()) {
        let declared = load_str("scimform.yaml", &yaml(&case)).expect("generated config is valid");
        let live = live(&case);
        let mut shuffled = live.clone();
        let n = shuffled.users.len();
        if n > 1 {
            shuffled.users.rotate_left(usize::try_from(seed % n as u64).unwrap_or(0));
        }
        shuffled.groups.reverse();
        let a = diff(&declared, &live, &context()).map(|p| serde_json::to_string(&p).expect("json"));
        let b = diff(&declared, &shuffled, &context()).map(|p| serde_json::to_string(&p).expect("json"));
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.errors, b.errors),
            _ => prop_assert!(false, "one order planned and the other did not"),
        }
    }
}
