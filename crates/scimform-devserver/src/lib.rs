//! A local SCIM 2.0 service provider (RFC 7643/7644) for `scimform dev-server`,
//! `scimform demo` and end-to-end tests: users (with the enterprise extension) and groups
//! in memory, optionally persisted to a JSON data file, behind a bearer token; able to
//! emulate the quirks of real providers and to inject faults, reproducibly.
//!
//! This file owns the public API — `DevServerOptions`, `AtlassianOptions`, `DevServer`,
//! `DevServerError`, and the re-exported `Behaviour`, `Emulation`, `Faults`, `Quirks` and
//! `SyntheticSize` — and the server's lifecycle (bind, load or seed, serve, graceful
//! shutdown). It must not contain protocol logic: `routes` and `listing` do HTTP, `params`
//! the query parameters, `store`, `query`, `members` and `render` the data, `schema` the
//! resource types, `filter` and `patch` the expression languages, `etag` entity tags and
//! `If-Match`, `persist` the data file, `discovery` the self-description, `emulation` the
//! providers' quirks, `quirks` the provider-independent ones, `org` the Atlassian
//! organisation behind `--emulate atlassian` and `org_api` its organisation API, `faults`,
//! `behaviour` and `net` the fault injection, `synthetic` the generated directories.
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
mod etag;
mod faults;
mod filter;
mod ids;
mod latency;
mod listing;
mod members;
mod net;
mod org;
mod org_api;
mod params;
mod patch;
mod persist;
mod query;
mod quirks;
mod render;
mod routes;
mod schema;
mod store;
mod synthetic;
#[cfg(test)]
mod test_support;

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
pub use self::quirks::Quirks;
pub use self::synthetic::SyntheticSize;

use self::net::{FaultListener, KillSwitch};
use self::org::{Org, Seed, SeedError};
use self::org_api::OrgAccess;
use self::routes::{App, scim_base_path};
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
    /// The Atlassian organisation (only with the `atlassian` emulation).
    pub atlassian: AtlassianOptions,
}

/// The organisation behind a server emulating Atlassian. With that emulation, the SCIM
/// endpoints are also served (and the base URL reported) under
/// `/scim/directory/{directory_id}`, and the organisation API under `/admin`; both are
/// refused with any other emulation.
#[derive(Clone, Default)]
pub struct AtlassianOptions {
    /// A JSON seed file: `org_id`, `directory_id`, `verified_domains`, `accounts` (those
    /// with `"synced": true` become users of the directory at start) and `links` (SCIM
    /// links in other directories, or stale ones). Without it the organisation `dev-org`
    /// is empty. A data file that already holds an organisation keeps it, and the seed
    /// file must then name the same organisation and directory.
    pub accounts: Option<PathBuf>,
    /// The organisation API key (distinct from the SCIM token). Without it, every
    /// organisation API request is answered 401.
    pub admin_token: Option<String>,
}

impl std::fmt::Debug for AtlassianOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtlassianOptions")
            .field("accounts", &self.accounts)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
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
            atlassian: AtlassianOptions::default(),
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
            .field("atlassian", &self.atlassian)
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

