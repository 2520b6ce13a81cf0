//! The discovery documents (RFC 7644 §4, RFC 7643 §5–§7): `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`, generated from the schema table so they always describe what this crate enforces.

use crate::schema::{
    self, Attribute, AttributeType, ResourceKind, Schema, LIST_RESPONSE, RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA,
};
use serde_json::{json, Map, Value};

/// The most resources one list or search response holds, unless the caller says otherwise. Reported as
/// `filter.maxResults`; a larger `count` is cut down to it.
pub const MAX_RESULTS: u64 = 1000;

/// The limits the server enforces and the ServiceProviderConfig reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most resources per list or search response (`filter.maxResults`); also the page size when a
    /// request gives no `count`.
    pub max_results: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_results: MAX_RESULTS,
        }
    }
}

/// `base_url` without a trailing slash, e.g. `https://host/scim/v2/{directory_key}`.
pub(crate) fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5): PATCH yes, bulk no, filters yes (with `maxResults`),
/// password changes no, sorting no (lists come back in a stable order; `sortBy` is ignored), ETags yes,
/// and an OAuth bearer token as the one authentication scheme.
pub fn service_provider_config(base_url: &str, limits: &Limits) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": limits.max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The bearer token Roster issued for this integration, in an Authorization: Bearer header.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url)),
        },
    })
}

fn resource_type_doc(base_url: &str, kind: ResourceKind) -> Value {
    let description = match kind {
        ResourceKind::User => "User Account",
        ResourceKind::Group => "Group",
    };
    let extensions = kind.extensions();
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": format!("/{}", kind.endpoint()),
        "description": description,
        "schema": kind.core().id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), kind.name()),
        },
    });
    if !extensions.is_empty() {
        if let Some(obj) = doc.as_object_mut() {
            let list = extensions
                .iter()
                .map(|s| json!({ "schema": s.id, "required": false }))
                .collect();
            obj.insert("schemaExtensions".into(), Value::Array(list));
        }
    }
    doc
}

/// `GET /ResourceTypes`: User (with the Enterprise User extension, not required) and Group, as a
/// ListResponse (RFC 7644 §4).
pub fn resource_types(base_url: &str) -> Value {
    discovery_list(
        [ResourceKind::User, ResourceKind::Group]
            .into_iter()
            .map(|k| resource_type_doc(base_url, k))
            .collect(),
    )
}

/// `GET /ResourceTypes/{name}`: `User` or `Group` (ASCII case-insensitive), or `None`.
pub fn resource_type(base_url: &str, name: &str) -> Option<Value> {
    [ResourceKind::User, ResourceKind::Group]
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(name))
        .map(|k| resource_type_doc(base_url, k))
}

fn attribute_doc(a: &Attribute) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), a.name.into());
    m.insert("type".into(), a.kind.as_str().into());
    m.insert("multiValued".into(), a.multi_valued.into());
    m.insert("description".into(), a.description.into());
    m.insert("required".into(), a.required.into());
    m.insert("caseExact".into(), a.case_exact.into());
    m.insert("mutability".into(), a.mutability.as_str().into());
    m.insert("returned".into(), a.returned.as_str().into());
    m.insert("uniqueness".into(), a.uniqueness.as_str().into());
    if !a.canonical_values.is_empty() {
        m.insert("canonicalValues".into(), a.canonical_values.into());
    }
    if a.kind == AttributeType::Reference {
        m.insert("referenceTypes".into(), a.reference_types.into());
    }
    if a.kind == AttributeType::Complex {
        let subs = a.sub_attributes.iter().map(attribute_doc).collect();
        m.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(m)
}

fn schema_doc(base_url: &str, s: &Schema) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": s.attributes.iter().map(attribute_doc).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base(base_url), s.id),
        },
    })
}

/// `GET /Schemas`: User, Enterprise User and Group, as a ListResponse.
pub fn schemas(base_url: &str) -> Value {
    discovery_list(
        schema::ALL
            .iter()
            .map(|s| schema_doc(base_url, s))
            .collect(),
    )
}

/// `GET /Schemas/{id}` for one of the three URNs (ASCII case-insensitive), or `None`.
pub fn schema(base_url: &str, id: &str) -> Option<Value> {
    schema::by_id(id).map(|s| schema_doc(base_url, s))
}

fn discovery_list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}
