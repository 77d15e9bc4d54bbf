//! Users and groups as the files write them, with the positions that validation points
//! at (names, emails, members, managers, former names).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

use super::{Located, Text};
use crate::config::declared::Membership;
use crate::config::origin::Loc;

/// A declared user. Attributes left out are not managed: never compared, never sent.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserEntry {
    /// Unique identifier of the user at the service provider, usually the login email.
    /// Compared case-insensitively.
    pub user_name: Located<String>,
    /// Identifier of the user in the provisioning client (the identity provider).
    pub external_id: Option<Located<String>>,
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
    /// Shorthand for one primary email: `email: a@example.com` is
    /// `emails: [{value: a@example.com, primary: true}]`. Not together with `emails`.
    pub email: Option<Located<String>>,
    /// Email addresses. At most one is primary. An explicit empty list means "none".
    pub emails: Option<Vec<EmailEntry>>,
    /// Phone numbers. At most one is primary. An explicit empty list means "none".
    pub phone_numbers: Option<Vec<PhoneNumberEntry>>,
    /// Attributes of the enterprise extension
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
    pub enterprise: Option<EnterpriseEntry>,
    /// Attributes of other schema extensions, by schema URN, sent as written, e.g.
    /// `urn:example:params:scim:schemas:extension:acme:1.0:User: {badge: "1234"}`.
    #[schemars(
        with = "Option<std::collections::BTreeMap<String, Map<String, Value>>>",
        extend("propertyNames" = { "pattern": "^[uU][rR][nN]:" })
    )]
    pub extensions: Option<Extensions>,
    /// Former userNames, for renames: a live user found under one of these names (and not
    /// under the current one) is renamed, not deleted and created again.
    pub previously: Option<Vec<Located<String>>>,
    /// Where the entry starts.
    #[schemars(skip)]
    pub loc: Loc,
}

/// Extension attributes by schema URN, in the order written.
pub(crate) type Extensions = Vec<(Located<String>, Map<String, Value>)>;

/// The components of a user's name.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
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
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EmailEntry {
    /// The address, local@domain.
    pub value: Located<String>,
    /// Kind of address, e.g. `work` (see `defaults.email_type`).
    #[schemars(rename = "type")]
    pub kind: Option<String>,
    /// Whether this is the user's primary address (at most one).
    pub primary: Option<Located<bool>>,
}

/// One phone number of a user.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PhoneNumberEntry {
    /// The number, preferably in E.164 form, e.g. `+44 20 7946 0000`.
    pub value: Located<String>,
    /// Kind of number, e.g. `work` or `mobile`.
    #[schemars(rename = "type")]
    pub kind: Option<String>,
    /// Whether this is the user's primary number (at most one).
    pub primary: Option<Located<bool>>,
}

/// Attributes of the SCIM enterprise user extension.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnterpriseEntry {
    /// Employee number assigned by the organisation.
    pub employee_number: Option<String>,
    /// Cost center.
    pub cost_center: Option<String>,
    /// The organisation's name.
    pub organization: Option<String>,
    /// Division.
    pub division: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// The user's manager: the userName of another declared user (scimform sends the
    /// manager's SCIM id).
    pub manager: Option<Located<String>>,
}

/// A declared group.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupEntry {
    /// Name of the group. Compared case-insensitively.
    pub display_name: Located<String>,
    /// Identifier of the group in the provisioning client.
    pub external_id: Option<Located<String>>,
    /// Members: declared users by userName or by one of their emails, and declared groups
    /// as `group:NAME`; or, where a name could be misread (a userName that starts with
    /// `group:`), explicitly as `{user: NAME}` or `{group: NAME}`. Never SCIM ids:
    /// scimform resolves ids. With the default `membership: authoritative`, members the
    /// list does not name are removed; without a `members` key the group's membership is
    /// not managed.
    #[schemars(example = members_example())]
    pub members: Option<Located<MemberList>>,
    /// `authoritative` (default): the list is all the members. `additive`: the listed
    /// members are added, others are left alone.
    #[schemars(rename = "membership")]
    pub membership: Option<Membership>,
    /// Marks a group that grants privileged access (plans call out its changes).
    pub privileged: Option<bool>,
    /// The group must keep at least this many members; a plan that leaves fewer is refused.
    #[schemars(rename = "min_members")]
    pub min_members: Option<Located<u32>>,
    /// Former displayNames, for renames: a live group found under one of these names (and
    /// not under the current one) is renamed.
    pub previously: Option<Vec<Located<String>>>,
    /// Where the entry starts.
    #[schemars(skip)]
    pub loc: Loc,
}

fn members_example() -> serde_json::Value {
    serde_json::json!([
        "alice@example.com",
        "group:platform-oncall",
        { "user": "group:admins@example.com" },
        { "group": "sre" }
    ])
}

