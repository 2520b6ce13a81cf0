//! Directory syncs: adding them from specs, configuring, running (one run per sync at a time), the
//! scheduler's lifecycle, and the lists the UI shows.

use crate::error::{ApiError, Code, Result};
use crate::spec::{ConnectionRef, DirectorySpec};
use crate::{json, Roster};
use async_trait::async_trait;
use rand::RngCore;
use roster_core::source::Connector;
use roster_core::{
    AttributeMap, DirectoryKey, SyncType, DEFAULT_DELETION_THRESHOLD_PERCENT,
    DEFAULT_INTERVAL_MINUTES,
};
use roster_engine::scheduler::{RunResult, Schedule, ScheduledRun, Scheduler};
use roster_engine::{Mode, Outcome, RunRequest};
use roster_store::{ConnectionRecord, DirectoryRecord, Trigger};
use std::sync::{Arc, Weak};
use std::time::Duration;

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

/// Whether connections of this kind keep secrets in the keychain.
pub(crate) fn has_secrets(kind: &str) -> bool {
    matches!(
        kind,
        "active_directory" | "openldap" | "entra" | "google" | "okta"
    )
}

pub(crate) fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Options a directory sync can change after it is added.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryPatch {
    /// New name.
    pub name: Option<String>,
    /// New selected groups.
    pub groups: Option<Vec<String>>,
    /// New attribute mapping (the username attribute is fixed after the first sync).
    pub attributes: Option<AttributeMap>,
    /// New interval.
    pub interval_minutes: Option<u32>,
    /// New threshold.
    pub deletion_threshold_percent: Option<u8>,
}

struct DemoState {
    seed: u64,
    users: usize,
    epoch: u32,
}

fn demo_state(c: &ConnectionRecord) -> Result<DemoState> {
    let seed = c
        .config
        .get("seed")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(7);
    let users = c
        .config
        .get("users")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(300) as usize;
    let epoch = c
        .state
        .get("epoch")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0) as u32;
    Ok(DemoState { seed, users, epoch })
}

