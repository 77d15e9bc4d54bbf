//! The Atlassian organisation behind `--emulate atlassian`: its verified domains, its
//! accounts (managed or not), and the SCIM links between accounts and SCIM users — in this
//! directory, in other directories of the organisation, and stale ones left without an
//! account. Seeded from `--atlassian-accounts`, kept in the data file's `atlassian`
//! section, read by the organisation API (`org_api`).
//!
//! Owns `Org`, the seed file's format and its checks, the data file's section, the account
//! search the organisation API pages through, and what the SCIM side does with the
//! organisation, as Atlassian documents it: a new user whose email is a managed account's
//! without a link is linked to that account (a verified domain's new email gets a new
//! managed account), an email with a link anywhere is refused 409, a linked user carries
//! the `atlassian-external` extension (read-only: what clients send for it is ignored),
//! `active` sets the account's status, and DELETE unlinks and deactivates. It must not do
//! HTTP, and it changes SCIM resources only through the store's own operations.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::ScimError;
use super::ids::now_rfc3339;
use super::schema::{self, Kind, USER_SCHEMA};
use super::store::Store;

/// The schema URN of Atlassian's user extension, `{"atlassianAccountId": "..."}`.
pub(crate) const EXTENSION: &str = "urn:scim:schemas:extension:atlassian-external:1.0";

/// The organisation id when the seed file names none (or there is no seed file).
pub(crate) const DEFAULT_ORG_ID: &str = "dev-org";

/// The SCIM directory id when the seed file names none (or there is no seed file).
pub(crate) const DEFAULT_DIRECTORY_ID: &str = "dev-directory";

/// An account's lifecycle state (`account_status` in the seed, `accountStatus` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccountStatus {
    #[default]
    Active,
    Inactive,
    Closed,
}

/// Whether the organisation manages the account (its email is in a claimed domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClaimStatus {
    #[default]
    Managed,
    Unmanaged,
}

/// An Atlassian account of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Account {
    #[serde(rename = "accountId")]
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(rename = "accountStatus")]
    pub status: AccountStatus,
    pub claim_status: ClaimStatus,
}

/// A SCIM link: a SCIM user (of some directory) and the account it is linked to, or, for
/// a stale record, none (then the record's email is kept here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Link {
    pub account_id: Option<String>,
    /// Only for links without an account; otherwise the account's email is the link's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub directory_id: String,
    pub scim_user_id: String,
}

/// The organisation as the data file keeps it (`atlassian`, next to `users` and `groups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OrgSnapshot {
    pub org_id: String,
    pub directory_id: String,
    pub verified_domains: Vec<String>,
    pub accounts: Vec<Account>,
    pub links: Vec<Link>,
}

/// The organisation, with its indexes.
#[derive(Debug, Clone)]
pub(crate) struct Org {
    pub id: String,
    /// This SCIM directory's id (the base path is `/scim/directory/{directory_id}`).
    pub directory_id: String,
    /// Verified domains, lower case.
    pub domains: Vec<String>,
    /// By account id: the order the search pages in.
    accounts: BTreeMap<String, Account>,
    /// Lower-cased email → account id.
    by_email: HashMap<String, String>,
    links: Vec<Link>,
    /// SCIM user id in this directory → the account it is linked to.
    ours: HashMap<String, String>,
}

impl Default for Org {
    fn default() -> Self {
        Org {
            id: DEFAULT_ORG_ID.to_owned(),
            directory_id: DEFAULT_DIRECTORY_ID.to_owned(),
            domains: Vec::new(),
            accounts: BTreeMap::new(),
            by_email: HashMap::new(),
            links: Vec::new(),
            ours: HashMap::new(),
        }
    }
}

/// What a new SCIM user does to the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkPlan {
    /// It is linked to this existing managed account.
    Existing(String),
    /// A new managed account is made for this email (in a verified domain) and linked.
    NewAccount(String),
}

/// Which accounts a search returns (`POST .../users/search`); `None` or an empty list
/// does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AccountFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_status: Option<ClaimStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_status: Option<Vec<AccountStatus>>,
}

