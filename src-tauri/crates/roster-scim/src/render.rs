//! Resources as Roster serves them (RFC 7644 §3.4.1): the stored document plus `id` and `meta`, and for
//! groups the members, rendered from the store's rows.

use crate::discovery::base;
use crate::schema::ResourceKind;
use serde_json::{json, Map, Value};

/// What the store knows about a resource besides its document. Times are RFC 3339 strings the caller
/// formats (this crate reads no clock); `version` is the weak entity tag the caller computes, such as
/// `W/"3"`, and is also the `ETag` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceMeta<'a> {
    /// User or Group.
    pub kind: ResourceKind,
    /// The resource's id (Roster assigns it).
    pub id: &'a str,
    /// When it was created.
    pub created: &'a str,
    /// When it last changed (equal to `created` until then).
    pub last_modified: &'a str,
    /// Its version, `W/"…"`.
    pub version: Option<&'a str>,
}

/// A group member, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member user's id.
    pub value: String,
    /// The user's display name, if the caller has one to show.
    pub display: Option<String>,
}

/// `{base_url}/Users/{id}` or `{base_url}/Groups/{id}`: `meta.location` and a member's `$ref`.
pub fn location(base_url: &str, kind: ResourceKind, id: &str) -> String {
    format!("{}/{}/{id}", base(base_url), kind.endpoint())
}

/// The resource as served: `doc` with `id` and `meta` (`resourceType`, `created`, `lastModified`,
/// `location` and `version`). For a group this has no `members`; use [`render_group`] when they are
/// wanted (not for `excludedAttributes=members`, which spares reading them).
pub fn render(base_url: &str, doc: &Value, meta: &ResourceMeta<'_>) -> Value {
    let mut out = match doc {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    out.remove("members");
    out.entry("schemas")
        .or_insert_with(|| json!([meta.kind.core().id]));
    out.insert("id".into(), Value::String(meta.id.to_owned()));
    let mut m = Map::new();
    m.insert("resourceType".into(), meta.kind.name().into());
    m.insert("created".into(), meta.created.into());
    m.insert("lastModified".into(), meta.last_modified.into());
    m.insert(
        "location".into(),
        location(base_url, meta.kind, meta.id).into(),
    );
    if let Some(v) = meta.version {
        m.insert("version".into(), v.into());
    }
    out.insert("meta".into(), Value::Object(m));
    Value::Object(out)
}

/// A group as served, with its members: each has `value`, `display` (when known), `$ref`
/// (`{base_url}/Users/{id}`) and `type: "User"`. A group without members has no `members` attribute
/// (unassigned, RFC 7643 §2.5).
pub fn render_group(
    base_url: &str,
    doc: &Value,
    meta: &ResourceMeta<'_>,
    members: impl IntoIterator<Item = Member>,
) -> Value {
    let mut out = render(base_url, doc, meta);
    let list: Vec<Value> = members
        .into_iter()
        .map(|m| {
            let mut o = Map::new();
            o.insert(
                "$ref".into(),
                location(base_url, ResourceKind::User, &m.value).into(),
            );
            if let Some(d) = m.display {
                o.insert("display".into(), d.into());
            }
            o.insert("type".into(), "User".into());
            o.insert("value".into(), m.value.into());
            Value::Object(o)
        })
        .collect();
    if let (false, Some(obj)) = (list.is_empty(), out.as_object_mut()) {
        obj.insert("members".into(), Value::Array(list));
    }
    out
}
