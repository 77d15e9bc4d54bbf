//! The human plan: Terraform-style text for terminals and pull-request comments.
//!
//! `+` create, `~` update, `-` remove; the symbol always carries the meaning and colour
//! only repeats it. The renderer reads a `Plan` and writes to any `io::Write`; it computes
//! no change of its own.

use std::io::{self, Write};

use serde_json::{Map, Value};

use super::style::Style;
use crate::plan::{AttributeChange, Change, MemberRef, MemberType, Plan};
use crate::scim::{as_bool, attribute};

/// Write the whole plan.
pub fn render_plan(plan: &Plan, out: &mut dyn Write, style: Style) -> io::Result<()> {
    if !plan.has_changes() {
        writeln!(
            out,
            "{}",
            style.bold("No changes. The directory matches the configuration.")
        )?;
        if !plan.notes.is_empty() || plan.unmanaged.users + plan.unmanaged.groups > 0 {
            writeln!(out)?;
            render_footer(plan, out)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "scimform will perform the following actions on {}:",
        plan.target
    )?;
    for change in &plan.changes {
        writeln!(out)?;
        render_change(change, out, style)?;
    }
    writeln!(out)?;
    render_footer(plan, out)?;
    let summary = plan.summary();
    writeln!(
        out,
        "{} {} to create, {} to update, {} to destroy.",
        style.bold("Plan:"),
        summary.create,
        summary.update,
        summary.destroy
    )?;
    Ok(())
}

fn render_footer(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    if !plan.notes.is_empty() {
        writeln!(out, "Notes:")?;
        for note in &plan.notes {
            writeln!(out, "  - {note}")?;
        }
        writeln!(out)?;
    }
    let unmanaged = &plan.unmanaged;
    if unmanaged.users + unmanaged.groups > 0 {
        writeln!(
            out,
            "Not managed: {} and {} in the directory are not declared; they are left as they are.",
            count(unmanaged.users, "user"),
            count(unmanaged.groups, "group"),
        )?;
        writeln!(out)?;
    }
    Ok(())
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One change block: a header line and indented detail lines.
pub fn render_change(change: &Change, out: &mut dyn Write, style: Style) -> io::Result<()> {
    match change {
        Change::CreateUser {
            user_name,
            attributes,
            manager,
        } => {
            writeln!(
                out,
                "  {} {}",
                style.create("+"),
                style.bold(&format!("user {user_name}"))
            )?;
            let mut lines = Vec::new();
            for (path, value) in attributes {
                flatten(&short_path(path), value, &mut lines);
            }
            if let Some(manager) = manager {
                lines.push(("manager".to_string(), member_text(manager)));
            }
            write_rows(
                out,
                lines
                    .into_iter()
                    .map(|(path, value)| (style.create("+"), path, value))
                    .collect(),
            )
        }
        Change::UpdateUser {
            id,
            user_name,
            attributes,
            manager,
        } => {
            writeln!(
                out,
                "  {} {}  (id {id})",
                style.update("~"),
                style.bold(&format!("user {user_name}"))
            )?;
            let mut rows = attribute_rows(attributes, style);
            if let Some(change) = manager {
                rows.push(match &change.old {
                    None => (
                        style.create("+"),
                        "manager".to_string(),
                        member_text(&change.new),
                    ),
                    Some(old) => (
                        style.update("~"),
                        "manager".to_string(),
                        format!("{} -> {}", member_text(old), member_text(&change.new)),
                    ),
                });
            }
            write_rows(out, rows)
        }
        Change::CreateGroup {
            display_name,
            external_id,
            members,
        } => {
            writeln!(
                out,
                "  {} {}",
                style.create("+"),
                style.bold(&format!("group {display_name}"))
            )?;
            if let Some(external_id) = external_id {
                write_rows(
                    out,
                    vec![(
                        style.create("+"),
                        "externalId".to_string(),
                        scalar(&Value::String(external_id.clone())),
                    )],
                )?;
            }
            for member in members {
                writeln!(
                    out,
                    "      {} member {}",
                    style.create("+"),
                    member_text(member)
                )?;
            }
            if members.is_empty() {
                writeln!(out, "      (no members)")?;
            }
            Ok(())
        }
        Change::UpdateGroup {
            id,
            display_name,
            attributes,
            add_members,
            remove_members,
        } => {
            writeln!(
                out,
                "  {} {}  (id {id})",
                style.update("~"),
                style.bold(&format!("group {display_name}"))
            )?;
            write_rows(out, attribute_rows(attributes, style))?;
            for member in add_members {
                writeln!(
                    out,
                    "      {} member {}",
                    style.create("+"),
                    member_text(member)
                )?;
            }
            for member in remove_members {
                writeln!(
                    out,
                    "      {} member {}",
                    style.destroy("-"),
                    member_text(member)
                )?;
            }
            Ok(())
        }
    }
}

/// Rows `symbol path = value`, with the `=` aligned within the block.
fn write_rows(out: &mut dyn Write, rows: Vec<(String, String, String)>) -> io::Result<()> {
    let width = rows
        .iter()
        .map(|(_, path, _)| path.chars().count())
        .max()
        .unwrap_or(0);
    for (symbol, path, value) in rows {
        writeln!(out, "      {symbol} {path:<width$} = {value}")?;
    }
    Ok(())
}

/// Update rows: one per changed leaf (`name.givenName`), `old -> new`.
fn attribute_rows(changes: &[AttributeChange], style: Style) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for change in changes {
        match (&change.old, &change.new) {
            (old, Value::Object(new)) => {
                let empty = Map::new();
                let old = old.as_ref().and_then(Value::as_object).unwrap_or(&empty);
                for (key, value) in new {
                    let before = attribute(old, key);
                    if before == Some(value) {
                        continue;
                    }
                    let path = format!("{}.{key}", short_path(&change.path));
                    rows.push(match before {
                        None => (style.create("+"), path, scalar(value)),
                        Some(before) => (
                            style.update("~"),
                            path,
                            format!("{} -> {}", scalar(before), scalar(value)),
                        ),
                    });
                }
            }
            (None, new) => rows.push((style.create("+"), short_path(&change.path), scalar(new))),
            (Some(old), new) => rows.push((
                style.update("~"),
                short_path(&change.path),
                format!("{} -> {}", scalar(old), scalar(new)),
            )),
        }
    }
    rows
}

/// How an attribute path is shown: the enterprise extension as `enterprise`, other
/// extension URNs as written.
fn short_path(path: &str) -> String {
    match path.strip_prefix(crate::plan::ENTERPRISE_USER) {
        Some(rest) => format!("enterprise{}", rest.replacen(':', ".", 1)),
        None => path.to_string(),
    }
}

/// Leaf rows of a declared value: `name.givenName`, `emails`.
fn flatten(path: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(&format!("{path}.{key}"), value, rows);
            }
        }
        _ => rows.push((path.to_string(), scalar(value))),
    }
}

/// A value on one line: strings quoted, lists of emails as `[a@x (work, primary)]`.
fn scalar(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(multi_value_entry).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

fn multi_value_entry(entry: &Value) -> String {
    let Some(object) = entry.as_object() else {
        return entry.to_string();
    };
    let Some(value) = attribute(object, "value").and_then(Value::as_str) else {
        return entry.to_string();
    };
    let mut tags = Vec::new();
    if let Some(kind) = attribute(object, "type").and_then(Value::as_str) {
        tags.push(kind.to_string());
    }
    if attribute(object, "primary").and_then(as_bool) == Some(true) {
        tags.push("primary".to_string());
    }
    if tags.is_empty() {
        value.to_string()
    } else {
        format!("{value} ({})", tags.join(", "))
    }
}

fn member_text(member: &MemberRef) -> String {
    let kind = match member.r#type {
        MemberType::User => "",
        MemberType::Group => "group:",
    };
    match (&member.name, &member.id) {
        (Some(name), Some(_)) => format!("{kind}{name}"),
        (Some(name), None) => format!("{kind}{name}  (created by this plan)"),
        (None, Some(id)) => format!("id {id}  (matches no user or group in the directory)"),
        (None, None) => "(unknown member)".to_string(),
    }
}
