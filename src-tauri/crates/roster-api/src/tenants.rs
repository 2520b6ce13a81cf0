//! Tenants: one SQLite file each under `<data dir>/tenants/`. Opening one gives a [`TenantHandle`]; the
//! tenant the desktop app showed last is remembered in `<data dir>/settings.json` (a convenience for the
//! window and `rosterctl`, never where another front door writes). Export and import carry configuration
//! only: never users, never secrets.

use crate::error::{ApiError, Code, Result};
use crate::kinds::ConnectionKind;
use crate::session::{Session, TenantHandle};
use crate::{json, OpenTenant, Roster};
use roster_core::access::Permission;
use roster_store::Store;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    current_tenant: Option<String>,
}

/// Who creates a tenant: its first Owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenantOwner {
    /// Email (the Owner's key as an operator).
    pub email: String,
    /// Name.
    pub name: String,
}

/// A tenant's configuration, for export and import.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantExport {
    /// Always `roster-tenant-config`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// Tenant name.
    pub name: String,
    /// Trash retention.
    pub pending_deletion_days: u32,
    /// Connections, without secrets.
    pub connections: Vec<ExportedConnection>,
    /// Directory syncs.
    pub directories: Vec<roster_store::DirectoryRecord>,
}

/// A connection in an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedConnection {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Settings (never secrets).
    pub config: serde_json::Value,
}

fn slug(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "tenant".into()
    } else {
        s.chars().take(40).collect()
    }
}

impl Roster {
    fn tenants_dir(&self) -> PathBuf {
        self.data_dir.join("tenants")
    }

    pub(crate) fn tenant_path(&self, id: &str) -> PathBuf {
        self.tenants_dir().join(format!("{id}.sqlite3"))
    }

