//! Provider profiles: what one SCIM service provider does differently, as data.
//!
//! A `Profile` is one value of one type per provider (paging, page cap, how group members
//! are read, PATCH limits and forms, what DELETE means, filters, rate limits). The rest of
//! the program asks the profile instead of testing provider names; `target.options` in
//! scimform.yaml overrides any field. This file holds no I/O except the choice made by
//! `auto`, which the caller does with the discovery document it fetched.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How list endpoints are paged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paging {
    /// RFC 7644 §3.4.2.4: `startIndex` and `count`.
    Index,
    /// Cursor paging (RFC 9865): `cursor` and `count`, `nextCursor` in the response.
    Cursor,
}

/// How a group's members are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRead {
    /// Group lists carry `members`.
    InList,
    /// Lists omit members; `GET /Groups/{id}` has them.
    GetById,
    /// Neither does: for each user, `GET /Groups?filter=members eq "USER_ID"`.
    FilterByMember,
}

/// The form of a PATCH that removes one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalForm {
    /// RFC 7644: `{"op":"remove","path":"members[value eq \"ID\"]"}`.
    FilterPath,
    /// Not in the RFC (a strict server may read it as "remove all"):
    /// `{"op":"remove","path":"members","value":[{"value":"ID"}]}`.
    ValueList,
}

/// What `DELETE /Users/{id}` does at this provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeleteSemantics {
    /// The account is gone for good.
    HardDelete,
    /// The account stays, deactivated.
    Deactivate,
    /// The SCIM record is removed and the account deactivated; a re-create gets a new id.
    UnlinkAndDeactivate,
}

/// Which filter operators the provider supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterSupport {
    /// The RFC's full grammar (scimform only sends `eq`, `and`).
    Full,
    /// `eq` and `and` only.
    EqAnd,
    /// Filters are not to be relied on: list and match client-side.
    None,
}

/// Everything scimform needs to know about one provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub paging: Paging,
    /// The largest page the provider returns; scimform asks for this many.
    pub max_page_size: u32,
    pub member_read: MemberRead,
    /// Whether `excludedAttributes=members` is honoured on group lists.
    pub excluded_attributes_members: bool,
    /// Ask user lists for `excludedAttributes=groups`: a user's read-only `groups` is
    /// never compared, and on large directories it is most of each page.
    pub exclude_user_groups: bool,
    /// Most members one PATCH may add.
    pub max_member_adds_per_patch: u32,
    /// Most members one PATCH may remove.
    pub max_member_removes_per_patch: u32,
    /// Removals go in PATCH requests of their own, never mixed with adds.
    pub separate_removes: bool,
    pub member_removal: RemovalForm,
    pub delete_user: DeleteSemantics,
    pub filters: FilterSupport,
    /// Attributes a create must carry (besides userName/displayName).
    pub required_user_attributes: Vec<String>,
    /// Client-side rate limit, requests per minute (0: none).
    pub requests_per_minute: u32,
    /// Client-side limit on writes (POST, PUT, PATCH, DELETE) per minute (0: none), for
    /// providers that meter writes apart from reads.
    pub writes_per_minute: u32,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// Whether a group's displayName can be changed with PATCH.
    pub group_rename: bool,
}

/// Names of the built-in profiles, `auto` included.
pub const PROFILE_NAMES: &[&str] = &[
    "generic",
    "atlassian",
    "aws-identity-center",
    "github-emu",
    "slack",
    "okta",
    "entra",
    "databricks",
    "auto",
];

impl Profile {
    /// The RFC-following default.
    pub fn generic() -> Profile {
        Profile {
            name: "generic".into(),
            paging: Paging::Index,
            max_page_size: 100,
            member_read: MemberRead::InList,
            excluded_attributes_members: true,
            exclude_user_groups: true,
            max_member_adds_per_patch: 100,
            max_member_removes_per_patch: 100,
            separate_removes: false,
            member_removal: RemovalForm::FilterPath,
            delete_user: DeleteSemantics::HardDelete,
            filters: FilterSupport::Full,
            required_user_attributes: Vec::new(),
            requests_per_minute: 0,
            writes_per_minute: 0,
            concurrency: 4,
            group_rename: true,
        }
    }

