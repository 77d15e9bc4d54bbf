//! An Atlassian organisation beside its SCIM directory: the organisation API
//! (`/admin/...` on the SCIM target's host, with the organisation API key — a key distinct
//! from the SCIM directory's) read into an [`OrgSnapshot`]: the verified domains, the
//! managed accounts in them, and the SCIM links of the emails a plan may create.
//!
//! With it, a plan can say which user creates link an existing account (SAML
//! just-in-time accounts are managed but outside the SCIM directory; creating the SCIM
//! user with the same email links them), refuse creates that would collide with a link in
//! another directory, warn about stale links, and list the accounts left outside. This
//! module only reads; the plan decides.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use futures_util::StreamExt as _;
use miette::Diagnostic;
use serde_json::{Value, json};

use crate::config::fold_name;
use crate::scim::{ClientSettings, Profile, ScimClient, ScimError, Token, string_attribute};

/// The SCIM extension that carries the account a SCIM user is linked to.
pub const ATLASSIAN_EXTENSION: &str = "urn:scim:schemas:extension:atlassian-external:1.0";

/// The most emails whose SCIM links a plan looks up (one request each).
pub const MAX_LINK_LOOKUPS: usize = 2_000;

/// The most pages of accounts read.
const MAX_ACCOUNT_PAGES: usize = 10_000;

/// A managed account of the organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedAccount {
    pub account_id: String,
    pub email: String,
    pub name: String,
    /// `active`, `inactive`, `closed`.
    pub status: String,
}

/// A SCIM link of an account (or of an email, for a stale record without an account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimLink {
    pub scim_user_id: String,
    /// `None`: a stale record, linked to no account.
    pub account_id: Option<String>,
    pub directory_id: String,
}

/// What the organisation holds, as far as a plan needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgSnapshot {
    pub org_id: String,
    /// The SCIM directory this target is (from `…/scim/directory/{id}`).
    pub directory_id: String,
    pub verified_domains: Vec<String>,
    /// Managed accounts with an email in a verified domain, by lower-cased email.
    pub accounts: BTreeMap<String, ManagedAccount>,
    /// The SCIM links of the emails looked up, by lower-cased email.
    pub links: BTreeMap<String, Vec<ScimLink>>,
    /// Whether every email a plan creates had its links looked up.
    pub links_complete: bool,
}

impl OrgSnapshot {
    /// The managed account with this email.
    pub fn account(&self, email: &str) -> Option<&ManagedAccount> {
        self.accounts.get(fold_name(email).as_ref())
    }

    /// The SCIM links of this email (empty when none or not looked up).
    pub fn links(&self, email: &str) -> &[ScimLink] {
        self.links
            .get(fold_name(email).as_ref())
            .map_or(&[], Vec::as_slice)
    }
}

/// Why the organisation could not be read.
#[derive(Debug)]
pub enum OrgError {
    Request(ScimError),
    NoDirectoryId(String),
    Unexpected { request: String, message: String },
}

impl fmt::Display for OrgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrgError::Request(e) => write!(f, "reading the Atlassian organisation failed: {e}"),
            OrgError::NoDirectoryId(url) => write!(
                f,
                "the SCIM target URL {url} does not name a directory (…/scim/directory/ID)"
            ),
            OrgError::Unexpected { request, message } => {
                write!(
                    f,
                    "the organisation API answered {request} unexpectedly: {message}"
                )
            }
        }
    }
}

impl std::error::Error for OrgError {}

impl Diagnostic for OrgError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("atlassian::org"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            OrgError::Request(e) if e.status() == Some(401) || e.status() == Some(403) => {
                "check the organisation API key (admin.atlassian.com > Settings > API keys; keys expire) in the variable target.atlassian.admin_token_env names, and target.atlassian.org_id".to_string()
            }
            OrgError::Request(e) => miette::Diagnostic::help(e)
                .map_or_else(|| "try again; nothing was planned".to_string(), |h| h.to_string()),
            OrgError::NoDirectoryId(_) => {
                "set target.url to the directory base URL Atlassian shows (https://api.atlassian.com/scim/directory/ID)".to_string()
            }
            OrgError::Unexpected { .. } => {
                "nothing was planned; run with -v and check the organisation API's answers".to_string()
            }
        }))
    }
}

