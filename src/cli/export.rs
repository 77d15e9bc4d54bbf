//! `scimform export`: read the directory completely and write configuration files that
//! declare it as it is. Existing files are never overwritten without `--force`.

use std::io::Write;
use std::path::Path;

use super::args::{ExportArgs, SplitArg};
use super::report::{Failure, Message, exit};
use super::settings::{self, Output};
use crate::config::{self, DeclaredTarget, ROOT_FILE};
use crate::export::{ExportTarget, Split, export};
use crate::live;
use crate::render::breakdown::count;

pub(super) async fn run(args: &ExportArgs, output: Output) -> Result<u8, Failure> {
    let target = if args.config.dir.join(ROOT_FILE).exists() {
        config::load_dir(&args.config.dir)?.target
    } else {
        DeclaredTarget {
            profile: args.profile.clone(),
            ..DeclaredTarget::default()
        }
    };
    let client = settings::connect(&target, output).await?;
    let live = live::read_with_progress(&client, &settings::progress(output)).await?;
    let exported = export(
        &live,
        &ExportTarget {
            url: client.base_url().to_string(),
            profile: client.profile().name.clone(),
            token_env: target
                .token_env
                .clone()
                .unwrap_or_else(|| settings::DEFAULT_TOKEN_ENV.to_string()),
        },
        match args.split {
            SplitArg::None => Split::None,
            SplitArg::Team => Split::Team,
        },
    );
    if !args.force {
        let existing: Vec<String> = exported
            .files
            .iter()
            .filter(|f| args.out_dir.join(&f.path).exists())
            .map(|f| args.out_dir.join(&f.path).display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Message {
                code: "export::exists",
                text: format!(
                    "export would overwrite {}; nothing was written",
                    existing.join(", ")
                ),
                help: "choose an empty --out-dir, or pass --force to overwrite".to_string(),
            }
            .into());
        }
    }
    for file in &exported.files {
        write_file(&args.out_dir.join(&file.path), &file.text)?;
    }
    for warning in &exported.warnings {
        eprintln!("warning: {warning}");
    }
    if !output.quiet {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "Exported {} and {} to {} ({}).",
            count(live.users.len(), "user"),
            count(live.groups.len(), "group"),
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

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let failed = |e: std::io::Error| -> Failure {
        Message {
            code: "export::write",
            text: format!("cannot write {}: {e}", path.display()),
            help: "check that the output directory is writable".to_string(),
        }
        .into()
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}
