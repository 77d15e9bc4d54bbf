//! One shared breakdown of a change into what a reader sees: a symbol, a heading, tags,
//! and rows (attributes, manager, members), every piece of text already made safe. The
//! human and Markdown renderers and the access review all read changes through it, so
//! they cannot disagree about what a plan does.
//!
//! Pure; it only reads a `Change`.

use serde_json::{Map, Value};

use super::text::{StringChange, safe, scalar, string_change};
use crate::config::PackedValue;
use crate::plan::{Action, AttributeChange, Change, ENTERPRISE_USER, MemberRef, MemberType, Plan};
use crate::scim::attribute;

/// The sign of a row or a change: what happens to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Add,
    Change,
    Remove,
    /// Stays as it is (a replace's carried-over members).
    Keep,
    /// Delete, then create (a replace).
    Replace,
}

impl Sign {
    pub fn symbol(self) -> &'static str {
        match self {
            Sign::Add => "+",
            Sign::Change => "~",
            Sign::Remove => "-",
            Sign::Keep => " ",
            Sign::Replace => "-/+",
        }
    }
}

/// The value part of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowValue {
    /// A value (added, or removed).
    Set(String),
    /// `old -> new`.
    Changed { old: String, new: String },
    /// A long string, with the changed words marked `[-old-]{+new+}`.
    Words(String),
    /// A multi-line string, line by line.
    Lines(Vec<(char, String)>),
}

/// One row under a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// `name.givenName = "Ann"`, `title = "A" -> "B"`.
    Attribute {
        sign: Sign,
        path: String,
        value: RowValue,
    },
    /// `member alice@acme.test`.
    Member { sign: Sign, text: String },
}

/// A change as a reader sees it.
#[derive(Clone, Debug)]
pub struct View<'a> {
    pub change: &'a Change,
    pub sign: Sign,
    /// `user alice@acme.test`, safe.
    pub address: String,
    /// The live id, safe.
    pub id: Option<String>,
    /// For a link: `→ existing Atlassian account ID (name, status)`, safe.
    pub links_to: Option<String>,
    /// `privileged`, `protected`.
    pub tags: Vec<&'static str>,
    /// `will be created`, `will be deleted`, …
    pub verb: &'static str,
    /// Why, safe.
    pub reason: String,
    pub rows: Vec<Row>,
}

/// The sign of a change as a whole.
pub fn sign_of(change: &Change) -> Sign {
    match change.action {
        Action::Create | Action::Link => Sign::Add,
        Action::Update | Action::Adopt | Action::Rename | Action::Reactivate => Sign::Change,
        Action::Deactivate | Action::Delete => Sign::Remove,
        Action::Replace => Sign::Replace,
    }
}

/// `will be created`, …
pub fn verb_of(action: Action) -> &'static str {
    match action {
        Action::Create => "will be created",
        Action::Link => "will be linked to an existing Atlassian account",
        Action::Adopt => "will be adopted",
        Action::Update => "will be updated in place",
        Action::Rename => "will be renamed",
        Action::Replace => "will be replaced",
        Action::Deactivate => "will be deactivated",
        Action::Reactivate => "will be reactivated",
        Action::Delete => "will be deleted",
    }
}

/// The breakdown of one change. `members_shown` caps the member rows of each sign
/// (`None`: all); the rest are summed up in one row.
pub fn view(change: &Change, members_shown: Option<usize>) -> View<'_> {
    let mut tags = Vec::new();
    if change.privileged {
        tags.push("privileged");
    }
    if change.protected {
        tags.push("protected");
    }
    let mut rows = Vec::new();
    if matches!(change.action, Action::Create | Action::Link) {
        for attribute in &change.attributes {
            let mut leaves = Vec::new();
            flatten(
                &short_path(&attribute.path),
                &attribute.new.to_value(),
                &mut leaves,
            );
            rows.extend(leaves.into_iter().map(|(path, value)| Row::Attribute {
                sign: Sign::Add,
                path,
                value: RowValue::Set(value),
            }));
        }
    } else {
        rows.extend(attribute_rows(&change.attributes));
    }
    if let Some(manager) = &change.manager {
        rows.push(match &manager.old {
            None => Row::Attribute {
                sign: Sign::Add,
                path: "manager".to_string(),
                value: RowValue::Set(member_text(&manager.new)),
            },
            Some(old) => Row::Attribute {
                sign: Sign::Change,
                path: "manager".to_string(),
                value: RowValue::Changed {
                    old: member_text(old),
                    new: member_text(&manager.new),
                },
            },
        });
    }
    member_rows(&change.members.keep, Sign::Keep, members_shown, &mut rows);
    member_rows(&change.members.add, Sign::Add, members_shown, &mut rows);
    member_rows(
        &change.members.remove,
        Sign::Remove,
        members_shown,
        &mut rows,
    );
    View {
        change,
        sign: sign_of(change),
        address: safe(&change.address).into_owned(),
        id: change.id.as_deref().map(|id| safe(id).into_owned()),
        links_to: change.linked_account.as_ref().map(|a| {
            safe(&format!(
                "→ existing Atlassian account {} ({}, {})",
                a.account_id, a.name, a.status
            ))
            .into_owned()
        }),
        tags,
        verb: verb_of(change.action),
        reason: safe(&change.reason).into_owned(),
        rows,
    }
}

