//! Hostile and mistaken servers against the live reader: members a group list leaves
//! out (read another way, never taken as none), member ids the lists missed (never
//! removed on a misread), ids that would change a request path, values that could not be
//! read back. Wiremock for the exact answers, the dev-server's emulations for whole
//! providers, the built binary for what a user sees (exit 1 and a clear error, never a
//! panic).

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use scimform::live::{self, GroupReader, UserReader};
use scimform::scim::{ClientSettings, Paging, Profile, RetryPolicy, ScimClient, Token, parse_with};

use crate::support::cycle::{Http, Run, TOKEN_ENV, scimform, write_config_for};
use crate::support::dev_server::DevServerProcess;

const TOKEN: &str = "bad-data-token-7c2d";

fn client_with(server: &MockServer, profile: Profile) -> ScimClient {
    let mut settings = ClientSettings::new(&server.uri(), Token::new(TOKEN), "SCIMFORM_TOKEN");
    settings.profile = profile;
    settings.profile.requests_per_minute = 0;
    settings.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(2),
    };
    ScimClient::new(&settings).expect("client")
}

fn client(server: &MockServer, profile: &str) -> ScimClient {
    client_with(server, Profile::builtin(profile).expect("profile"))
}

/// A generic profile that pages by cursor (as `target.options: {paging: cursor}` makes
/// it).
fn generic_by_cursor() -> Profile {
    let mut profile = Profile::generic();
    profile.paging = Paging::Cursor;
    profile
}

fn answer(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("Content-Type", "application/scim+json")
        .set_body_json(body)
}

fn list(total: usize, resources: &Value) -> ResponseTemplate {
    answer(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "Resources": resources,
    }))
}

/// Mount a one-page directory: `users` and `groups` as the lists return them.
async fn directory(server: &MockServer, users: &Value, groups: &Value) {
    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(count(users), users))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(list(count(groups), groups))
        .mount(server)
        .await;
}

/// `scimform.yaml` for a wiremock target, declaring `body` (users and groups).
fn config(dir: &Path, base_url: &str, options: &str, body: &str) {
    std::fs::write(
        dir.join("scimform.yaml"),
        format!(
            "target:\n  url: {base_url}\n  profile: generic\n  token_env: {TOKEN_ENV}\n{options}{body}"
        ),
    )
    .expect("writing scimform.yaml");
}

fn assert_clean_failure(run: &Run, expected: &str) {
    assert_eq!(run.code, 1, "a clear error, not a panic: {run:?}");
    assert!(run.stderr.contains(expected), "lacks `{expected}`: {run:?}");
    assert!(!run.all().contains("panicked"), "{run:?}");
}

// 1. Absent members are not an empty group.

/// The drifted directory of the cycle, seeded over HTTP: engineering holds alice and
/// mallory; the configuration wants alice and bob.
async fn seed_engineering(http: &Http) {
    let alice = http.create_user("alice@e2e.test", "Alice Ng").await;
    http.create_user("carol@e2e.test", "Carol Diaz").await;
    let mallory = http.create_user("mallory@e2e.test", "Mallory").await;
    http.create_group("engineering", &[&alice, &mallory]).await;
}

