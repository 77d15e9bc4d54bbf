//! `scimform export`: read the directory completely and write configuration files that
//! declare it as it is — or, with `--atlassian-unsynced`, the managed Atlassian accounts
//! outside the SCIM directory as users to declare. Written all at once or not at all;
//! existing files are never overwritten without `--force`.

use std::io::Write;

use super::args::{ExportArgs, SplitArg};
use super::report::{Failure, Message, exit};
use super::settings::{self, Output};
use crate::config::{self, DeclaredTarget, ROOT_FILE};
use crate::export::{Export, ExportTarget, Split, export, unsynced_users, write_files};
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
    let (exported, what) = if args.atlassian_unsynced {
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
        let what = count(accounts.len(), "managed account");
        (
            unsynced_users(&accounts, &export_target, &atlassian.org_id),
            what,
        )
    } else {
        let exported = export(
            &live,
            &export_target,
            match args.split {
                SplitArg::None => Split::None,
                SplitArg::Team => Split::Team,
            },
        );
        let what = format!(
            "{} and {}",
            count(live.users.len(), "user"),
            count(live.groups.len(), "group")
        );
        (exported, what)
    };
    write(args, &exported, &what, output)
}

fn write(args: &ExportArgs, exported: &Export, what: &str, output: Output) -> Result<u8, Failure> {
    write_files(&args.out_dir, &exported.files, args.force)?;
    for warning in &exported.warnings {
        note!("warning: {warning}");
    }
    if !output.quiet {
        let mut stdout = crate::secret::stdout();
        let _ = writeln!(
            stdout,
            "Exported {what} to {} ({}).",
            args.out_dir.display(),
            exported
                .files
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(exit::OK)
}
