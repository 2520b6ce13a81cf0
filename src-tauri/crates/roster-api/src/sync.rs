//! Directory syncs: adding them from specs, configuring, running (one run per sync at a time), the
//! scheduler's lifecycle, and the lists the UI shows.

use crate::error::{ApiError, Code, Result};
use crate::spec::{ConnectionRef, DirectorySpec, FirstRun};
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
use roster_store::{ConnectionRecord, DirectoryRecord, PageAt, Trigger};
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
    pub deletion_threshold_percent: Option<u32>,
    /// New place in the order of precedence among the syncs of its type (1 first).
    pub precedence: Option<usize>,
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
    /// Adds a directory sync (and its connection, if the spec gives one inline). All or nothing: every
    /// check runs before anything is written, the connection and the sync are written in one transaction,
    /// and a secret written for them is removed again if that fails. Returns its key, and the overlaps
    /// with other syncs found now (the first runs report every object concerned).
    pub fn add_directory(&self, spec: DirectorySpec) -> Result<json::AddedDirectory> {
        let t = self.tenant()?;
        let now = self.now();
        let name = crate::names::check_name("directory sync", &spec.name)?;
        if t.store
            .directories()?
            .iter()
            .any(|d| d.name.eq_ignore_ascii_case(&name))
        {
            return Err(ApiError::conflict(format!(
                "A directory sync named \"{name}\" already exists in this tenant. Choose another name. Nothing was added."
            )));
        }
        let (connection, new_secrets) = match &spec.connection {
            ConnectionRef::Existing(id) => (t.store.connection(id)?, Vec::new()),
            ConnectionRef::New(c) => {
                if c.is_cloud() {
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
                c.validate()?;
                c.check_files_read()?;
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
                (rec, secrets)
            }
        };
        if connection.kind == "okta" && spec.sync_type == SyncType::Admin {
            return Err(ApiError::validation(
                "Okta syncs import users and groups only, not administrators (as Duo's do). Add an admin sync from Active Directory, OpenLDAP, Entra ID or Google Workspace instead. Nothing was added.",
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
                        ApiError::validation(
                            "Select at least one group to sync (\"groups\"). Nothing was added.",
                        )
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
                        "Map at least one group to an administrator role (\"roles\"). Nothing was added.",
                    ));
                }
                if attributes.email.is_none() {
                    return Err(ApiError::validation("Admin syncs match administrators by email: map the email attribute (\"attributes\": {\"email\": …}). Nothing was added."));
                }
                (Vec::new(), r)
            }
        };
        if crate::cloud::is_cloud_kind(&connection.kind) {
            // Names were resolved to ids by `add_directory_signed_in`; a name reaching here would be stored
            // as an id that matches nothing.
            let given = groups.iter().chain(roles.iter().map(|r| &r.group));
            if let Some(name) = given
                .into_iter()
                .find(|g| !crate::cloud::is_group_id(&connection.kind, g))
            {
                return Err(ApiError::validation(format!(
                    "\"{name}\" is not a {} group id. Give groups by id here, or add the sync with `rosterctl directory add` or the app's wizard, which find groups by name. Nothing was added.",
                    crate::cloud::vendor_name(&connection.kind)
                )));
            }
        }
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let d = DirectoryRecord {
            key: DirectoryKey::from_random(bytes),
            name,
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
            precedence: 0, // the store puts it after every other sync of its type
            schedule_from: match spec.first_run {
                FirstRun::Manual => None,
                FirstRun::AfterInterval => Some(now),
                // A schedule that started one interval ago is due now, also for a scheduler that
                // starts only later (the app opens the demo tenant before it starts its scheduler).
                FirstRun::Now => Some(roster_core::Timestamp(
                    now.0
                        - i64::from(spec.interval_minutes.unwrap_or(DEFAULT_INTERVAL_MINUTES)) * 60,
                )),
            },
        };
        let conflicts = self.overlaps(&t, &d, &connection)?;
        if matches!(spec.connection, ConnectionRef::New(_)) {
            // Secrets first (a keychain that refuses is the likeliest failure), then both records in one
            // transaction; if that fails, the secrets go again.
            let mut written = Vec::new();
            let mut stored = Ok(());
            for (secret, value) in &new_secrets {
                let key = Self::secret_key(&t.id, &connection.id, secret);
                stored = self.secrets.set(&key, value).map_err(ApiError::from);
                if stored.is_err() {
                    break;
                }
                written.push(key);
            }
            let stored = stored.and_then(|()| {
                t.store
                    .insert_connection_and_directory(&connection, &d)
                    .map_err(ApiError::from)
            });
            if let Err(e) = stored {
                for key in written {
                    let _ = self.secrets.delete(&key);
                }
                return Err(e);
            }
        } else {
            t.store.insert_directory(&d)?;
        }
        if let Some(s) = self.scheduler_handle() {
            let d = t.store.directory(d.key.as_str())?;
            s.schedule(self.schedule_of(&d));
        }
        Ok(json::AddedDirectory {
            directory_key: d.key.to_string(),
            conflicts,
        })
    }

    /// What a new sync `d` shares with the tenant's other syncs of its type that read the same directory:
    /// the groups both select. The first runs name every user and group concerned.
    fn overlaps(
        &self,
        t: &crate::OpenTenant,
        d: &DirectoryRecord,
        connection: &ConnectionRecord,
    ) -> Result<Vec<String>> {
        let selection = |x: &DirectoryRecord| -> Vec<String> {
            match x.sync_type {
                SyncType::User => x.groups.iter().map(|g| g.to_lowercase()).collect(),
                SyncType::Admin => x.roles.iter().map(|r| r.group.to_lowercase()).collect(),
            }
        };
        let mine = selection(d);
        let connections = t.store.connections()?;
        let mut out = Vec::new();
        let mut others = t.store.directories()?;
        others.sort_by_key(|o| o.precedence);
        for o in others.iter().filter(|o| o.sync_type == d.sync_type) {
            let same_directory = o.connection_id == connection.id
                || connections.iter().any(|c| {
                    c.id == o.connection_id
                        && c.kind == connection.kind
                        && c.config == connection.config
                });
            if !same_directory {
                continue;
            }
            let groups: Vec<String> = selection(o)
                .into_iter()
                .filter(|g| mine.contains(g))
                .collect();
            if groups.is_empty() {
                continue;
            }
            let listed = groups
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if groups.len() > 3 {
                format!(" and {} more", groups.len() - 3)
            } else {
                String::new()
            };
            out.push(format!(
                "The sync \"{}\" also selects {listed}{more}. It comes first in the order of precedence, so the users and groups both syncs find stay with it and this sync reports them as conflicts. To reverse that, move this sync above \"{}\".",
                o.name, o.name
            ));
        }
        Ok(out)
    }

    /// Every directory sync of the open tenant.
    pub fn list_directories(&self) -> Result<Vec<json::DirectorySummary>> {
        let t = self.tenant()?;
        let counts = t.store.managed_counts()?;
        let conflicts = t.store.conflict_counts()?;
        let connections = t.store.connections()?;
        let mut out = Vec::new();
        for d in t.store.directories()? {
            let c = connections.iter().find(|c| c.id == d.connection_id);
            let last = t.store.runs(Some(d.key.as_str()), 1)?.into_iter().next();
            let running =
                self.is_running(&t.id, d.key.as_str()) || t.store.run_in_progress(d.key.as_str());
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
                } else if d.schedule_from.is_none() && d.last_full_sync.is_none() {
                    "waiting".into()
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
                precedence: d.precedence,
                conflicts: conflicts.get(d.key.as_str()).copied().unwrap_or(0),
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
            let n = crate::names::check_name("directory sync", &n)?;
            if t.store
                .directories()?
                .iter()
                .any(|o| o.key != d.key && o.name.eq_ignore_ascii_case(&n))
            {
                return Err(ApiError::conflict(format!(
                    "A directory sync named \"{n}\" already exists in this tenant. Choose another name."
                )));
            }
            d.name = n;
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
            d.deletion_threshold_percent = p as u8;
        }
        t.store.update_directory_config(&d)?;
        if let Some(position) = patch.precedence {
            t.store.set_precedence(key, position)?;
        }
        self.summary_of(key)
    }

    /// Deletes a directory sync. Its users and groups stay, no longer managed by a sync.
    pub fn delete_directory(&self, key: &str) -> Result<()> {
        let t = self.tenant()?;
        if self.is_running(&t.id, key) || t.store.run_in_progress(key) {
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
            "active_directory" | "openldap" => {
                let ldap = self.ldap_connector(tenant, c)?;
                if ldap.needs_password() {
                    // Every call fails with what to do, so the run is recorded as failed and says it.
                    let message = self.missing_secret(c, "bind_password");
                    self.mark_needs_credentials(c)?;
                    return Ok((Box::new(MissingSecret(message)), None, never()));
                }
                Ok((Box::new(ldap), None, never()))
            }
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
        let mode_started = mode.clone();
        let conn = t.store.connection(&d.connection_id)?;
        let (connector, next_state, refused) = self.connector(&t.id, &conn).await?;
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
            self.clock.as_ref(),
            self.events.as_ref(),
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
            if let Some(s) = self.scheduler_handle() {
                let d = t.store.directory(d.key.as_str())?;
                s.schedule(self.schedule_of(&d));
            }
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

    /// One run with the first of its per-object changes (all of them, page by page, with
    /// [`Roster::run_changes`]).
    pub fn run_detail(&self, run_id: i64) -> Result<json::RunReport> {
        let t = self.tenant()?;
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
        Ok(json::RunReport::from_record(rec, changes, total, &name))
    }

    /// A page of a run's change log, from position `from` (0 first).
    pub fn run_changes(&self, run_id: i64, from: u64, limit: u64) -> Result<json::ChangePage> {
        let t = self.tenant()?;
        t.store.run(run_id)?;
        let (changes, next) = t.store.run_changes(run_id, from, limit.clamp(1, 5000))?;
        Ok(json::ChangePage { changes, next })
    }

    /// A page of users (outside the trash), by username: at a position (the window's lists), or after
    /// a username (reading the whole list, each page costing the same).
    pub fn users_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.user_rows(query, false, at, limit)
    }

    /// A page of users in the trash.
    pub fn trash_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.user_rows(query, true, at, limit)
    }

    fn user_rows(
        &self,
        query: &str,
        trash: bool,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        let t = self.tenant()?;
        let days = t.store.tenant()?.pending_deletion_days;
        let p = t.store.users_page(query, trash, at, limit.clamp(1, 1000))?;
        Ok(json::Page {
            total: p.total,
            next: p.next,
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
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::GroupRow>> {
        Ok(self
            .tenant()?
            .store
            .groups_page(query, at, limit.clamp(1, 1000))?)
    }

    /// A page of administrators.
    pub fn admins_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::AdminRow>> {
        Ok(self
            .tenant()?
            .store
            .admins_page(query, at, limit.clamp(1, 1000))?)
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

    /// When a sync runs next: one interval after its last full sync, or after its schedule started; a new
    /// sync whose schedule has not started (no run by the admin yet) waits.
    fn schedule_of(&self, d: &DirectoryRecord) -> Schedule {
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
            let page = t
                .store
                .users_page(username, trash, PageAt::After(""), 1000)?;
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
        let username = crate::names::check_name("user", &new.username)?;
        if let Some(r) = &new.realname {
            crate::names::check_name("display", r)?;
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

    /// What to say when a connection's secret is not in the secret store (after a tenant import, or when
    /// it was removed from the keychain): which store, and how to enter it again.
    pub(crate) fn missing_secret(&self, c: &ConnectionRecord, secret: &str) -> String {
        let store = match self.secrets.kind() {
            "keychain" => "the OS keychain",
            "encrypted file" => "Roster's encrypted secrets file",
            _ => "the secret store",
        };
        let what = match secret {
            "client_secret" => "client secret",
            _ => "bind password",
        };
        format!(
            "The {what} of the connection \"{}\" is not in {store} (a tenant import never carries secrets, or it was removed). Enter it again: in the app, Connections → Enter {what}; or run `rosterctl connection set-secret {}`.",
            c.name, c.id
        )
    }

    /// Enters a connection's secret again (the LDAP bind password, or a Google client secret): it goes to
    /// the secret store, and a connection that needed it is ready again.
    pub fn set_connection_secret(
        &self,
        id: &str,
        value: roster_secrets::Sensitive<String>,
    ) -> Result<json::Connection> {
        let t = self.tenant()?;
        let c = t.store.connection(id)?;
        let secret = match c.kind.as_str() {
            "active_directory" | "openldap" => "bind_password",
            "google" => crate::cloud::CLIENT_SECRET,
            other => {
                return Err(ApiError::validation(format!(
                    "A {} connection keeps no secret to enter: {}",
                    crate::cloud::vendor_name(other),
                    if crate::cloud::is_cloud_kind(other) {
                        "sign in again with Reauthorize."
                    } else {
                        "it needs none."
                    }
                )))
            }
        };
        if value.expose().is_empty() {
            return Err(ApiError::validation(
                "The secret is empty. Type it, or paste it, again.",
            ));
        }
        self.secrets
            .set(&Self::secret_key(&t.id, &c.id, secret), &value)?;
        if c.status == "needs_credentials" {
            t.store.set_connection_status(&c.id, "ready")?;
        }
        self.connection_json(&c.id)
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
        if ldap.needs_password() {
            return Ok(vec![json::ConnectionCheck {
                step: "bind".into(),
                server: c.name.clone(),
                ok: false,
                detail: self.missing_secret(&c, "bind_password"),
            }]);
        }
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
        let spec = crate::spec::parse_connection(connection, "connection")?;
        // Testing before saving: the password is required only if a bind DN is given, as when saving.
        spec.validate()?;
        match spec {
            crate::spec::ConnectionSpec::ActiveDirectory(l) => {
                Ok(roster_connector_ldap::LdapConnector::new(
                    roster_connector_ldap::Flavor::ActiveDirectory,
                    l.settings,
                    l.bind_password.map(|p| p.0),
                ))
            }
            crate::spec::ConnectionSpec::Openldap(l) => {
                Ok(roster_connector_ldap::LdapConnector::new(
                    roster_connector_ldap::Flavor::Openldap,
                    l.settings,
                    l.bind_password.map(|p| p.0),
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

impl Roster {
    /// Marks a connection whose secret is missing as needing credentials (what the window shows).
    fn mark_needs_credentials(&self, c: &ConnectionRecord) -> Result<()> {
        if c.status != "needs_credentials" {
            self.tenant()?
                .store
                .set_connection_status(&c.id, "needs_credentials")?;
        }
        Ok(())
    }
}

/// A connection that cannot work until a secret is entered again: every call says so.
struct MissingSecret(String);

#[async_trait]
impl Connector for MissingSecret {
    async fn fetch(
        &self,
        _: &roster_core::source::FetchRequest,
    ) -> std::result::Result<roster_core::source::SourceBatch, roster_core::source::ConnectorError>
    {
        Err(roster_core::source::ConnectorError::Unauthorized(
            self.0.clone(),
        ))
    }
    async fn fetch_user(
        &self,
        _: &roster_core::source::FetchRequest,
        _: &str,
        _: &str,
    ) -> std::result::Result<roster_core::source::SourceLookup, roster_core::source::ConnectorError>
    {
        Err(roster_core::source::ConnectorError::Unauthorized(
            self.0.clone(),
        ))
    }
    async fn search_groups(
        &self,
        _: &str,
        _: usize,
    ) -> std::result::Result<
        Vec<roster_core::source::GroupSummary>,
        roster_core::source::ConnectorError,
    > {
        Err(roster_core::source::ConnectorError::Unauthorized(
            self.0.clone(),
        ))
    }
}
