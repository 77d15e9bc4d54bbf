//! The list-page and resource parsers are total: arbitrary bytes, and valid
//! `ListResponse` bodies mutated (bytes flipped, cut, spliced with hostile values:
//! deep nesting, huge numbers, lone surrogates, odd ids and keys), read with the live
//! readers (`parse_with` with `UserReader`, `GroupReader`, `SlimResource`), and
//! `Live::from_resources` of generated resources — then `resource()` of everything
//! they return — give a value or an error, never a panic. `SCIMFORM_PROPTEST_CASES`
//! sets the number of cases (256 by default).

use proptest::prelude::*;
use serde_json::{Value, json};

use scimform::live::{GroupReader, Live, UserReader};
use scimform::scim::{SlimResource, parse_with};

fn cases() -> u32 {
    std::env::var("SCIMFORM_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// Read `bytes` with every reader; read back whatever they keep.
fn read_every_way(bytes: &[u8]) {
    if let Ok(page) = parse_with(bytes, &UserReader) {
        for user in &page.resources {
            let resource = user.resource();
            assert!(resource.is_object(), "{resource}");
            let _ = user.json.as_str().len() + user.user_name.len() + user.id.len();
        }
    }
    if let Ok(page) = parse_with(bytes, &GroupReader) {
        for group in &page.resources {
            let resource = group.resource();
            assert!(resource.is_object(), "{resource}");
            let _ = group.members.iter().count();
        }
    }
    let _ = parse_with(bytes, &SlimResource);
}

/// Hostile fragments to splice into a body.
const FRAGMENTS: &[&str] = &[
    "1e400",
    "-1E+99999",
    "123456789012345678901234567890123456789",
    r#""\ud800""#,
    r#""\udc00\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\u0000""#,
    "null",
    "[]",
    "{}",
    r#""..""#,
    r#""""#,
    r#""a/b""#,
    "\"\\u0007\"",
    r#"{"value": "u1"}"#,
    r#"[{"value": 1e400}]"#,
    r#"{"version": 1e400}"#,
    "\"\u{85}\"",
];

/// A valid page of users or groups to mutate.
fn seed_page(groups: bool) -> String {
    let resources: Vec<Value> = (0..3)
        .map(|i| {
            if groups {
                json!({"id": format!("g{i}"), "displayName": format!("team {i}"),
                       "members": [{"value": "u1", "display": "x"}, "u2", 7],
                       "meta": {"version": "W/\"1\"", "created": "2026-01-01"}})
            } else {
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                       "id": format!("u{i}"), "userName": format!("u{i}@x.test"),
                       "name": {"givenName": "A", "familyName": "B"},
                       "emails": [{"value": "a@x.test", "primary": true}],
                       "active": true, "x": [1, 2.5, -3e10, null],
                       "urn:x:1.0": {"manager": {"value": "u0"}},
                       "meta": {"version": "W/\"1\""}})
            }
        })
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
           "totalResults": 3, "itemsPerPage": 3, "startIndex": 1,
           "nextCursor": "c", "Resources": resources})
    .to_string()
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the byte at (position mod length).
    Flip(usize, u8),
    /// Cut the body at (position mod length).
    Truncate(usize),
    /// Replace the JSON token starting at a value position with a hostile fragment.
    Splice(usize, usize),
    /// Nest a value `n` levels deep at a value position.
    Nest(usize, usize),
    /// Insert random bytes.
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Mostly mutations that keep the JSON valid, so that the readers see the values.
    prop_oneof![
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        5 => (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(at, f)| Mutation::Splice(at, f)),
        3 => (any::<usize>(), 1usize..300).prop_map(|(at, n)| Mutation::Nest(at, n)),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
    ]
}

/// The positions just after a `:` or `[` outside strings (where a value starts), or 0.
fn value_positions(body: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b':' | b'[' if !in_string => at.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    if at.is_empty() {
        at.push(0);
    }
    at
}