/// The SCIM directory id of a server emulating Atlassian (`None` for the others): the
/// data file's organisation's, else the seed's, else the default. A data file holding an
/// organisation is refused by other emulations, and one whose organisation is not the
/// seed's is refused.
fn directory_id(
    opts: &DevServerOptions,
    atlassian: bool,
    snapshot: Option<&store::Snapshot>,
    org_seed: Option<&Seed>,
) -> Result<Option<String>, DevServerError> {
    let held = snapshot.and_then(|s| s.atlassian.as_ref());
    let data = || opts.data.clone().unwrap_or_default();
    match (atlassian, held, org_seed) {
        (false, Some(_), _) => Err(DevServerError::DataInvalid {
            path: data(),
            reason: format!(
                "it holds an Atlassian organisation: start with --emulate atlassian (not {}), or move it away",
                opts.behaviour.emulation.profile
            ),
        }),
        (false, None, _) => Ok(None),
        (true, Some(held), Some(seed))
            if held.org_id != seed.org.id || held.directory_id != seed.org.directory_id =>
        {
            Err(DevServerError::InvalidOptions(format!(
                "the data file {} holds organisation {:?} (directory {:?}), the Atlassian accounts file says {:?} (directory {:?}): move the data file away to start from the accounts file",
                data().display(),
                held.org_id,
                held.directory_id,
                seed.org.id,
                seed.org.directory_id
            )))
        }
        (true, Some(held), _) => Ok(Some(held.directory_id.clone())),
        (true, None, Some(seed)) => Ok(Some(seed.org.directory_id.clone())),
        (true, None, None) => Ok(Some(org::DEFAULT_DIRECTORY_ID.to_owned())),
    }
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

/// The Atlassian options, checked against the emulation and the SCIM token; with the
/// seed file read.
fn atlassian_seed(
    opts: &DevServerOptions,
    atlassian: bool,
) -> Result<Option<Seed>, DevServerError> {
    let AtlassianOptions {
        accounts,
        admin_token,
    } = &opts.atlassian;
    if !atlassian && (accounts.is_some() || admin_token.is_some()) {
        return Err(DevServerError::InvalidOptions(format!(
            "--atlassian-accounts and --atlassian-admin-token (SCIMFORM_DEV_ATLASSIAN_ADMIN_TOKEN) need --emulate atlassian (this server emulates {})",
            opts.behaviour.emulation.profile
        )));
    }
    if let Some(key) = admin_token {
        if key.trim().is_empty() {
            return Err(DevServerError::InvalidOptions(
                "the Atlassian organisation API key (--atlassian-admin-token) must not be empty"
                    .to_owned(),
            ));
        }
        if key.trim() == opts.token.trim() {
            return Err(DevServerError::InvalidOptions(
                "the Atlassian organisation API key (--atlassian-admin-token) must differ from the SCIM token (--token): Atlassian's two keys are not interchangeable".to_owned(),
            ));
        }
    }
    let Some(path) = accounts else {
        return Ok(None);
    };
    org::read_seed(path).map(Some).map_err(|e| {
        DevServerError::InvalidOptions(match e {
            SeedError::Read(cause) => format!(
                "cannot read the Atlassian accounts file {} (--atlassian-accounts): {cause}",
                path.display()
            ),
            SeedError::Invalid(reason) => format!(
                "the Atlassian accounts file {} (--atlassian-accounts) is not valid: {reason}",
                path.display()
            ),
        })
    })
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
        let atlassian = opts.behaviour.emulation.profile == EmulationProfile::Atlassian;
        let org_seed = atlassian_seed(&opts, atlassian)?;
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
        let directory_id = directory_id(&opts, atlassian, snapshot.as_ref(), org_seed.as_ref())?;
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
        let base_path = scim_base_path(directory_id.as_deref());
        let base_url = format!("http://{addr}{base_path}");
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
        // A data file's organisation stands; otherwise the seed's (or an empty one).
        let mut seeded = false;
        if atlassian && store.org.is_none() {
            match org_seed {
                Some(org_seed) => {
                    store.adopt_seed(org_seed).map_err(|e| {
                        DevServerError::InvalidOptions(format!("--atlassian-accounts: {e}"))
                    })?;
                    seeded = true;
                }
                None => store.org = Some(Org::default()),
            }
        }
        if let Some(size) = opts.synthetic {
            store
                .seed_synthetic(size)
                .map_err(|e| DevServerError::InvalidOptions(format!("--seed-synthetic: {e}")))?;
        }
        if let Some(path) = &opts.data
            && (!loaded || opts.synthetic.is_some() || seeded)
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
        let org_access = atlassian.then(|| OrgAccess {
            admin_token: opts.atlassian.admin_token.clone(),
            scim_base_path: base_path.clone(),
        });
        let app = App::new(
            store,
            opts.token,
            opts.data,
            behaviour,
            base_url.clone(),
            org_access,
        );
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

    /// `http://{addr}/scim/v2`, without a trailing slash; emulating Atlassian,
    /// `http://{addr}/scim/directory/{directory_id}` (where `/scim/v2` is served too).
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