/// `Some(lower-cased set)` for a non-empty list.
fn lower_set(list: Option<&Vec<String>>) -> Option<HashSet<String>> {
    list.filter(|l| !l.is_empty())
        .map(|l| l.iter().map(|s| s.trim().to_lowercase()).collect())
}

/// The part after the `@`, lower case.
fn domain_of(email: &str) -> Option<String> {
    email.rsplit_once('@').map(|(_, d)| d.to_lowercase())
}

/// `local@domain`: one `@`, both sides non-empty, no whitespace.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
}

/// An organisation or directory id: it goes into URL paths as it is.
fn check_path_id(what: &str, id: &str) -> Result<(), String> {
    let fine = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
    if fine && id != "." && id != ".." && id != "-" {
        Ok(())
    } else {
        Err(format!(
            "{what} {id:?} must be 1 to 128 letters, digits, `-`, `_`, `.` or `~` (it is part of URL paths)"
        ))
    }
}

/// Atlassian's account id format: `[a-zA-Z0-9_|:-]{1,128}`.
fn check_account_id(id: &str) -> Result<(), String> {
    let fine = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '|' | '-' | ':'));
    if fine {
        Ok(())
    } else {
        Err(format!(
            "account_id {id:?} must be 1 to 128 letters, digits, `_`, `|`, `-` or `:`"
        ))
    }
}

impl Org {
    /// An organisation from its parts, checked: ids well-formed and distinct, emails valid
    /// and each an account's only, domains valid and distinct, links naming existing
    /// accounts (or, without one, an email) and distinct per directory. Links to this
    /// directory with an account are allowed only when `own_links` (data files; a seed
    /// marks such accounts `synced` instead).
    fn from_parts(
        org_id: String,
        directory_id: String,
        domains: Vec<String>,
        accounts: Vec<Account>,
        links: Vec<Link>,
        own_links: bool,
    ) -> Result<Org, String> {
        check_path_id("org_id", &org_id)?;
        check_path_id("directory_id", &directory_id)?;
        let mut org = Org {
            id: org_id,
            directory_id,
            ..Org::default()
        };
        for (index, domain) in domains.into_iter().enumerate() {
            let lower = domain.trim().to_lowercase();
            let fine = !lower.is_empty()
                && !lower.contains('@')
                && !lower.chars().any(char::is_whitespace);
            if !fine {
                return Err(format!(
                    "verified_domains[{index}]: {domain:?} is not a domain name"
                ));
            }
            if org.domains.contains(&lower) {
                return Err(format!(
                    "verified_domains[{index}]: {domain:?} is listed twice"
                ));
            }
            org.domains.push(lower);
        }
        for (index, account) in accounts.into_iter().enumerate() {
            let at = format!("accounts[{index}]");
            check_account_id(&account.id).map_err(|e| format!("{at}: {e}"))?;
            if org.accounts.contains_key(&account.id) {
                return Err(format!("{at}: account_id {:?} is used twice", account.id));
            }
            if !is_email(&account.email) {
                return Err(format!(
                    "{at}: email {:?} is not an email address",
                    account.email
                ));
            }
            let lower = account.email.to_lowercase();
            if let Some(other) = org.by_email.get(&lower) {
                return Err(format!(
                    "{at}: email {:?} is already account {other:?}'s (an email belongs to one account)",
                    account.email
                ));
            }
            org.by_email.insert(lower, account.id.clone());
            org.accounts.insert(account.id.clone(), account);
        }
        let mut seen = HashSet::new();
        let mut linked_here = HashSet::new();
        for (index, mut link) in links.into_iter().enumerate() {
            let at = format!("links[{index}]");
            check_path_id("directory_id", &link.directory_id).map_err(|e| format!("{at}: {e}"))?;
            if link.scim_user_id.trim().is_empty() {
                return Err(format!("{at}: scim_user_id is empty"));
            }
            if !seen.insert((link.directory_id.clone(), link.scim_user_id.clone())) {
                return Err(format!(
                    "{at}: directory {:?} already has a link for SCIM user {:?}",
                    link.directory_id, link.scim_user_id
                ));
            }
            let own = link.directory_id == org.directory_id;
            match &link.account_id {
                Some(id) => {
                    let Some(account) = org.accounts.get(id) else {
                        return Err(format!("{at}: account_id {id:?} is not in accounts"));
                    };
                    if let Some(email) = &link.email
                        && !email.eq_ignore_ascii_case(&account.email)
                    {
                        return Err(format!(
                            "{at}: email {email:?} is not account {id:?}'s ({:?}); leave it out",
                            account.email
                        ));
                    }
                    link.email = None;
                    if own && !own_links {
                        return Err(format!(
                            "{at}: a link to this directory ({:?}) with an account: mark the account `\"synced\": true` instead",
                            org.directory_id
                        ));
                    }
                    if own {
                        if !linked_here.insert(id.clone()) {
                            return Err(format!(
                                "{at}: account {id:?} is linked twice in this directory"
                            ));
                        }
                        org.ours.insert(link.scim_user_id.clone(), id.clone());
                    }
                }
                None => match &link.email {
                    Some(email) if is_email(email) => {}
                    Some(email) => {
                        return Err(format!("{at}: email {email:?} is not an email address"));
                    }
                    None => {
                        return Err(format!(
                            "{at}: a link without an account_id (a stale one) needs an email"
                        ));
                    }
                },
            }
            org.links.push(link);
        }
        Ok(org)
    }

