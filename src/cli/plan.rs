//! `scimform plan`, `show` and `apply`: load the configuration, read the directory
//! completely, diff, render (human, JSON, Markdown, per person), save the plan file; show
//! a saved plan offline; apply a saved plan after checking that it still fits the
//! directory, or plan, confirm and apply that plan.
//!
//! Exit codes: 0 success; 1 error (or a change that failed); 2 with `--detailed-exitcode`
//! when the plan has changes; 3 when a safety guard refuses the plan (without `--force`)
//! or a saved plan is refused (another target, another format, stale).

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use super::args::{ApplyArgs, PlanArgs, PlanFormat, PlanView, ScopeArgs, ShowArgs};
use super::report::{Failure, Message, exit};
use super::settings::{self, Output};
use crate::apply::ApplyOptions;
use crate::plan::{Plan, PlanContext, PlanFileErrorKind, PlanTarget, Scope};
use crate::render::{self, HumanOptions, text::safe};
use crate::scim::{RequestLog, ScimClient};
use crate::{config, live, plan};

/// Load, read, diff: the plan for the configuration in `dir`, and a client for its target.
async fn compute(
    dir: &std::path::Path,
    scope: Option<Scope>,
    extras: &ClientExtras,
    output: Output,
) -> Result<(ScimClient, Plan), Failure> {
    let (declared, client, live) = load_and_read(dir, extras, output).await?;
    // What validation built its model from is freed: give its pages back before the
    // plan is built beside the model and the directory.
    scimform_memory::release_free_memory();
    let mut context = context_for(&client, Some(dir));
    context.scope = scope;
    if let Some(atlassian) = &declared.target.atlassian {
        let org =
            super::atlassian::snapshot(atlassian, &client, &declared, &live, &context, output)
                .await?;
        context.atlassian = Some(org);
    }
    let plan = plan::diff(&declared, &live, &context);
    super::drop_in_background((declared, live));
    Ok((client, plan?))
}

/// The configuration in `dir`, a client for its target, and the directory read
/// completely. The directory is read while the configuration loads (the read needs only
/// the root file's target): an error in the files ends the run as soon as it is found,
/// and when both fail, the files' errors are the ones reported.
async fn load_and_read(
    dir: &std::path::Path,
    extras: &ClientExtras,
    output: Output,
) -> Result<(config::Declared, ScimClient, live::Live), Failure> {
    let pending = config::PendingLoad::begin(dir)?;
    let Some(target) = pending.target() else {
        // The root file has an error: report it with every other one.
        let declared = pending.finish()?;
        let client = extras.apply(settings::connect(&declared.target, output).await?);
        let live = Box::pin(read(&client, output)).await?;
        return Ok((declared, client, live));
    };
    let loading = tokio::task::spawn_blocking(move || pending.finish());
    let loaded = async {
        match loading.await {
            Ok(result) => result.map_err(Failure::from),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    };
    // Boxed: the read's future is large, and this one holds it beside the load's.
    let reading = Box::pin(async {
        let client = extras.apply(settings::connect(&target, output).await?);
        let live = read(&client, output).await?;
        Ok::<_, Failure>((client, live))
    });
    tokio::pin!(loaded);
    let mut reading = reading;
    tokio::select! {
        declared = &mut loaded => {
            let declared = declared?;
            let (client, live) = reading.await?;
            Ok((declared, client, live))
        }
        read = &mut reading => {
            let declared = loaded.await?;
            let (client, live) = read?;
            Ok((declared, client, live))
        }
    }
}

/// Read the whole directory, saying so with `-v`.
pub(super) async fn read(client: &ScimClient, output: Output) -> Result<live::Live, Failure> {
    if output.verbose {
        note!(
            "Reading the directory at {} (profile {}) …",
            safe(client.base_url()),
            client.profile().name
        );
    }
    let live = live::read_with_progress(client, &settings::progress(output)).await?;
    if output.verbose {
        let stats = client.stats();
        note!(
            "Read {} and {} in {} ({} retried).",
            render::breakdown::count(live.users.len(), "user"),
            render::breakdown::count(live.groups.len(), "group"),
            render::breakdown::count(
                usize::try_from(stats.requests).unwrap_or(usize::MAX),
                "request"
            ),
            stats.retries
        );
        if client.count_refused() {
            note!(
                "note: the server refused `count` in lists, so pages were read at its default size"
            );
        }
        for notice in &live.notices {
            note!("note: {}", safe(notice));
        }
    }
    Ok(live)
}

/// What an apply adds to the target's client: the audit log, `--concurrency`.
#[derive(Default)]
struct ClientExtras {
    log: Option<Arc<dyn RequestLog>>,
    concurrency: Option<u16>,
}

impl ClientExtras {
    fn apply(&self, mut client: ScimClient) -> ScimClient {
        if let Some(log) = &self.log {
            client = client.with_request_log(Arc::clone(log));
        }
        if let Some(concurrency) = self.concurrency {
            client = client.with_concurrency(u32::from(concurrency));
        }
        client
    }
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
        scope: None,
        atlassian: None,
    }
}

