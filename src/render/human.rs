//! The human plan: Terraform-style text for terminals and CI logs.
//!
//! Guard trips come first, with what to do; then the destructive and privileged changes
//! in a block of their own; then the rest; then notes, the objects left alone and the
//! summary line. `+` create, `~` update, `-` deactivate or delete, `-/+` replace: the
//! symbol and the words always carry the meaning, colour only repeats it. Every name and
//! value is made safe (`text::safe`). The renderer reads a `Plan` through the shared
//! breakdown and writes to any `io::Write`; it computes no change of its own.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::breakdown::{Row, RowValue, Sign, View, count, summary_line, view};
use super::style::Style;
use super::text::safe;
use crate::config::parallel;
use crate::plan::{Change, Plan, UnmanagedObject};

/// How the human plan is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanOptions {
    pub style: Style,
    /// The most member rows of each kind shown per change (`None`: all, with `-v`).
    pub members_shown: Option<usize>,
    /// The most unmanaged objects named per kind.
    pub unmanaged_shown: usize,
}

impl HumanOptions {
    /// Plain text, members capped, as tests and CI logs see it.
    pub const PLAIN: HumanOptions = HumanOptions {
        style: Style::PLAIN,
        members_shown: Some(25),
        unmanaged_shown: 20,
    };

    pub fn new(style: Style, verbose: bool) -> HumanOptions {
        HumanOptions {
            style,
            members_shown: if verbose { None } else { Some(25) },
            unmanaged_shown: 20,
        }
    }
}

/// Write the whole plan.
pub fn render_plan(plan: &Plan, out: &mut dyn Write, options: &HumanOptions) -> io::Result<()> {
    let style = options.style;
    if !plan.has_changes() {
        writeln!(
            out,
            "{}",
            style.bold("No changes. The directory matches the configuration.")
        )?;
        writeln!(out)?;
        render_footer(plan, out, options)?;
        return Ok(());
    }
    writeln!(
        out,
        "scimform will perform the following actions on {} (profile {}){}:",
        safe(&plan.target.url),
        safe(&plan.target.profile),
        if plan.scope.is_some() {
            ", limited by --target/--exclude"
        } else {
            ""
        }
    )?;
    writeln!(out)?;
    render_guards(plan, out, style)?;
    let (attention, rest): (Vec<_>, Vec<_>) =
        plan.changes.iter().partition(|c| c.needs_attention());
    if !attention.is_empty() {
        writeln!(
            out,
            "{}",
            style.bold("Destructive and privileged changes (review these first):")
        )?;
        writeln!(out)?;
        render_views(&attention, out, options)?;
        if !rest.is_empty() {
            writeln!(out, "{}", style.bold("Other changes:"))?;
            writeln!(out)?;
        }
    }
    render_views(&rest, out, options)?;
    render_footer(plan, out, options)?;
    writeln!(out, "{} {}", style.bold("Plan:"), summary_line(plan))?;
    Ok(())
}

/// Each change as [`render_view`] writes it, in order. A long list (a first import of a
/// hundred thousand users) is rendered on all cores, a few runs of changes at a time,
/// each into a buffer of its own, and the buffers written in order: the same bytes,
/// sooner, with a few runs' text in memory rather than the whole plan's.
pub(super) fn render_views(
    changes: &[&Change],
    out: &mut dyn Write,
    options: &HumanOptions,
) -> io::Result<()> {
    /// Changes in a run, and below which a list is rendered on one thread.
    const RUN: usize = 1_000;
    let render = |run: &[&Change], out: &mut dyn Write| {
        run.iter().try_for_each(|change| {
            render_view(&view(change, options.members_shown), out, options.style)
        })
    };
    if changes.len() <= RUN {
        return render(changes, out);
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let runs: Vec<&[&Change]> = changes.chunks(RUN).collect();
    for batch in runs.chunks(cores * 2) {
        let rendered = parallel::map(batch, |run| {
            let mut buffer = Vec::new();
            render(run, &mut buffer).map(|()| buffer)
        });
        for buffer in rendered {
            out.write_all(&buffer?)?;
        }
    }
    Ok(())
}

/// The guard trips, first, with what to do.
fn render_guards(plan: &Plan, out: &mut dyn Write, style: Style) -> io::Result<()> {
    if !plan.refused() {
        return Ok(());
    }
    let trips = &plan.guards.trips;
    writeln!(
        out,
        "{} {} tripped: apply refuses this plan unless --force is given.",
        style.destroy(&style.bold("Refused:")),
        count(trips.len(), "safety guard")
    )?;
    let mut helps: Vec<&str> = Vec::new();
    for trip in trips {
        writeln!(out, "  ! {}", safe(&trip.message))?;
        let help = trip.guard.help();
        if !helps.contains(&help) {
            helps.push(help);
        }
    }
    for help in helps {
        writeln!(out, "  help: {help}")?;
    }
    writeln!(out)?;
    Ok(())
}

/// One change block: a comment line with the reason, a heading, indented rows.
pub fn render_view(view: &View<'_>, out: &mut dyn Write, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "  {}",
        style.dim(&format!(
            "# {} {}: {}",
            view.address, view.verb, view.reason
        ))
    )?;
    let symbol = paint(style, view.sign, view.sign.symbol());
    let id = view
        .id
        .as_ref()
        .map(|id| format!("  (id {id})"))
        .unwrap_or_default();
    let tags = if view.tags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", view.tags.join(", "))
    };
    let links_to = view
        .links_to
        .as_ref()
        .map(|l| format!(" {l}"))
        .unwrap_or_default();
    writeln!(
        out,
        "  {symbol} {}{links_to}{id}{tags}",
        style.bold(&view.address)
    )?;
    let width = view
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Attribute { path, .. } => Some(path.chars().count()),
            Row::Member { .. } => None,
        })
        .max()
        .unwrap_or(0);
    for row in &view.rows {
        match row {
            Row::Attribute { sign, path, value } => {
                let symbol = paint(style, *sign, sign.symbol());
                match value {
                    RowValue::Set(value) => {
                        writeln!(out, "      {symbol} {path:<width$} = {value}")?;
                    }
                    RowValue::Changed { old, new } => {
                        writeln!(out, "      {symbol} {path:<width$} = {old} -> {new}")?;
                    }
                    RowValue::Words(words) => {
                        writeln!(out, "      {symbol} {path:<width$} = {words}")?;
                    }
                    RowValue::Lines(lines) => {
                        writeln!(out, "      {symbol} {path:<width$} =")?;
                        for (sign, line) in lines {
                            let mark = match sign {
                                '-' => style.destroy("-"),
                                '+' => style.create("+"),
                                _ => " ".to_string(),
                            };
                            writeln!(out, "          {mark} {line}")?;
                        }
                    }
                }
            }
            Row::Member { sign, text } => {
                let symbol = paint(style, *sign, sign.symbol());
                writeln!(out, "      {symbol} member {text}")?;
            }
        }
    }
    writeln!(out)?;
    Ok(())
}

