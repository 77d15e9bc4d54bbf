//! Request-shape contract tests (wiremock): the exact requests scimform sends per
//! provider profile — paging parameters, headers, create bodies, PATCH bodies, member
//! removal forms, chunking — and how it answers retries, Retry-After, an ambiguous POST
//! and a refused removal form. A real server is not the point here; the bytes are.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use scimform::apply;
use scimform::live;
use scimform::plan::{
    Action, AttributeChange, Capabilities, Change, Guards, MemberChanges, MemberRef, MemberType,
    PLAN_FORMAT_VERSION, Plan, PlanPolicy, PlanTarget, ResourceType, Summary, Unmanaged,
};
use scimform::scim::{ClientSettings, Profile, RetryPolicy, ScimClient, Token};

const TOKEN: &str = "contract-token-5b1e";

fn client(server: &MockServer, profile: &str) -> ScimClient {
    let mut settings = ClientSettings::new(&server.uri(), Token::new(TOKEN), "SCIMFORM_TOKEN");
    settings.profile = Profile::builtin(profile).expect("profile");
    settings.profile.requests_per_minute = 0;
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(5),
    };
    ScimClient::new(&settings).expect("client")
}

fn list(total: usize, resources: Value) -> ResponseTemplate {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
    });
    body["Resources"] = resources;
    ResponseTemplate::new(200)
        .insert_header("Content-Type", "application/scim+json")
        .set_body_json(body)
}

fn users(range: std::ops::Range<usize>) -> Value {
    Value::Array(
        range
            .map(|i| json!({"id": format!("u{i}"), "userName": format!("user{i}@x.test")}))
            .collect(),
    )
}

fn plan(changes: Vec<Change>) -> Plan {
    let profile = Profile::generic();
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        scimform_version: "test".into(),
        created_at: "2026-12-01T00:00:00Z".into(),
        git_commit: None,
        target: PlanTarget {
            url: "t".into(),
            profile: profile.name.clone(),
            capabilities: Capabilities::of(&profile),
        },
        config_digest: "sha256:d".into(),
        scope: None,
        policy: PlanPolicy::default(),
        summary: Summary::of(&changes),
        guards: Guards::default(),
        changes,
        unmanaged: Unmanaged::default(),
        notes: vec![],
        atlassian: None,
    }
}

/// A change with the common header filled in.
fn change(resource: ResourceType, name: &str, action: Action, id: Option<&str>) -> Change {
    Change {
        address: format!("{} {name}", resource.noun()),
        resource,
        name: name.into(),
        action,
        id: id.map(str::to_string),
        reason: "test".into(),
        fingerprint: None,
        destructive: false,
        privileged: false,
        protected: false,
        matched_by: None,
        attributes: vec![],
        manager: None,
        members: MemberChanges::default(),
        linked_account: None,
    }
}

fn create_user(user_name: &str, attributes: &Value) -> Change {
    let mut change = change(ResourceType::User, user_name, Action::Create, None);
    change.attributes = attributes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(path, value)| AttributeChange {
            path: path.clone(),
            old: None,
            new: value.clone().into(),
        })
        .collect();
    change
}

fn update_group(
    id: &str,
    name: &str,
    attributes: Vec<AttributeChange>,
    add: Vec<MemberRef>,
    remove: Vec<MemberRef>,
) -> Change {
    let mut change = change(ResourceType::Group, name, Action::Update, Some(id));
    change.attributes = attributes;
    change.members.add = add;
    change.members.remove = remove;
    change
}

fn member(id: &str) -> MemberRef {
    MemberRef {
        name: Some(format!("{id}@x.test").into()),
        id: Some(id.into()),
        r#type: MemberType::User,
    }
}

/// Apply `plan`; the report when every change was applied, else what failed.
async fn run_apply(client: &ScimClient, plan: &Plan) -> Result<apply::Report, String> {
    run_apply_with(client, plan, 4).await
}

