//! Listing and searching (RFC 7644 §3.4.2, §3.4.3) and partial representations (§3.4.2.5, §3.9).
//!
//! Paging: `startIndex` is 1-based and a value below 1 means 1; a negative `count` means 0 (only
//! `totalResults`); a `count` above [`Limits::max_results`] is cut down to it, and a request without
//! `count` gets that many. Sorting is not offered (ServiceProviderConfig `sort.supported` is false):
//! `sortBy` and `sortOrder` are ignored and lists come back in the store's stable order, which Okta's
//! paging relies on.
//!
//! Projection follows each attribute's `returned`: `id` and `schemas` are always there; `password` never
//! is; everything else (`meta` and `userName` included, as RFC 7643 lists them `default`) is returned
//! unless `attributes` names others or `excludedAttributes` names it. Names are case-insensitive, may be
//! URN-qualified, and may name sub-attributes (`name.givenName`, `emails.value`); names that mean nothing
//! are ignored, as RFC 7644 §3.4.2.5 allows.

use crate::discovery::Limits;
use crate::error::ScimError;
use crate::filter::Filter;
use crate::resource::{json_type, parse_json_object};
use crate::schema::{
    self, AttrRef, Attribute, ResourceKind, Returned, Schema, Target, LIST_RESPONSE, SEARCH_REQUEST,
};
use serde_json::{json, Map, Value};

/// Which attributes a response carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    kind: ResourceKind,
    attributes: Vec<Target>,
    excluded: Vec<Target>,
}

impl Projection {
    /// The default set: every attribute returned by default.
    pub fn all(kind: ResourceKind) -> Self {
        Projection {
            kind,
            attributes: Vec::new(),
            excluded: Vec::new(),
        }
    }

    /// From the names in `attributes` or else `excludedAttributes`. Unknown names are ignored.
    pub fn new<S: AsRef<str>>(kind: ResourceKind, attributes: &[S], excluded: &[S]) -> Self {
        let resolve = |names: &[S]| {
            names
                .iter()
                .filter_map(|n| schema::resolve(kind, n.as_ref().trim()).ok())
                .collect::<Vec<_>>()
        };
        let attributes = resolve(attributes);
        let excluded = if attributes.is_empty() {
            resolve(excluded)
        } else {
            Vec::new()
        };
        Projection {
            kind,
            attributes,
            excluded,
        }
    }

    /// From a request's `attributes` or `excludedAttributes` query parameter (comma-separated), e.g. for
    /// `GET /Users/{id}`. Giving both is a 400: RFC 7644 §3.4.2.5 makes them mutually exclusive.
    pub fn from_query(kind: ResourceKind, params: &[(String, String)]) -> Result<Self, ScimError> {
        let attributes = param(params, "attributes").map(split_names);
        let excluded = param(params, "excludedAttributes").map(split_names);
        projection(kind, attributes, excluded)
    }

    /// The projection a write's query asks for, `None` when it names neither `attributes` nor
    /// `excludedAttributes`: RFC 7644 §3.5.2 lets a PATCH that asks for nothing be answered with 204, and
    /// requires 200 with the projected resource otherwise, even when no name it gives is known.
    pub fn asked(
        kind: ResourceKind,
        params: &[(String, String)],
    ) -> Result<Option<Self>, ScimError> {
        if param(params, "attributes").is_none() && param(params, "excludedAttributes").is_none() {
            return Ok(None);
        }
        Projection::from_query(kind, params).map(Some)
    }

    /// Whether responses carry the top-level attribute `name` (or part of it). For a group's
    /// `members`, the caller reads the member rows only when this is true.
    pub fn includes(&self, name: &str) -> bool {
        let is = |t: &Target, whole: bool| match t {
            Target::Attr(r) => {
                r.ext.is_none()
                    && r.attr.name.eq_ignore_ascii_case(name)
                    && (!whole || r.sub.is_none())
            }
            Target::Extension(_) => false,
        };
        if self.attributes.is_empty() {
            !self.excluded.iter().any(|t| is(t, true))
        } else {
            self.attributes.iter().any(|t| is(t, false))
                || schema::find(schema::COMMON, name)
                    .is_some_and(|a| a.returned == Returned::Always)
        }
    }

    /// `resource` (as served) with only the attributes this projection returns.
    pub fn apply(&self, resource: &Value) -> Value {
        let Value::Object(obj) = resource else {
            return resource.clone();
        };
        let mut out = if self.attributes.is_empty() {
            self.without_excluded(obj)
        } else {
            self.only_requested(obj)
        };
        fix_schemas(self.kind, &mut out);
        Value::Object(out)
    }