    fn settings(&self) -> Settings {
        std::fs::read_to_string(self.data_dir.join("settings.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn save_settings(&self, s: &Settings) -> Result<()> {
        self.ensure_data_dir()?;
        let text = serde_json::to_string_pretty(s)
            .map_err(|e| ApiError::new(Code::Unknown, e.to_string()))?;
        std::fs::write(self.data_dir.join("settings.json"), text).map_err(|e| {
            ApiError::new(
                Code::Unknown,
                format!("Roster could not save its settings: {e}."),
            )
        })
    }

    /// Every tenant, by name. A file that cannot be read is listed with the reason in its name. `current`
    /// marks the tenant the desktop app showed last.
    pub fn list_tenants(&self) -> Result<Vec<json::Tenant>> {
        let current = self.settings().current_tenant;
        let mut out = Vec::new();
        let mut usable = std::collections::HashSet::new();
        if !self.tenants_dir().exists() {
            return Ok(out); // nothing created yet
        }
        let entries = std::fs::read_dir(self.tenants_dir()).map_err(|e| {
            ApiError::new(
                Code::Unknown,
                format!("Roster cannot read its tenants folder: {e}."),
            )
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("sqlite3") {
                continue;
            }
            let Some(id) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let (name, created) = match Store::peek(&path) {
                Ok(found) => {
                    usable.insert(id.clone());
                    found
                }
                Err(roster_store::StoreError::Empty(_)) => (
                    format!("{id} (empty file: it holds no tenant)"),
                    roster_core::Timestamp(0),
                ),
                Err(e) => (
                    format!("{id} (cannot be opened: {e})"),
                    roster_core::Timestamp(0),
                ),
            };
            out.push(json::Tenant {
                current: current.as_deref() == Some(id.as_str()),
                id,
                name,
                created_at: created.to_rfc3339(),
            });
        }
        out.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        // With no remembered tenant (or a removed one), the window opens the first usable one, as
        // `default_tenant` does: the list says which, so every window starts on a tenant.
        if !out.iter().any(|t| t.current) {
            if let Some(first) = out.iter_mut().find(|t| usable.contains(&t.id)) {
                first.current = true;
            }
        }
        Ok(out)
    }

    fn find_tenant(&self, id_or_name: &str) -> Result<json::Tenant> {
        let all = self.list_tenants()?;
        all.iter()
            .find(|t| t.id == id_or_name)
            .or_else(|| all.iter().find(|t| t.name.eq_ignore_ascii_case(id_or_name)))
            .cloned()
            .ok_or_else(|| {
                let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
                ApiError::not_found(format!(
                    "There is no tenant \"{id_or_name}\". Tenants: {}. Create one with `rosterctl tenant create NAME`.",
                    if names.is_empty() { "none yet".to_string() } else { names.join(", ") }
                ))
            })
    }

    /// One tenant, by id or name, opened (once per process; every front door shares it). Opening writes
    /// nothing, so it never waits for a sync applying in another process.
    pub fn tenant(&self, id_or_name: &str) -> Result<TenantHandle<'_>> {
        if let Some(t) = self.open_tenants().get(id_or_name) {
            return Ok(TenantHandle {
                roster: self,
                tenant: t.clone(),
            });
        }
        let found = self.find_tenant(id_or_name)?;
        let mut open = self.open_tenants();
        let tenant = match open.get(&found.id) {
            Some(t) => t.clone(),
            None => {
                let t = Arc::new(OpenTenant {
                    store: Store::open(&self.tenant_path(&found.id), None)?,
                    id: found.id.clone(),
                });
                open.insert(found.id, t.clone());
                t
            }
        };
        Ok(TenantHandle {
            roster: self,
            tenant,
        })
    }

    fn open_tenants(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Arc<OpenTenant>>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a tenant whose Owner is `owner` (by default the person at this computer, with no email).
    pub fn create_tenant(
        &self,
        name: &str,
        owner: Option<&NewTenantOwner>,
    ) -> Result<json::Tenant> {
        let name = crate::names::check_name("tenant", name)?;
        let name = name.as_str();
        if let Some(o) = owner {
            crate::names::check_name("owner", &o.name)?;
            crate::operators::check_email(&o.email)?;
        }
        self.ensure_data_dir()?;
        let existing = self.list_tenants()?;
        if existing.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
            return Err(ApiError::conflict(format!(
                "A tenant named \"{name}\" already exists. Choose another name."
            )));
        }
        let base = slug(name);
        let mut id = base.clone();
        let mut n = 2;
        while self.tenant_path(&id).exists() {
            id = format!("{base}-{n}");
            n += 1;
        }
        let now = self.now();
        let mut new = roster_store::NewTenant::named(name, now);
        if let Some(o) = owner {
            new.owner_email = &o.email;
            new.owner_name = &o.name;
        }
        Store::open(&self.tenant_path(&id), Some(&new))?;
        Ok(json::Tenant {
            id,
            name: name.to_string(),
            current: false,
            created_at: now.to_rfc3339(),
        })
    }

    /// Remembers a tenant as the one the desktop app (and `rosterctl` without `--tenant`) opens next time.
    pub fn remember_tenant(&self, id_or_name: &str) -> Result<json::Tenant> {
        let t = self.find_tenant(id_or_name)?;
        self.save_settings(&Settings {
            current_tenant: Some(t.id.clone()),
        })?;
        Ok(json::Tenant { current: true, ..t })
    }

    /// The tenant opened last (or the first one). With `create_demo`, a new install gets the demo tenant,
    /// with a demo user sync and a demo admin sync that sync at once, and remembers it; without, it is an
    /// error.
    pub fn default_tenant(&self, create_demo: bool) -> Result<json::Tenant> {
        if let Some(id) = self.settings().current_tenant {
            if self.tenant_path(&id).exists() {
                return self.find_tenant(&id);
            }
        }
        let all = self.list_tenants()?;
        if let Some(first) = all.into_iter().find(|t| t.current) {
            return Ok(first);
        }
        if !create_demo {
            return Err(ApiError::not_found(
                "There are no tenants yet. Create one with `rosterctl tenant create NAME`, or start the desktop app once to get the demo tenant.",
            ));
        }
        let t = self.create_tenant("Demo", None)?;
        let t = self.remember_tenant(&t.id)?;
        let session = self.tenant(&t.id)?.as_caller(&crate::Caller::Local)?;
        let user = crate::spec::parse(&format!(
            r#"{{"name": "Northwind staff", "type": "user", "first_run": "now", "connection": {{"kind": "{}", "name": "Northwind Traders (demo)", "seed": 7, "users": 300}}}}"#,
            crate::kinds::ConnectionKind::Demo.as_str()
        ))?;
        let key = session.add_directory(user)?.directory_key;
        let conn = session.tenant.store.directory(&key)?.connection_id;
        // The demo tenant a new install opens on syncs at once: there is something to look at straight
        // away, and the syncs' pages say they have synced.
        let admin = crate::spec::parse(&format!(
            r#"{{"name": "Northwind admins", "type": "admin", "first_run": "now", "connection": "{conn}"}}"#
        ))?;
        session.add_directory(admin)?;
        Ok(t)
    }

    /// Creates a tenant named `name` from an export, whose Owner is the person at this computer.
    /// Connections that need secrets are marked `needs_credentials`: secrets are never exported.
    pub fn import_tenant(&self, name: &str, export: &TenantExport) -> Result<json::Tenant> {
        if export.format != "roster-tenant-config" || export.version != 1 {
            return Err(ApiError::validation("This file is not a Roster tenant configuration export (format roster-tenant-config, version 1)."));
        }
        let t = self.create_tenant(name, None)?;
        let store = Store::open(&self.tenant_path(&t.id), None)?;
        let now = self.now();
        let result = (|| -> Result<()> {
            store.set_pending_deletion_days(export.pending_deletion_days, None)?;
            for c in &export.connections {
                let kind = ConnectionKind::parse(&c.kind).ok_or_else(|| {
                    ApiError::validation(format!(
                        "The connection \"{}\" is of a kind this version of Roster does not know (\"{}\").",
                        c.name, c.kind
                    ))
                })?;
                crate::names::check_name("connection", &c.name)?;
                let needs = !kind.info().secrets.is_empty();
                store.insert_connection(&roster_store::ConnectionRecord {
                    id: c.id.clone(),
                    kind: kind.as_str().into(),
                    name: c.name.clone(),
                    config: c.config.clone(),
                    status: if needs {
                        "needs_credentials".into()
                    } else {
                        "ready".into()
                    },
                    authorized_by: None,
                    authorized_at: None,
                    state: serde_json::json!({}),
                    created_at: now,
                })?;
            }
            // Added in their order of precedence, which the store gives them again.
            let mut directories: Vec<&roster_store::DirectoryRecord> =
                export.directories.iter().collect();
            directories.sort_by_key(|d| d.precedence);
            for d in directories {
                crate::names::check_name("directory sync", &d.name)?;
                store.insert_directory(
                    &roster_store::DirectoryRecord {
                        created_at: now,
                        ..d.clone()
                    },
                    None,
                )?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            drop(store);
            let _ = self.remove_tenant_files(&t.id);
            return Err(ApiError::validation(format!(
                "The export could not be imported, and no tenant was created: {}",
                e.message
            )));
        }
        Ok(t)
    }

    /// Deletes a tenant's files (and its run locks).
    fn remove_tenant_files(&self, id: &str) -> Result<()> {
        self.open_tenants().remove(id);
        let path = self.tenant_path(id);
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| {
                    ApiError::new(
                        Code::Unknown,
                        format!("Could not delete {}: {e}.", p.display()),
                    )
                })?;
            }
        }
        // The run locks beside it (see roster-store's `RunLease`).
        let _ = std::fs::remove_dir_all(format!("{}.runs", path.display()));
        Ok(())
    }

    pub(crate) fn secret_key(tenant: &str, connection: &str, name: &str) -> String {
        format!("{tenant}/{connection}/{name}")
    }

    /// Deletes every secret a connection may keep.
    pub(crate) fn delete_secrets(&self, tenant: &str, connection: &str) -> Result<()> {
        for name in [
            crate::kinds::BIND_PASSWORD,
            crate::kinds::TOKENS,
            crate::kinds::CLIENT_SECRET,
        ] {
            self.secrets
                .delete(&Self::secret_key(tenant, connection, name))?;
        }
        Ok(())
    }
}

impl Session<'_> {
    /// Renames the tenant.
    pub fn rename_tenant(&self, name: &str) -> Result<json::Tenant> {
        self.require(Permission::ManageTenant)?;
        let name = crate::names::check_name("tenant", name)?;
        if self
            .roster
            .list_tenants()?
            .iter()
            .any(|o| o.id != self.tenant.id && o.name.eq_ignore_ascii_case(&name))
        {
            return Err(ApiError::conflict(format!(
                "A tenant named \"{name}\" already exists. Choose another name."
            )));
        }
        self.tenant.store.rename_tenant(&name)?;
        self.roster.find_tenant(&self.tenant.id)
    }

