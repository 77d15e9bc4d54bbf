//! The Markdown plan: a pull-request comment.
//!
//! First line a hidden marker `<!-- scimform:plan target=URL -->`, so CI finds and
//! updates its own comment (one per target); then a one-line verdict and a summary
//! table; then the guard trips and the destructive or privileged changes, expanded; then
//! the access review and the other changes in `<details>` blocks, attribute and member
//! changes in ```` ```diff ```` blocks (GitHub colours the `+`/`-` lines). The comment is
//! capped at [`MARKDOWN_CAP`] characters (GitHub's limit is 65 536): the verdict, the
//! summary, the guards and the destructive section are never cut, the rest is cut at a
//! change boundary with a line that says where the whole plan is.
//!
//! Every name and value is made safe and escaped for Markdown and HTML, code fences are
//! longer than any backtick run they hold, so nothing in a plan can break out of its
//! place or inject markup. Reads a `Plan`; byte-identical for the same plan.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::breakdown::{Row, RowValue, Sign, View, count, summary_line, view};
use super::review::review;
use super::text::safe;
use crate::plan::Plan;

/// The most characters a comment has (GitHub allows 65 536).
pub const MARKDOWN_CAP: usize = 60_000;

/// Write the comment.
pub fn render_markdown(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(markdown(plan, MARKDOWN_CAP).as_bytes())
}

/// The comment, at most about `cap` characters (the parts that are never cut aside).
pub fn markdown(plan: &Plan, cap: usize) -> String {
    let mut head = String::new();
    let _ = writeln!(
        head,
        "<!-- scimform:plan target={} -->",
        marker_safe(&plan.target.url)
    );
    let _ = writeln!(head, "{}", verdict(plan));
    head.push('\n');
    summary_table(plan, &mut head);
    if plan.scope.is_some() {
        head.push_str("\n_This plan is limited by `--target`/`--exclude`._\n");
    }
    guards(plan, &mut head);

    let attention: Vec<View<'_>> = plan
        .changes
        .iter()
        .filter(|c| c.needs_attention())
        .map(|c| view(c, None))
        .collect();
    let rest: Vec<View<'_>> = plan
        .changes
        .iter()
        .filter(|c| !c.needs_attention())
        .map(|c| view(c, None))
        .collect();

    // The destructive section is never cut: expanded while it fits, then one line each.
    if !attention.is_empty() {
        let _ = writeln!(
            head,
            "\n### Destructive and privileged changes ({})\n",
            attention.len()
        );
        let budget = cap.saturating_sub(head.chars().count() + 2_000);
        let mut used = 0;
        for (i, change) in attention.iter().enumerate() {
            let block = change_block(change);
            let size = block.chars().count();
            if used + size > budget {
                head.push_str(
                    "\n_The rest of them, one line each (the plan file has every detail):_\n\n",
                );
                for change in &attention[i..] {
                    let _ = writeln!(head, "- {}", one_line(change));
                }
                break;
            }
            used += size;
            head.push_str(&block);
        }
    }

    // Optional parts, in order, while they fit.
    let cut_line = format!(
        "\n> **This comment is cut to {cap} characters.** The plan file (`scimform plan --out plan.json`, kept as a CI artifact) has every change; `scimform show plan.json` prints it.\n"
    );
    let budget = cap.saturating_sub(cut_line.chars().count());
    let mut out = head;
    let mut cut = false;
    let fits = |out: &str, part: &str| out.chars().count() + part.chars().count() <= budget;

    // The access review takes at most half of what is left when other changes follow.
    let left = budget.saturating_sub(out.chars().count());
    let share = if rest.is_empty() { left } else { left / 2 };
    let (people, people_cut) = access_review(plan, share);
    out.push_str(&people);
    cut |= people_cut;
    if !rest.is_empty() {
        let opening = format!(
            "\n<details><summary>{} (creates, updates, adoptions)</summary>\n\n",
            html(&count(rest.len(), "other change"))
        );
        let closing = "</details>\n";
        // Room for the closing tag and the line that counts what is not shown.
        let reserve = format!("{closing}{:120}", "");
        if fits(&out, &format!("{opening}{reserve}")) {
            let mut section = opening;
            let mut shown = 0;
            for change in &rest {
                let block = change_block(change);
                if !fits(&out, &format!("{section}{block}{reserve}")) {
                    cut = true;
                    break;
                }
                section.push_str(&block);
                shown += 1;
            }
            if shown < rest.len() {
                let _ = writeln!(
                    section,
                    "\n_… and {} not shown here._\n",
                    count(rest.len() - shown, "more change")
                );
            }
            section.push_str(closing);
            out.push_str(&section);
        } else {
            cut = true;
        }
    }
    if !cut {
        let footer = footer(plan);
        if fits(&out, &footer) {
            out.push_str(&footer);
        } else {
            cut = true;
        }
    }
    if cut {
        out.push_str(&cut_line);
    }
    out
}

