//! Reading users, groups and administrators: the planner's snapshot, and pages for the lists.

use crate::{Result, Store, StoreError};
use roster_core::plan::{ForeignMember, Snapshot};
use roster_core::{
    Admin, AdminId, AdminRole, AdminStatus, DirectoryKey, Group, GroupId, Timestamp, User,
    UserFields, UserId, UserStatus,
};
use rusqlite::{Connection, OpenFlags, Row};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

mod one;
pub use one::One;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// Rows matching the query, in all pages: counted for pages asked for by position (the windows'
    /// lists jump to any position), not for pages that follow a key (counting a million rows for each of
    /// a thousand pages is what made reading a whole list quadratic).
    pub total: Option<u64>,
    /// This page.
    pub rows: Vec<T>,
    /// Where the next page starts (pass it as [`PageAt::After`]), or `None` after the last page.
    pub next: Option<String>,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt<'a> {
    /// At a position (0 first): for lists that jump (a scroll bar). Costs a walk to the position.
    Offset(u64),
    /// After the row with this key (a username, group name or admin email, as a page's `next` gives
    /// it): for reading a whole list page by page, each page costing the same.
    After(&'a str),
}

impl PageAt<'_> {
    /// The SQL that places a page: a key condition (`?key` is bound) and an OFFSET.
    fn placement(self, column: &str) -> (String, i64) {
        match self {
            PageAt::Offset(n) => ("1".into(), i64::try_from(n).unwrap_or(i64::MAX)),
            PageAt::After(_) => (format!("{column} > :after COLLATE NOCASE"), 0),
        }
    }

    fn after(self) -> Option<String> {
        match self {
            PageAt::Offset(_) => None,
            PageAt::After(k) => Some(k.to_string()),
        }
    }
}

/// The `next` of a page whose rows end with `last`: more may follow only if the page is full.
fn next_key(rows: usize, limit: u64, last: Option<&str>) -> Option<String> {
    (rows as u64 >= limit)
        .then(|| last.map(str::to_string))
        .flatten()
}

/// One of the lists the windows page through: what it reads, how a search filters it, and the unique,
/// case-insensitive column that orders it (a page after a key continues from that column's value).
struct List {
    /// The table, for counting.
    counted: &'static str,
    /// The table with what its rows show (joins).
    from: &'static str,
    columns: &'static str,
    /// A condition on `:pattern` (the search, as LIKE) and the list's own parameters.
    filter: &'static str,
    key: &'static str,
}

impl List {
    #[allow(clippy::too_many_arguments)] // one private door for three lists
    fn page<T>(
        &self,
        c: &Connection,
        query: &str,
        own: &[(&str, &dyn rusqlite::ToSql)],
        at: PageAt<'_>,
        limit: u64,
        row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
        key_of: impl Fn(&T) -> &str,
    ) -> Result<Page<T>> {
        let pattern = like(query);
        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":pattern", &pattern)];
        params.extend_from_slice(own);
        let total = match at {
            PageAt::Offset(_) => Some(c.query_row(
                &format!(
                    "SELECT count(*) FROM {} WHERE {}",
                    self.counted, self.filter
                ),
                params.as_slice(),
                |r| r.get(0),
            )?),
            PageAt::After(_) => None,
        };
        let (place, offset) = at.placement(self.key);
        let after = at.after();
        let mut st = c.prepare_cached(&format!(
            "SELECT {} FROM {} WHERE {} AND {place} ORDER BY {} COLLATE NOCASE LIMIT :limit OFFSET :offset",
            self.columns, self.from, self.filter, self.key
        ))?;
        params.push((":limit", &limit));
        params.push((":offset", &offset));
        if let Some(a) = &after {
            params.push((":after", a));
        }
        let rows = st
            .query_map(params.as_slice(), row)?
            .collect::<rusqlite::Result<Vec<T>>>()?;
        let next = next_key(rows.len(), limit, rows.last().map(key_of));
        Ok(Page { total, rows, next })
    }
}

/// A user in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// Id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub realname: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Duo status string.
    pub status: String,
    /// Group names, sorted.
    pub groups: Vec<String>,
    /// Managing sync's name.
    pub managed_by: Option<String>,
    /// Managing sync's key.
    pub managed_by_key: Option<String>,
    /// When a sync last wrote the user.
    pub last_directory_sync: Option<Timestamp>,
    /// When the user entered the trash.
    pub trashed_at: Option<Timestamp>,
}

