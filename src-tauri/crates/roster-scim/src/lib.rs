//! Roster's SCIM 2.0 protocol (RFC 7643, RFC 7644): what Okta, Entra ID and any SCIM client push to
//! `{origin}/scim/v2/{directory_key}/…`, turned into checked JSON documents, and the documents Roster
//! answers with.
//!
//! What this crate owns:
//! - the schema table ([`schema`]): User, Enterprise User and Group with every attribute's
//!   characteristics; everything below is driven by it;
//! - errors and their bodies ([`error`]);
//! - POST and PUT bodies normalised into the documents Roster stores ([`resource`]);
//! - PATCH ([`patch`]);
//! - documents rendered with `id`, `meta` and members ([`render`](mod@render));
//! - filters, with the indexed shapes the store can look up ([`filter`]);
//! - list and search queries, ListResponses and `attributes`/`excludedAttributes` ([`query`]);
//! - the discovery documents ([`discovery`]);
//! - the stored document as Roster's [`roster_core::source::SourceUser`] ([`roster`], which lists the
//!   flattened attribute names).
//!
//! What it must not do: any I/O. No HTTP framework, no SQL, no clock, no logging. The server crate parses
//! requests and writes responses; the application layer stores documents (each integration's replica of
//! the client's data), memberships as rows, ids, timestamps and versions, and calls these functions.
//!
//! How a request goes through it:
//! - `POST /Users`, `PUT /Users/{id}`: [`user_from_body`] → store the document → [`render()`].
//!   `POST /Groups`, `PUT /Groups/{id}`: [`group_from_body`] gives the document and the member ids.
//! - `PATCH`: [`patch_user`] / [`patch_group`] on the stored document; groups also get the member
//!   changes, in request order.
//! - `GET /Users/{id}`: [`render()`], then [`Projection::from_query`] and [`Projection::apply`];
//!   for groups, [`render_group`] when [`Projection::includes`]`("members")`, else [`render()`].
//! - `GET /Users?…`, `POST /Users/.search`: [`ListQuery::from_query`] / [`ListQuery::from_search_body`];
//!   candidates by [`Filter::lookup`] when there is one, kept when [`Filter::matches`] their rendering;
//!   then [`list_response`].
//! - Discovery: [`service_provider_config`], [`resource_types`], [`schemas`], [`schema_document`].
//!
//! Where Roster is more lenient than RFC 7644, because real clients need it (each is tested):
//! string booleans (`"False"`); `op` in any case; path-less values with dotted or URN-qualified keys;
//! Okta's own `id` in a rename; Entra's `replace emails[type eq "work"].value` for a user without a work
//! email adds one (§3.5.2.3 says `noTarget`); Entra's member removal with a `value` list; a schema URN in
//! `schemas` that carries no attributes (Entra's group URN) is ignored; one value for a multi-valued
//! attribute, a one-element list for a single-valued one, and a manager given as its id are accepted.
//!
//! How to extend: to support an attribute or an extension, add it to the table in [`schema`] (with its
//! characteristics as RFC 7643 lists them), add it to the expected listing in `tests/scim/discovery.rs`,
//! and, if Roster should map it, flatten it in [`roster`] and document the name there.
#![deny(missing_docs)]

pub mod discovery;
pub mod error;
pub mod filter;
pub mod patch;
pub mod query;
pub mod render;
pub mod resource;
pub mod roster;
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
pub use roster::{default_attributes, group_name, user_source};
pub use schema::ResourceKind;
