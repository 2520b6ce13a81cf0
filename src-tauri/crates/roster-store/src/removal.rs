//! Ending things an admin chose to end: a held run discarded (nothing of it is ever applied), and a
//! directory sync deleted together with its connection, in one transaction.

use crate::records::bump_data_revision;
use crate::{Result, Store, StoreError};
use roster_core::Timestamp;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Discards held run `run_id`: it reads `discarded` with `message`, and its sync's status goes back to
    /// what the sync's last full run before it left (`ok`, `failed`, or `never_synced` when there was
    /// none). Only a run that is still held can be discarded.
    pub fn discard_held_run(&self, run_id: i64, now: Timestamp, message: &str) -> Result<()> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let key: Option<String> = tx
            .query_row(
                "SELECT directory_key FROM sync_runs WHERE id = ?1 AND outcome = 'held'",
                [run_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(key) = key else {
            return Err(StoreError::Conflict(format!(
                "Run {run_id} is not held for approval (it was approved, discarded or replaced by a newer run), so there is nothing to discard."
            )));
        };
        tx.execute(
            "UPDATE sync_runs SET outcome = 'discarded', finished_at = COALESCE(finished_at, ?2), message = ?3 WHERE id = ?1",
            params![run_id, now.0, message],
        )?;
        let before: Option<String> = tx
            .query_row(
                "SELECT outcome FROM sync_runs
                 WHERE directory_key = ?1 AND id < ?2 AND trigger != 'individual'
                   AND outcome IN ('succeeded', 'approved', 'failed')
                 ORDER BY id DESC LIMIT 1",
                params![key, run_id],
                |r| r.get(0),
            )
            .optional()?;
        let status = match before.as_deref() {
            Some("failed") => "failed",
            Some(_) => "ok",
            None => "never_synced",
        };
        tx.execute(
            "UPDATE directories SET status = ?2 WHERE key = ?1 AND status = 'held'",
            params![key, status],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes directory sync `key` and its connection `connection_id` together. Refused, with nothing
    /// deleted, when another sync uses the connection too or the sync does not use it.
    pub fn delete_directory_and_connection(&self, key: &str, connection_id: &str) -> Result<()> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: Option<(String, i64, String)> = tx
            .query_row(
                "SELECT sync_type, precedence, connection_id FROM directories WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((sync_type, precedence, own)) = found else {
            return Err(StoreError::NotFound(format!(
                "There is no directory sync {key} in this tenant."
            )));
        };
        if own != connection_id {
            return Err(StoreError::Conflict(format!(
                "The directory sync {key} does not use the connection {connection_id}."
            )));
        }
        let others: Vec<String> = {
            let mut st = tx.prepare(
                "SELECT name FROM directories WHERE connection_id = ?1 AND key != ?2 ORDER BY name",
            )?;
            let v = st
                .query_map(params![connection_id, key], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        if !others.is_empty() {
            return Err(StoreError::Conflict(format!(
                "The connection is also used by the directory sync(s) {}, so it stays. Delete just this sync, or delete those syncs first.",
                others.join(", ")
            )));
        }
        tx.execute("DELETE FROM directories WHERE key = ?1", [key])?;
        tx.execute(
            "UPDATE directories SET precedence = precedence - 1 WHERE sync_type = ?1 AND precedence > ?2",
            params![sync_type, precedence],
        )?;
        tx.execute("DELETE FROM connections WHERE id = ?1", [connection_id])?;
        bump_data_revision(&tx)?;
        tx.commit()?;
        Ok(())
    }
}