/// [`run_apply`] with `concurrency` changes in flight.
async fn run_apply_with(
    client: &ScimClient,
    plan: &Plan,
    concurrency: usize,
) -> Result<apply::Report, String> {
    let options = apply::ApplyOptions {
        concurrency,
        interrupt: None,
    };
    let report = apply::apply(plan, client, options, &apply::Silent).await;
    if report.complete() {
        return Ok(report);
    }
    let failures: Vec<String> = report
        .outcomes
        .iter()
        .map(|o| match o {
            apply::ChangeOutcome::Failed { failure, .. } => format!("failed: {failure}"),
            apply::ChangeOutcome::Skipped { because } => format!("skipped: {because}"),
            apply::ChangeOutcome::Interrupted => "not started".to_string(),
            apply::ChangeOutcome::Applied { lines, .. } => format!("applied: {}", lines.join("; ")),
        })
        .collect();
    Err(failures.join("\n"))
}

/// The result lines of every applied change.
fn lines(report: &apply::Report) -> String {
    report
        .outcomes
        .iter()
        .filter_map(|o| match o {
            apply::ChangeOutcome::Applied { lines, .. } => Some(lines.join("; ")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The PATCH bodies a server received, in order.
async fn patch_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).expect("PATCH body is JSON"))
        .collect()
}

#[tokio::test]
async fn generic_paging_headers_and_concurrent_pages() {
    let server = MockServer::start().await;
    for (start, range) in [("1", 0..100), ("101", 100..200), ("201", 200..250)] {
        Mock::given(method("GET"))
            .and(path("/Users"))
            .and(query_param("startIndex", start))
            .and(query_param("count", "100"))
            .and(query_param("excludedAttributes", "groups"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(list(250, users(range)))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param("startIndex", "1"))
        .and(query_param_is_missing("excludedAttributes"))
        .respond_with(list(
            1,
            json!([{"id": "g", "displayName": "eng", "members": [{"value": "u1"}]}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "generic"))
        .await
        .expect("complete read");
    assert_eq!(live.users.len(), 250);
    assert_eq!(live.users[249].id, "u249", "pages are merged in order");
    assert_eq!(live.groups[0].members, ["u1"]);
    let requests = server.received_requests().await.unwrap_or_default();
    let header_of = |name: &str| {
        requests[0]
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(header_of("user-agent").starts_with("scimform/"));
    assert_eq!(
        header_of("accept"),
        "application/scim+json, application/json"
    );
}

#[tokio::test]
async fn slack_asks_for_pages_of_1000() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param("count", "1000"))
        .respond_with(list(0, json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param("count", "1000"))
        .respond_with(list(0, json!([])))
        .expect(1)
        .mount(&server)
        .await;
    live::read(&client(&server, "slack")).await.expect("read");
}

#[tokio::test]
async fn databricks_reads_members_by_get_and_excludes_them_from_lists() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(1, users(0..1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param("excludedAttributes", "members"))
        .respond_with(list(1, json!([{"id": "g1", "displayName": "eng"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"id": "g1", "displayName": "eng", "members": [{"value": "u0"}]}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "databricks"))
        .await
        .expect("read");
    assert_eq!(live.groups[0].members, ["u0"]);
}

#[tokio::test]
async fn aws_uses_cursors_and_member_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param_is_missing("cursor"))
        .and(query_param("count", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalResults": 2, "Resources": users(0..1), "nextCursor": "c2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param("cursor", "c2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"totalResults": 2, "Resources": users(1..2)})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param_is_missing("filter"))
        .respond_with(list(1, json!([{"id": "g1", "displayName": "eng"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param("filter", "members eq \"u1\""))
        .and(query_param("excludedAttributes", "members"))
        .respond_with(list(1, json!([{"id": "g1", "displayName": "eng"}])))
        .expect(1)
        .mount(&server)
        .await;
    // Everything else filtered (u0, and the probe for an id that cannot exist): no groups.
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .and(query_param("excludedAttributes", "members"))
        .respond_with(list(0, json!([])))
        .mount(&server)
        .await;
    let live = live::read(&client(&server, "aws-identity-center"))
        .await
        .expect("read");
    assert_eq!(live.users.len(), 2);
    assert_eq!(live.groups[0].members, ["u1"]);
}

#[tokio::test]
async fn a_server_that_ignores_member_filters_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(list(1, users(0..1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(list(1, json!([{"id": "g1", "displayName": "eng"}])))
        .mount(&server)
        .await;
    let mut settings = ClientSettings::new(&server.uri(), Token::new(TOKEN), "T");
    settings.profile = Profile::builtin("entra").expect("entra");
    settings.profile.requests_per_minute = 0;
    let error = live::read(&ScimClient::new(&settings).expect("client"))
        .await
        .expect_err("ignored filters");
    assert!(
        error.to_string().contains("ignores `members eq` filters"),
        "{error}"
    );
}

#[tokio::test]
async fn create_user_body_and_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Users"))
        .and(header("content-type", "application/scim+json"))
        .and(body_json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "a@x.test",
            "displayName": "A",
            "active": true
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "new", "userName": "a@x.test"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let attributes = json!({"displayName": "A", "active": true});
    let plan = plan(vec![create_user("a@x.test", &attributes)]);
    run_apply(&client(&server, "generic"), &plan)
        .await
        .expect("applied");
}

#[tokio::test]
async fn generic_group_update_is_one_patch_with_filter_path_removal() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/Groups/g1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let plan = plan(vec![update_group(
        "g1",
        "eng",
        vec![AttributeChange {
            path: "externalId".into(),
            old: None,
            new: json!("e-1").into(),
        }],
        vec![member("a1"), member("a2")],
        vec![member("r1")],
    )]);
    run_apply(&client(&server, "generic"), &plan)
        .await
        .expect("applied");
    assert_eq!(
        patch_bodies(&server).await,
        [json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": "externalId", "value": "e-1"},
                {"op": "add", "path": "members", "value": [{"value": "a1"}, {"value": "a2"}]},
                {"op": "remove", "path": "members[value eq \"r1\"]"}
            ]
        })]
    );
}

/// A server that answers every PATCH of a group with 501: the group is read, the planned
/// changes are laid over it (members added and removed, attributes replaced, everything
/// else kept, `meta` left out) and it is sent whole with PUT and `If-Match` on the
/// version just read; the result line says so.
#[tokio::test]
async fn a_group_patch_refused_with_501_is_sent_whole_with_put() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/Groups/g1"))
        .respond_with(ResponseTemplate::new(501).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "501",
            "detail": "PATCH is not implemented"
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g1",
            "displayName": "eng",
            "externalId": "old",
            "x-kept": {"by": "the server"},
            "members": [{"value": "k1"}, {"value": "r1"}],
            "meta": {"resourceType": "Group", "version": "W/\"7\""}
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/Groups/g1"))
        .and(header("If-Match", "W/\"7\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g1",
            "displayName": "eng"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let plan = plan(vec![update_group(
        "g1",
        "eng",
        vec![AttributeChange {
            path: "externalId".into(),
            old: Some(json!("old").into()),
            new: json!("e-1").into(),
        }],
        vec![member("a1")],
        vec![member("r1")],
    )]);
    let report = run_apply(&client(&server, "generic"), &plan)
        .await
        .expect("applied");
    assert!(
        lines(&report).contains("PUT 200 OK (the server does not take PATCH)"),
        "{}",
        lines(&report)
    );
    // A 501 to a PATCH that removes members may refuse only the removal form, so the
    // other form is tried first (after reading the group, to check what it keeps); when
    // that is refused too, the group is read and sent whole.
    let requests = server.received_requests().await.unwrap_or_default();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["PATCH", "GET", "PATCH", "GET", "PUT"]);
    let put = requests
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("a PUT");
    let body: Value = serde_json::from_slice(&put.body).expect("PUT body is JSON");
    assert_eq!(body["externalId"], json!("e-1"));
    assert_eq!(body["x-kept"], json!({"by": "the server"}));
    assert_eq!(body["displayName"], json!("eng"));
    assert!(body.get("meta").is_none(), "{body}");
    let mut members: Vec<&str> = body["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["value"].as_str())
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["a1", "k1"], "{body}");
}

#[tokio::test]
async fn aws_removes_by_value_list() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let plan = plan(vec![update_group(
        "g1",
        "eng",
        vec![],
        vec![],
        vec![member("r1"), member("r2")],
    )]);
    run_apply(&client(&server, "aws-identity-center"), &plan)
        .await
        .expect("applied");
    assert_eq!(
        patch_bodies(&server).await[0]["Operations"],
        json!([{"op": "remove", "path": "members", "value": [{"value": "r1"}, {"value": "r2"}]}])
    );
}

#[tokio::test]
async fn entra_chunks_adds_by_20_and_removes_alone() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let adds: Vec<MemberRef> = (0..25).map(|i| member(&format!("a{i:02}"))).collect();
    let plan = plan(vec![update_group(
        "g1",
        "eng",
        vec![],
        adds,
        vec![member("r1"), member("r2")],
    )]);
    run_apply(&client(&server, "entra"), &plan)
        .await
        .expect("applied");
    let bodies = patch_bodies(&server).await;
    let shapes: Vec<(String, usize)> = bodies
        .iter()
        .map(|b| {
            let op = &b["Operations"][0];
            let n = op["value"]
                .as_array()
                .map_or(b["Operations"].as_array().map_or(0, Vec::len), Vec::len);
            (op["op"].as_str().unwrap_or_default().to_string(), n)
        })
        .collect();
    assert_eq!(
        shapes,
        [
            ("add".to_string(), 20),
            ("add".to_string(), 5),
            ("remove".to_string(), 1),
            ("remove".to_string(), 1)
        ]
    );
}

/// Answers in turn from a list, then repeats the last.
struct Sequence(std::sync::Mutex<Vec<ResponseTemplate>>);

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut answers = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers[0].clone()
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "0"),
            list(0, json!([])),
        ])))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Groups"))
        .respond_with(list(0, json!([])))
        .mount(&server)
        .await;
    let client = client(&server, "generic");
    live::read(&client).await.expect("read after a retry");
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn an_ambiguous_post_is_looked_up_before_it_is_sent_again() {
    let server = MockServer::start().await;
    // The first POST "fails" (503) — but the user was created; the lookup finds it.
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param("filter", "userName eq \"a@x.test\""))
        .respond_with(list(1, json!([{"id": "found", "userName": "a@x.test"}])))
        .expect(1)
        .mount(&server)
        .await;
    let plan = plan(vec![create_user("a@x.test", &json!({}))]);
    run_apply(&client(&server, "generic"), &plan)
        .await
        .expect("adopted after lookup");
}

#[tokio::test]
async fn a_refused_removal_form_falls_back_once_and_sticks() {
    let server = MockServer::start().await;
    // The filter-path form is answered 501; the value-list form works.
    Mock::given(method("PATCH"))
        .and(|request: &Request| {
            String::from_utf8_lossy(&request.body).contains("members[value eq")
        })
        .respond_with(ResponseTemplate::new(501).set_body_json(
            json!({"status": "501", "detail": "filters in paths are not supported"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    // The one-time check after adopting the value-list form reads each group back.
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(200).set_body_json(json!({"id": "g1", "displayName": "a", "members": [{"value": "keep"}, {"value": "r1"}]})),
            ResponseTemplate::new(200).set_body_json(json!({"id": "g1", "displayName": "a", "members": [{"value": "keep"}]})),
        ])))
        .mount(&server)
        .await;
    let update =
        |id: &str, remove: &str| update_group(id, id, vec![], vec![], vec![member(remove)]);
    let plan = plan(vec![update("g1", "r1"), update("g2", "r2")]);
    // One at a time, so that the second group is sent after the first learned the form.
    run_apply_with(&client(&server, "generic"), &plan, 1)
        .await
        .expect("applied with the fallback");
    let bodies = patch_bodies(&server).await;
    let paths: Vec<&str> = bodies
        .iter()
        .map(|b| b["Operations"][0]["path"].as_str().unwrap_or_default())
        .collect();
    // g1: refused form, then the value list; g2: the value list straight away.
    assert_eq!(paths, ["members[value eq \"r1\"]", "members", "members"]);
}

#[tokio::test]
async fn a_value_list_fallback_that_empties_the_group_stops_the_apply() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(|request: &Request| {
            String::from_utf8_lossy(&request.body).contains("members[value eq")
        })
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"status": "400", "scimType": "invalidPath"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    // Before: two members; after the "remove one" request: none (the server removed all).
    Mock::given(method("GET"))
        .and(path("/Groups/g1"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(200).set_body_json(json!({"id": "g1", "displayName": "a", "members": [{"value": "keep"}, {"value": "r1"}]})),
            ResponseTemplate::new(200).set_body_json(json!({"id": "g1", "displayName": "a"})),
        ])))
        .mount(&server)
        .await;
    let plan = plan(vec![update_group(
        "g1",
        "a",
        vec![],
        vec![],
        vec![member("r1")],
    )]);
    let error = run_apply(&client(&server, "generic"), &plan)
        .await
        .expect_err("the apply must stop");
    assert!(
        error.contains("removed 1 member(s) of group g1 that the value-list removal did not name"),
        "{error}"
    );
}

