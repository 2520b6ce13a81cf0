//! Writing a planned user over its stored row: only the columns whose values differ.
//!
//! SQLite rewrites every index that covers a column named in an `UPDATE`'s `SET`, whether or not the value
//! changed, and `users` has nine (the username, the sync's ids, the six list indexes). A full-row
//! `UPDATE` of a user whose only change is a group membership rewrote all nine: a group `PATCH` adding
//! 100 members wrote entries at 100 scattered places of `users_managed_by` (the members' random ids) and
//! of every list index, and the commit wrote each page it touched into the log. Naming only what changed
//! touches the indexes of those columns (a membership change: `group_ids` and `last_directory_sync`), and
//! leaves the aliases trigger, which fires on `aliases`, out of it.

use crate::Result;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction};
use std::collections::HashMap;

/// The columns a planned user sets, in this order everywhere below.
const COLUMNS: [&str; 15] = [
    "username",
    "aliases",
    "realname",
    "firstname",
    "lastname",
    "email",
    "phones",
    "notes",
    "custom",
    "status",
    "managed_by",
    "external_id",
    "last_directory_sync",
    "trashed_at",
    "group_ids",
];

/// Where `group_ids` is in [`COLUMNS`]: the apply merges it with the stored list before comparing.
pub(super) const GROUP_IDS: usize = 14;

/// A user's row as [`COLUMNS`] lists it.
pub(super) type Row = [Value; 15];

/// Reads stored rows and writes changed columns within one apply, with one `UPDATE` text per set of
/// changed columns (compiled once each, in the connection's statement cache).
pub(super) struct UserRows<'t> {
    tx: &'t Transaction<'t>,
    read: rusqlite::CachedStatement<'t>,
    sql: HashMap<u16, String>,
}

impl<'t> UserRows<'t> {
    pub(super) fn new(tx: &'t Transaction<'t>) -> Result<Self> {
        let read = tx.prepare_cached(&format!(
            "SELECT {} FROM users WHERE id = ?1",
            COLUMNS.join(", ")
        ))?;
        Ok(UserRows {
            tx,
            read,
            sql: HashMap::new(),
        })
    }

    /// The stored row of user `id`, if there is one.
    pub(super) fn read(&mut self, id: &str) -> Result<Option<Row>> {
        Ok(self
            .read
            .query_row([id], |r| {
                let mut row: Row = std::array::from_fn(|_| Value::Null);
                for (i, v) in row.iter_mut().enumerate() {
                    *v = r.get(i)?;
                }
                Ok(row)
            })
            .optional()?)
    }

    /// Writes the columns of `new` that differ from `old` (compared exactly: a username whose case
    /// changed is written). Nothing when none differ.
    pub(super) fn write(&mut self, id: &str, old: &Row, new: Row) -> Result<()> {
        let mut mask: u16 = 0;
        let mut values: Vec<Value> = Vec::with_capacity(COLUMNS.len() + 1);
        values.push(Value::Text(id.to_string()));
        for (i, (o, n)) in old.iter().zip(new).enumerate() {
            if *o != n {
                mask |= 1 << i;
                values.push(n);
            }
        }
        if mask == 0 {
            return Ok(());
        }
        let sql = self.sql.entry(mask).or_insert_with(|| {
            let set: Vec<String> = COLUMNS
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .enumerate()
                .map(|(n, (_, c))| format!("{c} = ?{}", n + 2))
                .collect();
            format!("UPDATE users SET {} WHERE id = ?1", set.join(", "))
        });
        self.tx
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }
}