/// The scope of `--target`/`--exclude`, checked; `None` when neither is given.
fn scope_of(args: &ScopeArgs) -> Result<Option<Scope>, Failure> {
    if args.targets.is_empty() && args.excludes.is_empty() {
        return Ok(None);
    }
    let scope = Scope {
        targets: args.targets.clone(),
        excludes: args.excludes.clone(),
    };
    plan::check_scope(&scope)?;
    Ok(Some(scope))
}

/// Write the plan on stdout in `format` (per person with `--by person`).
fn print(plan: &Plan, format: PlanFormat, by: Option<PlanView>, output: Output) {
    let mut stdout = crate::secret::stdout_document();
    let _ = match (format, by) {
        (PlanFormat::Json, _) => stdout.write_all(plan.to_json().as_bytes()),
        (PlanFormat::Markdown, _) => render::render_markdown(plan, &mut stdout),
        (PlanFormat::Human, Some(PlanView::Person)) => {
            render::render_review(plan, &mut stdout, output.stdout)
        }
        (PlanFormat::Human, None) => {
            let options = HumanOptions::new(output.stdout, output.verbose);
            render::render_plan(plan, &mut stdout, &options)
        }
    };
    let _ = stdout.flush();
}

/// The plan an apply is about to carry out: on stdout, or on stderr when stdout is for
/// the JSON outcome.
fn show_before_apply(plan: &Plan, args: &ApplyArgs, output: Output) {
    if args.format == super::args::OutcomeFormat::Human {
        print_plan(plan, output);
    } else if !output.quiet {
        let mut stderr = crate::secret::stderr();
        let options = HumanOptions::new(output.stderr, output.verbose);
        let _ = render::render_plan(plan, &mut stderr, &options);
    }
}

/// The human plan on stdout.
pub(super) fn print_plan(plan: &Plan, output: Output) {
    print(plan, PlanFormat::Human, None, output);
}

pub(super) async fn run_plan(args: &PlanArgs, output: Output) -> Result<u8, Failure> {
    let scope = scope_of(&args.scope)?;
    let (_, plan) = compute(&args.config.dir, scope, &ClientExtras::default(), output).await?;
    if let Some(path) = &args.out {
        plan.write(path)?;
        if !output.quiet {
            note!("Saved the plan to {}.", path.display());
        }
    }
    print(&plan, args.format, args.by, output);
    if plan.refused() && !args.force {
        refused_notice(&plan, output);
        return Ok(exit::REFUSED);
    }
    let code = if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    };
    super::leave_to_exit(plan);
    Ok(code)
}

/// `scimform show PLAN_FILE`: render a saved plan, without the network.
pub(super) fn run_show(args: &ShowArgs, output: Output) -> Result<u8, Failure> {
    let plan = Plan::read(&args.plan)?;
    print(&plan, args.format, args.by, output);
    Ok(exit::OK)
}

/// On stderr: the plan was refused, and how to go on.
fn refused_notice(plan: &Plan, output: Output) {
    note!(
        "\n{} the plan trips {}; nothing will be applied without --force.",
        output.stderr.destroy(&output.stderr.bold("Refused:")),
        render::breakdown::count(plan.guards.trips.len(), "safety guard")
    );
}

/// A refusal (exit 3) with its reason and what to do.
fn refusal(code: &'static str, text: String, help: &str) -> Failure {
    Failure {
        diagnostic: Box::new(Message {
            code,
            text,
            help: help.to_string(),
        }),
        code: exit::REFUSED,
    }
}

pub(super) async fn run_apply(args: &ApplyArgs, output: Output) -> Result<u8, Failure> {
    let audit = Arc::new(super::audit::AuditLog::open(
        args.audit_log.as_deref(),
        &args.config.dir,
    )?);
    let log: Arc<dyn RequestLog> = audit.clone();
    let result = apply_with_log(args, output, log).await;
    audit.flush();
    if !output.quiet {
        note!("Audit log: {}", audit.path.display());
    }
    result
}