    /// Deletes the tenant, its scheduled runs and the secrets of its connections. Refused while one of its
    /// syncs runs.
    pub fn delete_tenant(self) -> Result<()> {
        self.require(Permission::ManageTenant)?;
        let directories = self.tenant.store.directories()?;
        if let Some(d) = directories.iter().find(|d| {
            self.roster.is_running(&self.tenant.id, d.key.as_str())
                || self.tenant.store.run_in_progress(d.key.as_str())
        }) {
            return Err(ApiError::conflict(format!(
                "The directory sync \"{}\" of this tenant is running. Wait for the run to finish, then delete the tenant.",
                d.name
            )));
        }
        self.roster.unschedule_tenant(&self.tenant.id, &directories);
        for c in self.tenant.store.connections()? {
            self.roster.delete_secrets(&self.tenant.id, &c.id)?;
        }
        let id = self.tenant.id.clone();
        let roster = self.roster;
        drop(self);
        roster.remove_tenant_files(&id)
    }

    /// The tenant's configuration (connections without secrets, directory syncs), as JSON.
    pub fn export_tenant(&self) -> Result<TenantExport> {
        self.require(Permission::ManageTenant)?;
        let t = &self.tenant;
        let rec = t.store.tenant()?;
        Ok(TenantExport {
            format: "roster-tenant-config".into(),
            version: 1,
            name: rec.name,
            pending_deletion_days: rec.pending_deletion_days,
            connections: t
                .store
                .connections()?
                .into_iter()
                .map(|c| ExportedConnection {
                    id: c.id,
                    kind: c.kind,
                    name: c.name,
                    config: c.config,
                })
                .collect(),
            directories: t
                .store
                .directories()?
                .into_iter()
                .map(|mut d| {
                    d.last_full_sync = None;
                    d.status = json::DirectoryStatus::NeverSynced.as_str().into();
                    d.revision = 0;
                    d.cursor = None;
                    // An imported sync waits for its first run by the admin (its secrets must be entered
                    // again first).
                    d.schedule_from = None;
                    d
                })
                .collect(),
        })
    }
}
