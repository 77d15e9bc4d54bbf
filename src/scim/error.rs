//! Errors of the SCIM protocol layer: what request failed, the HTTP status, the SCIM
//! `scimType` and `detail` the server gave, and what the user can do about it.
//!
//! Errors never carry the bearer token: requests are described by method and path only,
//! transport errors are reduced to their message without headers, and every text in an
//! error — above all what the server sent (`detail`, `scimType`, an HTML page) — is
//! redacted of the run's secrets (`crate::secret`) twice: when the error is built, so
//! that its fields and `Debug` are clean, and again when it is displayed, for a secret
//! registered later or a field set by hand.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use miette::Diagnostic;
use serde_json::Value;

use crate::secret;

/// A failed SCIM request, or a response that cannot be used.
#[derive(Debug)]
pub struct ScimError {
    /// `GET /Users?startIndex=1&count=100`, `PATCH /Groups/abc`, …
    pub request: String,
    /// The base URL of the target, for the help text.
    pub target: String,
    pub kind: ScimErrorKind,
    /// The server's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
    /// How many times the request was sent before giving up (1: not retried).
    pub attempts: u32,
}

#[derive(Debug)]
pub enum ScimErrorKind {
    /// The server answered with an error status.
    Status {
        status: u16,
        scim_type: Option<String>,
        detail: Option<String>,
        /// The environment variable the token came from (for 401/403 help).
        token_env: String,
    },
    /// The request did not reach the server or no answer came back.
    Transport { message: String, timeout: bool },
    /// The server answered 2xx with a body that is not what SCIM specifies.
    InvalidResponse { message: String },
    /// The client could not be set up (bad URL, TLS setup).
    Setup { message: String },
}

/// `text` redacted of the registered secrets, owned.
fn clean(text: &str) -> String {
    secret::redact(text).into_owned()
}

/// [`clean`], keeping `text` when there is nothing to redact.
fn clean_owned(text: String) -> String {
    if let Cow::Owned(clean) = secret::redact(&text) {
        return clean;
    }
    text
}

impl ScimErrorKind {
    /// The same kind with every text in it redacted of the registered secrets.
    fn redacted(self) -> ScimErrorKind {
        match self {
            ScimErrorKind::Status {
                status,
                scim_type,
                detail,
                token_env,
            } => ScimErrorKind::Status {
                status,
                scim_type: scim_type.as_deref().map(clean),
                detail: detail.as_deref().map(clean),
                token_env,
            },
            ScimErrorKind::Transport { message, timeout } => ScimErrorKind::Transport {
                message: clean(&message),
                timeout,
            },
            ScimErrorKind::InvalidResponse { message } => ScimErrorKind::InvalidResponse {
                message: clean(&message),
            },
            ScimErrorKind::Setup { message } => ScimErrorKind::Setup {
                message: clean(&message),
            },
        }
    }
}

impl ScimError {
    /// An error; its texts are redacted of the registered secrets, and the target URL
    /// never shows a `user:password@`.
    pub fn new(request: &str, target: &str, kind: ScimErrorKind) -> ScimError {
        ScimError::built(request.to_string(), target.to_string(), kind)
    }

    fn built(request: String, target: String, kind: ScimErrorKind) -> ScimError {
        let target = match secret::url_without_userinfo(&target) {
            Cow::Owned(shown) => shown,
            Cow::Borrowed(_) => target,
        };
        ScimError {
            request: clean_owned(request),
            target: clean_owned(target),
            kind: kind.redacted(),
            retry_after: None,
            attempts: 1,
        }
    }

    /// The same error, noting that it is the last of `attempts` tries.
    #[must_use]
    pub fn after_attempts(mut self, attempts: u32) -> ScimError {
        self.attempts = attempts;
        self
    }

    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ScimErrorKind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn scim_type(&self) -> Option<&str> {
        match &self.kind {
            ScimErrorKind::Status { scim_type, .. } => scim_type.as_deref(),
            _ => None,
        }
    }

    /// Build a status error from an error response body, reading it leniently: `status`
    /// may be a string or a number, keys may differ in case, the body may not be JSON.
    /// What the server wrote is redacted of the registered secrets (the client registers
    /// its token before it sends anything) before it is kept or cut short.
    pub fn from_response(
        request: String,
        target: String,
        status: u16,
        body: &[u8],
        token_env: String,
    ) -> ScimError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(Value::as_object)
                .and_then(|o| {
                    o.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v)
                })
                .and_then(|v| match v {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
        };
        // SCIM's `detail`; other JSON APIs on the same host (Atlassian's organisation API
        // says `errorDetail`) name it otherwise.
        let detail = field("detail")
            .or_else(|| field("errorDetail"))
            .or_else(|| field("message"))
            .or_else(|| {
                // Not a SCIM error body: show the start of whatever text came back — redacted
                // before it is cut, so that a secret across the cut is not half shown.
                let text = String::from_utf8_lossy(body);
                let text = secret::redact(text.trim());
                (!text.is_empty() && json.is_none()).then(|| truncate(&text, 200))
            });
        ScimError::built(
            request,
            target,
            ScimErrorKind::Status {
                status,
                scim_type: field("scimType"),
                detail,
                token_env,
            },
        )
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_unredacted(&mut text)?;
        f.write_str(&secret::redact(&text))
    }
}

