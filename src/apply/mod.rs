//! Executing a `Plan`: its changes as SCIM requests, independent ones at the same time,
//! each after the changes it needs (`graph`), a failure skipping only what depends on it.
//!
//! `apply` decides only *how* (order, concurrency, request shapes, fallbacks); *what*
//! changes was decided by `plan::diff`, and every request is read off a change. It never
//! prints: it reports through an [`Observer`] (started, succeeded, failed, skipped), as
//! the reader reports progress, and returns a [`Report`] with every change's outcome in
//! plan order, so that the CLI can show progress, write the report and pick the exit
//! code.

mod execute;
mod failure;
mod graph;
mod groups;
mod member_patch;
mod put;
mod state;
mod users;

pub use failure::StepFailure;
pub use member_patch::{batches, remove_operations};

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::plan::{Change, Plan};
use crate::scim::ScimClient;
use execute::{StepDone, delete_replaced, main_step};
use graph::{Graph, Step};
use state::RunState;

/// How to apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Steps in flight at once (the client also bounds its requests in flight and rate).
    pub concurrency: usize,
    /// Once raised, no new step starts; the steps in flight finish.
    pub interrupt: Option<Arc<Interrupt>>,
}

impl ApplyOptions {
    /// Four changes per request the client may have in flight: a change that waits
    /// (a backoff after a 429, a dependency) holds no request slot, so others may use
    /// it; the client still bounds the requests in flight and their rate.
    pub fn for_client(client: &ScimClient) -> ApplyOptions {
        ApplyOptions {
            concurrency: client.profile().concurrency.max(1) as usize * 4,
            interrupt: None,
        }
    }
}

/// A request to stop an apply (Ctrl-C): no new step starts, those in flight finish.
#[derive(Debug, Default)]
pub struct Interrupt(AtomicBool);

impl Interrupt {
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Which part of a change a step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The change itself (for a replace: creating the new group).
    Change,
    /// A replace's deletion of the old group.
    DeleteReplaced,
}

/// What happens during an apply, as it happens.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        index: usize,
        change: &'a Change,
        step: StepKind,
    },
    Succeeded {
        index: usize,
        change: &'a Change,
        step: StepKind,
        /// What the server answered.
        line: &'a str,
        /// Fallbacks and follow-ups worth knowing about.
        notes: &'a [String],
    },
    Failed {
        index: usize,
        change: &'a Change,
        step: StepKind,
        failure: &'a StepFailure,
    },
    Skipped {
        index: usize,
        change: &'a Change,
        /// The address of the change that failed first on the way.
        because: &'a str,
    },
}

/// Receives apply events (the CLI: progress, log lines).
pub trait Observer: Sync {
    fn event(&self, event: &Event<'_>);
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: &Event<'_>) {}
}

/// What became of one change.
#[derive(Debug)]
pub enum ChangeOutcome {
    /// Carried out; one line per step saying what the server answered, and notes.
    Applied {
        lines: Vec<String>,
        notes: Vec<String>,
    },
    /// A step failed; `lines` says what was done before it.
    Failed {
        failure: StepFailure,
        lines: Vec<String>,
        notes: Vec<String>,
    },
    /// Not attempted, because a change it needs failed or was skipped.
    Skipped { because: String },
    /// Not attempted, because the apply was interrupted.
    Interrupted,
}

/// Every change's outcome, in plan order.
#[derive(Debug)]
pub struct Report {
    pub outcomes: Vec<ChangeOutcome>,
}

impl Report {
    pub fn applied(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Applied { .. }))
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Failed { .. }))
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Skipped { .. }))
    }

    /// Changes not attempted because the apply was interrupted.
    pub fn not_run(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Interrupted))
    }

    /// Whether the apply was interrupted before every change ran.
    pub fn interrupted(&self) -> bool {
        self.not_run() > 0
    }

    /// Whether every change was carried out.
    pub fn complete(&self) -> bool {
        self.applied() == self.outcomes.len()
    }

    fn count(&self, which: impl Fn(&ChangeOutcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| which(o)).count()
    }
}

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

