//! The command line as clap types: subcommands, their flags, and the options every command
//! shares (`-C`, `--color`, `-v`, `-q`).
//!
//! Parsing only. Turning these into settings (environment, terminal detection) happens in
//! `settings`, and running them in the per-command files.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "scimform",
    version,
    about = "Keep a SCIM 2.0 directory in the state that YAML files declare",
    long_about = "scimform reads a SCIM 2.0 directory, compares it with the users and groups \
                  that YAML files declare, and shows (plan) or carries out (apply) the changes \
                  that make the directory match.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// When to colour output: auto (a terminal, and `NO_COLOR` unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Say more about what is happening (on stderr).
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Say only what is asked for: the plan, results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Allow a plain-http target URL that is not on this machine (the token would travel
    /// unencrypted). For test servers only.
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ConfigDirArg {
    /// The configuration directory, holding scimform.yaml.
    #[arg(
        short = 'C',
        long = "config-dir",
        value_name = "DIR",
        default_value = "."
    )]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration offline and report every problem at once.
    Validate(ValidateArgs),
    /// Read the directory and show the changes that would make it match the configuration.
    Plan(PlanArgs),
    /// Render a saved plan file (offline).
    Show(ShowArgs),
    /// Carry out a saved plan file, or plan, ask for confirmation and carry that out.
    Apply(ApplyArgs),
    /// Read the directory and write configuration files that declare it as it is.
    Export(ExportArgs),
    /// Print the JSON Schema of a file format.
    Schema(SchemaArgs),
    /// Run a local SCIM 2.0 server (in memory, optionally saved to a file).
    DevServer(DevServerArgs),
    /// Run the whole cycle against a built-in server: seed, plan, apply, plan again.
    Demo,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), for `man -l -` or a man directory.
    Man,
}

/// How a plan is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Terraform-style text (colour on a terminal).
    Human,
    /// The plan file's JSON document.
    Json,
    /// A pull-request comment.
    Markdown,
}

/// Another way to read a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanView {
    /// For each person: the groups they join and leave, what happens to their account.
    Person,
}

/// What a plan is limited to.
#[derive(Debug, Args, Default)]
pub struct ScopeArgs {
    /// Plan only this object (and what it needs, such as the users a targeted group
    /// adds): `user:NAME` or `group:NAME`. Repeatable.
    #[arg(long = "target", value_name = "KIND:NAME")]
    pub targets: Vec<String>,
    /// Never plan this object, nor membership changes that involve it: `user:NAME` or
    /// `group:NAME`. Repeatable.
    #[arg(long = "exclude", value_name = "KIND:NAME")]
    pub excludes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The plan file (`scimform plan --out FILE` writes one).
    #[arg(value_name = "PLAN_FILE")]
    pub plan: PathBuf,
    /// How to write it.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Show the plan per person instead (human and markdown).
    #[arg(long, value_enum)]
    pub by: Option<PlanView>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigDirArg,
    /// How to report problems: human (annotated snippets on stderr), json (a stable array
    /// on stdout) or github (workflow annotations on stdout).
    #[arg(long, value_enum, default_value_t = ValidateFormat::Human)]
    pub format: ValidateFormat,
    /// Treat warnings as errors (exit 1 when there is any).
    #[arg(long)]
    pub strict: bool,
}

/// The report formats of `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Every problem with its file, line and column, a snippet and advice (stderr).
    Human,
    /// A JSON array of {severity, code, message, file, line, column, help} (stdout).
    Json,
    /// `::error file=…,line=…,col=…::message` annotations for GitHub Actions (stdout).
    Github,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigDirArg,
    /// Exit 2 when the plan has changes (0 when it has none, 1 on error, 3 when a safety
    /// guard refuses it).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Do not refuse the plan when a safety guard trips (`max_destroy`, protected users and
    /// groups, privileged groups left empty, `min_members`): the trips are still shown.
    #[arg(long)]
    pub force: bool,
    /// Also write the plan as a plan file (JSON), for `show` and `apply PLAN_FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// How to write the plan on stdout.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Show the plan per person instead (human and markdown).
    #[arg(long, value_enum)]
    pub by: Option<PlanView>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub config: ConfigDirArg,
    /// A plan file to apply exactly (`scimform plan --out FILE`); without one, apply plans
    /// first and asks for confirmation.
    #[arg(value_name = "PLAN_FILE")]
    pub plan: Option<PathBuf>,
    /// Apply without asking for confirmation (for CI).
    #[arg(long)]
    pub auto_approve: bool,
    /// Apply even when a safety guard trips (the trips are still shown).
    #[arg(long)]
    pub force: bool,
    /// Changes in flight at once (default: the provider profile's concurrency).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,
    /// How to write the outcome on stdout: human lines, or one JSON document.
    #[arg(long, value_enum, default_value_t = OutcomeFormat::Human)]
    pub format: OutcomeFormat,
    /// After applying, read the directory again and require an empty plan.
    #[arg(long)]
    pub verify: bool,
    /// Write one JSON line per request to FILE (default: a new file under
    /// .scimform/audit/ in the configuration directory).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Limit the plan (only without a `PLAN_FILE`, which is applied as it is).
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// How apply reports its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutcomeFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where the target comes from: a directory with scimform.yaml. Without one, the
    /// target is `SCIMFORM_URL` with the token in `SCIMFORM_TOKEN`.
    #[command(flatten)]
    pub config: ConfigDirArg,
    /// The directory to write the configuration into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// One file, or users split by enterprise department plus a groups file. Either way
    /// a list too large for one file (16 MiB) is split by the first letters of names.
    #[arg(long, value_enum, default_value_t = SplitArg::None)]
    pub split: SplitArg,
    /// The provider profile when there is no scimform.yaml to say it.
    #[arg(long)]
    pub profile: Option<String>,
    /// Overwrite files that already exist in the output directory.
    #[arg(long)]
    pub force: bool,
    /// Write the managed Atlassian accounts outside the SCIM directory (those SAML
    /// just-in-time provisioning created) as users to declare, instead of the directory.
    /// Needs `target.atlassian` in the configuration.
    #[arg(long)]
    pub atlassian_unsynced: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Everything in scimform.yaml (the users and groups in files of their own when that
    /// would be too large).
    None,
    /// users/<department>.yaml, groups.yaml, and a scimform.yaml that includes them.
    Team,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::Config)]
    pub kind: SchemaKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// scimform.yaml and the files it includes.
    Config,
    /// Plan files (`scimform plan --out FILE`).
    Plan,
}

