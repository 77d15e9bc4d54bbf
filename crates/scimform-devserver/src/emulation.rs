//! Provider emulation: `scimform dev-server --emulate PROFILE` makes the server behave
//! like Atlassian, AWS IAM Identity Center, GitHub EMU, Slack, Okta, Entra or Databricks
//! on the points where they depart from RFC 7644 — page caps, members missing from group
//! lists, cursor paging, member changes per PATCH, which member-removal form works, what
//! DELETE of a user means, filter support, `resources` in lower case, group renames,
//! required attributes and headers.
//!
//! Owns `Emulation` — one value per profile, every quirk a field, so a test can also build
//! a server with any mix of quirks — and the checks that turn a field into a refusal or a
//! rewrite. The sources for each value are the providers' documents, collected in the
//! project's shared reference notes (`scim-clients.md` §2, the quirks tables; not part of
//! this repository). It must not store anything, and it never makes the server corrupt
//! data except where a provider is documented to (Databricks' value-list removal).

use std::fmt;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{CompareOp, Filter};
use super::members;
use super::patch::{OpKind, Operation};
use super::schema::Kind;
use super::store::Change;

/// What AWS IAM Identity Center requires of a new user besides `userName` (`CreateUser`).
pub const AWS_REQUIRED_USER_ATTRIBUTES: &[&str] =
    &["displayName", "name.givenName", "name.familyName"];

/// The providers the dev-server can emulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EmulationProfile {
    /// A plain RFC 7643/7644 service provider.
    #[default]
    Generic,
    /// Atlassian Guard/Access user provisioning.
    Atlassian,
    /// AWS IAM Identity Center.
    #[value(name = "aws-identity-center")]
    AwsIdentityCenter,
    /// GitHub Enterprise Managed Users.
    #[value(name = "github-emu")]
    GithubEmu,
    /// Slack (SCIM v2).
    Slack,
    /// Okta's inbound SCIM server.
    Okta,
    /// Microsoft Entra ID's inbound SCIM API.
    Entra,
    /// Databricks account SCIM.
    Databricks,
}

impl EmulationProfile {
    /// Every profile, in the order the documentation lists them.
    pub const ALL: [EmulationProfile; 8] = [
        EmulationProfile::Generic,
        EmulationProfile::Atlassian,
        EmulationProfile::AwsIdentityCenter,
        EmulationProfile::GithubEmu,
        EmulationProfile::Slack,
        EmulationProfile::Okta,
        EmulationProfile::Entra,
        EmulationProfile::Databricks,
    ];

    /// The name used on the command line (`aws-identity-center`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EmulationProfile::Generic => "generic",
            EmulationProfile::Atlassian => "atlassian",
            EmulationProfile::AwsIdentityCenter => "aws-identity-center",
            EmulationProfile::GithubEmu => "github-emu",
            EmulationProfile::Slack => "slack",
            EmulationProfile::Okta => "okta",
            EmulationProfile::Entra => "entra",
            EmulationProfile::Databricks => "databricks",
        }
    }
}

impl fmt::Display for EmulationProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How list endpoints page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `startIndex`/`count` (RFC 7644 §3.4.2.4); a `cursor` parameter is ignored.
    Index,
    /// `cursor`/`count` with `nextCursor` in responses (RFC 9865). Without a `cursor`
    /// parameter the first page is returned; `startIndex` above 1 is refused with 400
    /// `invalidValue`, as AWS and Entra document that they do not support it.
    Cursor,
}

/// What the server does with one of the two member-removal forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalForm {
    /// Removes exactly the members named.
    Accepted,
    /// Refuses the whole PATCH with this status (400 or 501), changing nothing.
    Refused(u16),
    /// Reads the request as "remove every member" (the value-list form on a server that
    /// ignores `value`, as Databricks has been seen to do). The group is emptied.
    RemovesAll,
}

/// What `DELETE /Users/{id}` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDelete {
    /// The user is gone: 404 afterwards, memberships removed.
    HardDelete,
    /// The user stays, listed and readable, with `active: false` (Slack).
    Deactivate,
    /// The SCIM record is removed (404 afterwards, memberships removed) while the
    /// account behind it is deactivated; creating the same userName again makes a new
    /// record with a new id (Atlassian).
    Unlink,
}

/// Which filters the list endpoints accept; anything else is 400 `invalidFilter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterSupport {
    /// The RFC's grammar.
    Full,
    /// `attr eq value` joined by `and` only (AWS, Entra).
    EqAnd,
    /// One `attr eq value` (Atlassian).
    SingleEq,
}