fn member_rows(members: &[MemberRef], sign: Sign, shown: Option<usize>, rows: &mut Vec<Row>) {
    let limit = shown.unwrap_or(usize::MAX);
    for member in members.iter().take(limit) {
        rows.push(Row::Member {
            sign,
            text: member_text(member),
        });
    }
    if members.len() > limit {
        let rest = members.len() - limit;
        let what = match sign {
            Sign::Add => "added",
            Sign::Remove => "removed",
            _ => "kept",
        };
        rows.push(Row::Member {
            sign,
            text: format!(
                "… and {rest} more member{} {what} (-v shows all; the plan file lists every one)",
                if rest == 1 { "" } else { "s" }
            ),
        });
    }
}

/// Update rows: one per changed leaf (`name.givenName`), `old -> new`.
fn attribute_rows(changes: &[AttributeChange]) -> Vec<Row> {
    let mut rows = Vec::new();
    for change in changes {
        let old = change.old.as_ref().map(PackedValue::to_value);
        match (&old, &change.new.to_value()) {
            (old, Value::Object(new)) => {
                let empty = Map::new();
                let old = old.as_ref().and_then(Value::as_object).unwrap_or(&empty);
                for (key, value) in new {
                    let before = attribute(old, key);
                    if before == Some(value) {
                        continue;
                    }
                    let path = format!("{}.{}", short_path(&change.path), safe(key));
                    rows.push(changed_row(path, before, value));
                }
            }
            (old, new) => rows.push(changed_row(short_path(&change.path), old.as_ref(), new)),
        }
    }
    rows
}

fn changed_row(path: String, old: Option<&Value>, new: &Value) -> Row {
    let Some(old) = old else {
        return Row::Attribute {
            sign: Sign::Add,
            path,
            value: RowValue::Set(scalar(new)),
        };
    };
    let value = match (old, new) {
        (Value::String(o), Value::String(n)) => match string_change(o, n) {
            StringChange::Short => RowValue::Changed {
                old: scalar(old),
                new: scalar(new),
            },
            StringChange::Words(words) => RowValue::Words(words),
            StringChange::Lines(lines) => RowValue::Lines(lines),
        },
        _ => RowValue::Changed {
            old: scalar(old),
            new: scalar(new),
        },
    };
    Row::Attribute {
        sign: Sign::Change,
        path,
        value,
    }
}

/// How an attribute path is shown: the enterprise extension as `enterprise`, other
/// extension URNs as written; safe.
pub fn short_path(path: &str) -> String {
    let shown = match path.strip_prefix(ENTERPRISE_USER) {
        Some(rest) => format!("enterprise{}", rest.replacen(':', ".", 1)),
        None => path.to_string(),
    };
    safe(&shown).into_owned()
}

/// Leaf rows of a declared value: `name.givenName`, `emails`.
fn flatten(path: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(&format!("{path}.{}", safe(key)), value, rows);
            }
        }
        _ => rows.push((path.to_string(), scalar(value))),
    }
}

/// A member as a reader sees it, safe.
pub fn member_text(member: &MemberRef) -> String {
    let kind = match member.r#type {
        MemberType::User => "",
        MemberType::Group => "group:",
    };
    match (&member.name, &member.id) {
        (Some(name), Some(_)) => format!("{kind}{}", safe(name)),
        (Some(name), None) => format!("{kind}{}  (created by this plan)", safe(name)),
        (None, Some(id)) => format!(
            "id {}  (matches no user or group in the directory)",
            safe(id)
        ),
        (None, None) => "(unknown member)".to_string(),
    }
}

/// The summary line: `Plan: 3 to create, 1 to adopt, 2 to update, 1 to replace,
/// 2 to deactivate, 0 to delete; 14 membership changes (5 removals).`
pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let memberships = s.member_adds + s.member_removals;
    let link = if s.link > 0 {
        format!(", {} to link", s.link)
    } else {
        String::new()
    };
    format!(
        "{} to create{link}, {} to adopt, {} to update, {} to replace, {} to deactivate, {} to delete; {} ({}).",
        s.create,
        s.adopt,
        s.update,
        s.replace,
        s.deactivate,
        s.delete,
        count(memberships, "membership change"),
        count(s.member_removals, "removal"),
    )
}

/// `1 user`, `3 users`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
