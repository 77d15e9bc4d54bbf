//! HTTP for the dev-server: the router under `/scim/v2`, bearer-token authentication, and
//! handlers that turn requests into store calls and results into SCIM responses.
//!
//! Owns request parsing (JSON bodies of either media type, list query parameters,
//! attribute projection), status codes and headers, and the rule that a mutation counts
//! only once it is persisted. It must not hold resource logic (that is `store`, `schema`,
//! `patch`, `filter`) and must never echo the presented token.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Map, Value, json};
use tokio::sync::RwLock;

use super::behaviour::{self, Behaviour};
use super::discovery::{self, MAX_PAGE};
use super::error::{ScimError, scim_json};
use super::filter::{self, Filter};
use super::patch;
use super::persist;
use super::schema::Kind;
use super::store::Store;

/// Where the SCIM endpoints live, below the server root.
pub(crate) const BASE_PATH: &str = "/scim/v2";

const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Shared state of a running server.
#[derive(Clone)]
pub(crate) struct App(Arc<Shared>);

struct Shared {
    store: RwLock<Store>,
    token: String,
    data: Option<PathBuf>,
    behaviour: Behaviour,
    base_url: String,
}

impl App {
    pub(crate) fn new(
        store: Store,
        token: String,
        data: Option<PathBuf>,
        behaviour: Behaviour,
        base_url: String,
    ) -> App {
        App(Arc::new(Shared {
            store: RwLock::new(store),
            token,
            data,
            behaviour,
            base_url,
        }))
    }

    pub(crate) fn behaviour(&self) -> &Behaviour {
        &self.0.behaviour
    }

    /// Runs `f` under the write lock; with a data file, the change stands only once the
    /// snapshot is written (otherwise the store is rolled back and the request fails).
    async fn mutate<T>(
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

type QueryResult = Result<Query<Vec<(String, String)>>, QueryRejection>;
type BodyResult = Result<Bytes, BytesRejection>;
type IdResult = Result<Path<String>, PathRejection>;

/// The complete router: SCIM endpoints, SCIM-shaped 404/405, authentication on every
/// request, and the behaviour layer outside it.
pub(crate) fn router(app: App) -> Router {
    let at = |path: &str| format!("{BASE_PATH}{path}");
    Router::new()
        .route(&at("/ServiceProviderConfig"), get(service_provider_config))
        .route(&at("/ResourceTypes"), get(resource_types))
        .route(&at("/ResourceTypes/{name}"), get(resource_type))
        .route(&at("/Schemas"), get(schemas))
        .route(&at("/Schemas/{id}"), get(schema))
        .route(&at("/Users"), collection(Kind::User))
        .route(&at("/Users/{id}"), item(Kind::User))
        .route(&at("/Groups"), collection(Kind::Group))
        .route(&at("/Groups/{id}"), item(Kind::Group))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            behaviour::layer,
        ))
        .with_state(app)
}

fn collection(kind: Kind) -> MethodRouter<App> {
    get(move |State(app): State<App>, query: QueryResult| async move {
        list(&app, kind, query).await
    })
    .post(
        move |State(app): State<App>, headers: HeaderMap, body: BodyResult| async move {
            create(&app, kind, &headers, body).await
        },
    )
}