#[tokio::test]
async fn errors_never_contain_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"status": "401", "detail": "bad token"})),
        )
        .mount(&server)
        .await;
    let error = live::read(&client(&server, "generic"))
        .await
        .expect_err("401");
    let rendered = scimform::cli::render_diagnostic(&error, false, 120);
    assert!(rendered.contains("HTTP 401"), "{rendered}");
    assert!(!rendered.contains(TOKEN), "{rendered}");
    assert!(!format!("{error:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_large_new_group_is_created_with_a_capped_body_then_patched() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Groups"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "g-new", "displayName": "big"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/Groups/g-new"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let members: Vec<MemberRef> = (0..130).map(|i| member(&format!("m{i:03}"))).collect();
    let mut create = change(ResourceType::Group, "big", Action::Create, None);
    create.members.add = members;
    let plan = plan(vec![create]);
    run_apply(&client(&server, "aws-identity-center"), &plan)
        .await
        .expect("applied");
    let requests = server.received_requests().await.unwrap_or_default();
    let post: Value = serde_json::from_slice(&requests[0].body).expect("POST body");
    assert_eq!(post["members"].as_array().map(Vec::len), Some(100));
    let patches = patch_bodies(&server).await;
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0]["Operations"][0]["value"]
            .as_array()
            .map(Vec::len),
        Some(30)
    );
}

