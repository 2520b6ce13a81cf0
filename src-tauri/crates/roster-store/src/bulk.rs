//! Large first syncs: the Users and Trash lists' indexes on `users` ([`schema::USER_LIST_INDEXES`]) are
//! built once, after the rows are in, instead of updated row by row as each user is inserted.
//!
//! Why: six indexes in six different orders make every inserted user six B-tree insertions at random
//! places; at 100,000 new users that tripled the apply phase (0.75 s without them, 3.3 s with them on the
//! LDAP bench). Building an index over rows already there is one sort.
//!
//! Invariant: the indexes are dropped and rebuilt inside the plan's own transaction (SQLite's DDL is
//! transactional), so a failed apply rolls the drop back with everything else, and no reader ever sees
//! the table without them.

use crate::schema::USER_LIST_INDEXES;
use crate::Result;
use roster_core::plan::{Action, Plan};
use rusqlite::Transaction;

/// Below this many new users, updating the indexes row by row costs less than rebuilding them.
const MIN_NEW_USERS: usize = 10_000;

/// Whether `plan`'s inserts into a table of `existing` users are worth rebuilding the indexes for: many
/// new users, and at least as many as the table already holds (a rebuild sorts every row, old ones too).
fn worth_rebuilding(new_users: usize, existing: usize) -> bool {
    new_users >= MIN_NEW_USERS && new_users >= existing
}

/// The list indexes, dropped for a bulk insert when that pays (see [`suspend`]).
#[must_use = "the indexes must be rebuilt with `rebuild` before the transaction commits"]
pub(crate) struct Suspended(bool);

/// Drops the list indexes on `users` when `plan` inserts enough users for a rebuild to pay.
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
    Ok(Suspended(true))
}

impl Suspended {
    /// Builds again what [`suspend`] dropped, exactly as the schema defines it.
    pub(crate) fn rebuild(self, tx: &Transaction<'_>) -> Result<()> {
        if self.0 {
            for (name, on) in USER_LIST_INDEXES {
                tx.execute_batch(&format!("CREATE INDEX {name} ON {on};"))?;
            }
        }
        Ok(())
    }
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
