//! Errors of the SCIM protocol layer: what request failed, the HTTP status, the SCIM
//! `scimType` and `detail` the server gave, and what the user can do about it.
//!
//! Errors never carry the bearer token: requests are described by method and path only,
//! and transport errors are reduced to their message without headers.

use std::fmt;
use std::time::Duration;

use miette::Diagnostic;
use serde_json::Value;

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

impl ScimError {
    pub fn new(request: &str, target: &str, kind: ScimErrorKind) -> ScimError {
        ScimError {
            request: request.to_string(),
            target: target.to_string(),
            kind,
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
        let detail = field("detail").or_else(|| {
            // Not a SCIM error body: show the start of whatever text came back.
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            (!text.is_empty() && json.is_none()).then(|| truncate(text, 200))
        });
        ScimError {
            request,
            target,
            kind: ScimErrorKind::Status {
                status,
                scim_type: field("scimType"),
                detail,
                token_env,
            },
            retry_after: None,
            attempts: 1,
        }
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
        let target = &self.target;
        let help = match &self.kind {
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
        };
        Some(Box::new(help))
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
}
