//! HTTP for Atlassian's organisation API, as far as `--emulate atlassian` serves it: on
//! the same origin as SCIM, under `/admin`, behind the organisation API key
//! (`--atlassian-admin-token`, never the SCIM token), answering JSON with Atlassian's
//! error bodies (`{"key", "errorDetail"}`):
//!
//! - `GET /admin/v1/orgs/{orgId}/domains` — the verified domains;
//! - `POST /admin/v2/orgs/{orgId}/directories/-/users/search` — accounts by
//!   `claimStatus`, `emailDomains`, `emails`, `accountStatus`, paged by an opaque
//!   `cursor` that carries the search (`limit` 50 by default, at most 100);
//! - `POST /admin/user-provisioning/v1/org/{orgId}/get-scim-links-for-email` and
//!   `GET /admin/user-provisioning/v1/org/{orgId}/user/{accountId}/get-scim-links` — the
//!   SCIM links of an email or an account, in every directory.
//!
//! Owns these routes, their request and response shapes, the key check and the cursor
//! format. It must not change the organisation (only SCIM requests do) and must never
//! echo the presented key.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::org::{AccountFilter, AccountStatus, ClaimStatus, Link, Org};
use super::routes::{App, bearer_token, constant_time_eq};
use super::store::Store;

/// Page size of the account search when the request names none.
const DEFAULT_LIMIT: usize = 50;

/// The largest page of the account search; a larger `limit` is reduced to it.
const MAX_LIMIT: usize = 100;

/// How the organisation API is reached on a server emulating Atlassian.
#[derive(Debug, Clone)]
pub(crate) struct OrgAccess {
    /// The organisation API key; without one, every `/admin` request is 401.
    pub admin_token: Option<String>,
    /// Where the SCIM directory is served besides `/scim/v2`:
    /// `/scim/directory/{directory_id}`.
    pub scim_base_path: String,
}

/// Whether `path` belongs to the organisation API.
pub(crate) fn is_org_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// An error of the organisation API: `{"key": ..., "errorDetail": ...}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    key: &'static str,
    detail: String,
}

impl ApiError {
    fn new(status: StatusCode, key: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            key,
            detail: detail.into(),
        }
    }

    fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "badRequest", detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "notFound", detail)
    }

    pub(crate) fn method_not_allowed(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "methodNotAllowed", detail)
    }

    fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"key": self.key, "errorDetail": self.detail});
        let mut response = json_response(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"atlassian-organisation\""),
            );
        }
        response
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// Requires `Authorization: Bearer <organisation API key>`.
pub(crate) async fn authenticate(access: &OrgAccess, request: Request, next: Next) -> Response {
    let Some(key) = &access.admin_token else {
        return ApiError::unauthorized(
            "this dev-server issued no organisation API key: start it with --atlassian-admin-token",
        )
        .into_response();
    };
    match bearer_token(request.headers()) {
        Ok(presented) if constant_time_eq(presented.as_bytes(), key.as_bytes()) => {
            next.run(request).await
        }
        Ok(_) => ApiError::unauthorized(
            "the organisation API key is not valid (the SCIM directory's key is a different one)",
        )
        .into_response(),
        Err(detail) => ApiError::unauthorized(detail).into_response(),
    }
}

/// The organisation API's routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/admin/v1/orgs/{org_id}/domains", get(domains))
        .route(
            "/admin/v2/orgs/{org_id}/directories/{directory_id}/users/search",
            post(search),
        )
        .route(
            "/admin/user-provisioning/v1/org/{org_id}/get-scim-links-for-email",
            post(links_for_email),
        )
        .route(
            "/admin/user-provisioning/v1/org/{org_id}/user/{account_id}/get-scim-links",
            get(links_for_account),
        )
}

type OneParam = Result<Path<String>, PathRejection>;
type TwoParams = Result<Path<(String, String)>, PathRejection>;
type BodyResult = Result<Bytes, BytesRejection>;

fn path_error(e: &PathRejection) -> ApiError {
    ApiError::bad_request(format!("invalid path: {e}"))
}

/// The organisation `org_id`, or 404 `orgNotFound`.
fn org<'a>(store: &'a Store, org_id: &str) -> Result<&'a Org, ApiError> {
    store
        .org
        .as_ref()
        .filter(|org| org.id == org_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "orgNotFound",
                format!("organization {org_id:?} not found"),
            )
        })
}

/// A request body holding a JSON value of type `T`.
fn json_body<T: serde::de::DeserializeOwned>(body: BodyResult) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| ApiError::bad_request(format!("cannot read the body: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))
}

/// A stable id for a domain (the fault draws' FNV-1a of its name: the same in every
/// process and version).
fn domain_id(name: &str) -> String {
    format!("{:016x}", crate::faults::fnv1a(&[name.as_bytes()]))
}

async fn domains(State(app): State<App>, org_id: OneParam) -> Result<Response, ApiError> {
    let Path(org_id) = org_id.map_err(|e| path_error(&e))?;
    let store = app.store().read().await;
    let org = org(&store, &org_id)?;
    let data: Vec<Value> = org
        .domains
        .iter()
        .map(|name| {
            json!({
                "id": domain_id(name),
                "type": "domains",
                "attributes": {"name": name, "claim": {"type": "dns", "status": "verified"}},
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"data": data, "links": {"next": null}}),
    ))
}

/// The body of `POST .../users/search`: the fields this server supports (others are
/// refused, rather than silently not applied).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SearchRequest {
    #[serde(default)]
    claim_status: Option<ClaimStatus>,
    #[serde(default)]
    email_domains: Option<Vec<String>>,
    #[serde(default)]
    emails: Option<Vec<String>>,
    #[serde(default)]
    account_status: Option<Vec<AccountStatus>>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What a cursor carries: the whole search, and where the next page starts.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    filter: AccountFilter,
    after: String,
    limit: usize,
}

