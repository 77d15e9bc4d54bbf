//! The latency the dev-server adds to responses (`--latency-ms`), kept to a fraction of a
//! millisecond.
//!
//! Owns `Delay`: one thread that holds every pending deadline and waits for the earliest
//! with the operating system's timer (`recv_timeout`, precise to tens of microseconds).
//! tokio's timer counts whole milliseconds and rounds every sleep up to its next tick, so
//! `sleep(20 ms)` ends 20–22 ms later: about a millisecond too much on each response,
//! which is 5% of the round trip a benchmark compares a read against. This module only
//! waits; it must not decide what is answered or when a request is applied.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// A wait to end at `at`; ordered by deadline, then by arrival (`seq`).
struct Pending {
    at: Instant,
    seq: u64,
    done: oneshot::Sender<()>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    // Reversed, so that `BinaryHeap` (a max-heap) yields the earliest deadline first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Waits of a fixed length, precise to well under a millisecond. Cheap to clone; the
/// timer thread ends when the last clone is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Delay {
    length: Duration,
    /// The timer thread; `None` for no delay, or if the thread could not be started.
    timer: Option<mpsc::Sender<(Instant, oneshot::Sender<()>)>>,
}

impl Delay {
    /// A delay of `length`, with its timer thread started unless `length` is zero.
    pub(crate) fn new(length: Duration) -> Delay {
        let timer = (!length.is_zero())
            .then(|| {
                let (timer, incoming) = mpsc::channel();
                std::thread::Builder::new()
                    .name("dev-server-latency".to_string())
                    .spawn(move || run_timer(&incoming))
                    .ok()
                    .map(|_| timer)
            })
            .flatten();
        Delay { length, timer }
    }

    /// Wait `length` from now. Without the timer thread, tokio's coarser timer waits
    /// instead: a response is never sent early.
    pub(crate) async fn wait(&self) {
        if self.length.is_zero() {
            return;
        }
        let deadline = Instant::now() + self.length;
        let (done, finished) = oneshot::channel();
        let timed = match &self.timer {
            Some(timer) => timer.send((deadline, done)).is_ok() && finished.await.is_ok(),
            None => false,
        };
        if !timed {
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// The timer thread: collect deadlines, and end each wait when its deadline has passed.
fn run_timer(incoming: &mpsc::Receiver<(Instant, oneshot::Sender<()>)>) {
    let mut pending: BinaryHeap<Pending> = BinaryHeap::new();
    let mut seq = 0_u64;
    loop {
        let received = match pending.peek() {
            None => incoming.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(next) => incoming.recv_timeout(next.at.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok((at, done)) => {
                seq += 1;
                pending.push(Pending { at, seq, done });
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Every `Delay` is gone: nobody can be waiting any more.
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        while pending.peek().is_some_and(|next| next.at <= now) {
            if let Some(due) = pending.pop() {
                // The waiter may have gone (its request was dropped); nothing to do then.
                let _ = due.done.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_wait_ends_early() {
        let delay = Delay::new(Duration::from_millis(20));
        assert!(delay.timer.is_some(), "the timer thread started");
        let started = Instant::now();
        let mut waits = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let delay = delay.clone();
            waits.spawn(async move {
                delay.wait().await;
                started.elapsed()
            });
        }
        let mut elapsed = Vec::new();
        while let Some(done) = waits.join_next().await {
            elapsed.push(done.expect("a wait"));
        }
        elapsed.sort();
        // Never early; and on a loaded CI machine no later than a generous margin.
        assert!(elapsed[0] >= Duration::from_millis(20), "{elapsed:?}");
        assert!(elapsed[49] < Duration::from_millis(200), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_wait_dropped_before_its_deadline_does_not_stop_the_others() {
        let delay = Delay::new(Duration::from_millis(50));
        // Polled once (its deadline goes to the timer thread), then dropped. Not raced
        // against a timer: on a loaded machine the race could go either way.
        let finished = {
            let mut first = std::pin::pin!(delay.wait());
            tokio::select! {
                biased;
                () = &mut first => true,
                () = std::future::ready(()) => false,
            }
        };
        assert!(!finished, "the first wait was still pending when dropped");
        let started = Instant::now();
        delay.wait().await;
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
