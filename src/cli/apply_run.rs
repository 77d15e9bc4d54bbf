//! Running an apply from the command line: result lines as steps finish, the closing
//! report (human or JSON) and its exit code, and `--verify`.
//!
//! The engine (`crate::apply`) never prints; this file turns its events and report into
//! output. Everything from the server passes through `text::safe`.

use std::io::Write;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::args::{ApplyArgs, OutcomeFormat};
use super::report::{Failure, Message, exit};
use super::settings::Output;
use crate::apply::{self, ApplyOptions, ChangeOutcome, Event, Observer, Report, StepKind};
use crate::plan::Plan;
use crate::render::{self, Style, text::safe};
use crate::scim::ScimClient;
use crate::{config, plan};

/// Apply `plan`, report, and (with `--verify`) plan again.
pub(super) async fn execute_and_report(
    plan: &Plan,
    client: &ScimClient,
    options: ApplyOptions,
    args: &ApplyArgs,
    output: Output,
) -> Result<u8, Failure> {
    let report = execute(plan, client, options, output, args.format).await;
    let code = report_outcome(plan, &report, output, args.format)?;
    if args.verify {
        verify(args, client, output).await?;
    }
    Ok(code)
}

/// Execute a plan; with human output, one result line per step on stdout as it finishes.
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
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout);
    let observer = Lines {
        style: output.stdout,
        out: Mutex::new(()),
    };
    apply::apply(plan, client, options, &observer).await
}

/// Result lines as steps finish.
struct Lines {
    style: Style,
    out: Mutex<()>,
}

impl Observer for Lines {
    fn event(&self, event: &Event<'_>) {
        let _guard = self.out.lock();
        let mut stdout = std::io::stdout().lock();
        let style = self.style;
        let _ = match event {
            Event::Started { .. } => Ok(()),
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
                let mut result = writeln!(
                    stdout,
                    "{}{what}: {}",
                    style.bold(&safe(&change.address)),
                    safe(line)
                );
                for note in *notes {
                    result = result.and_then(|()| writeln!(stdout, "  note: {}", safe(note)));
                }
                result
            }
            Event::Failed {
                change, failure, ..
            } => writeln!(
                stdout,
                "{}: {} {}",
                style.bold(&safe(&change.address)),
                style.destroy("failed:"),
                safe(&failure.to_string())
            ),
            Event::Skipped {
                change, because, ..
            } => writeln!(
                stdout,
                "{}: skipped, because {} failed",
                style.bold(&safe(&change.address)),
                safe(because)
            ),
        };
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
    let mut stdout = std::io::stdout().lock();
    match format {
        OutcomeFormat::Json => {
            let mut text =
                serde_json::to_string_pretty(&outcome_json(plan, report)).unwrap_or_default();
            text.push('\n');
            let _ = stdout.write_all(text.as_bytes());
        }
        OutcomeFormat::Human => human_report(plan, report, output.stdout, &mut stdout),
    }
    if report.complete() {
        return Ok(exit::OK);
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
        "\n{} {} applied, {} failed, {} skipped.",
        style.destroy(&style.bold("Apply incomplete:")),
        report.applied(),
        report.failed(),
        report.skipped()
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
            }
            entry
        })
        .collect();
    json!({
        "target": plan.target.url,
        "applied": report.applied(),
        "failed": report.failed(),
        "skipped": report.skipped(),
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
            eprintln!("Verified: the directory now matches the configuration.");
        }
        return Ok(());
    }
    let mut text = format!(
        "verify: the directory still differs from the configuration after apply ({})",
        render::breakdown::count(again.changes.len(), "object")
    );
    for change in again.changes.iter().take(50) {
        text.push_str(&format!(
            "\n  - {}: {}",
            safe(&change.address),
            safe(&change.reason)
        ));
    }
    Err(Message {
        code: "apply::verify",
        text,
        help: "the server accepted writes it did not keep, or something else changed the directory: run `scimform plan` to see the difference".to_string(),
    }
    .into())
}