/// The verdict line.
fn verdict(plan: &Plan) -> String {
    let target = format!(
        "`{}` (profile {})",
        code(&plan.target.url),
        text(&plan.target.profile)
    );
    if !plan.has_changes() {
        return format!(
            "**scimform plan** for {target}: **no changes**, the directory matches the configuration."
        );
    }
    let changes = count(plan.changes.len(), "change");
    let destructive = plan.summary.destructive;
    if plan.refused() {
        format!(
            "**scimform plan** for {target}: **refused** ⛔ {changes} ({destructive} destructive); {} tripped, so apply will not run it without `--force`.",
            count(plan.guards.trips.len(), "safety guard")
        )
    } else {
        format!("**scimform plan** for {target}: {changes} to apply ({destructive} destructive).")
    }
}

fn summary_table(plan: &Plan, out: &mut String) {
    let s = &plan.summary;
    // The link column only where the plan links Atlassian accounts.
    let mut columns = vec![("create", s.create)];
    if s.link > 0 {
        columns.push(("link", s.link));
    }
    columns.extend([
        ("adopt", s.adopt),
        ("update", s.update),
        ("replace", s.replace),
        ("deactivate", s.deactivate),
        ("delete", s.delete),
        ("members added", s.member_adds),
        ("members removed", s.member_removals),
    ]);
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let counts: Vec<String> = columns.iter().map(|(_, c)| c.to_string()).collect();
    let _ = writeln!(out, "| {} |", names.join(" | "));
    let _ = writeln!(out, "|{}", "---:|".repeat(columns.len()));
    let _ = writeln!(out, "| {} |", counts.join(" | "));
    let _ = writeln!(out, "\n`Plan: {}`", summary_line(plan));
}

fn guards(plan: &Plan, out: &mut String) {
    if !plan.refused() {
        return;
    }
    let _ = writeln!(out, "\n### ⛔ Safety guards tripped\n");
    let mut helps: Vec<&str> = Vec::new();
    for trip in &plan.guards.trips {
        let _ = writeln!(out, "- {}", text(&trip.message));
        let help = trip.guard.help();
        if !helps.contains(&help) {
            helps.push(help);
        }
    }
    out.push('\n');
    for help in helps {
        let _ = writeln!(out, "> {}", text(help));
    }
}

/// One change: a heading line and a diff block.
fn change_block(view: &View<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", heading(view));
    let mut lines = Vec::new();
    for row in &view.rows {
        match row {
            Row::Attribute { sign, path, value } => match value {
                RowValue::Set(value) => {
                    lines.push(format!("{} {path} = {value}", diff_sign(*sign)));
                }
                RowValue::Changed { old, new } => {
                    lines.push(format!("- {path} = {old}"));
                    lines.push(format!("+ {path} = {new}"));
                }
                RowValue::Words(words) => lines.push(format!("! {path} = {words}")),
                RowValue::Lines(changed) => {
                    lines.push(format!("! {path} ="));
                    for (sign, line) in changed {
                        lines.push(format!("{sign}     {line}"));
                    }
                }
            },
            Row::Member { sign, text } => {
                lines.push(format!("{} member {text}", diff_sign(*sign)));
            }
        }
    }
    if !lines.is_empty() {
        let body = lines.join("\n");
        let fence = fence_for(&body);
        let _ = writeln!(out, "{fence}diff\n{body}\n{fence}\n");
    }
    out
}

fn heading(view: &View<'_>) -> String {
    let id = view
        .id
        .as_ref()
        .map(|id| format!(" (id {})", text(id)))
        .unwrap_or_default();
    let tags = if view.tags.is_empty() {
        String::new()
    } else {
        format!(" **[{}]**", view.tags.join(", "))
    };
    let links_to = view
        .links_to
        .as_ref()
        .map(|l| format!(" {}", text(l)))
        .unwrap_or_default();
    format!(
        "**`{}` {}**{links_to}{id}{tags} — {}: {}",
        view.sign.symbol(),
        text(&view.address),
        view.verb,
        text(&view.reason)
    )
}

fn one_line(view: &View<'_>) -> String {
    format!(
        "`{}` {} {}",
        view.sign.symbol(),
        text(&view.address),
        view.verb
    )
}

fn diff_sign(sign: Sign) -> &'static str {
    match sign {
        Sign::Add => "+",
        Sign::Remove => "-",
        Sign::Change => "!",
        Sign::Keep | Sign::Replace => " ",
    }
}

