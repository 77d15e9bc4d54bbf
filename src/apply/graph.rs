//! The steps of an apply and what each waits for.
//!
//! Every change is one step, except a replace, which is two: create the new group, then
//! (once every group that gains the new group or loses the old one is done) delete the
//! old group. A step waits for the creates it needs ids from (a user before the groups
//! that list it, a manager before the report, a nested group before its parent), and a
//! deletion waits for the changes that remove the object from groups first. A step
//! whose dependency failed or was skipped is skipped. Pure: this decides order only.

use std::collections::HashMap;

use crate::plan::{Action, MemberType, Plan, ResourceType};

/// One unit of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The change itself (for a replace: creating the new group).
    Main(usize),
    /// A replace's second half: deleting the old group.
    DeleteReplaced(usize),
}

impl Step {
    pub(crate) fn change(self) -> usize {
        match self {
            Step::Main(i) | Step::DeleteReplaced(i) => i,
        }
    }
}

/// The steps of a plan and their dependencies (by step index).
#[derive(Debug)]
pub(crate) struct Graph {
    pub(crate) steps: Vec<Step>,
    pub(crate) depends_on: Vec<Vec<usize>>,
    pub(crate) dependents: Vec<Vec<usize>>,
}

/// Folded, for names compared the way the plan compares them.
fn fold(text: &str) -> String {
    crate::config::fold_name(text).into_owned()
}

impl Graph {
    pub(crate) fn of(plan: &Plan) -> Graph {
        let changes = &plan.changes;
        let mut steps: Vec<Step> = (0..changes.len()).map(Step::Main).collect();
        for (i, change) in changes.iter().enumerate() {
            if change.action == Action::Replace {
                steps.push(Step::DeleteReplaced(i));
            }
        }
        let step_of_main = |i: usize| i;
        // Objects this plan creates, by (type, folded name): the step that creates them.
        let mut created: HashMap<(MemberType, String), usize> = HashMap::new();
        for (i, change) in changes.iter().enumerate() {
            let makes_object = matches!(change.action, Action::Create | Action::Link)
                || (change.action == Action::Replace && change.resource == ResourceType::Group);
            if makes_object {
                let kind = match change.resource {
                    ResourceType::User => MemberType::User,
                    ResourceType::Group => MemberType::Group,
                };
                created.insert((kind, fold(&change.name)), step_of_main(i));
            }
        }
        // Changes that remove a live id from a group, by folded id.
        let mut removers: HashMap<String, Vec<usize>> = HashMap::new();
        // Changes that add an object this plan creates, by (type, folded name).
        let mut adders: HashMap<(MemberType, String), Vec<usize>> = HashMap::new();
        for (i, change) in changes.iter().enumerate() {
            if change.action == Action::Delete {
                continue;
            }
            for member in &change.members.remove {
                if let Some(id) = &member.id {
                    removers.entry(fold(id)).or_default().push(step_of_main(i));
                }
            }
            for member in &change.members.add {
                if member.id.is_none()
                    && let Some(name) = &member.name
                {
                    adders
                        .entry((member.r#type, fold(name)))
                        .or_default()
                        .push(step_of_main(i));
                }
            }
        }
        let mut depends_on: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
        for (s, step) in steps.iter().enumerate() {
            let change = &changes[step.change()];
            let deps = &mut depends_on[s];
            match step {
                Step::Main(_) => {
                    let needs = change
                        .manager
                        .iter()
                        .map(|m| &m.new)
                        .chain(change.members.add.iter())
                        .filter(|m| m.id.is_none());
                    for member in needs {
                        if let Some(name) = &member.name
                            && let Some(&creator) = created.get(&(member.r#type, fold(name)))
                            && creator != s
                        {
                            deps.push(creator);
                        }
                    }
                    if matches!(change.action, Action::Delete | Action::Deactivate)
                        && let Some(id) = &change.id
                    {
                        deps.extend(removers.get(&fold(id)).into_iter().flatten().copied());
                    }
                }
                Step::DeleteReplaced(i) => {
                    deps.push(step_of_main(*i));
                    if let Some(id) = &change.id {
                        deps.extend(removers.get(&fold(id)).into_iter().flatten().copied());
                    }
                    deps.extend(
                        adders
                            .get(&(MemberType::Group, fold(&change.name)))
                            .into_iter()
                            .flatten()
                            .copied(),
                    );
                }
            }
            deps.retain(|d| *d != s);
            deps.sort_unstable();
            deps.dedup();
        }
        let mut dependents = vec![Vec::new(); steps.len()];
        for (s, deps) in depends_on.iter().enumerate() {
            for &d in deps {
                dependents[d].push(s);
            }
        }
        Graph {
            steps,
            depends_on,
            dependents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use crate::live::Live;
    use crate::plan::{PlanContext, diff};
    use serde_json::json;

    fn plan(yaml: &str, live: &Live, rename: bool) -> Plan {
        let declared = load_str("scimform.yaml", yaml).expect("valid");
        let mut context = PlanContext::for_url("http://t");
        context.target.capabilities.group_rename = rename;
        diff(&declared, live, &context).expect("plan")
    }

    fn step_names(plan: &Plan, graph: &Graph, s: usize) -> Vec<String> {
        graph.depends_on[s]
            .iter()
            .map(|d| {
                let step = graph.steps[*d];
                let address = &plan.changes[step.change()].address;
                match step {
                    Step::Main(_) => address.clone(),
                    Step::DeleteReplaced(_) => format!("{address} (delete old)"),
                }
            })
            .collect()
    }

    #[test]
    fn creates_come_before_the_groups_and_reports_that_need_them() {
        let yaml = r"
users:
  - userName: boss@x.test
  - userName: ic@x.test
    enterprise: {manager: boss@x.test}
groups:
  - displayName: inner
    members: [ic@x.test]
  - displayName: outer
    members: [group:inner, boss@x.test]
";
        let plan = plan(yaml, &Live::default(), true);
        let graph = Graph::of(&plan);
        let index = |address: &str| {
            plan.changes
                .iter()
                .position(|c| c.address == address)
                .expect(address)
        };
        assert_eq!(
            step_names(&plan, &graph, index("user ic@x.test")),
            ["user boss@x.test"]
        );
        assert_eq!(
            step_names(&plan, &graph, index("group outer")),
            ["user boss@x.test", "group inner"]
        );
    }

    #[test]
    fn a_replaced_group_is_deleted_after_its_parents_take_the_new_one() {
        let live = Live::from_resources(
            vec![json!({"id": "u1", "userName": "a@x.test"})],
            vec![
                json!({"id": "g-old", "displayName": "old-name", "members": [{"value": "u1"}]}),
                json!({"id": "g-parent", "displayName": "parent", "members": [{"value": "g-old"}]}),
            ],
        )
        .expect("live");
        let yaml = r"
users:
  - userName: a@x.test
groups:
  - displayName: new-name
    previously: [old-name]
    members: [a@x.test]
  - displayName: parent
    members: [group:new-name]
";
        let plan = plan(yaml, &live, false);
        let graph = Graph::of(&plan);
        let second = graph
            .steps
            .iter()
            .position(|s| matches!(s, Step::DeleteReplaced(_)))
            .expect("a second step");
        assert_eq!(
            step_names(&plan, &graph, second),
            ["group new-name", "group parent"]
        );
    }
}