/// A provider's server-side quirks, as data. `Emulation::for_profile` gives each built-in
/// profile; every field can be changed to build another server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emulation {
    pub profile: EmulationProfile,
    pub paging: Paging,
    /// Page size when the request has no `count`.
    pub default_page_size: usize,
    /// Largest page; a larger `count` is silently reduced to this.
    pub max_page_size: usize,
    /// Whether `GET /Groups` (lists and searches) carries `members`.
    pub group_members_in_list: bool,
    /// Whether `GET /Groups/{id}` carries `members`.
    pub group_members_in_get: bool,
    /// Whether `attributes`/`excludedAttributes` are honoured (AWS ignores them).
    pub projection: bool,
    /// Most members one PATCH may add and remove together (AWS: 100).
    pub max_member_changes: Option<usize>,
    /// Most members one PATCH may add (Entra: 20).
    pub max_member_adds: Option<usize>,
    /// Most members one PATCH may remove (Entra: 1).
    pub max_member_removes: Option<usize>,
    /// A PATCH that changes members may not also change other attributes, nor both add
    /// and remove (Entra).
    pub member_changes_alone: bool,
    /// Whether a PATCH may replace the member list or remove all members at once
    /// (AWS: no, 400).
    pub replace_all_members: bool,
    /// `{"op":"remove","path":"members[value eq \"ID\"]"}` (RFC 7644).
    pub filter_path_removal: RemovalForm,
    /// `{"op":"remove","path":"members","value":[{"value":"ID"}]}` (not in the RFC).
    pub value_list_removal: RemovalForm,
    pub user_delete: UserDelete,
    pub filters: FilterSupport,
    /// List responses say `resources` instead of `Resources` (Entra).
    pub lowercase_resources: bool,
    /// Whether a group's displayName may change (Atlassian: no, 400).
    pub group_rename: bool,
    /// Requests without a `User-Agent` header are refused with 403 (GitHub).
    pub user_agent_required: bool,
    /// User attributes (dotted paths) a create or replace must carry. Empty in every
    /// built-in profile, so that one scenario runs against them all; set it to emulate
    /// AWS's documented `displayName`, `name.givenName`, `name.familyName` (see
    /// `AWS_REQUIRED_USER_ATTRIBUTES`) or Atlassian's and Slack's `emails`.
    pub required_user_attributes: &'static [&'static str],
    /// PATCH is answered `204 No Content` instead of the resource (Entra).
    pub patch_no_content: bool,
    /// Whether `POST .../.search` is supported (AWS: no, 501).
    pub search: bool,
}

impl Default for Emulation {
    fn default() -> Self {
        Emulation::for_profile(EmulationProfile::Generic)
    }
}

impl Emulation {
    /// The quirks of a built-in profile.
    pub fn for_profile(profile: EmulationProfile) -> Emulation {
        let generic = Emulation {
            profile,
            paging: Paging::Index,
            default_page_size: 100,
            max_page_size: 100,
            group_members_in_list: true,
            group_members_in_get: true,
            projection: true,
            max_member_changes: None,
            max_member_adds: None,
            max_member_removes: None,
            member_changes_alone: false,
            replace_all_members: true,
            filter_path_removal: RemovalForm::Accepted,
            value_list_removal: RemovalForm::Accepted,
            user_delete: UserDelete::HardDelete,
            filters: FilterSupport::Full,
            lowercase_resources: false,
            group_rename: true,
            user_agent_required: false,
            required_user_attributes: &[],
            patch_no_content: false,
            search: true,
        };
        match profile {
            EmulationProfile::Generic => generic,
            EmulationProfile::Atlassian => Emulation {
                user_delete: UserDelete::Unlink,
                filters: FilterSupport::SingleEq,
                group_rename: false,
                ..generic
            },
            EmulationProfile::AwsIdentityCenter => Emulation {
                paging: Paging::Cursor,
                group_members_in_list: false,
                group_members_in_get: false,
                projection: false,
                max_member_changes: Some(100),
                replace_all_members: false,
                filters: FilterSupport::EqAnd,
                search: false,
                ..generic
            },
            EmulationProfile::GithubEmu => Emulation {
                user_agent_required: true,
                ..generic
            },
            EmulationProfile::Slack => Emulation {
                default_page_size: 10,
                max_page_size: 1000,
                user_delete: UserDelete::Deactivate,
                ..generic
            },
            EmulationProfile::Okta => Emulation {
                max_page_size: 200,
                user_delete: UserDelete::Deactivate,
                ..generic
            },
            EmulationProfile::Entra => Emulation {
                paging: Paging::Cursor,
                group_members_in_list: false,
                group_members_in_get: false,
                max_member_adds: Some(20),
                max_member_removes: Some(1),
                member_changes_alone: true,
                value_list_removal: RemovalForm::Refused(400),
                filters: FilterSupport::EqAnd,
                lowercase_resources: true,
                patch_no_content: true,
                ..generic
            },
            EmulationProfile::Databricks => Emulation {
                group_members_in_list: false,
                value_list_removal: RemovalForm::RemovesAll,
                ..generic
            },
        }
    }

