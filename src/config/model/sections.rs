//! The root file's sections other than users and groups: `target`, `policy` and
//! `defaults`, as decoded values and as the JSON Schema documents them.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

use super::Located;
use crate::config::declared::{MatchUsersBy, UnmanagedGroups, UnmanagedUsers};

/// Where the directory lives and how to reach it.
#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TargetSection {
    /// Base URL of the SCIM 2.0 endpoint (the path that `/Users` and `/Groups` hang off),
    /// `https://…` (or `http://` for a local server). The environment variable
    /// `SCIMFORM_URL` overrides it.
    #[schemars(example = &"https://api.atlassian.com/scim/directory/DIRECTORY_ID")]
    pub url: Option<Located<String>>,
    /// Provider profile that describes the server's quirks (paging, PATCH forms, what
    /// DELETE means): `generic` (the default), a provider's name, or `auto` (chosen from
    /// the URL's host and the server's `/ServiceProviderConfig`).
    #[schemars(schema_with = "profile_schema", default)]
    pub profile: Option<Located<String>>,
    /// Name of the environment variable that holds the bearer token (`SCIMFORM_TOKEN` by
    /// default). It must begin with `SCIMFORM_`, so that a change to the files cannot
    /// send another secret of the CI job (a cloud key, a deploy token) to the target.
    /// The token itself is never written in a file.
    #[schemars(example = &"SCIMFORM_TOKEN")]
    pub token_env: Option<Located<String>>,
    /// Overrides of the profile's fields, by field name (e.g. `max_page_size: 50`).
    #[schemars(with = "Option<Map<String, Value>>")]
    pub options: Option<Vec<(Located<String>, Located<Value>)>>,
    /// Atlassian only: read the organisation's managed accounts, so that the plan shows
    /// which existing accounts a user create links and which accounts are left outside
    /// the SCIM directory.
    pub atlassian: Option<AtlassianSection>,
}

/// Access to an Atlassian organisation (admin.atlassian.com), besides the SCIM directory.
#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AtlassianSection {
    /// The organisation's id (admin.atlassian.com > Settings > API keys shows it).
    #[schemars(example = &"e4f3a1b2-0000-4c2d-9e8f-123456789abc")]
    pub org_id: Option<Located<String>>,
    /// Name of the environment variable that holds the organisation API key — a key
    /// distinct from the SCIM directory's (`SCIMFORM_ATLASSIAN_ADMIN_TOKEN` by default).
    /// It must begin with `SCIMFORM_`.
    #[schemars(example = &"SCIMFORM_ATLASSIAN_ADMIN_TOKEN")]
    pub admin_token_env: Option<Located<String>>,
}

/// The built-in profiles, from `scim::profile`.
fn profile_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": crate::scim::profile::PROFILE_NAMES })
}

/// What scimform may do to users and groups that no file declares, and the limits that
/// make a plan stop and ask for `--force`.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PolicySection {
    /// What happens to live users that no file declares (`ignore` by default).
    pub unmanaged_users: Option<UnmanagedUsers>,
    /// What happens to live groups that no file declares (`ignore` by default).
    pub unmanaged_groups: Option<UnmanagedGroups>,
    /// How a declared user finds its live account, tried in this order (`[userName]` by
    /// default). `email` matches the primary email, which adopts accounts that exist
    /// outside the SCIM directory (e.g. created by SAML just-in-time provisioning).
    pub match_users_by: Option<Located<Vec<Located<MatchUsersBy>>>>,
    /// The most users and groups a plan may delete or deactivate without `--force`.
    pub max_destroy: Option<MaxDestroySection>,
    /// userNames (case-insensitive) that a plan may never deactivate, delete or remove
    /// from a group without `--force`, e.g. the break-glass administrator.
    pub protected_users: Option<Vec<Located<String>>>,
    /// Group displayNames (case-insensitive) that a plan may never delete or empty
    /// without `--force`.
    pub protected_groups: Option<Vec<Located<String>>>,
    /// Live users and groups that scimform never reads into a plan, by name pattern.
    pub ignore: Option<IgnoreSection>,
}

/// The most a plan may destroy or deactivate without `--force`. A plan that exceeds either
/// limit is refused.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MaxDestroySection {
    /// At most this many users and groups deleted or deactivated.
    pub count: Option<u32>,
    /// At most this percentage (0–100) of the live users and groups.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub percent: Option<f64>,
}

/// Name patterns of live resources that scimform leaves alone: never changed, deleted or
/// deactivated, and never declared. `*` matches any run of characters and `?` any one
/// character; matching is case-insensitive.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IgnoreSection {
    /// Patterns of userNames, e.g. `*@contractors.example.com`.
    pub users: Option<Vec<Located<String>>>,
    /// Patterns of group displayNames, e.g. `jira-*`.
    pub groups: Option<Vec<Located<String>>>,
}

/// Values applied to every declared user that does not set them itself.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DefaultsSection {
    /// Whether users may sign in (`active`), unless a user says otherwise.
    pub active: Option<bool>,
    /// `userType` of every user that does not set one, e.g. `Employee`.
    #[schemars(rename = "userType")]
    pub user_type: Option<String>,
    /// `preferredLanguage` of every user that does not set one, e.g. `en-GB`.
    #[schemars(rename = "preferredLanguage")]
    pub preferred_language: Option<String>,
    /// `locale` of every user that does not set one, e.g. `en-GB`.
    pub locale: Option<String>,
    /// `timezone` of every user that does not set one, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    /// When a user declares no email (neither `email` nor `emails`), give it one: its
    /// userName, as the primary email. Every such userName must be an email address.
    #[schemars(rename = "emails_from_userName")]
    pub emails_from_user_name: Option<bool>,
    /// The `type` of every declared email that does not set one, e.g. `work`.
    pub email_type: Option<String>,
    /// Enterprise extension attributes of every user that does not set them.
    pub enterprise: Option<EnterpriseDefaults>,
}

/// Enterprise extension attributes shared by most users.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnterpriseDefaults {
    /// The organisation's name.
    pub organization: Option<String>,
    /// Division.
    pub division: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Cost center.
    pub cost_center: Option<String>,
}
