//! Limiting a plan to some objects: `--target user:NAME|group:NAME` keeps only the
//! changes of the named objects and the creates they need (a user created for a group
//! that is targeted, a manager created for a targeted user, a nested group created for
//! its parent); `--exclude` drops the changes of the named objects and every membership
//! change that involves them. A limited plan never deletes or deactivates anything
//! outside its scope, and its guards count only what it keeps. Pure.

use std::collections::HashMap;
use std::fmt;

use super::change::{Action, Change, MemberRef, MemberType, ResourceType};
use super::model::{Note, NoteKind, Scope};
use crate::config::fold_name;

/// One `KIND:NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub resource: ResourceType,
    /// Lower-cased.
    pub name: String,
}

/// A `--target`/`--exclude` value that is not `user:NAME` or `group:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` does not name an object: write user:NAME or group:NAME",
            self.0
        )
    }
}

impl std::error::Error for SelectorError {}

impl miette::Diagnostic for SelectorError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("plan::scope"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "e.g. --target group:engineering --exclude user:alice@acme.test",
        ))
    }
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let (kind, name) = text
            .split_once(':')
            .ok_or_else(|| SelectorError(text.to_string()))?;
        let resource = match kind.trim().to_ascii_lowercase().as_str() {
            "user" => ResourceType::User,
            "group" => ResourceType::Group,
            _ => return Err(SelectorError(text.to_string())),
        };
        if name.is_empty() {
            return Err(SelectorError(text.to_string()));
        }
        Ok(Selector {
            resource,
            name: fold_name(name).into_owned(),
        })
    }

    fn matches(&self, change: &Change) -> bool {
        change.resource == self.resource
            && (fold_name(&change.name) == self.name
                || former_name(change).is_some_and(|n| fold_name(n) == self.name))
    }

    fn names(&self, member: &MemberRef) -> bool {
        let kind = match self.resource {
            ResourceType::User => MemberType::User,
            ResourceType::Group => MemberType::Group,
        };
        member.r#type == kind
            && member
                .name
                .as_ref()
                .is_some_and(|n| fold_name(n) == self.name)
    }
}

/// The live name a rename, adoption or replace starts from.
fn former_name(change: &Change) -> Option<&str> {
    let path = match change.resource {
        ResourceType::User => "userName",
        ResourceType::Group => "displayName",
    };
    change
        .attribute(path)
        .and_then(|a| a.old.as_ref())
        .and_then(|v| v.as_str())
}

/// Parse every selector of a scope (for the CLI, before anything is read).
pub fn check(scope: &Scope) -> Result<(), SelectorError> {
    for text in scope.targets.iter().chain(&scope.excludes) {
        Selector::parse(text)?;
    }
    Ok(())
}

/// The changes within `scope`, with a note for each selector that matches nothing.
pub(crate) fn limit(changes: Vec<Change>, scope: &Scope, notes: &mut Vec<Note>) -> Vec<Change> {
    let parse = |list: &[String]| -> Vec<Selector> {
        list.iter()
            .filter_map(|t| Selector::parse(t).ok())
            .collect()
    };
    let targets = parse(&scope.targets);
    let excludes = parse(&scope.excludes);
    for (text, selector) in scope
        .targets
        .iter()
        .chain(&scope.excludes)
        .zip(targets.iter().chain(&excludes))
    {
        if !changes.iter().any(|c| selector.matches(c)) {
            notes.push(Note {
                kind: NoteKind::ScopeMatchesNothing,
                subject: text.clone(),
                message: format!("`{text}` matches no change of this plan"),
            });
        }
    }
    // Objects this plan creates, by (type, lower-cased name).
    let created: HashMap<(MemberType, String), usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(c.action, Action::Create | Action::Link)
                || (c.action == Action::Replace && c.resource == ResourceType::Group)
        })
        .map(|(i, c)| {
            let kind = match c.resource {
                ResourceType::User => MemberType::User,
                ResourceType::Group => MemberType::Group,
            };
            ((kind, fold_name(&c.name).into_owned()), i)
        })
        .collect();
    let dropped: Vec<bool> = changes
        .iter()
        .map(|c| excludes.iter().any(|s| s.matches(c)))
        .collect();
    let mut keep: Vec<bool> = if targets.is_empty() {
        vec![true; changes.len()]
    } else {
        changes
            .iter()
            .map(|c| targets.iter().any(|s| s.matches(c)))
            .collect()
    };
    // What the kept changes need: the creates of the objects they name.
    let mut stack: Vec<usize> = (0..changes.len()).filter(|i| keep[*i]).collect();
    while let Some(i) = stack.pop() {
        let change = &changes[i];
        let needs = change
            .manager
            .iter()
            .map(|m| &m.new)
            .chain(&change.members.add)
            .chain(&change.members.keep)
            .filter(|m| m.id.is_none());
        for member in needs {
            let Some(name) = &member.name else { continue };
            if let Some(&j) = created.get(&(member.r#type, fold_name(name).into_owned()))
                && !keep[j]
                && !dropped[j]
            {
                keep[j] = true;
                stack.push(j);
            }
        }
    }
    let mut kept = Vec::new();
    for (i, mut change) in changes.into_iter().enumerate() {
        if !keep[i] || dropped[i] {
            continue;
        }
        // No membership change that involves an excluded object, and none that needs an
        // object this limited plan does not create.
        let unresolvable = |m: &MemberRef| {
            m.id.is_none()
                && m.name.as_ref().is_some_and(|name| {
                    created
                        .get(&(m.r#type, fold_name(name).into_owned()))
                        .is_some_and(|j| !keep[*j] || dropped[*j])
                })
        };
        let drop = |m: &MemberRef| excludes.iter().any(|s| s.names(m)) || unresolvable(m);
        let before = change.members.add.len() + change.members.remove.len();
        change.members.add.retain(|m| !drop(m));
        change.members.remove.retain(|m| !drop(m));
        if change.manager.as_ref().is_some_and(|m| drop(&m.new)) {
            change.manager = None;
        }
        let trimmed = before != change.members.add.len() + change.members.remove.len();
        let empty = matches!(change.action, Action::Update | Action::Rename)
            && change.attributes.is_empty()
            && change.manager.is_none()
            && change.members.add.is_empty()
            && change.members.remove.is_empty();
        if trimmed && empty {
            continue;
        }
        kept.push(change);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_name_a_kind_and_a_name() {
        assert_eq!(
            Selector::parse("group:Engineering"),
            Ok(Selector {
                resource: ResourceType::Group,
                name: "engineering".into()
            })
        );
        assert_eq!(
            Selector::parse("user:a:b@x.test").map(|s| s.name),
            Ok("a:b@x.test".into())
        );
        assert!(Selector::parse("engineering").is_err());
        assert!(Selector::parse("team:x").is_err());
        assert!(Selector::parse("user:").is_err());
    }
}