    /// The page size for a request that asked for `count` (or nothing).
    pub(crate) fn page_size(&self, count: Option<usize>) -> usize {
        count
            .unwrap_or(self.default_page_size)
            .min(self.max_page_size)
    }

    fn refuse(&self, detail: impl fmt::Display) -> ScimError {
        ScimError::invalid_value(format!("{detail} (emulating {})", self.profile))
    }

    /// Refuses filters the provider does not support.
    pub(crate) fn check_filter(&self, filter: &Filter) -> Result<(), ScimError> {
        let supported = match self.filters {
            FilterSupport::Full => true,
            FilterSupport::SingleEq => matches!(filter, Filter::Compare(_, CompareOp::Eq, _)),
            FilterSupport::EqAnd => eq_and_only(filter),
        };
        if supported {
            return Ok(());
        }
        let allowed = match self.filters {
            FilterSupport::SingleEq => "a single `attribute eq value`",
            _ => "`eq` comparisons joined by `and`",
        };
        Err(ScimError::invalid_filter(format!(
            "only {allowed} filters are supported (emulating {})",
            self.profile
        )))
    }

    /// Refuses `startIndex` on a cursor-only server.
    pub(crate) fn check_start_index(&self, start_index: Option<usize>) -> Result<(), ScimError> {
        match (self.paging, start_index) {
            (Paging::Cursor, Some(start)) if start > 1 => {
                Err(self.refuse("startIndex is not supported: page with `cursor` and `nextCursor`"))
            }
            _ => Ok(()),
        }
    }

    /// Checks a PATCH's member operations against the removal forms and the "replace or
    /// remove all members" rule, and returns the operations as this provider reads them.
    pub(crate) fn shape_patch(
        &self,
        kind: Kind,
        ops: Vec<Operation>,
    ) -> Result<Vec<Operation>, ScimError> {
        if kind != Kind::Group {
            return Ok(ops);
        }
        let mut out = Vec::with_capacity(ops.len());
        for mut op in ops {
            let on_members = op.path.as_ref().is_some_and(members::is_members);
            let filtered = op.path.as_ref().is_some_and(|p| p.filter.is_some());
            let touches_all = match (op.op, &op.path) {
                (OpKind::Replace, Some(_)) => on_members && !filtered,
                (OpKind::Replace, None) => op
                    .value
                    .as_ref()
                    .and_then(Value::as_object)
                    .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case("members"))),
                (OpKind::Remove, Some(_)) => on_members && !filtered && op.value.is_none(),
                _ => false,
            };
            if touches_all && !self.replace_all_members {
                return Err(self.refuse("a PATCH may not replace or remove all members of a group"));
            }
            if op.op == OpKind::Remove && on_members {
                let form = if filtered {
                    ("the filter-path member removal", self.filter_path_removal)
                } else if op.value.is_some() {
                    ("the value-list member removal", self.value_list_removal)
                } else {
                    ("", RemovalForm::Accepted)
                };
                match form.1 {
                    RemovalForm::Accepted => {}
                    RemovalForm::Refused(status) => {
                        let status =
                            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                        let scim_type =
                            (status == StatusCode::BAD_REQUEST).then_some("invalidPath");
                        return Err(ScimError::new(
                            status,
                            scim_type,
                            format!("{} is not supported (emulating {})", form.0, self.profile),
                        ));
                    }
                    RemovalForm::RemovesAll => {
                        if let Some(path) = op.path.as_mut() {
                            path.filter = None;
                        }
                        op.value = None;
                    }
                }
            }
            out.push(op);
        }
        Ok(out)
    }

    /// Checks what a group change does: member caps, mixing, renames.
    pub(crate) fn check_change(&self, kind: Kind, change: &Change) -> Result<(), ScimError> {
        if kind != Kind::Group {
            return Ok(());
        }
        let (added, removed) = (change.members_added, change.members_removed);
        if let Some(cap) = self.max_member_changes
            && added + removed > cap
        {
            return Err(self.refuse(format!(
                "a PATCH may change at most {}; this one changes {}",
                members(cap),
                added + removed
            )));
        }
        if let Some(cap) = self.max_member_adds
            && added > cap
        {
            return Err(self.refuse(format!(
                "a PATCH may add at most {}; this one adds {added}",
                members(cap)
            )));
        }
        if let Some(cap) = self.max_member_removes
            && removed > cap
        {
            return Err(self.refuse(format!(
                "a PATCH may remove at most {}; this one removes {removed}",
                members(cap)
            )));
        }
        let members_changed = added + removed > 0;
        if self.member_changes_alone
            && ((added > 0 && removed > 0) || (members_changed && change.attributes_changed))
        {
            return Err(self.refuse(
                "member additions, member removals and attribute changes must be separate PATCH requests",
            ));
        }
        if change.renamed && !self.group_rename {
            return Err(ScimError::mutability(format!(
                "groups cannot be renamed: create a new group, move the members, delete the old one (emulating {})",
                self.profile
            )));
        }
        Ok(())
    }

    /// Refuses a user body that lacks an attribute the provider requires.
    pub(crate) fn check_user_body(
        &self,
        kind: Kind,
        body: &Map<String, Value>,
    ) -> Result<(), ScimError> {
        if kind != Kind::User {
            return Ok(());
        }
        for path in self.required_user_attributes {
            let mut current: Option<&Value> = None;
            let mut map = Some(body);
            for segment in path.split('.') {
                current = map.and_then(|m| {
                    m.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(segment))
                        .map(|(_, v)| v)
                });
                map = current.and_then(Value::as_object);
            }
            let present = match current {
                Some(Value::String(s)) => !s.trim().is_empty(),
                Some(Value::Array(items)) => !items.is_empty(),
                Some(Value::Object(m)) => !m.is_empty(),
                Some(Value::Null) | None => false,
                Some(_) => true,
            };
            if !present {
                return Err(self.refuse(format!("\"{path}\" is required for a User")));
            }
        }
        Ok(())
    }
}

