//! What SCIM requests do to an integration. Reads are answered from its replica (what its client pushed);
//! every write changes the replica and goes through the planner into Roster's users and groups, both in
//! one transaction ([`roster_store::Store::push`]), so ownership, precedence, read-only fields, the
//! history and the trash follow the same rules as for every sync, and a request that fails changes
//! nothing.
//!
//! The protocol itself (parsing, PATCH, filters, rendering) is `roster-scim`'s; this module decides what a
//! request means for the tenant.

use crate::scim::{Body, Patched, ScimDoor, Shown};
use roster_core::DirectoryKey;
use roster_scim::{self as proto, ScimError};
use roster_store::{Lookup, Push, Resource, ResourceKind, StoreError};
use serde_json::Value;

mod commit;
mod read;

use commit::Changed;

/// A SCIM answer: a document, or SCIM's error.
pub type ScimResult<T> = std::result::Result<T, ScimError>;

/// The error a push's transaction fails with: SCIM's, or the store's (mapped to SCIM's at the end).
#[derive(Debug)]
struct PushError(ScimError);

impl From<StoreError> for PushError {
    fn from(e: StoreError) -> Self {
        PushError(store_error(e))
    }
}

impl From<ScimError> for PushError {
    fn from(e: ScimError) -> Self {
        PushError(e)
    }
}

fn store_error(e: StoreError) -> ScimError {
    match e {
        StoreError::Conflict(m) => ScimError::uniqueness(format!("{m} Nothing was changed.")),
        StoreError::NotFound(m) => ScimError::invalid_value(format!("{m} Nothing was changed.")),
        other => ScimError::internal(format!(
            "Roster could not store the change ({other}). Nothing was changed; send the request again."
        )),
    }
}

fn not_found(kind: ResourceKind, id: &str) -> ScimError {
    ScimError::not_found(format!(
        "There is no {} with the id \"{id}\" in this integration.",
        kind.as_str().to_lowercase()
    ))
}

fn new_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40; // a version 4 UUID, which some clients expect ids to look like
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The email lookups by email match: the primary one, else the work one, else the first.
fn lookup_email(doc: &Value) -> Option<String> {
    let emails = doc.get("emails")?.as_array()?;
    let value = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_string);
    emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .and_then(value)
        .or_else(|| {
            emails
                .iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some("work"))
                .and_then(value)
        })
        .or_else(|| emails.iter().find_map(value))
}

fn name_of(kind: ResourceKind, doc: &Value) -> String {
    let attr = match kind {
        ResourceKind::User => "userName",
        ResourceKind::Group => "displayName",
    };
    doc.get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn parse_doc(r: &Resource) -> ScimResult<Value> {
    serde_json::from_str(&r.doc).map_err(|e| {
        ScimError::internal(format!(
            "A stored resource could not be read ({e}). Push it again."
        ))
    })
}

fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Whether `If-Match` allows a change of a resource at `version`.
fn check_if_match(if_match: Option<&str>, version: i64) -> ScimResult<()> {
    let Some(wanted) = if_match else {
        return Ok(());
    };
    let ok = wanted
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == etag(version) || t == format!("\"{version}\""));
    if ok {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(format!(
            "The resource changed since it was read (its version is now {}). Read it again, then send the change.",
            etag(version)
        )))
    }
}

/// A user's groups, or a group's members: (id, name) pairs.
type Related = Vec<(String, String)>;

