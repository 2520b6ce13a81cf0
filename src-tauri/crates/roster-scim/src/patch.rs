//! PATCH (RFC 7644 §3.5.2): operations applied in order to a stored document; the result is checked again
//! like a PUT body, so a PATCH can never store what a PUT would refuse.
//!
//! What is accepted, beyond the RFC's own examples:
//! - `op` in any case (Entra ID sends `Add`, `Replace`, `Remove`);
//! - path-less `add`/`replace` whose value's keys are dotted (`name.givenName`) or URN-qualified
//!   (`urn:…:enterprise:2.0:User:employeeNumber`), as Entra ID sends with `aadOptscim062020`;
//! - an `id` in a path-less value that equals the resource's own id (Okta's group rename); another id is
//!   a 400 `mutability`. Other read-only attributes in a path-less value are ignored, as in a PUT;
//! - `password` in any operation: accepted and dropped, never stored;
//! - `replace` (or `add`) on `emails[type eq "work"].value` when no email is of type work: the email is
//!   added as `{"type": "work", "value": …}`. RFC 7644 §3.5.2.3 says `noTarget` here, but Entra ID sends
//!   one operation per attribute this way for users who never had one, and a refusal would stop its
//!   provisioning. Only filters that pin `type` (and perhaps `primary`) with `eq`, joined by `and`, are
//!   filled in like this; any other filter that matches nothing is a 400 `noTarget`, as the RFC says;
//! - `remove` with a filter that matches nothing is a success that changes nothing: §3.5.2.2 asks for no
//!   error there, and Okta and Entra ID re-send removals;
//! - Entra ID's member removal `{"op":"Remove","path":"members","value":[{"value":"u1"}]}`.
//!
//! Errors: 400 `invalidSyntax` (not a PatchOp), `invalidPath` (a path that names nothing), `noTarget`
//! (`remove` without a path; a `replace` filter that matches nothing), `invalidValue` (a value of the
//! wrong type, a missing value), `mutability` (a read-only attribute, a changed id, removing `userName`
//! or a group's `displayName`).

use crate::error::ScimError;
use crate::filter::{self, CompareOp, Expr, Literal, PatchPath};
use crate::resource::{
    json_type, member_ids, normalise, normalise_attribute, normalise_object, parse_json_object,
    take_ci, value_ids,
};
use crate::schema::{AttrRef, Mutability, ResourceKind, Schema, PATCH_OP};
use serde_json::{Map, Value};

/// A change to a group's members, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOp {
    /// Add these user ids (already members stay members).
    Add(Vec<String>),
    /// Remove these user ids (non-members are ignored).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// Make exactly these user ids the members.
    Replace(Vec<String>),
}

/// A PATCHed group: the new document (without members) and the member changes to apply, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPatch {
    /// The group's new document.
    pub doc: Value,
    /// The member changes, in request order.
    pub members: Vec<MemberOp>,
}

/// Applies a PATCH body to a stored user document (`id` is the user's id). Returns the new document,
/// normalised as a PUT body would be.
pub fn patch_user(id: &str, doc: &Value, body: &[u8]) -> Result<Value, ScimError> {
    let (doc, _) = patch(ResourceKind::User, id, doc, body)?;
    Ok(doc)
}

/// Applies a PATCH body to a stored group document (`id` is the group's id). Returns the new document
/// and the member changes.
pub fn patch_group(id: &str, doc: &Value, body: &[u8]) -> Result<GroupPatch, ScimError> {
    let (doc, members) = patch(ResourceKind::Group, id, doc, body)?;
    Ok(GroupPatch { doc, members })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
        }
    }
}

const EXAMPLE: &str = "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"], \"Operations\": [{\"op\": \"replace\", \"path\": \"active\", \"value\": false}]}";

