//! `scimform plan` and `scimform apply`: load the configuration, read the directory
//! completely, diff, render; and for apply, confirm and execute the same plan.
//!
//! Exit codes: 0 success; 1 error (or a change that failed); 2 with `--detailed-exitcode`
//! when the plan has changes; 3 when a safety guard refuses the plan and `--force` was
//! not given.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;

use super::args::{ApplyArgs, PlanArgs};
use super::report::{Failure, Message, exit};
use super::settings::{self, Output};
use crate::apply::{self, ApplyOptions, ChangeOutcome, Event, Observer, Report, StepKind};
use crate::plan::{Plan, PlanContext, PlanTarget};
use crate::render::{self, HumanOptions, Style, text::safe};
use crate::scim::ScimClient;
use crate::{config, live, plan};

/// Load, read, diff: the plan for the configuration in `dir`, and a client for its target.
async fn compute(dir: &std::path::Path, output: Output) -> Result<(ScimClient, Plan), Failure> {
    let declared = config::load_dir(dir)?;
    let client = settings::connect(&declared.target, output).await?;
    if output.verbose {
        eprintln!(
            "Reading the directory at {} (profile {}) …",
            safe(client.base_url()),
            client.profile().name
        );
    }
    let live = live::read_with_progress(&client, &settings::progress(output)).await?;
    if output.verbose {
        let stats = client.stats();
        eprintln!(
            "Read {} and {} in {} ({} retried).",
            render::breakdown::count(live.users.len(), "user"),
            render::breakdown::count(live.groups.len(), "group"),
            render::breakdown::count(
                usize::try_from(stats.requests).unwrap_or(usize::MAX),
                "request"
            ),
            stats.retries
        );
    }
    let context = context_for(&client, Some(dir));
    let plan = plan::diff(&declared, &live, &context)?;
    Ok((client, plan))
}

/// The context a plan is computed in: the client's target, now (or `SOURCE_DATE_EPOCH`),
/// the configuration's git commit.
pub(super) fn context_for(client: &ScimClient, dir: Option<&std::path::Path>) -> PlanContext {
    let profile = client.profile();
    PlanContext {
        target: PlanTarget {
            url: client.base_url().to_string(),
            profile: profile.name.clone(),
            capabilities: plan::Capabilities::of(profile),
        },
        created_at: super::context::now_rfc3339(),
        git_commit: dir.and_then(super::context::git_commit),
    }
}

pub(super) fn print_plan(plan: &Plan, output: Output) {
    let mut stdout = std::io::stdout().lock();
    let options = HumanOptions::new(output.stdout, output.verbose);
    let _ = render::render_plan(plan, &mut stdout, &options);
    let _ = stdout.flush();
}

pub(super) async fn run_plan(args: &PlanArgs, output: Output) -> Result<u8, Failure> {
    let (_, plan) = compute(&args.config.dir, output).await?;
    print_plan(&plan, output);
    if plan.refused() && !args.force {
        refused_notice(&plan, output);
        return Ok(exit::REFUSED);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

/// On stderr: the plan was refused, and how to go on.
fn refused_notice(plan: &Plan, output: Output) {
    eprintln!(
        "\n{} the plan trips {}; nothing will be applied without --force.",
        output.stderr.destroy(&output.stderr.bold("Refused:")),
        render::breakdown::count(plan.guards.trips.len(), "safety guard")
    );
}

pub(super) async fn run_apply(args: &ApplyArgs, output: Output) -> Result<u8, Failure> {
    let (client, plan) = compute(&args.config.dir, output).await?;
    print_plan(&plan, output);
    if !plan.has_changes() {
        return Ok(exit::OK);
    }
    if plan.refused() && !args.force {
        refused_notice(&plan, output);
        return Ok(exit::REFUSED);
    }
    if !args.auto_approve {
        confirm()?;
    }
    let mut options = ApplyOptions::for_client(&client);
    if let Some(concurrency) = args.concurrency {
        options.concurrency = usize::from(concurrency);
    }
    let report = execute(&plan, &client, options, output).await;
    report_outcome(&plan, &report, output)
}

/// Execute a plan, one result line per step on stdout as it finishes.
pub(super) async fn execute(
    plan: &Plan,
    client: &ScimClient,
    options: ApplyOptions,
    output: Output,
) -> Report {
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
                    StepKind::Change => String::new(),
                    StepKind::DeleteReplaced => " (old group)".to_string(),
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

/// The closing summary of an apply on stdout; success, or a failure that says how many
/// changes did not go through.
pub(super) fn report_outcome(plan: &Plan, report: &Report, output: Output) -> Result<u8, Failure> {
    let style = output.stdout;
    let mut stdout = std::io::stdout().lock();
    if report.complete() {
        let _ = writeln!(
            stdout,
            "\n{} {} applied.",
            style.bold("Apply complete!"),
            render::breakdown::count(report.applied(), "change")
        );
        return Ok(exit::OK);
    }
    let _ = writeln!(
        stdout,
        "\n{} {} applied, {} failed, {} skipped.",
        style.destroy(&style.bold("Apply incomplete:")),
        report.applied(),
        report.failed(),
        report.skipped()
    );
    for (change, outcome) in plan.changes.iter().zip(&report.outcomes) {
        match outcome {
            ChangeOutcome::Failed { failure, lines, .. } => {
                let _ = writeln!(
                    stdout,
                    "  {} {}: {}",
                    style.destroy("failed"),
                    safe(&change.address),
                    safe(&failure.to_string())
                );
                for line in lines {
                    let _ = writeln!(stdout, "      done before it: {}", safe(line));
                }
                if let Some(help) = failure.help() {
                    let _ = writeln!(stdout, "      help: {}", safe(&help));
                }
            }
            ChangeOutcome::Skipped { because } => {
                let _ = writeln!(
                    stdout,
                    "  skipped {}: {} failed",
                    safe(&change.address),
                    safe(because)
                );
            }
            ChangeOutcome::Applied { .. } => {}
        }
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

/// Ask on the terminal; refuse when there is none.
fn confirm() -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Message {
            code: "apply::needs_approval",
            text: "apply needs confirmation, and standard input is not a terminal".to_string(),
            help: "review the plan above, then run `scimform apply --auto-approve` (as CI does) or run apply in a terminal to confirm".to_string(),
        }
        .into());
    }
    eprint!("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Message {
            code: "apply::cancelled",
            text: "apply cancelled: nothing was changed".to_string(),
            help: "answer `yes` to apply the plan".to_string(),
        }
        .into())
    }
}
