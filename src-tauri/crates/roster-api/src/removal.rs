//! What an admin ends on a sync's page: a directory sync deleted with or without its connection (the
//! seed's "Delete Directory Sync and Connection" or "Delete"), a held run discarded, and a run cancelled
//! before it applies anything.

use crate::connections::kind_of;
use crate::directories::configure_permission;
use crate::error::{ApiError, Code, Result};
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;
use roster_core::SyncType;

/// What happens to a sync's connection when the sync is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionChoice {
    /// Keep it for a later sync ("Delete").
    Keep,
    /// Delete it too ("Delete Directory Sync and Connection"); only when no other sync uses it.
    Delete,
}

impl Session<'_> {
    /// Deletes directory sync `key`, and with [`ConnectionChoice::Delete`] its connection and the
    /// connection's secrets too, in one transaction: refused, with nothing deleted, while another sync
    /// uses the connection. A SCIM integration's connection always goes with it.
    pub fn delete_directory_with(&self, key: &str, choice: ConnectionChoice) -> Result<()> {
        if choice == ConnectionChoice::Keep {
            return self.delete_directory(key);
        }
        let t = self.tenant.clone();
        let d = t.store.directory(key)?;
        self.require(configure_permission(d.sync_type))?;
        self.require_connection_change(&d.connection_id)?;
        if self.roster.is_running(&t.id, key) || t.store.run_in_progress(key) {
            return Err(ApiError::conflict(
                "This directory sync is running. Wait for the run to finish, then delete it.",
            ));
        }
        let c = t.store.connection(&d.connection_id)?;
        t.store.delete_directory_and_connection(key, &c.id)?;
        self.roster.unschedule(&t.id, key);
        if !kind_of(&c)?.info().secrets.is_empty() {
            self.roster.delete_secrets(&t.id, &c.id)?;
        }
        Ok(())
    }

    /// Discards held run `run_id`: nothing of it is applied, and the sync runs on its schedule again.
    /// Needs what approving it needs (running the sync).
    pub fn discard_held_run(&self, run_id: i64) -> Result<json::RunSummary> {
        let t = self.tenant.clone();
        let run = t.store.run(run_id)?;
        let d = t.store.directory(run.directory_key.as_str())?;
        self.require(full_run_permission(d.sync_type))?;
        let message = format!(
            "Discarded by {}: nothing of this run was applied. The sync runs again on its schedule, or with Sync Now.",
            self.acting.name
        );
        t.store.discard_held_run(run_id, self.now(), &message)?;
        json::RunSummary::from_record(&t.store.run(run_id)?, &d.name)
    }

    /// Cancels the run of sync `key` in progress in this process, before it applies anything: its
    /// `run_sync` ends with a failed run that says who cancelled it (a preview ends with `cancelled`).
    /// A run that is already applying its changes finishes (the apply is one transaction).
    pub fn cancel_run(&self, key: &str) -> Result<()> {
        let t = self.tenant.clone();
        let d = t.store.directory(key)?;
        self.require(full_run_permission(d.sync_type))?;
        let sender = self
            .roster
            .cancels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(t.id.clone(), key.to_string()));
        match sender.map(|tx| tx.send(self.acting.name.clone())) {
            Some(Ok(())) => Ok(()),
            _ => Err(ApiError::conflict(format!(
                "\"{}\" is not syncing in this window, so there is nothing to cancel.",
                d.name
            ))),
        }
    }

    /// What a cancelled run leaves: its record failed, saying who cancelled it; the report of it.
    pub(crate) fn cancelled(&self, key: &str, name: &str, by: &str) -> Result<json::RunReport> {
        let t = self.tenant.clone();
        let message = format!("Cancelled by {by} before it applied anything: nothing was changed.");
        let run = t
            .store
            .runs(Some(key), 1)?
            .into_iter()
            .next()
            .filter(|r| r.outcome == "running" || r.outcome == "interrupted");
        // The window's progress bar ends as it does for a failed run.
        self.roster
            .events
            .emit(roster_engine::Event::Progress(roster_engine::Progress {
                tenant: t.id.clone(),
                directory_key: key.to_string(),
                run_id: run.as_ref().map(|r| r.id),
                phase: roster_engine::phase::Phase::Failed,
                done: 0,
                total: 0,
                message: message.clone(),
            }));
        let Some(run) = run else {
            // A preview keeps no record (nor does a run cancelled before it began).
            return Err(ApiError::new(
                Code::Cancelled,
                format!("The run of \"{name}\" was cancelled by {by}: nothing was changed."),
            ));
        };
        t.store.fail_run(run.id, self.now(), &message)?;
        self.run_detail(run.id)
    }
}

/// What cancelling, approving or discarding a sync's full run needs.
fn full_run_permission(t: SyncType) -> Permission {
    match t {
        SyncType::User => Permission::RunUserSyncs,
        SyncType::Admin => Permission::RunAdminSyncs,
    }
}
