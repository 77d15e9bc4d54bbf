//! The dev-server over real HTTP: `DevServer` on 127.0.0.1:0, driven with reqwest.
//! Covers creation, uniqueness, paging, filters, groups and membership `PATCHes`, cascading
//! deletes, entity tags and `If-Match`, authentication, error bodies, and persistence across
//! restarts.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, IF_MATCH, IF_NONE_MATCH, LOCATION};
use reqwest::{Method, StatusCode};
use scimform_devserver::{DevServer, DevServerError, DevServerOptions};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(server: &DevServer) -> Client {
        // reqwest is built with `rustls-no-provider`: a provider must exist to build a
        // client even for plain http.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Client {
            http: reqwest::Client::builder().build().expect("http client"),
            base: server.base_url(),
            token: Some(TOKEN.to_owned()),
        }
    }

    fn with_token(&self, token: Option<&str>) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            token: token.map(str::to_owned),
        }
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Response {
        self.raw_with(method, path, query, &HeaderMap::new(), body)
            .await
    }

    async fn raw_with(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &HeaderMap,
        body: Option<(&str, String)>,
    ) -> Response {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .query(query)
            .headers(headers.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, body)) = body {
            request = request.header(CONTENT_TYPE, content_type).body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("response body is JSON")
        };
        Response {
            status,
            headers,
            body,
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| ("application/scim+json", b.to_string()));
        self.raw(method, path, &[], body).await
    }

    /// A request with one more header (`If-Match: W/"1"`, ...).
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        header: (reqwest::header::HeaderName, &str),
        body: Option<Value>,
    ) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header.0, header.1.parse().expect("a valid header value"));
        let body = body.map(|b| ("application/scim+json", b.to_string()));
        self.raw_with(method, path, &[], &headers, body).await
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.raw(Method::GET, path, query, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, operations: Value) -> Response {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": operations});
        self.send(Method::PATCH, path, Some(body)).await
    }

    async fn create_user(&self, user_name: &str) -> String {
        let r = self
            .post(
                "/Users",
                json!({"schemas": [USER_SCHEMA], "userName": user_name}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        id_of(&r.body)
    }
}

fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .expect("resource has an id")
        .to_owned()
}

fn member_ids(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|members| {
            members
                .iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_scim_error(r: &Response, status: StatusCode, scim_type: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/scim+json")
    );
    assert_eq!(r.body["schemas"], json!([ERROR_SCHEMA]));
    assert_eq!(r.body["status"], json!(status.as_u16().to_string()));
    assert_eq!(r.body["scimType"].as_str(), scim_type, "{}", r.body);
    assert!(r.body["detail"].is_string());
}

fn options(data: Option<PathBuf>) -> DevServerOptions {
    let mut options = DevServerOptions::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), TOKEN);
    options.data = data;
    options
}

async fn start() -> DevServer {
    DevServer::start(options(None))
        .await
        .expect("server starts")
}