    /// A built-in profile by name (`auto` is resolved by [`Profile::for_host`]).
    pub fn builtin(name: &str) -> Option<Profile> {
        let base = Profile::generic();
        let profile = match name {
            "generic" => base,
            "atlassian" => Profile {
                name: name.into(),
                max_page_size: 100,
                max_member_adds_per_patch: 100,
                delete_user: DeleteSemantics::UnlinkAndDeactivate,
                required_user_attributes: vec!["emails".into()],
                requests_per_minute: 600,
                group_rename: false,
                ..base
            },
            "aws-identity-center" => Profile {
                name: name.into(),
                paging: Paging::Cursor,
                max_page_size: 100,
                member_read: MemberRead::FilterByMember,
                excluded_attributes_members: false,
                exclude_user_groups: false,
                max_member_adds_per_patch: 100,
                max_member_removes_per_patch: 100,
                member_removal: RemovalForm::ValueList,
                filters: FilterSupport::EqAnd,
                required_user_attributes: vec!["displayName".into(), "name".into()],
                requests_per_minute: 1200,
                ..base
            },
            "github-emu" => Profile {
                name: name.into(),
                delete_user: DeleteSemantics::HardDelete,
                // GitHub asks for at most ~1,000 user operations an hour.
                writes_per_minute: 16,
                concurrency: 2,
                ..base
            },
            "slack" => Profile {
                name: name.into(),
                max_page_size: 1000,
                delete_user: DeleteSemantics::Deactivate,
                // Slack: user writes 180 a minute, shared across the organisation.
                writes_per_minute: 180,
                concurrency: 2,
                ..base
            },
            "okta" => Profile {
                name: name.into(),
                max_page_size: 200,
                delete_user: DeleteSemantics::Deactivate,
                requests_per_minute: 600,
                ..base
            },
            "entra" => Profile {
                name: name.into(),
                paging: Paging::Cursor,
                member_read: MemberRead::FilterByMember,
                max_member_adds_per_patch: 20,
                max_member_removes_per_patch: 1,
                separate_removes: true,
                requests_per_minute: 600,
                ..base
            },
            "databricks" => Profile {
                name: name.into(),
                member_read: MemberRead::GetById,
                delete_user: DeleteSemantics::HardDelete,
                requests_per_minute: 600,
                ..base
            },
            _ => return None,
        };
        Some(profile)
    }

    /// The profile `auto` picks for a target URL's host.
    pub fn for_host(host: &str) -> Profile {
        let host = host.to_ascii_lowercase();
        let name = if host.ends_with("atlassian.com") {
            "atlassian"
        } else if host.contains(".amazonaws.com") {
            "aws-identity-center"
        } else if host == "api.github.com" || host.ends_with(".ghe.com") {
            "github-emu"
        } else if host.ends_with("slack.com") {
            "slack"
        } else if host.ends_with("okta.com") || host.ends_with("oktapreview.com") {
            "okta"
        } else if host.ends_with("azuredatabricks.net") || host.ends_with("databricks.com") {
            "databricks"
        } else {
            "generic"
        };
        Profile::builtin(name).unwrap_or_else(Profile::generic)
    }

    /// Apply `target.options`: any field by its name. Unknown names and wrong types are
    /// errors (with the message saying which).
    pub fn with_options(self, options: &Map<String, Value>) -> Result<Profile, ProfileError> {
        if options.is_empty() {
            return Ok(self);
        }
        let Value::Object(mut fields) =
            serde_json::to_value(&self).map_err(|e| ProfileError(e.to_string()))?
        else {
            return Err(ProfileError("profile is not an object".into()));
        };
        for (key, value) in options {
            if key == "name" || !fields.contains_key(key) {
                let known: Vec<&str> = fields
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != "name")
                    .collect();
                return Err(ProfileError(format!(
                    "target.options has no field `{key}`; the fields are: {}",
                    known.join(", ")
                )));
            }
            fields.insert(key.clone(), value.clone());
        }
        let profile: Profile = serde_json::from_value(Value::Object(fields))
            .map_err(|e| ProfileError(format!("target.options: {e}")))?;
        if profile.max_page_size == 0
            || profile.concurrency == 0
            || profile.max_member_adds_per_patch == 0
            || profile.max_member_removes_per_patch == 0
        {
            return Err(ProfileError(
                "target.options: page size, concurrency and members per PATCH must be at least 1"
                    .into(),
            ));
        }
        Ok(profile)
    }
}