fn item(kind: Kind) -> MethodRouter<App> {
    get(
        move |State(app): State<App>, id: IdResult, query: QueryResult| async move {
            get_one(&app, kind, id, query).await
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
    .delete(move |State(app): State<App>, id: IdResult| async move {
        delete(&app, kind, id).await
    })
}

/// Requires `Authorization: Bearer <token>`, compared in constant time.
async fn authenticate(State(app): State<App>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let detail = match header.map(|h| h.split_once(' ')) {
        None => "missing Authorization header: send \"Authorization: Bearer <token>\"",
        Some(Some((scheme, token))) if scheme.eq_ignore_ascii_case("bearer") => {
            if constant_time_eq(token.trim().as_bytes(), app.0.token.as_bytes()) {
                return next.run(request).await;
            }
            "the bearer token is not valid"
        }
        Some(_) => "the Authorization header must use the Bearer scheme",
    };
    ScimError::new(StatusCode::UNAUTHORIZED, None, detail).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

async fn not_found(uri: Uri) -> ScimError {
    ScimError::not_found(format!("no endpoint at {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{method} is not supported on {}", uri.path()),
    )
}

async fn service_provider_config(State(app): State<App>) -> Response {
    scim_json(
        StatusCode::OK,
        &discovery::service_provider_config(&app.0.base_url),
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

async fn list(app: &App, kind: Kind, query: QueryResult) -> Result<Response, ScimError> {
    let params = Params::parse(query)?;
    let page = {
        let store = app.0.store.read().await;
        store.list(
            kind,
            params.filter.as_ref(),
            params.start_index,
            params.count,
        )
    };
    let resources: Vec<Value> = page
        .resources
        .into_iter()
        .map(|r| Value::Object(params.project(r)))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": page.total,
            "startIndex": params.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

async fn get_one(
    app: &App,
    kind: Kind,
    id: IdResult,
    query: QueryResult,
) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    let params = Params::parse(query)?;
    let resource = app.0.store.read().await.get(kind, &id)?;
    Ok(scim_json(
        StatusCode::OK,
        &Value::Object(params.project(resource)),
    ))
}

async fn create(
    app: &App,
    kind: Kind,
    headers: &HeaderMap,
    body: BodyResult,
) -> Result<Response, ScimError> {
    let body = json_body(headers, body)?;
    let resource = app.mutate(|store| store.create(kind, &body)).await?;
    let location = resource
        .get("meta")
        .and_then(|m| m.get("location"))
        .and_then(Value::as_str)
        .and_then(|l| HeaderValue::from_str(l).ok());
    let mut response = scim_json(StatusCode::CREATED, &Value::Object(resource));
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
    let resource = app.mutate(|store| store.replace(kind, &id, &body)).await?;
    Ok(scim_json(StatusCode::OK, &Value::Object(resource)))
}

async fn patch(
    app: &App,
    kind: Kind,
    id: IdResult,
    headers: &HeaderMap,
    body: BodyResult,
) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    let body = json_body(headers, body)?;
    let ops = patch::parse_request(&body)?;
    let resource = app.mutate(|store| store.patch(kind, &id, &ops)).await?;
    Ok(scim_json(StatusCode::OK, &Value::Object(resource)))
}

async fn delete(app: &App, kind: Kind, id: IdResult) -> Result<Response, ScimError> {
    let id = path_id(id)?;
    app.mutate(|store| store.delete(kind, &id)).await?;
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

/// Query parameters of list and read requests (names case-insensitive).
struct Params {
    filter: Option<Filter>,
    start_index: usize,
    count: usize,
    /// Top-level attribute names (lower case) to return; `None` = all.
    attributes: Option<Vec<String>>,
    /// Top-level attribute names (lower case) to leave out.
    excluded: Vec<String>,
}

impl Params {
    fn parse(query: QueryResult) -> Result<Params, ScimError> {
        let Query(pairs) =
            query.map_err(|e| ScimError::invalid_value(format!("invalid query string: {e}")))?;
        let mut params = Params {
            filter: None,
            start_index: 1,
            count: MAX_PAGE,
            attributes: None,
            excluded: Vec::new(),
        };
        for (name, value) in pairs {
            match name.to_ascii_lowercase().as_str() {
                "filter" => {
                    let parsed = filter::parse(&value).map_err(|e| {
                        ScimError::invalid_filter(format!("cannot use filter {value:?}: {e}"))
                    })?;
                    params.filter = Some(parsed);
                }
                "startindex" => {
                    let n = parse_int("startIndex", &value)?;
                    params.start_index = usize::try_from(n.max(1)).unwrap_or(usize::MAX);
                }
                "count" => {
                    let n = parse_int("count", &value)?;
                    params.count = usize::try_from(n.max(0)).unwrap_or(0).min(MAX_PAGE);
                }
                "attributes" => params.attributes = Some(attribute_names(&value)?),
                "excludedattributes" => params.excluded = attribute_names(&value)?,
                _ => {}
            }
        }
        Ok(params)
    }

    /// Keeps `id` and `schemas` always; applies `attributes` then `excludedAttributes`
    /// at the top level (`name.givenName` selects all of `name`).
    fn project(&self, mut resource: Map<String, Value>) -> Map<String, Value> {
        let always = |key: &str| key == "id" || key == "schemas";
        if let Some(keep) = &self.attributes {
            resource.retain(|k, _| always(k) || keep.contains(&k.to_lowercase()));
        }
        if !self.excluded.is_empty() {
            resource.retain(|k, _| always(k) || !self.excluded.contains(&k.to_lowercase()));
        }
        resource
    }
}

fn parse_int(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not {value:?}")))
}

fn attribute_names(list: &str) -> Result<Vec<String>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            let path = filter::parse_attr_path(name)
                .map_err(|e| ScimError::invalid_value(format!("attribute list: {e}")))?;
            Ok(path
                .segments
                .first()
                .map(|s| s.to_lowercase())
                .unwrap_or_default())
        })
        .collect()
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
