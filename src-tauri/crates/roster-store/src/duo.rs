//! What the Admin API reads and writes: users, groups and administrators with everything Duo's objects
//! show, page by page (LIMIT/OFFSET over an index, never a whole list in memory), and the writes an
//! Admin API application makes, each with its audit entry in the same transaction.

use crate::apply::{decode_groups, encode_groups};
use crate::read::{admin_row, group_row, user_row, ADMIN_COLUMNS, USER_COLUMNS};
use crate::{AuditEntry, Result, Store, StoreError};
use roster_core::{Admin, Group, Timestamp, User};
use rusqlite::{params, OptionalExtension, Row};
use std::collections::HashMap;

/// A user with what Duo's user object shows besides its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user.
    pub user: User,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its groups (every group, synced or not), by name.
    pub groups: Vec<GroupRecord>,
}

/// A group with its creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The group.
    pub group: Group,
    /// When it was created.
    pub created_at: Timestamp,
    /// Duo's group status (set by operators; a sync never changes it).
    pub status: roster_core::GroupStatus,
}

/// An administrator with its creation time and custom role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRecord {
    /// The administrator.
    pub admin: Admin,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its custom role, if it acts with one.
    pub custom_role: Option<String>,
}

/// Which users a page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// Every user.
    All,
    /// The user with this username or alias (case-insensitive).
    Username(String),
    /// Users with this email (case-insensitive).
    Email(String),
    /// Users with these usernames.
    Usernames(Vec<String>),
    /// Users with these ids.
    Ids(Vec<String>),
}

impl UserFilter {
    fn sql(&self) -> (&'static str, String) {
        match self {
            UserFilter::All => ("(1 OR :p IS NULL)", String::new()), // duo_users counts it apart
            // Two index lookups (the username's unique index, the aliases' table), never a scan.
            UserFilter::Username(u) => (
                "u.id IN (SELECT id FROM users WHERE username = :p
                          UNION SELECT user_id FROM user_aliases WHERE alias = :p)",
                u.clone(),
            ),
            UserFilter::Email(e) => ("u.email = :p COLLATE NOCASE", e.clone()),
            UserFilter::Usernames(v) => (
                "u.username IN (SELECT value FROM json_each(:p))",
                serde_json::to_string(v).unwrap_or_else(|_| "[]".into()),
            ),
            UserFilter::Ids(v) => (
                "u.id IN (SELECT value FROM json_each(:p))",
                serde_json::to_string(v).unwrap_or_else(|_| "[]".into()),
            ),
        }
    }
}

/// The state of the database as the reader sees it: SQLite's data version (changes when another
/// connection commits) and the reader's own count of changes. Equal versions, the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version(i64, u64);

impl Version {
    fn of(c: &rusqlite::Connection) -> Result<Version> {
        let v: i64 = c.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(Version(v, c.total_changes()))
    }
}

/// Where recently read pages of the full user list end: (version, offset of the next page, the last
/// username, the total). A few, so that several clients reading the list at once each continue.
#[derive(Debug, Default)]
pub(crate) struct Continuations(Vec<(Version, i64, String, u64)>);

const CONTINUATIONS: usize = 8;

impl Store {
    /// The last username before `from` and the total, if a page read at `version` ended at `from`.
    fn continuation(&self, version: Version, from: i64) -> Option<(String, u64)> {
        let marks = self
            .continuations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        marks
            .0
            .iter()
            .find(|(v, next, _, _)| *v == version && *next == from)
            .map(|(_, _, last, total)| (last.clone(), *total))
    }

    /// Records that the page from `from` to `next` (exclusive) ended at `last`; the mark it continued, and
    /// those of another version, are dropped.
    fn continues(&self, version: Version, from: i64, next: i64, last: &str, total: u64) {
        let mut marks = self
            .continuations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        marks
            .0
            .retain(|(v, n, _, _)| *v == version && *n != from && *n != next);
        if marks.0.len() >= CONTINUATIONS {
            marks.0.remove(0);
        }
        marks.0.push((version, next, last.to_string(), total));
    }
}

