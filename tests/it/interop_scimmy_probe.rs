//! Pins down how scimmy 1.3.5 with scimmy-routers 1.3.2 (npm), behind the Express 4 app in
//! `tests/interop/scimmy-server`, behaves, with raw HTTP, so that scimform's assumptions
//! about it are checked and a change (a version bump in package.json, or in the app) shows
//! up here first.
//!
//! Most of what is pinned is scimmy's: routing, parsing, validation, PATCH, filters,
//! paging, error bodies. A few things are the app's, which stands in for a service
//! provider's database (see the header of `server.js`): server-side UUIDs and `meta`,
//! case-insensitive uniqueness of userName and group displayName, members that must
//! exist and are stored once, and members removed when their user or group is deleted.
//! Tests say "(app)" where a behaviour is the app's.
//!
//! Skipped, loudly, when `SCIMFORM_SKIP_INTEROP=1`.

use crate::support::probe::{
    ERROR, GROUP, LIST, Probe, Reply, SCIM_JSON, USER, assert_scim_error, id_of, ids,
    member_values, resources,
};
use crate::support::scimmy::Scimmy;
use reqwest::header::{CONTENT_TYPE, ETAG, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What scimmy-routers answers with: Express adds the charset.
const SCIM_JSON_UTF8: &str = "application/scim+json; charset=utf-8";

fn start(test: &str) -> Option<Probe> {
    Probe::start(test, Scimmy::start)
}

/// A SCIM error body (RFC 7644 §3.12), as `application/scim+json; charset=utf-8`.
fn assert_error(r: &Reply, status: u16, scim_type: Option<&str>) {
    assert_scim_error(r, status, scim_type, SCIM_JSON_UTF8);
}

/// scimmy's ids here are the app's random UUIDs: 36 characters, 4 hyphens.
fn assert_uuid(id: &str) {
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(id.matches('-').count(), 4, "{id}");
}

#[tokio::test]
async fn scimmy_discovery_and_auth() {
    let Some(p) = start("scimmy_discovery_and_auth") else {
        return;
    };
    assert!(
        p.server.base_url.ends_with("/scim/v2"),
        "{}",
        p.server.base_url
    );

    // ServiceProviderConfig: what scimmy-routers sets (patch, filter, sort and bulk
    // supported; no etag, no changePassword), with an absolute meta.location.
    let r = p.get("/ServiceProviderConfig").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.header(CONTENT_TYPE).as_deref(), Some(SCIM_JSON_UTF8));
    let b = &r.body;
    assert_eq!(b["patch"], json!({ "supported": true }));
    assert_eq!(b["filter"], json!({ "supported": true, "maxResults": 200 }));
    assert_eq!(b["sort"], json!({ "supported": true }));
    assert_eq!(b["etag"], json!({ "supported": false }));
    assert_eq!(b["changePassword"], json!({ "supported": false }));
    assert_eq!(
        b["bulk"],
        json!({ "supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576 })
    );
    assert_eq!(
        b["authenticationSchemes"][0]["type"],
        json!("oauthbearertoken")
    );
    assert_eq!(
        b["meta"]["location"],
        json!(p.server.url("/ServiceProviderConfig"))
    );

    let r = p.get("/ResourceTypes").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let endpoints: Vec<&str> = resources(&r.body)
        .iter()
        .map(|rt| rt["endpoint"].as_str().expect("endpoint"))
        .collect();
    assert_eq!(endpoints, ["/Users", "/Groups"]);
    let r = p.get("/Schemas").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let schema_ids: Vec<String> = ids(&r.body);
    assert!(schema_ids.contains(&USER.to_owned()), "{}", r.raw);
    assert!(schema_ids.contains(&GROUP.to_owned()), "{}", r.raw);

    // No token, a wrong token, another scheme: 401 with a SCIM error but no
    // WWW-Authenticate challenge.
    let url = p.server.url("/Users");
    for auth in [
        None,
        Some("Bearer not-the-token"),
        Some("Basic dG9rZW46dG9rZW4="),
    ] {
        let mut req = p.http.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.expect("GET /Users");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(resp.headers().get(WWW_AUTHENTICATE).is_none(), "{auth:?}");
        let body: Value = resp.json().await.expect("401 body is JSON");
        assert_eq!(body["schemas"], json!([ERROR]));
        assert_eq!(body["status"], json!("401"));
        assert!(body.get("scimType").is_none(), "{body}");
    }

    // Unknown endpoint: 404, SCIM error without scimType. /Me: 501 (the token is not a
    // user). /Bulk is advertised and answers.
    let r = p.get("/Nope").await;
    assert_error(&r, 404, None);
    assert_eq!(r.body["detail"], json!("Endpoint Not Found"));
    assert_error(&p.get("/Me").await, 501, None);
    let r = p
        .post(
            "/Bulk",
            json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [] }),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn scimmy_users() {
    let Some(p) = start("scimmy_users") else {
        return;
    };

    // POST: 201, no Location header and no ETag header (scimmy-routers sets neither);
    // meta.location is absolute, meta.version is a weak ETag value, the id a UUID (app).
    let alice = json!({
        "schemas": [USER],
        "userName": "Alice",
        "displayName": "Alice A",
        "active": true,
        "name": { "givenName": "Alice", "familyName": "Anders", "formatted": "Alice Anders" },
        "emails": [
            { "value": "alice@example.com", "type": "work", "primary": true },
            { "value": "a2@example.com", "type": "home" }
        ]
    });
    let r = p.post("/Users", alice).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(r.header(CONTENT_TYPE).as_deref(), Some(SCIM_JSON_UTF8));
    assert_eq!(r.header(LOCATION), None, "{:?}", r.headers);
    assert_eq!(r.header(ETAG), None, "{:?}", r.headers);
    let alice_id = id_of(&r.body);
    assert_uuid(&alice_id);
    let meta = &r.body["meta"];
    assert_eq!(
        meta["location"],
        json!(p.server.url(&format!("/Users/{alice_id}")))
    );
    assert_eq!(meta["resourceType"], json!("User"));
    assert!(
        meta["version"]
            .as_str()
            .expect("meta.version")
            .starts_with("W/\""),
        "{meta}"
    );
    assert!(meta["created"].is_string() && meta["lastModified"].is_string());
    assert_eq!(r.body["schemas"], json!([USER]));
    assert_eq!(r.body["userName"], json!("Alice"));
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(
        r.body["name"],
        json!({ "givenName": "Alice", "familyName": "Anders", "formatted": "Alice Anders" })
    );
    assert_eq!(
        r.body["emails"],
        json!([
            { "value": "alice@example.com", "type": "work", "primary": true },
            { "value": "a2@example.com", "type": "home" }
        ])
    );

    // `schemas` may be left out; `application/json` (with a charset) is accepted;
    // `active` is not defaulted when not sent.
    let r = p
        .send_as(
            Method::POST,
            "/Users",
            Some("application/json; charset=utf-8"),
            Some(json!({ "userName": "bob", "active": false }).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(r.body["schemas"], json!([USER]));
    assert_eq!(r.body["active"], json!(false));
    let bob_id = id_of(&r.body);
    let r = p.post("/Users", json!({ "userName": "carol" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert!(r.body.get("active").is_none(), "{}", r.raw);
    let carol_id = id_of(&r.body);
    // A client-chosen id and meta are ignored (app).
    let r = p
        .post(
            "/Users",
            json!({ "userName": "frank", "id": "my-own-id", "meta": { "created": "2000-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_ne!(r.body["id"], json!("my-own-id"));
    assert_ne!(r.body["meta"]["created"], json!("2000-01-01T00:00:00Z"));

    // A body that is not JSON-typed is not parsed at all: the request looks empty, and
    // the answer is scimmy's "userName is missing".
    for ct in [Some("text/plain"), None] {
        let r = p
            .send_as(
                Method::POST,
                "/Users",
                ct,
                Some(json!({ "userName": "dave" }).to_string()),
            )
            .await;
        assert_error(&r, 400, Some("invalidValue"));
        assert_eq!(
            r.body["detail"],
            json!("Required attribute 'userName' is missing")
        );
    }
    // Broken JSON: 400 from Express's body parser, before scimmy-routers sets its content
    // type: no scimType, and `application/json`.
    let r = p
        .send_as(
            Method::POST,
            "/Users",
            Some(SCIM_JSON),
            Some("{\"schemas\":".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);
    assert_eq!(r.body["schemas"], json!([ERROR]));
    assert_eq!(r.body["status"], json!("400"));
    assert!(r.body.get("scimType").is_none(), "{}", r.raw);
    assert_eq!(
        r.header(CONTENT_TYPE).as_deref(),
        Some("application/json; charset=utf-8")
    );

    // Validation errors.
    let r = p
        .post("/Users", json!({ "schemas": [USER], "displayName": "x" }))
        .await;
    assert_error(&r, 400, Some("invalidValue")); // userName missing
    let r = p.post("/Users", json!({ "userName": "  " })).await;
    assert_error(&r, 400, Some("invalidValue")); // userName blank (app)
    let r = p
        .post("/Users", json!({ "schemas": [GROUP], "userName": "gina" }))
        .await;
    assert_error(&r, 400, Some("invalidSyntax")); // wrong base schema
    let r = p
        .post("/Users", json!({ "userName": "gus", "active": "true" }))
        .await;
    assert_error(&r, 400, Some("invalidValue")); // a boolean sent as a string
    let r = p.post("/Users", json!([{ "userName": "ivy" }])).await;
    assert_error(&r, 400, Some("invalidSyntax")); // not an object
    // Unknown attributes are dropped silently; two primary emails and a bad email
    // address are accepted.
    let r = p
        .post(
            "/Users",
            json!({ "userName": "erin", "frobnicate": 1, "emails": [
                { "value": "e1@example.com", "primary": true },
                { "value": "not-an-email", "primary": true }
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert!(r.body.get("frobnicate").is_none(), "{}", r.raw);
    assert_eq!(r.body["emails"].as_array().map(Vec::len), Some(2));

    // userName is unique case-insensitively: 409 uniqueness (app).
    for dup in ["Alice", "alice", "ALICE"] {
        let r = p.post("/Users", json!({ "userName": dup })).await;
        assert_error(&r, 409, Some("uniqueness"));
    }

    // Filters are scimmy's Filter.match: `eq` is case-SENSITIVE, even on userName (which
    // RFC 7643 makes caseExact: false); attribute names and operators are not.
    for (filter, hits) in [
        ("userName eq \"Alice\"", 1),
        ("USERNAME EQ \"Alice\"", 1),
        ("userName eq \"alice\"", 0),
        ("userName eq \"ALICE\"", 0),
        ("displayName eq \"Alice A\"", 1),
        ("displayName eq \"alice a\"", 0),
        ("emails.value eq \"alice@example.com\"", 1),
        ("emails[type eq \"work\"]", 1),
        ("userName sw \"Al\"", 1),
        ("userName eq \"Alice\" or userName eq \"bob\"", 2),
        ("active eq true", 1),
        // An unknown attribute is not an error: nothing matches.
        ("nosuch eq \"x\"", 0),
    ] {
        let r = p.filter("/Users", filter, "").await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.raw);
        assert_eq!(r.body["schemas"], json!([LIST]));
        assert_eq!(r.body["totalResults"], json!(hits), "{filter}: {}", r.raw);
        assert_eq!(resources(&r.body).len(), hits, "{filter}");
    }
    let r = p.filter("/Users", "userName eq \"zzz\"", "").await;
    assert_eq!(
        r.body,
        json!({ "schemas": [LIST], "Resources": [], "startIndex": 1, "itemsPerPage": 20, "totalResults": 0 })
    );
    // Malformed filters: some are 400 invalidFilter, but a comparison without a value is
    // accepted and compares with "undefined": `bogus eq` matches every user.
    assert_error(
        &p.filter("/Users", "((", "").await,
        400,
        Some("invalidFilter"),
    );
    let r = p.filter("/Users", "userName foo \"x\"", "").await;
    assert_error(&r, 400, Some("invalidFilter"));
    assert_error(&p.get("/Users?filter=").await, 400, Some("invalidFilter"));
    let r = p.filter("/Users", "bogus eq", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["totalResults"], json!(5), "{}", r.raw);

    // `attributes` trims the answer to id and the asked attributes (no `schemas`).
    let r = p
        .get(&format!("/Users/{alice_id}?attributes=userName"))
        .await;
    assert_eq!(r.body, json!({ "id": alice_id, "userName": "Alice" }));

    // PATCH that changes something: 200 with the whole resource, a new meta.version.
    let before = p.get(&format!("/Users/{alice_id}")).await;
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "displayName", "value": "Alice Replaced" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["displayName"], json!("Alice Replaced"));
    assert_eq!(r.body["emails"], before.body["emails"]);
    assert_ne!(r.body["meta"]["version"], before.body["meta"]["version"]);
    assert_eq!(r.body["meta"]["created"], before.body["meta"]["created"]);
    let version = r.body["meta"]["version"].clone();
    let r = p.get(&format!("/Users/{alice_id}")).await;
    assert_eq!(r.body["displayName"], json!("Alice Replaced"));
    // A PATCH that changes nothing: 204, empty body, same version.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "displayName", "value": "Alice Replaced" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert!(r.raw.is_empty());
    let r = p.get(&format!("/Users/{alice_id}")).await;
    assert_eq!(r.body["meta"]["version"], version);
    // PATCH without `schemas`: 400 invalidSyntax.
    let r = p
        .send(
            Method::PATCH,
            &format!("/Users/{carol_id}"),
            Some(&json!({ "Operations": [
                { "op": "replace", "path": "displayName", "value": "Carol" }
            ]})),
        )
        .await;
    assert_error(&r, 400, Some("invalidSyntax"));
    // PATCH with `attributes`: scimmy fails with 500 (it validates the trimmed resource)
    // and changes nothing.
    let r = p
        .patch(
            &format!("/Users/{alice_id}?attributes=displayName"),
            json!([{ "op": "replace", "path": "displayName", "value": "Alice Again" }]),
        )
        .await;
    assert_error(&r, 500, None);
    let r = p.get(&format!("/Users/{alice_id}")).await;
    assert_eq!(r.body["displayName"], json!("Alice Replaced"));
    // Renaming onto another user's userName, in another case: 409 (app).
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "userName", "value": "BOB" }]),
        )
        .await;
    assert_error(&r, 409, Some("uniqueness"));
    // Removing a required attribute: 400 invalidValue.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "remove", "path": "userName" }]),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue"));
    // Unknown path: 400 invalidPath. An unknown op: 400 invalidSyntax.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "nosuch", "value": 1 }]),
        )
        .await;
    assert_error(&r, 400, Some("invalidPath"));
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "frob", "path": "displayName", "value": 1 }]),
        )
        .await;
    assert_error(&r, 400, Some("invalidSyntax"));
    // Sub-attribute and value-filter paths, a no-path replace, `op` in any case.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([
                { "op": "Replace", "path": "name.givenName", "value": "Alicia" },
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "alicia@example.com" },
                { "op": "replace", "value": { "active": false } }
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["name"]["givenName"], json!("Alicia"));
    assert_eq!(r.body["name"]["familyName"], json!("Anders"));
    assert_eq!(r.body["emails"][0]["value"], json!("alicia@example.com"));
    assert_eq!(r.body["active"], json!(false));
    // Replacing the complex `name` replaces it whole: sub-attributes not sent are gone.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "name", "value": { "givenName": "Al", "familyName": "A" } }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        r.body["name"],
        json!({ "givenName": "Al", "familyName": "A" })
    );
    // Adding a new primary email does not demote the old one: two primaries.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "add", "path": "emails", "value": [
                { "value": "new@example.com", "primary": true }
            ]}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        r.body["emails"],
        json!([
            { "value": "alicia@example.com", "type": "work", "primary": true },
            { "value": "a2@example.com", "type": "home" },
            { "value": "new@example.com", "primary": true }
        ])
    );

    // PUT replaces the whole resource: attributes left out are gone. 409 and 404 as
    // for PATCH.
    let r = p
        .put(
            &format!("/Users/{alice_id}"),
            json!({ "schemas": [USER], "userName": "Alice", "displayName": "Put" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["displayName"], json!("Put"));
    for gone in ["name", "emails", "active"] {
        assert!(r.body.get(gone).is_none(), "{gone} survived PUT: {}", r.raw);
    }
    let r = p
        .put(
            &format!("/Users/{alice_id}"),
            json!({ "schemas": [USER], "userName": "bob" }),
        )
        .await;
    assert_error(&r, 409, Some("uniqueness"));
    let r = p.put("/Users/nope", json!({ "userName": "nobody" })).await;
    assert_error(&r, 404, None);

    // DELETE: 204, then 404 for GET, for a second DELETE and for PATCH.
    let r = p.delete(&format!("/Users/{bob_id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert!(r.raw.is_empty());
    let r = p.get(&format!("/Users/{bob_id}")).await;
    assert_error(&r, 404, None);
    assert_eq!(
        r.body["detail"],
        json!(format!("Resource {bob_id} not found"))
    );
    assert_error(&p.delete(&format!("/Users/{bob_id}")).await, 404, None);
    let r = p
        .patch(
            "/Users/nope",
            json!([{ "op": "replace", "path": "displayName", "value": "x" }]),
        )
        .await;
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn scimmy_paging() {
    let Some(p) = start("scimmy_paging") else {
        return;
    };
    // 25 users: more than scimmy's default page of 20.
    let mut by_creation = Vec::new();
    for n in 1..=25 {
        by_creation.push(p.create_user(&format!("u{n:02}")).await);
    }
    let page = |r: &Reply| -> Vec<String> { ids(&r.body) };
    let counters = |r: &Reply| {
        (
            r.body["totalResults"].as_u64().expect("totalResults"),
            r.body["startIndex"].as_u64().expect("startIndex"),
            r.body["itemsPerPage"].as_u64().expect("itemsPerPage"),
        )
    };

    // Without `count`, a page holds 20 (scimmy's default), in creation order (the app's
    // store order); totalResults counts them all.
    let r = p.get("/Users").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(counters(&r), (25, 1, 20));
    assert_eq!(page(&r), by_creation[0..20]);

    // startIndex/count are honoured (with Express 4; see package.json).
    let r = p.get("/Users?startIndex=1&count=10").await;
    assert_eq!(counters(&r), (25, 1, 10));
    assert_eq!(page(&r), by_creation[0..10]);
    let r = p.get("/Users?startIndex=11&count=10").await;
    assert_eq!(counters(&r), (25, 11, 10));
    assert_eq!(page(&r), by_creation[10..20]);
    let r = p.get("/Users?startIndex=2&count=3").await;
    assert_eq!(page(&r), by_creation[1..4]);

    // itemsPerPage echoes `count`, not the number of resources on the page.
    let r = p.get("/Users?startIndex=21&count=10").await;
    assert_eq!(counters(&r), (25, 21, 10));
    assert_eq!(page(&r), by_creation[20..25]);
    let r = p.get("/Users?count=100").await;
    assert_eq!(counters(&r), (25, 1, 100));
    assert_eq!(page(&r), by_creation);

    // Past the end, scimmy does NOT answer an empty page: it serves the first page again
    // (startIndex echoed). A client that pages until an empty page would loop or see
    // every id twice; one that stops at totalResults never asks.
    for start in [26, 100] {
        let r = p.get(&format!("/Users?startIndex={start}&count=10")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        assert_eq!(counters(&r), (25, start, 10));
        assert_eq!(page(&r), by_creation[0..10], "startIndex={start}");
    }

    // count=0 or negative: only the total. startIndex below 1 is taken as 1. A count or
    // startIndex that is not an integer is ignored.
    let r = p.get("/Users?count=0").await;
    assert_eq!(counters(&r), (25, 1, 0));
    assert_eq!(r.body["Resources"], json!([]));
    let r = p.get("/Users?count=-1").await;
    assert_eq!(counters(&r), (25, 1, 0));
    for q in ["startIndex=0&count=1", "startIndex=-3&count=1"] {
        let r = p.get(&format!("/Users?{q}")).await;
        assert_eq!(counters(&r), (25, 1, 1), "{q}");
        assert_eq!(page(&r), by_creation[0..1], "{q}");
    }
    for q in ["count=abc", "count=2.5", "startIndex=abc"] {
        let r = p.get(&format!("/Users?{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.raw);
        assert_eq!(counters(&r), (25, 1, 20), "{q}");
    }

    // Paging applies after the filter; sortBy is supported.
    let r = p
        .filter("/Users", "userName sw \"u1\"", "&startIndex=3&count=4")
        .await;
    assert_eq!(counters(&r), (10, 3, 4));
    assert_eq!(page(&r), by_creation[11..15]);
    let r = p
        .get("/Users?sortBy=userName&sortOrder=descending&count=3")
        .await;
    let names: Vec<&str> = resources(&r.body)
        .iter()
        .map(|u| u["userName"].as_str().expect("userName"))
        .collect();
    assert_eq!(names, ["u25", "u24", "u23"]);
}

#[tokio::test]
async fn scimmy_groups_and_membership() {
    let Some(p) = start("scimmy_groups_and_membership") else {
        return;
    };
    let alice = p.create_user("alice").await;
    let bob = p.create_user("bob").await;
    let carol = p.create_user("carol").await;
    let dave = p.create_user("dave").await;

    // POST with members: 201, no Location, members echoed exactly as sent (no $ref or
    // display filled in).
    let r = p
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "eng", "members": [
                { "value": alice }, { "value": bob, "type": "User" }
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(r.header(LOCATION), None);
    let eng = id_of(&r.body);
    assert_uuid(&eng);
    assert_eq!(r.body["meta"]["resourceType"], json!("Group"));
    assert_eq!(
        r.body["members"],
        json!([{ "value": alice }, { "value": bob, "type": "User" }])
    );

    // Members must exist (app): 400 invalidValue.
    let r = p
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "ghosts", "members": [{ "value": "does-not-exist" }] }),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue"));
    // displayName is unique case-insensitively (app), and required.
    let r = p
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "ENG" }),
        )
        .await;
    assert_error(&r, 409, Some("uniqueness"));
    let r = p.post("/Groups", json!({ "schemas": [GROUP] })).await;
    assert_error(&r, 400, Some("invalidValue"));
    // An empty member list is stored as no `members` attribute at all; a group may be a
    // member (nested groups).
    let r = p
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "empty", "members": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert!(r.body.get("members").is_none(), "{}", r.raw);
    let empty = id_of(&r.body);
    let outer = p.create_group("outer", &[&eng]).await;

    // The list and the single GET both carry members; excludedAttributes=members drops them.
    let r = p.get("/Groups").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["totalResults"], json!(3));
    let listed = resources(&r.body)
        .iter()
        .find(|g| g["id"] == json!(eng))
        .expect("eng in /Groups");
    assert_eq!(member_values(listed), [alice.clone(), bob.clone()]);
    assert_eq!(p.member_values(&eng).await, [alice.clone(), bob.clone()]);
    assert_eq!(p.member_values(&outer).await, [eng.as_str()]);
    let r = p.get("/Groups?excludedAttributes=members").await;
    assert!(
        resources(&r.body)
            .iter()
            .all(|g| g.get("members").is_none()),
        "{}",
        r.raw
    );
    assert_eq!(r.body["totalResults"], json!(3));
    let r = p
        .get(&format!("/Groups/{eng}?excludedAttributes=members"))
        .await;
    assert!(r.body.get("members").is_none(), "{}", r.raw);
    assert_eq!(r.body["displayName"], json!("eng"));

    // displayName eq is case-sensitive; members.value and members[value eq] filters work
    // (with a group without members present: the app skips it where scimmy's
    // Filter.match would throw).
    for (filter, found) in [
        ("displayName eq \"eng\"".to_owned(), vec![eng.clone()]),
        ("displayName eq \"ENG\"".to_owned(), vec![]),
        (format!("members.value eq \"{alice}\""), vec![eng.clone()]),
        (format!("members[value eq \"{alice}\"]"), vec![eng.clone()]),
        (format!("members.value eq \"{eng}\""), vec![outer.clone()]),
    ] {
        let r = p.filter("/Groups", &filter, "").await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.raw);
        assert_eq!(ids(&r.body), found, "{filter}");
    }

    // PATCH add members: 200 with the whole group.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "add", "path": "members", "value": [{ "value": carol }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        member_values(&r.body),
        [alice.clone(), bob.clone(), carol.clone()]
    );
    // Adding an existing member again is a no-op (app: members are a set): 204. A single
    // member object instead of a list is accepted too.
    for value in [json!([{ "value": carol }]), json!({ "value": carol })] {
        let r = p
            .patch(
                &format!("/Groups/{eng}"),
                json!([{ "op": "add", "path": "members", "value": value }]),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{value}: {}", r.raw);
        assert!(r.raw.is_empty());
    }
    // A member that does not exist: 400 (app), nothing applied.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "add", "path": "members", "value": [{ "value": dave }, { "value": "ghost" }] }]),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue"));
    assert_eq!(
        p.member_values(&eng).await,
        [alice.clone(), bob.clone(), carol.clone()]
    );

    // PATCH remove with a filter path (RFC form): 200.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": format!("members[value eq \"{carol}\"]") }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(member_values(&r.body), [alice.clone(), bob.clone()]);
    // A filter that matches nothing is not an error: 204.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members[value eq \"nope\"]" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);

    // The value-list remove form (Azure AD style) works too: 200; for a non-member, 204.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members", "value": [{ "value": bob }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(member_values(&r.body), [alice.as_str()]);
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members", "value": [{ "value": bob }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);

    // Several operations in one PATCH; an `or` filter removes several members.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([
                { "op": "add", "path": "members", "value": [{ "value": bob }, { "value": carol }, { "value": dave }] },
                { "op": "remove", "path": format!("members[value eq \"{alice}\" or value eq \"{bob}\"]") },
                { "op": "replace", "path": "displayName", "value": "engineering" }
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["displayName"], json!("engineering"));
    assert_eq!(member_values(&r.body), [carol.clone(), dave.clone()]);

    // A PATCH is atomic: when one operation fails, none applies.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([
                { "op": "add", "path": "members", "value": [{ "value": alice }] },
                { "op": "replace", "path": "nosuch", "value": 1 }
            ]),
        )
        .await;
    assert_error(&r, 400, Some("invalidPath"));
    assert_eq!(p.member_values(&eng).await, [carol.clone(), dave.clone()]);

    // Deleting a user removes it from the groups it was in, and bumps their version
    // (app): no dangling members.
    let before = p.get(&format!("/Groups/{eng}")).await;
    let r = p.delete(&format!("/Users/{dave}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let after = p.get(&format!("/Groups/{eng}")).await;
    assert_eq!(member_values(&after.body), [carol.as_str()]);
    assert_ne!(
        after.body["meta"]["version"],
        before.body["meta"]["version"]
    );
    // The user's `groups` attribute is not maintained.
    let r = p.get(&format!("/Users/{carol}")).await;
    assert!(r.body.get("groups").is_none(), "{}", r.raw);

    // replace members sets the list; remove `members` without a filter empties it, and
    // an empty group has no `members` attribute at all.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "replace", "path": "members", "value": [{ "value": bob }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(member_values(&r.body), [bob.as_str()]);
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert!(r.body.get("members").is_none(), "{}", r.raw);

    // PUT replaces the group, members included.
    let r = p
        .put(
            &format!("/Groups/{eng}"),
            json!({ "schemas": [GROUP], "displayName": "engineering", "members": [{ "value": alice }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(member_values(&r.body), [alice.as_str()]);

    // DELETE group: 204, then 404; it leaves the groups it was a member of (app).
    let r = p.delete(&format!("/Groups/{eng}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_error(&p.get(&format!("/Groups/{eng}")).await, 404, None);
    assert!(p.member_values(&outer).await.is_empty());
    let r = p.delete(&format!("/Groups/{empty}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
}
