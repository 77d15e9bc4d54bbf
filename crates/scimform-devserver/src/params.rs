//! The parameters of list, search and read requests (RFC 7644 §3.4.2, §3.4.3, §3.9):
//! `filter`, `startIndex`, `count`, `cursor` (RFC 9865), `attributes` and
//! `excludedAttributes`, from a query string or from a `SearchRequest` body, and the
//! projection of a resource onto the attributes asked for.
//!
//! Owns parsing (names case-insensitive, values checked) and projection. It must not apply
//! page caps or paging rules: what a request asked for is kept as asked, and `listing`
//! decides what the server grants.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{self, Filter, get_ci};

/// The URN of a `POST .../.search` request body.
pub(crate) const SEARCH_REQUEST_SCHEMA: &str =
    "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

pub(crate) type QueryResult = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// What a list, search or read request asked for.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub filter: Option<Filter>,
    /// `startIndex` as sent (values below 1 read as 1).
    pub start_index: Option<usize>,
    /// `count` as sent (negative values read as 0).
    pub count: Option<usize>,
    /// `cursor` as sent; empty asks for the first page.
    pub cursor: Option<String>,
    /// Top-level attribute names (lower case) to return; `None` = all.
    pub attributes: Option<Vec<String>>,
    /// Top-level attribute names (lower case) to leave out.
    pub excluded: Vec<String>,
}

impl Params {
    /// From a query string.
    pub(crate) fn from_query(query: QueryResult) -> Result<Params, ScimError> {
        let Query(pairs) =
            query.map_err(|e| ScimError::invalid_value(format!("invalid query string: {e}")))?;
        let mut params = Params::default();
        for (name, value) in pairs {
            match name.to_ascii_lowercase().as_str() {
                "filter" => params.filter = Some(parse_filter(&value)?),
                "startindex" => {
                    params.start_index = Some(start_index(parse_int("startIndex", &value)?));
                }
                "count" => params.count = Some(count(parse_int("count", &value)?)),
                "cursor" => params.cursor = Some(value),
                "attributes" => params.attributes = Some(attribute_names(&value)?),
                "excludedattributes" => params.excluded = attribute_names(&value)?,
                _ => {}
            }
        }
        Ok(params)
    }

    /// From a `SearchRequest` body (RFC 7644 §3.4.3); `attributes` may be an array of
    /// names or a comma-separated string, numbers may be strings.
    pub(crate) fn from_search(body: &Map<String, Value>) -> Result<Params, ScimError> {
        if let Some(schemas) = get_ci(body, "schemas") {
            let ok = schemas.as_array().is_some_and(|list| {
                list.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
                })
            });
            if !ok {
                return Err(ScimError::invalid_syntax(format!(
                    "a search request's schemas must contain \"{SEARCH_REQUEST_SCHEMA}\""
                )));
            }
        }
        let mut params = Params::default();
        for (name, value) in body {
            if value.is_null() {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "filter" => params.filter = Some(parse_filter(text(name, value)?)?),
                "startindex" => params.start_index = Some(start_index(number(name, value)?)),
                "count" => params.count = Some(count(number(name, value)?)),
                "cursor" => params.cursor = Some(text(name, value)?.to_owned()),
                "attributes" => params.attributes = Some(names_of(name, value)?),
                "excludedattributes" => params.excluded = names_of(name, value)?,
                "schemas" | "sortby" | "sortorder" => {}
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "\"{name}\" is not a parameter of a search request"
                    )));
                }
            }
        }
        Ok(params)
    }

    /// Whether the projection leaves the attribute `name` (any case) out of the response.
    /// Attribute names are ASCII (RFC 7643 §2.1), so no lower-cased copy is made.
    pub(crate) fn leaves_out(&self, name: &str) -> bool {
        let named = |listed: &String| listed.eq_ignore_ascii_case(name);
        self.excluded.iter().any(named)
            || self
                .attributes
                .as_ref()
                .is_some_and(|keep| !keep.iter().any(named))
    }

    /// Keeps `id` and `schemas` always; applies `attributes` then `excludedAttributes`
    /// at the top level (`name.givenName` selects all of `name`).
    pub(crate) fn project(&self, mut resource: Map<String, Value>) -> Map<String, Value> {
        let always = |key: &str| key == "id" || key == "schemas";
        if let Some(keep) = &self.attributes {
            resource.retain(|k, _| always(k) || keep.contains(&k.to_lowercase()));
        }
        if !self.excluded.is_empty() {
            resource.retain(|k, _| always(k) || !self.excluded.contains(&k.to_lowercase()));
        }
        resource
    }
}

fn parse_filter(value: &str) -> Result<Filter, ScimError> {
    filter::parse(value)
        .map_err(|e| ScimError::invalid_filter(format!("cannot use filter {value:?}: {e}")))
}

fn start_index(n: i64) -> usize {
    usize::try_from(n.max(1)).unwrap_or(usize::MAX)
}

fn count(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

fn parse_int(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not {value:?}")))
}

fn text<'a>(name: &str, value: &'a Value) -> Result<&'a str, ScimError> {
    value
        .as_str()
        .ok_or_else(|| ScimError::invalid_value(format!("\"{name}\" must be a string")))
}

fn number(name: &str, value: &Value) -> Result<i64, ScimError> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| ScimError::invalid_value(format!("\"{name}\" must be an integer"))),
        Value::String(s) => parse_int(name, s),
        _ => Err(ScimError::invalid_value(format!(
            "\"{name}\" must be an integer"
        ))),
    }
}

fn names_of(name: &str, value: &Value) -> Result<Vec<String>, ScimError> {
    match value {
        Value::String(list) => attribute_names(list),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(attribute_names(text(name, item)?)?);
            }
            Ok(out)
        }
        _ => Err(ScimError::invalid_value(format!(
            "\"{name}\" must be an array of attribute names"
        ))),
    }
}

/// The top-level attribute names (lower case) of a comma-separated attribute list.
fn attribute_names(list: &str) -> Result<Vec<String>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            let path = filter::parse_attr_path(name)
                .map_err(|e| ScimError::invalid_value(format!("attribute list: {e}")))?;
            Ok(path
                .segments
                .first()
                .map(|s| s.to_lowercase())
                .unwrap_or_default())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::obj;
    use serde_json::json;

    #[test]
    fn search_bodies() {
        let p = Params::from_search(&obj(json!({
            "schemas": [SEARCH_REQUEST_SCHEMA],
            "attributes": ["userName", "name.givenName"],
            "excludedAttributes": "emails",
            "filter": "userName sw \"a\"",
            "startIndex": 0,
            "count": "5",
            "sortBy": "userName"
        })))
        .expect("valid");
        assert_eq!(p.attributes, Some(vec!["username".into(), "name".into()]));
        assert_eq!(p.excluded, vec!["emails".to_owned()]);
        assert_eq!((p.start_index, p.count), (Some(1), Some(5)));
        assert!(p.filter.is_some());
        assert!(p.leaves_out("emails"));
        assert!(p.leaves_out("title"));
        assert!(!p.leaves_out("username"));
        assert!(p.leaves_out("Emails"), "any case");
        for bad in [
            json!({"schemas": ["urn:x"]}),
            json!({"count": true}),
            json!({"filter": "userName zz \"a\""}),
            json!({"surprise": 1}),
        ] {
            assert!(Params::from_search(&obj(bad.clone())).is_err(), "{bad}");
        }
    }
}
