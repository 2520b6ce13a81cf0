//! Inbound SCIM integrations: each integration's replica of what its client pushed (the resources as they
//! were pushed, and the groups' members), its bearer token (only a SHA-256 of it), and the push
//! transaction.
//!
//! Invariants:
//! - a push ([`Store::push`]) holds the tenant's write lock from its first read to its commit: the
//!   replica's change and the plan made from it are applied together or not at all, and two pushes to the
//!   same user cannot both read the old document (no lost update);
//! - a resource's `name` (userName, or a group's displayName) is unique within its integration, compared
//!   case-insensitively;
//! - pushes within a minute of each other are recorded as one run ([`PUSH_RUN_WINDOW_SECS`]), so a
//!   client's bulk import is one entry in the integration's history, not ten thousand.

use crate::read::{group_row, user_row, USER_COLUMNS};
use crate::{records::bump_data_revision, DirectoryRecord, Result, Store, StoreError};
use roster_core::plan::{Plan, Snapshot};
use roster_core::{Conflict, Counts, DirectoryKey, Group, GroupId, Timestamp, User};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Pushes that start within this many seconds of the first push of a run are recorded in that run.
pub const PUSH_RUN_WINDOW_SECS: i64 = 60;

/// A SCIM resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// A user.
    User,
    /// A group.
    Group,
}

impl ResourceKind {
    /// Stored name (SCIM's resource type name).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }
}

/// A pushed resource, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The id Roster gave it (SCIM `id`).
    pub id: String,
    /// `userName` for users, `displayName` for groups.
    pub name: String,
    /// The client's own id for it (SCIM `externalId`).
    pub external_id: Option<String>,
    /// The email address lookups by email match (users).
    pub email: Option<String>,
    /// The document as pushed (without `id`, `meta` and group members), as JSON text.
    pub doc: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub modified_at: Timestamp,
    /// Bumped by every change (the ETag).
    pub version: i64,
}

