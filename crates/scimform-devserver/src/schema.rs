//! The resource types the dev-server serves (User with the enterprise extension, Group)
//! and their attribute definitions (RFC 7643 §4, §8.7.1), plus the normalisation of an
//! incoming resource body against them.
//!
//! Owns attribute names, types, required/read-only/write-only flags, canonical casing and
//! the checks on shape (string, boolean, complex, multi-valued, one primary). It must not
//! look at other resources: uniqueness and member references are the store's job.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{get_ci, strip_prefix_ci};

pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const ENTERPRISE_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A resource type served under `/Users` or `/Groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    User,
    Group,
}

impl Kind {
    /// `User` / `Group`: the resource type name (`meta.resourceType`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    /// `Users` / `Groups`: the endpoint below the base URL.
    pub(crate) fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    pub(crate) fn schema(self) -> &'static str {
        match self {
            Kind::User => USER_SCHEMA,
            Kind::Group => GROUP_SCHEMA,
        }
    }

    pub(crate) fn attributes(self) -> &'static [Attr] {
        match self {
            Kind::User => USER_ATTRS,
            Kind::Group => GROUP_ATTRS,
        }
    }

    /// The attribute that must be unique (case-insensitively) and present.
    pub(crate) fn unique_attribute(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }

    /// Top-level attributes a PATCH may not touch.
    pub(crate) fn read_only(self) -> &'static [&'static str] {
        match self {
            Kind::User => &["id", "meta", "schemas", "groups"],
            Kind::Group => &["id", "meta", "schemas"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    Boolean,
    Reference,
    Complex(&'static [Attr]),
    MultiComplex(&'static [Attr]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutability {
    ReadWrite,
    ReadOnly,
    WriteOnly,
    Immutable,
}

/// One attribute definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attr {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub case_exact: bool,
    pub unique: bool,
    pub mutability: Mutability,
    /// RFC 7643 `canonicalValues` (advertised, not enforced).
    pub canonical: &'static [&'static str],
}

impl Attr {
    const fn new(name: &'static str, ty: Ty) -> Attr {
        Attr {
            name,
            ty,
            required: false,
            case_exact: false,
            unique: false,
            mutability: Mutability::ReadWrite,
            canonical: &[],
        }
    }
    const fn string(name: &'static str) -> Attr {
        Attr::new(name, Ty::String)
    }
    const fn required(mut self) -> Attr {
        self.required = true;
        self
    }
    const fn unique(mut self) -> Attr {
        self.unique = true;
        self
    }
    const fn case_exact(mut self) -> Attr {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Attr {
        self.mutability = m;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Attr {
        self.canonical = values;
        self
    }
}

const MULTI_SUBS: &[Attr] = &[
    Attr::string("value"),
    Attr::string("display"),
    Attr::string("type"),
    Attr::new("primary", Ty::Boolean),
    Attr::new("$ref", Ty::Reference),
];

const NAME_SUBS: &[Attr] = &[
    Attr::string("formatted"),
    Attr::string("familyName"),
    Attr::string("givenName"),
    Attr::string("middleName"),
    Attr::string("honorificPrefix"),
    Attr::string("honorificSuffix"),
];

const ADDRESS_SUBS: &[Attr] = &[
    Attr::string("formatted"),
    Attr::string("streetAddress"),
    Attr::string("locality"),
    Attr::string("region"),
    Attr::string("postalCode"),
    Attr::string("country"),
    Attr::string("type"),
    Attr::new("primary", Ty::Boolean),
];

const GROUPS_SUBS: &[Attr] = &[
    Attr::string("value").mutability(Mutability::ReadOnly),
    Attr::new("$ref", Ty::Reference).mutability(Mutability::ReadOnly),
    Attr::string("display").mutability(Mutability::ReadOnly),
    Attr::string("type").mutability(Mutability::ReadOnly),
];

const MEMBER_SUBS: &[Attr] = &[
    Attr::string("value")
        .mutability(Mutability::Immutable)
        .case_exact(),
    Attr::string("display").mutability(Mutability::ReadOnly),
    // Immutable as in RFC 7643 §8.7.1: clients may send it; the server recomputes it.
    Attr::new("$ref", Ty::Reference).mutability(Mutability::Immutable),
    Attr::string("type")
        .mutability(Mutability::Immutable)
        .canonical(&["User", "Group"]),
];

const USER_ATTRS: &[Attr] = &[
    Attr::string("userName").required().unique(),
    Attr::new("name", Ty::Complex(NAME_SUBS)),
    Attr::string("displayName"),
    Attr::string("nickName"),
    Attr::new("profileUrl", Ty::Reference),
    Attr::string("title"),
    Attr::string("userType"),
    Attr::string("preferredLanguage"),
    Attr::string("locale"),
    Attr::string("timezone"),
    Attr::new("active", Ty::Boolean),
    Attr::string("password")
        .mutability(Mutability::WriteOnly)
        .case_exact(),
    Attr::new("emails", Ty::MultiComplex(MULTI_SUBS)),
    Attr::new("phoneNumbers", Ty::MultiComplex(MULTI_SUBS)),
    Attr::new("ims", Ty::MultiComplex(MULTI_SUBS)),
    Attr::new("photos", Ty::MultiComplex(MULTI_SUBS)),
    Attr::new("addresses", Ty::MultiComplex(ADDRESS_SUBS)),
    Attr::new("groups", Ty::MultiComplex(GROUPS_SUBS)).mutability(Mutability::ReadOnly),
    Attr::new("entitlements", Ty::MultiComplex(MULTI_SUBS)),
    Attr::new("roles", Ty::MultiComplex(MULTI_SUBS)),
    Attr::new("x509Certificates", Ty::MultiComplex(MULTI_SUBS)),
    Attr::string("externalId").case_exact(),
];

const GROUP_ATTRS: &[Attr] = &[
    Attr::string("displayName").required().unique(),
    Attr::new("members", Ty::MultiComplex(MEMBER_SUBS)),
    Attr::string("externalId").case_exact(),
];

const MANAGER_SUBS: &[Attr] = &[
    Attr::string("value").case_exact(),
    Attr::new("$ref", Ty::Reference),
    Attr::string("displayName").mutability(Mutability::ReadOnly),
];

pub(crate) const ENTERPRISE_ATTRS: &[Attr] = &[
    Attr::string("employeeNumber"),
    Attr::string("costCenter"),
    Attr::string("organization"),
    Attr::string("division"),
    Attr::string("department"),
    Attr::new("manager", Ty::Complex(MANAGER_SUBS)),
];

/// Checks an incoming resource body (POST, PUT, or the result of a PATCH) and returns the
/// attributes to store: canonical names, `null`s and empty values dropped, read-only
/// (`id`, `meta`, `groups`, member `display`) and write-only (`password`) ones
/// dropped, `"true"`/`"false"` strings accepted for booleans. (A new user's absent
/// `active` is set by the store on create only: after a PATCH `remove` or a PUT
/// without it, `active` is unassigned, RFC 7644 §3.5.2.2.) Unknown attributes and
/// unknown schema extensions are refused; required attributes must be non-empty.
pub(crate) fn normalize(
    kind: Kind,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    if let Some(schemas) = get_ci(body, "schemas") {
        check_schemas(kind, schemas)?;
    }
    let mut out = Map::new();
    for (key, value) in body {
        if value.is_null()
            || ["schemas", "id", "meta"]
                .iter()
                .any(|k| key.eq_ignore_ascii_case(k))
        {
            continue;
        }
        if strip_prefix_ci(key, "urn:").is_some() {
            if kind == Kind::User && key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                let Value::Object(ext) = value else {
                    return Err(ScimError::invalid_value(format!(
                        "\"{ENTERPRISE_SCHEMA}\" must be an object"
                    )));
                };
                // Some clients repeat `schemas` inside the extension object: ignore it.
                let mut ext = ext.clone();
                ext.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
                let ext = normalize_attrs(ENTERPRISE_ATTRS, &ext, ENTERPRISE_SCHEMA)?;
                if !ext.is_empty() {
                    out.insert(ENTERPRISE_SCHEMA.to_owned(), Value::Object(ext));
                }
                continue;
            }
            return Err(ScimError::invalid_syntax(format!(
                "\"{key}\" is not a schema extension of {} on this server",
                kind.name()
            )));
        }
        insert_attr(kind.attributes(), key, value, kind.name(), &mut out)?;
    }
    for attr in kind.attributes().iter().filter(|a| a.required) {
        let present = out
            .get(attr.name)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty());
        if !present {
            return Err(ScimError::invalid_value(format!(
                "\"{}\" is required for a {}",
                attr.name,
                kind.name()
            )));
        }
    }
    Ok(out)
}

fn check_schemas(kind: Kind, schemas: &Value) -> Result<(), ScimError> {
    let Value::Array(list) = schemas else {
        return Err(ScimError::invalid_syntax(
            "\"schemas\" must be an array of URNs",
        ));
    };
    let mut has_core = false;
    for item in list {
        let Some(urn) = item.as_str() else {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of URNs",
            ));
        };
        if urn.eq_ignore_ascii_case(kind.schema()) {
            has_core = true;
        } else if !(kind == Kind::User && urn.eq_ignore_ascii_case(ENTERPRISE_SCHEMA)) {
            return Err(ScimError::invalid_syntax(format!(
                "schema \"{urn}\" is not supported for a {}",
                kind.name()
            )));
        }
    }
    if has_core {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must contain \"{}\"",
            kind.schema()
        )))
    }
}

/// Normalises one attribute `key: value` of `owner` into `out` under its canonical name.
fn insert_attr(
    defs: &[Attr],
    key: &str,
    value: &Value,
    owner: &str,
    out: &mut Map<String, Value>,
) -> Result<(), ScimError> {
    if value.is_null() {
        return Ok(());
    }
    let Some(attr) = defs.iter().find(|a| a.name.eq_ignore_ascii_case(key)) else {
        return Err(ScimError::invalid_syntax(format!(
            "\"{key}\" is not an attribute of {owner}"
        )));
    };
    if matches!(
        attr.mutability,
        Mutability::ReadOnly | Mutability::WriteOnly
    ) {
        // Read-only values in requests are ignored (RFC 7643 §2.2); write-only ones
        // (password) are accepted and never stored or returned.
        return Ok(());
    }
    if let Some(value) = normalize_value(attr, value, owner)? {
        out.insert(attr.name.to_owned(), value);
    }
    Ok(())
}

fn normalize_attrs(
    defs: &[Attr],
    map: &Map<String, Value>,
    owner: &str,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in map {
        insert_attr(defs, key, value, owner, &mut out)?;
    }
    Ok(out)
}

fn normalize_value(attr: &Attr, value: &Value, owner: &str) -> Result<Option<Value>, ScimError> {
    let name = attr.name;
    match attr.ty {
        Ty::String | Ty::Reference => match value {
            Value::String(_) => Ok(Some(value.clone())),
            _ => Err(ScimError::invalid_value(format!(
                "\"{name}\" of {owner} must be a string"
            ))),
        },
        Ty::Boolean => match value {
            Value::Bool(_) => Ok(Some(value.clone())),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
            _ => Err(ScimError::invalid_value(format!(
                "\"{name}\" of {owner} must be a boolean"
            ))),
        },
        Ty::Complex(subs) => match value {
            Value::Object(map) => {
                let map = normalize_attrs(subs, map, &format!("{owner}.{name}"))?;
                Ok((!map.is_empty()).then_some(Value::Object(map)))
            }
            _ => Err(ScimError::invalid_value(format!(
                "\"{name}\" of {owner} must be an object"
            ))),
        },
        Ty::MultiComplex(subs) => {
            let Value::Array(items) = value else {
                return Err(ScimError::invalid_value(format!(
                    "\"{name}\" of {owner} must be an array"
                )));
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let Value::Object(map) = item else {
                    return Err(ScimError::invalid_value(format!(
                        "every value of \"{name}\" must be an object"
                    )));
                };
                let map = normalize_attrs(subs, map, &format!("{owner}.{name}"))?;
                if !map.is_empty() {
                    out.push(Value::Object(map));
                }
            }
            let primaries = out
                .iter()
                .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
                .count();
            if primaries > 1 {
                return Err(ScimError::invalid_value(format!(
                    "at most one value of \"{name}\" may be primary"
                )));
            }
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::obj;
    use serde_json::json;

    #[test]
    fn canonicalises_names_and_drops_read_only_and_nulls() {
        let out = normalize(
            Kind::User,
            &obj(json!({
                "schemas": [USER_SCHEMA],
                "id": "client-id",
                "USERNAME": "alice",
                "Active": "False",
                "password": "secret",
                "groups": [{"value": "g"}],
                "title": null,
                "name": {"GIVENNAME": "A", "familyName": null},
                "emails": [{"value": "a@x", "primary": true}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Department": "Eng"}
            })),
        )
        .expect("valid");
        assert_eq!(
            Value::Object(out),
            json!({
                "userName": "alice",
                "active": false,
                "name": {"givenName": "A"},
                "emails": [{"value": "a@x", "primary": true}],
                ENTERPRISE_SCHEMA: {"department": "Eng"}
            })
        );
    }

    #[test]
    fn active_is_not_defaulted_here() {
        let out = normalize(Kind::User, &obj(json!({"userName": "a"}))).expect("valid");
        assert_eq!(Value::Object(out), json!({"userName": "a"}));
        let out = normalize(Kind::Group, &obj(json!({"displayName": "g"}))).expect("valid");
        assert_eq!(Value::Object(out), json!({"displayName": "g"}));
    }

    #[test]
    fn refuses_bad_shapes() {
        let bad = [
            json!({}),
            json!({"userName": ""}),
            json!({"userName": 7}),
            json!({"userName": "a", "active": "yes"}),
            json!({"userName": "a", "emails": {"value": "x"}}),
            json!({"userName": "a", "emails": ["x"]}),
            json!({"userName": "a", "emails": [{"value": "x", "primary": true}, {"value": "y", "primary": true}]}),
            json!({"userName": "a", "favouriteColour": "blue"}),
            json!({"userName": "a", "name": {"nick": "x"}}),
            json!({"userName": "a", "urn:example:custom:User": {}}),
            json!({"userName": "a", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}),
            json!({"userName": "a", "schemas": "x"}),
        ];
        for body in bad {
            assert!(
                normalize(Kind::User, &obj(body.clone())).is_err(),
                "{body} should be refused"
            );
        }
        assert!(normalize(Kind::Group, &obj(json!({"members": []}))).is_err());
    }

    #[test]
    fn group_members_drop_display() {
        let out = normalize(
            Kind::Group,
            &obj(json!({"displayName": "g", "members": [{"value": "u1", "display": "x", "$ref": "y", "type": "User"}]})),
        )
        .expect("valid");
        assert_eq!(
            Value::Object(out),
            json!({"displayName": "g", "members": [{"value": "u1", "$ref": "y", "type": "User"}]})
        );
    }
}
