//! Atlassian in the plan: what creating a SCIM user does to existing accounts.
//!
//! Atlassian links a new SCIM user to the managed account that has its email (SAML
//! just-in-time accounts are managed but outside the SCIM directory). With the
//! organisation's snapshot, each user create is decided: a **link** of that account; an
//! error when the email is already linked to a SCIM record in another directory (the
//! create would fail) or to a record in this directory under another name (it should be
//! adopted instead); a note for a stale link (a record without an account), whose create
//! would fail with 409. The accounts left outside the directory that no file declares are
//! listed for the reviewer. Without the snapshot, on the atlassian profile, every create
//! says that an existing account with its email would be linked. Pure.

use std::collections::HashSet;

use super::change::{Action, Change, LinkedAccount, ResourceType};
use super::matching::MatchError;
use super::model::{AtlassianReport, Note, NoteKind, UnsyncedAccount};
use crate::atlassian::{OrgSnapshot, linked_account_of};
use crate::config::DeclaredUser;
use crate::config::fold_name;
use crate::live::Live;

/// Decide each user create against the organisation.
pub(crate) fn decide_creates(
    creates: &mut [Change],
    users: &[&DeclaredUser],
    org: &OrgSnapshot,
    notes: &mut Vec<Note>,
    errors: &mut Vec<MatchError>,
) {
    for change in creates.iter_mut() {
        let Some(user) = users.iter().find(|u| *u.user_name == *change.name) else {
            continue;
        };
        let Some(email) = super::matching::declared_primary_email(user) else {
            continue;
        };
        let links = org.links(&email);
        if let Some(here) = links
            .iter()
            .find(|l| l.account_id.is_some() && l.directory_id == org.directory_id)
        {
            errors.push(MatchError::LinkedHere {
                user: change.name.clone(),
                origin: user.origin.to_string(),
                email: email.clone(),
                scim_user_id: here.scim_user_id.clone(),
            });
            continue;
        }
        if let Some(elsewhere) = links
            .iter()
            .find(|l| l.account_id.is_some() && l.directory_id != org.directory_id)
        {
            errors.push(MatchError::LinkedElsewhere {
                user: change.name.clone(),
                origin: user.origin.to_string(),
                email: email.clone(),
                directory_id: elsewhere.directory_id.clone(),
            });
            continue;
        }
        if links.iter().any(|l| l.account_id.is_none()) {
            notes.push(Note {
                kind: NoteKind::StaleAtlassianLink,
                subject: change.address.clone(),
                message: format!(
                    "`{email}` has a SCIM record linked to no account (a stale record): creating `{}` will fail with 409 until it is removed (Atlassian's onlyDeleteUserInDB, or support)",
                    change.name
                ),
            });
        }
        if let Some(account) = org.account(&email) {
            change.action = Action::Link;
            change.reason = format!(
                "declared, and not in the SCIM directory; the managed Atlassian account {} ({}, {}) has the email `{email}`: creating the SCIM user links it, and its profile then follows the files",
                account.account_id, account.name, account.status
            );
            change.linked_account = Some(Box::new(LinkedAccount {
                account_id: account.account_id.clone(),
                name: account.name.clone(),
                status: account.status.clone(),
            }));
        } else {
            change.reason = format!(
                "declared, and not in the directory; no managed Atlassian account has the email `{email}`, so a new account is created"
            );
        }
    }
}

/// Without the organisation: say on every user create what Atlassian does with an
/// existing account that has its email.
pub(crate) fn explain_creates(creates: &mut [Change], notes: &mut Vec<Note>) {
    let mut any = false;
    for change in creates
        .iter_mut()
        .filter(|c| c.resource == ResourceType::User && c.action == Action::Create)
    {
        any = true;
        change.reason.push_str(
            "; if an Atlassian account already has this email, it is linked to the new SCIM user (set target.atlassian to see which)",
        );
    }
    if any {
        notes.push(Note {
            kind: NoteKind::AtlassianLinking,
            subject: "atlassian".to_string(),
            message: "on Atlassian, creating a SCIM user links the existing account with the same email (its profile then follows the files); set target.atlassian (organisation id and API key) to see in the plan which accounts are linked".to_string(),
        });
    }
}

/// The report: the organisation, and its active managed accounts in verified domains that
/// are outside this SCIM directory and that no file declares.
pub(crate) fn report(
    org: &OrgSnapshot,
    live: &Live,
    users: &[&DeclaredUser],
    changes: &[Change],
) -> AtlassianReport {
    let linked_here: HashSet<String> = live
        .users
        .iter()
        .filter_map(|u| linked_account_of(&u.resource()).map(str::to_string))
        .chain(
            org.links
                .values()
                .flatten()
                .filter(|l| l.directory_id == org.directory_id)
                .filter_map(|l| l.account_id.clone()),
        )
        .collect();
    let mut declared: HashSet<String> = HashSet::new();
    for user in users {
        declared.insert(fold_name(&user.user_name).into_owned());
        declared.extend(user.emails().map(|e| fold_name(e).into_owned()));
    }
    let linking: HashSet<&str> = changes
        .iter()
        .filter_map(|c| c.linked_account.as_ref())
        .map(|a| a.account_id.as_str())
        .collect();
    let live_names: HashSet<String> = live
        .users
        .iter()
        .map(|u| fold_name(&u.user_name).into_owned())
        .collect();
    let unsynced = org
        .accounts
        .values()
        .filter(|a| a.status == "active")
        .filter(|a| !linked_here.contains(&a.account_id))
        .filter(|a| !linking.contains(a.account_id.as_str()))
        .filter(|a| !declared.contains(fold_name(&a.email).as_ref()))
        .filter(|a| !live_names.contains(fold_name(&a.email).as_ref()))
        .map(|a| UnsyncedAccount {
            account_id: a.account_id.clone(),
            email: a.email.clone(),
            name: a.name.clone(),
        })
        .collect();
    AtlassianReport {
        org_id: org.org_id.clone(),
        directory_id: org.directory_id.clone(),
        verified_domains: org.verified_domains.clone(),
        unsynced,
        links_checked: org.links_complete,
    }
}