#[tokio::test]
async fn atlassian_replaces_a_group_with_the_members_the_plan_lists() {
    let server = MockServer::start().await;
    // The members come from the plan: the old group is never read back.
    Mock::given(method("GET"))
        .and(path("/Groups/old"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "old", "displayName": "team-leads"
        })))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/Groups"))
        .and(body_json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "leads",
            "members": [{"value": "u1"}, {"value": "u3"}]
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "new", "displayName": "leads"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/Groups/old"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let mut replace = change(ResourceType::Group, "leads", Action::Replace, Some("old"));
    replace.attributes = vec![AttributeChange {
        path: "displayName".into(),
        old: Some(json!("team-leads").into()),
        new: json!("leads").into(),
    }];
    replace.members.keep = vec![member("u1")];
    replace.members.add = vec![member("u3")];
    replace.members.remove = vec![member("u2")];
    let report = run_apply(&client(&server, "atlassian"), &plan(vec![replace]))
        .await
        .expect("replaced");
    assert!(
        patch_bodies(&server).await.is_empty(),
        "no PATCH of displayName"
    );
    let lines = lines(&report);
    assert!(
        lines.contains("new group created: 201 Created (id new"),
        "{lines}"
    );
    assert!(
        lines.contains("old group deleted (id old): 204 No Content"),
        "{lines}"
    );
}

