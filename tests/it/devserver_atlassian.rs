//! The dev-server's Atlassian organisation (`--emulate atlassian` with
//! `--atlassian-accounts` and `--atlassian-admin-token`), over real HTTP: the base path
//! `/scim/directory/{id}` (and `/scim/v2`), synced accounts seeded as users with the
//! `atlassian-external` extension, linking on POST /Users (to a JIT account, to a new
//! managed account in a verified domain, 409 for an email linked in another directory or
//! by a stale record), unlink and deactivate on DELETE, the organisation API (domains,
//! the account search and its cursor, SCIM links by email and by account), each key
//! working on its own API only, the checks on the options and the seed, persistence, and
//! the binary's flags. (A module of `devserver_faults`, so that the test binary's list of
//! modules stays as it is.)

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use scimform_devserver::{DevServer, DevServerOptions, Emulation, EmulationProfile};
use serde_json::{Value, json};

const TOKEN: &str = "scim-directory-key-1";
const ADMIN: &str = "org-admin-key-2";
const EXT: &str = "urn:scim:schemas:extension:atlassian-external:1.0";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

const ALICE: &str = "5b10ac8d82e05b22cc7d4ef5";
const BOB: &str = "5b10ac8d82e05b22cc7d4ef6";
const CAROL: &str = "5b10ac8d82e05b22cc7d4ef7";
const DAN: &str = "5b10ac8d82e05b22cc7d4ef8";
const ERIN: &str = "6000aaaabbbbccccddddeeee";

/// Alice: a JIT account (managed, no link). Bob: synced. Carol: linked in another
/// directory. Dan: synced, inactive. Erin: unmanaged. A stale record for stale@acme.test.
fn seed() -> Value {
    json!({
        "org_id": "acme-org",
        "directory_id": "acme-dir",
        "verified_domains": ["acme.test"],
        "accounts": [
            {"account_id": ALICE, "email": "alice@acme.test", "name": "Alice Ng",
             "account_status": "active", "claim_status": "managed", "synced": false},
            {"account_id": BOB, "email": "bob@acme.test", "name": "Bob Li", "synced": true},
            {"account_id": CAROL, "email": "carol@acme.test", "name": "Carol"},
            {"account_id": DAN, "email": "dan@acme.test", "name": "Dan",
             "account_status": "inactive", "synced": true},
            {"account_id": ERIN, "email": "erin@partner.test", "name": "Erin",
             "claim_status": "unmanaged"}
        ],
        "links": [
            {"account_id": CAROL, "directory_id": "other-directory", "scim_user_id": "ext-1"},
            {"account_id": null, "email": "stale@acme.test", "directory_id": "acme-dir",
             "scim_user_id": "stale-1"}
        ]
    })
}

struct Resp {
    status: StatusCode,
    body: Value,
}

/// A server emulating Atlassian, its seed file kept in `dir`.
struct Org {
    server: DevServer,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn write_seed(dir: &Path, seed: &Value) -> PathBuf {
    let path = dir.join("accounts.json");
    std::fs::write(&path, seed.to_string()).expect("writes the seed");
    path
}

fn atlassian_options(accounts: Option<PathBuf>, data: Option<PathBuf>) -> DevServerOptions {
    let mut options = DevServerOptions::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), TOKEN);
    options.behaviour.emulation = Emulation::for_profile(EmulationProfile::Atlassian);
    options.behaviour.seed = Some(11);
    options.atlassian.accounts = accounts;
    options.atlassian.admin_token = Some(ADMIN.to_owned());
    options.data = data;
    options
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("http client")
}

async fn start_with(seed: &Value) -> Org {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_seed(dir.path(), seed);
    let server = DevServer::start(atlassian_options(Some(path), None))
        .await
        .expect("dev-server starts");
    Org {
        server,
        http: http(),
        _dir: dir,
    }
}

async fn start() -> Org {
    start_with(&seed()).await
}

async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Resp {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("answered");
    let status = response.status();
    let bytes = response.bytes().await.expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    Resp { status, body }
}

impl Org {
    fn origin(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// A SCIM request below the base URL, with the SCIM token.
    async fn scim(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let url = format!("{}{path}", self.server.base_url());
        send(&self.http, method, &url, Some(TOKEN), body.as_ref()).await
    }

    /// An organisation API request, with the admin key.
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let url = format!("{}{path}", self.origin());
        send(&self.http, method, &url, Some(ADMIN), body.as_ref()).await
    }

