//! HTTP for the dev-server: the router under `/scim/v2` (and, emulating Atlassian, also
//! under `/scim/directory/{directory_id}`, with the organisation API of `org_api` beside
//! it), bearer-token authentication (each API its own key), and handlers that turn
//! requests into store calls and results into SCIM responses.
//!
//! Owns request bodies (JSON of either media type), status codes and headers (`ETag` on
//! single-resource answers, `If-Match` checked under the write lock), the emulated
//! provider's and the quirks' say over single-resource requests (members in reads,
//! member-PATCH rules, DELETE semantics, required attributes, refused writes), and the
//! rule that a mutation counts only once it is persisted. Lists and searches are
//! `listing`'s. It must not hold resource logic (that is `store`, `schema`, `patch`,
//! `filter`) and must never echo the presented token.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use super::behaviour::{self, Behaviour};
use super::discovery;
use super::emulation::{Emulation, UserDelete};
use super::error::{ScimError, scim_json};
use super::etag::{self, Condition};
use super::faults::{Dice, Draw};
use super::filter::get_ci;
use super::latency::Delay;
use super::listing;
use super::org_api::{self, ApiError, OrgAccess};
use super::params::{Params, QueryResult};
use super::patch;
use super::persist;
use super::query::Position;
use super::quirks::Quirks;
use super::schema::Kind;
use super::store::{Change, Store};

/// Where the SCIM endpoints live, below the server root.
pub(crate) const BASE_PATH: &str = "/scim/v2";

/// Where Atlassian serves a SCIM directory (emulating Atlassian, the SCIM endpoints are
/// served there too, and that is the base URL the server reports).
pub(crate) const DIRECTORY_PATH_PREFIX: &str = "/scim/directory/";

/// The SCIM endpoints' path below the server root: `/scim/directory/{directory_id}` for a
/// directory of an Atlassian organisation, `/scim/v2` otherwise.
pub(crate) fn scim_base_path(directory_id: Option<&str>) -> String {
    directory_id.map_or_else(
        || BASE_PATH.to_owned(),
        |id| format!("{DIRECTORY_PATH_PREFIX}{id}"),
    )
}

/// Shared state of a running server.
#[derive(Clone)]
pub(crate) struct App(Arc<Shared>);

struct Shared {
    store: RwLock<Store>,
    token: String,
    data: Option<PathBuf>,
    behaviour: Behaviour,
    /// `--latency-ms`, added before every response.
    latency: Delay,
    dice: Dice,
    base_url: String,
    /// Page drift: a first page of users was read since the last drift user went in.
    drift_armed: AtomicBool,
    /// Emulating Atlassian: the directory's own base path and the organisation API.
    org: Option<OrgAccess>,
}

impl App {
    /// `behaviour.seed` must be resolved (the dice need it). `org` is for a server
    /// emulating Atlassian.
    pub(crate) fn new(
        store: Store,
        token: String,
        data: Option<PathBuf>,
        behaviour: Behaviour,
        base_url: String,
        org: Option<OrgAccess>,
    ) -> App {
        let dice = Dice::new(behaviour.seed.unwrap_or_default());
        let latency = Delay::new(behaviour.faults.latency);
        App(Arc::new(Shared {
            store: RwLock::new(store),
            token,
            data,
            behaviour,
            latency,
            dice,
            base_url,
            drift_armed: AtomicBool::new(false),
            org,
        }))
    }

    pub(crate) fn behaviour(&self) -> &Behaviour {
        &self.0.behaviour
    }

    fn emulation(&self) -> &Emulation {
        &self.0.behaviour.emulation
    }

    fn quirks(&self) -> &Quirks {
        &self.0.behaviour.quirks
    }

    pub(crate) fn latency(&self) -> &Delay {
        &self.0.latency
    }

    pub(crate) fn dice(&self) -> &Dice {
        &self.0.dice
    }

    pub(crate) fn store(&self) -> &RwLock<Store> {
        &self.0.store
    }

    /// `--page-drift`: a first page arms it; the next later page of the same kind of
    /// read inserts a user before everyone else (and disarms it).
    pub(crate) async fn page_drift(&self, position: Position) {
        if !self.0.behaviour.faults.page_drift {
            return;
        }
        let first = matches!(position, Position::Index(1) | Position::Cursor(None));
        if first {
            self.0.drift_armed.store(true, Ordering::SeqCst);
        } else if self.0.drift_armed.swap(false, Ordering::SeqCst) {
            // The drift user stands for another client's write: if it cannot be saved,
            // the read simply sees no drift.
            let _ = self.mutate(|store| Ok(store.insert_drift_user())).await;
        }
    }