/// An indexed way to find resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// By id.
    Id(&'a str),
    /// By `userName` (users) or `displayName` (groups), case-insensitively.
    Name(&'a str),
    /// By `externalId`, exactly.
    ExternalId(&'a str),
    /// By email, case-insensitively (users).
    Email(&'a str),
}

/// An integration's bearer token, as stored: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimToken {
    /// SHA-256 of the token.
    pub sha256: Vec<u8>,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// What an integration holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaCounts {
    /// Users.
    pub users: u64,
    /// Groups.
    pub groups: u64,
    /// When the last push that changed something was recorded.
    pub last_push: Option<Timestamp>,
}

const RESOURCE_COLUMNS: &str =
    "id, name, external_id, email, doc, created_at, modified_at, version";

fn resource_row(r: &Row<'_>) -> rusqlite::Result<Resource> {
    Ok(Resource {
        id: r.get(0)?,
        name: r.get(1)?,
        external_id: r.get(2)?,
        email: r.get(3)?,
        doc: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
        modified_at: Timestamp(r.get(6)?),
        version: r.get(7)?,
    })
}

fn lookup_clause(lookup: Lookup<'_>) -> (&'static str, &str) {
    match lookup {
        Lookup::Id(v) => ("id = ?3", v),
        Lookup::Name(v) => ("name = ?3", v),
        Lookup::ExternalId(v) => ("external_id = ?3", v),
        Lookup::Email(v) => ("email = ?3", v),
    }
}

fn find(
    c: &rusqlite::Connection,
    key: &DirectoryKey,
    kind: ResourceKind,
    lookup: Lookup<'_>,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<Resource>)> {
    let (clause, value) = lookup_clause(lookup);
    let total: i64 = c
        .prepare_cached(&format!(
            "SELECT count(*) FROM scim_resources WHERE directory_key = ?1 AND kind = ?2 AND {clause}"
        ))?
        .query_row(params![key.0, kind.as_str(), value], |r| r.get(0))?;
    let mut st = c.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM scim_resources WHERE directory_key = ?1 AND kind = ?2 AND {clause}
         ORDER BY seq LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = st
        .query_map(
            params![key.0, kind.as_str(), value, limit as i64, offset as i64],
            resource_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((total as u64, rows))
}

/// The first resource `lookup` finds (one indexed read: no count).
fn find_first(
    c: &rusqlite::Connection,
    key: &DirectoryKey,
    kind: ResourceKind,
    lookup: Lookup<'_>,
) -> Result<Option<Resource>> {
    let (clause, value) = lookup_clause(lookup);
    Ok(c
        .prepare_cached(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM scim_resources WHERE directory_key = ?1 AND kind = ?2 AND {clause}
             ORDER BY seq LIMIT 1"
        ))?
        .query_row(params![key.0, kind.as_str(), value], resource_row)
        .optional()?)
}

/// A write of resource `r`'s row, with the unique name's violation as [`StoreError::Conflict`].
fn name_taken(kind: ResourceKind, r: &Resource, res: rusqlite::Result<usize>) -> Result<()> {
    match res {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            Err(StoreError::Conflict(format!(
                "This integration already has a {} named \"{}\".",
                kind.as_str().to_lowercase(),
                r.name
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// A list of groups (`scim_user_groups.group_ids`) without the group of SQL parameter `group`.
fn without_group(group: &str) -> String {
    format!("(SELECT json_group_array(value ORDER BY value) FROM json_each(group_ids) WHERE value != {group})")
}

// `members` and `groups_of` read the membership rows (a user's: its list of groups) first and then
// each one's resource by its key: a CROSS JOIN keeps SQLite to that order. Left to choose, it walked
// every user of the integration (in creation order, to spare the sort) and probed the group's
// membership for each: a group of 300 read 10,000 users.
fn members(
    c: &rusqlite::Connection,
    key: &DirectoryKey,
    group: &str,
) -> Result<Vec<(String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT m.user_id, r.name FROM scim_members m
         CROSS JOIN scim_resources r ON r.directory_key = m.directory_key AND r.kind = 'User' AND r.id = m.user_id
         WHERE m.directory_key = ?1 AND m.group_id = ?2 ORDER BY r.seq",
    )?;
    let rows = st
        .query_map(params![key.0, group], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn groups_of(
    c: &rusqlite::Connection,
    key: &DirectoryKey,
    user: &str,
) -> Result<Vec<(String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT j.value, r.name FROM scim_resources u CROSS JOIN scim_user_groups g ON g.seq = u.seq
         CROSS JOIN json_each(g.group_ids) j
         CROSS JOIN scim_resources r ON r.directory_key = u.directory_key AND r.kind = 'Group' AND r.id = j.value
         WHERE u.directory_key = ?1 AND u.kind = 'User' AND u.id = ?2 ORDER BY r.seq",
    )?;
    let rows = st
        .query_map(params![key.0, user], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

impl Store {
    /// Replaces an integration's bearer token (the old one stops working with this commit).
    pub fn set_scim_token(&self, key: &DirectoryKey, token: &ScimToken) -> Result<()> {
        self.writer().execute(
            "INSERT INTO scim_tokens (directory_key, sha256, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(directory_key) DO UPDATE SET sha256 = excluded.sha256,
             created_at = excluded.created_at, expires_at = excluded.expires_at",
            params![key.0, token.sha256, token.created_at.0, token.expires_at.0],
        )?;
        Ok(())
    }

    /// An integration's token record, if it has one.
    pub fn scim_token(&self, key: &DirectoryKey) -> Result<Option<ScimToken>> {
        self.with_door_reader(|c| {
            Ok(c.prepare_cached(
                "SELECT sha256, created_at, expires_at FROM scim_tokens WHERE directory_key = ?1",
            )?
            .query_row([&key.0], |r| {
                Ok(ScimToken {
                    sha256: r.get(0)?,
                    created_at: Timestamp(r.get(1)?),
                    expires_at: Timestamp(r.get(2)?),
                })
            })
            .optional()?)
        })
    }

    /// How many SCIM integrations (with a token) the tenant has.
    pub fn scim_integration_count(&self) -> Result<u64> {
        let n: i64 = self
            .reader()
            .query_row("SELECT count(*) FROM scim_tokens", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// A resource by id.
    pub fn scim_resource(
        &self,
        key: &DirectoryKey,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<Resource>> {
        find_first(&self.reader(), key, kind, Lookup::Id(id))
    }

    /// The resources `lookup` finds, in the order they were created: (how many in all, this page).
    pub fn scim_find(
        &self,
        key: &DirectoryKey,
        kind: ResourceKind,
        lookup: Lookup<'_>,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Resource>)> {
        find(&self.reader(), key, kind, lookup, offset, limit)
    }

    /// A page of every resource of a kind, in the order they were created: (how many in all, this page).
    pub fn scim_page(
        &self,
        key: &DirectoryKey,
        kind: ResourceKind,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Resource>)> {
        let c = self.reader();
        let total: i64 = c
            .prepare_cached(
                "SELECT count(*) FROM scim_resources WHERE directory_key = ?1 AND kind = ?2",
            )?
            .query_row(params![key.0, kind.as_str()], |r| r.get(0))?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM scim_resources WHERE directory_key = ?1 AND kind = ?2
             ORDER BY seq LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = st
            .query_map(
                params![key.0, kind.as_str(), limit as i64, offset as i64],
                resource_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((total as u64, rows))
    }

    /// Calls `each` with every resource of a kind, in the order they were created, one at a time (a
    /// filter no index answers reads them all, never all at once), until it returns `false`.
    pub fn scim_each(
        &self,
        key: &DirectoryKey,
        kind: ResourceKind,
        each: &mut dyn FnMut(Resource) -> bool,
    ) -> Result<()> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM scim_resources WHERE directory_key = ?1 AND kind = ?2 ORDER BY seq"
        ))?;
        let mut rows = st.query(params![key.0, kind.as_str()])?;
        while let Some(row) = rows.next()? {
            if !each(resource_row(row)?) {
                break;
            }
        }
        Ok(())
    }

    /// A group's members: (user id, userName), in the order the users were created.
    pub fn scim_members(&self, key: &DirectoryKey, group: &str) -> Result<Vec<(String, String)>> {
        members(&self.reader(), key, group)
    }

    /// A user's groups: (group id, displayName).
    pub fn scim_groups_of(&self, key: &DirectoryKey, user: &str) -> Result<Vec<(String, String)>> {
        groups_of(&self.reader(), key, user)
    }

    /// How many users and groups an integration holds, and when it last changed something.
    pub fn scim_counts(&self, key: &DirectoryKey) -> Result<ReplicaCounts> {
        let c = self.reader();
        let count = |kind: ResourceKind| -> Result<u64> {
            let n: i64 = c
                .prepare_cached(
                    "SELECT count(*) FROM scim_resources WHERE directory_key = ?1 AND kind = ?2",
                )?
                .query_row(params![key.0, kind.as_str()], |r| r.get(0))?;
            Ok(n as u64)
        };
        let last_push: Option<i64> = c
            .prepare_cached(
                "SELECT max(finished_at) FROM sync_runs WHERE directory_key = ?1 AND trigger = 'scim'",
            )?
            .query_row([&key.0], |r| r.get(0))?;
        Ok(ReplicaCounts {
            users: count(ResourceKind::User)?,
            groups: count(ResourceKind::Group)?,
            last_push: last_push.map(Timestamp),
        })
    }

    /// Runs one push in one write transaction: `f` reads and changes the integration's replica and
    /// applies the plan made from it through [`Push`]. If `f` fails, nothing it did is kept.
    pub fn push<T, E: From<StoreError>>(
        &self,
        key: &DirectoryKey,
        now: Timestamp,
        f: impl FnOnce(&mut Push<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut c = self.writer();
        let out = {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(StoreError::from)?;
            let mut push = Push {
                tx,
                key: key.clone(),
                now,
            };
            let out = f(&mut push)?;
            push.tx.commit().map_err(StoreError::from)?;
            out
        };
        self.restart_log_if_due(&c);
        self.checkpoint_soon();
        Ok(out)
    }
}

/// One push's transaction (see [`Store::push`]).
pub struct Push<'c> {
    tx: Transaction<'c>,
    key: DirectoryKey,
    now: Timestamp,
}

impl std::fmt::Debug for Push<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push").field("key", &self.key).finish()
    }
}

impl Push<'_> {
    /// Now, for the push.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// A resource by id.
    pub fn resource(&self, kind: ResourceKind, id: &str) -> Result<Option<Resource>> {
        self.find(kind, Lookup::Id(id))
    }

    /// The first resource `lookup` finds.
    pub fn find(&self, kind: ResourceKind, lookup: Lookup<'_>) -> Result<Option<Resource>> {
        find_first(&self.tx, &self.key, kind, lookup)
    }

    /// Creates a resource, or replaces the one with its id (keeping its creation time and bumping its
    /// version). A name another resource of the integration has is refused ([`StoreError::Conflict`]).
    pub fn put(&self, kind: ResourceKind, r: &Resource) -> Result<()> {
        let res = self.tx.prepare_cached(
            "INSERT INTO scim_resources (directory_key, kind, id, name, external_id, email, doc, created_at, modified_at, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(directory_key, kind, id) DO UPDATE SET name = excluded.name, external_id = excluded.external_id,
             email = excluded.email, doc = excluded.doc, modified_at = excluded.modified_at, version = excluded.version",
        )?.execute(params![
            self.key.0,
            kind.as_str(),
            r.id,
            r.name,
            r.external_id,
            r.email,
            r.doc,
            r.created_at.0,
            r.modified_at.0,
            r.version
        ]);
        name_taken(kind, r, res)
    }

    /// Writes `r` over `old` (the same resource as stored): its document, times and version, and its
    /// name, external id and email only when they changed. SQLite rewrites the index of every column an
    /// `UPDATE` names, changed or not, and three of these four are indexed: a `PUT` or a deactivation
    /// that keeps the name wrote three index pages into the log for nothing. A name another resource of
    /// the integration has is refused ([`StoreError::Conflict`]).
    pub fn update(&self, kind: ResourceKind, old: &Resource, r: &Resource) -> Result<()> {
        use rusqlite::types::Value;
        let mut values: Vec<Value> = vec![
            self.key.0.clone().into(),
            kind.as_str().to_string().into(),
            r.id.clone().into(),
            r.doc.clone().into(),
            r.modified_at.0.into(),
            r.version.into(),
        ];
        let mut set = String::from("doc = ?4, modified_at = ?5, version = ?6");
        for (column, changed, value) in [
            ("name", old.name != r.name, Value::from(r.name.clone())),
            (
                "external_id",
                old.external_id != r.external_id,
                r.external_id.clone().into(),
            ),
            ("email", old.email != r.email, r.email.clone().into()),
        ] {
            if changed {
                values.push(value);
                set.push_str(&format!(", {column} = ?{}", values.len()));
            }
        }
        let res = self
            .tx
            .prepare_cached(&format!(
                "UPDATE scim_resources SET {set} WHERE directory_key = ?1 AND kind = ?2 AND id = ?3"
            ))?
            .execute(rusqlite::params_from_iter(values));
        name_taken(kind, r, res)
    }

    /// Removes a resource and its memberships; whether it existed.
    pub fn remove(&self, kind: ResourceKind, id: &str) -> Result<bool> {
        match kind {
            // Its memberships are found from its list of groups (one key each), not by a scan; the list
            // goes with its row (`ON DELETE CASCADE`).
            ResourceKind::User => self
                .tx
                .prepare_cached(
                    "DELETE FROM scim_members WHERE directory_key = ?1 AND user_id = ?2 AND group_id IN
                     (SELECT value FROM json_each((SELECT g.group_ids FROM scim_resources r
                      JOIN scim_user_groups g ON g.seq = r.seq
                      WHERE r.directory_key = ?1 AND r.kind = 'User' AND r.id = ?2)))",
                )?
                .execute(params![self.key.0, id])?,
            ResourceKind::Group => {
                self.tx
                    .prepare_cached(&format!(
                        "UPDATE scim_user_groups SET group_ids = {} WHERE seq IN
                         (SELECT r.seq FROM scim_members m CROSS JOIN scim_resources r
                          ON r.directory_key = m.directory_key AND r.kind = 'User' AND r.id = m.user_id
                          WHERE m.directory_key = ?1 AND m.group_id = ?2)",
                        without_group("?2")
                    ))?
                    .execute(params![self.key.0, id])?;
                self.tx
                    .prepare_cached(
                        "DELETE FROM scim_members WHERE directory_key = ?1 AND group_id = ?2",
                    )?
                    .execute(params![self.key.0, id])?
            }
        };
        let n = self
            .tx
            .prepare_cached(
                "DELETE FROM scim_resources WHERE directory_key = ?1 AND kind = ?2 AND id = ?3",
            )?
            .execute(params![self.key.0, kind.as_str(), id])?;
        Ok(n > 0)
    }

    /// Takes `group` out of the lists of groups of `users`; how many it wrote. One statement for them all:
    /// the ids are passed as one JSON array.
    fn ungroup(&self, group: &str, users: &[String]) -> Result<usize> {
        if users.is_empty() {
            return Ok(0);
        }
        Ok(self
            .tx
            .prepare_cached(&format!(
                "UPDATE scim_user_groups SET group_ids = {} WHERE seq IN (SELECT seq FROM scim_resources
                 WHERE directory_key = ?1 AND kind = 'User' AND id IN (SELECT value FROM json_each(?2)))",
                without_group("?3")
            ))?
            .execute(params![self.key.0, serde_json::to_string(users)?, group])?)
    }

    /// A group's members: (user id, userName).
    pub fn members(&self, group: &str) -> Result<Vec<(String, String)>> {
        members(&self.tx, &self.key, group)
    }

    /// A user's groups: (group id, displayName).
    pub fn groups_of(&self, user: &str) -> Result<Vec<(String, String)>> {
        groups_of(&self.tx, &self.key, user)
    }

    /// Adds users to a group; returns those that were not members yet, in the order given. Ids that are
    /// not users of the integration are refused ([`StoreError::NotFound`]), naming the first.
    ///
    /// The users' rows are found with one statement whatever their number (the ids passed as one JSON
    /// array): Okta adds members 100 a `PATCH`. Each new member then costs a membership row and its list
    /// of groups written again with the group in it, found by the user's position (`seq`).
    pub fn add_members(&self, group: &str, users: &[String]) -> Result<Vec<String>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(users)?;
        let rows: Vec<(String, Option<i64>, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT j.value, r.seq, g.group_ids FROM json_each(?2) j
                 LEFT JOIN scim_resources r ON r.directory_key = ?1 AND r.kind = 'User' AND r.id = j.value
                 LEFT JOIN scim_user_groups g ON g.seq = r.seq
                 ORDER BY j.key",
            )?
            .query_map(params![self.key.0, ids], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut insert = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO scim_members (directory_key, group_id, user_id) VALUES (?1, ?2, ?3)",
        )?;
        let mut regroup = self.tx.prepare_cached(
            "INSERT INTO scim_user_groups (seq, group_ids) VALUES (?1, ?2)
             ON CONFLICT (seq) DO UPDATE SET group_ids = excluded.group_ids",
        )?;
        // Refused before anything is written: an error leaves the group as it was.
        if let Some((id, ..)) = rows.iter().find(|(_, seq, _)| seq.is_none()) {
            return Err(StoreError::NotFound(format!(
                "There is no user with the id \"{id}\" in this integration."
            )));
        }
        let mut added = Vec::new();
        for (id, seq, groups) in rows {
            let Some(seq) = seq else {
                continue; // none: every id was found above
            };
            // A user named twice is a member after the first: the second insert does nothing.
            if insert.execute(params![self.key.0, group, id])? == 0 {
                continue;
            }
            let mut ids: Vec<String> = match groups {
                Some(groups) => serde_json::from_str(&groups)?,
                None => Vec::new(), // in no group yet
            };
            if let Err(at) = ids.binary_search_by(|g| g.as_str().cmp(group)) {
                ids.insert(at, group.to_string());
            }
            regroup.execute(params![seq, serde_json::to_string(&ids)?])?;
            added.push(id);
        }
        Ok(added)
    }

    /// Takes users out of a group; returns those that were members.
    pub fn remove_members(&self, group: &str, users: &[String]) -> Result<Vec<String>> {
        let mut delete = self.tx.prepare_cached(
            "DELETE FROM scim_members WHERE directory_key = ?1 AND group_id = ?2 AND user_id = ?3",
        )?;
        let mut removed = Vec::new();
        for u in users {
            if delete.execute(params![self.key.0, group, u])? > 0 {
                removed.push(u.clone());
            }
        }
        self.ungroup(group, &removed)?;
        Ok(removed)
    }

    /// Every directory sync of the tenant (for the plan's settings: the order of precedence).
    pub fn directories(&self) -> Result<Vec<DirectoryRecord>> {
        crate::records::directories(&self.tx)
    }

    /// How many days a user stays in the trash.
    pub fn retention_days(&self) -> Result<u32> {
        let days: i64 = self
            .tx
            .prepare_cached("SELECT pending_deletion_days FROM tenant WHERE id = 1")?
            .query_row([], |r| r.get(0))?;
        Ok(days.max(0) as u32)
    }

    /// What a plan for a push needs, and only that: the integration's groups with the given external ids
    /// (the client's ids: those the push names, and those its users are listed in), the groups named
    /// `group_names` whoever manages them (which a pushed group may take over), the users it manages with
    /// the given external ids or usernames, each with the integration's groups it is in (read too), and
    /// the users named `usernames` that it does not manage.
    ///
    /// Never every group of the integration: a `POST /Users` to an integration with thousands of groups
    /// reads the new user's (none) and nothing else. The plan sees every group it can touch: a pushed
    /// group (by its id, or by the name it takes), a removed one, and each group of each user it plans.
    pub fn snapshot(
        &self,
        external_ids: &[&str],
        usernames: &[&str],
        group_names: &[&str],
        group_external_ids: &[&str],
    ) -> Result<Snapshot> {
        let key = &self.key;
        let mut snap = Snapshot::default();
        // Its own users, with their stored group lists (filtered below, once their groups are read).
        let mut users: Vec<(User, Vec<String>)> = Vec::new();
        let mut seen = HashSet::new();
        // By external id, and by username too: a user its client deleted (now in the trash) and creates
        // again under a new id is matched by name and restored, not created twice.
        let own = [("external_id", external_ids), ("username", usernames)];
        for (column, values) in own {
            let mut st = self.tx.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, group_ids FROM users WHERE managed_by = ?1 AND {column} = ?2"
            ))?;
            for value in values {
                let mut rows = st.query(params![key.0, value])?;
                while let Some(row) = rows.next()? {
                    let user = user_row(row)?;
                    if !seen.insert(user.id.clone()) {
                        continue;
                    }
                    let list = row.get_ref(15)?.as_str().map_err(rusqlite::Error::from)?;
                    let list = crate::apply::decode_groups(list)?;
                    users.push((user, list.into_iter().map(String::from).collect()));
                }
            }
        }
        // Each group once, whichever way it was found.
        let mut found: HashMap<String, Group> = HashMap::new();
        let tx: &Transaction<'_> = &self.tx;
        let read = |found: &mut HashMap<String, Group>,
                    condition: &str,
                    args: &[&dyn rusqlite::ToSql]|
         -> Result<()> {
            let mut st = tx.prepare_cached(&format!(
                "SELECT id, name, description, managed_by, external_id FROM groups WHERE {condition}"
            ))?;
            for g in st.query_map(args, group_row)? {
                let g = g?;
                found.entry(g.id.as_str().to_string()).or_insert(g);
            }
            Ok(())
        };
        for ext in group_external_ids {
            read(
                &mut found,
                "managed_by = ?1 AND external_id = ?2",
                &[&key.0, ext],
            )?;
        }
        let listed: BTreeSet<&str> = users
            .iter()
            .flat_map(|(_, list)| list.iter().map(String::as_str))
            .collect();
        for id in listed {
            if !found.contains_key(id) {
                read(&mut found, "id = ?1 AND managed_by = ?2", &[&id, &key.0])?;
            }
        }
        for name in group_names {
            read(&mut found, "name = ?1", &[name])?;
        }
        snap.groups = found.into_values().collect();
        // The plan's order must not depend on a hash: the same request plans the same way.
        snap.groups.sort_by(|a, b| a.id.cmp(&b.id));
        let managed: HashMap<&str, &GroupId> = snap
            .groups
            .iter()
            .filter(|g| g.managed_by.as_ref() == Some(key))
            .map(|g| (g.id.as_str(), &g.id))
            .collect();
        for (mut user, list) in users {
            let mut groups: Vec<GroupId> = list
                .iter()
                .filter_map(|g| managed.get(g.as_str()).map(|&id| id.clone()))
                .collect();
            groups.sort();
            groups.dedup();
            user.groups = groups;
            snap.users.push(user);
        }
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?1 AND (managed_by IS NULL OR managed_by != ?2)"
        ))?;
        for name in usernames {
            for u in st.query_map(params![name, key.0], user_row)? {
                let u = u?;
                if seen.insert(u.id.clone()) {
                    snap.users.push(u);
                }
            }
        }
        Ok(snap)
    }

    /// Applies a push's plan to the tenant's users and groups and records its changes in the
    /// integration's history: in the run of the pushes of the last minute, or in a new one. A plan that
    /// changes nothing records nothing. Returns the run's id, if one was written.
    pub fn apply(
        &self,
        plan: &Plan,
        conflicts: &[Conflict],
        message: &dyn Fn(&Counts) -> String,
    ) -> Result<Option<i64>> {
        if plan.is_empty() && plan.errors.is_empty() {
            return Ok(None);
        }
        let tx = &self.tx;
        // A push is answered when it commits: a bulk insert's list indexes are built before (never in
        // practice: it takes 10,000 new users in one request).
        if crate::apply::apply_objects(tx, plan, &self.key, self.now)?
            == crate::bulk::ListIndexes::Missing
        {
            crate::bulk::build(tx)?;
        }
        bump_data_revision(tx)?;
        let open: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT id, counts FROM sync_runs WHERE directory_key = ?1 AND trigger = 'scim'
                 AND outcome = 'succeeded' AND started_at >= ?2 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(
                params![self.key.0, self.now.0 - PUSH_RUN_WINDOW_SECS],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (run_id, counts, first_seq) = match open {
            Some((id, counts)) => {
                let mut total: Counts = serde_json::from_str(&counts)?;
                total += plan.counts;
                let next: i64 = tx
                    .prepare_cached(
                        "SELECT coalesce(max(seq) + 1, 0) FROM run_changes WHERE run_id = ?1",
                    )?
                    .query_row([id], |r| r.get(0))?;
                (id, total, next)
            }
            None => {
                // The integration's record changes once a run, not once a push: it is one more page of
                // the log for each of a bulk import's thousands of pushes.
                tx.prepare_cached(
                    "UPDATE directories SET revision = revision + 1, status = 'ok' WHERE key = ?1",
                )?
                .execute([&self.key.0])?;
                tx.prepare_cached(
                    "INSERT INTO sync_runs (directory_key, trigger, outcome, started_at) VALUES (?1, 'scim', 'succeeded', ?2)",
                )?
                .execute(params![self.key.0, self.now.0])?;
                (tx.last_insert_rowid(), plan.counts, 0)
            }
        };
        tx.prepare_cached(
            "UPDATE sync_runs SET finished_at = ?2, counts = ?3, message = ?4 WHERE id = ?1",
        )?
        .execute(params![
            run_id,
            self.now.0,
            serde_json::to_string(&counts)?,
            message(&counts)
        ])?;
        // The run's errors and conflicts are read and written again only when this push adds to them,
        // which is rare (a push whose plan has an error is refused before it gets here; a conflict is
        // added when it takes an object over from a sync that comes later), not by every push of the run.
        if !plan.errors.is_empty() || !conflicts.is_empty() {
            let (errors, old_conflicts): (String, String) = tx
                .prepare_cached("SELECT errors, conflicts FROM sync_runs WHERE id = ?1")?
                .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut errs: Vec<roster_core::EntryError> = serde_json::from_str(&errors)?;
            errs.extend(plan.errors.iter().cloned());
            let mut cs: Vec<Conflict> = serde_json::from_str(&old_conflicts)?;
            cs.extend(conflicts.iter().cloned());
            tx.prepare_cached("UPDATE sync_runs SET errors = ?2, conflicts = ?3 WHERE id = ?1")?
                .execute(params![
                    run_id,
                    serde_json::to_string(&errs)?,
                    serde_json::to_string(&cs)?
                ])?;
        }
        crate::apply::insert_changes(tx, run_id, first_seq, plan.changes_iter())?;
        Ok(Some(run_id))
    }
}
