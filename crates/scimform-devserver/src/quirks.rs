//! Quirks of real SCIM servers that belong to no one provider, each switched on by itself
//! and combinable with any emulation: PATCH of users answered 501 although the server
//! advertises PATCH, group members dropped from a `POST /Groups`, list requests refused
//! when they carry `count`, and writes to named groups refused with 403.
//!
//! Owns `Quirks` and the checks that turn a switch into a refusal or a rewrite of a
//! request. It must not store anything, and like `emulation` it only refuses or reshapes
//! requests: whatever it lets through is applied by the ordinary code.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::Kind;

/// Server quirks seen in the wild, each off by default and independent of `Emulation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// `PATCH /Users/{id}` is answered 501 Not Implemented (with a SCIM error body),
    /// while `/ServiceProviderConfig` still says `patch.supported: true`, as a widely
    /// used open-source server does. `PUT /Users/{id}` works; group PATCH is unchanged.
    pub patch_users_not_implemented: bool,
    /// `POST /Groups` creates the group without the `members` the request carries; the
    /// 201 answer shows the group as created, without them. PATCH adds members.
    pub ignore_members_on_create: bool,
    /// List and search requests that carry `count` are answered 400 `invalidValue`;
    /// without it they get pages of the emulated provider's default size.
    pub refuse_count: bool,
    /// Groups, by displayName (compared case-insensitively), whose writes are answered
    /// 403: PATCH, PUT and DELETE of such a group, a POST creating one, and a PUT or
    /// PATCH renaming a group to such a name.
    pub refuse_writes_to_groups: Vec<String>,
}

impl Quirks {
    /// Whether any quirk is switched on.
    pub fn any(&self) -> bool {
        self.patch_users_not_implemented
            || self.ignore_members_on_create
            || self.refuse_count
            || !self.refuse_writes_to_groups.is_empty()
    }

    /// Refuses `PATCH /Users/{id}` when PATCH of users is "not implemented".
    pub(crate) fn check_patch(&self, kind: Kind) -> Result<(), ScimError> {
        if kind == Kind::User && self.patch_users_not_implemented {
            return Err(ScimError::new(
                StatusCode::NOT_IMPLEMENTED,
                None,
                "PATCH is not supported for Users: replace the user with PUT (dev-server quirk --patch-users-not-implemented)",
            ));
        }
        Ok(())
    }

    /// Drops `members` (any case) from a `POST /Groups` body when the quirk is on.
    pub(crate) fn shape_create(&self, kind: Kind, body: &mut Map<String, Value>) {
        if kind == Kind::Group && self.ignore_members_on_create {
            body.retain(|key, _| !key.eq_ignore_ascii_case("members"));
        }
    }

    /// Refuses a list or search request that asked for a page size.
    pub(crate) fn check_count(&self, count: Option<usize>) -> Result<(), ScimError> {
        if self.refuse_count && count.is_some() {
            return Err(ScimError::invalid_value(
                "count is not supported: leave it out to get pages of the server's default size (dev-server quirk --refuse-count)",
            ));
        }
        Ok(())
    }

    /// Refuses a write to, or the creation of, a group named `name` when writes to it
    /// are refused. Users pass.
    pub(crate) fn check_group_write(&self, kind: Kind, name: &str) -> Result<(), ScimError> {
        if kind != Kind::Group || self.refuse_writes_to_groups.is_empty() {
            return Ok(());
        }
        let lower = name.to_lowercase();
        if self
            .refuse_writes_to_groups
            .iter()
            .any(|refused| refused.to_lowercase() == lower)
        {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                None,
                format!(
                    "insufficient privileges to change the group \"{name}\" (dev-server quirk --refuse-writes-to-group)"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_quirk_is_off_by_default() {
        let q = Quirks::default();
        assert!(!q.any());
        assert!(q.check_patch(Kind::User).is_ok());
        assert!(q.check_count(Some(5)).is_ok());
        assert!(q.check_group_write(Kind::Group, "Admins").is_ok());
        let mut body = Map::new();
        body.insert("members".into(), json!([{"value": "u"}]));
        q.shape_create(Kind::Group, &mut body);
        assert!(body.contains_key("members"));
    }

    #[test]
    fn each_quirk_does_what_it_says() {
        let q = Quirks {
            patch_users_not_implemented: true,
            ignore_members_on_create: true,
            refuse_count: true,
            refuse_writes_to_groups: vec!["Admins".into(), "Ünïcode".into()],
        };
        assert!(q.any());
        let err = q.check_patch(Kind::User).expect_err("refused");
        assert_eq!(err.status, StatusCode::NOT_IMPLEMENTED);
        assert!(q.check_patch(Kind::Group).is_ok());

        let err = q.check_count(Some(10)).expect_err("refused");
        assert_eq!(err.scim_type, Some("invalidValue"));
        assert!(err.detail.contains("count is not supported"));
        assert!(q.check_count(None).is_ok());

        for name in ["admins", "ADMINS", "ünïcode", "ÜNÏCODE"] {
            let err = q.check_group_write(Kind::Group, name).expect_err(name);
            assert_eq!(err.status, StatusCode::FORBIDDEN);
        }
        assert!(q.check_group_write(Kind::Group, "admins2").is_ok());
        assert!(q.check_group_write(Kind::User, "admins").is_ok());

        let mut body = Map::new();
        body.insert("displayName".into(), json!("g"));
        body.insert("Members".into(), json!([{"value": "u"}]));
        q.shape_create(Kind::Group, &mut body);
        assert_eq!(Value::Object(body), json!({"displayName": "g"}));
    }
}
