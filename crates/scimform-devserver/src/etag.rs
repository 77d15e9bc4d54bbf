//! Entity tags (RFC 7232, RFC 7644 §3.14): a resource's `meta.version` is the weak `ETag`
//! `W/"N"` of its version counter, which the store bumps on every change to the resource;
//! single-resource answers carry it as the `ETag` header; `If-Match` on PUT, PATCH and
//! DELETE, and `If-None-Match` on GET, are checked against it when a client sends them.
//!
//! Owns the text of an `ETag`, the parsing of the precondition headers and the comparison.
//! Tags compare weakly (a `W/` prefix is ignored on either side), as RFC 7644 §3.14's
//! examples send weak tags in `If-Match`. It must not decide when a version changes (the
//! store does) and must not be called on list responses, which carry no `ETag` header.

use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::error::ScimError;

/// The `ETag` of a resource at `version`: `W/"N"`, also its `meta.version`.
pub(crate) fn of(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// The value of `If-Match` or `If-None-Match`: `*`, or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// `*`: any current version.
    Any,
    /// The opaque tags named, without `W/` and quotes.
    Tags(Vec<String>),
}

impl Condition {
    /// Whether the resource whose `ETag` is `etag` meets the condition (weak comparison).
    pub(crate) fn matches(&self, etag: &str) -> bool {
        match self {
            Condition::Any => true,
            Condition::Tags(tags) => tags.iter().any(|tag| tag == opaque(etag)),
        }
    }
}

/// `If-Match` from the request, when it has one.
pub(crate) fn if_match(headers: &HeaderMap) -> Option<Condition> {
    condition(headers, &IF_MATCH)
}

/// `If-None-Match` from the request, when it has one.
pub(crate) fn if_none_match(headers: &HeaderMap) -> Option<Condition> {
    condition(headers, &IF_NONE_MATCH)
}

/// All values of the header `name`, as one condition. A value that is not text names no
/// tag, so it matches nothing.
fn condition(headers: &HeaderMap, name: &HeaderName) -> Option<Condition> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut tags = Vec::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            continue;
        };
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if item == "*" {
                return Some(Condition::Any);
            }
            tags.push(opaque(item).to_owned());
        }
    }
    Some(Condition::Tags(tags))
}

/// The opaque part of an entity tag: without a `W/` prefix and the quotes (a bare value,
/// as some clients send, is taken as it is).
fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag
        .strip_prefix("W/")
        .or_else(|| tag.strip_prefix("w/"))
        .unwrap_or(tag);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag)
}

/// `If-Match` against the current version of a resource; `None` when the resource does
/// not exist (the operation itself then answers 404). A mismatch is 412 Precondition
/// Failed, without a `scimType` (RFC 7644 §3.14).
pub(crate) fn check_if_match(
    condition: Option<&Condition>,
    version: Option<u64>,
) -> Result<(), ScimError> {
    let (Some(condition), Some(version)) = (condition, version) else {
        return Ok(());
    };
    let current = of(version);
    if condition.matches(&current) {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::PRECONDITION_FAILED,
        None,
        format!(
            "Failed to update: the resource changed on the server; its version is now {current}, which If-Match does not name"
        ),
    ))
}

/// The `ETag` of a rendered resource: its `meta.version`.
pub(crate) fn of_resource(resource: &Map<String, Value>) -> Option<&str> {
    resource
        .get("meta")
        .and_then(|meta| meta.get("version"))
        .and_then(Value::as_str)
}

/// `response` with the header `ETag: etag`.
pub(crate) fn with_header(mut response: Response, etag: Option<&str>) -> Response {
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// 304 Not Modified for a GET whose `If-None-Match` names the current version.
pub(crate) fn not_modified(condition: Option<&Condition>, etag: Option<&str>) -> Option<Response> {
    let (condition, etag) = (condition?, etag?);
    condition
        .matches(etag)
        .then(|| with_header(StatusCode::NOT_MODIFIED.into_response(), Some(etag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &HeaderName, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name, HeaderValue::from_str(v).expect("valid header"));
        }
        map
    }

    #[test]
    fn tags_compare_weakly() {
        let cond = if_match(&headers(&IF_MATCH, &[r#"W/"3""#])).expect("present");
        assert!(cond.matches(&of(3)));
        assert!(!cond.matches(&of(4)));
        for strong_or_bare in [r#""3""#, "3", r#" w/"3" "#] {
            let cond = if_match(&headers(&IF_MATCH, &[strong_or_bare])).expect("present");
            assert!(cond.matches(&of(3)), "{strong_or_bare}");
        }
        let list = if_match(&headers(&IF_MATCH, &[r#"W/"1", W/"2""#, r#""7""#])).expect("present");
        assert!(list.matches(&of(2)) && list.matches(&of(7)) && !list.matches(&of(3)));
        let any = if_match(&headers(&IF_MATCH, &["*"])).expect("present");
        assert_eq!(any, Condition::Any);
        assert!(any.matches(&of(99)));
        assert_eq!(if_match(&HeaderMap::new()), None);
        assert_eq!(
            if_none_match(&headers(&IF_NONE_MATCH, &[r#"W/"5""#])),
            Some(Condition::Tags(vec!["5".into()]))
        );
    }

    #[test]
    fn a_mismatch_is_412_and_a_missing_header_or_resource_passes() {
        let cond = Condition::Tags(vec!["1".into()]);
        let err = check_if_match(Some(&cond), Some(2)).expect_err("changed");
        assert_eq!(err.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(err.scim_type, None);
        assert!(err.detail.contains(r#"W/"2""#));
        assert!(check_if_match(Some(&cond), Some(1)).is_ok());
        assert!(check_if_match(None, Some(2)).is_ok());
        assert!(check_if_match(Some(&cond), None).is_ok());
    }
}