impl Profile {
    /// Refine an `auto` profile with the provider's `/ServiceProviderConfig`: its
    /// `documentationUri` can name the provider when the URL's host did not, a
    /// `filter.maxResults` smaller than the page size lowers it, and its `pagination`
    /// (RFC 9865) decides the paging when it rules one method out (`index: false` and
    /// `cursor: true` is cursor paging; `cursor: false` and `index: true` is index
    /// paging). How group members are read is probed against the server itself
    /// (`live::probe_member_read`), since no discovery field says it.
    #[must_use]
    pub fn refined_by_discovery(self, discovery: &Value) -> Profile {
        let object = discovery.as_object();
        let field = |name: &str| object.and_then(|o| crate::scim::attribute(o, name));
        let mut profile = self;
        if profile.name == "generic" {
            let named = field("documentationUri")
                .and_then(Value::as_str)
                .and_then(|uri| reqwest::Url::parse(uri).ok())
                .and_then(|uri| uri.host_str().map(Profile::for_host));
            if let Some(named) = named.filter(|p| p.name != "generic") {
                profile = named;
            }
        }
        let max_results = field("filter")
            .and_then(Value::as_object)
            .and_then(|f| crate::scim::attribute(f, "maxResults"))
            .and_then(crate::scim::as_u64)
            .filter(|n| *n > 0);
        if let Some(max) = max_results {
            profile.max_page_size = profile
                .max_page_size
                .min(u32::try_from(max).unwrap_or(u32::MAX));
        }
        let pagination = field("pagination").and_then(Value::as_object);
        let supports = |method: &str| {
            pagination
                .and_then(|p| crate::scim::attribute(p, method))
                .and_then(crate::scim::as_bool)
        };
        match (supports("index"), supports("cursor")) {
            (Some(false), Some(true)) => profile.paging = Paging::Cursor,
            (Some(true), Some(false)) => profile.paging = Paging::Index,
            _ => {}
        }
        profile
    }
}

/// A profile that cannot be built from the configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("{0}")]
#[diagnostic(
    code(target::profile),
    help(
        "target.profile is one of: {}; target.options overrides the profile's fields",
        PROFILE_NAMES.join(", ")
    )
)]
pub struct ProfileError(pub String);

/// The profile for a configuration: by name (`auto`: by the URL's host), then options.
pub fn resolve(
    name: Option<&str>,
    url: &str,
    options: &Map<String, Value>,
) -> Result<Profile, ProfileError> {
    let name = name.unwrap_or("generic");
    let base = if name == "auto" {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        Profile::for_host(&host)
    } else {
        Profile::builtin(name)
            .ok_or_else(|| ProfileError(format!("unknown provider profile `{name}`")))?
    };
    base.with_options(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_named_profile_exists() {
        for name in PROFILE_NAMES.iter().filter(|n| **n != "auto") {
            assert_eq!(
                Profile::builtin(name).map(|p| p.name),
                Some(name.to_string())
            );
        }
    }

    #[test]
    fn options_override_fields() {
        let options = json!({"max_page_size": 50, "member_removal": "value_list"});
        let profile = Profile::generic()
            .with_options(options.as_object().expect("object"))
            .expect("valid options");
        assert_eq!(profile.max_page_size, 50);
        assert_eq!(profile.member_removal, RemovalForm::ValueList);
    }

    #[test]
    fn unknown_and_mistyped_options_are_errors() {
        let unknown = json!({"page_size": 50});
        let error = Profile::generic()
            .with_options(unknown.as_object().expect("object"))
            .expect_err("unknown field");
        assert!(error.0.contains("no field `page_size`"), "{error}");
        let mistyped = json!({"max_page_size": "many"});
        assert!(
            Profile::generic()
                .with_options(mistyped.as_object().expect("object"))
                .is_err()
        );
    }

    #[test]
    fn discovery_refines_auto() {
        let spc = json!({
            "documentationUri": "https://support.atlassian.com/provisioning-users/docs/",
            "filter": {"supported": true, "maxResults": 50}
        });
        let profile = Profile::generic().refined_by_discovery(&spc);
        assert_eq!(profile.name, "atlassian");
        assert_eq!(profile.max_page_size, 50);
        let unknown =
            Profile::generic().refined_by_discovery(&json!({"filter": {"maxResults": "1000"}}));
        assert_eq!(unknown.name, "generic");
        assert_eq!(unknown.max_page_size, 100);
        assert_eq!(unknown.paging, Paging::Index);
        let cursor_only = json!({"pagination": {"index": false, "cursor": "true"}});
        assert_eq!(
            Profile::generic().refined_by_discovery(&cursor_only).paging,
            Paging::Cursor
        );
        let index_only = json!({"pagination": {"index": true, "cursor": false}});
        let aws = Profile::builtin("aws-identity-center").expect("aws");
        assert_eq!(aws.refined_by_discovery(&index_only).paging, Paging::Index);
        let both = json!({"pagination": {"index": true, "cursor": true}});
        assert_eq!(
            Profile::generic().refined_by_discovery(&both).paging,
            Paging::Index
        );
    }

    #[test]
    fn auto_uses_the_host() {
        let profile = resolve(
            Some("auto"),
            "https://api.atlassian.com/scim/directory/abc",
            &Map::new(),
        )
        .expect("auto");
        assert_eq!(profile.name, "atlassian");
        assert_eq!(
            resolve(Some("auto"), "http://127.0.0.1:1/scim/v2", &Map::new())
                .expect("auto")
                .name,
            "generic"
        );
    }
}
