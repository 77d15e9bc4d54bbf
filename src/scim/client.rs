//! The HTTP client for one SCIM service provider: bearer authentication, SCIM content
//! types, timeouts, retries with backoff (honouring `Retry-After`), a client-side rate
//! limit and a bound on requests in flight, a cap on response size, and error bodies
//! turned into `ScimError`s.
//!
//! It sends the requests it is asked for (one list page, one PATCH, …); paging loops live
//! in `live`, ordering in `apply`. GET/PUT/PATCH/DELETE are retried on connection errors,
//! timeouts, 429 and 502/503/504; a POST is retried only after a lookup shows it did not
//! take effect (`create_unique`). The token is held in a `Token` whose `Debug` is
//! redacted and is marked sensitive in the request headers; it never appears in an error.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};

use super::error::{ScimError, ScimErrorKind};
use super::list_page::{ResourceReader, SlimResource, parse_with};
use super::patch::{PatchOp, patch_body, quote};
use super::profile::Profile;
use super::request_log::{RequestLog, RequestOutcome, RequestRecord, current_change};
use super::resource::{ListPage, ResourceKind, string_attribute};
use super::retry::{Jitter, RetryPolicy, parse_retry_after, retryable_status};

/// The SCIM media type, sent on every request with a body.
pub const SCIM_JSON: &str = "application/scim+json";

/// The most pages a lookup by listing reads, whatever the server says its total is.
const MAX_LOOKUP_PAGES: u64 = 100_000;

/// Responses larger than this are refused rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// A bearer token. Its `Debug` never shows the value, and it has no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The raw value, for the one place that builds the Authorization header and for
    /// redaction checks.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Everything needed to talk to one target.
#[derive(Clone)]
pub struct ClientSettings {
    /// The SCIM base URL, without a trailing slash.
    pub base_url: String,
    pub token: Token,
    /// The environment variable the token came from, named in help texts.
    pub token_env: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub profile: Profile,
    pub retry: RetryPolicy,
    /// Allow `http://` to a host that is not loopback (the token would travel in clear).
    pub allow_insecure_http: bool,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field(
                "base_url",
                &crate::secret::url_without_userinfo(&self.base_url),
            )
            .field("token", &self.token)
            .field("token_env", &self.token_env)
            .field("profile", &self.profile.name)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl ClientSettings {
    pub fn new(base_url: &str, token: Token, token_env: &str) -> ClientSettings {
        ClientSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            token_env: token_env.to_string(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            profile: Profile::generic(),
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
        }
    }
}

/// Counters of what a client has sent, for `-v` and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Of those, retries.
    pub retries: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    /// What the run learned about `count` in lists: [`COUNT_UNKNOWN`], [`COUNT_HONOURED`]
    /// or [`COUNT_REFUSED`].
    count: AtomicU8,
}

/// No list has been answered yet.
const COUNT_UNKNOWN: u8 = 0;
/// A list with `count` was answered: a later failure is a failure, not a refusal of it.
const COUNT_HONOURED: u8 = 1;
/// The server refused a list with `count` and answered one without: pages leave it out
/// and are as long as the server makes them (the pager follows the first page's length).
const COUNT_REFUSED: u8 = 2;

/// A SCIM client for one target. Cheap to clone: clones share the connection pool, the
/// rate limiter, the in-flight bound and the counters.
#[derive(Clone)]
pub struct ScimClient {
    http: reqwest::Client,
    base_url: String,
    token_env: String,
    profile: Arc<Profile>,
    retry: RetryPolicy,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    write_limiter: Option<Arc<DefaultDirectRateLimiter>>,
    in_flight: Arc<Semaphore>,
    counters: Arc<Counters>,
    jitter: Arc<Mutex<Jitter>>,
    /// Told about every attempt (the audit log of an apply).
    log: Option<Arc<dyn RequestLog>>,
}

/// One request to send.
#[derive(Clone, Copy)]
struct Req<'a> {
    method: &'a reqwest::Method,
    /// Path and query, relative to the base URL.
    path: &'a str,
    body: Option<&'a Value>,
    /// `If-Match`.
    if_match: Option<&'a str>,
}

/// A server's answer to a request: its status and JSON body (`None` when empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Option<Value>,
}

