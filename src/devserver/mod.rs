//! A local SCIM 2.0 service provider (RFC 7643/7644) for `scimform dev-server`,
//! `scimform demo` and end-to-end tests: users (with the enterprise extension) and groups
//! in memory, optionally persisted to a JSON data file, behind a bearer token.
//!
//! This file owns the public API — `DevServerOptions`, `DevServer`, `DevServerError` —
//! and the server's lifecycle (bind, load, serve, graceful shutdown). It must not contain
//! protocol logic: `routes` does HTTP, `store` the data, `schema` the resource types,
//! `filter` and `patch` the expression languages, `persist` the data file, `discovery`
//! the self-description, `behaviour` the (future) deviations from the RFC.
//!
//! ```no_run
//! # async fn demo() -> Result<(), scimform::devserver::DevServerError> {
//! use scimform::devserver::{DevServer, DevServerOptions};
//! let server = DevServer::start(DevServerOptions {
//!     listen: "127.0.0.1:0".parse().expect("valid address"),
//!     token: "dev-token".into(),
//!     data: None,
//! })
//! .await?;
//! println!("SCIM base URL: {}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod behaviour;
mod discovery;
mod error;
mod filter;
mod ids;
mod patch;
mod persist;
mod routes;
mod schema;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use self::behaviour::Behaviour;
use self::routes::{App, BASE_PATH};
use self::store::Store;

/// How to run a dev-server.
#[derive(Clone)]
pub struct DevServerOptions {
    /// Address to listen on; port 0 picks a free port (see [`DevServer::addr`]).
    pub listen: SocketAddr,
    /// The bearer token every request must present. Must not be empty.
    pub token: String,
    /// A JSON data file: loaded at start when it exists, rewritten (atomically) after
    /// every successful change. `None` keeps everything in memory only.
    pub data: Option<PathBuf>,
}

impl std::fmt::Debug for DevServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevServerOptions")
            .field("listen", &self.listen)
            .field("token", &"<redacted>")
            .field("data", &self.data)
            .finish()
    }
}

/// Why a dev-server could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevServerError {
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        addr: SocketAddr,
        cause: std::io::Error,
    },
    #[error("cannot read the data file {}: {cause}", path.display())]
    DataUnreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the data file {} is not a valid dev-server data file: {reason}", path.display())]
    DataInvalid { path: PathBuf, reason: String },
    #[error("cannot write the data file {}: {cause}", path.display())]
    DataUnwritable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the dev-server's bearer token must not be empty")]
    EmptyToken,
}

impl miette::Diagnostic for DevServerError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            DevServerError::Bind { .. } => "dev_server::bind",
            DevServerError::DataUnreadable { .. } => "dev_server::data_unreadable",
            DevServerError::DataInvalid { .. } => "dev_server::data_invalid",
            DevServerError::DataUnwritable { .. } => "dev_server::data_unwritable",
            DevServerError::EmptyToken => "dev_server::no_token",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            DevServerError::Bind { addr, .. } => format!(
                "is another process listening on {addr}? pick another address with --listen (port 0 picks a free one)"
            ),
            DevServerError::DataUnreadable { .. } | DevServerError::DataUnwritable { .. } => {
                "check the path given with --data and its permissions".to_string()
            }
            DevServerError::DataInvalid { .. } => {
                "the file must be one the dev-server wrote; move it away to start with an empty directory"
                    .to_string()
            }
            DevServerError::EmptyToken => {
                "pass --token T; clients send the same value as their bearer token".to_string()
            }
        }))
    }
}

/// A running dev-server. Dropping it also stops the server (without waiting).
pub struct DevServer {
    addr: SocketAddr,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl DevServer {
    /// Loads the data file (if any), binds, starts serving in a background task and
    /// returns once the socket is listening.
    pub async fn start(opts: DevServerOptions) -> Result<DevServer, DevServerError> {
        if opts.token.trim().is_empty() {
            return Err(DevServerError::EmptyToken);
        }
        let snapshot = match &opts.data {
            Some(path) => persist::load(path).map_err(|e| match e {
                persist::LoadError::Read(cause) => DevServerError::DataUnreadable {
                    path: path.clone(),
                    cause,
                },
                persist::LoadError::Invalid(reason) => DevServerError::DataInvalid {
                    path: path.clone(),
                    reason,
                },
            })?,
            None => None,
        };
        let listener =
            TcpListener::bind(opts.listen)
                .await
                .map_err(|cause| DevServerError::Bind {
                    addr: opts.listen,
                    cause,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|cause| DevServerError::Bind {
                addr: opts.listen,
                cause,
            })?;
        let base_url = format!("http://{addr}{BASE_PATH}");
        let store = match (snapshot, &opts.data) {
            (Some(snapshot), Some(path)) => Store::from_snapshot(base_url.clone(), snapshot)
                .map_err(|reason| DevServerError::DataInvalid {
                    path: path.clone(),
                    reason,
                })?,
            (None, Some(path)) => {
                // Create the file now, so an unwritable location fails at start rather
                // than on the first change.
                let store = Store::new(base_url.clone());
                persist::save(path, &store.snapshot()).map_err(|cause| {
                    DevServerError::DataUnwritable {
                        path: path.clone(),
                        cause,
                    }
                })?;
                store
            }
            _ => Store::new(base_url.clone()),
        };
        let app = App::new(
            store,
            opts.token,
            opts.data,
            Behaviour::default(),
            base_url.clone(),
        );
        let router = routes::router(app);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    // A send or a dropped sender both mean "stop".
                    let _ = stopped.await;
                })
                .await
        });
        Ok(DevServer {
            addr,
            base_url,
            stop: Some(stop),
            task,
        })
    }

    /// The address the server listens on (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}/scim/v2`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the
    /// server task to end.
    pub async fn shutdown(self) {
        let DevServer { stop, task, .. } = self;
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        // The task's own I/O error (if any) has nowhere useful to go at shutdown.
        let _ = task.await;
    }
}
