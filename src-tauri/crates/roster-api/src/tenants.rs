//! Tenants: one SQLite file each under `<data dir>/tenants/`, the open one remembered in
//! `<data dir>/settings.json`. Export and import carry configuration only: never users, never secrets.

use crate::error::{ApiError, Result};
use crate::{json, OpenTenant, Roster};
use roster_store::Store;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    current_tenant: Option<String>,
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

fn tenant_name(path: &std::path::Path) -> std::result::Result<(String, i64), String> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    c.query_row(
        "SELECT name, created_at FROM tenant WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .map_err(|e| e.to_string())
}

impl Roster {
    fn tenants_dir(&self) -> PathBuf {
        self.data_dir.join("tenants")
    }

    fn tenant_path(&self, id: &str) -> PathBuf {
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
            .map_err(|e| ApiError::new(crate::Code::Unknown, e.to_string()))?;
        std::fs::write(self.data_dir.join("settings.json"), text).map_err(|e| {
            ApiError::new(
                crate::Code::Unknown,
                format!("Roster could not save its settings: {e}."),
            )
        })
    }

    /// Every tenant, by name. A file that cannot be read is listed with the reason in its name.
    pub fn list_tenants(&self) -> Result<Vec<json::Tenant>> {
        let current = self.tenant().ok().map(|t| t.id.clone());
        let mut out = Vec::new();
        if !self.tenants_dir().exists() {
            return Ok(out); // nothing created yet
        }
        let entries = std::fs::read_dir(self.tenants_dir()).map_err(|e| {
            ApiError::new(
                crate::Code::Unknown,
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
            let empty = std::fs::metadata(&path).is_ok_and(|m| m.len() == 0);
            let (name, created) = match tenant_name(&path) {
                _ if empty => (
                    format!("{id} (empty file: it holds no tenant)"),
                    roster_core::Timestamp(0),
                ),
                Ok((n, c)) => (n, roster_core::Timestamp(c)),
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

    /// Creates a tenant (does not open it).
    pub fn create_tenant(&self, name: &str) -> Result<json::Tenant> {
        let name = crate::names::check_name("tenant", name)?;
        let name = name.as_str();
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
        Store::open(
            &self.tenant_path(&id),
            Some(&roster_store::NewTenant::named(name, now)),
        )?;
        Ok(json::Tenant {
            id,
            name: name.to_string(),
            current: false,
            created_at: now.to_rfc3339(),
        })
    }

    /// Opens a tenant for this process only (what `rosterctl --tenant` does).
    pub fn use_tenant(&self, id_or_name: &str) -> Result<json::Tenant> {
        let t = self.find_tenant(id_or_name)?;
        // Opening writes nothing (runs left by a process that is gone read as interrupted, and are
        // recorded so by the next run), so it never waits for a sync applying in another process.
        let store = Store::open(&self.tenant_path(&t.id), None)?;
        self.set_current(Some(Arc::new(OpenTenant {
            id: t.id.clone(),
            store,
        })));
        Ok(json::Tenant { current: true, ..t })
    }

    /// Opens a tenant and remembers it as the one to open next time. Restarts the scheduler on it if the
    /// scheduler was running.
    pub async fn switch_tenant(self: &Arc<Self>, id_or_name: &str) -> Result<json::Tenant> {
        let had_scheduler = self.stop_scheduler().await;
        let t = self.use_tenant(id_or_name)?;
        self.save_settings(&Settings {
            current_tenant: Some(t.id.clone()),
        })?;
        if had_scheduler {
            self.start_scheduler()?;
        }
        Ok(t)
    }

    /// Opens the tenant used last time (or the first one). With `create_demo`, a new install gets the demo
    /// tenant, with a demo user sync and a demo admin sync, and opens it; without, it is an error.
    pub fn open_default_tenant(&self, create_demo: bool) -> Result<json::Tenant> {
        if let Some(id) = self.settings().current_tenant {
            if self.tenant_path(&id).exists() {
                return self.use_tenant(&id);
            }
        }
        let all = self.list_tenants()?;
        if let Some(first) = all.first() {
            return self.use_tenant(&first.id);
        }
        if !create_demo {
            return Err(ApiError::not_found(
                "There are no tenants yet. Create one with `rosterctl tenant create NAME`, or start the desktop app once to get the demo tenant.",
            ));
        }
        let t = self.create_tenant("Demo")?;
        let t = self.use_tenant(&t.id)?;
        self.save_settings(&Settings {
            current_tenant: Some(t.id.clone()),
        })?;
        let user = crate::spec::parse(
            r#"{"name": "Northwind staff", "type": "user", "first_run": "now", "connection": {"kind": "demo", "name": "Northwind Traders (demo)", "seed": 7, "users": 300}}"#,
        )?;
        let key = self.add_directory(user)?.directory_key;
        let conn = self.tenant()?.store.directory(&key)?.connection_id;
        // The demo tenant a new install opens on syncs at once: there is something to look at straight
        // away, and the syncs' pages say they have synced.
        let admin = crate::spec::parse(&format!(
            r#"{{"name": "Northwind admins", "type": "admin", "first_run": "now", "connection": "{conn}"}}"#
        ))?;
        self.add_directory(admin)?;
        Ok(t)
    }

    /// Renames a tenant.
    pub fn rename_tenant(&self, id: &str, name: &str) -> Result<json::Tenant> {
        let name = crate::names::check_name("tenant", name)?;
        let name = name.as_str();
        let t = self.find_tenant(id)?;
        if self
            .list_tenants()?
            .iter()
            .any(|o| o.id != t.id && o.name.eq_ignore_ascii_case(name))
        {
            return Err(ApiError::conflict(format!(
                "A tenant named \"{name}\" already exists. Choose another name."
            )));
        }
        match self.tenant() {
            Ok(open) if open.id == t.id => open.store.rename_tenant(name)?,
            _ => Store::open(&self.tenant_path(&t.id), None)?.rename_tenant(name)?,
        }
        Ok(json::Tenant {
            name: name.to_string(),
            ..t
        })
    }

    /// Deletes a tenant that is not open, and the secrets of its connections.
    pub fn delete_tenant(&self, id: &str) -> Result<()> {
        let t = self.find_tenant(id)?;
        if self.tenant().map(|o| o.id == t.id).unwrap_or(false) {
            return Err(ApiError::conflict(
                "This tenant is open. Switch to another tenant before deleting it.",
            ));
        }
        let path = self.tenant_path(&t.id);
        if let Ok(store) = Store::open(&path, None) {
            for c in store.connections()? {
                if crate::sync::has_secrets(&c.kind) {
                    self.delete_secrets(&t.id, &c.id)?;
                }
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| {
                    ApiError::new(
                        crate::Code::Unknown,
                        format!("Could not delete {}: {e}.", p.display()),
                    )
                })?;
            }
        }
        // The run locks beside it (see roster-store's `RunLease`).
        let _ = std::fs::remove_dir_all(format!("{}.runs", path.display()));
        Ok(())
    }

    /// The open tenant's configuration (connections without secrets, directory syncs), as JSON.
    pub fn export_tenant(&self) -> Result<TenantExport> {
        let t = self.tenant()?;
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
                    d.status = "never_synced".into();
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

    /// Creates a tenant named `name` from an export. Connections that need secrets are marked
    /// `needs_credentials`: secrets are never exported.
    pub fn import_tenant(&self, name: &str, export: &TenantExport) -> Result<json::Tenant> {
        if export.format != "roster-tenant-config" || export.version != 1 {
            return Err(ApiError::validation("This file is not a Roster tenant configuration export (format roster-tenant-config, version 1)."));
        }
        let t = self.create_tenant(name)?;
        let store = Store::open(&self.tenant_path(&t.id), None)?;
        let now = self.now();
        let result = (|| -> Result<()> {
            store.set_pending_deletion_days(export.pending_deletion_days)?;
            for c in &export.connections {
                let needs = crate::sync::has_secrets(&c.kind);
                store.insert_connection(&roster_store::ConnectionRecord {
                    id: c.id.clone(),
                    kind: c.kind.clone(),
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
                store.insert_directory(&roster_store::DirectoryRecord {
                    created_at: now,
                    ..d.clone()
                })?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            drop(store);
            let _ = self.delete_tenant(&t.id);
            return Err(ApiError::validation(format!(
                "The export could not be imported, and no tenant was created: {}",
                e.message
            )));
        }
        Ok(t)
    }

    pub(crate) fn secret_key(tenant: &str, connection: &str, name: &str) -> String {
        format!("{tenant}/{connection}/{name}")
    }

    pub(crate) fn delete_secrets(&self, tenant: &str, connection: &str) -> Result<()> {
        for name in [
            "bind_password",
            crate::cloud::TOKENS,
            crate::cloud::CLIENT_SECRET,
        ] {
            self.secrets
                .delete(&Self::secret_key(tenant, connection, name))?;
        }
        Ok(())
    }
}
