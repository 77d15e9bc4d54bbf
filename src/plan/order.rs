//! Ordering changes so that what a change depends on comes first (a manager before the
//! people who report to them, a nested group before the group that contains it),
//! otherwise keeping the given (name-sorted) order.
//!
//! Kahn's algorithm with a deterministic queue: of the items whose dependencies are all
//! placed, the one given first goes next. O(n log n) in the items plus linear in the
//! dependencies. A cycle (which validation rejects) is broken at its first item, so no
//! item is ever lost.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// `items` reordered so that each comes after the items it depends on. `key` gives an
/// item's name and the names it depends on; names outside `items` are ignored.
pub(crate) fn dependency_order<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> (String, Vec<String>),
) -> Vec<T> {
    let keys: Vec<(String, Vec<String>)> = items.iter().map(&key).collect();
    let index: HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    // For each item, how many of its dependencies are not placed yet, and who waits on it.
    let mut waiting_for = vec![0usize; keys.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (i, (name, deps)) in keys.iter().enumerate() {
        let mut seen: Vec<usize> = deps
            .iter()
            .filter(|dep| *dep != name)
            .filter_map(|dep| index.get(dep.as_str()).copied())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        waiting_for[i] = seen.len();
        for dep in seen {
            dependents[dep].push(i);
        }
    }
    if waiting_for.iter().all(|&w| w == 0) {
        // Nothing depends on anything here: the given order stands.
        return items;
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..keys.len())
        .filter(|&i| waiting_for[i] == 0)
        .map(Reverse)
        .collect();
    let mut placed = vec![false; keys.len()];
    let mut next_unplaced = 0;
    let mut order = Vec::with_capacity(keys.len());
    while order.len() < keys.len() {
        let i = if let Some(Reverse(i)) = ready.pop() {
            i
        } else {
            // Only a cycle is left: break it at its first item.
            while placed[next_unplaced] {
                next_unplaced += 1;
            }
            next_unplaced
        };
        if placed[i] {
            continue;
        }
        placed[i] = true;
        order.push(i);
        for &dependent in &dependents[i] {
            waiting_for[dependent] = waiting_for[dependent].saturating_sub(1);
            if waiting_for[dependent] == 0 && !placed[dependent] {
                ready.push(Reverse(dependent));
            }
        }
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    // Sized once: 100 000 creates grown by doubling would hold both copies at once.
    let mut ordered = Vec::with_capacity(order.len());
    ordered.extend(order.into_iter().filter_map(|i| slots[i].take()));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(items: &[(&str, &[&str])]) -> Vec<String> {
        let items: Vec<(String, Vec<String>)> = items
            .iter()
            .map(|(n, d)| {
                (
                    (*n).to_string(),
                    d.iter().map(|s| (*s).to_string()).collect(),
                )
            })
            .collect();
        dependency_order(items, |(n, d)| (n.clone(), d.clone()))
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn dependencies_come_first_otherwise_order_is_kept() {
        assert_eq!(
            order(&[("a", &["c"]), ("b", &[]), ("c", &["d"]), ("d", &[])]),
            ["b", "d", "c", "a"]
        );
        assert_eq!(order(&[("a", &["x"]), ("b", &[])]), ["a", "b"]);
        assert_eq!(order(&[("a", &["a"]), ("b", &["a", "a"])]), ["a", "b"]);
    }

    #[test]
    fn a_cycle_does_not_lose_items() {
        assert_eq!(
            order(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]),
            ["c", "a", "b"]
        );
    }

    #[test]
    fn a_long_chain_is_ordered_without_quadratic_work() {
        // 100 000 items, each depending on the next: the reverse of the given order.
        let n = 100_000;
        let items: Vec<(String, Vec<String>)> = (0..n)
            .map(|i| (format!("u{i}"), vec![format!("u{}", i + 1)]))
            .collect();
        let ordered = dependency_order(items, |(n, d)| (n.clone(), d.clone()));
        assert_eq!(ordered.len(), n);
        assert_eq!(ordered[0].0, format!("u{}", n - 1));
        assert_eq!(ordered[n - 1].0, "u0");
    }
}