#[tokio::test]
async fn members_a_group_list_leaves_out_are_read_another_way_whatever_the_profile() {
    for emulation in ["entra", "aws-identity-center", "databricks"] {
        for profile in ["generic", "auto"] {
            let server = DevServerProcess::start_with(&["--emulate", emulation]);
            let http = Http::new(&server.base_url, &server.token);
            seed_engineering(&http).await;
            let dir = tempfile::tempdir().expect("temp dir");
            write_config_for(dir.path(), &server.base_url, profile);
            let plan = scimform(
                dir.path(),
                Some(&server.token),
                &["plan", "-v", "--detailed-exitcode"],
            );
            let context = format!("--emulate {emulation}, profile {profile}: {plan:?}");
            assert_eq!(plan.code, 2, "{context}");
            for expected in [
                "~ group engineering",
                "- member mallory@e2e.test",
                "+ member bob@e2e.test  (created by this plan)",
                "3 membership changes (1 removal)",
            ] {
                assert!(
                    plan.stdout.contains(expected),
                    "lacks `{expected}`: {context}"
                );
            }
            assert!(
                !plan.stdout.contains("+ member alice@e2e.test"),
                "alice is a member already: {context}"
            );
            if profile == "auto" {
                assert!(
                    plan.stderr.contains("refined how group members are read"),
                    "-v tells: {context}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_server_that_shows_members_nowhere_fails_the_read() {
    let server = MockServer::start().await;
    directory(
        &server,
        &json!([{"id": "u1", "userName": "a@x.test"}]),
        &json!([{"id": "g1", "displayName": "eng"}]),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(answer(&json!({"id": "g1", "displayName": "eng"})))
        .mount(&server)
        .await;
    // The group list mock above answers every filter with g1: filters are ignored.
    let error = live::read(&client(&server, "generic"))
        .await
        .expect_err("members unknown");
    assert!(
        error
            .to_string()
            .contains("group memberships cannot be read"),
        "{error}"
    );
}

#[tokio::test]
async fn a_group_left_out_of_a_list_that_lists_members_is_read_by_id() {
    let server = MockServer::start().await;
    directory(
        &server,
        &json!([{"id": "u1", "userName": "a@x.test"}, {"id": "u2", "userName": "b@x.test"}]),
        &json!([
            {"id": "g1", "displayName": "eng", "members": [{"value": "u1"}]},
            {"id": "g2", "displayName": "ops"},
            {"id": "g3", "displayName": "empty"}
        ]),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g2"))
        .respond_with(answer(
            &json!({"id": "g2", "displayName": "ops", "members": [{"value": "u2"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // RFC 7643 §2.5: an empty multi-valued attribute may be left out.
    Mock::given(method("GET"))
        .and(path("/Groups/g3"))
        .respond_with(answer(&json!({"id": "g3", "displayName": "empty"})))
        .expect(1)
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "generic")).await.expect("read");
    assert_eq!(live.groups[0].members, ["u1"]);
    assert_eq!(live.groups[1].members, ["u2"]);
    assert!(live.groups[2].members.is_empty());
}

#[tokio::test]
async fn a_profile_that_reads_members_by_get_falls_back_to_filters_then_trusts_itself() {
    // Like Entra under the databricks profile: GET shows no members, filters work.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(1, &json!([{"id": "u1", "userName": "a@x.test"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(answer(&json!({"id": "g1", "displayName": "eng"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param("filter", "members eq \"u1\""))
        .respond_with(list(1, &json!([{"id": "g1", "displayName": "eng"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param_is_missing("filter"))
        .respond_with(list(1, &json!([{"id": "g1", "displayName": "eng"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(list(0, &json!([])))
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "databricks"))
        .await
        .expect("read");
    assert_eq!(live.groups[0].members, ["u1"]);
    assert!(
        live.notices[0].contains("member filter per user"),
        "{:?}",
        live.notices
    );

    // The same server refusing filters: the profile's word stands, every group empty.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param_is_missing("filter"))
        .respond_with(list(1, &json!([{"id": "g1", "displayName": "eng"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(1, &json!([{"id": "u1", "userName": "a@x.test"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(answer(&json!({"id": "g1", "displayName": "eng"})))
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "databricks"))
        .await
        .expect("read");
    assert!(live.groups[0].members.is_empty());
    assert!(
        live.notices[0].contains("taken as empty"),
        "{:?}",
        live.notices
    );
}

// 2. A member is removed as dangling only when its absence is proven.

/// A cursor-paged user list without `totalResults` that ends after `user0`, while the
/// group lists `u1` too, whom `GET /Users/u1` finds.
async fn cursor_list_missing_a_user(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param_is_missing("cursor"))
        .respond_with(answer(&json!({
            "Resources": [{"id": "u0", "userName": "user0@x.test"}]
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(answer(&json!({
            "Resources": [{"id": "g1", "displayName": "eng",
                           "members": [{"value": "u0"}, {"value": "u1"}]}]
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users/u1"))
        .respond_with(answer(&json!({"id": "u1", "userName": "user1@x.test"})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_member_the_user_list_missed_fails_the_read_instead_of_being_removed() {
    let server = MockServer::start().await;
    cursor_list_missing_a_user(&server).await;
    let error = live::read(&client_with(&server, generic_by_cursor()))
        .await
        .expect_err("the user list is incomplete");
    assert!(
        error.to_string().contains("the user list is incomplete"),
        "{error}"
    );
}

#[tokio::test]
async fn plan_does_not_remove_a_member_that_a_short_cursor_list_missed() {
    let server = MockServer::start().await;
    cursor_list_missing_a_user(&server).await;
    let dir = tempfile::tempdir().expect("temp dir");
    config(
        dir.path(),
        &server.uri(),
        "  options: { paging: cursor }\n",
        "users:\n  - userName: user0@x.test\ngroups:\n  - displayName: eng\n    members: [user0@x.test]\n",
    );
    let plan = scimform(dir.path(), Some(TOKEN), &["plan", "--detailed-exitcode"]);
    assert!(!plan.stdout.contains("- member"), "{plan:?}");
    assert_clean_failure(&plan, "the user list is incomplete");
}

#[tokio::test]
async fn dangling_members_are_confirmed_one_by_one() {
    let server = MockServer::start().await;
    directory(
        &server,
        &json!([{"id": "u0", "userName": "a@x.test"}]),
        &json!([{"id": "g1", "displayName": "eng", "members": [
            {"value": "u0"}, {"value": "gone"}, {"value": "malformed"}, {"value": "a/b"}, {"value": "U0"}
        ]}]),
    )
    .await;
    for (endpoint, status) in [("/Users", 404), ("/Groups", 410)] {
        Mock::given(method("GET"))
            .and(path(format!("{endpoint}/gone")))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/Users/malformed"))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "generic")).await.expect("read");
    // `U0` is `u0` in another case (no look-up), `a/b` is never sent, `malformed`
    // is not proven absent by a 400.
    let absent: Vec<&str> = live
        .absent_member_ids
        .iter()
        .map(scimform::scim::ScimId::as_str)
        .collect();
    assert_eq!(absent, ["gone"]);
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_string())
        .filter(|p| p.matches('/').count() > 1)
        .collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
}

#[tokio::test]
async fn more_than_a_thousand_unmatched_member_ids_fail_the_read() {
    let server = MockServer::start().await;
    let members: Vec<Value> = (0..1001)
        .map(|i| json!({"value": format!("x{i}")}))
        .collect();
    directory(
        &server,
        &json!([{"id": "u0", "userName": "a@x.test"}]),
        &json!([{"id": "g1", "displayName": "eng", "members": members}]),
    )
    .await;
    let error = live::read(&client(&server, "generic"))
        .await
        .expect_err("not trustworthy");
    assert!(
        error
            .to_string()
            .contains("1001 member ids of groups match no user or group"),
        "{error}"
    );
    let lookups = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().starts_with("/Users/"))
        .count();
    assert_eq!(lookups, 0, "nothing looked up one by one");
}

#[tokio::test]
async fn a_cursor_list_without_totals_is_read_and_said_to_be_unchecked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param_is_missing("cursor"))
        .respond_with(answer(&json!({
            "Resources": [{"id": "u0", "userName": "a@x.test"}], "nextCursor": "c2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param("cursor", "c2"))
        .respond_with(answer(
            &json!({"Resources": [{"id": "u1", "userName": "b@x.test"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(answer(&json!({"totalResults": 1, "Resources": [
            {"id": "g1", "displayName": "eng", "members": [{"value": "u1"}]}
        ]})))
        .mount(&server)
        .await;
    let live = live::read(&client_with(&server, generic_by_cursor()))
        .await
        .expect("read");
    assert_eq!(live.users.len(), 2);
    assert_eq!(live.notices.len(), 1, "{:?}", live.notices);
    assert!(
        live.notices[0].contains("the user list (cursor paging) gave no totalResults"),
        "{:?}",
        live.notices
    );
}

/// A read of `server` (its user list already mounted; no groups) that must fail at once,
/// before paging on: the error.
async fn refused_before_paging(server: &MockServer) -> live::LiveReadError {
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(list(0, &json!([])))
        .mount(server)
        .await;
    tokio::time::timeout(
        Duration::from_secs(10),
        live::read(&client(server, "generic")),
    )
    .await
    .expect("refused at once")
    .expect_err("refused")
}

#[tokio::test]
async fn a_total_beyond_any_directory_is_refused_before_paging() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(answer(&json!({"totalResults": 1_000_000_000_000_u64,
                                     "Resources": [{"id": "u0", "userName": "a@x.test"}]})))
        .mount(&server)
        .await;
    let error = refused_before_paging(&server).await;
    assert!(
        error.to_string().contains("longer than 10000000 users"),
        "{error}"
    );
}

// 3. Ids are data, not paths.

const BAD_IDS: &[&str] = &[
    "",
    ".",
    "..",
    "a/b",
    "../Groups",
    "a?b=c",
    "a#b",
    "a\u{7}b",
    "%2e%2e",
];

#[tokio::test]
async fn ids_that_would_change_a_request_path_fail_the_read_and_name_the_resource() {
    let long = "x".repeat(1025);
    for &bad in BAD_IDS.iter().chain([long.as_str()].iter()) {
        for kind in ["user", "group"] {
            let server = MockServer::start().await;
            let (users, groups) = if kind == "user" {
                (json!([{"id": bad, "userName": "eve@x.test"}]), json!([]))
            } else {
                (
                    json!([]),
                    json!([{"id": bad, "displayName": "eng", "members": []}]),
                )
            };
            directory(&server, &users, &groups).await;
            let error = live::read(&client(&server, "generic"))
                .await
                .expect_err("refused");
            let message = error.to_string();
            let name = if kind == "user" { "eve@x.test" } else { "eng" };
            assert!(
                message.contains("cannot be used in a request path")
                    && message.contains(&format!("{kind} \"{name}\"")),
                "{bad:?} ({kind}): {message}"
            );
            assert!(!message.contains('\u{7}'), "escaped: {message}");
        }
    }
}

#[tokio::test]
async fn a_group_get_that_answers_with_another_group_is_an_error() {
    let server = MockServer::start().await;
    directory(
        &server,
        &json!([{"id": "u0", "userName": "a@x.test"}]),
        &json!([{"id": "g1", "displayName": "eng"}, {"id": "g2", "displayName": "ops"}]),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(answer(
            &json!({"id": "g2", "displayName": "ops", "members": [{"value": "u0"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g2"))
        .respond_with(answer(
            &json!({"id": "g2", "displayName": "ops", "members": []}),
        ))
        .mount(&server)
        .await;
    let error = live::read(&client(&server, "databricks"))
        .await
        .expect_err("another group's members");
    assert!(
        error
            .to_string()
            .contains("GET /Groups/g1 answered with the group \"g2\""),
        "{error}"
    );
}

// 4. No panic on any server answer.

/// Values `serde_json` reads as raw text but refuses as a tree, each with what the
/// error says about it.
fn hostile_values() -> Vec<(&'static str, String, &'static str)> {
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    vec![
        ("title", deep, "nested deeper than 64 levels"),
        ("nickName", "1e400".to_string(), "a number too large"),
        (
            "displayName",
            r#""\ud800""#.to_string(),
            "unpaired UTF-16 surrogate",
        ),
        (
            "urn:x:1.0",
            r#"{"a": [{"b": "ok \ud83d\ude00", "c": -2.5E+999}]}"#.to_string(),
            "a number too large",
        ),
    ]
}

fn user_page(attribute: &str, raw: &str) -> String {
    format!(
        r#"{{"totalResults": 1, "Resources": [{{"id": "u1", "userName": "eve@x.test", "{attribute}": {raw}}}]}}"#
    )
}

#[test]
fn values_that_could_not_be_read_back_are_refused_with_the_attribute_named() {
    for (attribute, raw, says) in hostile_values() {
        let page = user_page(attribute, &raw);
        match parse_with(page.as_bytes(), &UserReader) {
            Ok(page) => {
                // Reading it back must not panic either (it did: `to_value`'s expect).
                let read_back = std::panic::catch_unwind(|| page.resources[0].resource());
                panic!("{attribute} = {raw:.60} was kept (read back: {read_back:?})");
            }
            Err(error) => assert!(
                error.contains(&format!("user \"u1\" has an attribute `{attribute}`"))
                    && error.contains(says),
                "{error}"
            ),
        }
        let group = page
            .replace("\"userName\": \"eve@x.test\"", "\"displayName\": \"eng\"")
            .replace("\"id\": \"u1\"", "\"id\": \"g1\"");
        let error = parse_with(group.as_bytes(), &GroupReader)
            .map(|_| ())
            .expect_err("refused in a group too");
        assert!(error.contains(says), "{error}");
    }
}

#[test]
fn odd_but_readable_values_are_kept() {
    for raw in [
        r#""\ud83d\ude00 and \u00e9""#,
        "1e308",
        "-0.0",
        "123456789012345678901234567890",
        r#"{"meta-like": {"version": 3}, "x": [[[[[[[[1]]]]]]]]}"#,
    ] {
        let page = parse_with(user_page("x", raw).as_bytes(), &UserReader).expect(raw);
        let resource = page.resources[0].resource();
        assert!(resource.get("x").is_some(), "{raw}");
    }
    // A hostile `meta` is skipped, not parsed.
    let meta = format!(
        r#"{{"Resources": [{{"id": "u1", "userName": "a", "meta": {{"created": 1e999, "x": {}1{}, "version": "W/\"2\""}}}}]}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let page = parse_with(meta.as_bytes(), &UserReader).expect("meta is not read");
    assert_eq!(page.resources[0].version.as_deref(), Some("W/\"2\""));
}

#[tokio::test]
async fn plan_apply_and_export_refuse_an_unreadable_value_without_a_panic() {
    for (attribute, raw, says) in hostile_values() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/Users"))
            .and(query_param("startIndex", "1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Type", "application/scim+json")
                    .set_body_string(user_page(attribute, &raw)),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/Groups"))
            .respond_with(list(0, &json!([])))
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().expect("temp dir");
        config(
            dir.path(),
            &server.uri(),
            "",
            "users:\n  - userName: eve@x.test\n    title: Boss\n",
        );
        let out = dir.path().join("exported");
        let out = out.to_string_lossy();
        for args in [
            vec!["plan"],
            vec!["apply", "--auto-approve"],
            vec!["export", "--out-dir", &out],
        ] {
            let run = scimform(dir.path(), Some(TOKEN), &args);
            assert_clean_failure(&run, says);
            assert!(run.stderr.contains(attribute), "{args:?}: {run:?}");
        }
    }
}

#[tokio::test]
async fn a_total_that_means_too_many_pages_is_refused_before_paging() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(
            5_000_000,
            &json!([{"id": "u0", "userName": "a@x.test"}]),
        ))
        .mount(&server)
        .await;
    let error = refused_before_paging(&server).await;
    assert!(
        error.to_string().contains("more than 200000 pages"),
        "{error}"
    );
    let requests = server.received_requests().await.unwrap_or_default().len();
    assert!(requests <= 2, "{requests} requests");
}
