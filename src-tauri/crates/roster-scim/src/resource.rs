//! Users and groups as clients send them (POST and PUT, RFC 7644 §3.3 and §3.5.1), checked against the
//! schema and normalised into the document Roster stores.
//!
//! The stored document is the integration's replica of what the client sent, in canonical form:
//! - attribute names in the schema's spelling, whatever case the client used;
//! - values of the attribute's type (`active` may arrive as `"True"` or `"false"`, as Entra ID sends it,
//!   and is stored as a boolean; a single value for a multi-valued attribute becomes a one-element list);
//! - no read-only attributes (`id`, `meta`, a user's `groups`, the manager's `displayName`): RFC 7644
//!   §3.5.1 says they "SHALL be ignored";
//! - no `password`: accepted and dropped, never stored or echoed;
//! - no unassigned attributes (`null`, `[]`, `{}`; RFC 7643 §2.5);
//! - `schemas` listing the core schema and the extensions present;
//! - for groups, no `members`: they come back separately, as ids, because the store keeps memberships as
//!   rows.
//!
//! Unknown attributes are refused (400 `invalidValue`, naming the attribute), so data is never silently
//! lost. Unknown schema URNs in `schemas` are ignored when the body carries no attributes under them:
//! Entra ID adds `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group` to every group
//! it creates. Attributes under an unknown schema are refused.

use crate::error::ScimError;
use crate::schema::{self, Attribute, AttributeType, Mutability, ResourceKind, Target, COMMON};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A group as sent in a POST or PUT: the document to store, and the member ids apart from it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupBody {
    /// The normalised group document, without `members`.
    pub doc: Value,
    /// The `value` of each member (a user id), in the order sent, each once.
    pub members: Vec<String>,
}

/// Parses and normalises a User body for `POST /Users` or `PUT /Users/{id}`. `userName` is required and
/// must not be empty.
pub fn user_from_body(body: &[u8]) -> Result<Value, ScimError> {
    let obj = parse_object(body, ResourceKind::User)?;
    let (doc, _) = normalise(ResourceKind::User, obj)?;
    Ok(Value::Object(doc))
}

/// Parses and normalises a Group body for `POST /Groups` or `PUT /Groups/{id}`. `displayName` is
/// required; `members` come back apart from the document.
pub fn group_from_body(body: &[u8]) -> Result<GroupBody, ScimError> {
    let obj = parse_object(body, ResourceKind::Group)?;
    let (doc, members) = normalise(ResourceKind::Group, obj)?;
    Ok(GroupBody {
        doc: Value::Object(doc),
        members,
    })
}

/// What a JSON value is, for messages (never the value itself).
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses `body` as a JSON object, with messages that say what to send instead.
pub(crate) fn parse_json_object(
    body: &[u8],
    what: &str,
    example: &str,
) -> Result<Map<String, Value>, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(format!(
            "The body is empty; send {what} as a JSON object, such as {example}."
        )));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(other) => Err(ScimError::invalid_syntax(format!(
            "The body is {}; send {what} as a JSON object, such as {example}.",
            json_type(&other)
        ))),
        Err(e) => Err(ScimError::invalid_syntax(format!(
            "The body is not valid JSON (line {}, column {}); send {what} as a JSON object, such as {example}.",
            e.line(),
            e.column()
        ))),
    }
}

fn example(kind: ResourceKind) -> String {
    match kind {
        ResourceKind::User => format!(
            "{{\"schemas\": [\"{}\"], \"userName\": \"bjensen\"}}",
            schema::USER_SCHEMA
        ),
        ResourceKind::Group => format!(
            "{{\"schemas\": [\"{}\"], \"displayName\": \"Sales\"}}",
            schema::GROUP_SCHEMA
        ),
    }
}

fn parse_object(body: &[u8], kind: ResourceKind) -> Result<Map<String, Value>, ScimError> {
    parse_json_object(body, &format!("a {}", kind.name()), &example(kind))
}

/// The value under `key` in any case, removed.
pub(crate) fn take_ci(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let found = obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()?;
    obj.remove(&found)
}

/// Checks `schemas`: a list of strings that names `kind`'s core schema.
fn check_schemas(kind: ResourceKind, schemas: Option<Value>) -> Result<Vec<String>, ScimError> {
    let core = kind.core().id;
    let Some(schemas) = schemas else {
        return Err(ScimError::invalid_syntax(format!(
            "The {} has no \"schemas\"; send \"schemas\": [\"{core}\"].",
            kind.name()
        )));
    };
    let list: Option<Vec<String>> = match &schemas {
        Value::Array(items) => items
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    };
    let Some(list) = list else {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must be a list of schema URNs, such as [\"{core}\"]; it is {}.",
            json_type(&schemas)
        )));
    };
    if !list.iter().any(|s| s.eq_ignore_ascii_case(core)) {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must include \"{core}\" for a {}.",
            kind.name()
        )));
    }
    Ok(list)
}