    /// The organisation a data file holds.
    pub(crate) fn from_snapshot(snapshot: OrgSnapshot) -> Result<Org, String> {
        Org::from_parts(
            snapshot.org_id,
            snapshot.directory_id,
            snapshot.verified_domains,
            snapshot.accounts,
            snapshot.links,
            true,
        )
    }

    /// What the data file keeps.
    pub(crate) fn snapshot(&self) -> OrgSnapshot {
        OrgSnapshot {
            org_id: self.id.clone(),
            directory_id: self.directory_id.clone(),
            verified_domains: self.domains.clone(),
            accounts: self.accounts.values().cloned().collect(),
            links: self.links.clone(),
        }
    }

    /// Whether this is the default empty organisation (the data file then leaves it out).
    pub(crate) fn is_pristine(&self) -> bool {
        self.id == DEFAULT_ORG_ID
            && self.directory_id == DEFAULT_DIRECTORY_ID
            && self.domains.is_empty()
            && self.accounts.is_empty()
            && self.links.is_empty()
    }

    /// The account a SCIM user of this directory is linked to.
    pub(crate) fn account_of(&self, scim_user_id: &str) -> Option<&str> {
        self.ours.get(scim_user_id).map(String::as_str)
    }

    /// The email a link is for: its account's, or a stale link's own.
    fn link_email<'a>(&'a self, link: &'a Link) -> Option<&'a str> {
        match &link.account_id {
            Some(id) => self.accounts.get(id).map(|a| a.email.as_str()),
            None => link.email.as_deref(),
        }
    }

