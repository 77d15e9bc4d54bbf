//! How the dev-server departs from a plain RFC 7644 service provider: which provider it
//! emulates (`emulation`), which faults it injects (`faults`), which provider-independent
//! quirks it shows (`quirks`), and the seed that makes faults and ids reproducible.
//!
//! Owns `Behaviour` and the middleware around every request that applies the
//! request-level faults: latency, the `User-Agent` a provider insists on, 5xx answers,
//! 429 throttling, and connections dropped before or after the request is applied. Faults
//! other than latency touch only `/Users`, `/Groups` and `/.search`, never discovery. The
//! draw for each request is left in its extensions for the list handler (`lie_total`).
//! It must not change how resources are stored or validated: a faulted request is either
//! not applied at all, or applied completely and its answer lost.

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::emulation::Emulation;
use super::error::ScimError;
use super::faults::{Draw, Fate, Faults, http_date_in};
use super::net::KillSwitch;
use super::quirks::Quirks;
use super::routes::{App, BASE_PATH, DIRECTORY_PATH_PREFIX};

/// Deviations from plain RFC behaviour. The default is an honest RFC 7644 server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Behaviour {
    /// The provider to emulate (`generic` by default).
    pub emulation: Emulation,
    /// The faults to inject (none by default).
    pub faults: Faults,
    /// Quirks of real servers, on top of any emulation (none by default).
    pub quirks: Quirks,
    /// Seed for fault draws and generated ids. `None` picks one at start; the server
    /// reports it (`DevServer::seed`), so any run can be repeated.
    pub seed: Option<u64>,
}

/// The largest request body the fault layer reads to draw a request's fate.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Whether faults apply to `path`: the resource endpoints and searches, below `/scim/v2`
/// or a directory's `/scim/directory/{id}`.
fn faultable(path: &str) -> bool {
    let rest = path.strip_prefix(BASE_PATH).or_else(|| {
        path.strip_prefix(DIRECTORY_PATH_PREFIX)
            .and_then(|tail| tail.find('/').and_then(|at| tail.get(at..)))
    });
    let Some(rest) = rest else {
        return false;
    };
    ["/Users", "/Groups", "/.search"].iter().any(|p| {
        rest.strip_prefix(p)
            .is_some_and(|tail| tail.is_empty() || tail.starts_with('/'))
    })
}

/// Middleware around every request (outside authentication), applying `Behaviour`.
pub(crate) async fn layer(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let Behaviour {
        emulation,
        faults,
        quirks: _,
        seed: _,
    } = app.behaviour();
    app.latency().wait().await;
    if let Some(refusal) = missing_user_agent(emulation, &request) {
        return refusal;
    }
    if !faults.draws() || !faultable(request.uri().path()) {
        request.extensions_mut().insert(Draw::NORMAL);
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("the request body is larger than {BODY_LIMIT} bytes or could not be read"),
        )
        .into_response();
    };
    let mutating = !matches!(parts.method, Method::GET | Method::HEAD);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(axum::http::uri::PathAndQuery::as_str)
        .unwrap_or_default();
    let draw = app.dice().draw(
        faults,
        parts.method.as_str(),
        path_and_query,
        &bytes,
        mutating,
    );
    let kill = parts
        .extensions
        .get::<ConnectInfo<KillSwitch>>()
        .map(|ConnectInfo(k)| k.clone());
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(draw);
    match (draw.fate, kill) {
        (Fate::Normal, _) => next.run(request).await,
        (Fate::Reset, Some(kill)) => {
            kill.kill();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        (Fate::ResetAfterCommit, Some(kill)) => {
            let response = next.run(request).await;
            kill.kill();
            response
        }
        // Without a kill switch (never the case when served by `DevServer`), a dropped
        // connection becomes a 503.
        (Fate::Reset | Fate::ResetAfterCommit, None) => {
            server_error(StatusCode::SERVICE_UNAVAILABLE)
        }
        (Fate::Fail(status), _) => server_error(status),
        (Fate::Throttle { http_date }, _) => {
            let mut response = ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "too many requests: retry after the time in Retry-After (fault injection)",
            )
            .into_response();
            let value = if http_date {
                http_date_in(2)
            } else {
                "1".to_owned()
            };
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

/// A 5xx with a SCIM error body; a 503 says when to come back.
fn server_error(status: StatusCode) -> Response {
    let mut response = ScimError::new(
        status,
        None,
        format!(
            "{} (fault injection): the request was not applied",
            status.canonical_reason().unwrap_or("server error")
        ),
    )
    .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// GitHub refuses requests without a `User-Agent` with 403.
fn missing_user_agent(emulation: &Emulation, request: &Request) -> Option<Response> {
    let has_agent = request
        .headers()
        .get(header::USER_AGENT)
        .is_some_and(|v| !v.is_empty());
    (emulation.user_agent_required && !has_agent).then(|| {
        ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            format!(
                "Request forbidden by administrative rules: send a User-Agent header (emulating {})",
                emulation.profile
            ),
        )
        .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_touch_resources_only() {
        for path in [
            "/scim/v2/Users",
            "/scim/v2/Users/abc",
            "/scim/v2/Groups",
            "/scim/v2/Groups/x",
            "/scim/v2/.search",
            "/scim/v2/Users/.search",
            "/scim/directory/dev-directory/Users",
            "/scim/directory/d/Groups/x",
        ] {
            assert!(faultable(path), "{path}");
        }
        for path in [
            "/scim/v2/ServiceProviderConfig",
            "/scim/v2/Schemas",
            "/scim/v2/ResourceTypes/User",
            "/scim/v2/UsersX",
            "/other/Users",
            "/scim/directory/Users",
            "/scim/directory/d/Schemas",
            "/admin/v1/orgs/o/domains",
        ] {
            assert!(!faultable(path), "{path}");
        }
    }
}
