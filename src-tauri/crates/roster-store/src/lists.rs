//! The window's lists with sorts and filters, one user's or group's page, and a user's history: each a
//! walk along one of schema 9's indexes ([`crate::schema::LISTS`]), so a page costs its position and its
//! size, never a sort of the whole table.

use crate::read::{like, user_row, UserRow, USER_COLUMNS};
use crate::{Page, Result, Store, StoreError};
use roster_core::{Change, FieldChange, ObjectKind, Timestamp, User};
use rusqlite::{params, OptionalExtension, Row};

mod groups;
mod runs;

pub use groups::GroupQuery;

/// How the Users and Trash lists are ordered. Every order ends with the username, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    /// Username.
    #[default]
    Username,
    /// Display name (users without one first).
    Name,
    /// Email.
    Email,
    /// Status (Duo's status string), then username.
    Status,
    /// When a sync last wrote the user (never first).
    LastSync,
    /// When the user entered the trash (the trash's "days left": soonest deleted first).
    Trashed,
}

impl UserSort {
    /// The ORDER BY terms, each with a matching index ([`crate::schema::LISTS`]).
    fn terms(self) -> &'static [&'static str] {
        match self {
            UserSort::Username => &["u.username"],
            UserSort::Name => &["u.realname COLLATE NOCASE", "u.username"],
            UserSort::Email => &["u.email COLLATE NOCASE", "u.username"],
            UserSort::Status => &["u.status", "u.username"],
            UserSort::LastSync => &["u.last_directory_sync", "u.username"],
            UserSort::Trashed => &["u.trashed_at", "u.username"],
        }
    }
}

/// Which sync manages the objects a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ManagedFilter<'a> {
    /// Any, or none.
    #[default]
    Any,
    /// Added by hand: no sync manages them.
    Unmanaged,
    /// The sync with this key.
    By(&'a str),
}

impl ManagedFilter<'_> {
    fn sql(self, column: &str) -> String {
        match self {
            ManagedFilter::Any => "1".into(),
            ManagedFilter::Unmanaged => format!("{column} IS NULL"),
            ManagedFilter::By(_) => format!("{column} = :sync"),
        }
    }

    fn key(self) -> Option<String> {
        match self {
            ManagedFilter::By(k) => Some(k.to_string()),
            ManagedFilter::Any | ManagedFilter::Unmanaged => None,
        }
    }
}

/// What the Users or Trash list shows: a search, filters and an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserQuery<'a> {
    /// Part of a username, display name or email (any case); empty for everyone.
    pub search: &'a str,
    /// The trash (users pending deletion) instead of everyone else.
    pub trash: bool,
    /// Only users with this Duo status (outside the trash).
    pub status: Option<&'a str>,
    /// Only users this sync manages.
    pub managed: ManagedFilter<'a>,
    /// The order.
    pub sort: UserSort,
    /// Reversed.
    pub descending: bool,
}

/// How the Groups list is ordered (then by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupSort {
    /// Name.
    #[default]
    Name,
    /// The managing sync (groups added by hand first), then name.
    Sync,
}

/// One entry of an object's history: a change a sync run applied to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The run.
    pub run_id: i64,
    /// Its position in the run's change log.
    pub seq: i64,
    /// The sync that ran.
    pub directory_key: String,
    /// Its name now.
    pub directory_name: String,
    /// When the run started.
    pub at: Timestamp,
    /// The change.
    pub change: Change,
}

/// One user with what their page shows beside their fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetailRecord {
    /// The user.
    pub user: User,
    /// The name of the sync that manages them.
    pub sync_name: Option<String>,
    /// Their groups, `(id, name)`, by name.
    pub groups: Vec<(String, String)>,
}

/// A run's point in Sync History: when, how it went, and what it counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPoint {
    /// The run.
    pub run: crate::RunRecord,
    /// Users (or admins) the sync managed once the run was applied; `None` for runs that applied nothing
    /// and for runs recorded before schema 9.
    pub managed_after: Option<u64>,
}