#[tokio::test]
async fn base_url_and_discovery() {
    let server = start().await;
    assert_ne!(server.addr().port(), 0);
    assert_eq!(
        server.base_url(),
        format!("http://{}/scim/v2", server.addr())
    );
    let client = Client::new(&server);

    let spc = client.get("/ServiceProviderConfig", &[]).await;
    assert_eq!(spc.status, StatusCode::OK);
    assert_eq!(
        spc.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/scim+json")
    );
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(
        spc.body["filter"],
        json!({"supported": true, "maxResults": 100})
    );
    assert_eq!(
        spc.body["pagination"],
        json!({"cursor": false, "index": true, "defaultPaginationMethod": "index",
               "defaultPageSize": 100, "maxPageSize": 100})
    );
    assert_eq!(spc.body["bulk"]["supported"], false);
    assert_eq!(spc.body["sort"]["supported"], false);
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["changePassword"]["supported"], false);
    assert_eq!(
        spc.body["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );

    let types = client.get("/ResourceTypes", &[]).await;
    assert_eq!(types.status, StatusCode::OK);
    assert_eq!(types.body["totalResults"], 2);
    let user_type = client.get("/ResourceTypes/User", &[]).await;
    assert_eq!(user_type.body["endpoint"], "/Users");

    let schemas = client.get("/Schemas", &[]).await;
    assert_eq!(schemas.status, StatusCode::OK);
    assert_eq!(schemas.body["totalResults"], 3);
    let user_schema = client.get(&format!("/Schemas/{USER_SCHEMA}"), &[]).await;
    assert_eq!(user_schema.status, StatusCode::OK);
    assert_eq!(user_schema.body["attributes"][0]["name"], "userName");

    server.shutdown().await;
}

#[tokio::test]
async fn create_get_replace_and_uniqueness() {
    let server = start().await;
    let client = Client::new(&server);

    let created = client
        .post(
            "/Users",
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "alice@example.com",
                "name": {"givenName": "Alice", "familyName": "Liddell"},
                "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
                "password": "never stored"
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = id_of(&created.body);
    let location = format!("{}/Users/{id}", server.base_url());
    assert_eq!(
        created.headers.get(LOCATION).and_then(|v| v.to_str().ok()),
        Some(location.as_str())
    );
    let meta = &created.body["meta"];
    assert_eq!(meta["resourceType"], "User");
    assert_eq!(meta["location"], location.as_str());
    assert_eq!(meta["version"], "W/\"1\"");
    assert!(meta["created"].is_string() && meta["lastModified"].is_string());
    assert_eq!(created.body["active"], true, "active defaults to true");
    assert!(created.body.get("password").is_none());

    let fetched = client.get(&format!("/Users/{id}"), &[]).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, created.body);

    // Same userName in a different case: 409 uniqueness, on POST and on PUT.
    let duplicate = client
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "ALICE@example.COM"}),
        )
        .await;
    assert_scim_error(&duplicate, StatusCode::CONFLICT, Some("uniqueness"));
    let bob = client.create_user("bob@example.com").await;
    let clash = client
        .send(
            Method::PUT,
            &format!("/Users/{bob}"),
            Some(json!({"schemas": [USER_SCHEMA], "userName": "Alice@Example.com"})),
        )
        .await;
    assert_scim_error(&clash, StatusCode::CONFLICT, Some("uniqueness"));
    let clash = client
        .patch(
            &format!("/Users/{bob}"),
            json!([{"op": "replace", "path": "userName", "value": "alice@EXAMPLE.com"}]),
        )
        .await;
    assert_scim_error(&clash, StatusCode::CONFLICT, Some("uniqueness"));

    // PUT replaces everything but keeps id and created.
    let replaced = client
        .send(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": [USER_SCHEMA],
                "id": "ignored",
                "userName": "alice@example.com",
                "displayName": "Alice",
                "active": false
            })),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(id_of(&replaced.body), id);
    assert_eq!(replaced.body["meta"]["created"], meta["created"]);
    assert_eq!(replaced.body["meta"]["version"], "W/\"2\"");
    assert_eq!(replaced.body["active"], false);
    assert!(replaced.body.get("name").is_none());

    // Missing userName: 400 invalidValue. Unknown id: 404 naming the id.
    let missing = client
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "displayName": "x"}),
        )
        .await;
    assert_scim_error(&missing, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let absent = client.get("/Users/no-such-id", &[]).await;
    assert_scim_error(&absent, StatusCode::NOT_FOUND, None);
    assert!(
        absent.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no-such-id"))
    );

    server.shutdown().await;
}

