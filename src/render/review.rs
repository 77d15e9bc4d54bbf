//! The access review: a plan read per person — which groups each one joins and leaves
//! (privileged ones marked), what happens to their account, which of their attributes
//! change — sorted by person. This is what an approver of an access change asks.
//!
//! Computed from the `Plan` alone (it reads the same changes the other renderers read)
//! and rendered as text here; the Markdown renderer reuses [`review`]. Pure.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::breakdown::short_path;
use super::style::Style;
use super::text::safe;
use crate::config::fold_name;
use crate::plan::{Action, Change, MemberRef, MemberType, Plan, ResourceType};

/// One person's part of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonAccess {
    /// The userName, as the plan names it.
    pub name: String,
    /// What happens to the account, in words (`created`, `deactivated`, …).
    pub account: Vec<String>,
    /// Groups joined: (name, privileged).
    pub joins: Vec<(String, bool)>,
    /// Groups left.
    pub leaves: Vec<(String, bool)>,
    /// Attributes that change (paths).
    pub attributes: Vec<String>,
}

/// Group memberships of groups (nested groups) that change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NestedChange {
    pub group: String,
    pub parent: String,
    pub privileged: bool,
    pub joins: bool,
}

/// The whole review.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessReview {
    pub people: Vec<PersonAccess>,
    pub nested: Vec<NestedChange>,
}

fn entry<'p>(
    people: &'p mut BTreeMap<(String, String), PersonAccess>,
    name: &str,
) -> &'p mut PersonAccess {
    people
        .entry((fold_name(name).into_owned(), name.to_string()))
        .or_insert_with(|| PersonAccess {
            name: name.to_string(),
            ..PersonAccess::default()
        })
}

/// The access review of a plan.
pub fn review(plan: &Plan) -> AccessReview {
    let mut people: BTreeMap<(String, String), PersonAccess> = BTreeMap::new();
    let mut nested = Vec::new();
    for change in &plan.changes {
        match change.resource {
            ResourceType::User => {
                let person = entry(&mut people, &change.name);
                if let Some(account) = account_words(change, plan) {
                    person.account.push(account);
                }
                for attribute in &change.attributes {
                    if matches!(change.action, Action::Create | Action::Link)
                        || attribute.path == "active"
                        || attribute.path == "userName"
                    {
                        continue;
                    }
                    person.attributes.push(short_path(&attribute.path));
                }
                if change.manager.is_some()
                    && !matches!(change.action, Action::Create | Action::Link)
                {
                    person.attributes.push("manager".to_string());
                }
            }
            ResourceType::Group => {
                let group = &change.name;
                let privileged = change.privileged;
                let mut record = |member: &MemberRef, joins: bool| match member.r#type {
                    MemberType::User => {
                        let Some(name) = member.name.as_deref() else {
                            return;
                        };
                        let person = entry(&mut people, name);
                        let list = if joins {
                            &mut person.joins
                        } else {
                            &mut person.leaves
                        };
                        list.push((group.clone(), privileged));
                    }
                    MemberType::Group => nested.push(NestedChange {
                        group: member.name.as_deref().map_or_else(
                            || format!("id {}", member.id.as_deref().unwrap_or("?")),
                            str::to_string,
                        ),
                        parent: group.clone(),
                        privileged,
                        joins,
                    }),
                };
                for member in &change.members.add {
                    record(member, true);
                }
                for member in &change.members.remove {
                    record(member, false);
                }
            }
        }
    }
    nested.sort_by(|a, b| (&a.parent, &a.group).cmp(&(&b.parent, &b.group)));
    AccessReview {
        people: people.into_values().collect(),
        nested,
    }
}

/// What a user change does to the account, in words.
fn account_words(change: &Change, plan: &Plan) -> Option<String> {
    Some(match change.action {
        Action::Create => "account created".to_string(),
        Action::Link => format!(
            "existing Atlassian account {} joins the SCIM directory",
            change
                .linked_account
                .as_ref()
                .map_or("?", |a| a.account_id.as_str())
        ),
        Action::Adopt => format!(
            "existing account {} becomes this user",
            change
                .attribute("userName")
                .and_then(|a| a.old.as_ref())
                .and_then(|v| v.as_str())
                .map_or_else(
                    || format!("(id {})", change.id.as_deref().unwrap_or("?")),
                    |old| format!("`{old}`")
                )
        ),
        Action::Rename => format!(
            "renamed from `{}`",
            change
                .attribute("userName")
                .and_then(|a| a.old.as_ref())
                .and_then(|v| v.as_str())
                .unwrap_or("?")
        ),
        Action::Deactivate => "account deactivated".to_string(),
        Action::Reactivate => "account reactivated".to_string(),
        Action::Delete => format!(
            "account deleted ({})",
            crate::plan::delete_effect(plan.target.capabilities.user_delete)
        ),
        Action::Update | Action::Replace => return None,
    })
}

/// Write the review as text.
pub fn render_review(plan: &Plan, out: &mut dyn Write, style: Style) -> io::Result<()> {
    let review = review(plan);
    writeln!(
        out,
        "{}",
        style.bold("Access review: what each person gains and loses")
    )?;
    writeln!(out)?;
    if review.people.is_empty() && review.nested.is_empty() {
        writeln!(out, "  Nobody's access changes.")?;
        writeln!(out)?;
        return Ok(());
    }
    for person in &review.people {
        writeln!(out, "  {}", style.bold(&safe(&person.name)))?;
        for account in &person.account {
            writeln!(out, "      {}", safe(account))?;
        }
        for (group, privileged) in &person.joins {
            writeln!(
                out,
                "    {} joins {}{}",
                style.create("+"),
                safe(group),
                if *privileged { "  (privileged)" } else { "" }
            )?;
        }
        for (group, privileged) in &person.leaves {
            writeln!(
                out,
                "    {} leaves {}{}",
                style.destroy("-"),
                safe(group),
                if *privileged { "  (privileged)" } else { "" }
            )?;
        }
        if !person.attributes.is_empty() {
            writeln!(
                out,
                "    {} {}: {}",
                style.update("~"),
                if person.attributes.len() == 1 {
                    "attribute"
                } else {
                    "attributes"
                },
                person.attributes.join(", ")
            )?;
        }
    }
    if !review.nested.is_empty() {
        writeln!(out)?;
        writeln!(out, "  {}", style.bold("Groups in groups"))?;
        for nested in &review.nested {
            writeln!(
                out,
                "    {} group {} {} {}{}",
                if nested.joins {
                    style.create("+")
                } else {
                    style.destroy("-")
                },
                safe(&nested.group),
                if nested.joins { "joins" } else { "leaves" },
                safe(&nested.parent),
                if nested.privileged {
                    "  (privileged)"
                } else {
                    ""
                }
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}
