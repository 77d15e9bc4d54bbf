//! The discovery documents (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`, built from the attribute tables in `schema`.
//!
//! Owns what the dev-server advertises about itself. It must not advertise a feature the
//! handlers do not implement (bulk, sort and changePassword are "not supported"; etag is
//! supported: `meta.version`, the `ETag` header, `If-Match` and `If-None-Match`). The one
//! deliberate exception is `--patch-users-not-implemented`, whose point is a server that
//! says `patch.supported: true` and answers PATCH of users 501.

use serde_json::{Value, json};

use super::emulation::{Emulation, Paging};
use super::schema::{Attr, ENTERPRISE_ATTRS, ENTERPRISE_SCHEMA, Kind, Mutability, Ty};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// What the server says about itself: the emulated provider's page size and paging
/// (`pagination`, RFC 9865) included.
pub(crate) fn service_provider_config(base_url: &str, emulation: &Emulation) -> Value {
    let cursor = emulation.paging == Paging::Cursor;
    json!({
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": emulation.max_page_size},
        "pagination": {
            "cursor": cursor,
            "index": !cursor,
            "defaultPaginationMethod": if cursor { "cursor" } else { "index" },
            "defaultPageSize": emulation.default_page_size,
            "maxPageSize": emulation.max_page_size,
        },
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the bearer token the dev-server was started with",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig")
        }
    })
}

pub(crate) fn resource_type(base_url: &str, kind: Kind) -> Value {
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": format!("/{}", kind.endpoint()),
        "description": kind.name(),
        "schema": kind.schema(),
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base_url}/ResourceTypes/{}", kind.name())
        }
    });
    if kind == Kind::User
        && let Some(map) = doc.as_object_mut()
    {
        map.insert(
            "schemaExtensions".into(),
            json!([{"schema": ENTERPRISE_SCHEMA, "required": false}]),
        );
    }
    doc
}

pub(crate) fn resource_types(base_url: &str) -> Value {
    list(vec![
        resource_type(base_url, Kind::User),
        resource_type(base_url, Kind::Group),
    ])
}

/// The schema document for `id` (a schema URN, matched case-insensitively).
pub(crate) fn schema(base_url: &str, id: &str) -> Option<Value> {
    let (urn, name, attrs) = [
        (Kind::User.schema(), "User", Kind::User.attributes()),
        (Kind::Group.schema(), "Group", Kind::Group.attributes()),
        (ENTERPRISE_SCHEMA, "EnterpriseUser", ENTERPRISE_ATTRS),
    ]
    .into_iter()
    .find(|(urn, _, _)| urn.eq_ignore_ascii_case(id))?;
    Some(json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": name,
        "attributes": attrs.iter().map(attribute).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base_url}/Schemas/{urn}")}
    }))
}

pub(crate) fn schemas(base_url: &str) -> Value {
    list(
        [Kind::User.schema(), Kind::Group.schema(), ENTERPRISE_SCHEMA]
            .iter()
            .filter_map(|urn| schema(base_url, urn))
            .collect(),
    )
}

/// A `ListResponse` holding every item on one page.
pub(crate) fn list(items: Vec<Value>) -> Value {
    let count = items.len();
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": count,
        "startIndex": 1,
        "itemsPerPage": count,
        "Resources": Value::Array(items)
    })
}

fn attribute(attr: &Attr) -> Value {
    let (ty, multi, subs) = match attr.ty {
        Ty::String => ("string", false, None),
        Ty::Boolean => ("boolean", false, None),
        Ty::Reference => ("reference", false, None),
        Ty::Complex(subs) => ("complex", false, Some(subs)),
        Ty::MultiComplex(subs) => ("complex", true, Some(subs)),
    };
    let (mutability, returned) = match attr.mutability {
        Mutability::ReadWrite => ("readWrite", "default"),
        Mutability::ReadOnly => ("readOnly", "default"),
        Mutability::WriteOnly => ("writeOnly", "never"),
        Mutability::Immutable => ("immutable", "default"),
    };
    let mut doc = json!({
        "name": attr.name,
        "type": ty,
        "multiValued": multi,
        "description": attr.name,
        "required": attr.required,
        "caseExact": attr.case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": if attr.unique { "server" } else { "none" },
    });
    if let Some(map) = doc.as_object_mut() {
        if let Some(subs) = subs {
            map.insert(
                "subAttributes".into(),
                Value::Array(subs.iter().map(attribute).collect()),
            );
        }
        if !attr.canonical.is_empty() {
            map.insert("canonicalValues".into(), json!(attr.canonical));
        }
        if ty == "reference" {
            map.insert(
                "referenceTypes".into(),
                json!(if attr.name == "$ref" {
                    vec!["User", "Group"]
                } else {
                    vec!["external"]
                }),
            );
        }
    }
    doc
}