fn etag_of(r: &Response) -> Option<&str> {
    r.headers.get(ETAG).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn etags_and_if_match() {
    let server = start().await;
    let client = Client::new(&server);

    // Every single-resource answer carries its version as the ETag header.
    let created = client
        .post(
            "/Users",
            json!({"schemas": [USER_SCHEMA], "userName": "e@x.test"}),
        )
        .await;
    assert_eq!(etag_of(&created), Some("W/\"1\""));
    assert_eq!(created.body["meta"]["version"], "W/\"1\"");
    let id = id_of(&created.body);
    let path = format!("/Users/{id}");
    let read = client.get(&path, &[]).await;
    assert_eq!(etag_of(&read), Some("W/\"1\""));
    // ... also when the projection leaves `meta` out.
    let projected = client.get(&path, &[("excludedAttributes", "meta")]).await;
    assert!(projected.body.get("meta").is_none());
    assert_eq!(etag_of(&projected), Some("W/\"1\""));

    // If-None-Match: 304 while the version is the same.
    let same = client
        .send_with(Method::GET, &path, (IF_NONE_MATCH, "W/\"1\""), None)
        .await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert_eq!(etag_of(&same), Some("W/\"1\""));
    let other = client
        .send_with(Method::GET, &path, (IF_NONE_MATCH, "W/\"0\""), None)
        .await;
    assert_eq!(other.status, StatusCode::OK);

    // If-Match with the current version: the write goes ahead, the version changes.
    let title = |t: &str| {
        json!({"schemas": [PATCH_SCHEMA],
               "Operations": [{"op": "replace", "path": "title", "value": t}]})
    };
    let patched = client
        .send_with(
            Method::PATCH,
            &path,
            (IF_MATCH, "W/\"1\""),
            Some(title("a")),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(etag_of(&patched), Some("W/\"2\""));
    assert_eq!(patched.body["meta"]["version"], "W/\"2\"");

    // A stale If-Match: 412, nothing changes (PATCH, PUT, DELETE).
    let stale = (IF_MATCH, "W/\"1\"");
    let refused = client
        .send_with(Method::PATCH, &path, stale.clone(), Some(title("b")))
        .await;
    assert_scim_error(&refused, StatusCode::PRECONDITION_FAILED, None);
    let put_body = json!({"schemas": [USER_SCHEMA], "userName": "e@x.test", "title": "c"});
    let refused = client
        .send_with(Method::PUT, &path, stale.clone(), Some(put_body.clone()))
        .await;
    assert_scim_error(&refused, StatusCode::PRECONDITION_FAILED, None);
    let refused = client
        .send_with(Method::DELETE, &path, stale.clone(), None)
        .await;
    assert_scim_error(&refused, StatusCode::PRECONDITION_FAILED, None);
    let now = client.get(&path, &[]).await;
    assert_eq!(now.body["title"], "a");
    assert_eq!(etag_of(&now), Some("W/\"2\""));

    // A list of tags, a strong or bare tag, and `*` match too (weak comparison).
    let put = client
        .send_with(
            Method::PUT,
            &path,
            (IF_MATCH, "W/\"7\", \"2\""),
            Some(put_body),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(etag_of(&put), Some("W/\"3\""));
    // A write that changes nothing keeps the version.
    let again = client
        .send_with(Method::PATCH, &path, (IF_MATCH, "3"), Some(title("c")))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(etag_of(&again), Some("W/\"3\""));

    // Groups: a member change is a new version, and lists show the same one as reads.
    let group = client
        .post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "g"}),
        )
        .await;
    let gid = id_of(&group.body);
    let added = client
        .send_with(
            Method::PATCH,
            &format!("/Groups/{gid}"),
            (IF_MATCH, "W/\"1\""),
            Some(json!({"schemas": [PATCH_SCHEMA], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": id}]}]})),
        )
        .await;
    assert_eq!(etag_of(&added), Some("W/\"2\""));
    let listed = client.get("/Groups", &[]).await;
    assert_eq!(listed.body["Resources"][0]["meta"]["version"], "W/\"2\"");
    assert!(etag_of(&listed).is_none(), "lists carry no ETag");
    // A user's version is its own attributes': joining a group does not change it.
    let member = client.get(&path, &[]).await;
    assert_eq!(member.body["groups"][0]["value"], gid.as_str());
    assert_eq!(etag_of(&member), Some("W/\"3\""));

    let deleted = client
        .send_with(Method::DELETE, &path, (IF_MATCH, "*"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    // If-Match on a resource that is gone: 404, as without it.
    let gone = client
        .send_with(Method::DELETE, &path, (IF_MATCH, "*"), None)
        .await;
    assert_scim_error(&gone, StatusCode::NOT_FOUND, None);
    server.shutdown().await;

    // Entra answers PATCH with 204: the ETag header still says the new version.
    let mut options = options(None);
    options.behaviour.emulation =
        scimform_devserver::Emulation::for_profile(scimform_devserver::EmulationProfile::Entra);
    let server = DevServer::start(options).await.expect("server starts");
    let client = Client::new(&server);
    let id = client.create_user("entra@x.test").await;
    let patched = client
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "t"}]),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    assert_eq!(etag_of(&patched), Some("W/\"2\""));
    server.shutdown().await;
}

#[tokio::test]
async fn list_paging() {
    let server = start().await;
    let client = Client::new(&server);
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(client.create_user(&format!("user{i}@example.com")).await);
    }

    let mut seen = Vec::new();
    for (start, expected) in [("1", 3), ("4", 3), ("7", 1)] {
        let page = client
            .get("/Users", &[("startIndex", start), ("count", "3")])
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body["schemas"], json!([LIST_SCHEMA]));
        assert_eq!(page.body["totalResults"], 7);
        assert_eq!(
            page.body["startIndex"],
            start.parse::<u64>().expect("number")
        );
        assert_eq!(page.body["itemsPerPage"], expected);
        let resources = page.body["Resources"].as_array().expect("Resources");
        assert_eq!(resources.len(), expected);
        seen.extend(resources.iter().map(id_of));
    }
    assert_eq!(seen, ids, "pages follow creation order without gaps");

    let beyond = client.get("/Users", &[("startIndex", "8")]).await;
    assert_eq!(beyond.body["totalResults"], 7);
    assert_eq!(beyond.body["itemsPerPage"], 0);

    let zero = client.get("/Users", &[("count", "0")]).await;
    assert_eq!(zero.body["totalResults"], 7);
    assert_eq!(zero.body["itemsPerPage"], 0);
    assert_eq!(zero.body["Resources"], json!([]));

    let defaults = client
        .get("/Users", &[("startIndex", "-5"), ("count", "1000")])
        .await;
    assert_eq!(defaults.body["startIndex"], 1);
    assert_eq!(defaults.body["itemsPerPage"], 7);

    let bad = client.get("/Users", &[("count", "many")]).await;
    assert_scim_error(&bad, StatusCode::BAD_REQUEST, Some("invalidValue"));

    server.shutdown().await;
}