/// The access review, in a `<details>` block of at most about `budget` characters;
/// whether it had to be cut.
fn access_review(plan: &Plan, budget: usize) -> (String, bool) {
    let review = review(plan);
    if review.people.is_empty() && review.nested.is_empty() {
        return (String::new(), false);
    }
    let mut out = format!(
        "\n<details><summary>Access review: {}</summary>\n\n",
        match review.people.len() {
            1 => "1 person whose access changes".to_string(),
            n => format!("{n} people whose access changes"),
        }
    );
    let closing = "\n</details>\n";
    let room = |out: &str, more: &str| {
        out.chars().count() + more.chars().count() + closing.len() + 80 <= budget
    };
    if !room(&out, "") {
        return (String::new(), true);
    }
    out.push_str("| person | account | joins | leaves | attributes |\n|---|---|---|---|---|\n");
    let groups = |list: &[(String, bool)]| {
        list.iter()
            .map(|(name, privileged)| {
                if *privileged {
                    format!("**{}** (privileged)", cell(name))
                } else {
                    cell(name)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut cut = false;
    for (i, person) in review.people.iter().enumerate() {
        let row = format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&person.name),
            cell(&person.account.join("; ")),
            groups(&person.joins),
            groups(&person.leaves),
            cell(&person.attributes.join(", "))
        );
        if !room(&out, &row) {
            let _ = writeln!(
                out,
                "\n_… and {} more; the plan file has them all._",
                match review.people.len() - i {
                    1 => "1 person".to_string(),
                    n => format!("{n} people"),
                }
            );
            cut = true;
            break;
        }
        out.push_str(&row);
    }
    if !review.nested.is_empty() && !cut {
        out.push_str("\nGroups in groups:\n\n");
        for nested in &review.nested {
            let line = format!(
                "- group {} {} {}{}\n",
                text(&nested.group),
                if nested.joins { "joins" } else { "leaves" },
                text(&nested.parent),
                if nested.privileged {
                    " (privileged)"
                } else {
                    ""
                }
            );
            if !room(&out, &line) {
                cut = true;
                break;
            }
            out.push_str(&line);
        }
    }
    out.push_str(closing);
    (out, cut)
}

fn footer(plan: &Plan) -> String {
    let mut out = String::new();
    if let Some(atlassian) = &plan.atlassian
        && !atlassian.unsynced.is_empty()
    {
        let _ = writeln!(
            out,
            "\n<details><summary>Atlassian: {} in verified domains outside the SCIM directory, not declared</summary>\n",
            html(&count(atlassian.unsynced.len(), "managed account"))
        );
        for account in atlassian.unsynced.iter().take(200) {
            let _ = writeln!(
                out,
                "- {} ({}, account {})",
                text(&account.email),
                text(&account.name),
                text(&account.account_id)
            );
        }
        if atlassian.unsynced.len() > 200 {
            let _ = writeln!(out, "- … and {} more", atlassian.unsynced.len() - 200);
        }
        out.push_str("\n`scimform export --atlassian-unsynced --out-dir DIR` writes them as users to declare.\n\n</details>\n");
    }
    if !plan.notes.is_empty() {
        out.push_str("\n**Notes**\n\n");
        for note in &plan.notes {
            let _ = writeln!(out, "- {}", text(&note.message));
        }
    }
    let unmanaged = &plan.unmanaged;
    if !unmanaged.users.is_empty() || !unmanaged.groups.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Not managed: {} and {} are not declared and are left as they are</summary>\n",
            html(&count(unmanaged.users.len(), "user")),
            html(&count(unmanaged.groups.len(), "group"))
        );
        for (label, objects) in [("Users", &unmanaged.users), ("Groups", &unmanaged.groups)] {
            if objects.is_empty() {
                continue;
            }
            let names: Vec<String> = objects.iter().take(20).map(|o| text(&o.name)).collect();
            let more = if objects.len() > 20 {
                format!(" and {} more", objects.len() - 20)
            } else {
                String::new()
            };
            let _ = writeln!(out, "{label}: {}{more}\n", names.join(", "));
        }
        out.push_str("</details>\n");
    }
    if unmanaged.ignored_users + unmanaged.ignored_groups > 0 {
        let _ = writeln!(
            out,
            "\n_Ignored by `policy.ignore`: {} and {}._",
            count(unmanaged.ignored_users, "user"),
            count(unmanaged.ignored_groups, "group")
        );
    }
    out
}

/// Text for Markdown: safe, with Markdown and HTML metacharacters escaped.
fn text(value: &str) -> String {
    let safe = safe(value);
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// Text for a table cell (no line breaks, `|` escaped).
fn cell(value: &str) -> String {
    text(value)
}

/// Text inside a code span: safe, without backticks.
fn code(value: &str) -> String {
    safe(value).replace('`', "'")
}

/// Text for HTML elements (`<summary>`).
fn html(value: &str) -> String {
    safe(value)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A URL inside an HTML comment: no `--`, no `>`, no line break.
fn marker_safe(url: &str) -> String {
    safe(url)
        .replace("--", "%2D%2D")
        .replace('>', "%3E")
        .replace('<', "%3C")
        .replace(['\n', '\r', ' '], "")
}

/// A code fence longer than any run of backticks in `body`.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_out() {
        assert_eq!(text("a|b<img src=x>"), "a\\|b&lt;img src=x&gt;");
        assert_eq!(text("**bold** [link](x)"), "\\*\\*bold\\*\\* \\[link\\](x)");
        assert_eq!(
            marker_safe("https://x/--><script>"),
            "https://x/%2D%2D%3E%3Cscript%3E"
        );
        assert_eq!(fence_for("a ```` b"), "`````");
        assert_eq!(fence_for("plain"), "```");
    }
}
