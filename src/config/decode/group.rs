//! Decoding one group entry: a displayName, members (userNames, emails, `group:NAME`,
//! `{user: NAME}`, `{group: NAME}`), membership, privileged, `min_members` and former
//! names.

use super::user::required_name;
use super::{Decoder, Key};
use crate::config::declared::Membership;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{GroupEntry, Located, MemberForm, MemberList, Text};
use crate::config::yaml::{Node, Value};

pub(super) const GROUP_KEYS: &[&str] = &[
    "displayName",
    "externalId",
    "members",
    "membership",
    "privileged",
    "min_members",
    "previously",
];

/// The keys of a member written as a mapping (exactly one of them).
pub(super) const MEMBER_KEYS: &[&str] = &["user", "group"];

const MEMBER_FORMS: &str = "name a declared user by userName or email, or a group as `group:NAME`; \
     `{user: NAME}` and `{group: NAME}` say which explicitly";

pub(super) fn group(d: &mut Decoder<'_>, node: &Node<'_>) -> Option<GroupEntry> {
    let f = d.fields(&"each entry of `groups`", node, "a group", GROUP_KEYS)?;
    let display_name = required_name(
        d,
        &f,
        "displayName",
        "a group",
        "the name the group has at the service provider",
    );
    let members_loc = f.get("members").map(|e| e.value.loc);
    let members = d
        .list(f.get("members"), "of userNames", member)
        .map(|listed| {
            let mut list = MemberList::with_capacity(listed.len());
            for (form, name) in listed {
                list.push(form, name, &d.file.text);
            }
            list
        });
    let entry = GroupEntry {
        display_name: Located::new(String::new(), f.loc),
        external_id: d.located_string(f.get("externalId")),
        members: members
            .zip(members_loc)
            .map(|(m, loc)| Located::new(m, loc)),
        membership: d.choice(
            f.get("membership"),
            &[
                ("authoritative", Membership::Authoritative),
                ("additive", Membership::Additive),
            ],
        ),
        privileged: d.boolean(f.get("privileged")),
        min_members: d.count(f.get("min_members")),
        previously: d.string_list(f.get("previously"), "of former names"),
        loc: f.loc,
    };
    Some(GroupEntry {
        display_name: display_name?,
        ..entry
    })
}

/// One entry of `members:`: a string (the short form) or `{user: NAME}` / `{group: NAME}`.
fn member(d: &mut Decoder<'_>, node: &Node<'_>) -> Option<(MemberForm, Located<Text>)> {
    if let Value::Map(entries) = &node.value {
        let f = d.fields(&"each entry of `members`", node, "a member", MEMBER_KEYS)?;
        let (form, entry) = match (f.get("user"), f.get("group")) {
            (Some(_), Some(group)) => {
                d.report(
                    ConfigErrorKind::ConflictingKeys,
                    "a member names both a `user` and a `group`",
                    group.key_loc,
                    "one member is one user or one group",
                    "write one member per entry: `{user: NAME}` or `{group: NAME}`",
                );
                return None;
            }
            (Some(user), None) => (MemberForm::User, user),
            (None, Some(group)) => (MemberForm::Group, group),
            (None, None) => {
                // Unknown keys are reported already; an empty mapping is not.
                if entries.is_empty() {
                    d.report(
                        ConfigErrorKind::MissingKey,
                        "a member names neither a `user` nor a `group`",
                        node.loc,
                        "an empty member",
                        MEMBER_FORMS,
                    );
                }
                return None;
            }
        };
        if d.without_value(entry) {
            return None;
        }
        let name = d.text_node(&Key(&entry.key), &entry.value)?;
        if name.value.as_str(&d.file.text).trim().is_empty() {
            d.report(
                ConfigErrorKind::EmptyName,
                format!("the `{}` of a member is empty", entry.key),
                name.loc,
                "empty member",
                MEMBER_FORMS,
            );
            return None;
        }
        return Some((form, name));
    }
    let member = d.text_node(&"each entry of `members`", node)?;
    let name = member.value.as_str(&d.file.text);
    let empty = name.trim().is_empty()
        || name
            .strip_prefix("group:")
            .is_some_and(|g| g.trim().is_empty());
    if empty {
        d.report(
            ConfigErrorKind::EmptyName,
            "a member is empty",
            node.loc,
            "empty member",
            MEMBER_FORMS,
        );
        return None;
    }
    Some((MemberForm::Short, member))
}