/// The outcome of [`ScimClient::create_unique`].
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The status of the POST that created it; `None` when an earlier attempt had taken
    /// effect without an answer and a lookup found the resource.
    pub status: Option<u16>,
    /// The resource as the server shows it (`Null` when the answer had no body).
    pub resource: Value,
    /// How many POSTs were sent.
    pub attempts: u32,
}

/// One list page's body as it arrived, not yet parsed. Fetching and parsing are two
/// steps so that a caller pacing its requests can let the next one go as soon as the
/// bytes are in, without waiting for them to be parsed.
#[derive(Debug)]
pub struct ListBody {
    /// The path and query it was asked for, to name the request in a parse error.
    path: String,
    bytes: Vec<u8>,
}

impl fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClient")
            .field("base_url", &self.base_url)
            .field("profile", &self.profile.name)
            .finish_non_exhaustive()
    }
}

/// Whether a URL's host is this machine (plain http is acceptable there).
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl ScimClient {
    /// A client for `settings`' target. The token becomes a secret of this run
    /// (`crate::secret`): from here on it is redacted from every error and output. A URL
    /// must be `https://` (plain `http://` to loopback, or with `allow_insecure_http`)
    /// and must not carry a `user:password@`.
    pub fn new(settings: &ClientSettings) -> Result<ScimClient, ScimError> {
        crate::secret::register(settings.token.expose());
        // A password in the URL is a secret too; it is refused below, and never shown.
        let has_userinfo = crate::secret::register_url_userinfo(&settings.base_url);
        let shown_url = crate::secret::url_without_userinfo(&settings.base_url);
        let setup = |message: String| {
            ScimError::new(
                "set up the HTTP client",
                &shown_url,
                ScimErrorKind::Setup { message },
            )
        };
        let userinfo = || {
            setup(format!(
                "target URL `{shown_url}` contains a user name or password (`user:password@`): scimform authenticates with the bearer token only; remove it from target.url or SCIMFORM_URL (and change that password if it was ever committed or logged)"
            ))
        };
        if has_userinfo {
            return Err(userinfo());
        }
        let url = reqwest::Url::parse(&settings.base_url)
            .map_err(|e| setup(format!("target URL `{shown_url}` is not valid: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(userinfo());
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = is_loopback(&url);
                if !loopback && !settings.allow_insecure_http {
                    return Err(setup(format!(
                        "refusing to send the bearer token over plain http to {}: use an https:// URL (or pass --allow-insecure-http for a test server you control)",
                        url.host_str().unwrap_or("the target")
                    )));
                }
            }
            _ => {
                return Err(setup(format!(
                    "target URL `{shown_url}` must start with https://"
                )));
            }
        }
        // reqwest is built without a default crypto provider; install ring once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", settings.token.expose()))
            .map_err(|_| {
                setup(format!(
                    "the token in {} contains characters that cannot be sent in an HTTP header",
                    settings.token_env
                ))
            })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/scim+json, application/json"),
        );
        let http = reqwest::Client::builder()
            .user_agent(concat!("scimform/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            // A SCIM API does not redirect; following one could carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| setup(format!("cannot set up the HTTP client: {e}")))?;
        let profile = &settings.profile;
        let per_minute = |rate: u32| {
            std::num::NonZeroU32::new(rate)
                .map(|rate| Arc::new(RateLimiter::direct(Quota::per_minute(rate))))
        };
        let limiter = per_minute(profile.requests_per_minute);
        let write_limiter = per_minute(profile.writes_per_minute);
        Ok(ScimClient {
            http,
            base_url: settings.base_url.clone(),
            token_env: settings.token_env.clone(),
            profile: Arc::new(profile.clone()),
            retry: settings.retry,
            limiter,
            write_limiter,
            in_flight: Arc::new(Semaphore::new(profile.concurrency.max(1) as usize)),
            counters: Arc::new(Counters::default()),
            jitter: Arc::new(Mutex::new(Jitter::from_entropy())),
            log: None,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn stats(&self) -> ClientStats {
        ClientStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
        }
    }

    /// One page of a list: `GET /Users?startIndex=S&count=C` plus extra query parameters
    /// (already encoded, e.g. `excludedAttributes=members`).
    pub async fn list_page(
        &self,
        kind: ResourceKind,
        start_index: u64,
        count: u64,
        extra: &str,
    ) -> Result<ListPage, ScimError> {
        self.list_page_with(kind, start_index, count, extra, &SlimResource)
            .await
    }

    /// [`list_page`](Self::list_page), each resource read by `reader` as the body is
    /// parsed.
    pub async fn list_page_with<R: ResourceReader + Sync>(
        &self,
        kind: ResourceKind,
        start_index: u64,
        count: u64,
        extra: &str,
        reader: &R,
    ) -> Result<ListPage<R::Item>, ScimError> {
        let body = self.list_page_body(kind, start_index, count, extra).await?;
        self.parse_list(&body, reader)
    }

    /// The body of one page of a list, as [`list_page_with`](Self::list_page_with) asks
    /// for it, not yet parsed ([`parse_list`](Self::parse_list) does that).
    pub async fn list_page_body(
        &self,
        kind: ResourceKind,
        start_index: u64,
        count: u64,
        extra: &str,
    ) -> Result<ListBody, ScimError> {
        let path = |count: Option<u64>| {
            format!(
                "{}?startIndex={start_index}{}{}",
                kind.endpoint(),
                count_suffix(count),
                query_suffix(extra)
            )
        };
        self.fetch_counted_list(path, count).await
    }

    /// A list page asked for with `count`, or without it once the server has refused it.
    /// Only the run's first list can teach that: a server that refuses `count` (RFC 7644
    /// §3.4.2.4 makes it optional for clients, not for servers, yet some answer 400 or 500
    /// to any value) is asked again without it, and every later page leaves it out. Once
    /// a list with `count` was answered, an error is an error.
    async fn fetch_counted_list(
        &self,
        path: impl Fn(Option<u64>) -> String,
        count: u64,
    ) -> Result<ListBody, ScimError> {
        if self.counters.count.load(Ordering::Relaxed) == COUNT_REFUSED {
            return self.fetch_list(path(None)).await;
        }
        match self.fetch_list(path(Some(count))).await {
            Ok(body) => {
                let _ = self.counters.count.compare_exchange(
                    COUNT_UNKNOWN,
                    COUNT_HONOURED,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                Ok(body)
            }
            Err(error)
                if matches!(error.status(), Some(400 | 500 | 501))
                    && self.counters.count.load(Ordering::Relaxed) != COUNT_HONOURED =>
            {
                let body = self.fetch_list(path(None)).await.map_err(|_| error)?;
                self.counters.count.store(COUNT_REFUSED, Ordering::Relaxed);
                Ok(body)
            }
            Err(error) => Err(error),
        }
    }

    /// Whether the server refused `count` in lists and pages are read without it.
    pub fn count_refused(&self) -> bool {
        self.counters.count.load(Ordering::Relaxed) == COUNT_REFUSED
    }

    /// A list page's body parsed, each resource read by `reader`.
    pub fn parse_list<R: ResourceReader>(
        &self,
        body: &ListBody,
        reader: &R,
    ) -> Result<ListPage<R::Item>, ScimError> {
        parse_with(&body.bytes, reader)
            .map_err(|message| self.invalid(&format!("GET {}", body.path), &message))
    }

    /// One page of a cursor-paged list: `GET /Users?count=C[&cursor=X]`, each resource
    /// read by `reader`.
    pub async fn list_cursor_page_with<R: ResourceReader + Sync>(
        &self,
        kind: ResourceKind,
        cursor: Option<&str>,
        count: u64,
        extra: &str,
        reader: &R,
    ) -> Result<ListPage<R::Item>, ScimError> {
        let cursor = cursor.map(|c| format!("cursor={}", encode_query(c)));
        let path = |count: Option<u64>| {
            let query: Vec<String> = [count.map(|c| format!("count={c}")), cursor.clone()]
                .into_iter()
                .flatten()
                .chain((!extra.is_empty()).then(|| extra.to_string()))
                .collect();
            if query.is_empty() {
                kind.endpoint().to_string()
            } else {
                format!("{}?{}", kind.endpoint(), query.join("&"))
            }
        };
        let body = self.fetch_counted_list(path, count).await?;
        self.parse_list(&body, reader)
    }

    async fn get_list<R: ResourceReader + Sync>(
        &self,
        path: String,
        reader: &R,
    ) -> Result<ListPage<R::Item>, ScimError> {
        let body = self.fetch_list(path).await?;
        self.parse_list(&body, reader)
    }

    async fn fetch_list(&self, path: String) -> Result<ListBody, ScimError> {
        let (_, bytes) = self
            .send_raw(Req {
                method: &reqwest::Method::GET,
                path: &path,
                body: None,
                if_match: None,
            })
            .await?;
        Ok(ListBody { path, bytes })
    }

    /// `GET /Users?filter=ATTR eq "VALUE"`: the resources whose `attribute` really equals
    /// `value` (case-insensitively). The filter's answer is checked client-side, since some
    /// servers ignore filters and return everything. First page only: the filters used
    /// here match at most one resource.
    pub async fn find(
        &self,
        kind: ResourceKind,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, ScimError> {
        let filter = format!("{attribute} eq {}", quote(value));
        let path = format!("{}?filter={}", kind.endpoint(), encode_query(&filter));
        let page = self.get_list(path, &SlimResource).await?;
        Ok(page
            .resources
            .into_iter()
            .filter(|r| {
                string_attribute(r, attribute).is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
            .collect())
    }

    /// [`find`](Self::find), falling back to listing every resource and matching
    /// client-side when the filter finds nothing: some servers compare `eq`
    /// case-sensitively or do not filter at all. For the rare lookups after a create.
    pub async fn find_thoroughly(
        &self,
        kind: ResourceKind,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, ScimError> {
        let found = self.find(kind, attribute, value).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        let page_size = u64::from(self.profile.max_page_size);
        let mut matches = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut start = 1;
        let mut pages: u64 = 0;
        loop {
            let page = self.list_page(kind, start, page_size, "").await?;
            pages += 1;
            let received = page.resources.len() as u64;
            let total = page.total_results.unwrap_or(0);
            // A server that ignores startIndex sends the same page again: stop there
            // rather than page forever.
            let mut new = 0;
            for resource in page.resources {
                let id = string_attribute(&resource, "id")
                    .unwrap_or_default()
                    .to_string();
                if !seen.insert(id) {
                    continue;
                }
                new += 1;
                if string_attribute(&resource, attribute)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
                {
                    matches.push(resource);
                }
            }
            start += received;
            let bound = total / page_size.max(1) + 2;
            if received == 0 || new == 0 || start > total || pages >= bound.min(MAX_LOOKUP_PAGES) {
                return Ok(matches);
            }
        }
    }

    /// `GET /Users/{id}`.
    pub async fn get(&self, kind: ResourceKind, id: &str) -> Result<Value, ScimError> {
        let path = self.resource_path(kind, id)?;
        self.send(reqwest::Method::GET, &path, None)
            .await?
            .ok_or_else(|| self.invalid(&format!("GET {path}"), "the response has no body"))
    }

    /// A read of another JSON API on the same client (retried like every read; a POST
    /// here must be a query, such as a search): the status and JSON body.
    pub async fn read_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, ScimError> {
        self.send_answer(Req {
            method: &method,
            path,
            body,
            if_match: None,
        })
        .await
    }

    /// `POST /Users`, once: the created resource as the server shows it (`Null` when the
    /// server answered without a body).
    pub async fn create(&self, kind: ResourceKind, body: &Value) -> Result<Answer, ScimError> {
        self.create_attempt(kind, body, 1).await
    }

    async fn create_attempt(
        &self,
        kind: ResourceKind,
        body: &Value,
        attempt: u32,
    ) -> Result<Answer, ScimError> {
        let req = Req {
            method: &reqwest::Method::POST,
            path: kind.endpoint(),
            body: Some(body),
            if_match: None,
        };
        self.send_once(req, attempt).await
    }

    /// `POST /Users` made safe to retry: after a failure that may or may not have taken
    /// effect (connection lost, timeout, 5xx), look the resource up by `key` (`userName`
    /// or `displayName`) and return it if it is there; POST again only when it is not. A
    /// 429 means the request was not processed and is retried directly.
    pub async fn create_unique(
        &self,
        kind: ResourceKind,
        body: &Value,
        key: &str,
    ) -> Result<Created, ScimError> {
        let value = string_attribute(body, key).unwrap_or_default().to_string();
        let started = Instant::now();
        let mut attempt = 1;
        let found = |resource: Value, attempts: u32| Created {
            status: None,
            resource,
            attempts,
        };
        loop {
            let error = match self.create_attempt(kind, body, attempt).await {
                Ok(answer) => {
                    return Ok(Created {
                        status: Some(answer.status),
                        resource: answer.body.unwrap_or(Value::Null),
                        attempts: attempt,
                    });
                }
                Err(error) => error,
            };
            // After an ambiguous attempt, "already exists" means the first one took.
            if attempt > 1 && error.scim_type() == Some("uniqueness") {
                if let Some(resource) = self
                    .find_thoroughly(kind, key, &value)
                    .await?
                    .into_iter()
                    .next()
                {
                    return Ok(found(resource, attempt));
                }
                return Err(error);
            }
            let retry_after = error.retry_after;
            let ambiguous = match &error.kind {
                ScimErrorKind::Transport { .. } => true,
                ScimErrorKind::Status { status, .. } if *status == 429 => false,
                ScimErrorKind::Status { status, .. }
                    if retryable_status(*status) || *status == 500 =>
                {
                    true
                }
                _ => return Err(error),
            };
            let Some(wait) = self.next_delay(attempt, started, retry_after).await else {
                return Err(error);
            };
            tokio::time::sleep(wait).await;
            if ambiguous
                && let Some(resource) = self.find(kind, key, &value).await?.into_iter().next()
            {
                return Ok(found(resource, attempt));
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            attempt += 1;
        }
    }

    /// `PATCH /Groups/{id}`: the resource the server answers with, or `None` for a 204 or
    /// an empty body.
    pub async fn patch(
        &self,
        kind: ResourceKind,
        id: &str,
        operations: &[PatchOp],
    ) -> Result<Answer, ScimError> {
        self.patch_if(kind, id, operations, None).await
    }

    /// [`patch`](Self::patch) with `If-Match: ETAG` when `if_match` is given (a changed
    /// resource is then answered 412).
    pub async fn patch_if(
        &self,
        kind: ResourceKind,
        id: &str,
        operations: &[PatchOp],
        if_match: Option<&str>,
    ) -> Result<Answer, ScimError> {
        let path = self.resource_path(kind, id)?;
        let body = patch_body(operations);
        self.send_answer(Req {
            method: &reqwest::Method::PATCH,
            path: &path,
            body: Some(&body),
            if_match,
        })
        .await
    }

    /// `PUT /Users/{id}`: replace the whole resource (RFC 7644 §3.5.1), with `If-Match`
    /// when given.
    pub async fn put(
        &self,
        kind: ResourceKind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Answer, ScimError> {
        let path = self.resource_path(kind, id)?;
        self.send_answer(Req {
            method: &reqwest::Method::PUT,
            path: &path,
            body: Some(body),
            if_match,
        })
        .await
    }

    /// `DELETE /Users/{id}`: the status of the answer.
    pub async fn delete(&self, kind: ResourceKind, id: &str) -> Result<u16, ScimError> {
        self.delete_if(kind, id, None).await
    }

    /// [`delete`](Self::delete) with `If-Match` when given.
    pub async fn delete_if(
        &self,
        kind: ResourceKind,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<u16, ScimError> {
        let path = self.resource_path(kind, id)?;
        self.send_answer(Req {
            method: &reqwest::Method::DELETE,
            path: &path,
            body: None,
            if_match,
        })
        .await
        .map(|answer| answer.status)
    }

    /// The same client with `concurrency` requests in flight at most (overriding the
    /// profile's; clones made after this share the new bound).
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: u32) -> ScimClient {
        let concurrency = concurrency.max(1);
        let mut profile = (*self.profile).clone();
        profile.concurrency = concurrency;
        self.profile = Arc::new(profile);
        self.in_flight = Arc::new(Semaphore::new(concurrency as usize));
        self
    }

    /// The same client, telling `log` about every request attempt (clones made after
    /// this share it).
    #[must_use]
    pub fn with_request_log(mut self, log: Arc<dyn RequestLog>) -> ScimClient {
        self.log = Some(log);
        self
    }

    /// `GET /ServiceProviderConfig`, for discovery.
    pub async fn service_provider_config(&self) -> Result<Value, ScimError> {
        self.send(reqwest::Method::GET, "/ServiceProviderConfig", None)
            .await
            .map(|body| body.unwrap_or(Value::Null))
    }

    /// An idempotent request, retried per the policy; its JSON body.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ScimError> {
        self.read_json(method, path, body).await.map(|a| a.body)
    }

    /// An idempotent request, retried per the policy; the status and JSON body.
    async fn send_answer(&self, req: Req<'_>) -> Result<Answer, ScimError> {
        let request = format!("{} {}", req.method, req.path);
        let (status, bytes) = self.send_raw(req).await?;
        Ok(Answer {
            status,
            body: self.parse_json(&request, &bytes)?,
        })
    }

    /// An idempotent request, retried per the policy (a GET also after a 500, which a
    /// read cannot have made worse); the status and raw body of the answer.
    async fn send_raw(&self, req: Req<'_>) -> Result<(u16, Vec<u8>), ScimError> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let error = match self.attempt(req, attempt).await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            let retryable = match &error.kind {
                ScimErrorKind::Transport { .. } => true,
                ScimErrorKind::Status { status, .. } => {
                    retryable_status(*status)
                        || (*status == 500 && *req.method == reqwest::Method::GET)
                }
                _ => false,
            };
            if !retryable {
                return Err(error.after_attempts(attempt));
            }
            let Some(wait) = self.next_delay(attempt, started, error.retry_after).await else {
                return Err(error.after_attempts(attempt));
            };
            tokio::time::sleep(wait).await;
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            attempt += 1;
        }
    }

    async fn next_delay(
        &self,
        attempt: u32,
        started: Instant,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let mut jitter = self.jitter.lock().await;
        self.retry
            .delay(attempt, started.elapsed(), retry_after, &mut jitter)
    }

    /// One request, not retried: the parsed JSON body of a 2xx answer (`None` when it
    /// is empty), or the error the server or the network gave.
    async fn send_once(&self, req: Req<'_>, attempt: u32) -> Result<Answer, ScimError> {
        let request = format!("{} {}", req.method, req.path);
        let (status, bytes) = self.attempt(req, attempt).await?;
        Ok(Answer {
            status,
            body: self.parse_json(&request, &bytes)?,
        })
    }

    /// One attempt, told to the request log.
    async fn attempt(&self, req: Req<'_>, attempt: u32) -> Result<(u16, Vec<u8>), ScimError> {
        let time = SystemTime::now();
        let started = Instant::now();
        let result = self.send_once_raw(req).await;
        if let Some(log) = &self.log {
            let (status, outcome) = match &result {
                Ok((status, _)) => (Some(*status), RequestOutcome::Ok),
                Err(error) => match &error.kind {
                    ScimErrorKind::Status { status, .. } => (Some(*status), RequestOutcome::Status),
                    ScimErrorKind::Transport { timeout: true, .. } => {
                        (None, RequestOutcome::Timeout)
                    }
                    ScimErrorKind::Transport { .. } => (None, RequestOutcome::Transport),
                    _ => (None, RequestOutcome::Invalid),
                },
            };
            log.record(&RequestRecord {
                time,
                change: current_change(),
                method: req.method.to_string(),
                path: req.path.to_string(),
                status,
                attempt,
                duration: started.elapsed(),
                outcome,
            });
        }
        result
    }

    fn parse_json(&self, request: &str, bytes: &[u8]) -> Result<Option<Value>, ScimError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| self.invalid(request, &format!("the body is not JSON: {e}")))
    }

    /// One request: the body of a 2xx answer, or the error the server or the network
    /// gave.
    async fn send_once_raw(&self, req: Req<'_>) -> Result<(u16, Vec<u8>), ScimError> {
        let Req {
            method,
            path,
            body,
            if_match,
        } = req;
        let request = format!("{method} {path}");
        let url = format!("{}{path}", self.base_url);
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| self.invalid(&request, "the client was shut down"))?;
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        if *method != reqwest::Method::GET
            && let Some(limiter) = &self.write_limiter
        {
            limiter.until_ready().await;
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut builder = self.http.request(method.clone(), &url);
        if let Some(etag) = if_match {
            builder = builder.header(reqwest::header::IF_MATCH, etag);
        }
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).unwrap_or_default();
            builder = builder.header(CONTENT_TYPE, SCIM_JSON).body(bytes);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| self.transport(&request, e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let announced = response.content_length().unwrap_or(0);
        if announced > MAX_RESPONSE_BYTES as u64 {
            return Err(self.too_large(&request));
        }
        // Sized once from Content-Length where it is given: a page of megabytes grown by
        // doubling would briefly hold twice its size.
        let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(&request, e))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(self.too_large(&request));
            }
            bytes.extend_from_slice(&chunk);
        }
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("elsewhere")
                .to_string();
            return Err(self.invalid(
                &request,
                &format!(
                    "the server redirected (HTTP {status}) to {location}; set target.url to the final SCIM base URL"
                ),
            ));
        }
        if !(200..300).contains(&status) {
            let mut error = ScimError::from_response(
                request,
                self.base_url.clone(),
                status,
                &bytes,
                self.token_env.clone(),
            );
            error.retry_after = retry_after;
            return Err(error);
        }
        Ok((status, bytes))
    }

    fn transport(&self, request: &str, error: reqwest::Error) -> ScimError {
        // The request is already named by method and path; drop reqwest's URL.
        let timeout = error.is_timeout();
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        ScimError::new(
            request,
            &self.base_url,
            ScimErrorKind::Transport { message, timeout },
        )
    }

    fn too_large(&self, request: &str) -> ScimError {
        self.invalid(
            request,
            &format!("the response is larger than {MAX_RESPONSE_BYTES} bytes"),
        )
    }

    /// `/Users/{id}`, refusing an id that would change the request path (`..`, `/`, …):
    /// ids come from server answers, and the read already refuses such ids in lists, but
    /// an id from a POST answer or a lookup reaches here unchecked otherwise.
    fn resource_path(&self, kind: ResourceKind, id: &str) -> Result<String, ScimError> {
        match super::ScimId::path_problem(id) {
            None => Ok(format!("{}/{}", kind.endpoint(), encode_query(id))),
            Some(why) => Err(self.invalid(
                &format!(
                    "{} {}",
                    kind.endpoint(),
                    crate::render::text::safe_short(id)
                ),
                &format!(
                    "the server gave the id \"{}\", which cannot be used in a request path: {why}",
                    crate::render::text::safe_short(id)
                ),
            )),
        }
    }

    fn invalid(&self, request: &str, message: &str) -> ScimError {
        ScimError::new(
            request,
            &self.base_url,
            ScimErrorKind::InvalidResponse {
                message: message.to_string(),
            },
        )
    }
}

/// `&count=C`, or nothing.
fn count_suffix(count: Option<u64>) -> String {
    count.map(|c| format!("&count={c}")).unwrap_or_default()
}

fn query_suffix(extra: &str) -> String {
    if extra.is_empty() {
        String::new()
    } else {
        format!("&{extra}")
    }
}

/// Percent-encode a query parameter value or a path segment.
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let token = Token::new("s3cr3t-value");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
        let settings = ClientSettings::new("https://x/scim", token, "T");
        assert!(!format!("{settings:?}").contains("s3cr3t"));
        let client = ScimClient::new(&settings).expect("client");
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }

    #[test]
    fn filters_are_percent_encoded() {
        assert_eq!(
            encode_query(r#"userName eq "a+b@x.test""#),
            "userName%20eq%20%22a%2Bb%40x.test%22"
        );
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        let settings = |url: &str| ClientSettings::new(url, Token::new("t"), "T");
        let error = ScimClient::new(&settings("http://scim.example.com/v2")).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("refusing to send the bearer token over plain http")
        );
        for url in [
            "http://127.0.0.1:8080/v2",
            "http://localhost/v2",
            "http://[::1]:9/v2",
        ] {
            assert!(ScimClient::new(&settings(url)).is_ok(), "{url}");
        }
        let mut insecure = settings("http://scim.example.com/v2");
        insecure.allow_insecure_http = true;
        assert!(ScimClient::new(&insecure).is_ok());
    }
}