impl Cursor {
    /// Opaque to clients: the hex digits of the JSON.
    fn encode(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }

    fn decode(text: &str) -> Option<Cursor> {
        if !text.len().is_multiple_of(2) || !text.is_ascii() {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect();
        let cursor: Cursor = serde_json::from_slice(&bytes?).ok()?;
        (1..=MAX_LIMIT).contains(&cursor.limit).then_some(cursor)
    }
}

async fn search(
    State(app): State<App>,
    params: TwoParams,
    body: BodyResult,
) -> Result<Response, ApiError> {
    let Path((org_id, directory_id)) = params.map_err(|e| path_error(&e))?;
    let request: SearchRequest = json_body(body)?;
    let store = app.store().read().await;
    let org = org(&store, &org_id)?;
    if directory_id != "-" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "directoryNotFound",
            format!(
                "directory {directory_id:?} not found: this dev-server searches `-` (every directory) only"
            ),
        ));
    }
    let (filter, after, limit) = match request.cursor.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            let cursor = Cursor::decode(text).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalidCursor",
                    "the cursor was not issued by this server",
                )
            })?;
            (cursor.filter, Some(cursor.after), cursor.limit)
        }
        _ => {
            let limit = match request.limit {
                None => DEFAULT_LIMIT,
                Some(n) if n < 1 => {
                    return Err(ApiError::bad_request(format!(
                        "limit must be at least 1, not {n}"
                    )));
                }
                Some(n) => usize::try_from(n).map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT)),
            };
            let filter = AccountFilter {
                claim_status: request.claim_status,
                email_domains: request.email_domains,
                emails: request.emails,
                account_status: request.account_status,
            };
            (filter, None, limit)
        }
    };
    let (page, next) = org.search(&filter, after.as_deref(), limit);
    let linked = org.linked_accounts();
    let data: Vec<Value> = page
        .iter()
        .map(|a| {
            let source = linked.contains(a.id.as_str()).then_some("synced");
            json!({
                "accountId": a.id,
                "accountType": "atlassian",
                "accountStatus": a.status,
                "claimStatus": a.claim_status,
                "email": a.email,
                "name": a.name,
                "managementSource": source,
            })
        })
        .collect();
    let next = next.map(|after| {
        Cursor {
            filter,
            after,
            limit,
        }
        .encode()
    });
    Ok(json_response(
        StatusCode::OK,
        &json!({"data": data, "links": {"next": next}}),
    ))
}

/// `{"scimLinks": [...]}`.
fn scim_links(org: &Org, links: &[&Link]) -> Response {
    let list: Vec<Value> = links
        .iter()
        .map(|l| {
            json!({
                "scimUserId": l.scim_user_id,
                "atlassianAccountId": l.account_id,
                "orgId": org.id,
                "directoryId": l.directory_id,
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({"scimLinks": list}))
}

#[derive(Deserialize)]
struct EmailRequest {
    email: String,
}

async fn links_for_email(
    State(app): State<App>,
    org_id: OneParam,
    body: BodyResult,
) -> Result<Response, ApiError> {
    let Path(org_id) = org_id.map_err(|e| path_error(&e))?;
    let request: EmailRequest = json_body(body)?;
    let store = app.store().read().await;
    let org = org(&store, &org_id)?;
    Ok(scim_links(org, &org.links_for_email(&request.email)))
}

async fn links_for_account(
    State(app): State<App>,
    params: TwoParams,
) -> Result<Response, ApiError> {
    let Path((org_id, account_id)) = params.map_err(|e| path_error(&e))?;
    let store = app.store().read().await;
    let org = org(&store, &org_id)?;
    Ok(scim_links(org, &org.links_for_account(&account_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let cursor = Cursor {
            filter: AccountFilter {
                emails: Some(vec!["a@b".into()]),
                ..AccountFilter::default()
            },
            after: "a1".into(),
            limit: 2,
        };
        let text = cursor.encode();
        assert!(text.chars().all(|c| c.is_ascii_hexdigit()));
        let back = Cursor::decode(&text).expect("decodes");
        assert_eq!(
            (back.filter, back.after, back.limit),
            (cursor.filter, cursor.after, 2)
        );
        for bad in ["", "abc", "zz", "7b7d", "日本"] {
            assert!(Cursor::decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn org_paths() {
        assert!(is_org_path("/admin/v1/orgs"));
        assert!(is_org_path("/admin"));
        assert!(!is_org_path("/administrator"));
        assert!(!is_org_path("/scim/v2/Users"));
    }
}
