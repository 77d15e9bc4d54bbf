//! Raw-HTTP probing of a third-party SCIM server, for the tests that pin down how it
//! behaves (`interop_*_probe.rs`): requests with the bearer token and exactly the body
//! and content type given, each answer kept whole (status, headers, text, JSON), and the
//! small readers and assertions those tests share.
//!
//! Nothing here goes through scimform's client: what is pinned is the server itself.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use scimform::scim::encode_query;
use serde_json::{Value, json};

use super::third_party::ThirdPartyServer;

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub(crate) const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const SCIM_JSON: &str = "application/scim+json";

/// What one request got back.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub raw: String,
    pub body: Value,
}

impl Reply {
    pub(crate) fn header(&self, name: reqwest::header::HeaderName) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("header is ASCII").to_owned())
    }
}

/// A running server and an HTTP client to probe it with.
pub(crate) struct Probe {
    pub server: ThirdPartyServer,
    pub http: reqwest::Client,
}

impl Probe {
    /// A probe of the server `start` starts, or `None` (with the loud skip line for
    /// `test`) when `SCIMFORM_SKIP_INTEROP` is set.
    pub(crate) fn start(test: &str, start: fn() -> Option<ThirdPartyServer>) -> Option<Probe> {
        let Some(server) = start() else {
            super::print_interop_skip(test);
            return None;
        };
        Some(Probe {
            server,
            http: super::http_client(),
        })
    }

    /// A request with the bearer token; `body` is sent with `content_type`.
    pub(crate) async fn send_as(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let url = self.server.url(path);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("Authorization", self.server.auth_header());
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let raw = resp
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: reading body: {e}"));
        let body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&raw)
                .unwrap_or_else(|e| panic!("{method} {url}: body is not JSON ({e}): {raw}"))
        };
        Reply {
            status,
            headers,
            raw,
            body,
        }
    }

    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let ct = body.map(|_| SCIM_JSON);
        self.send_as(method, path, ct, body.map(Value::to_string))
            .await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }
    pub(crate) async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(&body)).await
    }
    pub(crate) async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(&body)).await
    }
    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }
    pub(crate) async fn patch(&self, path: &str, operations: Value) -> Reply {
        let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
        self.send(Method::PATCH, path, Some(&body)).await
    }

    /// GET `endpoint?filter=FILTER` (and `extra`, already encoded, e.g. `&count=5`).
    pub(crate) async fn filter(&self, endpoint: &str, filter: &str, extra: &str) -> Reply {
        self.get(&format!(
            "{endpoint}?filter={}{extra}",
            encode_query(filter)
        ))
        .await
    }

    /// POST a user that must be created; returns its id.
    pub(crate) async fn create_user(&self, user_name: &str) -> String {
        let r = self
            .post(
                "/Users",
                json!({ "schemas": [USER], "userName": user_name }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "POST /Users {user_name}: {}",
            r.raw
        );
        id_of(&r.body)
    }

    /// POST a group that must be created; returns its id.
    pub(crate) async fn create_group(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
        let r = self
            .post(
                "/Groups",
                json!({ "schemas": [GROUP], "displayName": name, "members": members }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "POST /Groups {name}: {}",
            r.raw
        );
        id_of(&r.body)
    }

    /// The values of a group's `members`, read with GET /Groups/{id}.
    pub(crate) async fn member_values(&self, group_id: &str) -> Vec<String> {
        let r = self.get(&format!("/Groups/{group_id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        member_values(&r.body)
    }
}

pub(crate) fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {resource}"))
        .to_owned()
}

pub(crate) fn member_values(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| m["value"].as_str().expect("member value").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn resources(list: &Value) -> &Vec<Value> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources array in {list}"))
}

pub(crate) fn ids(list: &Value) -> Vec<String> {
    resources(list).iter().map(id_of).collect()
}

/// A SCIM error answer: `status`, the RFC 7644 §3.12 body (`status` as a string,
/// `scimType` exactly as given or absent, a `detail`), and `content_type`.
pub(crate) fn assert_scim_error(
    r: &Reply,
    status: u16,
    scim_type: Option<&str>,
    content_type: &str,
) {
    assert_eq!(r.status.as_u16(), status, "{}", r.raw);
    assert_eq!(r.body["schemas"], json!([ERROR]), "{}", r.raw);
    assert_eq!(r.body["status"], json!(status.to_string()), "{}", r.raw);
    match scim_type {
        Some(t) => assert_eq!(r.body["scimType"], json!(t), "{}", r.raw),
        None => assert!(r.body.get("scimType").is_none(), "{}", r.raw),
    }
    assert!(r.body["detail"].is_string(), "{}", r.raw);
    assert_eq!(r.header(CONTENT_TYPE).as_deref(), Some(content_type));
}
