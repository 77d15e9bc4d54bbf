//! Decoding one group entry: a displayName, members (userNames, emails, `group:NAME`),
//! membership, privileged, `min_members` and former names.

use super::Decoder;
use super::user::required_name;
use crate::config::declared::Membership;
use crate::config::kind::ConfigErrorKind;
use crate::config::model::{GroupEntry, Located};
use crate::config::yaml::Node;

pub(super) const GROUP_KEYS: &[&str] = &[
    "displayName",
    "externalId",
    "members",
    "membership",
    "privileged",
    "min_members",
    "previously",
];

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
    let members = d.list(f.get("members"), "of userNames", |d, node| {
        let member = d.text_node(&"each entry of `members`", node)?;
        let name = member.value.as_str(&d.file.text).trim();
        let empty = name.is_empty()
            || name
                .strip_prefix("group:")
                .is_some_and(|g| g.trim().is_empty());
        if empty {
            d.report(
                ConfigErrorKind::EmptyName,
                "a member is empty",
                node.loc,
                "empty member",
                "name a declared user by userName or email, or a group as `group:NAME`",
            );
            return None;
        }
        Some(member)
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