fn paint(style: Style, sign: Sign, text: &str) -> String {
    match sign {
        Sign::Add => style.create(text),
        Sign::Change => style.update(text),
        Sign::Remove | Sign::Replace => style.destroy(text),
        Sign::Keep => text.to_string(),
    }
}

/// Notes, and the objects the plan leaves alone (named, up to a limit).
fn render_footer(plan: &Plan, out: &mut dyn Write, options: &HumanOptions) -> io::Result<()> {
    if let Some(atlassian) = &plan.atlassian
        && !atlassian.unsynced.is_empty()
    {
        writeln!(
            out,
            "Atlassian: {} in verified domains ({}) {} outside the SCIM directory and not declared:",
            count(atlassian.unsynced.len(), "managed account"),
            safe(&atlassian.verified_domains.join(", ")),
            if atlassian.unsynced.len() == 1 {
                "is"
            } else {
                "are"
            }
        )?;
        for account in atlassian.unsynced.iter().take(options.unmanaged_shown) {
            writeln!(
                out,
                "  {}  ({}, account {})",
                safe(&account.email),
                safe(&account.name),
                safe(&account.account_id)
            )?;
        }
        if atlassian.unsynced.len() > options.unmanaged_shown {
            writeln!(
                out,
                "  … and {} more",
                atlassian.unsynced.len() - options.unmanaged_shown
            )?;
        }
        writeln!(
            out,
            "  (`scimform export --atlassian-unsynced --out-dir DIR` writes them as users to declare.)"
        )?;
        writeln!(out)?;
    }
    if !plan.notes.is_empty() {
        writeln!(out, "Notes:")?;
        for note in &plan.notes {
            writeln!(out, "  - {}", safe(&note.message))?;
        }
        writeln!(out)?;
    }
    let unmanaged = &plan.unmanaged;
    if !unmanaged.users.is_empty() || !unmanaged.groups.is_empty() {
        writeln!(
            out,
            "Not managed: {} and {} in the directory are not declared; they are left as they are.",
            count(unmanaged.users.len(), "user"),
            count(unmanaged.groups.len(), "group"),
        )?;
        for (label, objects) in [("users", &unmanaged.users), ("groups", &unmanaged.groups)] {
            if !objects.is_empty() {
                writeln!(
                    out,
                    "  {label}: {}",
                    names(objects, options.unmanaged_shown)
                )?;
            }
        }
        writeln!(out)?;
    }
    if unmanaged.ignored_users + unmanaged.ignored_groups > 0 {
        writeln!(
            out,
            "Ignored (policy.ignore): {} and {}, never read into the plan.",
            count(unmanaged.ignored_users, "user"),
            count(unmanaged.ignored_groups, "group"),
        )?;
        writeln!(out)?;
    }
    Ok(())
}

/// `a, b, c and 17 more`.
fn names(objects: &[UnmanagedObject], shown: usize) -> String {
    let text: Vec<String> = objects
        .iter()
        .take(shown)
        .map(|o| safe(&o.name).into_owned())
        .collect();
    let mut line = text.join(", ");
    if objects.len() > shown {
        let _ = write!(line, " and {} more", objects.len() - shown);
    }
    line
}