fn user_list_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    let groups: Option<String> = r.get(9)?;
    Ok(UserRow {
        user_id: r.get(0)?,
        username: r.get(1)?,
        realname: r.get(2)?,
        email: r.get(3)?,
        status: r.get(4)?,
        managed_by: r.get(5)?,
        managed_by_key: r.get(6)?,
        last_directory_sync: r.get::<_, Option<i64>>(7)?.map(Timestamp),
        trashed_at: r.get::<_, Option<i64>>(8)?.map(Timestamp),
        groups: groups
            .map(|g| g.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

const USER_LIST_COLUMNS: &str = "u.id, u.username, u.realname, u.email, u.status, d.name, u.managed_by, u.last_directory_sync, u.trashed_at,
    (SELECT group_concat(name, char(31)) FROM (SELECT g.name FROM json_each(u.group_ids) j JOIN groups g ON g.id = j.value
      ORDER BY g.name COLLATE NOCASE))";

/// `ORDER BY` for `terms`, each ascending or each descending (so SQLite walks the index either way).
pub(crate) fn order_by(terms: &[&str], descending: bool) -> String {
    let dir = if descending { " DESC" } else { "" };
    terms
        .iter()
        .map(|t| format!("{t}{dir}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The position of a page, as SQLite takes it.
pub(crate) fn offset(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// A page of the Users list (or the Trash) at a position, searched, filtered and sorted; `total`
    /// counts every match.
    pub fn user_list(&self, q: &UserQuery<'_>, at: u64, limit: u64) -> Result<Page<UserRow>> {
        let c = self.reader();
        let pattern = like(q.search);
        let sync = q.managed.key();
        // The trash is one status; outside it, a status filter is an index range of its own.
        let status = if q.trash {
            Some("pending deletion")
        } else {
            q.status
        };
        let filter = format!(
            "(:pattern = '%%' OR u.username LIKE :pattern ESCAPE '\\' OR u.realname LIKE :pattern ESCAPE '\\' OR u.email LIKE :pattern ESCAPE '\\')
             AND {} AND {}",
            match status {
                Some(_) => "u.status = :status",
                None => "u.status != 'pending deletion'",
            },
            q.managed.sql("u.managed_by")
        );
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":pattern", &pattern)];
        if let Some(s) = &status {
            named.push((":status", s));
        }
        if let Some(k) = &sync {
            named.push((":sync", k));
        }
        let total: u64 = c.query_row(
            &format!("SELECT count(*) FROM users u WHERE {filter}"),
            named.as_slice(),
            |r| r.get(0),
        )?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {USER_LIST_COLUMNS} FROM users u LEFT JOIN directories d ON d.key = u.managed_by
             WHERE {filter} ORDER BY {} LIMIT :limit OFFSET :offset",
            order_by(q.sort.terms(), q.descending)
        ))?;
        let off = offset(at);
        named.push((":limit", &limit));
        named.push((":offset", &off));
        let rows = st
            .query_map(named.as_slice(), user_list_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page {
            total: Some(total),
            next: (at + (rows.len() as u64) < total).then(|| (at + rows.len() as u64).to_string()),
            rows,
        })
    }

    /// One user by id, with the name of the sync that manages them and their groups (id and name, by
    /// name); `None` if there is no such user.
    pub fn user_by_id(&self, id: &str) -> Result<Option<UserDetailRecord>> {
        let c = self.reader();
        let found = c
            .query_row(
                &format!("SELECT {USER_COLUMNS}, (SELECT name FROM directories WHERE key = users.managed_by) FROM users WHERE id = ?1"),
                [id],
                |r| Ok((user_row(r)?, r.get::<_, Option<String>>(15)?)),
            )
            .optional()?;
        let Some((user, sync)) = found else {
            return Ok(None);
        };
        let mut st = c.prepare_cached(
            "SELECT g.id, g.name FROM users u, json_each(u.group_ids) j JOIN groups g ON g.id = j.value
             WHERE u.id = ?1 ORDER BY g.name COLLATE NOCASE",
        )?;
        let groups = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(UserDetailRecord {
            user,
            sync_name: sync,
            groups,
        }))
    }

    /// The changes applied runs recorded for one object (a user by username, a group by name, an admin by
    /// email; any case), newest first: up to `limit` after `before` (a previous page's last `(run_id,
    /// seq)`). Held, failed and previewed runs applied nothing and are left out.
    pub fn object_history(
        &self,
        object: ObjectKind,
        key: &str,
        before: Option<(i64, i64)>,
        limit: u64,
    ) -> Result<Vec<HistoryEntry>> {
        let c = self.reader();
        let (run, seq) = before.unwrap_or((i64::MAX, i64::MAX));
        let mut st = c.prepare_cached(
            "SELECT c.run_id, c.seq, r.directory_key, d.name, r.started_at, c.action, c.fields, c.reason, c.key
             FROM run_changes c JOIN sync_runs r ON r.id = c.run_id JOIN directories d ON d.key = r.directory_key
             WHERE c.object = ?1 AND c.key = ?2 COLLATE NOCASE AND (c.run_id, c.seq) < (?3, ?4)
               AND r.outcome = 'succeeded'
             ORDER BY c.run_id DESC, c.seq DESC LIMIT ?5",
        )?;
        let rows = st
            .query_map(params![object.as_str(), key, run, seq, limit], |r| {
                let fields: String = r.get(6)?;
                let fields: Vec<FieldChange> = serde_json::from_str(&fields).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        6,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?;
                Ok(HistoryEntry {
                    run_id: r.get(0)?,
                    seq: r.get(1)?,
                    directory_key: r.get(2)?,
                    directory_name: r.get(3)?,
                    at: Timestamp(r.get(4)?),
                    change: Change {
                        object,
                        key: r.get(8)?,
                        action: crate::records::action(r.get(5)?)?,
                        fields,
                        reason: r.get(7)?,
                    },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// A page of a group's members (in the trash or not), by username.
    pub fn group_members(&self, group_id: &str, at: u64, limit: u64) -> Result<Page<UserRow>> {
        let c = self.reader();
        // A user's groups are a JSON array of quoted ids on the user's row: `instr` finds the quoted id
        // without parsing every array (ids hold no quotes).
        let quoted = format!("\"{group_id}\"");
        let total = member_count(&c, group_id)?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {USER_LIST_COLUMNS} FROM users u LEFT JOIN directories d ON d.key = u.managed_by
             WHERE u.group_ids != '[]' AND instr(u.group_ids, ?1) > 0 ORDER BY u.username LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = st
            .query_map(params![quoted, limit, offset(at)], user_list_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page {
            total: Some(total),
            next: (at + (rows.len() as u64) < total).then(|| (at + rows.len() as u64).to_string()),
            rows,
        })
    }

    /// Deletes one user in the trash for good now ("purge now"), without waiting for the retention.
    pub fn purge_user(&self, username: &str) -> Result<()> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "DELETE FROM users WHERE username = ?1 AND status = 'pending deletion'",
            [username],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no user \"{username}\" in the trash."
            )));
        }
        crate::records::bump_data_revision(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Sync History's series: the latest `per_sync` finished runs of each sync (oldest first within a
    /// sync), with the users (or admins) it managed afterwards. Previews are never recorded; runs in
    /// progress are left out.
    pub fn run_series(&self, per_sync: u64) -> Result<Vec<SeriesPoint>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {cols}, managed_after FROM (
                 SELECT *, row_number() OVER (PARTITION BY directory_key ORDER BY id DESC) AS n
                 FROM sync_runs WHERE outcome != 'running')
             WHERE n <= ?1 ORDER BY directory_key, id",
            cols = crate::records::RUN_COLUMNS
        ))?;
        let rows = st
            .query_map([per_sync], |r| {
                Ok(SeriesPoint {
                    run: crate::records::run_row(r)?,
                    managed_after: r.get::<_, Option<i64>>(12)?.map(|n| n.max(0) as u64),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// How many users are in a group: one pass over the users who are in any group, matching the quoted id.
pub(crate) fn member_count(c: &rusqlite::Connection, group_id: &str) -> Result<u64> {
    Ok(c.query_row(
        "SELECT count(*) FROM users WHERE group_ids != '[]' AND instr(group_ids, ?1) > 0",
        [format!("\"{group_id}\"")],
        |r| r.get(0),
    )?)
}
