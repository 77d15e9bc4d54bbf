//! `export --atlassian-unsynced`: the managed Atlassian accounts outside the SCIM
//! directory (the people SAML just-in-time provisioning created) as users to declare —
//! userName and email the account's email, displayName its name — in a configuration
//! directory that validates as it is, ready to move into the real one. Declaring them is
//! how a whole organisation is adopted: the next plan links each account.
//!
//! Builds the files only; writing them is `write`'s.

use std::fmt::Write as _;

use super::{Export, ExportTarget, ExportedFile};
use crate::plan::UnsyncedAccount;

/// The files for `accounts`.
pub fn unsynced_users(accounts: &[UnsyncedAccount], target: &ExportTarget, org_id: &str) -> Export {
    let mut root = String::new();
    let _ = writeln!(
        root,
        "# Managed Atlassian accounts of organisation {} that are outside the SCIM directory\n# (written by `scimform export --atlassian-unsynced`). Move the people to keep into your\n# configuration: the next plan links each one to its existing account.\n",
        quoted_comment(org_id)
    );
    let _ = writeln!(
        root,
        "target:\n  url: {}\n  profile: {}\n  token_env: {}\n  atlassian:\n    org_id: {}\n",
        yaml(&target.url),
        yaml(&target.profile),
        yaml(&target.token_env),
        yaml(org_id)
    );
    root.push_str("include:\n  - users/*.yaml\n");
    let mut users = String::from("users:\n");
    if accounts.is_empty() {
        users = "users: []\n".to_string();
    }
    for account in accounts {
        let _ = writeln!(
            users,
            "  - userName: {}\n    email: {}",
            yaml(&account.email),
            yaml(&account.email)
        );
        if !account.name.trim().is_empty() {
            let _ = writeln!(users, "    displayName: {}", yaml(&account.name));
        }
        let _ = writeln!(
            users,
            "    # Atlassian account {}",
            quoted_comment(&account.account_id)
        );
    }
    Export {
        files: vec![
            ExportedFile {
                path: "scimform.yaml".to_string(),
                text: root,
            },
            ExportedFile {
                path: "users/atlassian-unsynced.yaml".to_string(),
                text: users,
            },
        ],
        chunked: false,
        warnings: Vec::new(),
    }
}

/// A YAML scalar that reads back as exactly `text`: a JSON string (JSON strings are
/// YAML double-quoted scalars).
fn yaml(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Text for a comment: one line, no control characters.
fn quoted_comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accounts_become_users_that_load() {
        let accounts = vec![
            UnsyncedAccount {
                account_id: "5b10".into(),
                email: "a@acme.test".into(),
                name: "Ann \"The\" Lee".into(),
            },
            UnsyncedAccount {
                account_id: "5b11".into(),
                email: "b@acme.test".into(),
                name: String::new(),
            },
        ];
        let target = ExportTarget {
            url: "https://api.atlassian.com/scim/directory/d1".into(),
            profile: "atlassian".into(),
            token_env: "SCIMFORM_TOKEN".into(),
        };
        let export = unsynced_users(&accounts, &target, "org-1");
        let files: Vec<(&str, &str)> = export
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        let declared = crate::config::load_files("out", &files).expect("the export loads");
        assert_eq!(declared.users.len(), 2);
        assert_eq!(&*declared.users[0].user_name, "a@acme.test");
        assert_eq!(
            declared.users[0].attributes.to_map()["displayName"],
            serde_json::json!("Ann \"The\" Lee")
        );
        assert_eq!(
            declared
                .target
                .atlassian
                .as_ref()
                .map(|a| a.org_id.as_str()),
            Some("org-1")
        );
    }
}
