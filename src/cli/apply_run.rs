//! Running an apply from the command line: result lines as steps finish, the closing
//! report (human or JSON) and its exit code, and `--verify`.
//!
//! The engine (`crate::apply`) never prints; this file turns its events and report into
//! output. Everything from the server passes through `text::safe`.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use serde_json::{Value, json};

use super::args::{ApplyArgs, OutcomeFormat};
use super::report::{Failure, Message, exit};
use super::settings::Output;
use crate::apply::{
    self, ApplyOptions, ChangeOutcome, Event, Interrupt, Observer, Report, StepKind,
};
use crate::plan::Plan;
use crate::render::{self, Style, text::safe};
use crate::scim::ScimClient;
use crate::{config, plan};

/// Apply `plan`, report, and (with `--verify`) plan again. Ctrl-C (or SIGTERM) stops
/// starting changes, lets those in flight finish, prints the report and exits 130; a
/// second Ctrl-C exits at once.
pub(super) async fn execute_and_report(
    plan: &Plan,
    client: &ScimClient,
    mut options: ApplyOptions,
    args: &ApplyArgs,
    output: Output,
) -> Result<u8, Failure> {
    let interrupt = Arc::new(Interrupt::default());
    options.interrupt = Some(Arc::clone(&interrupt));
    let watcher = tokio::spawn(watch_signals(interrupt, output));
    let report = execute(plan, client, options, output, args.format).await;
    watcher.abort();
    let code = report_outcome(plan, &report, output, args.format)?;
    if args.verify {
        verify(args, client, output).await?;
    }
    Ok(code)
}

/// The first Ctrl-C or SIGTERM interrupts (no new changes); the second exits at once.
async fn watch_signals(interrupt: Arc<Interrupt>, output: Output) {
    for seen in 0.. {
        if !next_signal().await {
            return;
        }
        if seen > 0 {
            note!(
                "\nInterrupted again: stopping now; changes in flight may or may not have been made. Run `scimform plan` to see."
            );
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
        interrupt.raise();
        note!(
            "\n{} no new changes will start; waiting for those in flight (Ctrl-C again to stop at once).",
            output.stderr.update("Interrupted:")
        );
    }
}

/// Wait for Ctrl-C or SIGTERM; false when signals cannot be watched.
async fn next_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.is_ok();
        };
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.is_ok(),
            received = terminate.recv() => received.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// Execute a plan; with human output, one result line per step on stdout as it
