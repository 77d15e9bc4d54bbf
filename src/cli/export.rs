//! `scimform export`: read the directory completely and write configuration files that
//! declare it as it is — or, with `--atlassian-unsynced`, the managed Atlassian accounts
//! outside the SCIM directory as users to declare. Written all at once or not at all;
//! existing files are never overwritten without `--force`. The directory's files are
//! written as they are rendered, on threads of their own, split so that each one loads;
//! the summary line says how.

use std::io::Write;

use super::args::{ExportArgs, SplitArg};
use super::report::{Failure, Message, exit};
use super::settings::{self, Output};
use crate::config::{self, DeclaredTarget, ROOT_FILE};
use crate::export::{
    ExportTarget, Split, check_out_dir, summary, unsynced_users, write_export, write_files,
};
use crate::render::breakdown::count;

pub(super) async fn run(args: &ExportArgs, output: Output) -> Result<u8, Failure> {
    let declared = if args.config.dir.join(ROOT_FILE).exists() {
        Some(config::load_dir(&args.config.dir)?)
    } else {
        None
    };
    let target = declared.as_ref().map_or_else(
        || DeclaredTarget {
            profile: args.profile.clone(),
            ..DeclaredTarget::default()
        },
        |d| d.target.clone(),
    );
    // Every export writes the root file: refuse before reading a large directory.
    check_out_dir(&args.out_dir, args.force)?;
    let client = settings::connect(&target, output).await?;
    let live = super::plan::read(&client, output).await?;
    let export_target = ExportTarget {
        url: client.base_url().to_string(),
        profile: client.profile().name.clone(),
        token_env: target
            .token_env
            .clone()
            .unwrap_or_else(|| settings::DEFAULT_TOKEN_ENV.to_string()),
    };
    if !args.atlassian_unsynced {
        return write_directory(args, live, export_target, output).await;
    }
    let (Some(declared), Some(atlassian)) = (&declared, &target.atlassian) else {
        return Err(Message {
            code: "export::no_atlassian",
            text: "--atlassian-unsynced needs the organisation: target.atlassian is not set"
                .to_string(),
            help: "run it with -C pointing at a scimform.yaml whose target has `atlassian: {org_id: …}`, with the organisation API key in the variable it names".to_string(),
        }
        .into());
    };
    let mut context = super::plan::context_for(&client, None);
    context.atlassian = Some(
        super::atlassian::org_client(atlassian, &client, output)?
            .read(&[])
            .await?,
    );
    // The accounts a plan of the current configuration would list as outside.
    let plan = crate::plan::diff(declared, &live, &context)?;
    let accounts = plan.atlassian.map(|a| a.unsynced).unwrap_or_default();
    let exported = unsynced_users(&accounts, &export_target, &atlassian.org_id);
    write_files(&args.out_dir, &exported.files, args.force)?;
    let paths: Vec<&str> = exported.files.iter().map(|f| f.path.as_str()).collect();
    report(
        args,
        &exported.warnings,
        &count(accounts.len(), "managed account"),
        &summary(&paths, exported.chunked, config::max_file_bytes()),
        output,
    );
    Ok(exit::OK)
}

/// Export the directory itself: rendered and written on blocking threads (the work is
/// all CPU and disk), then the summary.
async fn write_directory(
    args: &ExportArgs,
    live: crate::live::Live,
    target: ExportTarget,
    output: Output,
) -> Result<u8, Failure> {
    let split = match args.split {
        SplitArg::None => Split::None,
        SplitArg::Team => Split::Team,
    };
    let what = format!(
        "{} and {}",
        count(live.users.len(), "user"),
        count(live.groups.len(), "group")
    );
    let out_dir = args.out_dir.clone();
    let force = args.force;
    let written = tokio::task::spawn_blocking(move || {
        let written = write_export(
            &live,
            &target,
            split,
            config::max_file_bytes(),
            &out_dir,
            force,
        );
        // Freeing a large directory piece by piece is a noticeable part of an export's
        // CPU; the command is about to end.
        super::leave_to_exit(live);
        written
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    let paths: Vec<&str> = written.paths.iter().map(String::as_str).collect();
    report(
        args,
        &written.warnings,
        &what,
        &summary(&paths, written.chunked, config::max_file_bytes()),
        output,
    );
    Ok(exit::OK)
}

/// The warnings, then (unless `--quiet`) what was written where.
fn report(args: &ExportArgs, warnings: &[String], what: &str, files: &str, output: Output) {
    for warning in warnings {
        note!("warning: {warning}");
    }
    if !output.quiet {
        let mut stdout = crate::secret::stdout();
        let _ = writeln!(
            stdout,
            "Exported {what} to {} ({files}).",
            args.out_dir.display(),
        );
    }
}
