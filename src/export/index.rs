//! What export must know about the whole directory before it writes one entry: the
//! order users and groups are written in (by userName and displayName, folded to lower
//! case, ties in the server's order), where each one comes in a member list (users by
//! folded userName, groups by folded `group:NAME`, mixed), and which user or group a
//! member id names.
//!
//! Only indices, the folded names and the ids are held — a few dozen bytes a resource —
//! never a copy of the resources themselves. The ids are copied into one block
//! ([`IdTable`]): a million member lookups then compare against memory close together
//! rather than against ids scattered over the snapshot, which is most of the time a
//! large export spends on groups. This module reads nothing and writes nothing.

use std::hash::Hasher as _;

use rustc_hash::FxHasher;

use crate::live::Live;

/// A user or a group, by its position in the [`Live`] snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Resource {
    User(u32),
    Group(u32),
}

/// The directory, indexed for writing.
pub(super) struct Index<'l> {
    live: &'l Live,
    /// Each user's userName in lower case: the order of users, and of user members.
    pub(super) user_keys: Vec<String>,
    /// Each group's displayName in lower case: the order of groups.
    pub(super) group_keys: Vec<String>,
    /// Users in the order they are written.
    pub(super) user_order: Vec<u32>,
    /// Groups in the order they are written.
    pub(super) group_order: Vec<u32>,
    /// Where each user comes in a member list (equal names, equal places).
    user_rank: Vec<u32>,
    /// Where each group comes in a member list.
    group_rank: Vec<u32>,
    /// Member ids; an id that is both a user's and a group's is the user's.
    by_id: IdTable,
}

impl<'l> Index<'l> {
    pub(super) fn new(live: &'l Live) -> Index<'l> {
        // Users on this thread, groups and ids on another.
        let ((user_keys, user_order), (group_keys, group_order, group_member_order, by_id)) =
            std::thread::scope(|scope| {
                let groups = scope.spawn(|| {
                    let (group_keys, group_order) =
                        sorted_keys(live.groups.iter().map(|g| g.display_name.to_lowercase()));
                    let (member_keys, member_order) = sorted_keys(
                        live.groups
                            .iter()
                            .map(|g| format!("group:{}", g.display_name).to_lowercase()),
                    );
                    let groups = (0u32..)
                        .zip(&live.groups)
                        .map(|(i, g)| (g.id.as_str(), Resource::Group(i)));
                    let users = (0u32..)
                        .zip(&live.users)
                        .map(|(i, u)| (u.id.as_str(), Resource::User(i)));
                    let by_id =
                        IdTable::new(live.groups.len() + live.users.len(), groups.chain(users));
                    (group_keys, group_order, (member_keys, member_order), by_id)
                });
                let users = sorted_keys(live.users.iter().map(|u| u.user_name.to_lowercase()));
                let groups = groups
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (users, groups)
            });
        let (group_member_keys, group_member_order) = group_member_order;
        let (user_rank, group_rank) = member_ranks(
            (&user_keys, &user_order),
            (&group_member_keys, &group_member_order),
        );
        Index {
            live,
            user_keys,
            group_keys,
            user_order,
            group_order,
            user_rank,
            group_rank,
            by_id,
        }
    }

    pub(super) fn live(&self) -> &'l Live {
        self.live
    }

    /// The user or group a member id names.
    pub(super) fn resource(&self, id: &str) -> Option<Resource> {
        self.by_id.get(id)
    }

    /// The userName of the user with this id.
    pub(super) fn user_name(&self, id: &str) -> Option<&'l str> {
        match self.resource(id)? {
            Resource::User(index) => Some(self.live.users[index as usize].user_name.as_str()),
            Resource::Group(_) => None,
        }
    }

    /// Where `member` comes in a member list.
    pub(super) fn rank(&self, member: Resource) -> u32 {
        match member {
            Resource::User(index) => self.user_rank[index as usize],
            Resource::Group(index) => self.group_rank[index as usize],
        }
    }
}

/// The keys, and positions `0..keys.len()` sorted by key (equal keys keep their order).
fn sorted_keys(keys: impl Iterator<Item = String>) -> (Vec<String>, Vec<u32>) {
    let keys: Vec<String> = keys.collect();
    let mut order: Vec<u32> = (0..).take(keys.len()).collect();
    order.sort_by(|a, b| keys[*a as usize].cmp(&keys[*b as usize]));
    (keys, order)
}