/// Normalises a resource object (see the module documentation). Returns the document and, for groups,
/// the member ids.
pub(crate) fn normalise(
    kind: ResourceKind,
    mut obj: Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<String>), ScimError> {
    check_schemas(kind, take_ci(&mut obj, "schemas"))?;
    let mut out = Map::new();
    let mut members = Vec::new();
    for (key, value) in obj {
        if let Some(ext) = kind.extension(&key) {
            let v = match value {
                Value::Null => continue,
                Value::Object(o) => normalise_object(ext.attributes, ext.id, o)?,
                other => {
                    return Err(ScimError::invalid_value(format!(
                        "\"{}\" must be an object of {} attributes, not {}.",
                        ext.id,
                        ext.name,
                        json_type(&other)
                    )))
                }
            };
            if let Some(v) = v {
                insert_once(&mut out, ext.id, v)?;
            }
            continue;
        }
        let attr = match top_level(kind, &key) {
            Ok(attr) => attr,
            // An unknown schema or attribute with nothing in it (`"manager": null`) loses nothing.
            Err(_) if !crate::filter::non_empty(&value) => continue,
            Err(e) => return Err(e),
        };
        match attr {
            TopLevel::Ext(ext, a) => {
                // `"urn:…:enterprise:2.0:User:employeeNumber": "…"` as a key of its own.
                if let Some(v) = normalise_attribute(a, &format!("{}:{}", ext.id, a.name), value)? {
                    let entry = out
                        .entry(ext.id)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = entry {
                        insert_once(m, a.name, v)?;
                    }
                }
            }
            TopLevel::Core(a) => {
                if kind == ResourceKind::Group && a.name == "members" {
                    members = member_ids(value)?;
                    continue;
                }
                if skipped_on_input(a) {
                    continue;
                }
                if let Some(v) = normalise_attribute(a, a.name, value)? {
                    insert_once(&mut out, a.name, v)?;
                }
            }
        }
    }
    for a in kind.core().attributes.iter().filter(|a| a.required) {
        let ok = out
            .get(a.name)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty());
        if !ok {
            return Err(ScimError::invalid_value(format!(
                "{} is required and must not be empty; send it as a string, such as {}.",
                a.name,
                example(kind)
            )));
        }
    }
    let mut schemas = vec![Value::String(kind.core().id.to_owned())];
    for ext in kind.extensions() {
        if out.contains_key(ext.id) {
            schemas.push(Value::String(ext.id.to_owned()));
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    Ok((out, members))
}

/// Whether a client's value for `a` is ignored rather than stored: read-only attributes (RFC 7644
/// §3.5.1) and the password (write-only; Roster never keeps it).
pub(crate) fn skipped_on_input(a: &Attribute) -> bool {
    matches!(a.mutability, Mutability::ReadOnly | Mutability::WriteOnly)
}

enum TopLevel {
    Core(&'static Attribute),
    Ext(&'static schema::Schema, &'static Attribute),
}

/// A top-level key of a resource body: a common or core attribute in any case, or a URN-qualified
/// extension attribute. Bare extension names are not accepted at the top level.
fn top_level(kind: ResourceKind, key: &str) -> Result<TopLevel, ScimError> {
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
        return match schema::resolve(kind, key) {
            Ok(Target::Attr(r)) if r.sub.is_none() => Ok(match r.ext {
                Some(ext) => TopLevel::Ext(ext, r.attr),
                None => TopLevel::Core(r.attr),
            }),
            _ => Err(ScimError::invalid_value(format!(
                "\"{key}\" is not a schema or attribute Roster supports for {}s; the schemas are listed at /Schemas.",
                kind.name()
            ))),
        };
    }
    schema::find(COMMON, key)
        .or_else(|| kind.core().attribute(key))
        .map(TopLevel::Core)
        .ok_or_else(|| {
            ScimError::invalid_value(format!(
                "\"{key}\" is not an attribute of {} resources; send only the attributes listed at /Schemas.",
                kind.name()
            ))
        })
}

fn insert_once(out: &mut Map<String, Value>, name: &str, v: Value) -> Result<(), ScimError> {
    if out.contains_key(name) {
        return Err(ScimError::invalid_syntax(format!(
            "{name} is given twice (attribute names ignore case); send it once."
        )));
    }
    out.insert(name.to_owned(), v);
    Ok(())
}

/// The member ids of a group's `members`: each element needs a non-empty `value`; `display`, `$ref` and
/// `type` are not kept (Roster's memberships point at users by id, and it renders the rest).
pub(crate) fn member_ids(value: Value) -> Result<Vec<String>, ScimError> {
    value_ids("members", value)
}

/// The `value` of each element of a list for the multi-valued attribute `name`, each once.
pub(crate) fn value_ids(name: &str, value: Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        other => {
            return Err(ScimError::invalid_value(format!(
                "{name} must be a list of objects such as {{\"value\": \"<id>\"}}, not {}.",
                json_type(&other)
            )))
        }
    };
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        let id = match &mut item {
            Value::Object(o) => take_ci(o, "value"),
            _ => None,
        };
        match id {
            Some(Value::String(id)) if !id.trim().is_empty() => {
                if seen.insert(id.clone()) {
                    ids.push(id);
                }
            }
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "{name}[{i}] needs a non-empty \"value\", such as {{\"value\": \"<id>\"}}."
                )))
            }
        }
    }
    Ok(ids)
}

