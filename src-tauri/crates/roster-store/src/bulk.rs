//! Large first syncs: the Users and Trash lists' indexes on `users` ([`schema::USER_LIST_INDEXES`]) are
//! built once, after the rows are in, instead of updated row by row as each user is inserted; and the
//! new users' aliases are copied into `user_aliases` in one statement, instead of by the insert trigger.
//!
//! Why: six indexes in six different orders make every inserted user six B-tree insertions at random
//! places; at 100,000 new users that tripled the apply phase (0.75 s without them, 3.3 s with them on the
//! LDAP bench). Building an index over rows already there is one sort, but six of them still took the
//! run 0.4 s more than before the lists had indexes, so a sync's own commit leaves them to be built
//! right after it, off the run's path (`checkpoint`'s thread, [`build`]). A trigger on `users`, even
//! one whose `WHEN` skips the row, makes SQLite journal every page an `INSERT` touches in case the
//! statement fails half way (about 0.35 s of the same apply).
//!
//! Invariants:
//! - The trigger is dropped and made again, and the aliases copied, inside the plan's own transaction
//!   (SQLite's DDL is transactional): `user_aliases` always matches every user's aliases, and a failed
//!   apply rolls the drop back with everything else.
//! - The list indexes are an optimisation only: nothing names them (no `INDEXED BY`), so every query
//!   is right, if slower, in the moment they are missing. They are missing only between a large first
//!   sync's commit and [`build`], which the store asks for at once and runs before it closes; a
//!   process that dies in between has them built again when the tenant is next opened
//!   ([`build_if_missing`]).

use crate::schema::{ALIASES_INSERT_TRIGGER, COPY_ALIASES, USER_LIST_INDEXES};
use crate::Result;
use roster_core::plan::{Action, Plan};
use rusqlite::{Connection, Transaction};

/// Below this many new users, updating the indexes row by row costs less than building them.
const MIN_NEW_USERS: usize = 10_000;

/// Whether `plan`'s inserts into a table of `existing` users are worth building the indexes for: many
/// new users, and at least as many as the table already holds (a build sorts every row, old ones too).
fn worth_rebuilding(new_users: usize, existing: usize) -> bool {
    new_users >= MIN_NEW_USERS && new_users >= existing
}

/// The list indexes and the aliases trigger, dropped for a bulk insert when that pays (see [`suspend`]).
#[must_use = "the trigger must be made again with `finish` before the transaction commits"]
pub(crate) struct Suspended(bool);

/// Whether the list indexes are in place once a plan's objects are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "missing list indexes must be built (`build`)"]
pub(crate) enum ListIndexes {
    /// As the schema makes them.
    InPlace,
    /// Dropped for a bulk insert: to build with [`build`] (after the commit, or before it).
    Missing,
}

/// Drops the list indexes on `users`, and its aliases trigger, when `plan` inserts enough users for a
/// build to pay.
pub(crate) fn suspend(tx: &Transaction<'_>, plan: &Plan) -> Result<Suspended> {
    let new_users = plan
        .users
        .iter()
        .filter(|op| op.action == Action::Create)
        .count();
    if new_users < MIN_NEW_USERS {
        return Ok(Suspended(false));
    }
    let existing: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    if !worth_rebuilding(new_users, usize::try_from(existing).unwrap_or(usize::MAX)) {
        return Ok(Suspended(false));
    }
    for (name, _) in USER_LIST_INDEXES {
        tx.execute_batch(&format!("DROP INDEX IF EXISTS {name};"))?;
    }
    tx.execute_batch("DROP TRIGGER IF EXISTS users_aliases_insert;")?;
    Ok(Suspended(true))
}

impl Suspended {
    /// Copies the aliases the trigger did not (`INSERT OR IGNORE`: those of users already there are in
    /// already) and makes the trigger again, exactly as the schema does; says whether the list indexes
    /// are left to build.
    pub(crate) fn finish(self, tx: &Transaction<'_>) -> Result<ListIndexes> {
        if !self.0 {
            return Ok(ListIndexes::InPlace);
        }
        tx.execute_batch(COPY_ALIASES)?;
        tx.execute_batch(ALIASES_INSERT_TRIGGER)?;
        Ok(ListIndexes::Missing)
    }
}

/// Builds the list indexes that are missing, exactly as the schema defines them; in the caller's
/// transaction, if it has one.
pub(crate) fn build(conn: &Connection) -> Result<()> {
    for (name, on) in USER_LIST_INDEXES {
        conn.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on};"))?;
    }
    Ok(())
}

/// Whether any list index is missing (reads the schema only).
pub(crate) fn missing(conn: &Connection) -> Result<bool> {
    let mut present = 0;
    for (name, _) in USER_LIST_INDEXES {
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [name],
            |r| r.get(0),
        )?;
        present += n;
    }
    Ok(present < USER_LIST_INDEXES.len() as i64)
}

/// When a tenant is opened: builds the list indexes a process that stopped right after a large first
/// sync left unbuilt. Writes nothing when they are all there.
pub(crate) fn build_if_missing(conn: &mut Connection) -> Result<()> {
    if !missing(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    build(&tx)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rebuilt_indexes_are_the_schemas_own() {
        for (name, on) in USER_LIST_INDEXES {
            let line = format!("CREATE INDEX {name} ON {on};");
            assert!(
                crate::schema::LISTS.contains(&line),
                "schema::LISTS must create {line}"
            );
        }
        let in_lists = crate::schema::LISTS
            .lines()
            .filter(|l| l.starts_with("CREATE INDEX users_"))
            .count();
        assert_eq!(
            in_lists,
            USER_LIST_INDEXES.len(),
            "every users list index is rebuilt"
        );
    }

    #[test]
    fn only_large_inserts_into_a_smaller_table_rebuild() {
        assert!(worth_rebuilding(100_000, 0));
        assert!(worth_rebuilding(10_000, 10_000));
        assert!(!worth_rebuilding(9_999, 0));
        assert!(!worth_rebuilding(20_000, 100_000));
    }
}
