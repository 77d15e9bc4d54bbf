//! How the dev-server departs from a plain RFC 7644 service provider: the place where
//! provider emulation and fault injection (latency, 5xx, 429, dropped connections, lying
//! `totalResults`) will go.
//!
//! Owns `Behaviour` and the middleware that applies it around every request. Today the
//! server behaves exactly per the RFC, so the middleware passes requests through. It must
//! not change how resources are stored or validated; it only shapes responses.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::routes::App;

/// Deviations from plain RFC behaviour. Empty: the server is an honest RFC 7644 server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Behaviour {}

/// Middleware around every request (outside authentication), applying `Behaviour`.
pub(crate) async fn layer(State(app): State<App>, request: Request, next: Next) -> Response {
    // Destructured so that adding a field makes this the first place to handle it.
    let Behaviour {} = app.behaviour();
    next.run(request).await
}