/// Carry out `plan` against `client`: every change whose dependencies succeeded, up to
/// `options.concurrency` at a time, telling `observer` as it goes.
pub async fn apply(
    plan: &Plan,
    client: &ScimClient,
    options: ApplyOptions,
    observer: &dyn Observer,
) -> Report {
    let graph = Graph::of(plan);
    let run = RunState::new(client, plan);
    let interrupted = || options.interrupt.as_ref().is_some_and(|i| i.raised());
    let steps = graph.steps.len();
    let mut waiting: Vec<usize> = graph.depends_on.iter().map(Vec::len).collect();
    let mut state = vec![State::Waiting; steps];
    let mut ready: BinaryHeap<Reverse<usize>> = (0..steps)
        .filter(|s| waiting[*s] == 0)
        .map(Reverse)
        .collect();
    let mut results: Vec<Vec<(Step, Result<StepDone, StepFailure>)>> =
        (0..plan.changes.len()).map(|_| Vec::new()).collect();
    let mut skipped_because: Vec<Option<String>> = vec![None; plan.changes.len()];
    let mut running = FuturesUnordered::new();
    let concurrency = options.concurrency.max(1);
    loop {
        while running.len() < concurrency && !interrupted() {
            let Some(Reverse(s)) = ready.pop() else { break };
            if state[s] != State::Waiting {
                continue;
            }
            state[s] = State::Running;
            let step = graph.steps[s];
            let change = &plan.changes[step.change()];
            observer.event(&Event::Started {
                index: step.change(),
                change,
                step: kind_of(step),
            });
            let run = &run;
            let address: Arc<str> = Arc::from(change.address.as_str());
            running.push(crate::scim::for_change(address, async move {
                let result = match step {
                    Step::Main(_) => main_step(change, run).await,
                    Step::DeleteReplaced(_) => delete_replaced(change, run).await,
                };
                (s, result)
            }));
        }
        let Some((s, result)) = running.next().await else {
            break;
        };
        let step = graph.steps[s];
        let index = step.change();
        let change = &plan.changes[index];
        match &result {
            Ok(done) => {
                state[s] = State::Done;
                observer.event(&Event::Succeeded {
                    index,
                    change,
                    step: kind_of(step),
                    line: &done.line,
                    notes: &done.notes,
                });
                for &d in &graph.dependents[s] {
                    waiting[d] = waiting[d].saturating_sub(1);
                    if waiting[d] == 0 && state[d] == State::Waiting {
                        ready.push(Reverse(d));
                    }
                }
            }
            Err(failure) => {
                state[s] = State::Failed;
                observer.event(&Event::Failed {
                    index,
                    change,
                    step: kind_of(step),
                    failure,
                });
                skip_dependents(s, &graph, plan, &mut state, &mut skipped_because, observer);
            }
        }
        results[index].push((step, result));
    }
    let outcomes = results
        .into_iter()
        .zip(skipped_because)
        .zip(&plan.changes)
        .map(|((steps, because), change)| {
            outcome(
                steps,
                because,
                change.action == crate::plan::Action::Replace,
            )
        })
        .collect();
    Report { outcomes }
}

/// A change none of whose steps ran.
fn not_run() -> ChangeOutcome {
    ChangeOutcome::Interrupted
}

fn kind_of(step: Step) -> StepKind {
    match step {
        Step::Main(_) => StepKind::Change,
        Step::DeleteReplaced(_) => StepKind::DeleteReplaced,
    }
}

/// Mark everything that depends on `failed` (transitively) as skipped.
fn skip_dependents(
    failed: usize,
    graph: &Graph,
    plan: &Plan,
    state: &mut [State],
    because: &mut [Option<String>],
    observer: &dyn Observer,
) {
    let cause = plan.changes[graph.steps[failed].change()].address.clone();
    let mut stack: Vec<usize> = graph.dependents[failed].clone();
    while let Some(s) = stack.pop() {
        if state[s] != State::Waiting {
            continue;
        }
        state[s] = State::Skipped;
        let index = graph.steps[s].change();
        if because[index].is_none() {
            because[index] = Some(cause.clone());
            observer.event(&Event::Skipped {
                index,
                change: &plan.changes[index],
                because: &cause,
            });
        }
        stack.extend(graph.dependents[s].iter().copied());
    }
}

/// One change's outcome from the results of its steps.
fn outcome(
    steps: Vec<(Step, Result<StepDone, StepFailure>)>,
    because: Option<String>,
    needs_second: bool,
) -> ChangeOutcome {
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    let mut failure = None;
    let mut ran_main = false;
    let mut ran_second = false;
    let mut steps = steps;
    steps.sort_by_key(|(step, _)| matches!(step, Step::DeleteReplaced(_)));
    for (step, result) in steps {
        match step {
            Step::Main(_) => ran_main = true,
            Step::DeleteReplaced(_) => ran_second = true,
        }
        match result {
            Ok(done) => {
                lines.push(done.line);
                notes.extend(done.notes);
            }
            Err(f) => failure = Some(f),
        }
    }
    if let Some(failure) = failure {
        return ChangeOutcome::Failed {
            failure,
            lines,
            notes,
        };
    }
    match because {
        Some(because) if !ran_main => ChangeOutcome::Skipped { because },
        Some(because) => ChangeOutcome::Failed {
            failure: StepFailure::SecondStepSkipped { because },
            lines,
            notes,
        },
        None if ran_main && (ran_second || !needs_second) => {
            ChangeOutcome::Applied { lines, notes }
        }
        // A replace whose second step did not run: interrupted between the two.
        None if ran_main => ChangeOutcome::Failed {
            failure: StepFailure::SecondStepSkipped {
                because: "the apply was interrupted".to_string(),
            },
            lines,
            notes,
        },
        None => not_run(),
    }
}