/// The place of every user and group in a member list: users by their folded userName,
/// groups by their folded `group:NAME` (folded whole, as a name is written), the two
/// lists merged; equal keys get equal places, so that a stable sort by place keeps the
/// server's order among them.
fn member_ranks(
    (user_keys, user_order): (&[String], &[u32]),
    (group_keys, group_order): (&[String], &[u32]),
) -> (Vec<u32>, Vec<u32>) {
    let mut user_rank = vec![0; user_keys.len()];
    let mut group_rank = vec![0; group_keys.len()];
    let (mut u, mut g) = (0, 0);
    let mut rank = 0u32;
    let mut previous: Option<&str> = None;
    while u < user_order.len() || g < group_order.len() {
        let user = user_order
            .get(u)
            .map(|i| (user_keys[*i as usize].as_str(), *i));
        let group = group_order
            .get(g)
            .map(|i| (group_keys[*i as usize].as_str(), *i));
        let (key, resource) = match (user, group) {
            (Some((uk, ui)), Some((gk, _))) if uk <= gk => {
                u += 1;
                (uk, Resource::User(ui))
            }
            (_, Some((gk, gi))) => {
                g += 1;
                (gk, Resource::Group(gi))
            }
            (Some((uk, ui)), None) => {
                u += 1;
                (uk, Resource::User(ui))
            }
            (None, None) => break,
        };
        if previous.is_some_and(|p| p != key) {
            rank += 1;
        }
        previous = Some(key);
        match resource {
            Resource::User(i) => user_rank[i as usize] = rank,
            Resource::Group(i) => group_rank[i as usize] = rank,
        }
    }
    (user_rank, group_rank)
}

/// Ids and what each names: the ids in one block of text, and an open-addressing table
/// whose slots hold what a lookup needs — part of the id's hash, where the id is, and
/// what it names — so that finding an id reads one slot and the id itself. A later
/// insert of the same id replaces the earlier one.
struct IdTable {
    /// Every id, one after another.
    text: String,
    /// A power of two long, at most half full.
    slots: Vec<Slot>,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    /// The high half of the id's hash.
    tag: u32,
    /// Where the id is in the text.
    start: usize,
    len: u32,
    /// What the id names; `None` for an empty slot.
    resource: Option<Resource>,
}

impl IdTable {
    /// The table of `ids`, of which there are `count`.
    fn new<'i>(count: usize, ids: impl Iterator<Item = (&'i str, Resource)>) -> IdTable {
        let capacity = (count * 2).next_power_of_two().max(16);
        let mut table = IdTable {
            text: String::new(),
            slots: vec![Slot::default(); capacity],
        };
        for (id, resource) in ids {
            table.insert(id, resource);
        }
        table
    }

    /// The slot that holds `id`, or the empty one where it would go; and the tag.
    fn slot(&self, id: &str) -> (usize, u32) {
        let mut hasher = FxHasher::default();
        hasher.write(id.as_bytes());
        let hash = hasher.finish();
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)] // only the low bits are wanted
        let mut at = hash as usize & mask;
        loop {
            let slot = &self.slots[at];
            if slot.resource.is_none()
                || (slot.tag == tag
                    && self.text.get(slot.start..slot.start + slot.len as usize) == Some(id))
            {
                return (at, tag);
            }
            at = (at + 1) & mask;
        }
    }

    fn insert(&mut self, id: &str, resource: Resource) {
        let (at, tag) = self.slot(id);
        let slot = &mut self.slots[at];
        if slot.resource.is_none() {
            slot.tag = tag;
            slot.start = self.text.len();
            slot.len = u32::try_from(id.len()).unwrap_or(u32::MAX);
            self.text.push_str(id);
        }
        slot.resource = Some(resource);
    }

    fn get(&self, id: &str) -> Option<Resource> {
        self.slots[self.slot(id).0].resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn orders_and_ranks_follow_folded_names_with_ties_in_server_order() {
        let live = Live::from_resources(
            vec![
                json!({"id": "u1", "userName": "b@x"}),
                json!({"id": "u2", "userName": "A@x"}),
                json!({"id": "u3", "userName": "a@X"}),
                json!({"id": "g1", "userName": "group:Eng"}),
            ],
            vec![json!({"id": "g1", "displayName": "eng"})],
        )
        .expect("live");
        let index = Index::new(&live);
        assert_eq!(index.user_order, [1, 2, 0, 3]);
        assert_eq!(index.rank(Resource::User(1)), index.rank(Resource::User(2)));
        assert!(index.rank(Resource::User(1)) < index.rank(Resource::User(0)));
        assert_eq!(
            index.rank(Resource::User(3)),
            index.rank(Resource::Group(0)),
            "`group:Eng` the user and `eng` the group are written alike"
        );
        assert_eq!(index.resource("g1"), Some(Resource::User(3)), "users first");
        assert_eq!(index.user_name("u2"), Some("A@x"));
        assert_eq!(index.user_name("nobody"), None);
    }

    #[test]
    fn the_id_table_finds_every_id_and_only_those() {
        let ids: Vec<String> = (0..1000).map(|i| format!("id-{i}")).collect();
        let table = IdTable::new(
            ids.len() + 1,
            (0u32..)
                .zip(&ids)
                .map(|(i, id)| (id.as_str(), Resource::Group(i)))
                .chain([("id-7", Resource::User(9))]),
        );
        for (i, id) in (0u32..).zip(&ids) {
            let expected = if i == 7 {
                Resource::User(9)
            } else {
                Resource::Group(i)
            };
            assert_eq!(table.get(id), Some(expected), "{id}");
        }
        for missing in ["", "id-", "id-1000", "ID-1"] {
            assert_eq!(table.get(missing), None, "{missing}");
        }
    }
}