fn patch(
    kind: ResourceKind,
    id: &str,
    doc: &Value,
    body: &[u8],
) -> Result<(Value, Vec<MemberOp>), ScimError> {
    let mut req = parse_json_object(body, "a PATCH request", EXAMPLE)?;
    let schemas_ok = take_ci(&mut req, "schemas")
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP)))
        });
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"], such as {EXAMPLE}."
        )));
    }
    let ops = match take_ci(&mut req, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "A PATCH request needs \"Operations\": a list of one or more operations, such as {EXAMPLE}."
            )))
        }
    };
    let Value::Object(stored) = doc else {
        return Err(ScimError::internal(
            "The stored resource is not a JSON object; it cannot be patched.",
        ));
    };
    let mut p = Patcher {
        kind,
        id,
        work: stored.clone(),
        members: Vec::new(),
    };
    for (i, op) in ops.into_iter().enumerate() {
        p.operation(op).map_err(|e| ScimError {
            detail: format!("Operation {}: {}", i + 1, e.detail),
            ..e
        })?;
    }
    let mut work = p.work;
    work.entry("schemas")
        .or_insert_with(|| Value::Array(vec![Value::String(kind.core().id.to_owned())]));
    let (doc, _) = normalise(kind, work)?;
    Ok((Value::Object(doc), p.members))
}

struct Patcher<'a> {
    kind: ResourceKind,
    id: &'a str,
    work: Map<String, Value>,
    members: Vec<MemberOp>,
}

