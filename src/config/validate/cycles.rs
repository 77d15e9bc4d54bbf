//! Cycles: nested groups that contain each other, and managers who (indirectly) manage
//! themselves. Each cycle is reported once, at the reference that closes it, with notes
//! at the others. Both graphs are walked iteratively, so no configuration can exhaust
//! the stack.

use super::groups::Groups;
use super::note;
use super::users::Users;
use crate::config::diagnostic::ConfigError;
use crate::config::kind::ConfigErrorKind;
use crate::config::origin::Origin;

/// Report each cycle of managers once (`manager_of`: each user's manager, by index).
pub(super) fn report_manager_cycles(
    users: &Users,
    manager_of: &[Option<usize>],
    problems: &mut Vec<ConfigError>,
) {
    // 0: unvisited, 1: on the current chain, 2: done.
    let mut state = vec![0u8; manager_of.len()];
    for start in 0..manager_of.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(user) = at {
            match state[user] {
                0 => {
                    state[user] = 1;
                    chain.push(user);
                    at = manager_of[user];
                }
                1 => {
                    let from = chain.iter().position(|u| *u == user).unwrap_or(0);
                    problems.push(manager_cycle(users, &chain[from..]));
                    break;
                }
                _ => break,
            }
        }
        for user in chain {
            state[user] = 2;
        }
    }
}

fn manager_cycle(users: &Users, cycle: &[usize]) -> ConfigError {
    let name = |i: usize| &*users.declared[i].user_name;
    let origin_of = |i: usize| {
        let extra = &users.extras[i];
        let loc = extra.manager.as_ref().map(|m| m.loc).unwrap_or_default();
        Origin::of(&extra.file, loc)
    };
    let first = cycle.first().copied().unwrap_or_default();
    let message = if cycle.len() == 1 {
        format!("`{}` is their own manager", name(first))
    } else {
        let mut names: Vec<String> = cycle.iter().map(|i| format!("`{}`", name(*i))).collect();
        names.push(format!("`{}`", name(first)));
        format!("managers form a cycle: {}", names.join(" → "))
    };
    let mut error = ConfigError::new(ConfigErrorKind::ManagerCycle, message)
        .at(&origin_of(first), "closes the cycle")
        .help("a chain of managers must end at someone without a manager: remove or change one `manager`");
    for &other in &cycle[1..] {
        error = error.with_related(note(
            ConfigErrorKind::ManagerCycle,
            format!("the manager of `{}`", name(other)),
            &origin_of(other),
            "part of the cycle",
        ));
    }
    error
}

/// Report each cycle of nested groups once, at the member that closes it.
pub(super) fn report_group_cycles(groups: &Groups, problems: &mut Vec<ConfigError>) {
    let count = groups.declared.len();
    // 0: unvisited, 1: on the current path, 2: done.
    let mut state = vec![0u8; count];
    for start in 0..count {
        if state[start] != 0 {
            continue;
        }
        // Iterative depth-first search: (group, next edge to follow).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(top) = path.last_mut() {
            let group = top.0;
            let Some(&(next, _)) = groups.extras[group].nested.get(top.1) else {
                state[group] = 2;
                path.pop();
                continue;
            };
            top.1 += 1;
            match state[next] {
                0 => {
                    state[next] = 1;
                    path.push((next, 0));
                }
                1 => {
                    let from = path.iter().position(|(g, _)| *g == next).unwrap_or(0);
                    problems.push(cycle_error(groups, &path[from..]));
                }
                _ => {}
            }
        }
    }
}

/// The error for the cycle along `path` (each step: a group and, one past, the edge taken).
fn cycle_error(groups: &Groups, path: &[(usize, usize)]) -> ConfigError {
    let name = |g: usize| groups.declared[g].display_name.as_str();
    // The member entry a step took, and the group it names.
    let taken = |(g, edge): (usize, usize)| groups.extras[g].nested.get(edge.saturating_sub(1));
    let edge = |step: (usize, usize)| {
        let extra = &groups.extras[step.0];
        let loc = taken(step).map(|(_, loc)| *loc).unwrap_or_default();
        Origin::of(&extra.file, loc)
    };
    let first = path.first().map_or(0, |(g, _)| *g);
    let message = if path.len() == 1 {
        format!("group `{}` contains itself", name(first))
    } else {
        let mut names: Vec<String> = path
            .iter()
            .map(|(g, _)| format!("`{}`", name(*g)))
            .collect();
        names.push(format!("`{}`", name(first)));
        format!("nested groups form a cycle: {}", names.join(" → "))
    };
    let last = path.last().copied().unwrap_or_default();
    let mut error = ConfigError::new(ConfigErrorKind::GroupCycle, message)
        .at(&edge(last), "closes the cycle")
        .help("a group cannot contain itself, directly or through other groups: remove one of these memberships");
    for &step in &path[..path.len().saturating_sub(1)] {
        let contained = taken(step).map_or("", |(g, _)| name(*g));
        error = error.with_related(note(
            ConfigErrorKind::GroupCycle,
            format!("`{}` contains `{contained}` here", name(step.0)),
            &edge(step),
            "part of the cycle",
        ));
    }
    error
}