/// A group in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRow {
    /// Id.
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Members.
    pub member_count: u64,
    /// Managing sync's name.
    pub managed_by: Option<String>,
    /// Duo's group status (set by operators; a sync never changes it).
    pub status: roster_core::GroupStatus,
}

/// An admin in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminRow {
    /// Id.
    pub admin_id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: String,
    /// Status.
    pub status: String,
    /// Managing sync's name.
    pub managed_by: Option<String>,
}

fn decode<T: serde::de::DeserializeOwned + Default>(text: &str) -> rusqlite::Result<T> {
    // Most users have no aliases and no custom attributes: skip the parser for the empty values.
    if text == "[]" || text == "{}" {
        return Ok(T::default());
    }
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn bad(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
}

pub(crate) const USER_COLUMNS: &str = "id, username, aliases, realname, firstname, lastname, email, phones, notes, custom, status, managed_by, external_id, last_directory_sync, trashed_at";

pub(crate) fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let status: String = r.get(10)?;
    Ok(User {
        id: UserId(r.get(0)?),
        fields: UserFields {
            username: r.get(1)?,
            aliases: decode(&r.get::<_, String>(2)?)?,
            realname: r.get(3)?,
            firstname: r.get(4)?,
            lastname: r.get(5)?,
            email: r.get(6)?,
            phones: decode(&r.get::<_, String>(7)?)?,
            notes: r.get(8)?,
            custom: decode(&r.get::<_, String>(9)?)?,
        },
        status: UserStatus::parse(&status).ok_or_else(|| bad("user status", &status))?,
        managed_by: r.get::<_, Option<String>>(11)?.map(DirectoryKey),
        external_id: r.get(12)?,
        last_directory_sync: r.get::<_, Option<i64>>(13)?.map(Timestamp),
        trashed_at: r.get::<_, Option<i64>>(14)?.map(Timestamp),
        groups: Vec::new(),
    })
}

pub(crate) const ADMIN_COLUMNS: &str =
    "id, name, email, phone, role, status, managed_by, external_id, last_directory_sync, left_at";

pub(crate) fn admin_row(r: &Row<'_>) -> rusqlite::Result<Admin> {
    let role: String = r.get(4)?;
    let status: String = r.get(5)?;
    Ok(Admin {
        id: AdminId(r.get(0)?),
        name: r.get(1)?,
        email: r.get(2)?,
        phone: r.get(3)?,
        role: AdminRole::parse(&role).ok_or_else(|| bad("admin role", &role))?,
        status: AdminStatus::parse(&status).ok_or_else(|| bad("admin status", &status))?,
        managed_by: r.get::<_, Option<String>>(6)?.map(DirectoryKey),
        external_id: r.get(7)?,
        last_directory_sync: r.get::<_, Option<i64>>(8)?.map(Timestamp),
        left_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
    })
}

pub(crate) fn group_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        id: GroupId(r.get::<_, String>(0)?.into()),
        name: r.get(1)?,
        description: r.get(2)?,
        managed_by: r.get::<_, Option<String>>(3)?.map(DirectoryKey),
        external_id: r.get(4)?,
    })
}

/// Column `i` as a group status; the schema's CHECK keeps it one of Duo's three.
pub(crate) fn group_status(r: &Row<'_>, i: usize) -> rusqlite::Result<roster_core::GroupStatus> {
    let s: String = r.get(i)?;
    roster_core::GroupStatus::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("\"{s}\" is not a group status").into(),
        )
    })
}