/// The end of the value starting at `start`: a string, a balanced array or object, or a
/// scalar up to `,]}`.
fn token_end(body: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = start;
    while i < body.len() {
        let byte = body[i];
        if in_string {
            match byte {
                b'\\' => i += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' | b',' if depth == 0 => return i,
                b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    body.len()
}

fn mutate(mut body: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = body.len().max(1);
        match m {
            Mutation::Flip(at, b) => {
                if let Some(slot) = body.get_mut(at % len) {
                    *slot = *b;
                }
            }
            Mutation::Truncate(at) => body.truncate(at % len),
            Mutation::Splice(at, fragment) => {
                let positions = value_positions(&body);
                let start = positions[at % positions.len()].min(body.len());
                let end = token_end(&body, start).max(start);
                body.splice(start..end, FRAGMENTS[*fragment].bytes());
            }
            Mutation::Nest(at, depth) => {
                let positions = value_positions(&body);
                let start = positions[at % positions.len()].min(body.len());
                let end = token_end(&body, start).max(start);
                let inner = body[start..end].to_vec();
                let mut nested = "[".repeat(*depth).into_bytes();
                nested.extend_from_slice(if inner.is_empty() { b"1" } else { &inner });
                nested.extend(std::iter::repeat_n(b']', *depth));
                body.splice(start..end, nested);
            }
            Mutation::Insert(at, bytes) => {
                let at = at % (body.len() + 1);
                body.splice(at..at, bytes.iter().copied());
            }
        }
    }
    body
}

/// A generated resource for `Live::from_resources`: ids, names and values drawn from
/// the hostile fragments as well as ordinary ones.
fn resource(groups: bool) -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        "[a-z0-9.@/?#%-]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        any::<f64>().prop_map(|f| json!(f)),
        any::<i64>().prop_map(|n| json!(n)),
        Just(Value::Null),
        Just(json!([[[["deep"]]]])),
    ];
    (
        text.clone(),
        text.clone(),
        text,
        proptest::collection::vec(any::<String>(), 0..4),
    )
        .prop_map(move |(id, name, value, members)| {
            if groups {
                json!({"id": id, "displayName": name, "externalId": value, "members": members})
            } else {
                json!({"id": id, "userName": name, "title": value, "emails": [{"value": value}]})
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        read_every_way(&bytes);
    }

    #[test]
    fn mutated_list_responses_never_panic(
        groups in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let body = mutate(seed_page(groups).into_bytes(), &mutations);
        read_every_way(&body);
    }

    #[test]
    fn live_from_resources_never_panics(
        users in proptest::collection::vec(resource(false), 0..4),
        groups in proptest::collection::vec(resource(true), 0..4),
    ) {
        if let Ok(live) = Live::from_resources(users, groups) {
            for user in &live.users {
                prop_assert!(user.resource().is_object());
            }
            for group in &live.groups {
                prop_assert!(group.resource().is_object());
            }
        }
    }
}

/// The mutations reach the readers: among mutated pages, some are still read (and their
/// resources read back), some are refused for a hostile value, so the properties above
/// test both paths rather than only the JSON syntax check.
#[test]
fn mutated_pages_reach_both_the_kept_and_the_refused_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (any::<bool>(), proptest::collection::vec(mutation(), 1..3));
    let (mut kept, mut refused_value) = (0, 0);
    let samples = 2000;
    for _ in 0..samples {
        let (groups, mutations) = strategy.new_tree(&mut runner).expect("a case").current();
        let body = mutate(seed_page(groups).into_bytes(), &mutations);
        let read = if groups {
            parse_with(&body, &GroupReader).map(|p| p.resources.len())
        } else {
            parse_with(&body, &UserReader).map(|p| p.resources.len())
        };
        match read {
            Ok(n) if n > 0 => kept += 1,
            Err(e) if e.contains("scimform does not act on") => refused_value += 1,
            _ => {}
        }
        read_every_way(&body);
    }
    eprintln!(
        "of {samples} mutated pages: {kept} read, {refused_value} refused for a value or an id"
    );
    assert!(kept > samples / 10, "{kept}");
    assert!(refused_value > samples / 100, "{refused_value}");
}