    fn only_requested(&self, obj: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        let always = schema::COMMON
            .iter()
            .chain(self.kind.core().attributes)
            .filter(|a| a.returned == Returned::Always);
        for a in always {
            if let Some(v) = obj.get(a.name) {
                out.insert(a.name.to_owned(), v.clone());
            }
        }
        // Each requested attribute once: whole, or the listed sub-attributes.
        let mut wants: Vec<Wanted> = Vec::new();
        for t in &self.attributes {
            match *t {
                Target::Extension(ext) => {
                    if let Some(v) = obj.get(ext.id) {
                        out.insert(ext.id.to_owned(), v.clone());
                    }
                }
                Target::Attr(AttrRef { ext, attr, sub }) => {
                    if attr.returned == Returned::Never {
                        continue;
                    }
                    let slot = wants
                        .iter_mut()
                        .find(|(e, a, _)| same_schema(*e, ext) && a.name == attr.name);
                    match (slot, sub) {
                        (Some((_, _, subs)), Some(sub)) => {
                            if let Some(list) = subs {
                                list.push(sub);
                            }
                        }
                        (Some((_, _, subs)), None) => *subs = None,
                        (None, sub) => wants.push((ext, attr, sub.map(|s| vec![s]))),
                    }
                }
            }
        }
        for (ext, attr, subs) in wants {
            let src = match ext {
                Some(e) => obj.get(e.id).and_then(|c| c.get(attr.name)),
                None => obj.get(attr.name),
            };
            let Some(src) = src else { continue };
            let picked = match &subs {
                None => Some(src.clone()),
                Some(subs) => pick_subs(src, subs),
            };
            let Some(picked) = picked else { continue };
            let container = match ext {
                Some(e) => match out.entry(e.id).or_insert_with(|| Value::Object(Map::new())) {
                    Value::Object(m) => m,
                    _ => continue,
                },
                None => &mut out,
            };
            container.entry(attr.name).or_insert(picked);
        }
        out
    }

    fn without_excluded(&self, obj: &Map<String, Value>) -> Map<String, Value> {
        let mut out = obj.clone();
        for a in self.kind.core().attributes {
            if matches!(a.returned, Returned::Never | Returned::Request) {
                out.remove(a.name);
            }
        }
        for t in &self.excluded {
            match *t {
                Target::Extension(ext) => {
                    out.remove(ext.id);
                }
                Target::Attr(AttrRef { ext, attr, sub }) => {
                    if attr.returned == Returned::Always {
                        continue;
                    }
                    let container = match ext {
                        Some(e) => match out.get_mut(e.id) {
                            Some(Value::Object(m)) => m,
                            _ => continue,
                        },
                        None => &mut out,
                    };
                    match sub {
                        None => {
                            container.remove(attr.name);
                        }
                        Some(sub) => {
                            let now_empty = match container.get_mut(attr.name) {
                                Some(Value::Array(items)) => {
                                    for item in items.iter_mut() {
                                        if let Value::Object(o) = item {
                                            o.remove(sub.name);
                                        }
                                    }
                                    items.retain(crate::filter::non_empty);
                                    items.is_empty()
                                }
                                Some(Value::Object(o)) => {
                                    o.remove(sub.name);
                                    o.is_empty()
                                }
                                _ => false,
                            };
                            if now_empty {
                                container.remove(attr.name);
                            }
                        }
                    }
                    if let Some(e) = ext {
                        if out.get(e.id).is_some_and(|c| !crate::filter::non_empty(c)) {
                            out.remove(e.id);
                        }
                    }
                }
            }
        }
        out
    }
}

/// A requested attribute: where it lives, and the sub-attributes asked for (`None`: all of it).
type Wanted = (
    Option<&'static Schema>,
    &'static Attribute,
    Option<Vec<&'static Attribute>>,
);

fn same_schema(a: Option<&'static Schema>, b: Option<&'static Schema>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.id == y.id,
        _ => false,
    }
}