    /// Runs `f` under the write lock; with a data file, the change stands only once the
    /// snapshot is written (otherwise the store is rolled back and the request fails).
    /// The rollback copy and the rewrite cost O(directory) per change: the data file is
    /// meant for small directories.
    pub(crate) async fn mutate<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, ScimError>,
    ) -> Result<T, ScimError> {
        let mut store = self.0.store.write().await;
        let Some(path) = &self.0.data else {
            return f(&mut store);
        };
        let backup = store.clone();
        let out = match f(&mut store) {
            Ok(out) => out,
            Err(e) => {
                *store = backup;
                return Err(e);
            }
        };
        if let Err(e) = persist::save(path, &store.snapshot()) {
            *store = backup;
            return Err(ScimError::internal(format!(
                "the change was not saved: cannot write {}: {e}",
                path.display()
            )));
        }
        Ok(out)
    }
}

type BodyResult = Result<Bytes, BytesRejection>;
type IdResult = Result<Path<String>, PathRejection>;
type DrawExt = Option<Extension<Draw>>;

fn draw_of(draw: DrawExt) -> Draw {
    draw.map_or(Draw::NORMAL, |Extension(d)| d)
}

/// The complete router: SCIM endpoints (and, emulating Atlassian, the same under the
/// directory's base path, and the organisation API), SCIM-shaped 404/405 (Atlassian-shaped
/// under `/admin`), authentication on every request, and the behaviour layer outside it.
pub(crate) fn router(app: App) -> Router {
    let mut router = scim_routes(Router::new(), BASE_PATH);
    if let Some(org) = &app.0.org {
        router = scim_routes(router, &org.scim_base_path).merge(org_api::routes());
    }
    router
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            behaviour::layer,
        ))
        .with_state(app)
}

/// The SCIM endpoints below `base`.
fn scim_routes(router: Router<App>, base: &str) -> Router<App> {
    let at = |path: &str| format!("{base}{path}");
    router
        .route(&at("/ServiceProviderConfig"), get(service_provider_config))
        .route(&at("/ResourceTypes"), get(resource_types))
        .route(&at("/ResourceTypes/{name}"), get(resource_type))
        .route(&at("/Schemas"), get(schemas))
        .route(&at("/Schemas/{id}"), get(schema))
        .route(&at("/.search"), post(search_all))
        .route(&at("/Users"), collection(Kind::User))
        .route(&at("/Users/.search"), search(Kind::User))
        .route(&at("/Users/{id}"), item(Kind::User))
        .route(&at("/Groups"), collection(Kind::Group))
        .route(&at("/Groups/.search"), search(Kind::Group))
        .route(&at("/Groups/{id}"), item(Kind::Group))
}

fn collection(kind: Kind) -> MethodRouter<App> {
    get(
        move |State(app): State<App>, query: QueryResult, draw: DrawExt| async move {
            let params = Params::from_query(query)?;
            listing::list(&app, kind, params, draw_of(draw), false).await
        },
    )
    .post(
        move |State(app): State<App>, headers: HeaderMap, body: BodyResult| async move {
            create(&app, kind, &headers, body).await
        },
    )
}

fn search(kind: Kind) -> MethodRouter<App> {
    post(
        move |State(app): State<App>, headers: HeaderMap, draw: DrawExt, body: BodyResult| async move {
            let params = Params::from_search(&json_body(&headers, body)?)?;
            listing::list(&app, kind, params, draw_of(draw), true).await
        },
    )
}

async fn search_all(
    State(app): State<App>,
    headers: HeaderMap,
    draw: DrawExt,
    body: BodyResult,
) -> Result<Response, ScimError> {
    let params = Params::from_search(&json_body(&headers, body)?)?;
    listing::search_all(&app, params, draw_of(draw)).await
}

fn item(kind: Kind) -> MethodRouter<App> {
    get(
        move |State(app): State<App>, id: IdResult, headers: HeaderMap, query: QueryResult| async move {
            get_one(&app, kind, id, &headers, query).await
        },
    )
    .put(
        move |State(app): State<App>, id: IdResult, headers: HeaderMap, body: BodyResult| async move {
            replace(&app, kind, id, &headers, body).await
        },
    )
    .patch(
        move |State(app): State<App>, id: IdResult, headers: HeaderMap, body: BodyResult| async move {
            patch(&app, kind, id, &headers, body).await
        },
    )
    .delete(
        move |State(app): State<App>, id: IdResult, headers: HeaderMap| async move {
            delete(&app, kind, id, &headers).await
        },
    )
}

/// The token of an `Authorization: Bearer <token>` header, or why there is none.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, &'static str> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match header.map(|h| h.split_once(' ')) {
        None => Err("missing Authorization header: send \"Authorization: Bearer <token>\""),
        Some(Some((scheme, token))) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        Some(_) => Err("the Authorization header must use the Bearer scheme"),
    }
}