impl Patcher<'_> {
    fn operation(&mut self, op: Value) -> Result<(), ScimError> {
        let Value::Object(mut op) = op else {
            return Err(ScimError::invalid_syntax(format!(
                "each operation must be an object such as {{\"op\": \"replace\", \"path\": \"active\", \"value\": false}}, not {}.",
                json_type(&op)
            )));
        };
        let kind = match take_ci(&mut op, "op") {
            Some(Value::String(s)) if s.eq_ignore_ascii_case("add") => Op::Add,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("remove") => Op::Remove,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("replace") => Op::Replace,
            _ => {
                return Err(ScimError::invalid_syntax(
                    "\"op\" must be \"add\", \"remove\" or \"replace\".",
                ))
            }
        };
        let value = take_ci(&mut op, "value");
        match take_ci(&mut op, "path") {
            None | Some(Value::Null) => self.without_path(kind, value),
            Some(Value::String(path)) if !path.trim().is_empty() => {
                let parsed = filter::parse_path(self.kind, path.trim())?;
                self.at_path(kind, &path, parsed, value)
            }
            Some(_) => Err(ScimError::invalid_path(
                "\"path\" must be a non-empty string, such as \"name.givenName\".",
            )),
        }
    }

    /// `add` or `replace` without a path: the value's keys are the targets.
    fn without_path(&mut self, op: Op, value: Option<Value>) -> Result<(), ScimError> {
        if op == Op::Remove {
            return Err(ScimError::no_target(
                "remove needs a path naming what to remove (RFC 7644 §3.5.2.2), such as {\"op\": \"remove\", \"path\": \"nickName\"}.",
            ));
        }
        let Some(Value::Object(attrs)) = value else {
            return Err(ScimError::invalid_value(format!(
                "{} without a path needs an object of attributes as its value, such as {{\"op\": \"{}\", \"value\": {{\"active\": false}}}}.",
                op.as_str(),
                op.as_str()
            )));
        };
        for (key, v) in attrs {
            if key.eq_ignore_ascii_case("id") {
                if v.as_str() == Some(self.id) {
                    continue;
                }
                return Err(ScimError::mutability(
                    "id is read-only; the id in the value is not this resource's id.",
                ));
            }
            let parsed = filter::parse_path(self.kind, &key)?;
            // Read-only attributes in a path-less value are ignored, as in a PUT (RFC 7644 §3.5.1).
            if let PatchPath::Attr { r, .. } = &parsed {
                if r.attr.mutability == Mutability::ReadOnly
                    || r.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
                {
                    continue;
                }
            }
            self.at_path(op, &key, parsed, Some(v))?;
        }
        Ok(())
    }

    fn at_path(
        &mut self,
        op: Op,
        text: &str,
        path: PatchPath,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        match path {
            PatchPath::Extension(ext) => self.extension(op, ext, value),
            PatchPath::Attr { r, filter } => {
                if self.kind == ResourceKind::Group && r.ext.is_none() && r.attr.name == "members" {
                    return self.member_op(op, r, filter.as_ref(), value);
                }
                if r.attr.mutability == Mutability::ReadOnly
                    || r.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
                {
                    return Err(ScimError::mutability(format!(
                        "{} is read-only; Roster sets it.",
                        r.display()
                    )));
                }
                if r.attr.mutability == Mutability::WriteOnly {
                    // The password: accepted, never stored.
                    return Ok(());
                }
                if op == Op::Remove && filter.is_none() && r.sub.is_none() && r.attr.required {
                    return Err(ScimError::mutability(format!(
                        "{} is required and cannot be removed; replace it instead.",
                        r.attr.name
                    )));
                }
                match (op, filter) {
                    (Op::Remove, None) => self.remove(r, value),
                    (Op::Remove, Some(f)) => {
                        self.remove_matching(r, &f);
                        Ok(())
                    }
                    (_, None) => self.set(op, r, need_value(op, value)?),
                    (_, Some(f)) => self.set_matching(op, text, r, &f, need_value(op, value)?),
                }
            }
        }
    }

    /// The object holding `r`'s attribute: the document, or its extension's object.
    fn container(&mut self, ext: Option<&'static Schema>) -> Option<&mut Map<String, Value>> {
        match ext {
            None => Some(&mut self.work),
            Some(e) => match self
                .work
                .entry(e.id)
                .or_insert_with(|| Value::Object(Map::new()))
            {
                Value::Object(m) => Some(m),
                _ => None,
            },
        }
    }

    /// Drops an extension object left empty.
    fn tidy(&mut self, ext: Option<&'static Schema>) {
        if let Some(e) = ext {
            if self.work.get(e.id).is_some_and(|c| !filter::non_empty(c)) {
                self.work.remove(e.id);
            }
        }
    }

    fn extension(
        &mut self,
        op: Op,
        ext: &'static Schema,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        if op == Op::Remove {
            self.work.remove(ext.id);
            return Ok(());
        }
        let value = need_value(op, value)?;
        let attrs = match value {
            Value::Null => return self.extension(Op::Remove, ext, None),
            Value::Object(mut o) => {
                // A client that serialises the extension as a resource of its own sends its `schemas`
                // too (scim2-tester does); it names the extension, which the path already does.
                o.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
                normalise_object(ext.attributes, ext.id, o)?
            }
            other => {
                return Err(ScimError::invalid_value(format!(
                    "{} must be an object of {} attributes, not {}.",
                    ext.id,
                    ext.name,
                    json_type(&other)
                )))
            }
        };
        if let Some(Value::Object(attrs)) = attrs {
            for (name, v) in attrs {
                if let Some(attr) = ext.attribute(&name) {
                    let r = AttrRef {
                        ext: Some(ext),
                        attr,
                        sub: None,
                    };
                    self.set(op, r, v)?;
                }
            }
        }
        Ok(())
    }

    /// `add` or `replace` on `attr` or `attr.sub`, without a filter.
    fn set(&mut self, op: Op, r: AttrRef, value: Value) -> Result<(), ScimError> {
        let display = r.display();
        match r.sub {
            Some(sub) => {
                if r.attr.multi_valued {
                    return Err(ScimError::invalid_path(format!(
                        "{display} names a sub-attribute of every {}; select one with a filter, as in {}[type eq \"work\"].{}.",
                        r.attr.name, r.attr.name, sub.name
                    )));
                }
                let v = normalise_attribute(sub, &display, value)?;
                let Some(c) = self.container(r.ext) else {
                    return Ok(());
                };
                let parent = c
                    .entry(r.attr.name)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !parent.is_object() {
                    *parent = Value::Object(Map::new());
                }
                if let Value::Object(p) = parent {
                    match v {
                        Some(v) => {
                            p.insert(sub.name.to_owned(), v);
                        }
                        None => {
                            p.remove(sub.name);
                        }
                    }
                    if p.is_empty() {
                        c.remove(r.attr.name);
                    }
                }
            }
            None => {
                let v = normalise_attribute(r.attr, &display, value)?;
                let Some(c) = self.container(r.ext) else {
                    return Ok(());
                };
                match (v, r.attr.multi_valued, op) {
                    (None, _, Op::Add) => {}
                    (None, _, _) => {
                        c.remove(r.attr.name);
                    }
                    (Some(Value::Array(new)), true, Op::Add) => {
                        let list = c
                            .entry(r.attr.name)
                            .or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(items) = list {
                            let mut primary = None;
                            for item in new {
                                let is_primary = item.get("primary") == Some(&Value::Bool(true));
                                let at = match items.iter().position(|x| *x == item) {
                                    Some(at) => at,
                                    None => {
                                        items.push(item);
                                        items.len() - 1
                                    }
                                };
                                if is_primary {
                                    primary = Some(at);
                                }
                            }
                            if let Some(keep) = primary {
                                only_primary(items, keep);
                            }
                        }
                    }
                    (Some(Value::Object(new)), false, _) => {
                        // A complex attribute: the sub-attributes given replace theirs; the others stay
                        // (RFC 7644 §3.5.2.1 and §3.5.2.3).
                        let slot = c
                            .entry(r.attr.name)
                            .or_insert_with(|| Value::Object(Map::new()));
                        if !slot.is_object() {
                            *slot = Value::Object(Map::new());
                        }
                        if let Value::Object(old) = slot {
                            old.extend(new);
                        }
                    }
                    (Some(v), _, _) => {
                        c.insert(r.attr.name.to_owned(), v);
                    }
                }
            }
        }
        self.tidy(r.ext);
        Ok(())
    }

    /// `add` or `replace` on `attr[filter]` or `attr[filter].sub`.
    fn set_matching(
        &mut self,
        op: Op,
        text: &str,
        r: AttrRef,
        filter: &Expr,
        value: Value,
    ) -> Result<(), ScimError> {
        let display = r.display();
        // The new element (no sub-attribute) or the new sub-attribute value, checked first.
        let (element, sub_value) = match r.sub {
            None => match normalise_attribute(r.attr, &display, value)? {
                Some(Value::Array(mut items)) if items.len() == 1 => (items.pop(), None),
                None => (None, None),
                Some(_) => {
                    return Err(ScimError::invalid_value(format!(
                        "{text} selects values of {}; give one object as the value.",
                        r.attr.name
                    )))
                }
            },
            Some(sub) => (None, normalise_attribute(sub, &display, value)?),
        };
        let Some(c) = self.container(r.ext) else {
            return Ok(());
        };
        let list = c
            .entry(r.attr.name)
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        let Value::Array(items) = list else {
            return Ok(());
        };
        let matched: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, el)| filter::eval(filter, el))
            .map(|(i, _)| i)
            .collect();
        let sets_primary = match r.sub {
            Some(sub) => sub.name == "primary" && sub_value == Some(Value::Bool(true)),
            None => element.as_ref().and_then(|e| e.get("primary")) == Some(&Value::Bool(true)),
        };
        let mut primary = None;
        if matched.is_empty() {
            let Some(mut seed) = equalities(filter) else {
                if items.is_empty() {
                    c.remove(r.attr.name);
                }
                return Err(ScimError::no_target(format!(
                    "no value of {} matches \"{text}\", so there is nothing to {} (RFC 7644 §3.5.2.3).",
                    r.attr.name,
                    op.as_str()
                )));
            };
            match (r.sub, sub_value, element) {
                (Some(sub), Some(v), _) => {
                    seed.insert(sub.name.to_owned(), v);
                }
                (None, _, Some(Value::Object(e))) => seed.extend(e),
                // Nothing to add: a null value for a value nobody has.
                _ => {
                    if items.is_empty() {
                        c.remove(r.attr.name);
                    }
                    return Ok(());
                }
            }
            items.push(Value::Object(seed));
            if sets_primary {
                primary = Some(items.len() - 1);
            }
        } else {
            for &i in &matched {
                let Some(el) = items.get_mut(i) else { continue };
                match (r.sub, &element) {
                    (Some(sub), _) => {
                        if let Value::Object(o) = el {
                            match &sub_value {
                                Some(v) => {
                                    o.insert(sub.name.to_owned(), v.clone());
                                }
                                None => {
                                    o.remove(sub.name);
                                }
                            }
                        }
                    }
                    (None, Some(new)) => match (op, el, new) {
                        (Op::Add, Value::Object(old), Value::Object(new)) => {
                            old.extend(new.clone());
                        }
                        (_, el, new) => *el = new.clone(),
                    },
                    // Replacing the matched values with nothing removes them.
                    (None, None) => *el = Value::Null,
                }
            }
            if sets_primary {
                primary = matched.first().copied();
            }
        }
        if let Some(keep) = primary {
            only_primary(items, keep);
        }
        items.retain(filter::non_empty);
        if items.is_empty() {
            c.remove(r.attr.name);
        }
        self.tidy(r.ext);
        Ok(())
    }

    /// `remove` on `attr` or `attr.sub`, without a filter. A value given for a multi-valued attribute
    /// removes the elements with those values (Entra ID's member removal, generalised).
    fn remove(&mut self, r: AttrRef, value: Option<Value>) -> Result<(), ScimError> {
        let Some(c) = self.container(r.ext) else {
            return Ok(());
        };
        match r.sub {
            None => {
                let by_value = match value {
                    Some(v)
                        if r.attr.multi_valued && r.attr.sub("value").is_some() && !v.is_null() =>
                    {
                        Some(value_ids(r.attr.name, v)?)
                    }
                    _ => None,
                };
                match by_value {
                    None => {
                        c.remove(r.attr.name);
                    }
                    Some(values) => {
                        let exact = r.attr.sub("value").is_some_and(|s| s.case_exact);
                        if let Some(Value::Array(items)) = c.get_mut(r.attr.name) {
                            items.retain(|el| {
                                let v = el.get("value").and_then(Value::as_str).unwrap_or("");
                                !values.iter().any(|x| {
                                    if exact {
                                        x == v
                                    } else {
                                        x.to_lowercase() == v.to_lowercase()
                                    }
                                })
                            });
                            if items.is_empty() {
                                c.remove(r.attr.name);
                            }
                        }
                    }
                }
            }
            Some(sub) => {
                let now_empty = match c.get_mut(r.attr.name) {
                    Some(Value::Object(o)) => {
                        o.remove(sub.name);
                        o.is_empty()
                    }
                    Some(Value::Array(items)) => {
                        for el in items.iter_mut() {
                            if let Value::Object(o) = el {
                                o.remove(sub.name);
                            }
                        }
                        items.retain(filter::non_empty);
                        items.is_empty()
                    }
                    _ => false,
                };
                if now_empty {
                    c.remove(r.attr.name);
                }
            }
        }
        self.tidy(r.ext);
        Ok(())
    }

    /// `remove` on `attr[filter]` (the matching values) or `attr[filter].sub` (that sub-attribute of
    /// each). Matching nothing changes nothing.
    fn remove_matching(&mut self, r: AttrRef, filter: &Expr) {
        let Some(c) = self.container(r.ext) else {
            return;
        };
        if let Some(Value::Array(items)) = c.get_mut(r.attr.name) {
            match r.sub {
                None => items.retain(|el| !filter::eval(filter, el)),
                Some(sub) => {
                    for el in items.iter_mut() {
                        if filter::eval(filter, el) {
                            if let Value::Object(o) = el {
                                o.remove(sub.name);
                            }
                        }
                    }
                    items.retain(filter::non_empty);
                }
            }
            if items.is_empty() {
                c.remove(r.attr.name);
            }
        }
        self.tidy(r.ext);
    }

    fn member_op(
        &mut self,
        op: Op,
        r: AttrRef,
        filter: Option<&Expr>,
        value: Option<Value>,
    ) -> Result<(), ScimError> {
        const ADD: &str =
            "{\"op\": \"add\", \"path\": \"members\", \"value\": [{\"value\": \"<user id>\"}]}";
        if r.sub.is_some() {
            return Err(ScimError::invalid_path(format!(
                "members are changed as a whole, not by sub-attribute; add them with {ADD} and remove them with {{\"op\": \"remove\", \"path\": \"members[value eq \\\"<user id>\\\"]\"}}."
            )));
        }
        let change = match (op, filter) {
            (Op::Add, None) => {
                let ids = member_ids(need_value(op, value)?)?;
                if ids.is_empty() {
                    return Ok(());
                }
                MemberOp::Add(ids)
            }
            (Op::Replace, None) => MemberOp::Replace(member_ids(need_value(op, value)?)?),
            (Op::Remove, None) => match value {
                None | Some(Value::Null) => MemberOp::RemoveAll,
                Some(v) => MemberOp::Remove(member_ids(v)?),
            },
            (Op::Remove, Some(f)) => {
                let mut ids = Vec::new();
                if !member_values(f, &mut ids) {
                    return Err(ScimError::invalid_path(
                        "members are removed by id: members[value eq \"<user id>\"] (several may be joined with or).",
                    ));
                }
                MemberOp::Remove(ids)
            }
            (Op::Add | Op::Replace, Some(_)) => {
                return Err(ScimError::invalid_path(format!(
                    "members are added as a list, without a filter: {ADD}."
                )))
            }
        };
        self.members.push(change);
        Ok(())
    }
}