impl Roster {
    /// Adds a directory sync (and its connection, if the spec gives one inline). Returns its key.
    pub fn add_directory(&self, spec: DirectorySpec) -> Result<String> {
        let t = self.tenant()?;
        let now = self.now();
        let connection = match &spec.connection {
            ConnectionRef::Existing(id) => t.store.connection(id)?,
            ConnectionRef::New(c) => {
                if matches!(c.kind(), "entra" | "google" | "okta") {
                    return Err(ApiError::validation(format!(
                        "A {} connection is added by signing in: use `rosterctl directory add --spec FILE` (which opens the sign-in page), or add the connection in the app first and give its id as \"connection\". Nothing was added.",
                        crate::cloud::vendor_name(c.kind())
                    )));
                }
                if !matches!(c.kind(), "demo" | "active_directory" | "openldap") {
                    return Err(ApiError::validation(format!(
                        "Syncing \"{}\" directories is not available in this version of Roster yet; the demo directory, Active Directory, OpenLDAP, Entra ID, Google Workspace and Okta are. Nothing was added.",
                        c.kind()
                    )));
                }
                let (config, secrets) = c.split_secrets()?;
                let rec = ConnectionRecord {
                    id: format!("conn-{}", random_hex(6)),
                    kind: c.kind().to_string(),
                    name: c.display_name(),
                    config,
                    status: "ready".into(),
                    authorized_by: None,
                    authorized_at: None,
                    state: serde_json::json!({}),
                    created_at: now,
                };
                for (name, value) in secrets {
                    self.secrets.set(
                        &Self::secret_key(&t.id, &rec.id, name),
                        &roster_secrets::Sensitive(value),
                    )?;
                }
                t.store.insert_connection(&rec)?;
                rec
            }
        };
        if connection.kind == "okta" && spec.sync_type == SyncType::Admin {
            return Err(ApiError::validation(
                "Okta syncs import users and groups only, not administrators (as Duo's do). Add an admin sync from Active Directory, OpenLDAP, Entra ID or Google Workspace instead.",
            ));
        }
        let is_demo = connection.kind == "demo";
        let mut attributes = spec.attributes.clone().unwrap_or_else(|| {
            crate::cloud::default_attributes(&connection.kind).unwrap_or_else(|| {
                match connection.kind.as_str() {
                    "active_directory" => AttributeMap::active_directory_default(),
                    _ => AttributeMap::ldap_default(),
                }
            })
        });
        if spec.attributes.is_none() && is_demo {
            attributes
                .custom
                .insert("department".into(), "department".into());
            attributes.custom.insert("title".into(), "title".into());
            attributes
                .custom
                .insert("employee_id".into(), "employeeID".into());
        }
        let (groups, roles) = match spec.sync_type {
            SyncType::User => {
                // Absent means the demo's defaults (other sources have none); empty is never valid.
                let g = spec
                    .groups
                    .clone()
                    .or_else(|| is_demo.then(roster_demo::default_user_groups))
                    .filter(|g| !g.is_empty())
                    .ok_or_else(|| {
                        ApiError::validation("Select at least one group to sync (\"groups\").")
                    })?;
                (g, Vec::new())
            }
            SyncType::Admin => {
                let r = match &spec.roles {
                    Some(r) => crate::spec::parse_roles(r)?,
                    None if is_demo => roster_demo::default_roles(),
                    None => Vec::new(),
                };
                if r.is_empty() {
                    return Err(ApiError::validation(
                        "Map at least one group to an administrator role (\"roles\").",
                    ));
                }
                if attributes.email.is_none() {
                    return Err(ApiError::validation("Admin syncs match administrators by email: map the email attribute (\"attributes\": {\"email\": …})."));
                }
                (Vec::new(), r)
            }
        };
        if t.store
            .directories()?
            .iter()
            .any(|d| d.name.eq_ignore_ascii_case(spec.name.trim()))
        {
            return Err(ApiError::conflict(format!(
                "A directory sync named \"{}\" already exists in this tenant. Choose another name.",
                spec.name.trim()
            )));
        }
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let d = DirectoryRecord {
            key: DirectoryKey::from_random(bytes),
            name: spec.name.trim().to_string(),
            sync_type: spec.sync_type,
            connection_id: connection.id.clone(),
            groups,
            attributes,
            roles,
            paused: spec.paused,
            interval_minutes: spec.interval_minutes.unwrap_or(DEFAULT_INTERVAL_MINUTES),
            last_full_sync: None,
            status: "never_synced".into(),
            revision: 0,
            deletion_threshold_percent: spec
                .deletion_threshold_percent
                .unwrap_or(DEFAULT_DELETION_THRESHOLD_PERCENT),
            created_at: now,
            cursor: None,
        };
        t.store.insert_directory(&d)?;
        if let Some(s) = self.scheduler_handle() {
            s.schedule(self.schedule_of(&d));
        }
        Ok(d.key.to_string())
    }

    /// Every directory sync of the open tenant.
    pub fn list_directories(&self) -> Result<Vec<json::DirectorySummary>> {
        let t = self.tenant()?;
        let counts = t.store.managed_counts()?;
        let connections = t.store.connections()?;
        let mut out = Vec::new();
        for d in t.store.directories()? {
            let c = connections.iter().find(|c| c.id == d.connection_id);
            let last = t.store.runs(Some(d.key.as_str()), 1)?.into_iter().next();
            let running = self.is_running(&t.id, d.key.as_str());
            out.push(json::DirectorySummary {
                directory_key: d.key.to_string(),
                name: d.name.clone(),
                sync_type: d.sync_type.as_str().into(),
                connection: json::ConnectionBrief {
                    id: d.connection_id.clone(),
                    kind: c.map(|c| c.kind.clone()).unwrap_or_default(),
                    name: c.map(|c| c.name.clone()).unwrap_or_default(),
                },
                schedule: if d.paused {
                    "paused".into()
                } else {
                    "scheduled".into()
                },
                interval_minutes: d.interval_minutes,
                last_full_sync: d.last_full_sync.map(roster_core::Timestamp::to_rfc3339),
                status: if running {
                    "running".into()
                } else {
                    d.status.clone()
                },
                last_run: last
                    .as_ref()
                    .map(|r| json::RunSummary::from_record(r, &d.name)),
                user_count: counts.get(d.key.as_str()).copied().unwrap_or(0),
                groups: match d.sync_type {
                    SyncType::User => d.groups.clone(),
                    SyncType::Admin => d
                        .roles
                        .iter()
                        .map(|r| format!("{} → {}", r.group, r.role.as_str()))
                        .collect(),
                },
                deletion_threshold_percent: d.deletion_threshold_percent,
                username_attribute: d.attributes.username.clone(),
            });
        }
        Ok(out)
    }

