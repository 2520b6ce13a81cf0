//! SCIM reads: one resource, a list (filtered and paged), the root search, and how a stored resource is
//! rendered (with a user's groups or a group's members when asked).

use super::{etag, not_found, parse_doc, scim_kind, store_error, Related, ScimResult};
use crate::scim::{ScimDoor, Shown};
use roster_scim::{self as proto, ScimError};
use roster_store::{Lookup, Resource, ResourceKind};
use serde_json::Value;

/// The most resources a filter that no index answers may match before the list is refused as too many.
const SCAN_CAP: usize = 10_000;

impl ScimDoor {
    /// A stored resource as SCIM shows it: with a user's groups or a group's members when `projection`
    /// returns them (an `excludedAttributes=members` read never reads member rows).
    pub(super) fn render(
        &self,
        kind: ResourceKind,
        r: &Resource,
        projection: &proto::Projection,
    ) -> ScimResult<Value> {
        let full = self.render_full(kind, r, |attr| projection.includes(attr), None)?;
        Ok(projection.apply(&full))
    }

    /// What a write answers: the resource as `projection` shows it, with the user's groups or the group's
    /// members as the write's own transaction read them (`related`) when it shows them.
    pub(super) fn render_written(
        &self,
        kind: ResourceKind,
        r: &Resource,
        related: Related,
        projection: &proto::Projection,
    ) -> ScimResult<Value> {
        let full = self.render_full(kind, r, |attr| projection.includes(attr), Some(related))?;
        Ok(projection.apply(&full))
    }

    /// A user's groups or a group's members: `held` when the caller read them, else read now.
    fn related(&self, kind: ResourceKind, id: &str, held: Option<Related>) -> ScimResult<Related> {
        match (held, kind) {
            (Some(held), _) => Ok(held),
            (None, ResourceKind::User) => self.store().scim_groups_of(&self.key, id),
            (None, ResourceKind::Group) => self.store().scim_members(&self.key, id),
        }
        .map_err(store_error)
    }

    /// `related`: the user's groups or the group's members, when the caller has read them; else they are
    /// read here if `wants` them.
    fn render_full(
        &self,
        kind: ResourceKind,
        r: &Resource,
        wants: impl Fn(&str) -> bool,
        related: Option<Related>,
    ) -> ScimResult<Value> {
        let doc = parse_doc(r)?;
        let created = r.created_at.to_rfc3339();
        let modified = r.modified_at.to_rfc3339();
        let version = etag(r.version);
        let meta = proto::ResourceMeta {
            kind: scim_kind(kind),
            id: &r.id,
            created: &created,
            last_modified: &modified,
            version: Some(&version),
        };
        let base = &self.base_url;
        Ok(match kind {
            ResourceKind::User => {
                let mut out = proto::render(base, &doc, &meta);
                if wants("groups") {
                    let groups = self.related(kind, &r.id, related)?;
                    if let (false, Some(obj)) = (groups.is_empty(), out.as_object_mut()) {
                        // RFC 7643 §4.1.2: read-only, the groups the user is in (all direct here).
                        let list = groups
                            .into_iter()
                            .map(|(id, name)| {
                                serde_json::json!({
                                    "value": id,
                                    "$ref": proto::location(base, proto::ResourceKind::Group, &id),
                                    "display": name,
                                    "type": "direct",
                                })
                            })
                            .collect();
                        obj.insert("groups".into(), Value::Array(list));
                    }
                }
                out
            }
            ResourceKind::Group if wants("members") => {
                let members = self.related(kind, &r.id, related)?;
                proto::render_group(
                    base,
                    &doc,
                    &meta,
                    // By id, $ref and type (RFC 7643 §8.7.1); `display` is read-only and not kept.
                    members.into_iter().map(|(id, _)| proto::Member {
                        value: id,
                        display: None,
                    }),
                )
            }
            ResourceKind::Group => proto::render(base, &doc, &meta),
        })
    }

    /// GET of one resource.
    pub fn get(
        &self,
        kind: ResourceKind,
        id: &str,
        projection: &proto::Projection,
    ) -> ScimResult<Shown> {
        let r = self
            .store()
            .scim_resource(&self.key, kind, id)
            .map_err(store_error)?
            .ok_or_else(|| not_found(kind, id))?;
        Ok(Shown {
            body: self.render(kind, &r, projection)?,
            etag: etag(r.version),
        })
    }

    /// GET of a list (or `POST /.search`): filtered, paged by `startIndex` and `count` in the order the
    /// resources were created.
    pub fn list(&self, kind: ResourceKind, q: &proto::ListQuery) -> ScimResult<Value> {
        let offset = q.offset();
        let (total, resources) = self.matching(kind, q, offset, q.count)?;
        Ok(proto::list_response(total, offset + 1, resources))
    }