#[tokio::test]
async fn a_retried_post_that_meets_uniqueness_adopts_the_first_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(502),
            ResponseTemplate::new(409)
                .set_body_json(json!({"status": "409", "scimType": "uniqueness"})),
        ])))
        .expect(2)
        .mount(&server)
        .await;
    // The lookup after the 502 does not see the user yet; the one after the 409 does.
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param("filter", "userName eq \"a@x.test\""))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            list(0, json!([])),
            list(1, json!([{"id": "first", "userName": "a@x.test"}])),
        ])))
        .expect(2)
        .mount(&server)
        .await;
    let plan = plan(vec![create_user("a@x.test", &json!({}))]);
    let report = run_apply(&client(&server, "generic"), &plan)
        .await
        .expect("adopted");
    let lines = lines(&report);
    assert!(lines.contains("(id first)"), "{lines}");
    assert!(lines.contains("POST was sent 2 times"), "{lines}");
}

#[tokio::test]
async fn an_oversized_response_is_refused_with_a_clear_error() {
    let server = MockServer::start().await;
    let too_big = vec![b' '; scimform::scim::MAX_RESPONSE_BYTES + 1];
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(too_big))
        .mount(&server)
        .await;
    let error = live::read(&client(&server, "generic"))
        .await
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("the response is larger than 67108864 bytes"),
        "{error}"
    );
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_any_request() {
    let settings = ClientSettings::new("http://scim.example.com/v2", Token::new(TOKEN), "T");
    let error = ScimClient::new(&settings).expect_err("refused");
    let rendered = scimform::cli::render_diagnostic(&error, false, 120);
    assert!(
        rendered.contains("refusing to send the bearer token over plain http"),
        "{rendered}"
    );
    assert!(rendered.contains("help:"), "{rendered}");
    assert!(!rendered.contains(TOKEN));
}