/// finishes, and a progress bar on stderr when it is a terminal.
pub(super) async fn execute(
    plan: &Plan,
    client: &ScimClient,
    options: ApplyOptions,
    output: Output,
    format: OutcomeFormat,
) -> Report {
    if format == OutcomeFormat::Json {
        return apply::apply(plan, client, options, &apply::Silent).await;
    }
    let _ = writeln!(crate::secret::stdout());
    let bar = (output.stderr_is_terminal && !output.quiet).then(|| {
        let bar = ProgressBar::with_draw_target(
            Some(plan.changes.len() as u64),
            ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            ProgressStyle::with_template("Applying [{bar:30}] {pos}/{len} changes {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let observer = Lines {
        style: output.stdout,
        out: Mutex::new(Counts::default()),
        bar,
    };
    let report = apply::apply(plan, client, options, &observer).await;
    if let Some(bar) = &observer.bar {
        bar.finish_and_clear();
    }
    report
}

#[derive(Default)]
struct Counts {
    failed: usize,
    skipped: usize,
}

/// Result lines as steps finish (above the progress bar, when there is one).
struct Lines {
    style: Style,
    out: Mutex<Counts>,
    bar: Option<ProgressBar>,
}

impl Lines {
    fn print(&self, text: &str) {
        let write = || {
            let mut stdout = crate::secret::stdout();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn advance(&self, counts: &Counts) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if counts.failed + counts.skipped > 0 {
                bar.set_message(format!(
                    "({} failed, {} skipped)",
                    counts.failed, counts.skipped
                ));
            }
        }
    }
}

impl Observer for Lines {
    fn event(&self, event: &Event<'_>) {
        let mut counts = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let style = self.style;
        match event {
            Event::Started { .. } => {}
            Event::Succeeded {
                change,
                line,
                notes,
                step,
                ..
            } => {
                let what = match step {
                    StepKind::Change => "",
                    StepKind::DeleteReplaced => " (old group)",
                };
                let mut text = format!(
                    "{}{what}: {}\n",
                    style.bold(&safe(&change.address)),
                    safe(line)
                );
                for note in *notes {
                    let _ = writeln!(text, "  note: {}", safe(note));
                }
                self.print(&text);
                if *step == StepKind::Change {
                    self.advance(&counts);
                }
            }
            Event::Failed {
                change, failure, ..
            } => {
                counts.failed += 1;
                self.print(&format!(
                    "{}: {} {}\n",
                    style.bold(&safe(&change.address)),
                    style.destroy("failed:"),
                    safe(&failure.to_string())
                ));
                self.advance(&counts);
            }
            Event::Skipped {
                change, because, ..
            } => {
                counts.skipped += 1;
                self.print(&format!(
                    "{}: skipped, because {} failed\n",
                    style.bold(&safe(&change.address)),
                    safe(because)
                ));
                self.advance(&counts);
            }
        }
    }
}

/// The closing report of an apply on stdout; success, or a failure that says how many
/// changes did not go through.
pub(super) fn report_outcome(
    plan: &Plan,
    report: &Report,
    output: Output,
    format: OutcomeFormat,
) -> Result<u8, Failure> {
    let mut stdout = crate::secret::stdout_document();
    match format {
        OutcomeFormat::Json => {
            let mut text =
                serde_json::to_string_pretty(&outcome_json(plan, report)).unwrap_or_default();
            text.push('\n');
            let _ = stdout.write_all(text.as_bytes());
        }
        OutcomeFormat::Human => human_report(plan, report, output.stdout, &mut stdout),
    }
    let _ = stdout.flush();
    drop(stdout);
    if report.complete() {
        return Ok(exit::OK);
    }
    if report.interrupted() {
        return Err(Failure {
            diagnostic: Box::new(Message {
                code: "apply::interrupted",
                text: format!(
                    "apply interrupted: {} applied, {} failed, {} skipped, {} not started",
                    report.applied(),
                    report.failed(),
                    report.skipped(),
                    report.not_run()
                ),
                help: "run `scimform plan` to see what remains, then apply again".to_string(),
            }),
            code: exit::INTERRUPTED,
        });
    }
    Err(Message {
        code: "apply::incomplete",
        text: format!(
            "apply did not complete: {} of {} changes failed and {} were skipped",
            report.failed(),
            report.outcomes.len(),
            report.skipped()
        ),
        help: "fix the causes listed above, then run `scimform plan` to see what remains (applied changes are not planned again)".to_string(),
    }
    .into())
}

fn human_report(plan: &Plan, report: &Report, style: Style, out: &mut dyn Write) {
    if report.complete() {
        let _ = writeln!(
            out,
            "\n{} {} applied.",
            style.bold("Apply complete!"),
            render::breakdown::count(report.applied(), "change")
        );
        return;
    }
    let _ = writeln!(
        out,
        "\n{} {} applied, {} failed, {} skipped, {} not started.",
        style.destroy(&style.bold("Apply incomplete:")),
        report.applied(),
        report.failed(),
        report.skipped(),
        report.not_run()
    );
    for (change, outcome) in plan.changes.iter().zip(&report.outcomes) {
        match outcome {
            ChangeOutcome::Failed { failure, lines, .. } => {
                let status = failure
                    .status()
                    .map(|(status, scim_type)| match scim_type {
                        Some(t) => format!(" (HTTP {status}, scimType {})", safe(t)),
                        None => format!(" (HTTP {status})"),
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {} {}{status}: {}",
                    style.destroy("failed"),
                    safe(&change.address),
                    safe(&failure.to_string())
                );
                for line in lines {
                    let _ = writeln!(out, "      done before it: {}", safe(line));
                }
                if let Some(help) = failure.help() {
                    let _ = writeln!(out, "      help: {}", safe(&help));
                }
            }
            ChangeOutcome::Skipped { because } => {
                let _ = writeln!(
                    out,
                    "  skipped {}: {} failed",
                    safe(&change.address),
                    safe(because)
                );
            }
            ChangeOutcome::Interrupted => {
                let _ = writeln!(
                    out,
                    "  not started {}: the apply was interrupted",
                    safe(&change.address)
                );
            }
            ChangeOutcome::Applied { .. } => {}
        }
    }
}

/// The outcome as one JSON document: counts, and every change with what became of it.
fn outcome_json(plan: &Plan, report: &Report) -> Value {
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .zip(&report.outcomes)
        .map(|(change, outcome)| {
            let mut entry = json!({
                "address": change.address,
                "action": change.action.word(),
            });
            match outcome {
                ChangeOutcome::Applied { lines, notes } => {
                    entry["outcome"] = json!("applied");
                    entry["results"] = json!(lines);
                    if !notes.is_empty() {
                        entry["notes"] = json!(notes);
                    }
                }
                ChangeOutcome::Failed {
                    failure,
                    lines,
                    notes,
                } => {
                    entry["outcome"] = json!("failed");
                    entry["error"] = json!(failure.to_string());
                    if let Some((status, scim_type)) = failure.status() {
                        entry["status"] = json!(status);
                        if let Some(t) = scim_type {
                            entry["scimType"] = json!(t);
                        }
                    }
                    if let Some(help) = failure.help() {
                        entry["help"] = json!(help);
                    }
                    entry["results"] = json!(lines);
                    if !notes.is_empty() {
                        entry["notes"] = json!(notes);
                    }
                }
                ChangeOutcome::Skipped { because } => {
                    entry["outcome"] = json!("skipped");
                    entry["because"] = json!(because);
                }
                ChangeOutcome::Interrupted => {
                    entry["outcome"] = json!("not_started");
                }
            }
            entry
        })
        .collect();
    json!({
        "target": plan.target.url,
        "applied": report.applied(),
        "failed": report.failed(),
        "skipped": report.skipped(),
        "not_started": report.not_run(),
        "changes": changes,
    })
}

/// `--verify`: read the directory again and require an empty plan.
async fn verify(args: &ApplyArgs, client: &ScimClient, output: Output) -> Result<(), Failure> {
    let declared = config::load_dir(&args.config.dir)?;
    let live = super::plan::read(client, output).await?;
    let context = super::plan::context_for(client, Some(&args.config.dir));
    let again = plan::diff(&declared, &live, &context)?;
    if !again.has_changes() {
        if !output.quiet {
            note!("Verified: the directory now matches the configuration.");
        }
        return Ok(());
    }
    let mut text = format!(
        "verify: the directory still differs from the configuration after apply ({})",
        render::breakdown::count(again.changes.len(), "object")
    );
    for change in again.changes.iter().take(50) {
        let _ = write!(
            text,
            "\n  - {}: {}",
            safe(&change.address),
            safe(&change.reason)
        );
    }
    Err(Message {
        code: "apply::verify",
        text,
        help: "the server accepted writes it did not keep, or something else changed the directory: run `scimform plan` to see the difference".to_string(),
    }
    .into())
}
