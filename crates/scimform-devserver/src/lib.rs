//! A local SCIM 2.0 service provider (RFC 7643/7644) for `scimform dev-server`,
//! `scimform demo` and end-to-end tests: users (with the enterprise extension) and groups
//! in memory, optionally persisted to a JSON data file, behind a bearer token; able to
//! emulate the quirks of real providers and to inject faults, reproducibly.
//!
//! This file owns the public API — `DevServerOptions`, `DevServer`, `DevServerError`, and
//! the re-exported `Behaviour`, `Emulation`, `Faults` and `SyntheticSize` — and the
//! server's lifecycle (bind, load or seed, serve, graceful shutdown). It must not contain
//! protocol logic: `routes` and `listing` do HTTP, `params` the query parameters, `store`,
//! `query`, `members` and `render` the data, `schema` the resource types, `filter` and
//! `patch` the expression languages, `persist` the data file, `discovery` the
//! self-description, `emulation` the providers' quirks, `faults`, `behaviour` and `net`
//! the fault injection, `synthetic` the generated directories.
//!
//! ```no_run
//! # async fn demo() -> Result<(), scimform_devserver::DevServerError> {
//! use scimform_devserver::{DevServer, DevServerOptions, Emulation, EmulationProfile};
//! let mut options = DevServerOptions::new(
//!     "127.0.0.1:0".parse().expect("valid address"),
//!     "dev-token",
//! );
//! options.behaviour.emulation = Emulation::for_profile(EmulationProfile::Slack);
//! options.behaviour.seed = Some(7);
//! let server = DevServer::start(options).await?;
//! println!("SCIM base URL: {}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod behaviour;
mod discovery;
mod emulation;
mod error;
mod faults;
mod filter;
mod ids;
mod latency;
mod listing;
mod members;
mod net;
mod params;
mod patch;
mod persist;
mod query;
mod render;
mod routes;
mod schema;
mod store;
mod synthetic;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use self::behaviour::Behaviour;
pub use self::emulation::{
    AWS_REQUIRED_USER_ATTRIBUTES, Emulation, EmulationProfile, FilterSupport, Paging, RemovalForm,
    UserDelete,
};
pub use self::faults::{Faults, Rate};
pub use self::synthetic::SyntheticSize;

use self::net::{FaultListener, KillSwitch};
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
    /// every successful change. `None` keeps everything in memory only. Every change
    /// rewrites the whole file, so it is meant for small directories.
    pub data: Option<PathBuf>,
    /// Provider emulation, fault injection and the seed (default: plain RFC, no faults).
    pub behaviour: Behaviour,
    /// Fill the directory at start with generated users, groups and memberships.
    pub synthetic: Option<SyntheticSize>,
}

impl DevServerOptions {
    /// Options with the defaults: no data file, plain RFC behaviour, an empty directory.
    pub fn new(listen: SocketAddr, token: impl Into<String>) -> DevServerOptions {
        DevServerOptions {
            listen,
            token: token.into(),
            data: None,
            behaviour: Behaviour::default(),
            synthetic: None,
        }
    }
}

impl std::fmt::Debug for DevServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevServerOptions")
            .field("listen", &self.listen)
            .field("token", &"<redacted>")
            .field("data", &self.data)
            .field("behaviour", &self.behaviour)
            .field("synthetic", &self.synthetic)
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
    #[error("invalid dev-server options: {0}")]
    InvalidOptions(String),
}

/// A running dev-server. Dropping it also stops the server (without waiting).
pub struct DevServer {
    addr: SocketAddr,
    base_url: String,
    seed: u64,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// A seed for runs that did not ask for one.
fn entropy_seed() -> u64 {
    rand::random()
}

impl DevServer {
    /// Loads the data file (if any), seeds a synthetic directory (if asked), binds,
    /// starts serving in a background task and returns once the socket is listening.
    pub async fn start(opts: DevServerOptions) -> Result<DevServer, DevServerError> {
        if opts.token.trim().is_empty() {
            return Err(DevServerError::EmptyToken);
        }
        opts.behaviour
            .faults
            .check()
            .map_err(DevServerError::InvalidOptions)?;
        let seed = opts.behaviour.seed.unwrap_or_else(entropy_seed);
        // Ids are reproducible only when the caller chose the seed.
        let id_seed = opts.behaviour.seed;
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
        let loaded = snapshot.is_some();
        let mut store = match (snapshot, &opts.data) {
            (Some(snapshot), Some(path)) => {
                Store::from_snapshot(base_url.clone(), snapshot, id_seed).map_err(|reason| {
                    DevServerError::DataInvalid {
                        path: path.clone(),
                        reason,
                    }
                })?
            }
            _ => Store::new(base_url.clone(), id_seed),
        };
        if let Some(size) = opts.synthetic {
            store
                .seed_synthetic(size)
                .map_err(|e| DevServerError::InvalidOptions(format!("--seed-synthetic: {e}")))?;
        }
        if let Some(path) = &opts.data
            && (!loaded || opts.synthetic.is_some())
        {
            // Write the file now, so an unwritable location fails at start rather than
            // on the first change.
            persist::save(path, &store.snapshot()).map_err(|cause| {
                DevServerError::DataUnwritable {
                    path: path.clone(),
                    cause,
                }
            })?;
        }
        let mut behaviour = opts.behaviour;
        behaviour.seed = Some(seed);
        let app = App::new(store, opts.token, opts.data, behaviour, base_url.clone());
        let service = routes::router(app).into_make_service_with_connect_info::<KillSwitch>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(FaultListener(listener), service)
                .with_graceful_shutdown(async move {
                    // A send or a dropped sender both mean "stop".
                    let _ = stopped.await;
                })
                .await
        });
        Ok(DevServer {
            addr,
            base_url,
            seed,
            stop: Some(stop),
            task,
        })
    }

    /// The seed fault draws use (the one asked for, or the one picked at start).
    pub fn seed(&self) -> u64 {
        self.seed
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
