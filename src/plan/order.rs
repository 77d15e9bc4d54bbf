//! Ordering changes so that what a change depends on is created first (a manager before
//! the people who report to them, a nested group before the group that contains it),
//! otherwise keeping the given (name-sorted) order. Deterministic; a cycle, which
//! validation rejects, leaves the rest in the given order.

use std::collections::HashSet;

/// `items` reordered so that each comes after the items it depends on. `key` gives an
/// item's name and the names it depends on; names outside `items` are ignored.
pub fn dependency_order<T>(items: Vec<T>, key: impl Fn(&T) -> (String, Vec<String>)) -> Vec<T> {
    let keys: Vec<(String, Vec<String>)> = items.iter().map(&key).collect();
    let present: HashSet<&str> = keys.iter().map(|(name, _)| name.as_str()).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut order = Vec::with_capacity(slots.len());
    loop {
        let ready = (0..slots.len()).find(|&i| {
            slots[i].is_some()
                && keys[i].1.iter().all(|dep| {
                    !present.contains(dep.as_str()) || done.contains(dep) || *dep == keys[i].0
                })
        });
        let next = ready.or_else(|| (0..slots.len()).find(|&i| slots[i].is_some()));
        let Some(i) = next else { break };
        done.insert(keys[i].0.clone());
        if let Some(item) = slots[i].take() {
            order.push(item);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(items: &[(&str, &[&str])]) -> Vec<String> {
        let items: Vec<(String, Vec<String>)> = items
            .iter()
            .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect()))
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
    }

    #[test]
    fn a_cycle_does_not_lose_items() {
        assert_eq!(
            order(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]),
            ["c", "a", "b"]
        );
    }
}