fn need_value(op: Op, value: Option<Value>) -> Result<Value, ScimError> {
    value.ok_or_else(|| {
        ScimError::invalid_value(format!(
            "{} needs a \"value\" (RFC 7644 §3.5.2).",
            op.as_str()
        ))
    })
}

/// Marks the element at `keep` as the only primary one (RFC 7644 §3.5.2: setting `primary` to true
/// sets it to false on the others).
fn only_primary(items: &mut [Value], keep: usize) {
    for (i, el) in items.iter_mut().enumerate() {
        if i != keep {
            if let Some(p) = el.get_mut("primary") {
                if *p == Value::Bool(true) {
                    *p = Value::Bool(false);
                }
            }
        }
    }
}

/// The new value a filter that matched nothing describes: `type eq "work"` gives `{"type": "work"}`.
/// Only `eq` on `type` (required) and `primary`, joined by `and`; `None` for any other filter.
fn equalities(e: &Expr) -> Option<Map<String, Value>> {
    equalities_of(e).filter(|m| m.contains_key("type"))
}

fn equalities_of(e: &Expr) -> Option<Map<String, Value>> {
    match e {
        Expr::And(a, b) => {
            let mut m = equalities_of(a)?;
            m.extend(equalities_of(b)?);
            Some(m)
        }
        Expr::Compare(r, CompareOp::Eq, lit)
            if r.sub.is_none() && matches!(r.attr.name, "type" | "primary") =>
        {
            let v = match lit {
                Literal::Str(s) => Value::String(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                _ => return None,
            };
            let mut m = Map::new();
            m.insert(r.attr.name.to_owned(), v);
            Some(m)
        }
        _ => None,
    }
}

/// The ids in `value eq "…"` (or several joined with `or`); false for any other filter.
fn member_values(e: &Expr, out: &mut Vec<String>) -> bool {
    match e {
        Expr::Or(a, b) => member_values(a, out) && member_values(b, out),
        Expr::Compare(r, CompareOp::Eq, Literal::Str(v)) if r.attr.name == "value" => {
            out.push(v.clone());
            true
        }
        _ => false,
    }
}