    fn summary_of(&self, key: &str) -> Result<json::DirectorySummary> {
        self.list_directories()?
            .into_iter()
            .find(|d| d.directory_key == key)
            .ok_or_else(|| {
                ApiError::not_found(format!("There is no directory sync with the key {key}."))
            })
    }

    /// Every connection of the open tenant.
    pub fn list_connections(&self) -> Result<Vec<json::Connection>> {
        let t = self.tenant()?;
        let dirs = t.store.directories()?;
        Ok(t.store
            .connections()?
            .into_iter()
            .map(|c| json::Connection {
                used_by: dirs
                    .iter()
                    .filter(|d| d.connection_id == c.id)
                    .map(|d| d.name.clone())
                    .collect(),
                id: c.id,
                kind: c.kind,
                name: c.name,
                config: c.config,
                status: c.status,
                authorized_by: c.authorized_by,
                authorized_at: c.authorized_at.map(roster_core::Timestamp::to_rfc3339),
            })
            .collect())
    }

    /// Deletes a connection no directory sync uses, and its secrets.
    pub fn delete_connection(&self, id: &str) -> Result<()> {
        let t = self.tenant()?;
        let c = t.store.connection(id)?;
        t.store.delete_connection(id)?;
        if has_secrets(&c.kind) {
            self.delete_secrets(&t.id, id)?;
        }
        Ok(())
    }

    /// Pauses or resumes scheduled runs.
    pub fn set_paused(&self, key: &str, paused: bool) -> Result<json::DirectorySummary> {
        let t = self.tenant()?;
        let mut d = t.store.directory(key)?;
        d.paused = paused;
        t.store.update_directory_config(&d)?;
        if let Some(s) = self.scheduler_handle() {
            if paused {
                s.pause(key);
            } else {
                s.resume(key);
            }
        }
        self.summary_of(key)
    }

    /// Changes a directory sync's settings.
    pub fn update_directory(
        &self,
        key: &str,
        patch: DirectoryPatch,
    ) -> Result<json::DirectorySummary> {
        let t = self.tenant()?;
        let mut d = t.store.directory(key)?;
        if let Some(n) = patch.name {
            if n.trim().is_empty() {
                return Err(ApiError::validation("A directory sync needs a name."));
            }
            d.name = n.trim().to_string();
        }
        if let Some(g) = patch.groups {
            if g.is_empty() {
                return Err(ApiError::validation("Select at least one group to sync."));
            }
            d.groups = g;
        }
        if let Some(a) = patch.attributes {
            a.validate().map_err(ApiError::validation)?;
            if d.last_full_sync.is_some()
                && !a.username.eq_ignore_ascii_case(&d.attributes.username)
            {
                return Err(ApiError::validation(format!(
                    "The username attribute is \"{}\" and cannot be changed after the first sync: usernames would no longer match. Create a new directory sync to use another username attribute.",
                    d.attributes.username
                )));
            }
            d.attributes = a;
        }
        if let Some(i) = patch.interval_minutes {
            if !(5..=1440).contains(&i) {
                return Err(ApiError::validation(
                    "The interval must be between 5 and 1440 minutes.",
                ));
            }
            d.interval_minutes = i;
            if let Some(s) = self.scheduler_handle() {
                s.set_interval(key, Duration::from_secs(u64::from(i) * 60));
            }
        }
        if let Some(p) = patch.deletion_threshold_percent {
            if p > 100 {
                return Err(ApiError::validation(
                    "The threshold is a percentage from 0 to 100.",
                ));
            }
            d.deletion_threshold_percent = p;
        }
        t.store.update_directory_config(&d)?;
        self.summary_of(key)
    }

