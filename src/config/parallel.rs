//! Running independent work on all cores with the standard library alone: reading and
//! parsing the included files, resolving the members of many groups, the plan's
//! per-object comparisons, and sharing the member ids of a directory just read.
//!
//! Results come back in input order, so output never depends on scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

/// `f` over `items` on all cores (one thread when there is one item or one core),
/// results in item order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let sender = sender.clone();
            let (next, f) = (&next, &f);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    if sender.send((index, f(item))).is_err() {
                        break;
                    }
                }
            });
        }
    });
    drop(sender);
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (index, result) in receiver {
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    }
    results.into_iter().flatten().collect()
}

/// `f` on each of `items` in place, on all cores (the slice cut into one run of
/// consecutive items a core).
pub(crate) fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        items.iter_mut().for_each(f);
        return;
    }
    let f = &f;
    std::thread::scope(|scope| {
        for run in items.chunks_mut(items.len().div_ceil(threads)) {
            scope.spawn(move || run.iter_mut().for_each(f));
        }
    });
}

/// `f` over `items`, each item moved into the call (so a worker can drop what it has
/// used), on all cores, results in item order.
pub(crate) fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    map(&slots, |slot| {
        let item = slot.lock().ok().and_then(|mut slot| slot.take());
        item.map(&f)
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `0..len` cut into runs of consecutive indices, a few per core (so that uneven work
/// still spreads), for [`map`] over large index ranges.
pub(crate) fn ranges(len: usize) -> Vec<std::ops::Range<usize>> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let size = len.div_ceil(cores * 8).max(256);
    (0..len.div_ceil(size))
        .map(|k| k * size..((k + 1) * size).min(len))
        .collect()
}

/// `items` split into about `parts` runs of consecutive items.
pub(crate) fn split<T>(items: Vec<T>, parts: usize) -> Vec<Vec<T>> {
    let size = items.len().div_ceil(parts.max(1)).max(1);
    let mut runs = Vec::with_capacity(parts);
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        runs.push(items.by_ref().take(size).collect());
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(
            map(&items, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(map(&[] as &[usize], |i| *i), Vec::<usize>::new());
    }

    #[test]
    fn each_item_is_changed_in_place_once() {
        let mut items: Vec<usize> = (0..1001).collect();
        for_each_mut(&mut items, |i| *i *= 3);
        assert_eq!(items, (0..1001).map(|i| i * 3).collect::<Vec<_>>());
        for_each_mut(&mut [] as &mut [usize], |i| *i += 1);
    }

    #[test]
    fn owned_items_are_moved_in_order() {
        let items: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let runs = split(items.clone(), 7);
        assert!(runs.len() <= 7);
        assert_eq!(runs.concat(), items);
        let lengths = map_owned(runs, |run| run.len());
        assert_eq!(lengths.iter().sum::<usize>(), 100);
        assert_eq!(split(Vec::<u8>::new(), 4), Vec::<Vec<u8>>::new());
    }
}