async fn apply_with_log(
    args: &ApplyArgs,
    output: Output,
    log: Arc<dyn RequestLog>,
) -> Result<u8, Failure> {
    let extras = ClientExtras {
        log: Some(log),
        concurrency: args.concurrency,
    };
    let (client, plan) = if let Some(path) = &args.plan {
        saved_plan(args, path, &extras, output).await?
    } else {
        let scope = scope_of(&args.scope)?;
        let (client, plan) = compute(&args.config.dir, scope, &extras, output).await?;
        show_before_apply(&plan, args, output);
        if !plan.has_changes() {
            return Ok(exit::OK);
        }
        if plan.refused() && !args.force {
            refused_notice(&plan, output);
            return Ok(exit::REFUSED);
        }
        (client, plan)
    };
    if !plan.has_changes() {
        return Ok(exit::OK);
    }
    if !args.auto_approve {
        confirm()?;
    }
    let options = ApplyOptions::for_client(&client);
    super::apply_run::execute_and_report(&plan, &client, options, args, output).await
}

/// A saved plan, checked against the checkout and the directory before anything is
/// written: the same target and profile, guards (unless `--force`), every touched object
/// as the plan saw it.
async fn saved_plan(
    args: &ApplyArgs,
    path: &std::path::Path,
    extras: &ClientExtras,
    output: Output,
) -> Result<(ScimClient, Plan), Failure> {
    if !args.scope.targets.is_empty() || !args.scope.excludes.is_empty() {
        return Err(Message {
            code: "apply::scope_with_plan_file",
            text:
                "--target and --exclude cannot limit a saved plan: it is applied as it was reviewed"
                    .to_string(),
            help: "limit the plan when you make it: `scimform plan --target … --out FILE`"
                .to_string(),
        }
        .into());
    }
    let plan = match Plan::read(path) {
        Ok(plan) => plan,
        Err(error) => {
            let refused = matches!(
                error.kind,
                PlanFileErrorKind::OlderFormat(_) | PlanFileErrorKind::NewerFormat(_)
            );
            let mut failure: Failure = error.into();
            if refused {
                failure.code = exit::REFUSED;
            }
            return Err(failure);
        }
    };
    let declared = config::load_dir(&args.config.dir)?;
    if declared.digest != plan.config_digest && !output.quiet {
        note!(
            "{} the configuration in {} differs from the one this plan was made from ({} now, {} in the plan); applying the plan as it was reviewed.",
            output.stderr.update("Warning:"),
            args.config.dir.display(),
            declared.digest,
            safe(&plan.config_digest)
        );
    }
    let client = extras.apply(settings::connect(&declared.target, output).await?);
    if client.base_url() != plan.target.url {
        return Err(refusal(
            "apply::other_target",
            format!(
                "the plan was made for {}, and the target is {}",
                safe(&plan.target.url),
                safe(client.base_url())
            ),
            "apply a plan to the directory it was made for: check SCIMFORM_URL and target.url, or plan again",
        ));
    }
    if client.profile().name != plan.target.profile {
        return Err(refusal(
            "apply::other_profile",
            format!(
                "the plan was made with the {} profile, and the target now uses {}",
                safe(&plan.target.profile),
                client.profile().name
            ),
            "plan again with the current configuration",
        ));
    }
    show_before_apply(&plan, args, output);
    if plan.refused() && !args.force {
        refused_notice(&plan, output);
        return Err(refusal(
            "apply::guard",
            format!(
                "the plan file records {} tripped",
                render::breakdown::count(plan.guards.trips.len(), "safety guard")
            ),
            "review the trips above; apply it with --force if the changes are intended",
        ));
    }
    let live = read(&client, output).await?;
    let stale = plan::stale_changes(&plan, &live);
    if !stale.is_empty() {
        let mut text = format!(
            "the plan is stale: {} changed since it was made",
            render::breakdown::count(stale.len(), "object")
        );
        for s in stale.iter().take(50) {
            let _ = write!(text, "\n  - {}: {}", safe(&s.address), safe(&s.what));
        }
        if stale.len() > 50 {
            let _ = write!(text, "\n  - … and {} more", stale.len() - 50);
        }
        return Err(refusal(
            "apply::stale_plan",
            text,
            "nothing was written; run `scimform plan --out FILE` again, review it, and apply the new plan",
        ));
    }
    Ok((client, plan))
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