impl From<ScimError> for OrgError {
    fn from(error: ScimError) -> OrgError {
        OrgError::Request(error)
    }
}

/// A client of the organisation API.
pub struct OrgClient {
    client: ScimClient,
    org_id: String,
    directory_id: String,
}

impl OrgClient {
    /// A client for the organisation `org_id` on the SCIM target's host, with its key.
    pub fn new(
        scim_url: &str,
        org_id: &str,
        key: Token,
        key_env: &str,
        allow_insecure_http: bool,
    ) -> Result<OrgClient, OrgError> {
        let url = reqwest::Url::parse(scim_url)
            .map_err(|_| OrgError::NoDirectoryId(scim_url.to_string()))?;
        let directory_id =
            directory_id(&url).ok_or_else(|| OrgError::NoDirectoryId(scim_url.to_string()))?;
        let origin = url.origin().ascii_serialization();
        let mut settings = ClientSettings::new(&origin, key, key_env);
        settings.profile = Profile {
            name: "atlassian-org".to_string(),
            concurrency: 4,
            requests_per_minute: 600,
            ..Profile::generic()
        };
        settings.allow_insecure_http = allow_insecure_http;
        Ok(OrgClient {
            client: ScimClient::new(&settings)?,
            org_id: org_id.to_string(),
            directory_id,
        })
    }

    fn path(&self, rest: &str) -> String {
        format!(
            "/admin{}",
            rest.replace("{org}", &crate::scim::encode_query(&self.org_id))
        )
    }

    /// The verified domains.
    async fn verified_domains(&self) -> Result<Vec<String>, OrgError> {
        let mut domains = Vec::new();
        let path = self.path("/v1/orgs/{org}/domains");
        let answer = self
            .client
            .read_json(reqwest::Method::GET, &path, None)
            .await?;
        let body = answer.body.unwrap_or(Value::Null);
        let Some(data) = body.get("data").and_then(Value::as_array) else {
            return Err(OrgError::Unexpected {
                request: format!("GET {path}"),
                message: "no `data` list".to_string(),
            });
        };
        for domain in data {
            let attributes = domain.get("attributes");
            let verified = attributes
                .and_then(|a| a.get("claim"))
                .and_then(|c| c.get("status"))
                .and_then(Value::as_str)
                == Some("verified");
            if let Some(name) = attributes.and_then(|a| string_attribute(a, "name"))
                && verified
            {
                domains.push(fold_name(name).into_owned());
            }
        }
        domains.sort();
        domains.dedup();
        Ok(domains)
    }