/// Apply's look-up after a create that answered without an id lists the users when the
/// filter finds nothing. A server that ignores `startIndex` (always the same page) and
/// announces a huge total must not be paged forever: the look-up stops at the first page
/// that brings no new id.
#[tokio::test]
async fn a_lookup_by_listing_ends_against_a_server_that_ignores_start_index() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param("filter", "userName eq \"new@x.test\""))
        .respond_with(list(0, json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(query_param_is_missing("filter"))
        .respond_with(list(1_000_000_000, users(0..100)))
        .mount(&server)
        .await;
    let client = client(&server, "generic");
    let found = tokio::time::timeout(
        Duration::from_secs(20),
        client.find_thoroughly(scimform::scim::ResourceKind::User, "userName", "new@x.test"),
    )
    .await
    .expect("the look-up ends")
    .expect("no error");
    assert!(found.is_empty(), "{found:?}");
    let pages = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.query().is_some_and(|q| !q.contains("filter")))
        .count();
    assert_eq!(pages, 2, "the first page, then the same page again: stop");
}

/// An id from a server answer (a POST, a lookup) that would change the request path is
/// refused before any request is sent with it: `..` must not turn `PATCH /Users/{id}`
/// into `PATCH /`, and `/` must not reach another endpoint.
#[tokio::test]
async fn ids_that_would_change_a_request_path_are_never_sent() {
    let server = MockServer::start().await;
    let client = client(&server, "generic");
    let kind = scimform::scim::ResourceKind::User;
    for id in [
        "..",
        ".",
        "",
        "a/../../Groups/g1",
        "a?filter=x",
        "a#b",
        "a%2F",
        "a\u{1b}[2J",
    ] {
        let error = client.get(kind, id).await.expect_err(id);
        assert!(
            error
                .to_string()
                .contains("cannot be used in a request path"),
            "{id:?}: {error}"
        );
        let error = client.delete(kind, id).await.expect_err(id);
        assert!(!error.to_string().contains('\u{1b}'), "{id:?}: {error}");
        let ops = [scimform::scim::PatchOp::replace("active", json!(false))];
        client.patch(kind, id, &ops).await.expect_err(id);
    }
    let sent = server.received_requests().await.unwrap_or_default();
    assert!(sent.is_empty(), "{sent:?}");
}
