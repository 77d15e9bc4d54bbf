//! The SCIM 2.0 protocol as a client speaks it (RFC 7643/7644): resource kinds, the HTTP
//! client with retries and rate limits, provider profiles, PATCH bodies, filter quoting,
//! lenient response reading and readable errors.
//!
//! This module knows nothing of the configuration or of plans; it sends the requests it is
//! asked to send and reports exactly what came back.

mod client;
mod error;
mod id;
mod list_page;
mod patch;
pub mod profile;
mod request_log;
mod resource;
mod retry;

pub use client::{
    Answer, ClientSettings, ClientStats, Created, ListBody, MAX_RESPONSE_BYTES, SCIM_JSON,
    ScimClient, Token, encode_query,
};
pub use error::{ScimError, ScimErrorKind};
pub use id::ScimId;
pub use list_page::{
    IdValueSeed, KeySeed, MemberIdsSeed, ResourceReader, SlimResource, is_dropped_attribute,
    parse_with,
};
pub use patch::{PATCH_OP_SCHEMA, PatchOp, patch_body, quote};
pub use profile::{MemberRead, Paging, Profile, RemovalForm};
pub use request_log::{RequestLog, RequestOutcome, RequestRecord, for_change};
pub use resource::{
    GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, ListPage, ResourceKind, USER_SCHEMA, as_bool, as_u64,
    attribute, string_attribute,
};
pub use retry::RetryPolicy;
