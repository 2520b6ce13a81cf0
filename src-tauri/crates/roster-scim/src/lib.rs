//! Roster's SCIM 2.0 protocol (RFC 7643, RFC 7644): what Okta, Entra ID and any SCIM client push to
//! `{origin}/scim/v2/{directory_key}/…`, turned into checked JSON documents, and the documents Roster
//! answers with.
//!
//! What this crate owns: the schema table ([`schema`]); errors and their bodies ([`error`]); POST and
//! PUT bodies normalised into stored documents ([`resource`]); PATCH ([`patch`]); documents rendered with `id`, `meta` and
//! members ([`render`]); filters ([`filter`]); list queries, ListResponses and projection ([`query`]); the
//! discovery documents ([`discovery`]).
//!
//! What it must not do: any I/O. No HTTP framework, no SQL, no clock, no logging. The server crate parses
//! requests and writes responses; the application layer stores documents and calls these functions.
#![deny(missing_docs)]

pub mod discovery;
pub mod error;
pub mod filter;
pub mod patch;
pub mod query;
pub mod render;
pub mod resource;
pub mod schema;

pub use discovery::{
    resource_type, resource_types, schema as schema_document, schemas, service_provider_config,
    Limits, MAX_RESULTS,
};
pub use error::{ScimError, ScimType};
pub use filter::{Filter, Lookup};
pub use patch::{patch_group, patch_user, GroupPatch, MemberOp};
pub use query::{list_response, project, ListQuery, Projection};
pub use render::{location, render, render_group, Member, ResourceMeta};
pub use resource::{group_from_body, user_from_body, GroupBody};
pub use schema::ResourceKind;
