//! `scimform dev-server`: run the local SCIM server until interrupted. The base URL is the
//! first line on stdout (so scripts and tests can read it); the rest goes to stderr.

use std::io::Write;

use super::args::DevServerArgs;
use super::report::{Failure, Message, exit};
use super::settings::Output;
use crate::devserver::{DevServer, DevServerOptions};

pub async fn run(args: &DevServerArgs, output: Output) -> Result<u8, Failure> {
    if args.token.trim().is_empty() {
        return Err(Message {
            code: "dev_server::no_token",
            text: "the dev-server needs a bearer token".to_string(),
            help: "pass --token T or set SCIMFORM_DEV_TOKEN; clients send it as SCIMFORM_TOKEN"
                .to_string(),
        }
        .into());
    }
    let server = DevServer::start(DevServerOptions {
        listen: args.listen,
        token: args.token.clone(),
        data: args.data.clone(),
    })
    .await
    .map_err(start_failure)?;
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", server.base_url());
        let _ = stdout.flush();
    }
    if !output.quiet {
        eprintln!(
            "dev-server listening on {}{}; press Ctrl-C to stop",
            server.base_url(),
            args.data
                .as_ref()
                .map(|p| format!(", keeping data in {}", p.display()))
                .unwrap_or_default()
        );
    }
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    if !output.quiet {
        eprintln!("dev-server stopped");
    }
    Ok(exit::OK)
}

/// A dev-server that could not start, with what to do about it.
pub fn start_failure(error: crate::devserver::DevServerError) -> Failure {
    use crate::devserver::DevServerError;
    let help = match &error {
        DevServerError::Bind { .. } => {
            "choose another address with --listen (port 0 picks a free one)"
        }
        DevServerError::DataUnreadable { .. } | DevServerError::DataUnwritable { .. } => {
            "check the data file's path and permissions"
        }
        DevServerError::DataInvalid { .. } => {
            "point --data at a file this dev-server wrote, or at a path that does not exist yet"
        }
        _ => "pass a non-empty --token",
    };
    Message {
        code: "dev_server::start",
        text: error.to_string(),
        help: help.to_string(),
    }
    .into()
}
