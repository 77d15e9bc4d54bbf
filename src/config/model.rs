//! The file format: what a `scimform.yaml` may contain, as serde types.
//!
//! These types mirror the YAML one to one (camelCase SCIM names where SCIM has them), keep
//! the source location of the values that diagnostics point at (`Spanned`), and derive the
//! JSON Schema. They say nothing about meaning: cross-entry checks live in `validate`, and
//! nothing here knows about SCIM requests.
//!
//! An attribute that the YAML leaves out is `None` (unmanaged: never compared, never sent);
//! an explicit empty list is `Some(vec![])` ("none").

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// The root file, `scimform.yaml`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The SCIM service provider that this configuration describes.
    #[serde(default)]
    pub target: TargetSection,
    /// The users that should exist, with the attributes scimform manages.
    #[serde(default)]
    pub users: Vec<UserEntry>,
    /// The groups that should exist, with their members.
    #[serde(default)]
    pub groups: Vec<GroupEntry>,
}

/// Where the directory lives and how to reach it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// Base URL of the SCIM 2.0 endpoint (the path that `/Users` and `/Groups` hang off).
    /// The environment variable `SCIMFORM_URL` overrides it.
    pub url: Option<String>,
    /// Provider profile that describes the server's quirks (`generic` by default).
    pub profile: Option<String>,
    /// Name of the environment variable that holds the bearer token (`SCIMFORM_TOKEN` by
    /// default). The token itself is never written in a file.
    pub token_env: Option<String>,
}

/// A declared user. Attributes left out are not managed by scimform.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserEntry {
    /// Unique identifier of the user at the service provider, usually the login email.
    /// Compared case-insensitively.
    #[schemars(with = "String")]
    pub user_name: Spanned<String>,
    /// Identifier of the user in the provisioning client (the identity provider).
    pub external_id: Option<String>,
    /// Name shown to other users.
    pub display_name: Option<String>,
    /// Casual name.
    pub nick_name: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Relationship to the organisation, e.g. `Employee` or `Contractor`.
    pub user_type: Option<String>,
    /// Preferred written or spoken language, e.g. `en-GB`.
    pub preferred_language: Option<String>,
    /// Locale for formatting, e.g. `en-GB`.
    pub locale: Option<String>,
    /// Time zone in IANA form, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    /// Whether the user may sign in. `false` deactivates the account.
    pub active: Option<bool>,
    /// The components of the user's name.
    pub name: Option<NameEntry>,
    /// Email addresses. An explicit empty list means "none".
    pub emails: Option<Vec<EmailEntry>>,
}

/// The components of a user's name.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NameEntry {
    /// The full name, formatted for display.
    pub formatted: Option<String>,
    /// Given (first) name.
    pub given_name: Option<String>,
    /// Family (last) name.
    pub family_name: Option<String>,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Honorific prefix, e.g. `Dr.`.
    pub honorific_prefix: Option<String>,
    /// Honorific suffix, e.g. `III`.
    pub honorific_suffix: Option<String>,
}

/// One email address of a user.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailEntry {
    /// The address.
    #[schemars(with = "String")]
    pub value: Spanned<String>,
    /// Kind of address, e.g. `work`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Whether this is the user's primary address (at most one).
    pub primary: Option<bool>,
}

/// A declared group.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupEntry {
    /// Name of the group. Compared case-insensitively.
    #[schemars(with = "String")]
    pub display_name: Spanned<String>,
    /// Identifier of the group in the provisioning client.
    pub external_id: Option<String>,
    /// Members, by userName (or a declared email). Never by SCIM id: scimform resolves ids.
    /// Members the list does not name are removed from the group.
    #[schemars(with = "Option<Vec<String>>")]
    pub members: Option<Vec<Spanned<String>>>,
}
