//! `scimform plan` and `scimform apply`: load the configuration, read the directory
//! completely, diff, render; and for apply, confirm and execute the same plan.

use std::io::{BufRead, IsTerminal, Write};

use super::args::{ApplyArgs, PlanArgs};
use super::report::{Failure, Message, exit};
use super::settings::{self, Output};
use crate::apply::{self, Outcome};
use crate::plan::Plan;
use crate::render::{self, Style};
use crate::scim::ScimClient;
use crate::{config, live, plan};

/// Load, read, diff: the plan for the configuration in `dir`, and a client for its target.
async fn compute(dir: &std::path::Path, output: Output) -> Result<(ScimClient, Plan), Failure> {
    let declared = config::load_dir(dir)?;
    let client = settings::connect(&declared.target, output).await?;
    if output.verbose {
        eprintln!(
            "Reading the directory at {} (profile {}) …",
            client.base_url(),
            client.profile().name
        );
    }
    let live = live::read_with_progress(&client, &settings::progress(output)).await?;
    if output.verbose {
        let stats = client.stats();
        eprintln!(
            "Read {} users and {} groups in {} requests ({} retried).",
            live.users.len(),
            live.groups.len(),
            stats.requests,
            stats.retries
        );
    }
    let plan = plan::diff(&declared, &live, client.base_url());
    Ok((client, plan))
}

fn print_plan(plan: &Plan, style: Style) {
    let mut stdout = std::io::stdout().lock();
    let _ = render::render_plan(plan, &mut stdout, style);
    let _ = stdout.flush();
}

pub async fn run_plan(args: &PlanArgs, output: Output) -> Result<u8, Failure> {
    let (_, plan) = compute(&args.config.dir, output).await?;
    print_plan(&plan, output.stdout);
    Ok(if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

pub async fn run_apply(args: &ApplyArgs, output: Output) -> Result<u8, Failure> {
    let (client, plan) = compute(&args.config.dir, output).await?;
    print_plan(&plan, output.stdout);
    if !plan.has_changes() {
        return Ok(exit::OK);
    }
    if !args.auto_approve {
        confirm()?;
    }
    let outcome = execute(&plan, &client, output.stdout).await?;
    Ok(report_outcome(&outcome, output.stdout))
}

/// Execute a plan, one result line per change on stdout.
pub async fn execute(plan: &Plan, client: &ScimClient, style: Style) -> Result<Outcome, Failure> {
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout);
    Ok(apply::apply(plan, client, &mut stdout, style).await?)
}

pub fn report_outcome(outcome: &Outcome, style: Style) -> u8 {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "\n{} {} created, {} updated, {} destroyed.",
        style.bold("Apply complete!"),
        outcome.created,
        outcome.updated,
        outcome.destroyed
    );
    exit::OK
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