/// A group's `members:` as written, 24 bytes an entry (a million are common): a member's
/// name is the file's text at the entry's location, unless the YAML writes it quoted or
/// escaped, and then the list holds a copy.
#[derive(Debug, Default, PartialEq)]
pub struct MemberList {
    pub entries: Vec<Located<MemberEntry>>,
    copies: Vec<Box<str>>,
}

/// [`MemberEntry::copy`] of a name that is the file's text at the entry's location.
const VERBATIM: u32 = u32::MAX;

impl MemberList {
    pub fn with_capacity(count: usize) -> MemberList {
        MemberList {
            entries: Vec::with_capacity(count),
            copies: Vec::new(),
        }
    }

    /// Add a member written in `form`; `source` is the text of the file it is written in.
    pub fn push(&mut self, form: MemberForm, name: Located<Text>, source: &str) {
        let copy = match name.value {
            Text::Span { offset, len } if offset == name.loc.offset && len == name.loc.len => {
                VERBATIM
            }
            text => {
                // A file under the loader's size limit holds far fewer than 2^32 names.
                let index = u32::try_from(self.copies.len()).unwrap_or(VERBATIM);
                self.copies.push(match text {
                    Text::Owned(copy) => copy,
                    span @ Text::Span { .. } => span.as_str(source).into(),
                });
                index
            }
        };
        self.entries
            .push(Located::new(MemberEntry { form, copy }, name.loc));
    }

    /// The name of one of this list's entries, given the text of the list's file.
    pub fn name<'t>(&'t self, member: &Located<MemberEntry>, source: &'t str) -> &'t str {
        if let Some(copy) = self.copies.get(member.value.copy as usize) {
            return copy;
        }
        let start = member.loc.offset as usize;
        source
            .get(start..start + member.loc.len as usize)
            .unwrap_or("")
    }
}

impl JsonSchema for MemberList {
    fn inline_schema() -> bool {
        Vec::<MemberEntry>::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        Vec::<MemberEntry>::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        Vec::<MemberEntry>::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Vec::<MemberEntry>::json_schema(generator)
    }
}

/// One entry of a group's `members:`, as written. Its location is the name's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemberEntry {
    pub form: MemberForm,
    /// The index of the name's copy in its [`MemberList`], or [`VERBATIM`].
    copy: u32,
}

/// How a member is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberForm {
    /// A string: a userName or email, or `group:NAME` for a group.
    Short,
    /// `{user: NAME}`: a declared user by userName or email, whatever NAME looks like.
    User,
    /// `{group: NAME}`: a declared group by displayName.
    Group,
}

impl JsonSchema for MemberEntry {
    fn schema_name() -> Cow<'static, str> {
        "MemberEntry".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A member: a declared user by userName or email, or a declared \
                group as `group:NAME`; `{user: NAME}` and `{group: NAME}` say which kind \
                explicitly (for a userName that starts with `group:`).",
            "anyOf": [
                {
                    "type": "string",
                    "minLength": 1
                },
                {
                    "type": "object",
                    "properties": {
                        "user": {
                            "description": "A declared user, by userName or email, exactly.",
                            "type": "string",
                            "minLength": 1
                        }
                    },
                    "required": ["user"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": {
                        "group": {
                            "description": "A declared group, by displayName, exactly.",
                            "type": "string",
                            "minLength": 1
                        }
                    },
                    "required": ["group"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(offset: u32, len: u32) -> Loc {
        Loc {
            offset,
            len,
            line: 1,
            column: offset + 1,
        }
    }

    #[test]
    fn members_are_read_from_the_text_unless_copied() {
        let source = r#"[alice@x.test, "b\u0040x.test", {group: eng}]"#;
        let mut list = MemberList::with_capacity(3);
        list.push(
            MemberForm::Short,
            Located::new(Text::Span { offset: 1, len: 12 }, loc(1, 12)),
            source,
        );
        list.push(
            MemberForm::Short,
            Located::new(Text::Owned("b@x.test".into()), loc(15, 15)),
            source,
        );
        // A span that is not the entry's location is copied, not misread.
        list.push(
            MemberForm::Group,
            Located::new(Text::Span { offset: 40, len: 3 }, loc(33, 11)),
            source,
        );
        let names: Vec<&str> = list.entries.iter().map(|m| list.name(m, source)).collect();
        assert_eq!(names, ["alice@x.test", "b@x.test", "eng"]);
        assert_eq!(list.entries[2].value.form, MemberForm::Group);
        assert_eq!(
            list.entries[1].loc,
            loc(15, 15),
            "the location stays the entry's"
        );
        assert_eq!(size_of::<Located<MemberEntry>>(), 24);
    }
}