/// Whether `filter` is `eq` comparisons joined by `and`.
fn eq_and_only(filter: &Filter) -> bool {
    match filter {
        Filter::Compare(_, CompareOp::Eq, _) => true,
        Filter::And(a, b) => eq_and_only(a) && eq_and_only(b),
        _ => false,
    }
}

/// "1 member", "20 members".
fn members(n: usize) -> String {
    if n == 1 {
        "1 member".to_owned()
    } else {
        format!("{n} members")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter;
    use crate::patch::parse_request;
    use serde_json::json;

    fn ops(value: Value) -> Vec<Operation> {
        let mut body = Map::new();
        body.insert("Operations".to_owned(), value);
        parse_request(&body).expect("parses")
    }

    fn change(added: usize, removed: usize, attributes_changed: bool) -> Change {
        Change {
            members_added: added,
            members_removed: removed,
            members_before: 10,
            attributes_changed,
            renamed: false,
            name_after: "g".into(),
        }
    }

    #[test]
    fn profile_names_round_trip_through_clap() {
        use clap::ValueEnum;
        for profile in EmulationProfile::ALL {
            assert_eq!(
                EmulationProfile::from_str(profile.name(), false),
                Ok(profile)
            );
            assert_eq!(Emulation::for_profile(profile).profile, profile);
        }
    }

    #[test]
    fn page_sizes_are_capped_silently() {
        let slack = Emulation::for_profile(EmulationProfile::Slack);
        assert_eq!(slack.page_size(None), 10);
        assert_eq!(slack.page_size(Some(5000)), 1000);
        let aws = Emulation::for_profile(EmulationProfile::AwsIdentityCenter);
        assert_eq!(aws.page_size(Some(500)), 100);
    }

    #[test]
    fn filter_support() {
        let aws = Emulation::for_profile(EmulationProfile::AwsIdentityCenter);
        let atlassian = Emulation::for_profile(EmulationProfile::Atlassian);
        let generic = Emulation::default();
        let parse = |s: &str| filter::parse(s).expect("parses");
        let and = parse(r#"id eq "g" and members eq "u""#);
        let sw = parse(r#"userName sw "a""#);
        assert!(aws.check_filter(&and).is_ok());
        assert_eq!(
            aws.check_filter(&sw).map_err(|e| e.scim_type),
            Err(Some("invalidFilter"))
        );
        assert!(atlassian.check_filter(&and).is_err());
        assert!(atlassian.check_filter(&parse(r#"userName eq "a""#)).is_ok());
        assert!(generic.check_filter(&sw).is_ok());
    }

    #[test]
    fn removal_forms() {
        let value_list =
            ops(json!([{"op": "remove", "path": "members", "value": [{"value": "u"}]}]));
        let filter_path = ops(json!([{"op": "remove", "path": "members[value eq \"u\"]"}]));
        let entra = Emulation::for_profile(EmulationProfile::Entra);
        let err = entra
            .shape_patch(Kind::Group, value_list.clone())
            .expect_err("refused");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(entra.shape_patch(Kind::Group, filter_path.clone()).is_ok());

        let refuses_rfc = Emulation {
            filter_path_removal: RemovalForm::Refused(501),
            ..Emulation::default()
        };
        let err = refuses_rfc
            .shape_patch(Kind::Group, filter_path)
            .expect_err("refused");
        assert_eq!(err.status, StatusCode::NOT_IMPLEMENTED);

        let databricks = Emulation::for_profile(EmulationProfile::Databricks);
        let read = databricks
            .shape_patch(Kind::Group, value_list)
            .expect("accepted");
        assert!(read[0].value.is_none(), "read as remove-all");
    }

    #[test]
    fn aws_refuses_replacing_or_removing_all_members() {
        let aws = Emulation::for_profile(EmulationProfile::AwsIdentityCenter);
        for body in [
            json!([{"op": "replace", "path": "members", "value": [{"value": "u"}]}]),
            json!([{"op": "remove", "path": "members"}]),
            json!([{"op": "replace", "value": {"members": []}}]),
        ] {
            assert!(
                aws.shape_patch(Kind::Group, ops(body.clone())).is_err(),
                "{body}"
            );
        }
        let add = ops(json!([{"op": "add", "path": "members", "value": [{"value": "u"}]}]));
        assert!(aws.shape_patch(Kind::Group, add).is_ok());
    }

    #[test]
    fn member_caps_and_mixing() {
        let aws = Emulation::for_profile(EmulationProfile::AwsIdentityCenter);
        assert!(
            aws.check_change(Kind::Group, &change(60, 40, false))
                .is_ok()
        );
        assert!(
            aws.check_change(Kind::Group, &change(60, 41, false))
                .is_err()
        );
        let entra = Emulation::for_profile(EmulationProfile::Entra);
        assert!(
            entra
                .check_change(Kind::Group, &change(20, 0, false))
                .is_ok()
        );
        assert!(
            entra
                .check_change(Kind::Group, &change(21, 0, false))
                .is_err()
        );
        assert!(
            entra
                .check_change(Kind::Group, &change(0, 1, false))
                .is_ok()
        );
        assert!(
            entra
                .check_change(Kind::Group, &change(0, 2, false))
                .is_err()
        );
        assert!(
            entra
                .check_change(Kind::Group, &change(1, 1, false))
                .is_err()
        );
        assert!(
            entra
                .check_change(Kind::Group, &change(1, 0, true))
                .is_err()
        );
        assert!(entra.check_change(Kind::Group, &change(0, 0, true)).is_ok());
    }

    #[test]
    fn atlassian_refuses_renames() {
        let atlassian = Emulation::for_profile(EmulationProfile::Atlassian);
        let rename = Change {
            renamed: true,
            attributes_changed: true,
            ..Change::default()
        };
        let err = atlassian
            .check_change(Kind::Group, &rename)
            .expect_err("refused");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            Emulation::default()
                .check_change(Kind::Group, &rename)
                .is_ok()
        );
    }

    #[test]
    fn required_user_attributes() {
        let aws = Emulation {
            required_user_attributes: AWS_REQUIRED_USER_ATTRIBUTES,
            ..Emulation::for_profile(EmulationProfile::AwsIdentityCenter)
        };
        let obj = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let full = obj(
            json!({"userName": "a", "displayName": "A", "name": {"givenName": "A", "familyName": "B"}}),
        );
        assert!(aws.check_user_body(Kind::User, &full).is_ok());
        let partial = obj(json!({"userName": "a", "displayName": "A", "name": {"givenName": "A"}}));
        let err = aws
            .check_user_body(Kind::User, &partial)
            .expect_err("refused");
        assert!(err.detail.contains("name.familyName"));
        assert!(aws.check_user_body(Kind::Group, &partial).is_ok());
    }
}