#[tokio::test]
async fn filters() {
    let server = start().await;
    let client = Client::new(&server);
    let alice = client
        .post(
            "/Users",
            json!({
                "userName": "Alice@Example.com",
                "externalId": "ext-alice",
                "emails": [{"value": "alice@mail.example", "type": "work"}]
            }),
        )
        .await;
    let alice = id_of(&alice.body);
    client.create_user("bob@example.com").await;

    let cases = [
        r#"userName eq "alice@example.com""#,
        r#"USERNAME EQ "ALICE@EXAMPLE.COM""#,
        r#"externalId eq "ext-alice""#,
        r#"emails.value eq "alice@mail.example""#,
        r#"emails eq "alice@mail.example""#,
    ];
    for filter in cases {
        let r = client.get("/Users", &[("filter", filter)]).await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.body);
        assert_eq!(r.body["totalResults"], 1, "{filter}");
        assert_eq!(id_of(&r.body["Resources"][0]), alice, "{filter}");
    }
    let by_id = format!("id eq \"{alice}\"");
    let r = client.get("/Users", &[("filter", &by_id)]).await;
    assert_eq!(r.body["totalResults"], 1);

    let none = client
        .get("/Users", &[("filter", r#"userName eq "carol""#)])
        .await;
    assert_eq!(none.body["totalResults"], 0);
    assert_eq!(none.body["Resources"], json!([]));

    for bad in [r"userName eq", r#"userName like "a""#, r"userName eq alice"] {
        let r = client.get("/Users", &[("filter", bad)]).await;
        assert_scim_error(&r, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    }

    server.shutdown().await;
}

#[tokio::test]
async fn groups_members_patch_and_cascading_delete() {
    let server = start().await;
    let client = Client::new(&server);
    let alice = client.create_user("alice").await;
    let bob = client.create_user("bob").await;
    let carol = client.create_user("carol").await;

    let group = client
        .post(
            "/Groups",
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": [{"value": alice}]}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let gid = id_of(&group.body);
    let path = format!("/Groups/{gid}");
    assert_eq!(
        group.body["members"],
        json!([{
            "value": alice,
            "display": "alice",
            "$ref": format!("{}/Users/{alice}", server.base_url()),
            "type": "User"
        }])
    );

    // displayName is unique, case-insensitively; members must exist.
    let dup = client
        .post("/Groups", json!({"displayName": "ENGINEERING"}))
        .await;
    assert_scim_error(&dup, StatusCode::CONFLICT, Some("uniqueness"));
    let ghost = client
        .post(
            "/Groups",
            json!({"displayName": "Ghosts", "members": [{"value": "ghost-id"}]}),
        )
        .await;
    assert_scim_error(&ghost, StatusCode::BAD_REQUEST, Some("invalidValue"));
    assert!(
        ghost.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("ghost-id"))
    );

    // The user shows the group it belongs to.
    let alice_now = client.get(&format!("/Users/{alice}"), &[]).await;
    assert_eq!(alice_now.body["groups"][0]["value"], gid.as_str());

    // add (an existing member again is not duplicated)
    let added = client
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": alice}, {"value": bob}, {"value": carol}]}]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(
        member_ids(&added.body),
        vec![alice.clone(), bob.clone(), carol.clone()]
    );

    // members.value filter on groups
    let filter = format!("members.value eq \"{bob}\"");
    let found = client.get("/Groups", &[("filter", &filter)]).await;
    assert_eq!(found.body["totalResults"], 1);

    // remove, filter form
    let removed = client
        .patch(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{alice}\"]")}]),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(member_ids(&removed.body), vec![bob.clone(), carol.clone()]);

    // remove, value-list form: just that member
    let removed = client
        .patch(
            &path,
            json!([{"op": "remove", "path": "members", "value": [{"value": bob}]}]),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(member_ids(&removed.body), vec![carol.clone()]);

    // adding a member that does not exist fails and changes nothing
    let bad = client
        .patch(
            &path,
            json!([
                {"op": "add", "path": "members", "value": [{"value": alice}]},
                {"op": "add", "path": "members", "value": [{"value": "nobody"}]}
            ]),
        )
        .await;
    assert_scim_error(&bad, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let unchanged = client.get(&path, &[]).await;
    assert_eq!(member_ids(&unchanged.body), vec![carol.clone()]);

    // excludedAttributes=members
    let slim = client
        .get(&path, &[("excludedAttributes", "members")])
        .await;
    assert!(slim.body.get("members").is_none());
    assert_eq!(slim.body["displayName"], "Engineering");
    let listed = client
        .get("/Groups", &[("excludedAttributes", "members")])
        .await;
    assert!(listed.body["Resources"][0].get("members").is_none());

    // deleting a user removes it from the group
    let deleted = client
        .send(Method::DELETE, &format!("/Users/{carol}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let after = client.get(&path, &[]).await;
    assert!(member_ids(&after.body).is_empty(), "{}", after.body);
    let gone = client.get(&format!("/Users/{carol}"), &[]).await;
    assert_scim_error(&gone, StatusCode::NOT_FOUND, None);

    // remove without value or filter empties the group
    client
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": alice}, {"value": bob}]}]),
        )
        .await;
    let emptied = client
        .patch(&path, json!([{"op": "remove", "path": "members"}]))
        .await;
    assert_eq!(emptied.status, StatusCode::OK);
    assert!(member_ids(&emptied.body).is_empty());

    // attribute PATCHes on a user: simple, sub-attribute, extension, no path
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let user = client
        .patch(
            &format!("/Users/{alice}"),
            json!([
                {"op": "replace", "path": "active", "value": false},
                {"op": "add", "path": "name.givenName", "value": "Alice"},
                {"op": "add", "path": format!("{ent}:department"), "value": "Eng"},
                {"op": "replace", "value": {"displayName": "Alice L."}}
            ]),
        )
        .await;
    assert_eq!(user.status, StatusCode::OK, "{}", user.body);
    assert_eq!(user.body["active"], false);
    assert_eq!(user.body["name"]["givenName"], "Alice");
    assert_eq!(user.body[ent]["department"], "Eng");
    assert_eq!(user.body["displayName"], "Alice L.");
    assert_eq!(user.body["schemas"], json!([USER_SCHEMA, ent]));

    server.shutdown().await;
}

#[tokio::test]
async fn authentication_and_error_bodies() {
    let server = start().await;
    let client = Client::new(&server);

    let none = client.with_token(None).get("/Users", &[]).await;
    assert_scim_error(&none, StatusCode::UNAUTHORIZED, None);
    let wrong = client
        .with_token(Some("guessed-secret-xyz"))
        .get("/Users", &[])
        .await;
    assert_scim_error(&wrong, StatusCode::UNAUTHORIZED, None);
    assert!(!wrong.body.to_string().contains("guessed-secret-xyz"));
    let spc = client
        .with_token(None)
        .get("/ServiceProviderConfig", &[])
        .await;
    assert_eq!(spc.status, StatusCode::UNAUTHORIZED);

    // Malformed JSON, wrong shapes, unknown attributes.
    let malformed = client
        .raw(
            Method::POST,
            "/Users",
            &[],
            Some(("application/scim+json", "{\"userName\": ".to_owned())),
        )
        .await;
    assert_scim_error(&malformed, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    let unknown = client
        .post("/Users", json!({"userName": "x", "shoeSize": 44}))
        .await;
    assert_scim_error(&unknown, StatusCode::BAD_REQUEST, Some("invalidSyntax"));

    // Plain application/json bodies are accepted too.
    let plain = client
        .raw(
            Method::POST,
            "/Users",
            &[],
            Some(("application/json", json!({"userName": "plain"}).to_string())),
        )
        .await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.body);

    let bad_patch = client
        .send(
            Method::PATCH,
            &format!("/Users/{}", id_of(&plain.body)),
            Some(json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "jump"}]})),
        )
        .await;
    assert_scim_error(&bad_patch, StatusCode::BAD_REQUEST, Some("invalidSyntax"));

    // Unknown routes and methods.
    let nowhere = client.get("/Widgets", &[]).await;
    assert_scim_error(&nowhere, StatusCode::NOT_FOUND, None);
    let not_allowed = client.send(Method::DELETE, "/Users", None).await;
    assert_scim_error(&not_allowed, StatusCode::METHOD_NOT_ALLOWED, None);

    server.shutdown().await;
}