/// What a write answers besides the resource (a user's groups, a group's members), read in the write's
/// own transaction: the writer's cache holds those pages, while every commit empties the reader's, so
/// reading them after the commit read each from the OS again (about 5 µs a member).
fn related(p: &Push<'_>, kind: ResourceKind, id: &str) -> Result<Related, StoreError> {
    match kind {
        ResourceKind::User => p.groups_of(id),
        ResourceKind::Group => p.members(id),
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

impl ScimDoor {
    fn store(&self) -> &roster_store::Store {
        &self.tenant.store
    }

    /// Runs one push: `f` changes the replica and says what it changed; the plan made from that is applied
    /// in the same transaction.
    fn push<T>(
        &self,
        f: impl FnOnce(&Push<'_>) -> std::result::Result<(T, Changed), PushError>,
    ) -> ScimResult<T> {
        let now = self.clock.now();
        self.store()
            .push(&self.key, now, |p| -> std::result::Result<T, PushError> {
                let (out, changed) = f(p)?;
                self.commit(p, changed)?;
                Ok(out)
            })
            .map_err(|PushError(e)| e)
    }

    fn taken(
        &self,
        p: &Push<'_>,
        kind: ResourceKind,
        name: &str,
        id: Option<&str>,
    ) -> ScimResult<()> {
        if name.is_empty() {
            return Err(ScimError::invalid_value(match kind {
                ResourceKind::User => "\"userName\" must not be empty.",
                ResourceKind::Group => "\"displayName\" must not be empty.",
            }));
        }
        match p.find(kind, Lookup::Name(name)).map_err(store_error)? {
            Some(other) if Some(other.id.as_str()) != id => Err(ScimError::uniqueness(format!(
                "This integration already has a {} named \"{name}\" (id {}). Update that one instead, or choose another name.",
                kind.as_str().to_lowercase(),
                other.id
            ))),
            _ => Ok(()),
        }
    }

    fn resource_of(
        &self,
        kind: ResourceKind,
        id: String,
        doc: &Value,
        now: roster_core::Timestamp,
    ) -> ScimResult<Resource> {
        Ok(Resource {
            name: name_of(kind, doc),
            external_id: doc
                .get("externalId")
                .and_then(Value::as_str)
                .map(str::to_string),
            email: match kind {
                ResourceKind::User => lookup_email(doc),
                ResourceKind::Group => None,
            },
            doc: serde_json::to_string(doc).map_err(|e| ScimError::internal(e.to_string()))?,
            created_at: now,
            modified_at: now,
            version: 1,
            id,
        })
    }

    /// POST: creates a user or a group; answers the created resource (201).
    pub fn create(&self, kind: ResourceKind, body: &[u8]) -> ScimResult<Value> {
        self.create_parsed(Body::parse(kind, body)?)
    }

    /// POST with its body parsed ([`Body::parse`]).
    pub fn create_parsed(&self, body: Body) -> ScimResult<Value> {
        let Body { kind, doc, members } = body;
        let members = members.unwrap_or_default();
        let r = self.push(|p| {
            let now = p.now();
            let r = self.resource_of(kind, new_id(), &doc, now)?;
            self.taken(p, kind, &r.name, None)?;
            p.put(kind, &r)?;
            let mut changed = Changed::default();
            match kind {
                ResourceKind::User => changed.users.push(r.id.clone()),
                ResourceKind::Group => {
                    changed.joined(&r.id, p.add_members(&r.id, &members)?);
                    changed.groups.push(r.id.clone());
                }
            }
            let held = related(p, kind, &r.id)?;
            Ok(((r, held), changed))
        })?;
        self.render_written(kind, &r.0, r.1, &proto::Projection::all(scim_kind(kind)))
    }

    /// PUT: replaces a user or a group (a group's members with the members given).
    pub fn replace(
        &self,
        kind: ResourceKind,
        id: &str,
        body: &[u8],
        if_match: Option<&str>,
    ) -> ScimResult<Value> {
        self.replace_parsed(id, Body::parse(kind, body)?, if_match)
    }

    /// PUT with its body parsed ([`Body::parse`]).
    pub fn replace_parsed(
        &self,
        id: &str,
        body: Body,
        if_match: Option<&str>,
    ) -> ScimResult<Value> {
        let Body { kind, doc, members } = body;
        let r = self.push(|p| {
            let old = p.resource(kind, id)?.ok_or_else(|| not_found(kind, id))?;
            check_if_match(if_match, old.version)?;
            let mut changed = Changed::default();
            let mut r = self.updated(p, kind, &old, &doc, &mut changed)?;
            if let Some(members) = members {
                let moved = set_members(p, id, &members, &mut changed)?;
                r = touched(p, &old, r, moved)?;
            }
            let held = related(p, kind, id)?;
            Ok(((r, held), changed))
        })?;
        self.render_written(kind, &r.0, r.1, &proto::Projection::all(scim_kind(kind)))
    }

    /// Stores `doc` as the new version of `old` (if it differs) and notes what to plan.
    fn updated(
        &self,
        p: &Push<'_>,
        kind: ResourceKind,
        old: &Resource,
        doc: &Value,
        changed: &mut Changed,
    ) -> std::result::Result<Resource, PushError> {
        if parse_doc(old)? == *doc {
            return Ok(old.clone());
        }
        let mut r = self.resource_of(kind, old.id.clone(), doc, p.now())?;
        self.taken(p, kind, &r.name, Some(&old.id))?;
        r.created_at = old.created_at;
        r.version = old.version + 1;
        p.update(kind, old, &r)?;
        match kind {
            ResourceKind::User => changed.users.push(r.id.clone()),
            ResourceKind::Group => changed.groups.push(r.id.clone()),
        }
        Ok(r)
    }

    /// PATCH: changes a user or a group as the operations say; answers the whole resource (200).
    pub fn patch(
        &self,
        kind: ResourceKind,
        id: &str,
        body: &[u8],
        if_match: Option<&str>,
    ) -> ScimResult<Value> {
        let (r, related) = self.patched(kind, id, body, if_match, true)?;
        self.render_written(kind, &r, related, &proto::Projection::all(scim_kind(kind)))
    }

    /// PATCH as a SCIM request asks it (RFC 7644 §3.5.2): `asked` is the projection its `attributes` or
    /// `excludedAttributes` name, `None` when it names neither. A group's PATCH that asks for nothing is
    /// answered with its new version only (204), as Entra ID's and Okta's membership pushes expect: its
    /// answer would list every member, read while the write holds the store's writer, rendered and sent,
    /// for the client to throw away. A user's PATCH always answers the user (200): clients read the
    /// result of a deactivation from it.
    pub fn patch_answering(
        &self,
        kind: ResourceKind,
        id: &str,
        body: &[u8],
        if_match: Option<&str>,
        asked: Option<&proto::Projection>,
    ) -> ScimResult<Patched> {
        if let (ResourceKind::Group, None) = (kind, asked) {
            let (r, _) = self.patched(kind, id, body, if_match, false)?;
            return Ok(Patched::Version(etag(r.version)));
        }
        let all = proto::Projection::all(scim_kind(kind));
        let projection = asked.unwrap_or(&all);
        let wants = match kind {
            ResourceKind::User => projection.includes("groups"),
            ResourceKind::Group => projection.includes("members"),
        };
        let (r, related) = self.patched(kind, id, body, if_match, wants)?;
        Ok(Patched::Resource(Shown {
            body: self.render_written(kind, &r, related, projection)?,
            etag: etag(r.version),
        }))
    }

    /// Applies a PATCH; the resource as written and, if `related`, the user's groups or the group's
    /// members read in the write's transaction.
    fn patched(
        &self,
        kind: ResourceKind,
        id: &str,
        body: &[u8],
        if_match: Option<&str>,
        related: bool,
    ) -> ScimResult<(Resource, Related)> {
        self.push(|p| {
            let old = p.resource(kind, id)?.ok_or_else(|| not_found(kind, id))?;
            check_if_match(if_match, old.version)?;
            let doc = parse_doc(&old)?;
            let mut changed = Changed::default();
            let r = match kind {
                ResourceKind::User => {
                    let new = proto::patch_user(id, &doc, body)?;
                    self.updated(p, kind, &old, &new, &mut changed)?
                }
                ResourceKind::Group => {
                    let g = proto::patch_group(id, &doc, body)?;
                    let r = self.updated(p, kind, &old, &g.doc, &mut changed)?;
                    let mut moved = false;
                    for op in g.members {
                        moved |= match op {
                            proto::MemberOp::Add(users) => {
                                changed.joined(id, p.add_members(id, &users)?)
                            }
                            proto::MemberOp::Remove(users) => {
                                changed.left(id, p.remove_members(id, &users)?)
                            }
                            proto::MemberOp::RemoveAll => {
                                let all: Vec<String> =
                                    p.members(id)?.into_iter().map(|(u, _)| u).collect();
                                changed.left(id, p.remove_members(id, &all)?)
                            }
                            proto::MemberOp::Replace(users) => {
                                set_members(p, id, &users, &mut changed)?
                            }
                        };
                    }
                    touched(p, &old, r, moved)?
                }
            };
            let held = if related {
                self::related(p, kind, id)?
            } else {
                Vec::new()
            };
            Ok(((r, held), changed))
        })
    }

    /// DELETE: a user goes to Roster's trash (restorable for the retention), a group is deleted; either is
    /// gone from the integration at once.
    pub fn delete(&self, kind: ResourceKind, id: &str, if_match: Option<&str>) -> ScimResult<()> {
        self.push(|p| {
            let old = p.resource(kind, id)?.ok_or_else(|| not_found(kind, id))?;
            check_if_match(if_match, old.version)?;
            let mut changed = Changed::default();
            match kind {
                ResourceKind::User => {
                    // Its groups lose a member: each answers differently now, so each is a new version.
                    for (group, _) in p.groups_of(id)? {
                        if let Some(g) = p.resource(ResourceKind::Group, &group)? {
                            touched(p, &g, g.clone(), true)?;
                        }
                    }
                    p.remove(kind, id)?;
                    changed.removed_users.push(id.to_string());
                }
                ResourceKind::Group => {
                    p.remove(kind, id)?;
                    changed.removed_groups.push(id.to_string());
                }
            }
            Ok(((), changed))
        })
    }
}

/// Makes a group's members exactly `users`, noting who joined or left; whether anyone did.
fn set_members(
    p: &Push<'_>,
    group: &str,
    users: &[String],
    changed: &mut Changed,
) -> Result<bool, StoreError> {
    let wanted: std::collections::HashSet<&str> = users.iter().map(String::as_str).collect();
    let gone: Vec<String> = p
        .members(group)?
        .into_iter()
        .map(|(u, _)| u)
        .filter(|u| !wanted.contains(u.as_str()))
        .collect();
    let left = changed.left(group, p.remove_members(group, &gone)?);
    let joined = changed.joined(group, p.add_members(group, users)?);
    Ok(left || joined)
}

/// `r` (the group `old` as the request left its document), as a new version when its members changed
/// (`moved`) and its document did not: members are part of what a group answers, so its ETag must
/// change with them, or a client holding the old one could write an old member list back.
fn touched(p: &Push<'_>, old: &Resource, r: Resource, moved: bool) -> Result<Resource, StoreError> {
    if !moved || r.version != old.version {
        return Ok(r);
    }
    let r = Resource {
        version: old.version + 1,
        modified_at: p.now(),
        ..r
    };
    p.update(ResourceKind::Group, old, &r)?;
    Ok(r)
}

/// The directory sync whose user already has `username`, when a push's user was refused that name (the
/// planner refuses a rename onto another user's username whatever the precedence). A SCIM client gets the
/// sync's name, as for a create; the planner's own message asks to "sync again", which a push cannot do.
fn owner_of_taken_name<'a>(
    username: &str,
    users: &'a [roster_core::User],
    own: &DirectoryKey,
) -> Option<&'a DirectoryKey> {
    users
        .iter()
        .filter(|u| u.fields.username.eq_ignore_ascii_case(username))
        .find_map(|u| u.managed_by.as_ref().filter(|k| *k != own))
}

fn scim_kind(kind: ResourceKind) -> proto::ResourceKind {
    match kind {
        ResourceKind::User => proto::ResourceKind::User,
        ResourceKind::Group => proto::ResourceKind::Group,
    }
}

#[cfg(test)]
mod tests;
