//! What export must know about the whole directory before it writes one entry: the
//! order users and groups are written in (by userName and displayName, folded to lower
//! case, ties in the server's order), where each one comes in a member list (users by
//! folded userName, groups by folded `group:NAME`, mixed), and which user or group a
//! member id names.
//!
//! Only indices, the folded names and the ids are held — a few dozen bytes a resource —
//! never a copy of the resources themselves. The ids are copied into one
//! [`KeyTable`] ([`IdTable`]): a million member lookups then compare against memory
//! close together rather than against ids scattered over the snapshot, a group's members
//! all at once — the most of the time a large export spends on groups. This module reads
//! nothing and writes nothing.

use crate::config::fold_name;
use crate::key_table::KeyTable;
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
                    let (group_keys, group_order) = sorted_keys(
                        live.groups
                            .iter()
                            .map(|g| fold_name(&g.display_name).into_owned()),
                    );
                    let (member_keys, member_order) = sorted_keys(
                        live.groups
                            .iter()
                            .map(|g| fold_name(&format!("group:{}", g.display_name)).into_owned()),
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
                let users = sorted_keys(
                    live.users
                        .iter()
                        .map(|u| fold_name(&u.user_name).into_owned()),
                );
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

    /// What each of `ids` names, in order, into `found` (the same answers as
    /// [`resource`](Self::resource), looked up several at a time).
    pub(super) fn resources(&self, ids: &[&str], found: &mut Vec<Option<Resource>>) {
        let mut values = Vec::with_capacity(ids.len());
        self.by_id.0.get_batch(ids, &mut values);
        found.clear();
        found.extend(values.into_iter().map(|value| value.map(resource)));
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

/// Member ids and what each names, in one [`KeyTable`]: a user `i` as `2i`, a group as
/// `2i + 1`. A later id replaces an earlier one.
struct IdTable(KeyTable);

impl IdTable {
    /// The table of `ids`, of which there are `count`.
    fn new<'i>(count: usize, ids: impl Iterator<Item = (&'i str, Resource)>) -> IdTable {
        let mut table = KeyTable::with_capacity(count);
        for (id, resource) in ids {
            let value = match resource {
                Resource::User(i) => i.checked_mul(2),
                Resource::Group(i) => i.checked_mul(2).map(|v| v | 1),
            };
            table.set(id.as_bytes(), value.unwrap_or(u32::MAX));
        }
        IdTable(table)
    }

    fn get(&self, id: &str) -> Option<Resource> {
        self.0.get(id.as_bytes()).map(resource)
    }
}

fn resource(value: u32) -> Resource {
    if value & 1 == 0 {
        Resource::User(value >> 1)
    } else {
        Resource::Group(value >> 1)
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
