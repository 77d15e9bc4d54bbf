//! Pins down how the third-party `scim2-server` 0.8.3 (`PyPI`) behaves, with raw HTTP,
//! so that scimform's assumptions about it are checked and a change in the server's
//! behaviour (e.g. a version bump in `scripts/interop-setup.sh`) shows up here first.
//!
//! Skipped, loudly, when `SCIMFORM_SKIP_INTEROP=1`.

use crate::support::probe::{
    ERROR, GROUP, LIST, PATCH_OP, Probe, Reply, SCIM_JSON, USER, assert_scim_error, id_of,
    member_values, resources,
};
use crate::support::scim2_server::Scim2Server;
use reqwest::header::{CONTENT_TYPE, ETAG, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use scimform::scim::encode_query;
use serde_json::{Value, json};

fn start(test: &str) -> Option<Probe> {
    Probe::start(test, Scim2Server::start)
}

/// A SCIM error body (RFC 7644 §3.12), as `application/scim+json`.
fn assert_error(r: &Reply, status: u16, scim_type: Option<&str>) {
    assert_scim_error(r, status, scim_type, SCIM_JSON);
}

#[tokio::test]
async fn scim2_server_discovery_and_auth() {
    let Some(p) = start("scim2_server_discovery_and_auth") else {
        return;
    };
    assert!(p.server.base_url.ends_with("/v2"), "{}", p.server.base_url);

    let r = p.get("/ServiceProviderConfig").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.header(CONTENT_TYPE).as_deref(), Some(SCIM_JSON));
    assert_eq!(r.body["patch"]["supported"], json!(true));
    assert_eq!(r.body["filter"]["supported"], json!(true));
    assert_eq!(r.body["filter"]["maxResults"], json!(1000));
    assert_eq!(r.body["bulk"]["supported"], json!(true));
    assert_eq!(r.body["etag"]["supported"], json!(true));
    assert_eq!(
        r.body["authenticationSchemes"][0]["type"],
        json!("oauthbearertoken")
    );

    let r = p.get("/ResourceTypes").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let endpoints: Vec<&str> = resources(&r.body)
        .iter()
        .map(|rt| rt["endpoint"].as_str().expect("endpoint"))
        .collect();
    assert_eq!(endpoints, ["/Users", "/Groups"]);

    // No token, and a wrong token: 401 with a SCIM error and a Bearer challenge.
    let url = p.server.url("/Users");
    for auth in [None, Some("Bearer not-the-token")] {
        let mut req = p.http.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.expect("GET /Users");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            resp.headers()
                .get(WWW_AUTHENTICATE)
                .map(|v| v.to_str().expect("ascii")),
            Some("Bearer realm=\"SCIM\"")
        );
        let body: Value = resp.json().await.expect("401 body is JSON");
        assert_eq!(body["schemas"], json!([ERROR]));
        assert_eq!(body["status"], json!("401"));
    }

    // Unknown endpoint: 404, SCIM error without scimType.
    let r = p.get("/Nope").await;
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn scim2_server_users() {
    let Some(p) = start("scim2_server_users") else {
        return;
    };

    // POST: 201, Location == meta.location, ETag == meta.version, everything echoed.
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
    assert_eq!(r.header(CONTENT_TYPE).as_deref(), Some(SCIM_JSON));
    let alice_id = id_of(&r.body);
    let location = r.header(LOCATION).expect("POST sends a Location header");
    assert_eq!(location, p.server.url(&format!("/Users/{alice_id}")));
    assert_eq!(r.body["meta"]["location"], json!(location));
    assert_eq!(r.body["meta"]["resourceType"], json!("User"));
    assert_eq!(
        r.header(ETAG),
        r.body["meta"]["version"].as_str().map(str::to_owned)
    );
    assert!(r.header(ETAG).expect("ETag").starts_with("W/\""));
    assert_eq!(r.body["schemas"], json!([USER]));
    assert_eq!(r.body["userName"], json!("Alice"));
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(r.body["name"]["givenName"], json!("Alice"));
    assert_eq!(r.body["name"]["familyName"], json!("Anders"));
    assert_eq!(r.body["name"]["formatted"], json!("Alice Anders"));
    assert_eq!(
        r.body["emails"],
        json!([
            { "value": "alice@example.com", "type": "work", "primary": true },
            { "value": "a2@example.com", "type": "home" }
        ])
    );

    // `schemas` may be left out; `application/json` (with parameters) is accepted;
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
    // A client-chosen id is ignored.
    let r = p
        .post("/Users", json!({ "userName": "frank", "id": "my-own-id" }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_ne!(r.body["id"], json!("my-own-id"));

    // Content types other than JSON ones: 415. No Content-Type: 415 too.
    for ct in [Some("text/plain"), None] {
        let r = p
            .send_as(
                Method::POST,
                "/Users",
                ct,
                Some(json!({ "userName": "dave" }).to_string()),
            )
            .await;
        assert_error(&r, 415, None);
    }

    // Validation errors.
    let r = p
        .post("/Users", json!({ "schemas": [USER], "displayName": "x" }))
        .await;
    assert_error(&r, 400, Some("invalidValue")); // userName missing
    let r = p
        .post(
            "/Users",
            json!({ "schemas": [USER], "userName": "erin", "frobnicate": 1 }),
        )
        .await;
    assert_error(&r, 400, Some("invalidSyntax")); // unknown attribute
    let r = p
        .post("/Users", json!({ "schemas": [GROUP], "userName": "gina" }))
        .await;
    assert_error(&r, 400, Some("invalidSyntax")); // wrong base schema
    let r = p
        .post(
            "/Users",
            json!({ "userName": "dave", "emails": [
                { "value": "d1@example.com", "primary": true },
                { "value": "d2@example.com", "primary": true }
            ]}),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue")); // two primaries
    let r = p
        .send_as(
            Method::POST,
            "/Users",
            Some(SCIM_JSON),
            Some("{\"schemas\":".into()),
        )
        .await;
    assert_error(&r, 400, Some("invalidSyntax")); // broken JSON
    // Email syntax is not checked.
    let r = p
        .post(
            "/Users",
            json!({ "userName": "hank", "emails": [{ "value": "not-an-email" }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);

    // userName is unique case-insensitively: 409 uniqueness.
    for dup in ["Alice", "alice", "ALICE"] {
        let r = p.post("/Users", json!({ "userName": dup })).await;
        assert_error(&r, 409, Some("uniqueness"));
    }

    // Filters: userName and displayName `eq` ignore case; no match gives an empty list.
    for filter in [
        "userName eq \"alice\"",
        "userName eq \"ALICE\"",
        "displayName eq \"alice a\"",
        "emails.value eq \"ALICE@example.com\"",
    ] {
        let r = p
            .send(
                Method::GET,
                &format!("/Users?filter={}", encode_query(filter)),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.raw);
        assert_eq!(r.body["schemas"], json!([LIST]));
        assert_eq!(r.body["totalResults"], json!(1), "{filter}: {}", r.raw);
        assert_eq!(resources(&r.body)[0]["id"], json!(alice_id), "{filter}");
    }
    let r = p
        .get(&format!(
            "/Users?filter={}",
            encode_query("userName eq \"zzz\"")
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({ "schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": [] })
    );
    let r = p
        .get(&format!("/Users?filter={}", encode_query("bogus  eq")))
        .await;
    assert_error(&r, 400, Some("invalidFilter"));
    // `attributes` trims the answer to id, schemas and the asked attributes.
    let r = p
        .get(&format!("/Users/{alice_id}?attributes=userName"))
        .await;
    assert_eq!(
        r.body,
        json!({ "schemas": [USER], "id": alice_id, "userName": "Alice" })
    );

    // PATCH replace displayName: 204, empty body, new ETag; GET shows the change.
    let before = p.get(&format!("/Users/{alice_id}")).await;
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "displayName", "value": "Alice Replaced" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert!(r.raw.is_empty());
    let etag = r.header(ETAG).expect("PATCH 204 carries an ETag");
    assert_ne!(Some(etag.clone()), before.header(ETAG));
    let r = p.get(&format!("/Users/{alice_id}")).await;
    assert_eq!(r.body["displayName"], json!("Alice Replaced"));
    assert_eq!(r.header(ETAG), Some(etag.clone()));
    // Same PATCH with `attributes`: 200 with the (trimmed) resource.
    let r = p
        .patch(
            &format!("/Users/{alice_id}?attributes=displayName"),
            json!([{ "op": "replace", "path": "displayName", "value": "Alice Again" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({ "schemas": [USER], "id": alice_id, "displayName": "Alice Again" })
    );
    // A PATCH that changes nothing keeps the version.
    let etag = r.header(ETAG).expect("ETag");
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "displayName", "value": "Alice Again" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_eq!(r.header(ETAG), Some(etag.clone()));
    // If-Match with a stale version: 412.
    let stale = p
        .http
        .patch(p.server.url(&format!("/Users/{alice_id}")))
        .header("Authorization", p.server.auth_header())
        .header(CONTENT_TYPE, SCIM_JSON)
        .header("If-Match", "W/\"1\"")
        .body(
            json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "replace", "path": "displayName", "value": "x" }
            ]})
            .to_string(),
        )
        .send()
        .await
        .expect("PATCH If-Match");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    // Renaming onto another user's userName: 409 uniqueness.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "userName", "value": "BOB" }]),
        )
        .await;
    assert_error(&r, 409, Some("uniqueness"));
    // Removing a required attribute: 400 mutability.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "remove", "path": "userName" }]),
        )
        .await;
    assert_error(&r, 400, Some("mutability"));
    // Unknown path: 400 invalidPath.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "replace", "path": "nosuch", "value": 1 }]),
        )
        .await;
    assert_error(&r, 400, Some("invalidPath"));
    // PATCH without `schemas` is accepted.
    let r = p
        .send(
            Method::PATCH,
            &format!("/Users/{carol_id}"),
            Some(&json!({ "Operations": [
                { "op": "replace", "path": "displayName", "value": "Carol" }
            ]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    // Sub-attribute and value paths, no-path replace, active.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([
                { "op": "replace", "path": "name.givenName", "value": "Alicia" },
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "alicia@example.com" },
                { "op": "replace", "value": { "active": false } }
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let r = p.get(&format!("/Users/{alice_id}")).await;
    assert_eq!(r.body["name"]["givenName"], json!("Alicia"));
    assert_eq!(r.body["name"]["familyName"], json!("Anders"));
    assert_eq!(r.body["emails"][0]["value"], json!("alicia@example.com"));
    assert_eq!(r.body["active"], json!(false));
    // Adding a new primary email demotes the old one to primary: false.
    let r = p
        .patch(
            &format!("/Users/{alice_id}"),
            json!([{ "op": "add", "path": "emails", "value": [
                { "value": "new@example.com", "primary": true }
            ]}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let r = p.get(&format!("/Users/{alice_id}?attributes=emails")).await;
    assert_eq!(
        r.body["emails"],
        json!([
            { "value": "alicia@example.com", "type": "work", "primary": false },
            { "value": "a2@example.com", "type": "home" },
            { "value": "new@example.com", "primary": true }
        ])
    );

    // PUT replaces the whole resource: attributes left out are gone.
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

    // DELETE: 204, then 404 for GET and for a second DELETE.
    let r = p.delete(&format!("/Users/{bob_id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert!(r.raw.is_empty());
    assert_error(&p.get(&format!("/Users/{bob_id}")).await, 404, None);
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
async fn scim2_server_paging() {
    let Some(p) = start("scim2_server_paging") else {
        return;
    };
    let mut ids = Vec::new();
    for name in ["u1", "u2", "u3", "u4", "u5"] {
        ids.push(p.create_user(name).await);
    }
    // The default order is by id (random hex), not by creation.
    let mut by_id = ids.clone();
    by_id.sort();

    let page = |r: &Reply| -> Vec<String> { resources(&r.body).iter().map(id_of).collect() };

    let r = p.get("/Users?attributes=userName").await;
    assert_eq!(r.body["totalResults"], json!(5));
    assert_eq!(r.body["itemsPerPage"], json!(5));
    assert_eq!(r.body["startIndex"], json!(1));
    assert_eq!(page(&r), by_id);

    let r = p.get("/Users?startIndex=1&count=2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["totalResults"], json!(5));
    assert_eq!(r.body["itemsPerPage"], json!(2));
    assert_eq!(r.body["startIndex"], json!(1));
    assert_eq!(page(&r), by_id[0..2]);

    let r = p.get("/Users?startIndex=2&count=2").await;
    assert_eq!(r.body["startIndex"], json!(2));
    assert_eq!(r.body["itemsPerPage"], json!(2));
    assert_eq!(page(&r), by_id[1..3]);

    let r = p.get("/Users?startIndex=5&count=2").await;
    assert_eq!(r.body["itemsPerPage"], json!(1));
    assert_eq!(page(&r), by_id[4..5]);

    // Past the end: empty page, startIndex echoed.
    let r = p.get("/Users?startIndex=100&count=2").await;
    assert_eq!(r.body["totalResults"], json!(5));
    assert_eq!(r.body["startIndex"], json!(100));
    assert_eq!(r.body["itemsPerPage"], json!(0));
    assert_eq!(r.body["Resources"], json!([]));

    // count=0: only the total. startIndex=0 is taken as 1; count<0 as 0.
    let r = p.get("/Users?count=0").await;
    assert_eq!(r.body["totalResults"], json!(5));
    assert_eq!(r.body["Resources"], json!([]));
    let r = p.get("/Users?startIndex=0&count=1").await;
    assert_eq!(r.body["startIndex"], json!(1));
    assert_eq!(page(&r), by_id[0..1]);
    let r = p.get("/Users?count=-1").await;
    assert_eq!(r.body["itemsPerPage"], json!(0));

    // sortBy is supported.
    let r = p.get("/Users?sortBy=userName&sortOrder=descending").await;
    let names: Vec<&str> = resources(&r.body)
        .iter()
        .map(|u| u["userName"].as_str().expect("userName"))
        .collect();
    assert_eq!(names, ["u5", "u4", "u3", "u2", "u1"]);
}

#[tokio::test]
async fn scim2_server_groups_and_membership() {
    let Some(p) = start("scim2_server_groups_and_membership") else {
        return;
    };
    let alice = p.create_user("alice").await;
    let bob = p.create_user("bob").await;
    let carol = p.create_user("carol").await;
    let dave = p.create_user("dave").await;

    // POST with members: 201, Location, members echoed exactly as sent (no $ref or
    // display filled in by the server).
    let r = p
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "eng", "members": [
                { "value": alice }, { "value": bob, "type": "User" }
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let eng = id_of(&r.body);
    assert_eq!(
        r.header(LOCATION),
        Some(p.server.url(&format!("/Groups/{eng}")))
    );
    assert_eq!(
        r.body["members"],
        json!([{ "value": alice }, { "value": bob, "type": "User" }])
    );

    // No referential integrity: unknown member ids are stored as given.
    let r = p
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "ghosts", "members": [{ "value": "does-not-exist" }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(member_values(&r.body), ["does-not-exist"]);
    // displayName is not unique, not even exactly.
    for name in ["eng", "ENG"] {
        let r = p
            .post(
                "/Groups",
                json!({ "schemas": [GROUP], "displayName": name }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.raw);
    }
    // displayName is required.
    let r = p.post("/Groups", json!({ "schemas": [GROUP] })).await;
    assert_error(&r, 400, Some("invalidValue"));

    // The list and the single GET both carry members.
    let r = p.get("/Groups").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["totalResults"], json!(4));
    let listed = resources(&r.body)
        .iter()
        .find(|g| g["id"] == json!(eng))
        .expect("eng in /Groups");
    assert_eq!(member_values(listed), [alice.clone(), bob.clone()]);
    assert_eq!(p.member_values(&eng).await, [alice.clone(), bob.clone()]);
    // displayName eq ignores case; members.value and members[value eq] filters work.
    let r = p
        .get(&format!(
            "/Groups?filter={}",
            encode_query("displayName eq \"ENG\"")
        ))
        .await;
    assert_eq!(r.body["totalResults"], json!(3), "{}", r.raw);
    for filter in [
        format!("members.value eq \"{alice}\""),
        format!("members[value eq \"{alice}\"]"),
    ] {
        let r = p
            .get(&format!("/Groups?filter={}", encode_query(&filter)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.raw);
        let found: Vec<String> = resources(&r.body).iter().map(id_of).collect();
        assert_eq!(found, [eng.as_str()], "{filter}");
    }

    // PATCH add members: 204, empty body.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "add", "path": "members", "value": [{ "value": carol }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert!(r.raw.is_empty());
    let etag = r.header(ETAG).expect("ETag");
    assert_eq!(
        p.member_values(&eng).await,
        [alice.clone(), bob.clone(), carol.clone()]
    );
    // Adding an identical member again is a no-op: no duplicate, same version.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "add", "path": "members", "value": [{ "value": carol }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_eq!(r.header(ETAG), Some(etag));
    assert_eq!(
        p.member_values(&eng).await,
        [alice.clone(), bob.clone(), carol.clone()]
    );
    // ...but duplicates are detected on the whole member object: the same value with
    // a different `display` is added a second time.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "add", "path": "members", "value": [{ "value": carol, "display": "Carol" }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_eq!(
        p.member_values(&eng).await,
        [alice.clone(), bob.clone(), carol.clone(), carol.clone()]
    );

    // PATCH remove with a filter path: 204, every matching entry goes.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": format!("members[value eq \"{carol}\"]") }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_eq!(p.member_values(&eng).await, [alice.clone(), bob.clone()]);
    // A filter that matches nothing is not an error.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members[value eq \"nope\"]" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);

    // The value-list remove form (Azure AD style) is refused: 400 invalidValue.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members", "value": [{ "value": bob }] }]),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue"));
    assert_eq!(p.member_values(&eng).await, [alice.clone(), bob.clone()]);

    // Several operations in one PATCH; an `or` filter removes several members.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([
                { "op": "add", "path": "members", "value": [{ "value": carol }, { "value": dave }] },
                { "op": "remove", "path": format!("members[value eq \"{alice}\" or value eq \"{bob}\"]") },
                { "op": "replace", "path": "displayName", "value": "engineering" }
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let r = p.get(&format!("/Groups/{eng}")).await;
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

    // Deleting a user leaves it in the groups it was in (dangling member).
    let before = p.get(&format!("/Groups/{eng}")).await;
    let r = p.delete(&format!("/Users/{dave}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let after = p.get(&format!("/Groups/{eng}")).await;
    assert_eq!(member_values(&after.body), [carol.clone(), dave.clone()]);
    assert_eq!(after.header(ETAG), before.header(ETAG));
    // The user's `groups` attribute is not maintained.
    let r = p.get(&format!("/Users/{carol}")).await;
    assert!(r.body.get("groups").is_none(), "{}", r.raw);

    // replace members sets the list; remove `members` without a filter empties it,
    // and an empty group has no `members` attribute at all.
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "replace", "path": "members", "value": [{ "value": bob }] }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_eq!(p.member_values(&eng).await, [bob.as_str()]);
    let r = p
        .patch(
            &format!("/Groups/{eng}"),
            json!([{ "op": "remove", "path": "members" }]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let r = p.get(&format!("/Groups/{eng}")).await;
    assert!(r.body.get("members").is_none(), "{}", r.raw);

    // DELETE group: 204, then 404.
    let r = p.delete(&format!("/Groups/{eng}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    assert_error(&p.get(&format!("/Groups/{eng}")).await, 404, None);
}