    async fn search(&self, body: Value) -> Resp {
        self.admin(
            Method::POST,
            "/admin/v2/orgs/acme-org/directories/-/users/search",
            Some(body),
        )
        .await
    }

    /// The one account the search finds for `email`.
    async fn account(&self, email: &str) -> Value {
        let found = self.search(json!({"emails": [email]})).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert_eq!(found.body["data"].as_array().map(Vec::len), Some(1));
        found.body["data"][0].clone()
    }

    async fn links_for_email(&self, email: &str) -> Vec<Value> {
        let r = self
            .admin(
                Method::POST,
                "/admin/user-provisioning/v1/org/acme-org/get-scim-links-for-email",
                Some(json!({"email": email})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["scimLinks"].as_array().cloned().expect("scimLinks")
    }

    async fn links_for_account(&self, account: &str) -> Vec<Value> {
        let path =
            format!("/admin/user-provisioning/v1/org/acme-org/user/{account}/get-scim-links");
        let r = self.admin(Method::GET, &path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["scimLinks"].as_array().cloned().expect("scimLinks")
    }

    async fn user_names(&self) -> Vec<String> {
        let list = self.scim(Method::GET, "/Users", None).await;
        list.body["Resources"]
            .as_array()
            .expect("Resources")
            .iter()
            .map(|r| r["userName"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn user(name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": name,
        "displayName": format!("{name} display"),
        "emails": [{"value": name, "type": "work", "primary": true}],
    })
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

fn linked_account(resource: &Value) -> Option<&str> {
    resource[EXT]["atlassianAccountId"].as_str()
}

fn has_ext_schema(resource: &Value) -> bool {
    resource["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == EXT))
}

fn link(scim_user_id: &str, account: Option<&str>, directory: &str) -> Value {
    json!({"scimUserId": scim_user_id, "atlassianAccountId": account, "orgId": "acme-org",
           "directoryId": directory})
}

#[tokio::test]
async fn synced_accounts_are_users_with_the_extension_under_the_directory_path() {
    let org = start().await;
    let base = org.server.base_url();
    assert_eq!(base, format!("{}/scim/directory/acme-dir", org.origin()));

    let list = org.scim(Method::GET, "/Users", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["totalResults"], 2);
    let listed = list.body["Resources"]
        .as_array()
        .expect("Resources")
        .clone();
    let bob = &listed[0];
    assert_eq!(bob["userName"], "bob@acme.test");
    assert_eq!(
        bob["emails"],
        json!([{"value": "bob@acme.test", "primary": true, "type": "work"}])
    );
    assert_eq!(bob["displayName"], "Bob Li");
    assert_eq!(bob["active"], true);
    assert_eq!(linked_account(bob), Some(BOB));
    assert!(has_ext_schema(bob), "{bob}");
    let dan = &listed[1];
    assert_eq!(
        (linked_account(dan), &dan["active"]),
        (Some(DAN), &json!(false))
    );
    // Lists, single GETs and the /scim/v2 path say the same; locations use the base URL.
    for resource in &listed {
        let id = id_of(resource);
        let one = org.scim(Method::GET, &format!("/Users/{id}"), None).await;
        assert_eq!(&one.body, resource);
        assert_eq!(resource["meta"]["location"], format!("{base}/Users/{id}"));
        let v2 = format!("{}/scim/v2/Users/{id}", org.origin());
        let again = send(&org.http, Method::GET, &v2, Some(TOKEN), None).await;
        assert_eq!(&again.body, resource);
    }
    let filtered = org
        .scim(
            Method::GET,
            "/Users?filter=userName%20eq%20%22bob@acme.test%22",
            None,
        )
        .await;
    assert_eq!(&filtered.body["Resources"][0], bob);
    let discovery = org.scim(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(discovery.status, StatusCode::OK);

    // The organisation sees both as synced, with a link in this directory.
    assert_eq!(
        org.account("bob@acme.test").await["managementSource"],
        "synced"
    );
    assert_eq!(
        org.links_for_account(BOB).await,
        vec![link(&id_of(bob), Some(BOB), "acme-dir")]
    );
    org.server.shutdown().await;
}

#[tokio::test]
async fn creating_a_jit_account_s_user_links_it() {
    let org = start().await;
    assert_eq!(
        org.account("alice@acme.test").await["managementSource"],
        Value::Null
    );
    assert!(org.links_for_email("alice@acme.test").await.is_empty());

    // Matched on the primary email, whatever the userName, in any case.
    let mut body = user("alice.ng");
    body["emails"] = json!([{"value": "other@elsewhere.test"},
                            {"value": "Alice@ACME.test", "primary": true}]);
    let created = org.scim(Method::POST, "/Users", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(linked_account(&created.body), Some(ALICE));
    assert!(has_ext_schema(&created.body));
    let id = id_of(&created.body);
    let got = org.scim(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(got.body, created.body);
    let list = org.scim(Method::GET, "/Users", None).await;
    let listed = list.body["Resources"]
        .as_array()
        .and_then(|r| r.iter().find(|u| u["id"] == id.as_str()))
        .cloned();
    assert_eq!(listed, Some(created.body.clone()));

    let account = org.account("alice@acme.test").await;
    assert_eq!(
        account,
        json!({"accountId": ALICE, "accountType": "atlassian", "accountStatus": "active",
               "claimStatus": "managed", "email": "alice@acme.test", "name": "Alice Ng",
               "managementSource": "synced"})
    );
    let expected = vec![link(&id, Some(ALICE), "acme-dir")];
    assert_eq!(org.links_for_email("ALICE@acme.test").await, expected);
    assert_eq!(org.links_for_account(ALICE).await, expected);

    // The extension is read-only: a PUT of what GET gave keeps it, a PUT trying to
    // change it changes nothing of it.
    let mut replaced = got.body.clone();
    replaced[EXT] = json!({"atlassianAccountId": "somebody-else"});
    let put = org
        .scim(Method::PUT, &format!("/Users/{id}"), Some(replaced))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(linked_account(&put.body), Some(ALICE));

    // `active` is the account's status.
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let patched = org
        .scim(Method::PATCH, &format!("/Users/{id}"), Some(patch))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(linked_account(&patched.body), Some(ALICE));
    assert_eq!(
        org.account("alice@acme.test").await["accountStatus"],
        "inactive"
    );
    org.server.shutdown().await;
}

#[tokio::test]
async fn an_email_linked_elsewhere_or_by_a_stale_record_is_a_conflict() {
    let org = start().await;
    for (body, email) in [
        (user("carol@acme.test"), "carol@acme.test"),
        (user("stale@acme.test"), "stale@acme.test"),
        // The userName alone, when there are no emails and it is an email address.
        (json!({"userName": "Stale@Acme.test"}), "Stale@Acme.test"),
        // The first email when none is primary.
        (
            json!({"userName": "c", "emails": [{"value": "CAROL@acme.test"}]}),
            "CAROL@acme.test",
        ),
        // A synced user's email, under another userName.
        (
            json!({"userName": "robert", "emails": [{"value": "bob@acme.test"}]}),
            "bob@acme.test",
        ),
    ] {
        let r = org.scim(Method::POST, "/Users", Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{body}: {}", r.body);
        assert_eq!(
            r.body,
            json!({"schemas": [ERROR_SCHEMA], "status": "409", "scimType": "uniqueness",
                   "detail": format!("Resource [USER]: with email[{email}] already exists.")})
        );
    }
    // A userName already in the directory is a conflict as it always was.
    let r = org
        .scim(
            Method::POST,
            "/Users",
            Some(json!({"userName": "BOB@acme.test"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("userName")),
        "{}",
        r.body
    );
    // Nothing was created, nothing was linked.
    assert_eq!(
        org.user_names().await,
        vec!["bob@acme.test", "dan@acme.test"]
    );
    assert_eq!(
        org.links_for_email("carol@acme.test").await,
        vec![link("ext-1", Some(CAROL), "other-directory")]
    );
    assert_eq!(
        org.links_for_email("stale@acme.test").await,
        vec![link("stale-1", None, "acme-dir")]
    );
    assert_eq!(
        org.account("carol@acme.test").await["managementSource"],
        "synced"
    );
    org.server.shutdown().await;
}

#[tokio::test]
async fn a_new_email_gets_a_managed_account_only_in_a_verified_domain() {
    let org = start().await;
    let created = org
        .scim(Method::POST, "/Users", Some(user("New.Person@Acme.test")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let account_id = linked_account(&created.body).expect("linked").to_owned();
    assert_eq!(account_id.len(), 24);
    assert!(account_id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        org.account("new.person@acme.test").await,
        json!({"accountId": account_id, "accountType": "atlassian", "accountStatus": "active",
               "claimStatus": "managed", "email": "New.Person@Acme.test",
               "name": "New.Person@Acme.test display", "managementSource": "synced"})
    );
    assert_eq!(
        org.links_for_account(&account_id).await,
        vec![link(&id_of(&created.body), Some(&account_id), "acme-dir")]
    );

    // Outside the verified domains, and for an unmanaged account: no account, no link,
    // no extension.
    for name in [
        "someone@elsewhere.test",
        "erin@partner.test",
        "not-an-email",
    ] {
        let r = org.scim(Method::POST, "/Users", Some(user(name))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
        assert!(
            r.body.get(EXT).is_none() && !has_ext_schema(&r.body),
            "{}",
            r.body
        );
        assert!(org.links_for_email(name).await.is_empty());
    }
    let nobody = org
        .search(json!({"emails": ["someone@elsewhere.test"]}))
        .await;
    assert_eq!(nobody.body["data"], json!([]));
    assert_eq!(
        org.account("erin@partner.test").await["managementSource"],
        Value::Null
    );
    org.server.shutdown().await;
}

#[tokio::test]
async fn delete_unlinks_and_deactivates_and_a_new_create_links_again() {
    let org = start().await;
    let created = org
        .scim(Method::POST, "/Users", Some(user("alice@acme.test")))
        .await;
    let id = id_of(&created.body);
    let deleted = org
        .scim(Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        org.scim(Method::GET, &format!("/Users/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(org.links_for_email("alice@acme.test").await.is_empty());
    assert!(org.links_for_account(ALICE).await.is_empty());
    let account = org.account("alice@acme.test").await;
    assert_eq!(
        (&account["accountStatus"], &account["managementSource"]),
        (&json!("inactive"), &Value::Null)
    );
    // A synced user too.
    let bob = org
        .scim(
            Method::GET,
            "/Users?filter=userName%20eq%20%22bob@acme.test%22",
            None,
        )
        .await;
    let bob_id = id_of(&bob.body["Resources"][0]);
    org.scim(Method::DELETE, &format!("/Users/{bob_id}"), None)
        .await;
    assert_eq!(
        org.account("bob@acme.test").await["accountStatus"],
        "inactive"
    );

    // Creating the SCIM record again is the way back: a new id, the same account, active.
    let again = org
        .scim(Method::POST, "/Users", Some(user("alice@acme.test")))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_ne!(id_of(&again.body), id);
    assert_eq!(linked_account(&again.body), Some(ALICE));
    assert_eq!(
        org.account("alice@acme.test").await["accountStatus"],
        "active"
    );
    org.server.shutdown().await;
}

#[tokio::test]
async fn the_organisation_api_pages_by_cursor_and_lists_domains() {
    let mut seed = seed();
    if let Some(accounts) = seed["accounts"].as_array_mut() {
        for i in 0..6 {
            accounts.push(json!({"account_id": format!("7000{i:020}"),
                                 "email": format!("p{i}@acme.test")}));
        }
    }
    seed["verified_domains"] = json!(["acme.test", "acme-labs.test"]);
    let org = start_with(&seed).await;

    let domains = org
        .admin(Method::GET, "/admin/v1/orgs/acme-org/domains", None)
        .await;
    assert_eq!(domains.status, StatusCode::OK);
    let data = domains.body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["type"], "domains");
    assert!(data[0]["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(
        data[0]["attributes"],
        json!({"name": "acme.test", "claim": {"type": "dns", "status": "verified"}})
    );
    assert_eq!(domains.body["links"], json!({"next": null}));

    // Ten managed accounts in acme.test (Erin is unmanaged, elsewhere), three a page, in
    // accountId order; a cursor carries the search, whatever else comes with it.
    let mut ids = Vec::new();
    let mut page = org
        .search(json!({"claimStatus": "managed", "emailDomains": ["ACME.test"], "limit": 3}))
        .await;
    let mut pages = 0;
    loop {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        pages += 1;
        let data = page.body["data"].as_array().expect("data").clone();
        assert!(data.len() <= 3);
        ids.extend(
            data.iter()
                .map(|a| a["accountId"].as_str().unwrap_or_default().to_owned()),
        );
        let Some(next) = page.body["links"]["next"].as_str().map(str::to_owned) else {
            assert_eq!(page.body["links"], json!({"next": null}));
            break;
        };
        page = org
            .search(json!({"cursor": next, "limit": 100, "claimStatus": "unmanaged"}))
            .await;
    }
    assert_eq!(pages, 4);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 10);
    assert!(!ids.contains(&ERIN.to_owned()));

    // Defaults (50 a page, both claim statuses), the status filter, a limit above the cap.
    let all = org.search(json!({})).await;
    assert_eq!(all.body["data"].as_array().map(Vec::len), Some(11));
    let inactive = org.search(json!({"accountStatus": ["inactive"]})).await;
    assert_eq!(inactive.body["data"][0]["accountId"], DAN);
    let capped = org.search(json!({"limit": 1000})).await;
    assert_eq!(capped.status, StatusCode::OK);
    let unmanaged = org.search(json!({"claimStatus": "unmanaged"})).await;
    assert_eq!(unmanaged.body["data"][0]["accountId"], ERIN);

    // Refusals, in Atlassian's error shape.
    for (body, key) in [
        (json!({"limit": 0}), "badRequest"),
        (json!({"cursor": "not-a-cursor"}), "invalidCursor"),
        (json!({"searchTerm": "alice"}), "badRequest"),
        (json!({"claimStatus": "owned"}), "badRequest"),
    ] {
        let r = org.search(body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["key"], key, "{body}: {}", r.body);
        assert!(r.body["errorDetail"].is_string());
    }
    let other_dir = org
        .admin(
            Method::POST,
            "/admin/v2/orgs/acme-org/directories/acme-dir/users/search",
            Some(json!({})),
        )
        .await;
    assert_eq!(other_dir.status, StatusCode::NOT_FOUND);
    for (method, path, body) in [
        (Method::GET, "/admin/v1/orgs/other-org/domains", None),
        (
            Method::POST,
            "/admin/v2/orgs/other-org/directories/-/users/search",
            Some(json!({})),
        ),
        (
            Method::POST,
            "/admin/user-provisioning/v1/org/other-org/get-scim-links-for-email",
            Some(json!({"email": "alice@acme.test"})),
        ),
        (
            Method::GET,
            "/admin/user-provisioning/v1/org/other-org/user/x/get-scim-links",
            None,
        ),
    ] {
        let r = org.admin(method, path, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.body["key"], "orgNotFound", "{path}");
        assert!(r.body["errorDetail"].is_string());
    }
    let unknown = org.admin(Method::GET, "/admin/v1/nothing", None).await;
    assert_eq!(
        (unknown.status, &unknown.body["key"]),
        (StatusCode::NOT_FOUND, &json!("notFound"))
    );
    let no_email = org
        .admin(
            Method::POST,
            "/admin/user-provisioning/v1/org/acme-org/get-scim-links-for-email",
            Some(json!({})),
        )
        .await;
    assert_eq!(no_email.status, StatusCode::BAD_REQUEST);
    // An account without links, or unknown: no links.
    assert!(org.links_for_account(ALICE).await.is_empty());
    assert!(org.links_for_account("unknown").await.is_empty());
    org.server.shutdown().await;
}

#[tokio::test]
async fn each_key_works_on_its_own_api_only() {
    let org = start().await;
    let admin_url = format!("{}/admin/v1/orgs/acme-org/domains", org.origin());
    let users_url = format!("{}/Users", org.server.base_url());
    for token in [Some(TOKEN), Some("wrong"), None] {
        let r = send(&org.http, Method::GET, &admin_url, token, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(r.body["key"], "unauthorized", "{}", r.body);
        assert!(
            r.body["errorDetail"]
                .as_str()
                .is_some_and(|d| !d.contains(TOKEN)),
            "{}",
            r.body
        );
    }
    for token in [Some(ADMIN), None] {
        let r = send(&org.http, Method::GET, &users_url, token, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(r.body["schemas"][0], ERROR_SCHEMA);
    }
    assert_eq!(
        send(&org.http, Method::GET, &admin_url, Some(ADMIN), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&org.http, Method::GET, &users_url, Some(TOKEN), None)
            .await
            .status,
        StatusCode::OK
    );
    org.server.shutdown().await;

    // Without an admin key and without a seed: an empty organisation `dev-org`, whose
    // API answers 401 to everyone.
    let mut options = atlassian_options(None, None);
    options.atlassian.admin_token = None;
    let server = DevServer::start(options).await.expect("starts");
    assert!(server.base_url().ends_with("/scim/directory/dev-directory"));
    let url = format!("http://{}/admin/v1/orgs/dev-org/domains", server.addr());
    let r = send(&http(), Method::GET, &url, Some(TOKEN), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.body["errorDetail"]
            .as_str()
            .is_some_and(|d| d.contains("--atlassian-admin-token"))
    );
    server.shutdown().await;

    let server = DevServer::start(atlassian_options(None, None))
        .await
        .expect("starts");
    let url = format!("http://{}/admin/v1/orgs/dev-org/domains", server.addr());
    let r = send(&http(), Method::GET, &url, Some(ADMIN), None).await;
    assert_eq!(r.body, json!({"data": [], "links": {"next": null}}));
    server.shutdown().await;

    // Other emulations serve no organisation API.
    let generic = DevServer::start(DevServerOptions::new(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        TOKEN,
    ))
    .await
    .expect("starts");
    let url = format!("http://{}/admin/v1/orgs/dev-org/domains", generic.addr());
    let r = send(&http(), Method::GET, &url, Some(TOKEN), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["schemas"][0], ERROR_SCHEMA);
    generic.shutdown().await;
}

async fn start_error(options: DevServerOptions) -> String {
    match DevServer::start(options).await {
        Ok(_) => panic!("the options must be refused"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn bad_options_and_seeds_are_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut same_key = atlassian_options(None, None);
    same_key.atlassian.admin_token = Some(TOKEN.to_owned());
    assert!(
        start_error(same_key)
            .await
            .contains("must differ from the SCIM token")
    );

    let mut okta = atlassian_options(None, None);
    okta.behaviour.emulation = Emulation::for_profile(EmulationProfile::Okta);
    assert!(
        start_error(okta)
            .await
            .contains("need --emulate atlassian (this server emulates okta)")
    );

    let missing = dir.path().join("missing.json");
    let err = start_error(atlassian_options(Some(missing), None)).await;
    assert!(
        err.contains("cannot read the Atlassian accounts file") && err.contains("missing.json"),
        "{err}"
    );

    for (seed, expected) in [
        (
            json!({"accounts": [{"account_id": "a", "email": "nope"}]}),
            "accounts[0]: email \"nope\" is not an email address",
        ),
        (
            json!({"links": [{"directory_id": "d", "scim_user_id": "s"}]}),
            "links[0]",
        ),
        (json!({"orgid": "x"}), "unknown field `orgid`"),
    ] {
        let path = write_seed(dir.path(), &seed);
        let err = start_error(atlassian_options(Some(path), None)).await;
        assert!(
            err.contains("accounts.json") && err.contains("is not valid") && err.contains(expected),
            "{err}"
        );
    }
    // A synced account whose email is already a user of the data file's directory.
    let data = dir.path().join("data.json");
    let plain = DevServer::start(atlassian_options(None, Some(data.clone())))
        .await
        .expect("starts");
    let r = send(
        &http(),
        Method::POST,
        &format!("{}/Users", plain.base_url()),
        Some(TOKEN),
        Some(&json!({"userName": "bob@acme.test"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    plain.shutdown().await;
    let path = write_seed(dir.path(), &seed());
    let err = start_error(atlassian_options(Some(path), Some(data))).await;
    assert!(err.contains(BOB) && err.contains("already taken"), "{err}");
}

#[tokio::test]
async fn the_organisation_is_kept_in_the_data_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("directory.json");
    let seed_path = write_seed(dir.path(), &seed());
    let start = |accounts: Option<PathBuf>| {
        DevServer::start(atlassian_options(accounts, Some(data.clone())))
    };
    let server = start(Some(seed_path.clone())).await.expect("starts");
    let org = Org {
        server,
        http: http(),
        _dir: tempfile::tempdir().expect("tempdir"),
    };
    let created = org
        .scim(Method::POST, "/Users", Some(user("alice@acme.test")))
        .await;
    let alice = id_of(&created.body);
    let fresh = org
        .scim(Method::POST, "/Users", Some(user("fresh@acme.test")))
        .await;
    let fresh_account = linked_account(&fresh.body).expect("linked").to_owned();
    org.server.shutdown().await;
    let saved: Value = serde_json::from_slice(&std::fs::read(&data).expect("reads")).expect("JSON");
    assert_eq!(saved["format"], "scimform-dev-server/1");
    assert_eq!(saved["atlassian"]["orgId"], "acme-org");

    // Restarted with the same seed, or with none: the data file's organisation stands.
    for accounts in [Some(seed_path.clone()), None] {
        let server = start(accounts).await.expect("restarts");
        let org = Org {
            server,
            http: http(),
            _dir: tempfile::tempdir().expect("tempdir"),
        };
        assert!(org.server.base_url().ends_with("/scim/directory/acme-dir"));
        let got = org
            .scim(Method::GET, &format!("/Users/{alice}"), None)
            .await;
        assert_eq!(linked_account(&got.body), Some(ALICE));
        assert_eq!(
            org.user_names().await.len(),
            4,
            "synced users were not added again"
        );
        assert_eq!(
            org.links_for_email("alice@acme.test").await,
            vec![link(&alice, Some(ALICE), "acme-dir")]
        );
        assert_eq!(
            org.account("fresh@acme.test").await["accountId"],
            fresh_account.as_str()
        );
        assert_eq!(org.links_for_email("stale@acme.test").await.len(), 1);
        org.server.shutdown().await;
    }

    // Another emulation, or a seed naming another directory, is refused.
    let mut generic = atlassian_options(None, Some(data.clone()));
    generic.behaviour.emulation = Emulation::default();
    generic.atlassian = scimform_devserver::AtlassianOptions::default();
    assert!(
        start_error(generic)
            .await
            .contains("holds an Atlassian organisation")
    );
    let mut other = seed();
    other["directory_id"] = json!("another-dir");
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, other.to_string()).expect("writes");
    let err = start_error(atlassian_options(Some(other_path), Some(data))).await;
    assert!(
        err.contains("another-dir") && err.contains("move the data file away"),
        "{err}"
    );
}

#[test]
fn the_binary_takes_the_atlassian_flags() {
    use std::io::BufRead;
    use std::process::Command;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_seed(dir.path(), &seed());
    let path = path.to_string_lossy().into_owned();
    let server = crate::support::dev_server::DevServerProcess::start_with(&[
        "--emulate",
        "atlassian",
        "--atlassian-accounts",
        &path,
        "--atlassian-admin-token",
        ADMIN,
    ]);
    assert!(
        server.base_url.ends_with("/scim/directory/acme-dir"),
        "{}",
        server.base_url
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let origin = server.base_url.replace("/scim/directory/acme-dir", "");
    let (admin, users) = runtime.block_on(async {
        let http = http();
        let admin = send(
            &http,
            Method::GET,
            &format!("{origin}/admin/v1/orgs/acme-org/domains"),
            Some(ADMIN),
            None,
        )
        .await;
        let users = send(
            &http,
            Method::GET,
            &format!("{}/Users", server.base_url),
            Some(&server.token),
            None,
        )
        .await;
        (admin, users)
    });
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.body["data"][0]["attributes"]["name"], "acme.test");
    assert_eq!(users.body["totalResults"], 2);
    drop(server);

    let refused = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["dev-server", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .args(["--emulate", "okta", "--atlassian-accounts", &path])
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("need --emulate atlassian"), "{stderr}");

    // The key from the environment, never shown.
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(["dev-server", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .args(["--emulate", "atlassian", "--atlassian-accounts", &path])
        .env("SCIMFORM_DEV_ATLASSIAN_ADMIN_TOKEN", ADMIN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("reads the URL");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut described = String::new();
    for _ in 0..2 {
        stderr.read_line(&mut described).expect("reads stderr");
    }
    let origin = url.trim().replace("/scim/directory/acme-dir", "");
    let status = runtime.block_on(async {
        send(
            &http(),
            Method::GET,
            &format!("{origin}/admin/v1/orgs/acme-org/domains"),
            Some(ADMIN),
            None,
        )
        .await
        .status
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, StatusCode::OK);
    assert!(
        described.contains("organisation API under /admin"),
        "{described}"
    );
    assert!(described.contains("admin key: set"), "{described}");
    assert!(!described.contains(ADMIN), "{described}");
}
