//! Resolved settings: the clap arguments plus the environment, decided once — whether to
//! colour, which URL to talk to, which token to send.
//!
//! This is the only place that reads `SCIMFORM_URL`, `NO_COLOR`, `CI` and the token
//! variable. The token is registered as a secret of the run (`crate::secret`) and moved
//! straight into a `scim::Token`; it is never formatted. The token variable must begin
//! with `SCIMFORM_`, and under CI a target URL that comes from the files (which a pull
//! request can change) is warned about on stderr.

use std::io::{IsTerminal, Write};

use super::args::{ColorChoice, GlobalArgs};
use crate::config::DeclaredTarget;
use crate::render::Style;
use crate::scim::{ClientSettings, Token, profile};
use crate::secret;

/// The variable that overrides `target.url`.
pub const URL_ENV: &str = "SCIMFORM_URL";
/// The token variable when `target.token_env` is not set.
pub const DEFAULT_TOKEN_ENV: &str = "SCIMFORM_TOKEN";
/// What the token variable's name must begin with: a pull request that changes
/// `target.token_env` can then only choose among variables meant for scimform, never
/// another secret of the CI job.
pub const TOKEN_ENV_PREFIX: &str = secret::TOKEN_ENV_PREFIX;

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
    #[error("the token variable's name does not begin with {TOKEN_ENV_PREFIX}")]
    #[diagnostic(
        code(target::token_env),
        help(
            "name a variable that begins with {TOKEN_ENV_PREFIX} in target.token_env (e.g. SCIMFORM_TOKEN), so that the files cannot send another secret to the target"
        )
    )]
    TokenEnvPrefix,
}

/// The URL, token and provider profile for a `target:` section, with `SCIMFORM_URL`
/// taking precedence over `target.url` (`export` may run without a configuration: then
/// everything comes from the environment and the defaults). The token, and a password in
/// either URL, are registered as secrets; under CI, a URL from the files is warned about.
pub(super) fn settings_for(
    target: &DeclaredTarget,
    allow_insecure_http: bool,
) -> Result<ClientSettings, super::report::Failure> {
    let from_env = std::env::var(URL_ENV).ok().filter(|v| !v.trim().is_empty());
    for url in from_env.iter().chain(&target.url) {
        // Refused by `ScimClient::new`; never shown before or after.
        secret::register_url_userinfo(url);
    }
    let url_from_files = from_env.is_none();
    let url = from_env
        .or_else(|| target.url.clone())
        .ok_or(TargetError::NoUrl)?;
    let variable = target
        .token_env
        .clone()
        .unwrap_or_else(|| DEFAULT_TOKEN_ENV.to_string());
    if !secret::is_token_variable(&variable) {
        return Err(TargetError::TokenEnvPrefix.into());
    }
    let token = std::env::var(&variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| TargetError::NoToken {
            variable: variable.clone(),
        })?;
    secret::register(token.trim());
    let url = url.trim();
    let mut settings = ClientSettings::new(url, Token::new(token.trim()), &variable);
    settings.profile = profile::resolve(target.profile.as_deref(), url, &target.options)?;
    settings.allow_insecure_http = allow_insecure_http;
    if url_from_files && under_ci(std::env::var("CI").ok().as_deref()) {
        let _ = secret::stderr().write_all(url_from_files_warning(url).as_bytes());
    }
    Ok(settings)
}

/// Whether the `CI` variable says this runs in CI: set, not empty, not `false` or `0`.
fn under_ci(ci: Option<&str>) -> bool {
    ci.map(str::trim)
        .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The warning, for stderr, that under CI the token goes where the files say. Every line
/// begins with `warning:`, framed by rules, so that it stands out in a CI log and a
/// search for "warning" finds all of it.
fn url_from_files_warning(url: &str) -> String {
    let host = match reqwest::Url::parse(url) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => secret::url_without_userinfo(url).into_owned(),
        },
        Err(_) => secret::url_without_userinfo(url).into_owned(),
    };
    let rule = "═".repeat(78);
    let lines = [
        rule.clone(),
        format!("CI: the bearer token is sent to {host}, the host that target.url names"),
        format!(
            "in {}. A pull request can change that file, and with it",
            crate::config::ROOT_FILE
        ),
        "where the token goes (the plan of a pull request runs with the secret).".to_string(),
        format!("Set {URL_ENV} in the CI job's environment (a variable or secret of the"),
        "CI system, not a file in the repository): it overrides target.url.".to_string(),
        rule,
    ];
    let mut text = String::from("\n");
    for line in lines {
        text.push_str("warning: ");
        text.push_str(&line);
        text.push('\n');
    }
    text.push('\n');
    text
}

/// A client for the target; for `profile: auto`, refined by the provider's
/// `/ServiceProviderConfig` when it answers (the URL's host decides otherwise), then by
/// probing how the server shows group members (the first page of groups, and at most a
/// few `GET /Groups/{id}` and one member filter): a server whose group lists omit
/// members is read per group or per user instead. `-v` says what was chosen and why.
/// `target.options` always has the last word.
pub(super) async fn connect(
    target: &DeclaredTarget,
    output: Output,
) -> Result<crate::scim::ScimClient, super::report::Failure> {
    let mut settings = settings_for(target, output.allow_insecure_http)?;
    let client = crate::scim::ScimClient::new(&settings)?;
    if target.profile.as_deref() != Some("auto") {
        return Ok(client);
    }
    let client = match client.service_provider_config().await {
        Ok(discovery) => {
            settings.profile = settings
                .profile
                .clone()
                .refined_by_discovery(&discovery)
                .with_options(&target.options)?;
            if output.verbose {
                note!(
                    "profile auto: chose {} from discovery",
                    settings.profile.name
                );
            }
            crate::scim::ScimClient::new(&settings)?
        }
        Err(error) => {
            if output.verbose {
                note!(
                    "profile auto: /ServiceProviderConfig did not answer ({error}); chose {} from the URL",
                    settings.profile.name
                );
            }
            client
        }
    };
    if target.options.contains_key("member_read") {
        return Ok(client);
    }
    match crate::live::probe_member_read(&client).await {
        Ok(Some((member_read, why))) => {
            settings.profile.member_read = member_read;
            if output.verbose {
                note!(
                    "profile auto: refined how group members are read ({}): {why}",
                    settings.profile.name
                );
            }
            Ok(crate::scim::ScimClient::new(&settings)?)
        }
        Ok(None) => Ok(client),
        Err(error) => {
            // The read itself will meet the same server and decide (or fail) there.
            if output.verbose {
                note!("profile auto: could not probe how group members are read ({error})");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_ci() {
        for yes in ["true", "1", "yes", "TRUE", "anything"] {
            assert!(under_ci(Some(yes)), "{yes}");
        }
        for no in [
            None,
            Some(""),
            Some(" "),
            Some("0"),
            Some("false"),
            Some("False"),
        ] {
            assert!(!under_ci(no), "{no:?}");
        }
    }

    #[test]
    fn the_warning_names_the_host_and_never_a_password() {
        let text = url_from_files_warning("https://admin:pw-secret@scim.example.test:8443/v2");
        assert!(text.contains("scim.example.test:8443"), "{text}");
        assert!(!text.contains("pw-secret"), "{text}");
        assert!(text.contains("A pull request can change"), "{text}");
        assert!(text.contains(URL_ENV), "{text}");
        assert!(
            text.lines()
                .filter(|l| !l.is_empty())
                .all(|l| l.starts_with("warning: ")),
            "{text}"
        );
    }
}
