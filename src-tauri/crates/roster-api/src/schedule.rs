//! Scheduled syncs of every tenant, while the desktop app or `rosterctl serve` runs: one background task
//! per (tenant, directory sync), at most [`MAX_CONCURRENT_RUNS`] runs at once across all tenants so a
//! laptop stays responsive. Deleting a tenant stops its tasks; which tenant a window shows changes nothing.

use crate::error::{ApiError, Code, Result};
use crate::json;
use crate::runs::RunMode;
use crate::session::Caller;
use crate::Roster;
use async_trait::async_trait;
use roster_engine::scheduler::{RunResult, Schedule, ScheduledRun, Scheduler};
use roster_store::{DirectoryRecord, Trigger};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How many scheduled runs go on at once, across every tenant.
pub const MAX_CONCURRENT_RUNS: usize = 2;

/// A scheduler task's key: the tenant and the directory sync, which both name themselves without a `/`.
fn task_key(tenant: &str, directory: &str) -> String {
    format!("{tenant}/{directory}")
}

impl Roster {
    pub(crate) fn scheduler_handle(&self) -> Option<Arc<Scheduler>> {
        self.scheduler
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// When a sync runs next: one interval after its last full sync, or after its schedule started; a new
    /// sync whose schedule has not started (no run by the admin yet) waits.
    pub(crate) fn schedule_of(&self, tenant: &str, d: &DirectoryRecord) -> Schedule {
        let interval = Duration::from_secs(u64::from(d.interval_minutes) * 60);
        let base = match (d.last_full_sync, d.schedule_from) {
            (Some(a), Some(b)) => Some(a.0.max(b.0)),
            (Some(a), None) | (None, Some(a)) => Some(a.0),
            (None, None) => None,
        };
        let first_in = base.map(|base| {
            let due = base + i64::from(d.interval_minutes) * 60;
            Duration::from_secs(u64::try_from(due - self.now().0).unwrap_or(0))
        });
        Schedule {
            key: task_key(tenant, d.key.as_str()),
            interval,
            paused: d.paused,
            first_in,
        }
    }

    /// Schedules (again) one sync, if the scheduler runs.
    pub(crate) fn reschedule(&self, tenant: &str, d: &DirectoryRecord) {
        if let Some(s) = self.scheduler_handle() {
            s.schedule(self.schedule_of(tenant, d));
        }
    }

    /// Stops one sync's scheduled runs.
    pub(crate) fn unschedule(&self, tenant: &str, directory: &str) {
        if let Some(s) = self.scheduler_handle() {
            s.unschedule(&task_key(tenant, directory));
        }
    }

    /// Pauses or resumes one sync's scheduled runs.
    pub(crate) fn pause_schedule(&self, tenant: &str, directory: &str, paused: bool) {
        if let Some(s) = self.scheduler_handle() {
            let key = task_key(tenant, directory);
            if paused {
                s.pause(&key);
            } else {
                s.resume(&key);
            }
        }
    }

    /// Changes one sync's interval.
    pub(crate) fn set_schedule_interval(&self, tenant: &str, directory: &str, minutes: u32) {
        if let Some(s) = self.scheduler_handle() {
            s.set_interval(
                &task_key(tenant, directory),
                Duration::from_secs(u64::from(minutes) * 60),
            );
        }
    }

    /// Starts background syncs for every directory sync of every tenant (the desktop app and `rosterctl
    /// serve`). Must be called inside a Tokio runtime. A tenant that cannot be opened is skipped (the
    /// window lists it with the reason).
    pub fn start_scheduler(self: &Arc<Self>) -> Result<()> {
        let runner = Arc::new(Runner {
            roster: Arc::downgrade(self),
            slots: tokio::sync::Semaphore::new(MAX_CONCURRENT_RUNS),
        });
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            ApiError::new(
                Code::Unknown,
                "Scheduled syncs could not start: no async runtime is running. Restart Roster.",
            )
        })?;
        let scheduler = Arc::new(Scheduler::new(runner, Duration::from_secs(60), runtime));
        for tenant in self.list_tenants()? {
            let Ok(handle) = self.tenant(&tenant.id) else {
                continue;
            };
            for d in handle.tenant.store.directories()? {
                scheduler.schedule(self.schedule_of(&tenant.id, &d));
            }
        }
        *self
            .scheduler
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(scheduler);
        Ok(())
    }

    /// Stops background syncs, waiting up to 5 seconds for runs in progress. Returns whether it was running.
    pub async fn stop_scheduler(&self) -> bool {
        let s = self
            .scheduler
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match s {
            Some(s) => {
                s.stop(Duration::from_secs(5)).await;
                true
            }
            None => false,
        }
    }

    /// Stops the scheduled runs of every sync of a tenant (it is being deleted).
    pub(crate) fn unschedule_tenant(&self, tenant: &str, directories: &[DirectoryRecord]) {
        for d in directories {
            self.unschedule(tenant, d.key.as_str());
        }
    }
}

struct Runner {
    roster: Weak<Roster>,
    /// Runs at once, across tenants.
    slots: tokio::sync::Semaphore,
}

#[async_trait]
impl ScheduledRun for Runner {
    async fn run(&self, key: &str) -> RunResult {
        let Some(roster) = self.roster.upgrade() else {
            return RunResult::PermanentFailure;
        };
        let Some((tenant, directory)) = key.split_once('/') else {
            return RunResult::PermanentFailure;
        };
        let Ok(_slot) = self.slots.acquire().await else {
            return RunResult::PermanentFailure;
        };
        let session = match roster
            .tenant(tenant)
            .and_then(|t| t.as_caller(&Caller::Scheduler))
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(code = ?e.code, "a scheduled run could not open its tenant: {}", e.message);
                return RunResult::TransientFailure;
            }
        };
        let result = session
            .run_sync_inner(
                directory,
                RunMode::Full { approve: false },
                Trigger::Schedule,
            )
            .await;
        if let Err(e) = session.purge_trash() {
            tracing::warn!(code = ?e.code, "purging the trash failed: {}", e.message);
        }
        match result {
            Ok((r, transient)) if r.outcome == json::RunOutcome::Failed => {
                if transient {
                    RunResult::TransientFailure
                } else {
                    RunResult::PermanentFailure
                }
            }
            Ok(_) => RunResult::Done,
            Err(e) if e.code == Code::Conflict => RunResult::Done,
            Err(_) => RunResult::PermanentFailure,
        }
    }
}
