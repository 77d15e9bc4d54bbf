//! The dev-server's provider emulations and fault flags, over real HTTP: each test starts
//! `DevServer` in-process on 127.0.0.1:0 with the options under test and drives it with
//! reqwest. Every emulation quirk (page caps, cursor paging, members missing from group
//! reads, member caps per PATCH, removal forms, DELETE semantics, filters, `resources`,
//! renames, required attributes and headers), every quirk (PATCH of users not
//! implemented, members ignored on create, `count` refused, writes to named groups
//! refused) and every fault (latency, 5xx, 429, dropped connections before and after
//! commit, lying totals, page drift) is shown to do what it says; faults use fixed seeds,
//! so every run meets the same ones. The Atlassian organisation is `atlassian`'s.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};
use scimform_devserver::{
    AWS_REQUIRED_USER_ATTRIBUTES, DevServer, DevServerOptions, Emulation, EmulationProfile, Rate,
    RemovalForm, SyntheticSize,
};
use serde_json::{Value, json};

// The Atlassian organisation's tests, in a file of their own.
#[path = "devserver_atlassian.rs"]
mod atlassian;

const TOKEN: &str = "faults-test-token";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

struct Server {
    server: DevServer,
    http: reqwest::Client,
}

fn client(user_agent: bool) -> reqwest::Client {
    // reqwest is built with `rustls-no-provider`: a provider must exist even for http.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        // A fresh connection per request: a dropped one never poisons the next.
        .pool_max_idle_per_host(0);
    if user_agent {
        builder = builder.user_agent("scimform-devserver-faults-test");
    }
    builder.build().expect("http client")
}

fn options() -> DevServerOptions {
    DevServerOptions::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), TOKEN)
}

async fn start(configure: impl FnOnce(&mut DevServerOptions)) -> Server {
    let mut opts = options();
    configure(&mut opts);
    let server = DevServer::start(opts).await.expect("dev-server starts");
    Server {
        server,
        http: client(true),
    }
}

async fn emulating(profile: EmulationProfile) -> Server {
    start(|o| o.behaviour.emulation = Emulation::for_profile(profile)).await
}

impl Server {
    async fn try_send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Resp, reqwest::Error> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.server.base_url()))
            .query(query)
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("response body is JSON")
        };
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        self.try_send(method, path, query, body)
            .await
            .expect("the request gets an answer")
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, path, query, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    async fn patch(&self, path: &str, operations: Value) -> Resp {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": operations});
        self.send(Method::PATCH, path, &[], Some(body)).await
    }

    async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, &[], None).await
    }

    /// A user with everything every emulated provider requires.
    async fn user(&self, name: &str) -> String {
        let r = self.post("/Users", user_body(name)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        id_of(&r.body)
    }

    async fn group(&self, name: &str, members: &[&String]) -> String {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let r = self
            .post(
                "/Groups",
                json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        id_of(&r.body)
    }
}

fn user_body(name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": name,
        "displayName": name,
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"value": name, "primary": true}],
    })
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("resource has an id").to_owned()
}

/// `Resources`, or Entra's `resources`.
fn resources(body: &Value) -> &Vec<Value> {
    body.get("Resources")
        .or_else(|| body.get("resources"))
        .and_then(Value::as_array)
        .expect("a ListResponse with resources")
}

