//! The HTTP client for one SCIM service provider: bearer authentication, SCIM content
//! types, timeouts, list pages, create, PATCH, GET and DELETE, and error bodies turned
//! into `ScimError`s.
//!
//! It sends exactly the requests it is asked for; paging loops live in `live`, and
//! ordering in `apply`. The token is held in a `Token` whose `Debug` is redacted and is
//! marked sensitive in the request headers; it never appears in an error.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

use super::error::{ScimError, ScimErrorKind};
use super::patch::{PatchOp, patch_body};
use super::resource::{ListPage, ResourceKind};

/// The SCIM media type, sent on every request with a body.
pub const SCIM_JSON: &str = "application/scim+json";

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
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The SCIM base URL, without a trailing slash.
    pub base_url: String,
    pub token: Token,
    /// The environment variable the token came from, named in help texts.
    pub token_env: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl ClientSettings {
    pub fn new(base_url: &str, token: Token, token_env: &str) -> ClientSettings {
        ClientSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
            token_env: token_env.to_string(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A SCIM client for one target.
#[derive(Debug, Clone)]
pub struct ScimClient {
    http: reqwest::Client,
    base_url: String,
    token_env: String,
}

impl ScimClient {
    pub fn new(settings: &ClientSettings) -> Result<ScimClient, ScimError> {
        let setup = |message: String| ScimError {
            request: "set up the HTTP client".to_string(),
            target: settings.base_url.clone(),
            kind: ScimErrorKind::Setup { message },
        };
        let url = reqwest::Url::parse(&settings.base_url).map_err(|e| {
            setup(format!(
                "target URL `{}` is not valid: {e}",
                settings.base_url
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(setup(format!(
                "target URL `{}` must start with https://",
                settings.base_url
            )));
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
            .build()
            .map_err(|e| setup(format!("cannot set up the HTTP client: {e}")))?;
        Ok(ScimClient {
            http,
            base_url: settings.base_url.clone(),
            token_env: settings.token_env.clone(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// One page of a list: `GET /Users?startIndex=S&count=C`.
    pub async fn list_page(
        &self,
        kind: ResourceKind,
        start_index: u64,
        count: u64,
    ) -> Result<ListPage, ScimError> {
        let path = format!("{}?startIndex={start_index}&count={count}", kind.endpoint());
        let body = self.send(reqwest::Method::GET, &path, None).await?;
        let request = format!("GET {path}");
        ListPage::from_json(body.unwrap_or(Value::Null)).map_err(|message| ScimError {
            request,
            target: self.base_url.clone(),
            kind: ScimErrorKind::InvalidResponse { message },
        })
    }

    /// `GET /Users?filter=…`: the resources a filter matches (first page only; filters
    /// used here match at most one resource).
    pub async fn find(
        &self,
        kind: ResourceKind,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, ScimError> {
        let filter = format!("{attribute} eq {}", super::patch::quote(value));
        let path = format!("{}?filter={}", kind.endpoint(), encode_query(&filter));
        let body = self.send(reqwest::Method::GET, &path, None).await?;
        let page =
            ListPage::from_json(body.unwrap_or(Value::Null)).map_err(|message| ScimError {
                request: format!("GET {path}"),
                target: self.base_url.clone(),
                kind: ScimErrorKind::InvalidResponse { message },
            })?;
        Ok(page.resources)
    }

    /// `GET /Users/{id}`.
    pub async fn get(&self, kind: ResourceKind, id: &str) -> Result<Value, ScimError> {
        let path = format!("{}/{}", kind.endpoint(), encode_segment(id));
        self.send(reqwest::Method::GET, &path, None)
            .await?
            .ok_or_else(|| self.invalid(&format!("GET {path}"), "the response has no body"))
    }

    /// `POST /Users`: create, returning the created resource as the server shows it.
    pub async fn create(&self, kind: ResourceKind, body: &Value) -> Result<Value, ScimError> {
        self.send(reqwest::Method::POST, kind.endpoint(), Some(body))
            .await
            .map(|body| body.unwrap_or(Value::Null))
    }

    /// `PATCH /Groups/{id}`: the resource the server answers with, or `None` for a 204 or
    /// an empty body.
    pub async fn patch(
        &self,
        kind: ResourceKind,
        id: &str,
        operations: &[PatchOp],
    ) -> Result<Option<Value>, ScimError> {
        let path = format!("{}/{}", kind.endpoint(), encode_segment(id));
        let body = patch_body(operations);
        self.send(reqwest::Method::PATCH, &path, Some(&body)).await
    }

    /// `DELETE /Users/{id}`.
    pub async fn delete(&self, kind: ResourceKind, id: &str) -> Result<(), ScimError> {
        let path = format!("{}/{}", kind.endpoint(), encode_segment(id));
        self.send(reqwest::Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    /// One request: the parsed JSON body of a 2xx answer (`None` when it is empty), or
    /// the error the server or the network gave.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ScimError> {
        let request = format!("{method} {path}");
        let url = format!("{}{path}", self.base_url);
        let mut builder = self.http.request(method, &url);
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).unwrap_or_default();
            builder = builder.header(CONTENT_TYPE, SCIM_JSON).body(bytes);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| self.transport(&request, e))?;
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
        {
            return Err(self.invalid(
                &request,
                &format!("the response is larger than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport(&request, e))?;
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(self.invalid(
                &request,
                &format!("the response is larger than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        if !(200..300).contains(&status) {
            return Err(ScimError::from_response(
                request,
                self.base_url.clone(),
                status,
                &bytes,
                self.token_env.clone(),
            ));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| self.invalid(&request, &format!("the body is not JSON: {e}")))
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
        ScimError {
            request: request.to_string(),
            target: self.base_url.clone(),
            kind: ScimErrorKind::Transport { message, timeout },
        }
    }

    fn invalid(&self, request: &str, message: &str) -> ScimError {
        ScimError {
            request: request.to_string(),
            target: self.base_url.clone(),
            kind: ScimErrorKind::InvalidResponse {
                message: message.to_string(),
            },
        }
    }
}

/// Percent-encode a query parameter value.
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encode one path segment (an id).
fn encode_segment(value: &str) -> String {
    encode_query(value)
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
    }

    #[test]
    fn filters_are_percent_encoded() {
        assert_eq!(
            encode_query(r#"userName eq "a+b@x.test""#),
            "userName%20eq%20%22a%2Bb%40x.test%22"
        );
    }
}