#[tokio::test]
async fn persistence_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("directory.json");

    let server = DevServer::start(options(Some(data.clone())))
        .await
        .expect("server starts");
    let client = Client::new(&server);
    let alice = client.create_user("alice").await;
    let group = client
        .post(
            "/Groups",
            json!({"displayName": "Admins", "members": [{"value": alice}]}),
        )
        .await;
    let gid = id_of(&group.body);
    let bob = client.create_user("bob").await;
    let deleted = client
        .send(Method::DELETE, &format!("/Users/{bob}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    server.shutdown().await;
    assert!(data.exists());

    let server = DevServer::start(options(Some(data.clone())))
        .await
        .expect("server restarts");
    let client = Client::new(&server);
    let users = client.get("/Users", &[]).await;
    assert_eq!(users.body["totalResults"], 1);
    assert_eq!(id_of(&users.body["Resources"][0]), alice);
    let group = client.get(&format!("/Groups/{gid}"), &[]).await;
    assert_eq!(group.status, StatusCode::OK);
    assert_eq!(member_ids(&group.body), vec![alice.clone()]);
    assert_eq!(
        group.body["meta"]["location"],
        format!("{}/Groups/{gid}", server.base_url()).as_str()
    );
    // Uniqueness survives the restart too.
    let dup = client.post("/Users", json!({"userName": "ALICE"})).await;
    assert_scim_error(&dup, StatusCode::CONFLICT, Some("uniqueness"));
    server.shutdown().await;

    // A corrupt data file is refused at start, naming the path.
    std::fs::write(&data, "not json").expect("writes");
    match DevServer::start(options(Some(data.clone()))).await {
        Err(e @ DevServerError::DataInvalid { .. }) => {
            assert!(e.to_string().contains("directory.json"), "{e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a corrupt data file must be refused"),
    }
}

#[tokio::test]
async fn bind_failure_names_the_address() {
    let server = start().await;
    let taken = server.addr();
    let err = DevServer::start(DevServerOptions::new(taken, TOKEN)).await;
    match err {
        Err(e @ DevServerError::Bind { .. }) => {
            assert!(e.to_string().contains(&taken.to_string()), "{e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("binding a taken port must fail"),
    }
    server.shutdown().await;
}