pub(crate) fn like(query: &str) -> String {
    let escaped = query
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    /// What the planner needs for a sync: everything it manages, plus the users (by username), groups (by
    /// name) and admins (by email) from `candidates` that it would take over. One consistent read.
    ///
    /// Also returns the tenant's data revision as of the read, for [`crate::ApplyOptions`].
    pub fn snapshot(&self, key: &DirectoryKey, candidates: &Candidates) -> Result<(Snapshot, i64)> {
        let c = self.reader();
        let tx = c.unchecked_transaction()?; // one consistent read
        let revision = data_revision(&tx)?;
        let mut snap = managed_snapshot(&tx, key)?;
        add_candidates(&tx, key, &mut snap, candidates)?;
        tx.finish()?;
        Ok((snap, revision))
    }

    /// The part of [`Store::snapshot`] that does not depend on what the directory returned (what the sync
    /// manages, and every group), read on a connection of its own so that it can run on another thread
    /// while the directory is fetched. Complete it with [`Store::add_candidates`].
    ///
    /// Also returns the tenant's data revision as of this read: the earlier of the two reads, so a write
    /// between them makes the plan stale rather than wrong.
    pub fn managed_snapshot_at(path: &Path, key: &DirectoryKey) -> Result<(Snapshot, i64)> {
        let c = crate::open_connection(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::at(path, e))?;
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        let tx = c.unchecked_transaction()?;
        let revision = data_revision(&tx)?;
        let snap = managed_snapshot(&tx, key)?;
        tx.finish()?;
        Ok((snap, revision))
    }

    /// The tenant's data revision now.
    pub fn data_revision(&self) -> Result<i64> {
        data_revision(&self.reader())
    }

    /// Adds to a snapshot the users and admins from `candidates` that the sync would take over.
    pub fn add_candidates(
        &self,
        key: &DirectoryKey,
        snap: &mut Snapshot,
        candidates: &Candidates,
    ) -> Result<()> {
        let c = self.reader();
        add_candidates(&c, key, snap, candidates)
    }

    /// A page of users, by username; `trash` selects the users in the trash instead of the others.
    pub fn users_page(
        &self,
        query: &str,
        trash: bool,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<Page<UserRow>> {
        let list = List {
            counted: "users u",
            from: "users u LEFT JOIN directories d ON d.key = u.managed_by",
            columns: "u.id, u.username, u.realname, u.email, u.status, d.name, u.managed_by, u.last_directory_sync, u.trashed_at,
                (SELECT group_concat(name, char(31)) FROM (SELECT g.name FROM json_each(u.group_ids) j JOIN groups g ON g.id = j.value
                  ORDER BY g.name COLLATE NOCASE))",
            filter: "(:pattern = '%%' OR u.username LIKE :pattern ESCAPE '\\' OR u.realname LIKE :pattern ESCAPE '\\' OR u.email LIKE :pattern ESCAPE '\\')
                AND ((:trash = 1) = (u.status = 'pending deletion'))",
            key: "u.username",
        };
        list.page(
            &self.reader(),
            query,
            &[(":trash", &trash)],
            at,
            limit,
            |r| {
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
            },
            |u| &u.username,
        )
    }

    /// A page of groups, by name.
    pub fn groups_page(&self, query: &str, at: PageAt<'_>, limit: u64) -> Result<Page<GroupRow>> {
        let list = List {
            counted: "groups g",
            from: "groups g LEFT JOIN directories d ON d.key = g.managed_by",
            columns: "g.id, g.name, g.description, d.name, g.status",
            filter: "(:pattern = '%%' OR g.name LIKE :pattern ESCAPE '\\' OR g.description LIKE :pattern ESCAPE '\\')",
            key: "g.name",
        };
        let c = self.reader();
        let mut page = list.page(
            &c,
            query,
            &[],
            at,
            limit,
            |r| {
                Ok(GroupRow {
                    group_id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    member_count: 0, // counted below, for this page's groups only
                    managed_by: r.get(3)?,
                    status: group_status(r, 4)?,
                })
            },
            |g| &g.name,
        )?;
        let counts = member_counts(&c, page.rows.iter().map(|g| g.group_id.as_str()))?;
        for g in &mut page.rows {
            g.member_count = counts.get(g.group_id.as_str()).copied().unwrap_or(0);
        }
        Ok(page)
    }

    /// A page of administrators, by email.
    pub fn admins_page(&self, query: &str, at: PageAt<'_>, limit: u64) -> Result<Page<AdminRow>> {
        let list = List {
            counted: "admins a",
            from: "admins a LEFT JOIN directories d ON d.key = a.managed_by",
            columns: "a.id, a.name, a.email, a.role, a.status, d.name",
            filter: "(:pattern = '%%' OR a.name LIKE :pattern ESCAPE '\\' OR a.email LIKE :pattern ESCAPE '\\')",
            key: "a.email",
        };
        list.page(
            &self.reader(),
            query,
            &[],
            at,
            limit,
            |r| {
                Ok(AdminRow {
                    admin_id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    role: r.get(3)?,
                    status: r.get(4)?,
                    managed_by: r.get(5)?,
                })
            },
            |a| &a.email,
        )
    }

    /// External ids of the users a sync manages outside the trash (what an incremental fetch may skip).
    pub fn managed_external_ids(
        &self,
        key: &DirectoryKey,
    ) -> Result<std::collections::HashSet<std::sync::Arc<str>>> {
        let c = self.reader();
        let mut st = c.prepare_cached(
            "SELECT external_id FROM users WHERE managed_by = ?1 AND status != 'pending deletion' AND external_id IS NOT NULL",
        )?;
        let ids = st
            .query_map([&key.0], |r| {
                Ok(std::sync::Arc::<str>::from(r.get::<_, String>(0)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// One user by username (case-insensitive).
    pub fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?1"
        ))?;
        let mut rows = st.query_map([username], user_row)?;
        Ok(rows.next().transpose()?)
    }

    /// How many users (user syncs) or admins (admin syncs) each directory manages, by key.
    pub fn managed_counts(&self) -> Result<HashMap<String, u64>> {
        let c = self.reader();
        let mut out = HashMap::new();
        let mut st = c.prepare(
            "SELECT managed_by, count(*) FROM users WHERE managed_by IS NOT NULL AND status != 'pending deletion' GROUP BY managed_by
             UNION ALL SELECT managed_by, count(*) FROM admins WHERE managed_by IS NOT NULL GROUP BY managed_by",
        )?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
        for row in rows {
            let (k, n) = row?;
            *out.entry(k).or_insert(0) += n;
        }
        Ok(out)
    }
}

/// How many users are in each of `groups`, in one pass over the users who are in any group.
pub(crate) fn member_counts<'a>(
    c: &Connection,
    groups: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, u64>> {
    let mut counts: HashMap<String, u64> = groups.map(|g| (g.to_string(), 0)).collect();
    if counts.is_empty() {
        return Ok(counts);
    }
    let mut st = c.prepare_cached("SELECT group_ids FROM users WHERE group_ids != '[]'")?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        let list = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        for g in crate::apply::decode_groups(list)? {
            if let Some(n) = counts.get_mut(g.as_ref()) {
                *n += 1;
            }
        }
    }
    Ok(counts)
}

/// Keys of objects a sync may take over: usernames of incoming users, emails of incoming admins.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// Usernames (any case).
    pub usernames: Vec<String>,
    /// Emails (any case).
    pub emails: Vec<String>,
}

/// What a sync manages (its users with their groups, its admins) and every group.
fn managed_snapshot(tx: &Connection, key: &DirectoryKey) -> Result<Snapshot> {
    managed_snapshot_of(tx, key, None)
}

/// As [`managed_snapshot`]; with `one`, of the sync's users only those that one individual sync may
/// touch (see [`One`]), and no foreign members (an individual sync writes no one else's membership).
fn managed_snapshot_of(
    tx: &Connection,
    key: &DirectoryKey,
    one: Option<&One<'_>>,
) -> Result<Snapshot> {
    let mut snap = Snapshot::default();
    {
        let mut st =
            tx.prepare("SELECT id, name, description, managed_by, external_id FROM groups")?;
        snap.groups = st
            .query_map([], group_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // A user's groups as the sync sees them: the groups it manages. Group ids are shared (one
        // allocation per group, not one per membership).
        let managed: HashMap<&str, &GroupId, foldhash::fast::RandomState> = snap
            .groups
            .iter()
            .filter(|g| g.managed_by.as_ref() == Some(key))
            .map(|g| (g.id.as_str(), &g.id))
            .collect();
        let (sql, params) = match one {
            None => {
                // Sized once (an index range counted): grown by doubling, the list copied each of its
                // 100,000 users about twice more.
                let n: i64 = tx.query_row(
                    "SELECT count(*) FROM users WHERE managed_by = ?1",
                    [&key.0],
                    |r| r.get(0),
                )?;
                snap.users.reserve(usize::try_from(n).unwrap_or(0));
                (
                    format!("SELECT {USER_COLUMNS}, group_ids FROM users WHERE managed_by = ?1"),
                    vec![key.0.clone()],
                )
            }
            Some(one) => one.users_query(key),
        };
        let mut st = tx.prepare(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(&params))?;
        while let Some(row) = rows.next()? {
            let mut user = user_row(row)?;
            let list = row.get_ref(15)?.as_str().map_err(rusqlite::Error::from)?;
            let mut groups: Vec<GroupId> = crate::apply::decode_groups(list)?
                .iter()
                .filter_map(|g| managed.get(g.as_ref()).map(|&id| id.clone()))
                .collect();
            // Stored sorted; sorted again only if a list was written otherwise.
            if !groups.is_sorted() {
                groups.sort();
            }
            groups.dedup();
            user.groups = groups;
            snap.users.push(user);
        }
        drop(rows);
        let mut st = tx.prepare(&format!(
            "SELECT {ADMIN_COLUMNS} FROM admins WHERE managed_by = ?1"
        ))?;
        snap.admins = st
            .query_map([&key.0], admin_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // Members of the sync's groups that other syncs (or nobody) manage: their membership of these
        // groups is this sync's to write. The same three index ranges as for take-over candidates, so a
        // tenant with one sync reads nothing here.
        if !managed.is_empty() && one.is_none() {
            let mut st = tx.prepare(
                "SELECT id, username, group_ids FROM users WHERE managed_by IS NULL AND group_ids != '[]'
                 UNION ALL SELECT id, username, group_ids FROM users WHERE managed_by < ?1 AND group_ids != '[]'
                 UNION ALL SELECT id, username, group_ids FROM users WHERE managed_by > ?1 AND group_ids != '[]'",
            )?;
            let mut rows = st.query([&key.0])?;
            let mut foreign = Vec::new();
            while let Some(row) = rows.next()? {
                let list = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                let mut groups: Vec<GroupId> = crate::apply::decode_groups(list)?
                    .iter()
                    .filter_map(|g| managed.get(g.as_ref()).map(|&id| id.clone()))
                    .collect();
                if groups.is_empty() {
                    continue;
                }
                groups.sort();
                groups.dedup();
                foreign.push(ForeignMember {
                    id: UserId(row.get(0)?),
                    username: row.get(1)?,
                    groups,
                });
            }
            drop(rows);
            snap.foreign = foreign;
        }
    }
    Ok(snap)
}

fn data_revision(c: &Connection) -> Result<i64> {
    Ok(
        c.query_row("SELECT data_revision FROM tenant WHERE id = 1", [], |r| {
            r.get(0)
        })?,
    )
}

/// The users (by username) and admins (by email) in `candidates` that another sync or nobody manages.
fn add_candidates(
    c: &Connection,
    key: &DirectoryKey,
    snap: &mut Snapshot,
    candidates: &Candidates,
) -> Result<()> {
    snap.users.extend(take_over_candidates(
        c,
        key,
        &candidates.usernames,
        "users",
        "username",
        |st, name| st.query_map([name], user_row)?.collect(),
    )?);
    snap.admins.extend(take_over_candidates(
        c,
        key,
        &candidates.emails,
        "admins",
        "email",
        |st, name| st.query_map([name], admin_row)?.collect(),
    )?);
    Ok(())
}

/// Objects not managed by `key` whose `column` matches one of `names`. Reads only the matching rows: the
/// set of unmanaged names is loaded once, so a first sync of 100,000 users into an empty tenant costs one
/// query, not 100,000.
fn take_over_candidates<T>(
    c: &Connection,
    key: &DirectoryKey,
    names: &[String],
    table: &str,
    column: &str,
    fetch: impl Fn(&mut rusqlite::CachedStatement<'_>, &str) -> rusqlite::Result<Vec<T>>,
) -> Result<Vec<T>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // Three ranges of the `managed_by` index rather than `managed_by != ?1`, which would read every row
    // (on a resync, all of them are the sync's own).
    let mut st = c.prepare(&format!(
        "SELECT lower({column}) FROM {table} WHERE managed_by IS NULL
         UNION ALL SELECT lower({column}) FROM {table} WHERE managed_by < ?1
         UNION ALL SELECT lower({column}) FROM {table} WHERE managed_by > ?1"
    ))?;
    let others: HashSet<String> = st
        .query_map([&key.0], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let columns = if table == "users" {
        USER_COLUMNS
    } else {
        ADMIN_COLUMNS
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for name in names {
        let folded = name.to_ascii_lowercase();
        if others.contains(&folded) && seen.insert(folded) {
            let mut st = c.prepare_cached(&format!(
                "SELECT {columns} FROM {table} WHERE {column} = ?1"
            ))?;
            out.extend(fetch(&mut st, name)?);
        }
    }
    Ok(out)
}