impl ScimError {
    /// The message before the display-time redaction.
    fn write_unredacted(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match &self.kind {
            ScimErrorKind::Status {
                status,
                scim_type,
                detail,
                ..
            } => {
                write!(f, "{} failed: HTTP {status}", self.request)?;
                if let Some(reason) = reason_phrase(*status) {
                    write!(f, " {reason}")?;
                }
                if let Some(scim_type) = scim_type {
                    write!(f, " (scimType: {scim_type})")?;
                }
                if let Some(detail) = detail {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            ScimErrorKind::Transport { message, .. } => {
                write!(f, "{} failed: {message}", self.request)
            }
            ScimErrorKind::InvalidResponse { message } => {
                write!(
                    f,
                    "{} returned an unusable response: {message}",
                    self.request
                )
            }
            ScimErrorKind::Setup { message } => f.write_str(message),
        }?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScimError {}

impl Diagnostic for ScimError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match &self.kind {
            ScimErrorKind::Status { .. } => "scim::status",
            ScimErrorKind::Transport { .. } => "scim::transport",
            ScimErrorKind::InvalidResponse { .. } => "scim::invalid_response",
            ScimErrorKind::Setup { .. } => "scim::setup",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            secret::redact(&self.unredacted_help()).into_owned(),
        ))
    }
}

impl ScimError {
    fn unredacted_help(&self) -> String {
        let target = &self.target;
        match &self.kind {
            ScimErrorKind::Status {
                status: 401,
                token_env,
                ..
            } => format!(
                "the server at {target} did not accept the bearer token: check that {token_env} holds a current SCIM token for this directory (tokens are often revoked when regenerated)"
            ),
            ScimErrorKind::Status {
                status: 403,
                token_env,
                ..
            } => format!(
                "the token in {token_env} is valid but may not do this: check the SCIM token's scopes or the provisioning app's permissions at {target}"
            ),
            ScimErrorKind::Status { status: 404, .. } => format!(
                "check target.url ({target}): it must be the SCIM base URL that `/Users` and `/Groups` hang off"
            ),
            ScimErrorKind::Status {
                status: 409, ..
            } => "the resource already exists at the server: run `scimform plan` again to see the directory as it is now".to_string(),
            ScimErrorKind::Status { status: 429, .. } => {
                "the server is rate-limiting requests: wait a few minutes and run again".to_string()
            }
            ScimErrorKind::Status { status, .. } if *status >= 500 => {
                "the server failed: run again later; if it persists, contact the provider".to_string()
            }
            ScimErrorKind::Status { .. } => {
                "the server rejected the request: the detail above says why".to_string()
            }
            ScimErrorKind::Transport { timeout: true, .. } => format!(
                "{target} did not answer in time: check the URL and the network, then run again"
            ),
            ScimErrorKind::Transport { .. } => format!(
                "check that target.url ({target}) is right and that the server is reachable"
            ),
            ScimErrorKind::InvalidResponse { .. } => format!(
                "check that {target} is a SCIM 2.0 endpoint; if it is, report this response shape to the scimform maintainers"
            ),
            ScimErrorKind::Setup { .. } => {
                "check target.url in scimform.yaml or SCIMFORM_URL".to_string()
            }
        }
    }
}

fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_scim_error_body_leniently() {
        let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"Status":409,"scimType":"uniqueness","detail":"userName taken"}"#;
        let error = ScimError::from_response(
            "POST /Users".into(),
            "http://x".into(),
            409,
            body,
            "SCIMFORM_TOKEN".into(),
        );
        assert_eq!(
            error.to_string(),
            "POST /Users failed: HTTP 409 Conflict (scimType: uniqueness): userName taken"
        );
    }

    #[test]
    fn shows_a_non_json_body() {
        let error = ScimError::from_response(
            "GET /Users".into(),
            "http://x".into(),
            502,
            b"<html>bad gateway</html>",
            "T".into(),
        );
        assert!(
            error
                .to_string()
                .ends_with("HTTP 502 Bad Gateway: <html>bad gateway</html>")
        );
    }

    #[test]
    fn a_registered_secret_is_redacted_wherever_the_server_puts_it() {
        let token = "error-rs-secret-4c2a/+=";
        crate::secret::register(token);
        let json = format!(
            r#"{{"scimType":"{token}","detail":"Authorization: Bearer {}"}}"#,
            token.replace('/', "\\/")
        );
        let html = format!("{}{token}<br>{token}", "x".repeat(185));
        for body in [json.as_bytes(), html.as_bytes()] {
            let error = ScimError::from_response(
                "GET /Users".into(),
                "http://x".into(),
                401,
                body,
                "SCIMFORM_TOKEN".into(),
            );
            for shown in [
                error.to_string(),
                format!("{error:?}"),
                error.help().map(|h| h.to_string()).unwrap_or_default(),
            ] {
                assert!(!shown.contains("error-rs-secret"), "{shown}");
                assert!(!shown.contains("error-rs"), "cut in the middle: {shown}");
            }
            assert!(
                error.to_string().contains(crate::secret::REDACTED),
                "{error}"
            );
        }
        // A field set after the error was built is redacted when it is shown.
        let mut error = ScimError::new(
            "GET /Users",
            "http://x",
            ScimErrorKind::InvalidResponse {
                message: "fine".into(),
            },
        );
        error.request = format!("GET /Users/{token}");
        assert!(!error.to_string().contains(token), "{error}");
    }

    #[test]
    fn the_target_never_shows_a_password() {
        let error = ScimError::new(
            "GET /Users",
            "https://admin:pw-in-url-77@scim.example.test/v2",
            ScimErrorKind::Transport {
                message: "refused".into(),
                timeout: false,
            },
        );
        let help = error.help().map(|h| h.to_string()).unwrap_or_default();
        assert!(!help.contains("pw-in-url"), "{help}");
        assert!(!format!("{error:?}").contains("pw-in-url"));
    }
}