    /// The managed accounts with an email in `domains`.
    async fn managed_accounts(
        &self,
        domains: &[String],
    ) -> Result<BTreeMap<String, ManagedAccount>, OrgError> {
        let mut accounts = BTreeMap::new();
        if domains.is_empty() {
            return Ok(accounts);
        }
        let path = self.path("/v2/orgs/{org}/directories/-/users/search");
        let mut cursor: Option<String> = None;
        let mut seen_cursors = HashSet::new();
        for _ in 0..MAX_ACCOUNT_PAGES {
            let body = match &cursor {
                Some(cursor) => json!({ "cursor": cursor, "limit": 100 }),
                None => json!({ "claimStatus": "managed", "emailDomains": domains, "limit": 100 }),
            };
            let answer = self
                .client
                .read_json(reqwest::Method::POST, &path, Some(&body))
                .await?;
            let page = answer.body.unwrap_or(Value::Null);
            let Some(data) = page.get("data").and_then(Value::as_array) else {
                return Err(OrgError::Unexpected {
                    request: format!("POST {path}"),
                    message: "no `data` list".to_string(),
                });
            };
            for account in data {
                let (Some(id), Some(email)) = (
                    string_attribute(account, "accountId"),
                    string_attribute(account, "email"),
                ) else {
                    continue;
                };
                let in_domain = email
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| domains.iter().any(|known| *known == fold_name(d)));
                if !in_domain {
                    continue;
                }
                accounts.insert(
                    fold_name(email).into_owned(),
                    ManagedAccount {
                        account_id: id.to_string(),
                        email: email.to_string(),
                        name: string_attribute(account, "name")
                            .unwrap_or_default()
                            .to_string(),
                        status: string_attribute(account, "accountStatus")
                            .unwrap_or("active")
                            .to_string(),
                    },
                );
            }
            cursor = page
                .get("links")
                .and_then(|l| l.get("next"))
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            match &cursor {
                None => return Ok(accounts),
                Some(next) if !seen_cursors.insert(next.clone()) => {
                    return Err(OrgError::Unexpected {
                        request: format!("POST {path}"),
                        message: "the same page cursor came back twice".to_string(),
                    });
                }
                Some(_) => {}
            }
        }
        Err(OrgError::Unexpected {
            request: format!("POST {path}"),
            message: format!("more than {MAX_ACCOUNT_PAGES} pages of accounts"),
        })
    }

    /// The SCIM links of an email.
    async fn links_for_email(&self, email: &str) -> Result<Vec<ScimLink>, OrgError> {
        let path = self.path("/user-provisioning/v1/org/{org}/get-scim-links-for-email");
        let answer = self
            .client
            .read_json(
                reqwest::Method::POST,
                &path,
                Some(&json!({ "email": email })),
            )
            .await?;
        let body = answer.body.unwrap_or(Value::Null);
        let links = body
            .get("scimLinks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|link| {
                Some(ScimLink {
                    scim_user_id: string_attribute(link, "scimUserId")?.to_string(),
                    account_id: string_attribute(link, "atlassianAccountId").map(str::to_string),
                    directory_id: string_attribute(link, "directoryId")?.to_string(),
                })
            })
            .collect();
        Ok(links)
    }

    /// Read the organisation: domains, managed accounts, and the SCIM links of
    /// `emails` (the emails a plan may create; at most [`MAX_LINK_LOOKUPS`]).
    pub async fn read(&self, emails: &[String]) -> Result<OrgSnapshot, OrgError> {
        let verified_domains = self.verified_domains().await?;
        let accounts = self.managed_accounts(&verified_domains).await?;
        let mut links = BTreeMap::new();
        let mut wanted: Vec<String> = emails.iter().map(|e| fold_name(e).into_owned()).collect();
        wanted.sort();
        wanted.dedup();
        let links_complete = wanted.len() <= MAX_LINK_LOOKUPS;
        let mut lookups = futures_util::stream::iter(wanted.into_iter().take(MAX_LINK_LOOKUPS))
            .map(|email| async move {
                let found = self.links_for_email(&email).await;
                (email, found)
            })
            .buffer_unordered(4);
        while let Some((email, found)) = lookups.next().await {
            let found = found?;
            if !found.is_empty() {
                links.insert(email, found);
            }
        }
        Ok(OrgSnapshot {
            org_id: self.org_id.clone(),
            directory_id: self.directory_id.clone(),
            verified_domains,
            accounts,
            links,
            links_complete,
        })
    }
}

/// The directory id in `…/scim/directory/{id}`.
fn directory_id(url: &reqwest::Url) -> Option<String> {
    let mut segments = url.path_segments()?;
    while let Some(segment) = segments.next() {
        if segment == "directory" {
            return segments
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
    }
    None
}

/// The account a SCIM user resource is linked to (the Atlassian extension).
pub fn linked_account_of(resource: &Value) -> Option<&str> {
    let object = resource.as_object()?;
    let extension = crate::scim::attribute(object, ATLASSIAN_EXTENSION)?;
    string_attribute(extension, "atlassianAccountId")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_id_comes_from_the_scim_url() {
        let url = |u: &str| reqwest::Url::parse(u).expect("url");
        assert_eq!(
            directory_id(&url("https://api.atlassian.com/scim/directory/abc-123")),
            Some("abc-123".to_string())
        );
        assert_eq!(
            directory_id(&url("http://127.0.0.1:9/scim/directory/dev-directory/")),
            Some("dev-directory".to_string())
        );
        assert_eq!(directory_id(&url("https://x.test/scim/v2")), None);
    }

    #[test]
    fn the_extension_names_the_account() {
        let user = json!({"id": "s1", ATLASSIAN_EXTENSION: {"atlassianAccountId": "5b10"}});
        assert_eq!(linked_account_of(&user), Some("5b10"));
        assert_eq!(linked_account_of(&json!({"id": "s2"})), None);
    }
}
