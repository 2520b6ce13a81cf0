//! The Groups list (searched, filtered by managing sync and by status, sorted: each one index range), one
//! group's page, and setting a group's status by hand.

use super::{member_count, offset, order_by, GroupSort, ManagedFilter};
use crate::read::{group_status, like};
use crate::{AuditEntry, GroupRow, Page, Result, Store, StoreError};
use roster_core::GroupStatus;
use rusqlite::OptionalExtension;

/// What the Groups list shows: a search, filters and an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupQuery<'a> {
    /// Part of a name or description (any case); empty for every group.
    pub search: &'a str,
    /// Only groups this sync manages.
    pub managed: ManagedFilter<'a>,
    /// Only groups with this status (`groups_status_name`).
    pub status: Option<GroupStatus>,
    /// The order.
    pub sort: GroupSort,
    /// Reversed.
    pub descending: bool,
}

const GROUP_LIST_COLUMNS: &str = "g.id, g.name, g.description, d.name, g.status";

fn group_list_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GroupRow> {
    Ok(GroupRow {
        group_id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        member_count: 0,
        managed_by: r.get(3)?,
        status: group_status(r, 4)?,
    })
}

impl Store {
    /// A page of the Groups list at a position: searched, filtered by managing sync and by status,
    /// sorted; `total` counts every match.
    pub fn group_list(&self, q: &GroupQuery<'_>, at: u64, limit: u64) -> Result<Page<GroupRow>> {
        let c = self.reader();
        let pattern = like(q.search);
        let sync = q.managed.key();
        let status = q.status.map(GroupStatus::as_str);
        let filter = format!(
            "(:pattern = '%%' OR g.name LIKE :pattern ESCAPE '\\' OR g.description LIKE :pattern ESCAPE '\\') AND {} AND {}",
            q.managed.sql("g.managed_by"),
            if status.is_some() {
                "g.status = :status"
            } else {
                "1"
            }
        );
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":pattern", &pattern)];
        if let Some(k) = &sync {
            named.push((":sync", k));
        }
        if let Some(s) = &status {
            named.push((":status", s));
        }
        let total: u64 = c.query_row(
            &format!("SELECT count(*) FROM groups g WHERE {filter}"),
            named.as_slice(),
            |r| r.get(0),
        )?;
        let terms: &[&str] = match q.sort {
            GroupSort::Name => &["g.name"],
            GroupSort::Sync => &["g.managed_by", "g.name"],
        };
        let mut st = c.prepare_cached(&format!(
            "SELECT {GROUP_LIST_COLUMNS} FROM groups g LEFT JOIN directories d ON d.key = g.managed_by
             WHERE {filter} ORDER BY {} LIMIT :limit OFFSET :offset",
            order_by(terms, q.descending)
        ))?;
        let off = offset(at);
        named.push((":limit", &limit));
        named.push((":offset", &off));
        let mut rows = st
            .query_map(named.as_slice(), group_list_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        // One pass over the users in any group counts every group of the page.
        let counts = crate::read::member_counts(&c, rows.iter().map(|g| g.group_id.as_str()))?;
        for g in &mut rows {
            g.member_count = counts.get(g.group_id.as_str()).copied().unwrap_or(0);
        }
        Ok(Page {
            total: Some(total),
            next: (at + (rows.len() as u64) < total).then(|| (at + rows.len() as u64).to_string()),
            rows,
        })
    }

    /// One group by id, with its member count and managing sync's key; `None` if there is none.
    pub fn group_by_id(&self, id: &str) -> Result<Option<(GroupRow, Option<String>)>> {
        let c = self.reader();
        let found = c
            .query_row(
                &format!(
                    "SELECT {GROUP_LIST_COLUMNS}, g.managed_by FROM groups g
                     LEFT JOIN directories d ON d.key = g.managed_by WHERE g.id = ?1"
                ),
                [id],
                |r| Ok((group_list_row(r)?, r.get::<_, Option<String>>(5)?)),
            )
            .optional()?;
        match found {
            Some((mut g, key)) => {
                g.member_count = member_count(&c, &g.group_id)?;
                Ok(Some((g, key)))
            }
            None => Ok(None),
        }
    }

    /// Sets a group's status by hand, with its audit entry in the same transaction. Syncs never write
    /// the status, so it stays until an operator changes it again.
    pub fn set_group_status(
        &self,
        id: &str,
        status: GroupStatus,
        audit: Option<&AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |tx| {
            let n = tx.execute(
                "UPDATE groups SET status = ?2 WHERE id = ?1",
                [id, status.as_str()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "There is no group with the id {id}."
                )));
            }
            crate::records::bump_data_revision(tx)
        })
    }
}
