//! Runs: a sync run through the engine (one at a time per sync), and its history with the per-object
//! change log, page by page.

use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;
use roster_core::SyncType;
use roster_engine::{Mode, RunRequest};
use roster_store::{ConnectionRecord, DirectoryRecord, Trigger};

/// What running a sync of this type, this way, needs.
fn run_permission(t: SyncType, mode: &RunMode) -> Permission {
    match (t, mode) {
        (SyncType::Admin, RunMode::Individual(_)) => Permission::RunIndividualAdmins,
        (SyncType::Admin, RunMode::Preview | RunMode::Full { .. }) => Permission::RunAdminSyncs,
        (SyncType::User, RunMode::Individual(_)) => Permission::RunIndividualUsers,
        (SyncType::User, RunMode::Preview | RunMode::Full { .. }) => Permission::RunUserSyncs,
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunMode {
    /// Show the plan; change nothing.
    Preview,
    /// Full sync; `approve` applies a run that would be held.
    Full {
        /// Approve a held run.
        approve: bool,
    },
    /// One user (by username) or admin (by email).
    Individual(String),
}

impl Session<'_> {
    /// Runs a sync. Failed and held runs are `Ok` reports with that outcome; `Err` means the run could not
    /// start (unknown key, another run of the same sync in progress) or could not be recorded.
    pub async fn run_sync(
        &self,
        key: &str,
        mode: RunMode,
        trigger: Trigger,
    ) -> Result<json::RunReport> {
        self.run_sync_inner(key, mode, trigger)
            .await
            .map(|(r, _)| r)
    }

    /// As [`Session::run_sync`], also saying whether a failed run may succeed if retried.
    pub(crate) async fn run_sync_inner(
        &self,
        key: &str,
        mode: RunMode,
        trigger: Trigger,
    ) -> Result<(json::RunReport, bool)> {
        let t = self.tenant.clone();
        let d = t.store.directory(key)?;
        self.require(run_permission(d.sync_type, &mode))?;
        if crate::scim::scim_flavor(&t.store, &d.connection_id)?.is_some() {
            return Err(ApiError::validation(format!(
                "\"{}\" is a SCIM integration: its identity provider pushes changes to Roster as they happen, so there is nothing to sync from here. To bring everything across again, start a full push (Okta: Push Now; Entra ID: Restart provisioning).",
                d.name
            )));
        }
        let slot = (t.id.clone(), d.key.to_string());
        {
            let mut running = self
                .roster
                .running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !running.insert(slot.clone()) {
                return Err(ApiError::conflict(format!(
                    "\"{}\" is already syncing. Wait for that run to finish, then try again.",
                    d.name
                )));
            }
        }
        // Cancel (`cancel_run`) drops the run where it waits (reading the directory, or planning): the
        // apply is one synchronous transaction with no wait inside, so a cancelled run never applies part
        // of its plan.
        let (cancel, cancel_rx) = tokio::sync::oneshot::channel::<String>();
        self.roster
            .cancels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(slot.clone(), cancel);
        let result = tokio::select! {
            r = self.run_locked(&t, &d, mode, trigger) => r,
            Ok(by) = cancel_rx => self.cancelled(d.key.as_str(), &d.name, &by).map(|r| (r, false)),
        };
        self.roster
            .cancels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&slot);
        self.roster
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&slot);
        result
    }

    async fn run_locked(
        &self,
        t: &crate::OpenTenant,
        d: &DirectoryRecord,
        mode: RunMode,
        trigger: Trigger,
    ) -> Result<(json::RunReport, bool)> {
        if let RunMode::Individual(k) = &mode {
            if k.trim().is_empty() {
                return Err(ApiError::validation(
                    "Give the username (or, for admin syncs, the email) to sync.",
                ));
            }
        }
        let mode_started = mode.clone();
        let conn = t.store.connection(&d.connection_id)?;
        let (connector, next_state, refused) = self.connector(&conn).await?;
        let retention = t.store.tenant()?.pending_deletion_days;
        let req = RunRequest {
            tenant: &t.id,
            directory: d,
            trigger,
            mode: match mode {
                RunMode::Preview => Mode::Preview,
                RunMode::Full { approve } => Mode::Full { approve },
                RunMode::Individual(k) => Mode::Individual(k.trim().to_string()),
            },
            retention_days: retention,
            next_connection_state: next_state,
            incremental: Some(config_digest(&conn, d)),
        };
        let report = roster_engine::run_sync(
            &t.store,
            connector.as_ref(),
            req,
            self.roster.clock.as_ref(),
            self.roster.events.as_ref(),
        )
        .await?;
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(&conn.id)?;
        }
        // A new sync's schedule starts with the first full run the admin starts (Sync Now), whatever its
        // outcome; a preview or one user is not that run.
        if trigger != Trigger::Schedule
            && matches!(mode_started, RunMode::Full { .. })
            && d.schedule_from.is_none()
            && report.run_id.is_some()
        {
            t.store.start_schedule(d.key.as_str(), report.started_at)?;
            self.roster
                .reschedule(&t.id, &t.store.directory(d.key.as_str())?);
        }
        let transient = report.transient;
        Ok((json::RunReport::from_engine(report, &d.name)?, transient))
    }

    /// Runs, newest first.
    pub fn list_runs(&self, key: Option<&str>, limit: u32) -> Result<Vec<json::RunSummary>> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        if let Some(k) = key {
            t.store.directory(k)?;
        }
        let names: std::collections::HashMap<String, String> = t
            .store
            .directories()?
            .into_iter()
            .map(|d| (d.key.to_string(), d.name))
            .collect();
        t.store
            .runs(key, limit.clamp(1, 1000))?
            .iter()
            .map(|r| {
                json::RunSummary::from_record(
                    r,
                    names
                        .get(r.directory_key.as_str())
                        .map(String::as_str)
                        .unwrap_or(""),
                )
            })
            .collect()
    }

    /// One run with the first of its per-object changes (all of them, page by page, with
    /// [`Roster::run_changes`]).
    pub fn run_detail(&self, run_id: i64) -> Result<json::RunReport> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        let rec = t.store.run(run_id)?;
        let (changes, _) =
            t.store
                .run_changes(run_id, 0, roster_engine::run::REPORT_CHANGES as u64)?;
        let total = t.store.run_change_count(run_id)?;
        let name = t
            .store
            .directory(rec.directory_key.as_str())
            .map(|d| d.name)
            .unwrap_or_default();
        json::RunReport::from_record(rec, changes, total, &name)
    }

    /// A page of a run's change log, from position `from` (0 first).
    pub fn run_changes(&self, run_id: i64, from: u64, limit: u64) -> Result<json::ChangePage> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        t.store.run(run_id)?;
        let (changes, next) = t.store.run_changes(run_id, from, limit.clamp(1, 5000))?;
        Ok(json::ChangePage { changes, next })
    }
}

/// A digest of everything that decides what a directory sync reads: a cursor made under another digest is
/// not used (a changed configuration means a full sync).
fn config_digest(c: &ConnectionRecord, d: &DirectoryRecord) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        c.kind.clone(),
        c.config.to_string(),
        serde_json::to_string(&d.groups).unwrap_or_default(),
        serde_json::to_string(&d.attributes).unwrap_or_default(),
        serde_json::to_string(&d.roles).unwrap_or_default(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}