#[derive(Debug, Args)]
pub struct DevServerArgs {
    /// Address to listen on. Port 0 picks a free port; the base URL is printed on stdout.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Bearer token that clients must present.
    #[arg(long, env = "SCIMFORM_DEV_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Keep the directory in this JSON file: loaded at start, written after each change
    /// (the whole file each time: for small directories).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Behave like this provider: page caps, paging, members in group reads, PATCH
    /// limits, removal forms, DELETE semantics, filters.
    #[arg(long, value_name = "PROFILE", value_enum, default_value_t = scimform_devserver::EmulationProfile::Generic)]
    pub emulate: scimform_devserver::EmulationProfile,
    /// Seed for fault draws and generated ids: the same seed and requests meet the same
    /// faults. Without it a seed is picked and printed on stderr.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Add N milliseconds of latency to every response.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Answer this fraction of /Users and /Groups requests with 500/502/503 (not applied).
    #[arg(long, value_name = "P", default_value = "0")]
    pub fail_rate: scimform_devserver::Rate,
    /// Answer this fraction with 429 and Retry-After (seconds or an HTTP date).
    #[arg(long, value_name = "P", default_value = "0")]
    pub throttle_rate: scimform_devserver::Rate,
    /// Drop this fraction of connections without an answer (request not applied).
    #[arg(long, value_name = "P", default_value = "0")]
    pub reset_rate: scimform_devserver::Rate,
    /// Apply this fraction of writes, then drop the connection without an answer.
    #[arg(long, value_name = "P", default_value = "0")]
    pub reset_after_commit_rate: scimform_devserver::Rate,
    /// Report a wrong totalResults (one too many) on the first page of every list read
    /// and on about half of the other list pages.
    #[arg(long)]
    pub lie_total: bool,
    /// Insert a new user before everyone else between two page reads of a user list.
    #[arg(long)]
    pub page_drift: bool,
    /// Answer PATCH of users with 501 Not Implemented, while the service provider config
    /// still says PATCH is supported (PUT works; group PATCH is unaffected).
    #[arg(long)]
    pub patch_users_not_implemented: bool,
    /// Create groups without the members a group POST carries (the 201 answer shows
    /// none); PATCH adds them afterwards.
    #[arg(long)]
    pub ignore_members_on_create: bool,
    /// Answer list and search requests that carry `count` with 400 invalidValue; without
    /// it they get pages of the default size.
    #[arg(long)]
    pub refuse_count: bool,
    /// Answer every write to the group with this displayName (any case) with 403: PATCH,
    /// PUT, DELETE, a POST creating it, a rename to it. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub refuse_writes_to_group: Vec<String>,
    /// Start with generated users, groups and memberships, e.g. 100000,10000,1000000.
    #[arg(long, value_name = "USERS,GROUPS,MEMBERSHIPS")]
    pub seed_synthetic: Option<scimform_devserver::SyntheticSize>,
    /// With --emulate atlassian: the organisation's verified domains, accounts and SCIM
    /// links, from this JSON file; accounts marked synced start as users of the directory.
    #[arg(long, value_name = "FILE")]
    pub atlassian_accounts: Option<PathBuf>,
    /// With --emulate atlassian: the organisation API key (for /admin/...), distinct from
    /// --token. Without it the organisation API answers 401.
    #[arg(
        long,
        value_name = "T",
        env = "SCIMFORM_DEV_ATLASSIAN_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub atlassian_admin_token: Option<String>,
}