    /// Deletes a directory sync. Its users and groups stay, no longer managed by a sync.
    pub fn delete_directory(&self, key: &str) -> Result<()> {
        let t = self.tenant()?;
        if self.is_running(&t.id, key) {
            return Err(ApiError::conflict(
                "This directory sync is running. Wait for the run to finish, then delete it.",
            ));
        }
        t.store.delete_directory(key)?;
        if let Some(s) = self.scheduler_handle() {
            s.unschedule(key);
        }
        Ok(())
    }

    fn is_running(&self, tenant: &str, key: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&(tenant.to_string(), key.to_string()))
    }

    /// The connector of a connection; the flag turns true if a cloud vendor refuses the sign-in.
    async fn connector(
        &self,
        tenant: &str,
        c: &ConnectionRecord,
    ) -> Result<(
        Box<dyn Connector>,
        Option<serde_json::Value>,
        Arc<std::sync::atomic::AtomicBool>,
    )> {
        let never = || Arc::new(std::sync::atomic::AtomicBool::new(false));
        match c.kind.as_str() {
            "demo" => {
                let s = demo_state(c)?;
                let next = serde_json::json!({"epoch": s.epoch + 1});
                Ok((Box::new(roster_demo::DemoConnector::new(s.seed, s.users, s.epoch)), Some(next), never()))
            }
            "active_directory" | "openldap" => Ok((Box::new(self.ldap_connector(tenant, c)?), None, never())),
            "entra" | "google" | "okta" => {
                let (connector, refused) = self.cloud_connector(tenant, c).await?;
                Ok((connector, None, refused))
            }
            other => Err(ApiError::validation(format!(
                "Syncing \"{other}\" directories is not available in this version of Roster yet. Nothing was changed."
            ))),
        }
    }

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

    /// As [`Roster::run_sync`], also saying whether a failed run may succeed if retried.
    async fn run_sync_inner(
        &self,
        key: &str,
        mode: RunMode,
        trigger: Trigger,
    ) -> Result<(json::RunReport, bool)> {
        let t = self.tenant()?;
        let d = t.store.directory(key)?;
        let slot = (t.id.clone(), d.key.to_string());
        {
            let mut running = self
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
        let result = self.run_locked(&t, &d, mode, trigger).await;
        self.running
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
        let conn = t.store.connection(&d.connection_id)?;
        let (connector, next_state, refused) = self.connector(&t.id, &conn).await?;
        let retention = t.store.tenant()?.pending_deletion_days;
        let req = RunRequest {
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
            self.clock.as_ref(),
            self.events.as_ref(),
        )
        .await?;
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(&conn.id)?;
        }
        let transient = report.transient;
        Ok((json::RunReport::from_engine(report, &d.name), transient))
    }

    /// Runs, newest first.
    pub fn list_runs(&self, key: Option<&str>, limit: u32) -> Result<Vec<json::RunSummary>> {
        let t = self.tenant()?;
        if let Some(k) = key {
            t.store.directory(k)?;
        }
        let names: std::collections::HashMap<String, String> = t
            .store
            .directories()?
            .into_iter()
            .map(|d| (d.key.to_string(), d.name))
            .collect();
        Ok(t.store
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
            .collect())
    }

    /// One run with its per-object changes.
    pub fn run_detail(&self, run_id: i64) -> Result<json::RunReport> {
        let t = self.tenant()?;
        let (rec, changes) = t.store.run(run_id)?;
        let name = t
            .store
            .directory(rec.directory_key.as_str())
            .map(|d| d.name)
            .unwrap_or_default();
        Ok(json::RunReport::from_record(rec, changes, &name))
    }

    /// A page of users (outside the trash).
    pub fn users_page(
        &self,
        query: &str,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.user_rows(query, false, offset, limit)
    }

    /// A page of users in the trash.
    pub fn trash_page(
        &self,
        query: &str,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.user_rows(query, true, offset, limit)
    }

    fn user_rows(
        &self,
        query: &str,
        trash: bool,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        let t = self.tenant()?;
        let days = t.store.tenant()?.pending_deletion_days;
        let p = t
            .store
            .users_page(query, trash, offset, limit.clamp(1, 1000))?;
        Ok(json::Page {
            total: p.total,
            rows: p
                .rows
                .into_iter()
                .map(|r| json::UserRow::from_store(r, days))
                .collect(),
        })
    }

    /// A page of groups.
    pub fn groups_page(
        &self,
        query: &str,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::GroupRow>> {
        Ok(self
            .tenant()?
            .store
            .groups_page(query, offset, limit.clamp(1, 1000))?)
    }

    /// A page of administrators.
    pub fn admins_page(
        &self,
        query: &str,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::AdminRow>> {
        Ok(self
            .tenant()?
            .store
            .admins_page(query, offset, limit.clamp(1, 1000))?)
    }

    /// Deletes for good the users whose time in the trash has run out. Returns how many.
    pub fn purge_trash(&self) -> Result<usize> {
        Ok(self.tenant()?.store.purge_expired_trash(self.now())?)
    }

    /// Restores a user from the trash.
    pub fn restore_user(&self, username: &str) -> Result<()> {
        Ok(self.tenant()?.store.restore_user(username)?)
    }

    /// Sets the trash retention (1 to 365 days).
    pub fn set_retention_days(&self, days: u32) -> Result<()> {
        if !(1..=365).contains(&days) {
            return Err(ApiError::validation(
                "The trash retention must be between 1 and 365 days.",
            ));
        }
        Ok(self.tenant()?.store.set_pending_deletion_days(days)?)
    }

    fn scheduler_handle(&self) -> Option<Arc<Scheduler>> {
        self.scheduler
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn schedule_of(&self, d: &DirectoryRecord) -> Schedule {
        let interval = Duration::from_secs(u64::from(d.interval_minutes) * 60);
        let first_in = match d.last_full_sync {
            None => Duration::ZERO,
            Some(last) => {
                let due = last.0 + i64::from(d.interval_minutes) * 60;
                Duration::from_secs(u64::try_from(due - self.now().0).unwrap_or(0))
            }
        };
        Schedule {
            key: d.key.to_string(),
            interval,
            paused: d.paused,
            first_in,
        }
    }

    /// Starts background syncs for every directory sync of the open tenant (the desktop app and
    /// `rosterctl serve`). Must be called inside a Tokio runtime.
    pub fn start_scheduler(self: &Arc<Self>) -> Result<()> {
        let t = self.tenant()?;
        let runner = Arc::new(Runner {
            roster: Arc::downgrade(self),
        });
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            ApiError::new(
                Code::Unknown,
                "Scheduled syncs could not start: no async runtime is running. Restart Roster.",
            )
        })?;
        let scheduler = Arc::new(Scheduler::new(runner, Duration::from_secs(60), runtime));
        for d in t.store.directories()? {
            scheduler.schedule(self.schedule_of(&d));
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
}

struct Runner {
    roster: Weak<Roster>,
}

#[async_trait]
impl ScheduledRun for Runner {
    async fn run(&self, key: &str) -> RunResult {
        let Some(roster) = self.roster.upgrade() else {
            return RunResult::PermanentFailure;
        };
        let result = roster
            .run_sync_inner(key, RunMode::Full { approve: false }, Trigger::Schedule)
            .await;
        if let Err(e) = roster.purge_trash() {
            tracing::warn!(code = ?e.code, "purging the trash failed: {}", e.message);
        }
        match result {
            Ok((r, transient)) if r.outcome == Outcome::Failed.as_str() => {
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

/// A user added by hand.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Username (unique, case-insensitive).
    pub username: String,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Display name.
    #[serde(default)]
    pub realname: Option<String>,
}

impl Roster {
    fn user_row(&self, username: &str) -> Result<json::UserRow> {
        let t = self.tenant()?;
        let days = t.store.tenant()?.pending_deletion_days;
        for trash in [false, true] {
            let page = t.store.users_page(username, trash, 0, 1000)?;
            if let Some(r) = page
                .rows
                .into_iter()
                .find(|r| r.username.eq_ignore_ascii_case(username))
            {
                return Ok(json::UserRow::from_store(r, days));
            }
        }
        Err(ApiError::not_found(format!(
            "There is no user \"{username}\" in this tenant."
        )))
    }

    /// Adds a user by hand.
    pub fn add_user(&self, new: NewUser) -> Result<json::UserRow> {
        let t = self.tenant()?;
        let username = new.username.trim().to_string();
        if username.is_empty() || username.len() > 100 {
            return Err(ApiError::validation(
                "A username must have 1 to 100 characters.",
            ));
        }
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let base = roster_core::User {
            id: roster_core::UserId::derive(&DirectoryKey::from_random(b), &username),
            fields: roster_core::UserFields {
                username: username.clone(),
                ..Default::default()
            },
            status: roster_core::UserStatus::Active,
            managed_by: None,
            external_id: None,
            last_directory_sync: None,
            trashed_at: None,
            groups: Vec::new(),
        };
        let edit = roster_core::edit::UserEdit {
            email: new.email,
            realname: new.realname,
            ..Default::default()
        };
        let user =
            roster_core::edit::apply_edit(&base, None, &edit).map_err(ApiError::validation)?;
        t.store.insert_user(&user, self.now())?;
        self.user_row(&username)
    }

    /// Edits a user by hand. Fields a directory sync manages are refused with a message saying where to
    /// change them.
    pub fn update_user(
        &self,
        username: &str,
        edit: roster_core::edit::UserEdit,
    ) -> Result<json::UserRow> {
        let t = self.tenant()?;
        let user = t.store.user_by_username(username)?.ok_or_else(|| {
            ApiError::not_found(format!("There is no user \"{username}\" in this tenant."))
        })?;
        let managing = match &user.managed_by {
            Some(k) => Some(t.store.directory(k.as_str())?),
            None => None,
        };
        let after = roster_core::edit::apply_edit(
            &user,
            managing.as_ref().map(|d| (d.name.as_str(), &d.attributes)),
            &edit,
        )
        .map_err(ApiError::validation)?;
        t.store.save_user_edit(&after)?;
        self.user_row(&after.fields.username)
    }
}

impl Roster {
    /// Moves a user to the trash by hand. A synced user who is still in a synced group comes back at the
    /// next sync.
    pub fn trash_user(&self, username: &str) -> Result<()> {
        Ok(self.tenant()?.store.trash_user(username, self.now())?)
    }
}

impl Roster {
    fn ldap_connector(
        &self,
        tenant: &str,
        c: &ConnectionRecord,
    ) -> Result<roster_connector_ldap::LdapConnector> {
        let flavor = match c.kind.as_str() {
            "active_directory" => roster_connector_ldap::Flavor::ActiveDirectory,
            "openldap" => roster_connector_ldap::Flavor::Openldap,
            other => {
                return Err(ApiError::validation(format!(
                    "The connection {} is a {other} connection, not LDAP.",
                    c.id
                )))
            }
        };
        let settings: roster_connector_ldap::Settings = serde_json::from_value(c.config.clone()).map_err(|e| {
            ApiError::new(
                Code::IncompatibleStore,
                format!("The saved settings of the connection \"{}\" cannot be read ({e}). Add the connection again.", c.name),
            )
        })?;
        let password = match (&settings.bind_dn, settings.bind_method) {
            (Some(_), roster_connector_ldap::BindMethod::Simple) => self
                .secrets
                .get(&Self::secret_key(tenant, &c.id, "bind_password"))?
                .map(|p| p.0),
            _ => None,
        };
        Ok(roster_connector_ldap::LdapConnector::new(
            flavor, settings, password,
        ))
    }

    /// "Test connection": each step with what was found and what to do. The demo directory always passes.
    pub async fn test_connection(&self, id: &str) -> Result<Vec<json::ConnectionCheck>> {
        let t = self.tenant()?;
        let c = t.store.connection(id)?;
        if c.kind == "demo" {
            return Ok(vec![json::ConnectionCheck {
                step: "demo".into(),
                server: c.name.clone(),
                ok: true,
                detail: "The demo directory is built in and needs no network.".into(),
            }]);
        }
        if matches!(c.kind.as_str(), "entra" | "google" | "okta") {
            return self.test_cloud_connection(&c).await;
        }
        let ldap = self.ldap_connector(&t.id, &c)?;
        Ok(ldap
            .diagnose()
            .await
            .into_iter()
            .map(|k| json::ConnectionCheck {
                step: k.step,
                server: k.server,
                ok: k.ok,
                detail: k.detail,
            })
            .collect())
    }

    /// Groups of a connection whose name contains `query`, for the group picker.
    pub async fn search_groups(
        &self,
        id: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<roster_core::source::GroupSummary>> {
        let t = self.tenant()?;
        let c = t.store.connection(id)?;
        let (connector, _, refused) = self.connector(&t.id, &c).await?;
        let found = connector
            .search_groups(query, limit.clamp(1, 500))
            .await
            .map_err(connector_error);
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(&c.id)?;
        }
        found
    }
}

impl Roster {
    /// An LDAP connector for a connection spec that is not saved yet (the "Add directory" form): nothing is
    /// stored, and the password stays in memory for this one call.
    fn draft_connector(
        connection: serde_json::Value,
    ) -> Result<roster_connector_ldap::LdapConnector> {
        let spec: crate::spec::ConnectionSpec =
            serde_json::from_value(connection).map_err(|e| {
                ApiError::validation(format!("The connection settings are not valid: {e}."))
            })?;
        // Testing before saving: the password is required only if a bind DN is given, as when saving.
        spec.validate()?;
        match spec {
            crate::spec::ConnectionSpec::ActiveDirectory(l) => {
                Ok(roster_connector_ldap::LdapConnector::new(
                    roster_connector_ldap::Flavor::ActiveDirectory,
                    l.settings,
                    l.bind_password,
                ))
            }
            crate::spec::ConnectionSpec::Openldap(l) => {
                Ok(roster_connector_ldap::LdapConnector::new(
                    roster_connector_ldap::Flavor::Openldap,
                    l.settings,
                    l.bind_password,
                ))
            }
            ref other => Err(ApiError::validation(format!(
                "Testing \"{}\" connections before saving is not available.",
                other.kind()
            ))),
        }
    }

    /// "Test connection" for connection settings that are not saved yet.
    pub async fn test_connection_draft(
        &self,
        connection: serde_json::Value,
    ) -> Result<Vec<json::ConnectionCheck>> {
        Ok(Self::draft_connector(connection)?
            .diagnose()
            .await
            .into_iter()
            .map(|k| json::ConnectionCheck {
                step: k.step,
                server: k.server,
                ok: k.ok,
                detail: k.detail,
            })
            .collect())
    }

    /// The group picker for connection settings that are not saved yet.
    pub async fn search_groups_draft(
        &self,
        connection: serde_json::Value,
        query: &str,
        limit: usize,
    ) -> Result<Vec<roster_core::source::GroupSummary>> {
        Self::draft_connector(connection)?
            .search_groups(query, limit.clamp(1, 500))
            .await
            .map_err(connector_error)
    }
}

fn connector_error(e: roster_core::source::ConnectorError) -> ApiError {
    let code = match e {
        roster_core::source::ConnectorError::Unreachable(_) => Code::SourceUnreachable,
        roster_core::source::ConnectorError::Unauthorized(_) => Code::Unauthorized,
        roster_core::source::ConnectorError::Configuration(_) => Code::Validation,
        roster_core::source::ConnectorError::Protocol(_) => Code::Unknown,
    };
    ApiError::new(code, e.to_string())
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