/// The listed sub-attributes of a complex value (or of each element of a multi-valued one).
fn pick_subs(src: &Value, subs: &[&'static Attribute]) -> Option<Value> {
    let pick = |v: &Value| -> Option<Value> {
        let o = v.as_object()?;
        let m: Map<String, Value> = subs
            .iter()
            .filter_map(|s| o.get(s.name).map(|x| (s.name.to_owned(), x.clone())))
            .collect();
        (!m.is_empty()).then_some(Value::Object(m))
    };
    match src {
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(pick).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => pick(other),
    }
}

/// `schemas` names the core schema and the extensions still present.
fn fix_schemas(kind: ResourceKind, out: &mut Map<String, Value>) {
    let present: Vec<bool> = kind
        .extensions()
        .iter()
        .map(|e| out.contains_key(e.id))
        .collect();
    if let Some(Value::Array(list)) = out.get_mut("schemas") {
        list.retain(|s| {
            let Some(s) = s.as_str() else { return true };
            match kind
                .extensions()
                .iter()
                .position(|e| e.id.eq_ignore_ascii_case(s))
            {
                Some(i) => present.get(i).copied().unwrap_or(false),
                None => true,
            }
        });
    }
}

/// `resource` (as served) with the attributes that `attributes` (or else `excluded`) leave; see
/// [`Projection`].
pub fn project<S: AsRef<str>>(
    kind: ResourceKind,
    resource: &Value,
    attributes: &[S],
    excluded: &[S],
) -> Value {
    Projection::new(kind, attributes, excluded).apply(resource)
}

/// A request's projection: attributes and excluded attributes may not both be given.
fn projection(
    kind: ResourceKind,
    attributes: Option<Vec<String>>,
    excluded: Option<Vec<String>>,
) -> Result<Projection, ScimError> {
    match (attributes, excluded) {
        (Some(a), Some(e)) if !a.is_empty() && !e.is_empty() => Err(ScimError::invalid_syntax(
            "attributes and excludedAttributes cannot be used together (RFC 7644 §3.4.2.5); send one of them.",
        )),
        (a, e) => Ok(Projection::new(
            kind,
            &a.unwrap_or_default(),
            &e.unwrap_or_default(),
        )),
    }
}

fn split_names(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first value of the query parameter `name` (ASCII case-insensitive).
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A list or search request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// The filter, if any.
    pub filter: Option<Filter>,
    /// The 1-based index of the first result to return.
    pub start_index: u64,
    /// How many results to return at most (0: only `totalResults`).
    pub count: u64,
    /// Which attributes each result carries.
    pub projection: Projection,
}

fn whole_number(name: &str, s: &str) -> Result<i64, ScimError> {
    s.trim().parse::<i64>().map_err(|_| {
        ScimError::invalid_value(format!(
            "{name} must be a whole number, such as {name}={}.",
            if name == "count" { "100" } else { "1" }
        ))
    })
}

fn paging(start_index: Option<i64>, count: Option<i64>, limits: &Limits) -> (u64, u64) {
    let start = start_index.map_or(1, |s| u64::try_from(s.max(1)).unwrap_or(1));
    let count = count.map_or(limits.max_results, |c| {
        u64::try_from(c.max(0)).unwrap_or(0).min(limits.max_results)
    });
    (start, count)
}

impl ListQuery {
    /// From `GET /Users?…` or `GET /Groups?…` query parameters (decoded pairs; names are matched
    /// case-insensitively): `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`.
    /// `sortBy` and `sortOrder` are ignored.
    pub fn from_query(
        kind: ResourceKind,
        params: &[(String, String)],
        limits: &Limits,
    ) -> Result<Self, ScimError> {
        let filter = param(params, "filter")
            .map(|f| Filter::parse(kind, f))
            .transpose()?;
        let start = param(params, "startIndex")
            .map(|s| whole_number("startIndex", s))
            .transpose()?;
        let count = param(params, "count")
            .map(|s| whole_number("count", s))
            .transpose()?;
        let (start_index, count) = paging(start, count, limits);
        Ok(ListQuery {
            filter,
            start_index,
            count,
            projection: Projection::from_query(kind, params)?,
        })
    }

    /// From a `POST /Users/.search` or `POST /Groups/.search` body (RFC 7644 §3.4.3, the SearchRequest
    /// schema).
    pub fn from_search_body(
        kind: ResourceKind,
        body: &[u8],
        limits: &Limits,
    ) -> Result<Self, ScimError> {
        let example = format!(
            "{{\"schemas\": [\"{SEARCH_REQUEST}\"], \"filter\": \"userName eq \\\"bjensen\\\"\", \"startIndex\": 1, \"count\": 100}}"
        );
        let obj = parse_json_object(body, "a search request", &example)?;
        let get = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null())
        };
        let schemas_ok = get("schemas").and_then(Value::as_array).is_some_and(|l| {
            l.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST))
            })
        });
        if !schemas_ok {
            return Err(ScimError::invalid_syntax(format!(
                "A search request's \"schemas\" must be [\"{SEARCH_REQUEST}\"], such as {example}."
            )));
        }
        let filter = match get("filter") {
            None => None,
            Some(Value::String(f)) => Some(Filter::parse(kind, f)?),
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "filter must be a string, not {}.",
                    json_type(other)
                )))
            }
        };
        let number = |name: &str| -> Result<Option<i64>, ScimError> {
            match get(name) {
                None => Ok(None),
                Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                    ScimError::invalid_value(format!("{name} must be a whole number."))
                }),
                Some(Value::String(s)) => whole_number(name, s).map(Some),
                Some(other) => Err(ScimError::invalid_value(format!(
                    "{name} must be a whole number, not {}.",
                    json_type(other)
                ))),
            }
        };
        let (start_index, count) = paging(number("startIndex")?, number("count")?, limits);
        let names = |name: &str| -> Result<Option<Vec<String>>, ScimError> {
            match get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(split_names(s))),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            ScimError::invalid_value(format!(
                                "{name} must be a list of attribute names."
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(other) => Err(ScimError::invalid_value(format!(
                    "{name} must be a list of attribute names, not {}.",
                    json_type(other)
                ))),
            }
        };
        let projection = projection(kind, names("attributes")?, names("excludedAttributes")?)?;
        Ok(ListQuery {
            filter,
            start_index,
            count,
            projection,
        })
    }

    /// How many matching resources to skip: `start_index - 1`.
    pub fn offset(&self) -> u64 {
        self.start_index.saturating_sub(1)
    }
}

/// A ListResponse (RFC 7644 §3.4.2): `totalResults` matching resources in all, this page starting at
/// `start_index` (1-based) with `resources` (already projected). `itemsPerPage` is the page's length.
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