    /// Every link whose email is `email` (any case), in any directory.
    pub(crate) fn links_for_email(&self, email: &str) -> Vec<&Link> {
        let email = email.trim();
        self.links
            .iter()
            .filter(|l| {
                self.link_email(l)
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .collect()
    }

    /// Every link of the account `account_id`, in any directory.
    pub(crate) fn links_for_account(&self, account_id: &str) -> Vec<&Link> {
        self.links
            .iter()
            .filter(|l| l.account_id.as_deref() == Some(account_id))
            .collect()
    }

    /// The ids of the accounts with a link in some directory.
    pub(crate) fn linked_accounts(&self) -> HashSet<&str> {
        self.links
            .iter()
            .filter_map(|l| l.account_id.as_deref())
            .collect()
    }

    /// One page of the accounts `filter` selects, in account id order, starting after
    /// `after`; with the id to continue after when there are more.
    pub(crate) fn search(
        &self,
        filter: &AccountFilter,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<&Account>, Option<String>) {
        let domains = lower_set(filter.email_domains.as_ref());
        let emails = lower_set(filter.emails.as_ref());
        let statuses = filter.account_status.as_ref().filter(|s| !s.is_empty());
        let start = after.map_or(Bound::Unbounded, |a| Bound::Excluded(a.to_owned()));
        let mut matches = self
            .accounts
            .range((start, Bound::Unbounded))
            .map(|(_, account)| account)
            .filter(|a| filter.claim_status.is_none_or(|c| a.claim_status == c))
            .filter(|a| statuses.is_none_or(|s| s.contains(&a.status)))
            .filter(|a| {
                domains
                    .as_ref()
                    .is_none_or(|d| domain_of(&a.email).is_some_and(|x| d.contains(&x)))
            })
            .filter(|a| {
                emails
                    .as_ref()
                    .is_none_or(|e| e.contains(&a.email.to_lowercase()))
            });
        let page: Vec<&Account> = matches.by_ref().take(limit).collect();
        let next = match (matches.next(), page.last()) {
            (Some(_), Some(last)) => Some(last.id.clone()),
            _ => None,
        };
        (page, next)
    }

    /// What creating a SCIM user with `email` does to the organisation: 409 when the
    /// email has a link in any directory (a stale one too); else a link to the managed
    /// account with that email; else, in a verified domain, a new managed account. An
    /// email with an unmanaged account, outside the verified domains, or no email at all:
    /// nothing (`None`).
    pub(crate) fn plan_link(&self, email: Option<&str>) -> Result<Option<LinkPlan>, ScimError> {
        let Some(email) = email else {
            return Ok(None);
        };
        if !self.links_for_email(email).is_empty() {
            return Err(ScimError::uniqueness(format!(
                "Resource [USER]: with email[{email}] already exists."
            )));
        }
        if let Some(id) = self.by_email.get(&email.to_lowercase()) {
            let managed = self
                .accounts
                .get(id)
                .is_some_and(|a| a.claim_status == ClaimStatus::Managed);
            return Ok(managed.then(|| LinkPlan::Existing(id.clone())));
        }
        let verified =
            is_email(email) && domain_of(email).is_some_and(|d| self.domains.contains(&d));
        Ok(verified.then(|| LinkPlan::NewAccount(email.to_owned())))
    }

    /// Adds an account (whose id and email are new).
    fn add_account(&mut self, account: Account) {
        self.by_email
            .insert(account.email.to_lowercase(), account.id.clone());
        self.accounts.insert(account.id.clone(), account);
    }

    /// Links the SCIM user `scim_user_id` of this directory to `account_id`.
    fn link(&mut self, account_id: &str, scim_user_id: &str) {
        self.links.push(Link {
            account_id: Some(account_id.to_owned()),
            email: None,
            directory_id: self.directory_id.clone(),
            scim_user_id: scim_user_id.to_owned(),
        });
        self.ours
            .insert(scim_user_id.to_owned(), account_id.to_owned());
    }

    /// Sets the status of the account the SCIM user is linked to (a closed account stays
    /// closed).
    fn set_status_of(&mut self, scim_user_id: &str, status: AccountStatus) {
        let Some(id) = self.ours.get(scim_user_id) else {
            return;
        };
        if let Some(account) = self.accounts.get_mut(id)
            && account.status != AccountStatus::Closed
        {
            account.status = status;
        }
    }

    /// A SCIM user of this directory is gone: its link goes and its account is
    /// deactivated.
    fn unlink(&mut self, scim_user_id: &str) {
        self.set_status_of(scim_user_id, AccountStatus::Inactive);
        self.ours.remove(scim_user_id);
        let directory = self.directory_id.clone();
        self.links
            .retain(|l| !(l.directory_id == directory && l.scim_user_id == scim_user_id));
    }
}

/// A seed file, read and checked: the organisation, and the accounts that get a SCIM
/// user in this directory at start.
#[derive(Debug, Clone)]
pub(crate) struct Seed {
    pub org: Org,
    /// Account ids, in the file's order.
    pub synced: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    directory_id: Option<String>,
    #[serde(default)]
    verified_domains: Vec<String>,
    #[serde(default)]
    accounts: Vec<SeedAccount>,
    #[serde(default)]
    links: Vec<SeedLink>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAccount {
    account_id: String,
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    account_status: AccountStatus,
    #[serde(default)]
    claim_status: ClaimStatus,
    #[serde(default)]
    synced: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedLink {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    directory_id: String,
    scim_user_id: String,
}

/// Why a seed file cannot be used.
#[derive(Debug)]
pub(crate) enum SeedError {
    Read(std::io::Error),
    Invalid(String),
}

/// Reads and checks the seed file at `path`.
pub(crate) fn read_seed(path: &Path) -> Result<Seed, SeedError> {
    let bytes = std::fs::read(path).map_err(SeedError::Read)?;
    parse_seed(&bytes).map_err(SeedError::Invalid)
}

/// Parses and checks a seed file's contents.
pub(crate) fn parse_seed(bytes: &[u8]) -> Result<Seed, String> {
    let file: SeedFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut synced = Vec::new();
    let mut unmanaged_synced = None;
    let accounts = file
        .accounts
        .into_iter()
        .map(|a| {
            if a.synced {
                if a.claim_status == ClaimStatus::Unmanaged {
                    unmanaged_synced.get_or_insert_with(|| a.account_id.clone());
                }
                synced.push(a.account_id.clone());
            }
            Account {
                name: a
                    .name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| a.email.clone()),
                id: a.account_id,
                email: a.email,
                status: a.account_status,
                claim_status: a.claim_status,
            }
        })
        .collect();
    let links = file
        .links
        .into_iter()
        .map(|l| Link {
            account_id: l.account_id,
            email: l.email,
            directory_id: l.directory_id,
            scim_user_id: l.scim_user_id,
        })
        .collect();
    let org = Org::from_parts(
        file.org_id.unwrap_or_else(|| DEFAULT_ORG_ID.to_owned()),
        file.directory_id
            .unwrap_or_else(|| DEFAULT_DIRECTORY_ID.to_owned()),
        file.verified_domains,
        accounts,
        links,
        false,
    )?;
    if let Some(id) = unmanaged_synced {
        return Err(format!(
            "account {id:?} is synced but unmanaged: SCIM links managed accounts"
        ));
    }
    Ok(Seed { org, synced })
}

/// The email a new user is matched on: the primary email, else the first, else the
/// userName when it is an email address.
fn email_of(attrs: &Map<String, Value>) -> Option<&str> {
    fn value(e: &Value) -> Option<&str> {
        e.get("value")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
    if let Some(list) = attrs.get("emails").and_then(Value::as_array) {
        let primary = list
            .iter()
            .filter(|e| e.get("primary") == Some(&Value::Bool(true)))
            .find_map(value);
        if let Some(email) = primary.or_else(|| list.iter().find_map(value)) {
            return Some(email);
        }
    }
    attrs
        .get("userName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|u| is_email(u))
}

/// The name a new account gets from its user: displayName, else name.formatted, else
/// the given and family names, else the email.
fn name_of(attrs: &Map<String, Value>, email: &str) -> String {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = attrs.get("name");
    text(attrs.get("displayName"))
        .or_else(|| text(name.and_then(|n| n.get("formatted"))))
        .or_else(|| {
            let parts: Vec<String> = ["givenName", "familyName"]
                .iter()
                .filter_map(|k| text(name.and_then(|n| n.get(*k))))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| email.to_owned())
}

/// The account status a user's `active` stands for (absent: active).
fn status_for(attrs: &Map<String, Value>) -> AccountStatus {
    if attrs.get("active") == Some(&Value::Bool(false)) {
        AccountStatus::Inactive
    } else {
        AccountStatus::Active
    }
}

/// `body` without the read-only extension and its URN in `schemas`, when it has either.
fn without_extension(body: &Map<String, Value>) -> Option<Map<String, Value>> {
    let is_ext = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(EXTENSION))
    };
    let listed = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .and_then(|(_, v)| v.as_array())
        .is_some_and(|l| l.iter().any(is_ext));
    let carried = body.keys().any(|k| k.eq_ignore_ascii_case(EXTENSION));
    if !listed && !carried {
        return None;
    }
    let mut out = body.clone();
    out.retain(|k, _| !k.eq_ignore_ascii_case(EXTENSION));
    for (key, value) in &mut out {
        if key.eq_ignore_ascii_case("schemas")
            && let Value::Array(list) = value
        {
            list.retain(|v| !is_ext(v));
        }
    }
    Some(out)
}

impl Store {
    /// `body` as the store should read it: with an organisation, the extension (which
    /// the server derives from the links) is dropped from what clients send.
    pub(crate) fn user_body<'a>(
        &self,
        kind: Kind,
        body: &'a Map<String, Value>,
    ) -> std::borrow::Cow<'a, Map<String, Value>> {
        match (kind, &self.org) {
            (Kind::User, Some(_)) => without_extension(body)
                .map_or(std::borrow::Cow::Borrowed(body), |b| {
                    std::borrow::Cow::Owned(b)
                }),
            _ => std::borrow::Cow::Borrowed(body),
        }
    }

    /// What creating a user with the attributes `attrs` does to the organisation (see
    /// [`Org::plan_link`]); nothing without an organisation.
    pub(crate) fn plan_user_link(
        &self,
        kind: Kind,
        attrs: &Map<String, Value>,
    ) -> Result<Option<LinkPlan>, ScimError> {
        match (&self.org, kind) {
            (Some(org), Kind::User) => org.plan_link(email_of(attrs)),
            _ => Ok(None),
        }
    }

    /// Carries out a [`LinkPlan`] for the new user `id`.
    pub(crate) fn link_new_user(&mut self, plan: LinkPlan, id: &str) {
        let Some(attrs) = self.users.get(id).map(|r| r.attributes.clone()) else {
            return;
        };
        let account_id = match plan {
            LinkPlan::Existing(account_id) => account_id,
            LinkPlan::NewAccount(email) => {
                let Some(org) = &self.org else {
                    return;
                };
                let account_id = loop {
                    let candidate = self.ids.next_account_id();
                    if !org.accounts.contains_key(&candidate) {
                        break candidate;
                    }
                };
                let account = Account {
                    id: account_id.clone(),
                    name: name_of(&attrs, &email),
                    email,
                    status: AccountStatus::Active,
                    claim_status: ClaimStatus::Managed,
                };
                if let Some(org) = &mut self.org {
                    org.add_account(account);
                }
                account_id
            }
        };
        if let Some(org) = &mut self.org {
            org.link(&account_id, id);
            org.set_status_of(id, status_for(&attrs));
        }
    }

    /// After a change to the user `id`: its account's status follows `active`.
    pub(crate) fn user_changed(&mut self, id: &str) {
        let Some(status) = self.users.get(id).map(|r| status_for(&r.attributes)) else {
            return;
        };
        if let Some(org) = &mut self.org {
            org.set_status_of(id, status);
        }
    }

    /// After the user `id` is deleted: unlinked, its account deactivated.
    pub(crate) fn user_deleted(&mut self, id: &str) {
        if let Some(org) = &mut self.org {
            org.unlink(id);
        }
    }

    /// Takes the organisation of a seed file: the accounts marked `synced` become users
    /// of this directory (userName and primary work email the account's email,
    /// displayName its name, `active` its status), linked to them.
    pub(crate) fn adopt_seed(&mut self, seed: Seed) -> Result<(), String> {
        let Seed { org, synced } = seed;
        let accounts: Vec<Account> = synced
            .iter()
            .filter_map(|id| org.accounts.get(id).cloned())
            .collect();
        self.org = Some(org);
        for account in accounts {
            let body = json!({
                "schemas": [USER_SCHEMA],
                "userName": account.email,
                "emails": [{"value": account.email, "primary": true, "type": "work"}],
                "displayName": account.name,
                "active": account.status == AccountStatus::Active,
            });
            let body = body.as_object().cloned().unwrap_or_default();
            let what = format!("synced account {:?}", account.id);
            let attrs = schema::normalize(Kind::User, &body)
                .map_err(|e| format!("{what}: {}", e.detail))?;
            self.check_unique(Kind::User, None, &attrs)
                .map_err(|e| format!("{what}: {}", e.detail))?;
            let seq = self.next_seq();
            let now: Arc<str> = Arc::from(now_rfc3339());
            let id = self.insert_new(Kind::User, attrs, Vec::new(), seq, &now);
            if let Some(org) = &mut self.org {
                org.link(&account.id, &id);
            }
        }
        Ok(())
    }

    /// Checks a loaded organisation against the users: every link to this directory
    /// with an account names a user that exists.
    pub(crate) fn check_org_links(&self) -> Result<(), String> {
        let Some(org) = &self.org else {
            return Ok(());
        };
        for (user, account) in &org.ours {
            if !self.users.rows.contains_key(user.as_str()) {
                return Err(format!(
                    "atlassian: account {account:?} is linked to SCIM user {user:?}, which is not in users"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(value: &Value) -> Result<Seed, String> {
        parse_seed(value.to_string().as_bytes())
    }

    fn acme() -> Value {
        json!({
            "org_id": "acme-org",
            "directory_id": "dir-1",
            "verified_domains": ["Acme.test"],
            "accounts": [
                {"account_id": "a1", "email": "alice@acme.test", "name": "Alice Ng"},
                {"account_id": "a2", "email": "bob@acme.test", "synced": true},
                {"account_id": "a3", "email": "carol@acme.test"},
                {"account_id": "a4", "email": "dan@elsewhere.test", "claim_status": "unmanaged"}
            ],
            "links": [
                {"account_id": "a3", "directory_id": "other", "scim_user_id": "ext-1"},
                {"account_id": null, "email": "stale@acme.test", "directory_id": "dir-1", "scim_user_id": "stale-1"}
            ]
        })
    }

    #[test]
    fn a_seed_is_read_with_defaults() {
        let s = seed(&acme()).expect("valid");
        assert_eq!(s.org.id, "acme-org");
        assert_eq!(s.org.domains, vec!["acme.test"]);
        assert_eq!(s.synced, vec!["a2"]);
        assert_eq!(s.org.accounts["a2"].name, "bob@acme.test");
        assert_eq!(s.org.accounts["a1"].status, AccountStatus::Active);
        let empty = seed(&json!({})).expect("valid");
        assert!(empty.org.is_pristine());
    }

    #[test]
    fn bad_seeds_say_what_is_wrong() {
        let cases = [
            (
                json!({"accounts": [{"account_id": "a", "email": "nope"}]}),
                "not an email",
            ),
            (
                json!({"accounts": [{"account_id": "a", "email": "x@y"}, {"account_id": "a", "email": "z@y"}]}),
                "used twice",
            ),
            (
                json!({"accounts": [{"account_id": "a", "email": "x@y"}, {"account_id": "b", "email": "X@y"}]}),
                "one account",
            ),
            (json!({"directory_id": "a/b"}), "URL paths"),
            (
                json!({"accounts": [{"account_id": "a b", "email": "x@y"}]}),
                "account_id",
            ),
            (
                json!({"links": [{"account_id": "ghost", "directory_id": "d", "scim_user_id": "s"}]}),
                "not in accounts",
            ),
            (
                json!({"links": [{"directory_id": "d", "scim_user_id": "s"}]}),
                "needs an email",
            ),
            (
                json!({"accounts": [{"account_id": "a", "email": "x@y"}],
                    "links": [{"account_id": "a", "directory_id": "dev-directory", "scim_user_id": "s"}]}),
                "synced",
            ),
            (json!({"acounts": []}), "unknown field"),
            (
                json!({"accounts": [{"account_id": "a", "email": "x@y", "claim_status": "owned"}]}),
                "unknown variant",
            ),
            (
                json!({"accounts": [{"account_id": "a", "email": "x@y", "claim_status": "unmanaged", "synced": true}]}),
                "unmanaged",
            ),
            (json!({"verified_domains": ["a.test", "A.test"]}), "twice"),
        ];
        for (value, expected) in cases {
            let err = seed(&value).expect_err("invalid");
            assert!(err.contains(expected), "{value}: {err}");
        }
    }

    #[test]
    fn linking_rules() {
        let org = seed(&acme()).expect("valid").org;
        assert_eq!(
            org.plan_link(Some("ALICE@acme.test")),
            Ok(Some(LinkPlan::Existing("a1".into())))
        );
        let conflict = org.plan_link(Some("carol@acme.test")).expect_err("409");
        assert_eq!(conflict.status.as_u16(), 409);
        assert_eq!(
            conflict.detail,
            "Resource [USER]: with email[carol@acme.test] already exists."
        );
        assert!(org.plan_link(Some("Stale@acme.test")).is_err());
        assert_eq!(
            org.plan_link(Some("new@ACME.test")),
            Ok(Some(LinkPlan::NewAccount("new@ACME.test".into())))
        );
        assert_eq!(org.plan_link(Some("dan@elsewhere.test")), Ok(None));
        assert_eq!(org.plan_link(Some("eve@elsewhere.test")), Ok(None));
        assert_eq!(org.plan_link(None), Ok(None));
    }

    #[test]
    fn emails_are_taken_primary_first() {
        let attrs = |v: Value| v.as_object().cloned().unwrap_or_default();
        let both = attrs(json!({"userName": "u@x",
            "emails": [{"value": "first@x"}, {"value": "primary@x", "primary": true}]}));
        assert_eq!(email_of(&both), Some("primary@x"));
        let first = attrs(json!({"userName": "u@x", "emails": [{"value": "first@x"}]}));
        assert_eq!(email_of(&first), Some("first@x"));
        assert_eq!(email_of(&attrs(json!({"userName": "u@x"}))), Some("u@x"));
        assert_eq!(email_of(&attrs(json!({"userName": "u"}))), None);
    }

    #[test]
    fn the_search_pages_in_account_id_order() {
        let org = seed(&acme()).expect("valid").org;
        let all = AccountFilter::default();
        let (page, next) = org.search(&all, None, 3);
        let ids: Vec<&str> = page.iter().map(|a| a.id.as_str()).collect();
        assert_eq!((ids, next.as_deref()), (vec!["a1", "a2", "a3"], Some("a3")));
        let (page, next) = org.search(&all, Some("a3"), 3);
        assert_eq!((page.len(), next), (1, None));
        let managed_in_acme = AccountFilter {
            claim_status: Some(ClaimStatus::Managed),
            email_domains: Some(vec!["ACME.test".into()]),
            ..AccountFilter::default()
        };
        assert_eq!(org.search(&managed_in_acme, None, 10).0.len(), 3);
        let by_email = AccountFilter {
            emails: Some(vec!["Bob@Acme.Test".into()]),
            ..AccountFilter::default()
        };
        assert_eq!(org.search(&by_email, None, 10).0[0].id, "a2");
    }

    #[test]
    fn the_extension_is_dropped_from_what_clients_send() {
        let body = json!({"schemas": [USER_SCHEMA, EXTENSION], "userName": "u",
            EXTENSION: {"atlassianAccountId": "x"}});
        let body = body.as_object().cloned().unwrap_or_default();
        let out = without_extension(&body).expect("changed");
        assert_eq!(
            Value::Object(out),
            json!({"schemas": [USER_SCHEMA], "userName": "u"})
        );
        let plain = json!({"userName": "u"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(without_extension(&plain).is_none());
    }
}
