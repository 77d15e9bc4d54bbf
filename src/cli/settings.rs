//! Resolved settings: the clap arguments plus the environment, decided once — whether to
//! colour, which URL to talk to, which token to send.
//!
//! This is the only place that reads `SCIMFORM_URL`, `NO_COLOR` and the token variable.
//! The token is moved straight into a `scim::Token`; it is never formatted.

use std::io::IsTerminal;

use super::args::{ColorChoice, GlobalArgs};
use crate::config::DeclaredTarget;
use crate::render::Style;
use crate::scim::{ClientSettings, Token, profile};

/// The variable that overrides `target.url`.
pub const URL_ENV: &str = "SCIMFORM_URL";
/// The token variable when `target.token_env` is not set.
pub const DEFAULT_TOKEN_ENV: &str = "SCIMFORM_TOKEN";

/// Output settings shared by every command.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// Styling for stdout.
    pub stdout: Style,
    /// Styling for stderr (diagnostics, progress).
    pub stderr: Style,
    pub verbose: bool,
    pub quiet: bool,
    pub allow_insecure_http: bool,
    /// Whether stderr is a terminal (progress lines are drawn only there).
    pub stderr_is_terminal: bool,
}

impl Output {
    pub fn resolve(global: &GlobalArgs) -> Output {
        // `anstream` decides `auto` as clap does: a terminal, `NO_COLOR` unset (or
        // empty), `CLICOLOR_FORCE` and `TERM=dumb` honoured.
        let decide = |auto: anstream::ColorChoice| Style {
            color: match global.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => !matches!(auto, anstream::ColorChoice::Never),
            },
        };
        Output {
            stdout: decide(anstream::AutoStream::choice(&std::io::stdout())),
            stderr: decide(anstream::AutoStream::choice(&std::io::stderr())),
            verbose: global.verbose,
            quiet: global.quiet,
            allow_insecure_http: global.allow_insecure_http,
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }
}

/// Why the target cannot be reached with the given settings.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum TargetError {
    #[error("no SCIM target URL is configured")]
    #[diagnostic(
        code(target::no_url),
        help("set target.url in scimform.yaml, or export {URL_ENV}=https://…/scim/v2")
    )]
    NoUrl,
    #[error("the bearer token is missing: {variable} is not set")]
    #[diagnostic(
        code(target::no_token),
        help(
            "export {variable} with the directory's SCIM token (in CI, from a secret); the variable's name comes from target.token_env"
        )
    )]
    NoToken { variable: String },
}

/// The URL, token and provider profile for a `target:` section, with `SCIMFORM_URL`
/// taking precedence over `target.url` (`export` may run without a configuration: then
/// everything comes from the environment and the defaults).
pub(super) fn settings_for(
    target: &DeclaredTarget,
    allow_insecure_http: bool,
) -> Result<ClientSettings, super::report::Failure> {
    let url = std::env::var(URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| target.url.clone())
        .ok_or(TargetError::NoUrl)?;
    let variable = target
        .token_env
        .clone()
        .unwrap_or_else(|| DEFAULT_TOKEN_ENV.to_string());
    let token = std::env::var(&variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| TargetError::NoToken {
            variable: variable.clone(),
        })?;
    let url = url.trim();
    let mut settings = ClientSettings::new(url, Token::new(token.trim()), &variable);
    settings.profile = profile::resolve(target.profile.as_deref(), url, &target.options)?;
    settings.allow_insecure_http = allow_insecure_http;
    Ok(settings)
}

/// A client for the target; for `profile: auto`, refined by the provider's
/// `/ServiceProviderConfig` when it answers (the URL's host decides otherwise).
pub(super) async fn connect(
    target: &DeclaredTarget,
    output: Output,
) -> Result<crate::scim::ScimClient, super::report::Failure> {
    let mut settings = settings_for(target, output.allow_insecure_http)?;
    let client = crate::scim::ScimClient::new(&settings)?;
    if target.profile.as_deref() != Some("auto") {
        return Ok(client);
    }
    match client.service_provider_config().await {
        Ok(discovery) => {
            settings.profile = settings
                .profile
                .clone()
                .refined_by_discovery(&discovery)
                .with_options(&target.options)?;
            if output.verbose {
                eprintln!(
                    "profile auto: chose {} from discovery",
                    settings.profile.name
                );
            }
            Ok(crate::scim::ScimClient::new(&settings)?)
        }
        Err(error) => {
            if output.verbose {
                eprintln!(
                    "profile auto: /ServiceProviderConfig did not answer ({error}); chose {} from the URL",
                    settings.profile.name
                );
            }
            Ok(client)
        }
    }
}

/// Read progress as one self-overwriting line on stderr, when it is a terminal and the
/// user did not ask for quiet; nothing otherwise. Users and groups are read at the same
/// time, so the line shows both: `Reading users: 1200/100000, groups: 300/10000`.
pub(super) fn progress(output: Output) -> crate::live::Progress {
    if !output.stderr_is_terminal || output.quiet {
        return crate::live::Progress::none();
    }
    let state = std::sync::Mutex::new(ProgressLine::default());
    crate::live::Progress::new(move |event| {
        let mut line = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let kind = usize::from(event.kind == crate::scim::ResourceKind::Group);
        line.counts[kind] = Some((event.read, event.total));
        let done = line
            .counts
            .iter()
            .all(|c| c.is_some_and(|(read, total)| total.is_some_and(|t| read >= t)));
        if !done && line.drawn.elapsed() < std::time::Duration::from_millis(100) {
            return;
        }
        line.drawn = std::time::Instant::now();
        if done {
            line.clear();
            return;
        }
        let parts: Vec<String> = ["users", "groups"]
            .iter()
            .zip(line.counts)
            .filter_map(|(noun, count)| {
                let (read, total) = count?;
                let total = total.map(|t| format!("/{t}")).unwrap_or_default();
                Some(format!("{noun}: {read}{total}"))
            })
            .collect();
        eprint!("\r\x1b[2KReading {}", parts.join(", "));
        line.shown = true;
    })
}

/// What the progress line last showed, per kind (users, groups): read and total. The
/// line is erased when both are complete, or when the read ends anyway (the observer is
/// dropped with the read, also on an error or a list without totals).
struct ProgressLine {
    counts: [Option<(u64, Option<u64>)>; 2],
    drawn: std::time::Instant,
    shown: bool,
}

impl ProgressLine {
    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }
}

impl Default for ProgressLine {
    fn default() -> ProgressLine {
        ProgressLine {
            counts: [None, None],
            drawn: std::time::Instant::now(),
            shown: false,
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.clear();
    }
}
