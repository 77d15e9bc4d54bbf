//! Which list's page is requested next when several lists are read at the same time.
//!
//! Owns `Turns`: at most `slots` page requests out at once across the lists of one read,
//! and each slot that comes free goes to the list that has been given the smallest share
//! of its pages so far. Without it the requests queue in the order they were made: all
//! user pages first, then every group page (with their members, often tens of times
//! larger) at once at the end, which loads the server (and this machine) in one burst
//! and keeps the group count on the progress line at zero until the users are done. With
//! it, the big pages are spread among the small ones and the lists finish together.
//! It only orders requests; it must not make them, nor change which pages are read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// Shares of the request slots among the lists of one read.
#[derive(Debug)]
pub(super) struct Turns {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Slots nobody holds. While any is free, nobody waits.
    free: usize,
    lists: Vec<List>,
}

#[derive(Debug)]
struct List {
    /// The pages this list has to request.
    pages: u64,
    /// Turns given to it so far.
    given: u64,
    /// Its requests waiting for a turn, oldest first.
    waiting: VecDeque<oneshot::Sender<()>>,
}

/// One list of a read, as `Turns` knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ListTurns(usize);

/// A slot held for one request; handed on when dropped.
#[derive(Debug)]
pub(super) struct Turn {
    turns: Arc<Turns>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.turns.hand_on();
    }
}

/// A request waiting for its turn. Dropped before it got one, it is passed over when its
/// turn comes; dropped just after one was handed to it, it hands that one on, so no slot
/// is ever lost.
struct Waiting {
    turns: Arc<Turns>,
    handed: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(mut handed) = self.handed.take() {
            handed.close();
            if handed.try_recv().is_ok() {
                self.turns.hand_on();
            }
        }
    }
}

impl Turns {
    /// Room for `slots` requests at once (at least one).
    pub(super) fn new(slots: usize) -> Arc<Turns> {
        Arc::new(Turns {
            state: Mutex::new(State {
                free: slots.max(1),
                lists: Vec::new(),
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; should it, the counts are still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A list that has `pages` pages to request.
    pub(super) fn list(&self, pages: u64) -> ListTurns {
        let mut state = self.state();
        state.lists.push(List {
            pages: pages.max(1),
            given: 0,
            waiting: VecDeque::new(),
        });
        ListTurns(state.lists.len() - 1)
    }

    /// Wait for a turn to send one of `list`'s requests.
    pub(super) async fn take(self: &Arc<Self>, list: ListTurns) -> Turn {
        let handed = {
            let mut state = self.state();
            if state.free > 0 {
                state.free -= 1;
                state.lists[list.0].given += 1;
                return Turn {
                    turns: Arc::clone(self),
                };
            }
            let (hand, handed) = oneshot::channel();
            state.lists[list.0].waiting.push_back(hand);
            handed
        };
        let mut waiting = Waiting {
            turns: Arc::clone(self),
            handed: Some(handed),
        };
        if let Some(handed) = waiting.handed.as_mut() {
            // `Turns` outlives every sender (they are in its own queues) and drops none
            // without sending, so this cannot fail; were it to, the request just goes.
            let _ = handed.await;
        }
        waiting.handed = None;
        Turn {
            turns: Arc::clone(self),
        }
    }

    /// A slot came free: give it to the list with the smallest share of its pages given,
    /// the earlier list on a tie, or keep it free when nobody waits.
    fn hand_on(&self) {
        let mut state = self.state();
        loop {
            let next = state
                .lists
                .iter()
                .enumerate()
                .filter(|(_, list)| !list.waiting.is_empty())
                .min_by(|(_, a), (_, b)| {
                    // given/pages compared without division: a.given/a.pages < b.given/b.pages
                    (u128::from(a.given) * u128::from(b.pages))
                        .cmp(&(u128::from(b.given) * u128::from(a.pages)))
                })
                .map(|(at, _)| at);
            let Some(at) = next else {
                state.free += 1;
                return;
            };
            let list = &mut state.lists[at];
            let Some(hand) = list.waiting.pop_front() else {
                continue;
            };
            // A request that stopped waiting is passed over.
            if hand.send(()).is_ok() {
                list.given += 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::*;

    /// The order in which requests of two lists get their turns, with `slots` slots and
    /// each request holding its turn for a moment.
    async fn order(slots: usize, first: u64, second: u64) -> Vec<char> {
        let turns = Turns::new(slots);
        let a = turns.list(first);
        let b = turns.list(second);
        let (sent, mut log) = mpsc::unbounded_channel();
        let mut requests = tokio::task::JoinSet::new();
        for (list, name, pages) in [(a, 'a', first), (b, 'b', second)] {
            for _ in 0..pages {
                let turns = Arc::clone(&turns);
                let sent = sent.clone();
                requests.spawn(async move {
                    let _turn = turns.take(list).await;
                    let _ = sent.send(name);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                });
            }
        }
        drop(sent);
        while requests.join_next().await.is_some() {}
        let mut names = Vec::new();
        while let Some(name) = log.recv().await {
            names.push(name);
        }
        names
    }

    #[tokio::test]
    async fn turns_go_to_each_list_in_proportion_to_its_pages() {
        let names = order(2, 20, 4).await;
        assert_eq!(names.len(), 24);
        // The first two take the free slots; from then on the small list gets one turn
        // for every five of the large one, and both end together.
        let tail: String = names[2..].iter().collect();
        let b_positions: Vec<usize> = tail
            .char_indices()
            .filter(|(_, c)| *c == 'b')
            .map(|(i, _)| i)
            .collect();
        let spread = b_positions.windows(2).all(|w| w[1] - w[0] >= 3);
        assert!(spread, "b's turns are spread: {tail}");
        assert!(
            names[names.len() - 8..].contains(&'b'),
            "b is not done long before a: {names:?}"
        );
    }

    #[tokio::test]
    async fn never_more_requests_than_slots() {
        let turns = Turns::new(3);
        let list = turns.list(40);
        let out = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let (turns, out, most) = (Arc::clone(&turns), Arc::clone(&out), Arc::clone(&most));
            requests.spawn(async move {
                let _turn = turns.take(list).await;
                let now = out.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(1)).await;
                out.fetch_sub(1, Ordering::SeqCst);
            });
        }
        while requests.join_next().await.is_some() {}
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_request_that_stops_waiting_loses_no_slot() {
        let turns = Turns::new(1);
        let list = turns.list(3);
        let held = turns.take(list).await;
        // Two requests wait; one gives up (as an aborted page read does).
        let gave_up = tokio::time::timeout(Duration::from_millis(5), turns.take(list)).await;
        assert!(gave_up.is_err());
        let waiter = {
            let turns = Arc::clone(&turns);
            tokio::spawn(async move { drop(turns.take(list).await) })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the remaining request got the slot")
            .expect("it ran");
        // And the slot is free again afterwards.
        tokio::time::timeout(Duration::from_secs(5), turns.take(list))
            .await
            .expect("the slot came back");
    }
}
