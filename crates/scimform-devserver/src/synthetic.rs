//! Synthetic directories for benchmarks and load tests: `--seed-synthetic USERS,GROUPS,
//! MEMBERSHIPS` fills the store in-process (100,000 users, 10,000 groups and 1,000,000
//! memberships take a second or two), instead of a million HTTP requests.
//!
//! Owns the size type, its parsing, and the shape of the generated data: users
//! `user000001@synthetic.test`…, groups `group-00001`…, memberships spread evenly over
//! the groups. The same size (and `--seed`) gives the same directory. It must only add
//! resources that are valid by the same rules as requests.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::ids::now_rfc3339;
use super::members::Member;
use super::schema::Kind;
use super::store::Store;

/// How much synthetic data to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSize {
    pub users: usize,
    pub groups: usize,
    /// Total (group, user) memberships, spread over the groups.
    pub memberships: usize,
}

/// Beyond this many resources of one kind, a synthetic directory is refused.
const MAX_RESOURCES: usize = 5_000_000;

impl FromStr for SyntheticSize {
    type Err = String;

    /// `USERS,GROUPS,MEMBERSHIPS`, e.g. `100000,10000,1000000`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [users, groups, memberships] = parts.as_slice() else {
            return Err(format!(
                "expected USERS,GROUPS,MEMBERSHIPS (three numbers), not {s:?}"
            ));
        };
        let number = |what: &str, v: &str| {
            v.replace('_', "")
                .parse::<usize>()
                .map_err(|_| format!("{what} must be a whole number, not {v:?}"))
        };
        let size = SyntheticSize {
            users: number("USERS", users)?,
            groups: number("GROUPS", groups)?,
            memberships: number("MEMBERSHIPS", memberships)?,
        };
        size.check()?;
        Ok(size)
    }
}

impl fmt::Display for SyntheticSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{}", self.users, self.groups, self.memberships)
    }
}

impl SyntheticSize {
    /// Whether the numbers describe a directory that can exist.
    pub fn check(&self) -> Result<(), String> {
        if self.users > MAX_RESOURCES || self.groups > MAX_RESOURCES {
            return Err(format!(
                "at most {MAX_RESOURCES} users and {MAX_RESOURCES} groups"
            ));
        }
        let most = self.users.saturating_mul(self.groups);
        if self.memberships > most {
            return Err(format!(
                "{} cannot fit: {} and {} have room for at most {most}",
                counted(self.memberships, "membership"),
                counted(self.users, "user"),
                counted(self.groups, "group"),
            ));
        }
        Ok(())
    }
}

/// `n` and the noun, in the plural unless `n` is 1.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The attributes of synthetic user number `i` (1-based).
fn user(i: usize) -> Map<String, Value> {
    let name = format!("user{i:06}@synthetic.test");
    let body = json!({
        "userName": name,
        "displayName": format!("User {i}"),
        "name": {"givenName": "User", "familyName": format!("N{i}")},
        "emails": [{"value": name, "type": "work", "primary": true}],
        "active": true,
    });
    match body {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Store {
    /// Adds `size` synthetic users, groups and memberships. Names that already exist are
    /// an error, and nothing is added then.
    pub(crate) fn seed_synthetic(&mut self, size: SyntheticSize) -> Result<(), String> {
        size.check()?;
        let taken = (1..=size.users)
            .map(|i| format!("user{i:06}@synthetic.test"))
            .chain((1..=size.groups).map(|j| format!("group-{j:05}")))
            .find(|name| {
                self.users.unique.contains_key(name) || self.groups.unique.contains_key(name)
            });
        if let Some(name) = taken {
            return Err(format!("\"{name}\" already exists in the directory"));
        }
        let now: Arc<str> = Arc::from(now_rfc3339());
        let mut user_ids = Vec::with_capacity(size.users);
        for i in 1..=size.users {
            let seq = self.next_seq();
            user_ids.push(self.insert_new(Kind::User, user(i), Vec::new(), seq, &now));
        }
        let base = size.memberships.checked_div(size.groups).unwrap_or(0);
        let extra = size.memberships.checked_rem(size.groups).unwrap_or(0);
        for j in 0..size.groups {
            let count = base + usize::from(j < extra);
            // Consecutive users from a per-group offset: distinct within the group.
            let offset = j.wrapping_mul(7919) % size.users.max(1);
            let members: Vec<Member> = (0..count)
                .filter_map(|m| user_ids.get((offset + m) % size.users.max(1)))
                .filter_map(|id| {
                    let record = self.users.get(id)?;
                    Some(Member {
                        id: id.clone(),
                        kind: Kind::User,
                        name: record.name.clone(),
                    })
                })
                .collect();
            let mut attrs = Map::new();
            attrs.insert(
                "displayName".into(),
                Value::String(format!("group-{:05}", j + 1)),
            );
            let seq = self.next_seq();
            self.insert_new(Kind::Group, attrs, members, seq, &now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_sizes() {
        assert_eq!(
            "100000,10000,1_000_000".parse::<SyntheticSize>(),
            Ok(SyntheticSize {
                users: 100_000,
                groups: 10_000,
                memberships: 1_000_000
            })
        );
        for bad in ["1,2", "a,b,c", "2,2,5", "0,3,1", "1,2,3,4"] {
            assert!(bad.parse::<SyntheticSize>().is_err(), "{bad}");
        }
    }

    #[test]
    fn seeds_distinct_members_evenly() {
        let mut s = Store::new("http://x", Some(3));
        let size = SyntheticSize {
            users: 10,
            groups: 3,
            memberships: 25,
        };
        s.seed_synthetic(size).expect("seeded");
        assert_eq!(s.counts(), (10, 3, 25));
        for (_, group) in s.groups.in_order() {
            let mut ids: Vec<&str> = group.members.iter().map(|m| &*m.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "no duplicate members");
            assert!((8..=9).contains(&n));
        }
        assert!(s.seed_synthetic(size).is_err(), "names are taken now");
        assert_eq!(s.counts(), (10, 3, 25));
    }
}