/// Normalises an object of attributes from `attrs` (an extension's, or a complex attribute's
/// sub-attributes); `None` when nothing is left.
pub(crate) fn normalise_object(
    attrs: &'static [Attribute],
    path: &str,
    obj: Map<String, Value>,
) -> Result<Option<Value>, ScimError> {
    let mut out = Map::new();
    for (key, v) in obj {
        let Some(a) = schema::find(attrs, &key) else {
            if !crate::filter::non_empty(&v) {
                continue;
            }
            return Err(ScimError::invalid_value(format!(
                "\"{key}\" is not an attribute of {path} (it has {}).",
                attrs.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
            )));
        };
        if skipped_on_input(a) {
            continue;
        }
        if let Some(v) = normalise_attribute(a, &format!("{path}.{}", a.name), v)? {
            insert_once(&mut out, a.name, v)?;
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// Normalises one attribute's value (see the module documentation); `None` when unassigned.
pub(crate) fn normalise_attribute(
    a: &'static Attribute,
    path: &str,
    v: Value,
) -> Result<Option<Value>, ScimError> {
    if a.multi_valued {
        let items = match v {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(x) = normalise_single(a, path, item)? {
                out.push(x);
            }
        }
        let primaries = out
            .iter()
            .filter(|x| x.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!(
                "{primaries} of {path} are marked primary; at most one may be (RFC 7643 §2.4)."
            )));
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    let v = match v {
        Value::Array(items) if items.len() <= 1 => match items.into_iter().next() {
            Some(x) => x,
            None => return Ok(None),
        },
        Value::Array(_) => {
            return Err(ScimError::invalid_value(format!(
                "{path} takes one value, not a list."
            )))
        }
        other => other,
    };
    normalise_single(a, path, v)
}

fn normalise_single(
    a: &'static Attribute,
    path: &str,
    v: Value,
) -> Result<Option<Value>, ScimError> {
    if v.is_null() {
        return Ok(None);
    }
    let wrong = |what: &str, v: &Value| {
        ScimError::invalid_value(format!("{path} must be {what}, not {}.", json_type(v)))
    };
    match a.kind {
        AttributeType::Complex => match v {
            Value::Object(o) => normalise_object(a.sub_attributes, path, o),
            // `"manager": "<id>"` (Entra ID's schema example) means the manager's value.
            Value::String(s) if a.sub("value").is_some() => {
                let mut o = Map::new();
                o.insert("value".into(), Value::String(s));
                Ok(Some(Value::Object(o)))
            }
            other => Err(ScimError::invalid_value(format!(
                "{path} must be an object with {}, not {}.",
                a.sub_attributes
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", "),
                json_type(&other)
            ))),
        },
        AttributeType::String | AttributeType::Reference | AttributeType::Binary => match v {
            Value::String(_) => Ok(Some(v)),
            other => Err(wrong("a string", &other)),
        },
        AttributeType::Boolean => match v {
            Value::Bool(_) => Ok(Some(v)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
            other => Err(wrong("true or false", &other)),
        },
        AttributeType::Integer => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(Value::Number(n))),
            other => Err(wrong("a whole number", &other)),
        },
        AttributeType::Decimal => match v {
            Value::Number(_) => Ok(Some(v)),
            other => Err(wrong("a number", &other)),
        },
        AttributeType::DateTime => match v {
            Value::String(s) if OffsetDateTime::parse(&s, &Rfc3339).is_ok() => {
                Ok(Some(Value::String(s)))
            }
            other => Err(wrong(
                "a date-time such as \"2026-01-31T12:00:00Z\"",
                &other,
            )),
        },
    }
}