/// Requires `Authorization: Bearer <token>`, compared in constant time: the SCIM token,
/// or under `/admin` on a server emulating Atlassian, the organisation API key.
async fn authenticate(State(app): State<App>, request: Request, next: Next) -> Response {
    if let Some(org) = &app.0.org
        && org_api::is_org_path(request.uri().path())
    {
        return org_api::authenticate(org, request, next).await;
    }
    let detail = match bearer_token(request.headers()) {
        Ok(token) if constant_time_eq(token.as_bytes(), app.0.token.as_bytes()) => {
            return next.run(request).await;
        }
        Ok(_) => "the bearer token is not valid",
        Err(detail) => detail,
    };
    ScimError::new(StatusCode::UNAUTHORIZED, None, detail).into_response()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Whether `uri` is the organisation API's, on a server that serves it.
fn org_api_uri(app: &App, uri: &Uri) -> bool {
    app.0.org.is_some() && org_api::is_org_path(uri.path())
}

async fn not_found(State(app): State<App>, uri: Uri) -> Response {
    let detail = format!("no endpoint at {}", uri.path());
    if org_api_uri(&app, &uri) {
        return ApiError::not_found(detail).into_response();
    }
    ScimError::not_found(detail).into_response()
}

async fn method_not_allowed(State(app): State<App>, method: Method, uri: Uri) -> Response {
    let detail = format!("{method} is not supported on {}", uri.path());
    if org_api_uri(&app, &uri) {
        return ApiError::method_not_allowed(detail).into_response();
    }
    ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, detail).into_response()
}

async fn service_provider_config(State(app): State<App>) -> Response {
    scim_json(
        StatusCode::OK,
        &discovery::service_provider_config(&app.0.base_url, app.emulation()),
    )
}

async fn resource_types(State(app): State<App>) -> Response {
    scim_json(StatusCode::OK, &discovery::resource_types(&app.0.base_url))
}

async fn resource_type(State(app): State<App>, name: IdResult) -> Result<Response, ScimError> {
    let name = path_id(name)?;
    let kind = [Kind::User, Kind::Group]
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(&name))
        .ok_or_else(|| ScimError::not_found(format!("ResourceType \"{name}\" not found")))?;
    Ok(scim_json(
        StatusCode::OK,
        &discovery::resource_type(&app.0.base_url, kind),
    ))
}

async fn schemas(State(app): State<App>) -> Response {
    scim_json(StatusCode::OK, &discovery::schemas(&app.0.base_url))
}

async fn schema(State(app): State<App>, id: IdResult) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    let doc = discovery::schema(&app.0.base_url, &id)
        .ok_or_else(|| ScimError::not_found(format!("Schema \"{id}\" not found")))?;
    Ok(scim_json(StatusCode::OK, &doc))
}

/// Groups read one by one carry `members` only where the provider returns them.
fn shape(emulation: &Emulation, kind: Kind, mut resource: Map<String, Value>) -> Value {
    if kind == Kind::Group && !emulation.group_members_in_get {
        resource.shift_remove("members");
    }
    Value::Object(resource)
}

/// An answer carrying one resource, with its version as the `ETag` header.
fn resource_response(status: StatusCode, etag: Option<&str>, body: &Value) -> Response {
    etag::with_header(scim_json(status, body), etag)
}

async fn get_one(
    app: &App,
    kind: Kind,
    id: IdResult,
    headers: &HeaderMap,
    query: QueryResult,
) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    let params = Params::from_query(query)?;
    let emulation = app.emulation();
    let members =
        emulation.group_members_in_get && !(emulation.projection && params.leaves_out("members"));
    let resource = app.store().read().await.get(kind, &id, members)?;
    // Taken before the projection, which may leave `meta` out.
    let etag = etag::of_resource(&resource).map(str::to_owned);
    if let Some(not_modified) =
        etag::not_modified(etag::if_none_match(headers).as_ref(), etag.as_deref())
    {
        return Ok(not_modified);
    }
    let resource = if emulation.projection {
        params.project(resource)
    } else {
        resource
    };
    Ok(resource_response(
        StatusCode::OK,
        etag.as_deref(),
        &Value::Object(resource),
    ))
}

/// A POST or PUT naming a group whose writes are refused: 403 before anything else.
fn check_new_name(quirks: &Quirks, kind: Kind, body: &Map<String, Value>) -> Result<(), ScimError> {
    match get_ci(body, kind.unique_attribute()).and_then(Value::as_str) {
        Some(name) => quirks.check_group_write(kind, name),
        None => Ok(()),
    }
}

/// The checks every write to an existing resource makes under the write lock, before
/// anything changes: a group whose writes are refused (403), then `If-Match` (412).
/// A resource that does not exist passes: the operation answers 404.
fn check_write(
    store: &Store,
    quirks: &Quirks,
    kind: Kind,
    id: &str,
    if_match: Option<&Condition>,
) -> Result<(), ScimError> {
    let Some(record) = store.table(kind).get(id) else {
        return Ok(());
    };
    quirks.check_group_write(kind, &record.name)?;
    etag::check_if_match(if_match, Some(record.version))
}

