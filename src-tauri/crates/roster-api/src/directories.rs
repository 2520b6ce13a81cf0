//! Directory syncs: adding them from specs (all or nothing), changing, pausing, ordering by precedence,
//! deleting, and listing them.

use crate::connections::kind_of;
use crate::error::{ApiError, Result};
use crate::json;
use crate::kinds::{Access, ConnectionKind};
use crate::session::Session;
use crate::spec::{ConnectionRef, DirectorySpec, FirstRun};
use crate::Roster;
use rand::RngCore;
use roster_core::access::Permission;
use roster_core::{AttributeMap, DirectoryKey, SyncType, DEFAULT_INTERVAL_MINUTES};
use roster_store::{ConnectionRecord, DirectoryRecord};

mod update;
pub use update::DirectoryPatch;

/// What a sync of this type needs to be configured.
pub(crate) fn configure_permission(t: SyncType) -> Permission {
    match t {
        SyncType::User => Permission::ConfigureUserSyncs,
        SyncType::Admin => Permission::ConfigureAdminSyncs,
    }
}

impl Session<'_> {
    /// Adds a directory sync (and its connection, if the spec gives one inline). All or nothing: every
    /// check runs before anything is written, the connection and the sync are written in one transaction,
    /// and a secret written for them is removed again if that fails. Returns its key, and the overlaps
    /// with other syncs found now (the first runs report every object concerned).
    pub fn add_directory(&self, spec: DirectorySpec) -> Result<json::AddedDirectory> {
        self.add_directory_of(spec, false)
    }

    /// [`Self::add_directory`]; `inbound` allows the kinds that push to Roster (SCIM integrations, which
    /// are added with their bearer token by `create_scim_integration`).
    pub(crate) fn add_directory_of(
        &self,
        spec: DirectorySpec,
        inbound: bool,
    ) -> Result<json::AddedDirectory> {
        self.require(configure_permission(spec.sync_type))?;
        let t = self.tenant.clone();
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
                let info = c.kind().info();
                if c.is_cloud() {
                    return Err(ApiError::validation(format!(
                        "A {} connection is added by signing in: use `rosterctl directory add --spec FILE` (which opens the sign-in page), or add the connection in the app first and give its id as \"connection\". Nothing was added.",
                        info.name
                    )));
                }
                if info.access == Access::Inbound && !inbound {
                    return Err(ApiError::validation(format!(
                        "{} is added with its bearer token: use `rosterctl scim create --name NAME --flavor okta|generic`, or SCIM Integrations in the app. Nothing was added.",
                        info.name
                    )));
                }
                if !info.available {
                    return Err(ApiError::validation(format!(
                        "Syncing {} is not available in this version of Roster yet. Nothing was added.",
                        info.name
                    )));
                }
                c.validate()?;
                c.check_files_read()?;
                let (config, secrets) = c.split_secrets()?;
                let rec = ConnectionRecord {
                    id: format!("conn-{}", crate::random_hex(6)),
                    kind: c.kind().as_str().to_string(),
                    name: c.display_name(),
                    config,
                    status: json::ConnectionStatus::Ready.as_str().into(),
                    authorized_by: None,
                    authorized_at: None,
                    state: serde_json::json!({}),
                    created_at: now,
                };
                (rec, secrets)
            }
        };
        let kind = kind_of(&connection)?;
        if spec.sync_type == SyncType::Admin && !kind.info().admin_syncs {
            return Err(ApiError::validation(format!(
                "{} syncs import users and groups only, not administrators (as Duo's do). Add an admin sync from Active Directory, OpenLDAP, Entra ID or Google Workspace instead. Nothing was added.",
                kind.info().short_name
            )));
        }
        let is_demo = kind == ConnectionKind::Demo;
        let mut attributes: AttributeMap = spec
            .attributes
            .clone()
            .unwrap_or_else(|| kind.default_attributes());
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
            // An integration's client pushes exactly the people assigned to it: no groups to select.
            SyncType::User if kind.info().access == Access::Inbound => (Vec::new(), Vec::new()),
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
        if kind.vendor().is_some() {
            // Names were resolved to ids by `add_directory_signed_in`; a name reaching here would be stored
            // as an id that matches nothing.
            let given = groups.iter().chain(roles.iter().map(|r| &r.group));
            if let Some(name) = given.into_iter().find(|g| !kind.is_group_id(g)) {
                return Err(ApiError::validation(format!(
                    "\"{name}\" is not a {} group id. Give groups by id here, or add the sync with `rosterctl directory add` or the app's wizard, which find groups by name. Nothing was added.",
                    kind.info().name
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
            status: json::DirectoryStatus::NeverSynced.as_str().into(),
            revision: 0,
            // The tenant's default (Settings) when the sync's settings name none.
            deletion_threshold_percent: match spec.deletion_threshold_percent {
                Some(p) => p,
                None => t.store.default_deletion_threshold()?,
            },
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
        let audit = self.operator_audit(
            "directory_create",
            &d.name,
            serde_json::json!({"directory_key": d.key.as_str(), "sync_type": d.sync_type,
                "connection": connection.kind, "groups": d.groups}),
        );
        if matches!(spec.connection, ConnectionRef::New(_)) {
            // Secrets first (a keychain that refuses is the likeliest failure), then both records in one
            // transaction; if that fails, the secrets go again.
            let mut written = Vec::new();
            let mut stored = Ok(());
            for (secret, value) in &new_secrets {
                let key = Roster::secret_key(&t.id, &connection.id, secret);
                stored = self.roster.secrets.set(&key, value).map_err(ApiError::from);
                if stored.is_err() {
                    break;
                }
                written.push(key);
            }
            let stored = stored.and_then(|()| {
                t.store
                    .insert_connection_and_directory(&connection, &d, Some(&audit))
                    .map_err(ApiError::from)
            });
            if let Err(e) = stored {
                for key in written {
                    let _ = self.roster.secrets.delete(&key);
                }
                return Err(e);
            }
        } else {
            t.store.insert_directory(&d, Some(&audit))?;
        }
        self.roster
            .reschedule(&t.id, &t.store.directory(d.key.as_str())?);
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

    /// Every directory sync of the tenant.
    pub fn list_directories(&self) -> Result<Vec<json::DirectorySummary>> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        let counts = t.store.managed_counts()?;
        let conflicts = t.store.conflict_counts()?;
        let connections = t.store.connections()?;
        let mut out = Vec::new();
        for d in t.store.directories()? {
            let c = connections
                .iter()
                .find(|c| c.id == d.connection_id)
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "The connection of the directory sync \"{}\" is missing.",
                        d.name
                    ))
                })?;
            let last = t.store.runs(Some(d.key.as_str()), 1)?.into_iter().next();
            let running = self.roster.is_running(&t.id, d.key.as_str())
                || t.store.run_in_progress(d.key.as_str());
            out.push(json::DirectorySummary {
                directory_key: d.key.to_string(),
                name: d.name.clone(),
                sync_type: d.sync_type,
                connection: json::ConnectionBrief {
                    id: d.connection_id.clone(),
                    kind: kind_of(c)?,
                    name: c.name.clone(),
                },
                schedule: if d.paused {
                    json::Schedule::Paused
                } else if d.schedule_from.is_none() && d.last_full_sync.is_none() {
                    json::Schedule::Waiting
                } else {
                    json::Schedule::Scheduled
                },
                interval_minutes: d.interval_minutes,
                last_full_sync: d.last_full_sync.map(roster_core::Timestamp::to_rfc3339),
                status: if running {
                    json::DirectoryStatus::Running
                } else {
                    json::decode("directory status", &d.status)?
                },
                last_run: last
                    .as_ref()
                    .map(|r| json::RunSummary::from_record(r, &d.name))
                    .transpose()?,
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
                attributes: d.attributes.clone(),
                roles: d.roles.iter().map(|r| (r.group.clone(), r.role)).collect(),
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

    /// Pauses or resumes scheduled runs.
    pub fn set_paused(&self, key: &str, paused: bool) -> Result<json::DirectorySummary> {
        let t = self.tenant.clone();
        let mut d = t.store.directory(key)?;
        self.require(configure_permission(d.sync_type))?;
        d.paused = paused;
        let audit = self.operator_audit(
            "directory_update",
            &d.name,
            serde_json::json!({"directory_key": key, "paused": d.paused}),
        );
        t.store.update_directory_config(&d, Some(&audit))?;
        self.roster.pause_schedule(&t.id, key, paused);
        self.summary_of(key)
    }

    /// Deletes a directory sync. Its users and groups stay, no longer managed by a sync.
    pub fn delete_directory(&self, key: &str) -> Result<()> {
        let t = self.tenant.clone();
        self.require(configure_permission(t.store.directory(key)?.sync_type))?;
        if self.roster.is_running(&t.id, key) || t.store.run_in_progress(key) {
            return Err(ApiError::conflict(
                "This directory sync is running. Wait for the run to finish, then delete it.",
            ));
        }
        let connection = t.store.directory(key)?.connection_id;
        let inbound = crate::scim::scim_flavor(&t.store, &connection)?.is_some();
        let audit = self.operator_audit(
            "directory_delete",
            &t.store.directory(key)?.name,
            serde_json::json!({"directory_key": key}),
        );
        t.store.delete_directory(key, Some(&audit))?;
        self.roster.unschedule(&t.id, key);
        if inbound {
            // A SCIM integration's connection is its own (it only says which client pushes): it goes too.
            t.store.delete_connection(&connection)?;
        }
        Ok(())
    }
}