fn user_names(body: &Value) -> Vec<String> {
    resources(body)
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn synthetic(users: usize, groups: usize, memberships: usize) -> SyntheticSize {
    SyntheticSize {
        users,
        groups,
        memberships,
    }
}

// ---------------------------------------------------------------- emulation

#[tokio::test]
async fn page_caps_reduce_count_silently() {
    for (profile, cap, default) in [
        (EmulationProfile::Generic, 100, 100),
        (EmulationProfile::Atlassian, 100, 100),
        (EmulationProfile::AwsIdentityCenter, 100, 100),
        (EmulationProfile::Okta, 200, 100),
        (EmulationProfile::Slack, 1000, 10),
    ] {
        let s = start(|o| {
            o.behaviour.emulation = Emulation::for_profile(profile);
            o.synthetic = Some(synthetic(1200, 0, 0));
        })
        .await;
        let asked = s.get("/Users", &[("count", "5000")]).await;
        assert_eq!(asked.status, StatusCode::OK, "{profile}");
        assert_eq!(resources(&asked.body).len(), cap, "{profile}: capped");
        assert_eq!(asked.body["itemsPerPage"], cap, "{profile}");
        assert_eq!(asked.body["totalResults"], 1200, "{profile}");
        let unasked = s.get("/Users", &[]).await;
        assert_eq!(
            resources(&unasked.body).len(),
            default,
            "{profile}: default"
        );
        let spc = s.get("/ServiceProviderConfig", &[]).await;
        assert_eq!(spc.body["pagination"]["maxPageSize"], cap, "{profile}");
    }
}

#[tokio::test]
async fn cursor_paging_for_aws_and_entra() {
    for profile in [EmulationProfile::AwsIdentityCenter, EmulationProfile::Entra] {
        let s = start(|o| {
            o.behaviour.emulation = Emulation::for_profile(profile);
            o.synthetic = Some(synthetic(250, 0, 0));
        })
        .await;
        let mut seen = Vec::new();
        let mut cursor = String::new();
        for _ in 0..10 {
            let page = s
                .get("/Users", &[("count", "100"), ("cursor", &cursor)])
                .await;
            assert_eq!(page.status, StatusCode::OK, "{profile}: {}", page.body);
            assert!(page.body.get("startIndex").is_none(), "{profile}");
            assert_eq!(page.body["totalResults"], 250, "{profile}");
            seen.extend(user_names(&page.body));
            match page.body["nextCursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen.len(), 250, "{profile}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 250, "{profile}");
        // Index paging is refused, as the providers document it unsupported.
        let refused = s.get("/Users", &[("startIndex", "101")]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{profile}");
        let bogus = s.get("/Users", &[("cursor", "not-a-cursor")]).await;
        assert_eq!(bogus.status, StatusCode::BAD_REQUEST);
        assert_eq!(bogus.body["scimType"], "invalidCursor");
        let spc = s.get("/ServiceProviderConfig", &[]).await;
        assert_eq!(spc.body["pagination"]["cursor"], true);
        assert_eq!(spc.body["pagination"]["index"], false);
    }
}

#[tokio::test]
async fn entra_says_resources_in_lower_case() {
    let s = emulating(EmulationProfile::Entra).await;
    s.user("a@x.test").await;
    let list = s.get("/Users", &[]).await;
    assert!(list.body.get("Resources").is_none());
    assert_eq!(list.body["resources"][0]["userName"], "a@x.test");
    let generic = emulating(EmulationProfile::Generic).await;
    generic.user("a@x.test").await;
    let list = generic.get("/Users", &[]).await;
    assert!(list.body.get("resources").is_none());
    assert!(list.body.get("Resources").is_some());
}

#[tokio::test]
async fn members_in_group_reads_per_profile() {
    // (profile, members in lists, members in GET by id)
    for (profile, in_list, in_get) in [
        (EmulationProfile::Generic, true, true),
        (EmulationProfile::Atlassian, true, true),
        (EmulationProfile::AwsIdentityCenter, false, false),
        (EmulationProfile::Entra, false, false),
        (EmulationProfile::Databricks, false, true),
    ] {
        let s = emulating(profile).await;
        let u = s.user("m@x.test").await;
        let g = s.group("g", &[&u]).await;
        let list = s.get("/Groups", &[]).await;
        assert_eq!(
            resources(&list.body)[0].get("members").is_some(),
            in_list,
            "{profile}: list"
        );
        let one = s.get(&format!("/Groups/{g}"), &[]).await;
        assert_eq!(one.body.get("members").is_some(), in_get, "{profile}: get");
        // Whatever the reads show, a member filter finds the group.
        let filter = format!("members eq \"{u}\"");
        let found = s.get("/Groups", &[("filter", &filter)]).await;
        assert_eq!(found.status, StatusCode::OK, "{profile}: {}", found.body);
        assert_eq!(found.body["totalResults"], 1, "{profile}");
    }
    // And excludedAttributes=members is honoured where members are shown.
    let s = emulating(EmulationProfile::Generic).await;
    let u = s.user("m@x.test").await;
    s.group("g", &[&u]).await;
    let slim = s.get("/Groups", &[("excludedAttributes", "members")]).await;
    assert!(resources(&slim.body)[0].get("members").is_none());
}

#[tokio::test]
async fn aws_caps_member_changes_at_100_per_patch() {
    let s = start(|o| {
        o.behaviour.emulation = Emulation::for_profile(EmulationProfile::AwsIdentityCenter);
        o.synthetic = Some(synthetic(201, 0, 0));
    })
    .await;
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = s
            .get("/Users", &[("count", "100"), ("cursor", &cursor)])
            .await;
        ids.extend(resources(&page.body).iter().map(id_of));
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(ids.len(), 201);
    let g = s.group("big", &[]).await;
    let members = |range: std::ops::Range<usize>| -> Value {
        ids[range].iter().map(|id| json!({"value": id})).collect()
    };
    let path = format!("/Groups/{g}");
    let too_many = s
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": members(0..101)}]),
        )
        .await;
    assert_eq!(
        too_many.status,
        StatusCode::BAD_REQUEST,
        "{}",
        too_many.body
    );
    assert_eq!(too_many.body["schemas"][0], ERROR_SCHEMA);
    let filter = format!("members eq \"{}\"", ids[0]);
    let none = s.get("/Groups", &[("filter", &filter)]).await;
    assert_eq!(
        none.body["totalResults"], 0,
        "the refused PATCH changed nothing"
    );
    let ok = s
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": members(0..100)}]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // 60 more in and 41 out is 101 changes: refused. 60 in and 40 out is fine.
    let mut ops = vec![json!({"op": "add", "path": "members", "value": members(100..160)})];
    ops.extend(
        ids[0..41]
            .iter()
            .map(|id| json!({"op": "remove", "path": "members", "value": [{"value": id}]})),
    );
    let refused = s.patch(&path, Value::Array(ops.clone())).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    ops.pop();
    let mixed = s.patch(&path, Value::Array(ops)).await;
    assert_eq!(mixed.status, StatusCode::OK, "{}", mixed.body);
    // Replacing or removing all members at once is refused.
    for op in [
        json!({"op": "replace", "path": "members", "value": members(0..1)}),
        json!({"op": "remove", "path": "members"}),
    ] {
        let r = s.patch(&path, json!([op])).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{op}");
    }
    let filter = format!("id eq \"{g}\" and members eq \"{}\"", ids[150]);
    let member = s.get("/Groups", &[("filter", &filter)]).await;
    assert_eq!(member.body["totalResults"], 1);
}

#[tokio::test]
async fn entra_patch_limits_and_removal_form() {
    let s = emulating(EmulationProfile::Entra).await;
    let mut ids = Vec::new();
    for i in 0..22 {
        ids.push(s.user(&format!("e{i}@x.test")).await);
    }
    let g = s.group("entra", &[]).await;
    let path = format!("/Groups/{g}");
    let add = |range: std::ops::Range<usize>| {
        json!([{"op": "add", "path": "members",
                "value": ids[range].iter().map(|id| json!({"value": id})).collect::<Vec<_>>()}])
    };
    assert_eq!(
        s.patch(&path, add(0..21)).await.status,
        StatusCode::BAD_REQUEST
    );
    let ok = s.patch(&path, add(0..20)).await;
    assert_eq!(
        ok.status,
        StatusCode::NO_CONTENT,
        "Entra answers PATCH with 204"
    );
    let remove =
        |id: &String| json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")});
    let two = s
        .patch(&path, json!([remove(&ids[0]), remove(&ids[1])]))
        .await;
    assert_eq!(two.status, StatusCode::BAD_REQUEST, "one removal per PATCH");
    assert_eq!(
        s.patch(&path, json!([remove(&ids[0])])).await.status,
        StatusCode::NO_CONTENT
    );
    let mixed = json!([
        {"op": "add", "path": "members", "value": [{"value": ids[20]}]},
        remove(&ids[1])
    ]);
    assert_eq!(s.patch(&path, mixed).await.status, StatusCode::BAD_REQUEST);
    let with_rename = json!([
        {"op": "add", "path": "members", "value": [{"value": ids[20]}]},
        {"op": "replace", "path": "displayName", "value": "renamed"}
    ]);
    assert_eq!(
        s.patch(&path, with_rename).await.status,
        StatusCode::BAD_REQUEST
    );
    let value_list = json!([{"op": "remove", "path": "members", "value": [{"value": ids[1]}]}]);
    let refused = s.patch(&path, value_list).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let filter = format!("members eq \"{}\"", ids[1]);
    let still = s.get("/Groups", &[("filter", &filter)]).await;
    assert_eq!(
        still.body["totalResults"], 1,
        "the refused removal changed nothing"
    );
    let filter = format!("members eq \"{}\"", ids[0]);
    let gone = s.get("/Groups", &[("filter", &filter)]).await;
    assert_eq!(gone.body["totalResults"], 0);
}

// Users a, b, c in group g on server s, as the scenarios below read.
#[allow(clippy::many_single_char_names)]
#[tokio::test]
async fn removal_forms_accepted_refused_or_misread() {
    let value_list =
        |id: &String| json!([{"op": "remove", "path": "members", "value": [{"value": id}]}]);
    let filter_path =
        |id: &String| json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]);
    let members_of = |r: &Resp| -> Vec<String> {
        r.body["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|x| x["value"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };

    // generic: both forms remove exactly the member named.
    let s = emulating(EmulationProfile::Generic).await;
    let (a, b, c) = (
        s.user("a@x.test").await,
        s.user("b@x.test").await,
        s.user("c@x.test").await,
    );
    let g = s.group("g", &[&a, &b, &c]).await;
    let path = format!("/Groups/{g}");
    assert_eq!(s.patch(&path, value_list(&a)).await.status, StatusCode::OK);
    let after = s.patch(&path, filter_path(&b)).await;
    assert_eq!(members_of(&after), vec![c.clone()]);

    // databricks: the value-list form empties the group (the documented incident).
    let s = emulating(EmulationProfile::Databricks).await;
    let (a, b) = (s.user("a@x.test").await, s.user("b@x.test").await);
    let g = s.group("g", &[&a, &b]).await;
    let path = format!("/Groups/{g}");
    let after = s.patch(&path, filter_path(&a)).await;
    assert_eq!(members_of(&after), vec![b.clone()]);
    let after = s.patch(&path, value_list(&b)).await;
    assert_eq!(after.status, StatusCode::OK);
    let group = s.get(&path, &[]).await;
    assert!(
        group.body.get("members").is_none(),
        "emptied: {}",
        group.body
    );

    // A server that answers 501 to the RFC form (seen on open-source servers).
    let s = start(|o| {
        o.behaviour.emulation.filter_path_removal = RemovalForm::Refused(501);
    })
    .await;
    let a = s.user("a@x.test").await;
    let g = s.group("g", &[&a]).await;
    let path = format!("/Groups/{g}");
    let refused = s.patch(&path, filter_path(&a)).await;
    assert_eq!(refused.status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(refused.body["schemas"][0], ERROR_SCHEMA);
    assert_eq!(members_of(&s.get(&path, &[]).await), vec![a.clone()]);
    assert_eq!(s.patch(&path, value_list(&a)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn delete_semantics_per_profile() {
    // Slack deactivates: the user stays, listed, with active false.
    let s = emulating(EmulationProfile::Slack).await;
    let u = s.user("s@x.test").await;
    let g = s.group("g", &[&u]).await;
    assert_eq!(
        s.delete(&format!("/Users/{u}")).await.status,
        StatusCode::NO_CONTENT
    );
    let user = s.get(&format!("/Users/{u}"), &[]).await;
    assert_eq!(user.status, StatusCode::OK);
    assert_eq!(user.body["active"], false);
    let listed = s
        .get("/Users", &[("filter", "userName eq \"s@x.test\"")])
        .await;
    assert_eq!(listed.body["totalResults"], 1);
    // Groups are deleted for real, even on Slack.
    assert_eq!(
        s.delete(&format!("/Groups/{g}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("/Groups/{g}"), &[]).await.status,
        StatusCode::NOT_FOUND
    );

    // Atlassian unlinks: the record disappears; creating it again gives a new id.
    // GitHub EMU, AWS and Databricks delete for good (and also give a new id).
    for profile in [
        EmulationProfile::Atlassian,
        EmulationProfile::GithubEmu,
        EmulationProfile::AwsIdentityCenter,
        EmulationProfile::Databricks,
    ] {
        let s = emulating(profile).await;
        let u = s.user("gone@x.test").await;
        let g = s.group("team", &[&u]).await;
        assert_eq!(
            s.delete(&format!("/Users/{u}")).await.status,
            StatusCode::NO_CONTENT,
            "{profile}"
        );
        assert_eq!(
            s.get(&format!("/Users/{u}"), &[]).await.status,
            StatusCode::NOT_FOUND,
            "{profile}"
        );
        let filter = format!("members eq \"{u}\"");
        let member = s.get("/Groups", &[("filter", &filter)]).await;
        assert_eq!(member.body["totalResults"], 0, "{profile}: membership gone");
        let again = s.user("gone@x.test").await;
        assert_ne!(again, u, "{profile}: a new id");
        let _ = g;
    }
}

#[tokio::test]
async fn filters_the_provider_does_not_support_are_invalid() {
    let aws = emulating(EmulationProfile::AwsIdentityCenter).await;
    aws.user("f@x.test").await;
    for ok in [
        "userName eq \"f@x.test\"",
        "userName eq \"f@x.test\" and active eq true",
    ] {
        let r = aws.get("/Users", &[("filter", ok)]).await;
        assert_eq!(r.status, StatusCode::OK, "{ok}");
    }
    for bad in [
        "userName sw \"f\"",
        "userName eq \"a\" or userName eq \"b\"",
        "emails[type eq \"work\"]",
        "title pr",
    ] {
        let r = aws.get("/Users", &[("filter", bad)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.body["scimType"], "invalidFilter", "{bad}");
    }
    let atlassian = emulating(EmulationProfile::Atlassian).await;
    let both = atlassian
        .get(
            "/Users",
            &[("filter", "userName eq \"a\" and active eq true")],
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST, "a single eq only");
    let generic = emulating(EmulationProfile::Generic).await;
    let sw = generic
        .get("/Users", &[("filter", "userName sw \"f\"")])
        .await;
    assert_eq!(sw.status, StatusCode::OK);
}

#[tokio::test]
async fn atlassian_refuses_group_renames() {
    let s = emulating(EmulationProfile::Atlassian).await;
    let u = s.user("r@x.test").await;
    let g = s.group("old-name", &[]).await;
    let path = format!("/Groups/{g}");
    let rename = s
        .patch(
            &path,
            json!([{"op": "replace", "path": "displayName", "value": "new-name"}]),
        )
        .await;
    assert_eq!(rename.status, StatusCode::BAD_REQUEST);
    assert_eq!(rename.body["scimType"], "mutability");
    let put = s
        .send(
            Method::PUT,
            &path,
            &[],
            Some(json!({"schemas": [GROUP_SCHEMA], "displayName": "new-name"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST);
    let add = s
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": u}]}]),
        )
        .await;
    assert_eq!(add.status, StatusCode::OK, "member changes still work");
    assert_eq!(s.get(&path, &[]).await.body["displayName"], "old-name");
    // Elsewhere a rename is a plain PATCH.
    let generic = emulating(EmulationProfile::Generic).await;
    let g = generic.group("old-name", &[]).await;
    let rename = generic
        .patch(
            &format!("/Groups/{g}"),
            json!([{"op": "replace", "path": "displayName", "value": "new-name"}]),
        )
        .await;
    assert_eq!(rename.status, StatusCode::OK);
}

#[tokio::test]
async fn github_needs_a_user_agent_and_aws_its_attributes() {
    let s = emulating(EmulationProfile::GithubEmu).await;
    let bare = client(false)
        .get(format!("{}/Users", s.server.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    let with = s.get("/Users", &[]).await;
    assert_eq!(with.status, StatusCode::OK);
    assert!(with.headers.get(USER_AGENT).is_none());

    // AWS's required attributes, off in the built-in profile, switched on.
    let aws = start(|o| {
        o.behaviour.emulation = Emulation {
            required_user_attributes: AWS_REQUIRED_USER_ATTRIBUTES,
            ..Emulation::for_profile(EmulationProfile::AwsIdentityCenter)
        }
    })
    .await;
    let thin = aws
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "thin@x.test"}),
        )
        .await;
    assert_eq!(thin.status, StatusCode::BAD_REQUEST);
    assert!(
        thin.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("displayName")
    );
    aws.user("full@x.test").await;
}

#[tokio::test]
async fn aws_has_no_search() {
    let s = emulating(EmulationProfile::AwsIdentityCenter).await;
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
    let r = s.post("/Users/.search", body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED);
    let generic = emulating(EmulationProfile::Generic).await;
    generic.user("q@x.test").await;
    let r = generic.post("/.search", body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["totalResults"], 1);
}

// ---------------------------------------------------------------- quirks

/// The SCIM error body every quirk answers with.
fn assert_error(r: &Resp, status: StatusCode, scim_type: Option<&str>, detail: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["schemas"], json!([ERROR_SCHEMA]));
    assert_eq!(r.body["status"], status.as_u16().to_string());
    assert_eq!(r.body["scimType"].as_str(), scim_type, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(detail),
        "{detail} in {}",
        r.body
    );
}

#[tokio::test]
async fn patch_users_not_implemented_answers_501_while_put_works() {
    // On top of an emulation (Okta), to show the quirk is independent of it.
    let s = start(|o| {
        o.behaviour.emulation = Emulation::for_profile(EmulationProfile::Okta);
        o.behaviour.quirks.patch_users_not_implemented = true;
    })
    .await;
    let spc = s.get("/ServiceProviderConfig", &[]).await;
    assert_eq!(spc.body["patch"]["supported"], true, "still advertised");
    let u = s.user("p@x.test").await;
    let patched = s
        .patch(
            &format!("/Users/{u}"),
            json!([{"op": "replace", "path": "displayName", "value": "Patched"}]),
        )
        .await;
    assert_error(
        &patched,
        StatusCode::NOT_IMPLEMENTED,
        None,
        "PATCH is not supported",
    );
    let unchanged = s.get(&format!("/Users/{u}"), &[]).await;
    assert_eq!(unchanged.body["displayName"], "p@x.test");
    assert_eq!(unchanged.body["meta"]["version"], "W/\"1\"");

    // PUT replaces the user (RFC 7644 §3.5.1): id and created stay.
    let mut body = user_body("p@x.test");
    body["displayName"] = json!("Put");
    let put = s
        .send(Method::PUT, &format!("/Users/{u}"), &[], Some(body))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["id"], u.as_str());
    assert_eq!(put.body["displayName"], "Put");
    assert_eq!(
        put.body["meta"]["created"],
        unchanged.body["meta"]["created"]
    );
    assert_eq!(put.body["meta"]["version"], "W/\"2\"");

    // Groups still take PATCH.
    let g = s.group("g", &[]).await;
    let add = s
        .patch(
            &format!("/Groups/{g}"),
            json!([{"op": "add", "path": "members", "value": [{"value": u}]}]),
        )
        .await;
    assert_eq!(add.status, StatusCode::OK, "{}", add.body);
}

#[tokio::test]
async fn ignore_members_on_create_drops_them_and_patch_adds_them() {
    let s = start(|o| {
        o.behaviour.emulation = Emulation::for_profile(EmulationProfile::Slack);
        o.behaviour.quirks.ignore_members_on_create = true;
    })
    .await;
    let u = s.user("m@x.test").await;
    let created = s
        .post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "team",
                   "members": [{"value": u, "type": "User"}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["displayName"], "team");
    assert!(created.body.get("members").is_none(), "{}", created.body);
    let g = id_of(&created.body);
    let read = s.get(&format!("/Groups/{g}"), &[]).await;
    assert!(read.body.get("members").is_none(), "{}", read.body);
    let user = s.get(&format!("/Users/{u}"), &[]).await;
    assert!(user.body.get("groups").is_none(), "{}", user.body);

    let added = s
        .patch(
            &format!("/Groups/{g}"),
            json!([{"op": "add", "path": "members", "value": [{"value": u}]}]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(added.body["members"][0]["value"], u.as_str());
    // Only creation drops members: a PUT keeps them.
    let put = s
        .send(
            Method::PUT,
            &format!("/Groups/{g}"),
            &[],
            Some(json!({"displayName": "team", "members": [{"value": u}]})),
        )
        .await;
    assert_eq!(put.body["members"][0]["value"], u.as_str(), "{}", put.body);
}

#[tokio::test]
async fn refuse_count_refuses_page_sizes_and_pages_by_the_default() {
    // Slack's default page is 10 (its maximum 1000).
    let s = start(|o| {
        o.behaviour.emulation = Emulation::for_profile(EmulationProfile::Slack);
        o.behaviour.quirks.refuse_count = true;
        o.synthetic = Some(synthetic(25, 3, 0));
    })
    .await;
    let search = |count: Option<u32>| {
        let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
        if let Some(count) = count {
            body["count"] = json!(count);
        }
        body
    };
    for r in [
        s.get("/Users", &[("count", "5")]).await,
        s.get("/Groups", &[("count", "100")]).await,
        s.get("/Users", &[("startIndex", "11"), ("count", "10")])
            .await,
        s.post("/.search", search(Some(5))).await,
        s.post("/Users/.search", search(Some(5))).await,
        s.post("/Groups/.search", search(Some(5))).await,
    ] {
        assert_error(
            &r,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "count is not supported",
        );
    }
    let first = s.get("/Users", &[]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["itemsPerPage"], 10);
    assert_eq!(first.body["totalResults"], 25);
    let last = s.get("/Users", &[("startIndex", "21")]).await;
    assert_eq!(user_names(&last.body).len(), 5);
    let groups = s.get("/Groups", &[]).await;
    assert_eq!(resources(&groups.body).len(), 3);
    let all = s.post("/.search", search(None)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(resources(&all.body).len(), 10);
    assert_eq!(all.body["totalResults"], 28);
    // A single resource read is no list: `count` means nothing there.
    let one = first.body["Resources"][0]["id"]
        .as_str()
        .unwrap_or_default();
    let read = s.get(&format!("/Users/{one}"), &[("count", "1")]).await;
    assert_eq!(read.status, StatusCode::OK);
}

#[tokio::test]
async fn refuse_writes_to_group_answers_403_for_that_group_only() {
    // The refused group exists from an earlier run (a data file), as a group the
    // client's token may not change would.
    let stored = Stored::new();
    let before = start(|o| o.data = Some(stored.path.clone())).await;
    let u = before.user("w@x.test").await;
    let admins = before.group("Admins", &[&u]).await;
    let team = before.group("team", &[]).await;
    before.server.shutdown().await;

    let s = start(|o| {
        o.data = Some(stored.path.clone());
        o.behaviour.emulation = Emulation::for_profile(EmulationProfile::Databricks);
        o.behaviour.quirks.refuse_writes_to_groups = vec!["ADMINS".into(), "Auditors".into()];
    })
    .await;
    let forbidden =
        |r: &Resp| assert_error(r, StatusCode::FORBIDDEN, None, "insufficient privileges");
    let admins_path = format!("/Groups/{admins}");
    forbidden(
        &s.patch(
            &admins_path,
            json!([{"op": "remove", "path": format!("members[value eq \"{u}\"]")}]),
        )
        .await,
    );
    forbidden(
        &s.send(
            Method::PUT,
            &admins_path,
            &[],
            Some(json!({"displayName": "Admins"})),
        )
        .await,
    );
    forbidden(&s.delete(&admins_path).await);
    // Creating one (any case), and renaming another group to one.
    forbidden(
        &s.post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "auditors"}),
        )
        .await,
    );
    forbidden(
        &s.patch(
            &format!("/Groups/{team}"),
            json!([{"op": "replace", "path": "displayName", "value": "Auditors"}]),
        )
        .await,
    );
    forbidden(
        &s.send(
            Method::PUT,
            &format!("/Groups/{team}"),
            &[],
            Some(json!({"displayName": "admins"})),
        )
        .await,
    );
    // Nothing changed; reads work; everything else is written as usual.
    let read = s.get(&admins_path, &[]).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["members"][0]["value"], u.as_str());
    assert_eq!(read.body["meta"]["version"], "W/\"1\"");
    let renamed = s
        .patch(
            &format!("/Groups/{team}"),
            json!([{"op": "replace", "path": "displayName", "value": "team-2"}]),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    s.group("others", &[&u]).await;
    // Deleting a member of the refused group is a write to the user, not to the group.
    assert_eq!(
        s.delete(&format!("/Users/{u}")).await.status,
        StatusCode::NO_CONTENT
    );
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn latency_is_added_to_every_response() {
    let s = start(|o| o.behaviour.faults.latency = Duration::from_millis(150)).await;
    for path in ["/Users", "/ServiceProviderConfig"] {
        let began = Instant::now();
        assert_eq!(s.get(path, &[]).await.status, StatusCode::OK);
        assert!(began.elapsed() >= Duration::from_millis(150), "{path}");
    }
}

/// A dev-server with a data file, so the stored state can be read without HTTP.
struct Stored {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Stored {
    fn new() -> Stored {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data.json");
        Stored { _dir: dir, path }
    }

    fn user_names(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.path).expect("data file");
        let data: Value = serde_json::from_str(&text).expect("JSON");
        data["users"]
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .map(|u| {
                        u["attributes"]["userName"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn fail_rate_answers_5xx_and_applies_nothing() {
    let stored = Stored::new();
    let s = start(|o| {
        o.data = Some(stored.path.clone());
        o.behaviour.seed = Some(11);
        o.behaviour.faults.fail_rate = Rate::new(0.5).expect("a rate");
    })
    .await;
    let mut created = Vec::new();
    let mut statuses = HashSet::new();
    for i in 0..40 {
        let name = format!("u{i}@x.test");
        let r = s.post("/Users", user_body(&name)).await;
        match r.status {
            StatusCode::CREATED => created.push(name),
            status => {
                assert!(status.is_server_error(), "{status}");
                assert_eq!(r.body["schemas"][0], ERROR_SCHEMA);
                assert_eq!(r.body["status"], status.as_u16().to_string());
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    assert_eq!(
                        r.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()),
                        Some("1")
                    );
                }
                statuses.insert(status.as_u16());
            }
        }
    }
    assert!(created.len() > 5 && created.len() < 35, "{}", created.len());
    assert_eq!(statuses, HashSet::from([500, 502, 503]));
    assert_eq!(
        stored.user_names(),
        created,
        "exactly the answered creates were applied"
    );
    // Discovery never fails.
    for _ in 0..10 {
        assert_eq!(
            s.get("/ServiceProviderConfig", &[]).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_in_both_forms() {
    let s = start(|o| {
        o.behaviour.seed = Some(5);
        o.behaviour.faults.throttle_rate = Rate::new(1.0).expect("a rate");
    })
    .await;
    let (mut seconds, mut dates) = (0, 0);
    for _ in 0..40 {
        let r = s.get("/Users", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.body["schemas"][0], ERROR_SCHEMA);
        let after = r
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .expect("Retry-After");
        if after == "1" {
            seconds += 1;
        } else {
            assert!(after.ends_with(" GMT") && after.len() == 29, "{after}");
            dates += 1;
        }
    }
    assert!(seconds > 0 && dates > 0, "{seconds} seconds, {dates} dates");
}

fn is_dropped(result: &Result<Resp, reqwest::Error>) -> bool {
    match result {
        Ok(_) => false,
        // No status, no body: the connection closed or was reset mid-request.
        Err(e) => e.status().is_none() && !e.is_timeout(),
    }
}

#[tokio::test]
async fn reset_drops_the_connection_and_applies_nothing() {
    let stored = Stored::new();
    let s = start(|o| {
        o.data = Some(stored.path.clone());
        o.behaviour.seed = Some(3);
        o.behaviour.faults.reset_rate = Rate::new(1.0).expect("a rate");
    })
    .await;
    let read = s.try_send(Method::GET, "/Users", &[], None).await;
    assert!(is_dropped(&read), "a read gets no answer at all");
    let write = s
        .try_send(Method::POST, "/Users", &[], Some(user_body("r@x.test")))
        .await;
    assert!(is_dropped(&write), "a write gets no answer at all");
    assert!(stored.user_names().is_empty(), "and was not applied");
    assert_eq!(
        s.get("/ServiceProviderConfig", &[]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_after_commit_applies_then_drops() {
    let s = start(|o| {
        o.behaviour.seed = Some(4);
        o.behaviour.faults.reset_after_commit_rate = Rate::new(1.0).expect("a rate");
    })
    .await;
    let write = s
        .try_send(Method::POST, "/Users", &[], Some(user_body("c@x.test")))
        .await;
    assert!(is_dropped(&write), "the client never hears back");
    // Reads are not affected: the user is there.
    let found = s
        .get("/Users", &[("filter", "userName eq \"c@x.test\"")])
        .await;
    assert_eq!(found.body["totalResults"], 1);
    // A blind retry of the POST meets the uniqueness conflict.
    let retry = s
        .try_send(Method::POST, "/Users", &[], Some(user_body("c@x.test")))
        .await;
    match retry {
        Ok(r) => assert_eq!(r.status, StatusCode::CONFLICT),
        Err(_) => assert!(is_dropped(&retry)),
    }
}

async fn statuses(seed: u64) -> Vec<u16> {
    let s = start(|o| {
        o.behaviour.seed = Some(seed);
        o.behaviour.faults.fail_rate = Rate::new(0.3).expect("a rate");
        o.behaviour.faults.throttle_rate = Rate::new(0.2).expect("a rate");
    })
    .await;
    let mut out = Vec::new();
    for i in 0..30 {
        let start = (i % 5 + 1).to_string();
        out.push(
            s.get("/Users", &[("startIndex", &start)])
                .await
                .status
                .as_u16(),
        );
    }
    out
}

#[tokio::test]
async fn the_same_seed_meets_the_same_faults() {
    let first = statuses(21).await;
    assert_eq!(first, statuses(21).await);
    assert_ne!(first, statuses(22).await);
    assert!(first.contains(&200) && first.contains(&429));
}

#[tokio::test]
async fn lie_total_reports_a_wrong_total_on_some_pages() {
    let s = start(|o| {
        o.behaviour.seed = Some(8);
        o.behaviour.faults.lie_total = true;
        o.synthetic = Some(synthetic(1000, 0, 0));
    })
    .await;
    let mut totals = Vec::new();
    let mut names = HashSet::new();
    for page in 0..10 {
        let start = (page * 100 + 1).to_string();
        let r = s
            .get("/Users", &[("startIndex", &start), ("count", "100")])
            .await;
        totals.push(r.body["totalResults"].as_u64().unwrap_or_default());
        names.extend(user_names(&r.body));
    }
    assert_eq!(names.len(), 1000, "the data itself is intact");
    assert!(
        totals.iter().all(|t| *t == 1000 || *t == 1001),
        "{totals:?}"
    );
    assert!(
        totals.contains(&1000) && totals.contains(&1001),
        "{totals:?}"
    );
}

#[tokio::test]
async fn page_drift_shifts_index_pages_but_not_cursors() {
    let s = start(|o| {
        o.behaviour.faults.page_drift = true;
        o.synthetic = Some(synthetic(300, 0, 0));
    })
    .await;
    let first = s
        .get("/Users", &[("startIndex", "1"), ("count", "100")])
        .await;
    let second = s
        .get("/Users", &[("startIndex", "101"), ("count", "100")])
        .await;
    assert_eq!(first.body["totalResults"], 300);
    assert_eq!(
        second.body["totalResults"], 301,
        "a user appeared in between"
    );
    let (a, b) = (user_names(&first.body), user_names(&second.body));
    assert_eq!(
        a.last(),
        b.first(),
        "a naive pager sees the same user twice"
    );
    // One drift per read: the next later page of the same read sees no new user.
    let third = s
        .get("/Users", &[("startIndex", "201"), ("count", "100")])
        .await;
    assert_eq!(third.body["totalResults"], 301);
    // The newcomer stands first; reading the first page again starts a new read.
    let again = s
        .get("/Users", &[("startIndex", "1"), ("count", "5")])
        .await;
    assert_eq!(
        again.body["Resources"][0]["userName"],
        "drift-1@drift.invalid"
    );
    let later = s
        .get("/Users", &[("startIndex", "6"), ("count", "5")])
        .await;
    assert_eq!(later.body["totalResults"], 302);

    // Cursor paging is immune: the new user lands before the cursor.
    let aws = start(|o| {
        o.behaviour.emulation = Emulation::for_profile(EmulationProfile::AwsIdentityCenter);
        o.behaviour.faults.page_drift = true;
        o.synthetic = Some(synthetic(300, 0, 0));
    })
    .await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut totals = HashSet::new();
    loop {
        let page = aws
            .get("/Users", &[("count", "100"), ("cursor", &cursor)])
            .await;
        totals.insert(page.body["totalResults"].as_u64().unwrap_or_default());
        seen.extend(user_names(&page.body));
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 300);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 300);
    assert_eq!(totals, HashSet::from([300, 301]), "but the total changes");
}

#[tokio::test]
async fn fault_rates_above_one_are_refused() {
    let mut opts = options();
    opts.behaviour.faults.fail_rate = Rate::new(0.7).expect("a rate");
    opts.behaviour.faults.reset_rate = Rate::new(0.7).expect("a rate");
    assert!(DevServer::start(opts).await.is_err());
}

// ---------------------------------------------------------------- scale and the binary

#[tokio::test]
async fn synthetic_directories_are_whole_and_paged_cheaply() {
    let s = start(|o| o.synthetic = Some(synthetic(2000, 50, 5000))).await;
    let users = s.get("/Users", &[("count", "1")]).await;
    assert_eq!(users.body["totalResults"], 2000);
    let mut memberships = 0;
    for start in ["1"] {
        let groups = s
            .get("/Groups", &[("startIndex", start), ("count", "100")])
            .await;
        assert_eq!(groups.body["totalResults"], 50);
        memberships += resources(&groups.body)
            .iter()
            .map(|g| g["members"].as_array().map_or(0, Vec::len))
            .sum::<usize>();
    }
    assert_eq!(memberships, 5000);
    let last = s
        .get("/Users", &[("startIndex", "2000"), ("count", "100")])
        .await;
    assert_eq!(user_names(&last.body), vec!["user002000@synthetic.test"]);
}

#[test]
fn the_binary_takes_the_flags() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args([
            "dev-server",
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
            "--emulate",
            "aws-identity-center",
            "--seed",
            "9",
            "--latency-ms",
            "1",
            "--fail-rate",
            "0.1",
            "--throttle-rate",
            "0.1",
            "--reset-rate",
            "0.1",
            "--reset-after-commit-rate",
            "0.1",
            "--lie-total",
            "--page-drift",
            "--patch-users-not-implemented",
            "--refuse-count",
            "--refuse-writes-to-group",
            "Admins",
            "--seed-synthetic",
            "10,2,5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut url = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("reads the URL");
    let mut line = String::new();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut described = String::new();
    for _ in 0..2 {
        line.clear();
        stderr.read_line(&mut line).expect("reads stderr");
        described.push_str(&line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    for part in [
        "emulating aws-identity-center",
        "latency 1 ms",
        "fail 0.1",
        "throttle 0.1",
        "reset 0.1",
        "reset-after-commit 0.1",
        "lie-total",
        "page-drift",
        "quirks: patch-users-not-implemented, refuse-count, refuse-writes-to-group \"Admins\"",
        "seed 9",
        "10,2,5",
    ] {
        assert!(described.contains(part), "{part} in {described}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["dev-server", "--token", TOKEN, "--fail-rate", "2"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("probability"));
}

#[tokio::test]
async fn the_binary_switches_on_the_quirks() {
    let process = crate::support::dev_server::DevServerProcess::start_with(&[
        "--emulate",
        "okta",
        "--patch-users-not-implemented",
        "--ignore-members-on-create",
        "--refuse-count",
        "--refuse-writes-to-group",
        "Locked",
    ]);
    let http = client(true);
    let send = |method: Method, path: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}{path}", process.base_url))
            .bearer_auth(&process.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        async move {
            let response = request.send().await.expect("answered");
            let status = response.status();
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let (status, user) = send(Method::POST, "/Users", Some(user_body("b@x.test"))).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let u = id_of(&user);
    let patch = json!({"schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]});
    let (status, _) = send(Method::PATCH, &format!("/Users/{u}"), Some(patch)).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    let (status, _) = send(Method::GET, "/Users?count=1", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = send(Method::GET, "/Users", None).await;
    assert_eq!(
        (status, body["totalResults"].clone()),
        (StatusCode::OK, json!(1))
    );
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "g", "members": [{"value": u}]});
    let (status, body) = send(Method::POST, "/Groups", Some(group)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("members").is_none(), "{body}");
    let (_, user) = send(Method::GET, &format!("/Users/{u}"), None).await;
    assert!(user.get("groups").is_none(), "{user}");
    let locked = json!({"schemas": [GROUP_SCHEMA], "displayName": "locked"});
    let (status, _) = send(Method::POST, "/Groups", Some(locked)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