    /// `POST /.search` at the root (RFC 7644 §3.4.3): users, then groups, paged as one list. A query that
    /// names attributes only one type has is that type's alone (`None` for the other).
    pub fn search_all(
        &self,
        users: Option<&proto::ListQuery>,
        groups: Option<&proto::ListQuery>,
    ) -> ScimResult<Value> {
        let Some(first) = users.or(groups) else {
            return Err(ScimError::invalid_filter(
                "The search names attributes that neither users nor groups have.",
            ));
        };
        let (offset, count) = (first.offset(), first.count);
        let (user_total, mut resources) = match users {
            Some(q) => self.matching(ResourceKind::User, q, offset, count)?,
            None => (0, Vec::new()),
        };
        let left = count.saturating_sub(resources.len() as u64);
        let (group_total, more) = match groups {
            Some(q) => self.matching(
                ResourceKind::Group,
                q,
                offset.saturating_sub(user_total),
                left,
            )?,
            None => (0, Vec::new()),
        };
        resources.extend(more);
        Ok(proto::list_response(
            user_total + group_total,
            offset + 1,
            resources,
        ))
    }

    /// The resources of `kind` that `q`'s filter matches: how many in all, and the page at `offset`.
    fn matching(
        &self,
        kind: ResourceKind,
        q: &proto::ListQuery,
        offset: u64,
        count: u64,
    ) -> ScimResult<(u64, Vec<Value>)> {
        let (total, page) = match &q.filter {
            None => self
                .store()
                .scim_page(&self.key, kind, offset, count)
                .map_err(store_error)?,
            // An index narrows the candidates; the filter still decides.
            Some(f) => match f.lookup() {
                Some(l) => {
                    let (_, rows) = self
                        .store()
                        .scim_find(&self.key, kind, lookup(&l), 0, SCAN_CAP as u64)
                        .map_err(store_error)?;
                    self.filtered(kind, f, rows.into_iter(), offset, count)?
                }
                None => {
                    let mut all = Vec::new();
                    let mut failed = None;
                    self.store()
                        .scim_each(&self.key, kind, &mut |r| {
                            match self.matches(kind, f, &r) {
                                Ok(true) => all.push(r),
                                Ok(false) => {}
                                Err(e) => {
                                    failed = Some(e);
                                    return false;
                                }
                            }
                            all.len() <= SCAN_CAP
                        })
                        .map_err(store_error)?;
                    if let Some(e) = failed {
                        return Err(e);
                    }
                    if all.len() > SCAN_CAP {
                        return Err(ScimError::too_many(format!(
                            "The filter matches more than {SCAN_CAP} resources. Narrow it (for example `userName eq \"…\"`)."
                        )));
                    }
                    let total = all.len() as u64;
                    let rows = all
                        .into_iter()
                        .skip(offset as usize)
                        .take(count as usize)
                        .collect();
                    (total, rows)
                }
            },
        };
        let resources = page
            .iter()
            .map(|r| self.render(kind, r, &q.projection))
            .collect::<ScimResult<Vec<_>>>()?;
        Ok((total, resources))
    }

    fn matches(&self, kind: ResourceKind, f: &proto::Filter, r: &Resource) -> ScimResult<bool> {
        // Members are read only for a filter that names them.
        let full = self.render_full(
            kind,
            r,
            |attr| attr != "members" || f.mentions_members(),
            None,
        )?;
        Ok(f.matches(&full))
    }

    fn filtered(
        &self,
        kind: ResourceKind,
        f: &proto::Filter,
        rows: impl Iterator<Item = Resource>,
        offset: u64,
        count: u64,
    ) -> ScimResult<(u64, Vec<Resource>)> {
        let mut hits = Vec::new();
        for r in rows {
            if self.matches(kind, f, &r)? {
                hits.push(r);
            }
        }
        let total = hits.len() as u64;
        Ok((
            total,
            hits.into_iter()
                .skip(offset as usize)
                .take(count as usize)
                .collect(),
        ))
    }
}

fn lookup(l: &proto::Lookup) -> Lookup<'_> {
    match l {
        proto::Lookup::Id(v) => Lookup::Id(v),
        proto::Lookup::UserName(v) | proto::Lookup::DisplayName(v) => Lookup::Name(v),
        proto::Lookup::ExternalId(v) => Lookup::ExternalId(v),
        proto::Lookup::Email(v) => Lookup::Email(v),
    }
}