fn offset(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

const GROUP_COLUMNS: &str = "id, name, description, managed_by, external_id, created_at, status";

fn group_record(r: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    Ok(GroupRecord {
        group: group_row(r)?,
        created_at: Timestamp(r.get(5)?),
        status: crate::read::group_status(r, 6)?,
    })
}

/// Reads `groups` (ids) once each for a page of users.
fn groups_by_id(
    c: &rusqlite::Connection,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, GroupRecord>> {
    let ids: Vec<String> = ids.collect();
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut st = c.prepare_cached(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups WHERE id IN (SELECT value FROM json_each(?1))"
    ))?;
    for g in st.query_map([serde_json::to_string(&ids)?], group_record)? {
        let g = g?;
        out.insert(g.group.id.0.to_string(), g);
    }
    Ok(out)
}

fn missing_user(id: &str) -> StoreError {
    StoreError::NotFound(format!("There is no user with the id {id}."))
}

impl Store {
    /// A page of users (by username) matching `filter`, and how many match in all.
    pub fn duo_users(
        &self,
        filter: &UserFilter,
        from: u64,
        limit: u64,
    ) -> Result<(Vec<UserRecord>, u64)> {
        let c = self.reader();
        let tx = c.unchecked_transaction()?; // the count and the page from one snapshot
        let limit = offset(limit);
        let from = offset(from);
        let mut rows = Vec::new();
        let read = |r: &Row<'_>| -> rusqlite::Result<_> {
            Ok((user_row(r)?, r.get::<_, i64>(15)?, r.get::<_, String>(16)?))
        };
        let total: u64 = if let UserFilter::All = filter {
            // A page that continues one just read, with nothing written since, starts after its last
            // username (an index seek) instead of skipping `from` entries, and reuses its count: the
            // same rows and total as LIMIT/OFFSET would give, since the list is exactly as it was.
            let version = Version::of(&tx)?;
            let after = self.continuation(version, from);
            let total = match &after {
                Some((_, total)) => *total,
                // No WHERE: SQLite counts the smallest index's entries without reading a row.
                None => tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?,
            };
            let seek = after.as_ref().map(|(last, _)| last.as_str());
            let (sql, start): (&str, &dyn rusqlite::ToSql) = match &seek {
                Some(last) => (
                    "WHERE username > ?2 ORDER BY username COLLATE NOCASE LIMIT ?1",
                    last,
                ),
                None => ("ORDER BY username COLLATE NOCASE LIMIT ?1 OFFSET ?2", &from),
            };
            let mut st = tx.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, created_at, group_ids FROM users {sql}"
            ))?;
            for r in st.query_map(params![limit, start], read)? {
                rows.push(r?);
            }
            if let Some((user, _, _)) = rows.last() {
                let next = from.saturating_add(rows.len() as i64);
                self.continues(version, from, next, &user.fields.username, total);
            }
            total
        } else {
            let (cond, p) = filter.sql();
            let total = tx.query_row(
                &format!("SELECT count(*) FROM users u WHERE {cond}"),
                rusqlite::named_params! {":p": p},
                |r| r.get(0),
            )?;
            let mut st = tx.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, created_at, group_ids FROM users u WHERE {cond}
                 ORDER BY u.username COLLATE NOCASE LIMIT :limit OFFSET :offset",
            ))?;
            for r in st.query_map(
                rusqlite::named_params! {":p": p, ":limit": limit, ":offset": from},
                read,
            )? {
                rows.push(r?);
            }
            total
        };
        let out = records(&tx, rows)?;
        tx.finish()?;
        Ok((out, total))
    }

    /// One user by id.
    pub fn duo_user(&self, id: &str) -> Result<Option<UserRecord>> {
        let c = self.reader();
        let row = c
            .query_row(
                &format!("SELECT {USER_COLUMNS}, created_at, group_ids FROM users WHERE id = ?1"),
                [id],
                |r| Ok((user_row(r)?, r.get::<_, i64>(15)?, r.get::<_, String>(16)?)),
            )
            .optional()?;
        Ok(records(&c, row.into_iter().collect())?.pop())
    }

    /// A page of groups by name (only `ids`, when given), and how many there are.
    pub fn duo_groups(
        &self,
        ids: Option<&[String]>,
        from: u64,
        limit: u64,
    ) -> Result<(Vec<GroupRecord>, u64)> {
        let c = self.reader();
        let list = serde_json::to_string(&ids.unwrap_or_default())?;
        let cond = if ids.is_some() {
            "id IN (SELECT value FROM json_each(:ids))"
        } else {
            "(1 OR :ids IS NULL)"
        };
        let total: u64 = c.query_row(
            &format!("SELECT count(*) FROM groups WHERE {cond}"),
            rusqlite::named_params! {":ids": list},
            |r| r.get(0),
        )?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE {cond} ORDER BY name COLLATE NOCASE LIMIT :limit OFFSET :offset"
        ))?;
        let rows = st
            .query_map(
                rusqlite::named_params! {":ids": list, ":limit": offset(limit), ":offset": offset(from)},
                group_record,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// One group by id.
    pub fn duo_group(&self, id: &str) -> Result<Option<GroupRecord>> {
        Ok(self
            .reader()
            .query_row(
                &format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id = ?1"),
                [id],
                group_record,
            )
            .optional()?)
    }

    /// A page of a group's members (id and username, by username), and how many there are.
    pub fn duo_group_members(
        &self,
        group: &str,
        from: u64,
        limit: u64,
    ) -> Result<(Vec<(String, String)>, u64)> {
        let c = self.reader();
        let cond = "EXISTS (SELECT 1 FROM json_each(group_ids) j WHERE j.value = ?1)";
        let total: u64 = c.query_row(
            &format!("SELECT count(*) FROM users WHERE group_ids != '[]' AND {cond}"),
            [group],
            |r| r.get(0),
        )?;
        let mut st = c.prepare_cached(&format!(
            "SELECT id, username FROM users WHERE group_ids != '[]' AND {cond} ORDER BY username COLLATE NOCASE LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = st
            .query_map(params![group, offset(limit), offset(from)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// A page of administrators by email, and how many there are.
    pub fn duo_admins(&self, from: u64, limit: u64) -> Result<(Vec<AdminRecord>, u64)> {
        let c = self.reader();
        let total: u64 = c.query_row("SELECT count(*) FROM admins", [], |r| r.get(0))?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {ADMIN_COLUMNS}, created_at, custom_role FROM admins ORDER BY email COLLATE NOCASE LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = st
            .query_map(params![offset(limit), offset(from)], admin_record)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// One administrator by id.
    pub fn duo_admin(&self, id: &str) -> Result<Option<AdminRecord>> {
        Ok(self
            .reader()
            .query_row(
                &format!(
                    "SELECT {ADMIN_COLUMNS}, created_at, custom_role FROM admins WHERE id = ?1"
                ),
                [id],
                admin_record,
            )
            .optional()?)
    }

    /// Adds a user (managed by no sync), with its audit entry.
    pub fn create_user_audited(&self, u: &User, now: Timestamp, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            crate::apply::insert_manual_user(tx, u, now)?;
            crate::records::bump_data_revision(tx)
        })
    }

    /// Saves an edit of a user's fields and status, with its audit entry.
    pub fn save_user_audited(&self, u: &User, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            crate::apply::update_user_fields(tx, u)?;
            crate::records::bump_data_revision(tx)
        })
    }

    /// Deletes a user for good (skipping the trash), with its audit entry.
    pub fn delete_user_audited(&self, id: &str, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            if tx.execute("DELETE FROM users WHERE id = ?1", [id])? == 0 {
                return Err(missing_user(id));
            }
            crate::records::bump_data_revision(tx)
        })
    }

    /// Deletes an administrator, with its audit entry.
    pub fn delete_admin_audited(&self, id: &str, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            if tx.execute("DELETE FROM admins WHERE id = ?1", [id])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "There is no administrator with the id {id}."
                )));
            }
            crate::records::bump_data_revision(tx)
        })
    }

    /// Adds (`add`) or removes a user's membership of a group, with its audit entry. Returns whether it
    /// changed anything.
    pub fn set_membership_audited(
        &self,
        user: &str,
        group: &str,
        add: bool,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.audited(audit, |tx| {
            let list: String = tx
                .query_row("SELECT group_ids FROM users WHERE id = ?1", [user], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| missing_user(user))?;
            let mut ids: Vec<String> = decode_groups(&list)?
                .into_iter()
                .map(|g| g.into_owned())
                .collect();
            let had = ids.iter().any(|g| g == group);
            if had == add {
                return Ok(false);
            }
            if add {
                ids.push(group.to_string());
                ids.sort();
            } else {
                ids.retain(|g| g != group);
            }
            tx.execute(
                "UPDATE users SET group_ids = ?2 WHERE id = ?1",
                params![user, encode_groups(ids.iter().map(String::as_str))?],
            )?;
            crate::records::bump_data_revision(tx)?;
            Ok(true)
        })
    }

    /// Sets the trash retention, with its audit entry.
    pub fn set_retention_audited(&self, days: u32, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            tx.execute(
                "UPDATE tenant SET pending_deletion_days = ?1 WHERE id = 1",
                [days],
            )?;
            Ok(())
        })
    }

    /// How many users are in the trash.
    pub fn trash_count(&self) -> Result<u64> {
        Ok(self.reader().query_row(
            "SELECT count(*) FROM users WHERE status = 'pending deletion'",
            [],
            |r| r.get(0),
        )?)
    }

    /// How many users, groups and administrators the tenant has.
    pub fn duo_counts(&self) -> Result<(u64, u64, u64)> {
        Ok(self.reader().query_row(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM groups), (SELECT count(*) FROM admins)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }
}

fn admin_record(r: &Row<'_>) -> rusqlite::Result<AdminRecord> {
    Ok(AdminRecord {
        admin: admin_row(r)?,
        created_at: Timestamp(r.get(10)?),
        custom_role: r.get(11)?,
    })
}

/// Users with their groups, read once for the page.
fn records(c: &rusqlite::Connection, rows: Vec<(User, i64, String)>) -> Result<Vec<UserRecord>> {
    let mut wanted = std::collections::BTreeSet::new();
    for (_, _, list) in &rows {
        for g in decode_groups(list)? {
            wanted.insert(g.into_owned());
        }
    }
    let groups = groups_by_id(c, wanted.into_iter())?;
    let mut out = Vec::with_capacity(rows.len());
    for (user, created, list) in rows {
        let mut gs: Vec<GroupRecord> = decode_groups(&list)?
            .iter()
            .filter_map(|g| groups.get(g.as_ref()).cloned())
            .collect();
        gs.sort_by_key(|g| g.group.name.to_lowercase());
        out.push(UserRecord {
            user,
            created_at: Timestamp(created),
            groups: gs,
        });
    }
    Ok(out)
}