async fn create(
    app: &App,
    kind: Kind,
    headers: &HeaderMap,
    body: BodyResult,
) -> Result<Response, ScimError> {
    let mut body = json_body(headers, body)?;
    let (emulation, quirks) = (app.emulation(), app.quirks());
    check_new_name(quirks, kind, &body)?;
    emulation.check_user_body(kind, &body)?;
    quirks.shape_create(kind, &mut body);
    let resource = app.mutate(|store| store.create(kind, &body)).await?;
    let location = resource
        .get("meta")
        .and_then(|m| m.get("location"))
        .and_then(Value::as_str)
        .and_then(|l| HeaderValue::from_str(l).ok());
    let etag = etag::of_resource(&resource).map(str::to_owned);
    let mut response = resource_response(
        StatusCode::CREATED,
        etag.as_deref(),
        &shape(emulation, kind, resource),
    );
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn replace(
    app: &App,
    kind: Kind,
    id: IdResult,
    headers: &HeaderMap,
    body: BodyResult,
) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    let body = json_body(headers, body)?;
    let (emulation, quirks) = (app.emulation(), app.quirks());
    let if_match = etag::if_match(headers);
    check_new_name(quirks, kind, &body)?;
    emulation.check_user_body(kind, &body)?;
    let guard = |change: &Change| {
        emulation.check_change(kind, change)?;
        quirks.check_group_write(kind, &change.name_after)
    };
    let resource = app
        .mutate(|store| {
            check_write(store, quirks, kind, &id, if_match.as_ref())?;
            store.replace(kind, &id, &body, &guard)
        })
        .await?;
    let etag = etag::of_resource(&resource).map(str::to_owned);
    Ok(resource_response(
        StatusCode::OK,
        etag.as_deref(),
        &shape(emulation, kind, resource),
    ))
}

async fn patch(
    app: &App,
    kind: Kind,
    id: IdResult,
    headers: &HeaderMap,
    body: BodyResult,
) -> Result<Response, ScimError> {
    let (emulation, quirks) = (app.emulation(), app.quirks());
    quirks.check_patch(kind)?;
    let id = path_id(id)?;
    let body = json_body(headers, body)?;
    let if_match = etag::if_match(headers);
    let ops = emulation.shape_patch(kind, patch::parse_request(&body)?)?;
    let guard = |change: &Change| {
        emulation.check_change(kind, change)?;
        quirks.check_group_write(kind, &change.name_after)
    };
    let resource = app
        .mutate(|store| {
            check_write(store, quirks, kind, &id, if_match.as_ref())?;
            store.patch(kind, &id, &ops, &guard)
        })
        .await?;
    let etag = etag::of_resource(&resource).map(str::to_owned);
    if emulation.patch_no_content {
        return Ok(etag::with_header(
            StatusCode::NO_CONTENT.into_response(),
            etag.as_deref(),
        ));
    }
    Ok(resource_response(
        StatusCode::OK,
        etag.as_deref(),
        &shape(emulation, kind, resource),
    ))
}

/// DELETE: gone, or for users of a provider that only deactivates, `active: false`.
async fn delete(
    app: &App,
    kind: Kind,
    id: IdResult,
    headers: &HeaderMap,
) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    let deactivate = kind == Kind::User && app.emulation().user_delete == UserDelete::Deactivate;
    let if_match = etag::if_match(headers);
    app.mutate(|store| {
        check_write(store, app.quirks(), kind, &id, if_match.as_ref())?;
        if deactivate {
            store.deactivate(&id)
        } else {
            store.delete(kind, &id)
        }
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn path_id(id: IdResult) -> Result<String, ScimError> {
    id.map(|Path(id)| id)
        .map_err(|e| ScimError::invalid_value(format!("invalid path: {e}")))
}

/// A request body: `application/scim+json` or `application/json` (or no content type),
/// holding a JSON object.
fn json_body(headers: &HeaderMap, body: BodyResult) -> Result<Map<String, Value>, ScimError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let content_type = content_type.to_str().unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let accepted = ["application/scim+json", "application/json"]
            .iter()
            .any(|t| essence.eq_ignore_ascii_case(t));
        if !accepted {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!(
                    "Content-Type must be application/scim+json or application/json, not \"{essence}\""
                ),
            ));
        }
    }
    let bytes = body.map_err(|e| {
        ScimError::new(
            e.status(),
            None,
            format!("cannot read the request body: {e}"),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request body is empty"));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ScimError::invalid_syntax(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ScimError::invalid_syntax(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret\0"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
