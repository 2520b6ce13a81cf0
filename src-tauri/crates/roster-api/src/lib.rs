//! Roster's application layer: the one way in for every front door (the desktop app's commands,
//! `rosterctl`, and later the SCIM server and the Admin API).
//!
//! What it owns: tenants (one SQLite file each under the data directory), adding and configuring directory
//! syncs from specs, building connectors, running syncs (one at a time per sync), the scheduler's
//! lifecycle, lists for the UI, and the boundary types ([`json`]) and error ([`ApiError`]).
//!
//! What it must not do: depend on Tauri or HTTP, or put secrets anywhere but the [`SecretStore`].
//! Randomness (ids and keys) is drawn here, at the boundary; time comes from the injected [`Clock`].

mod cloud;
pub mod error;
pub mod json;
pub mod names;
pub mod spec;
mod sync;
mod tenants;

pub use cloud::{ConsentPrompt, DEFAULT_CONSENT_TIMEOUT};
pub use error::{ApiError, Code, Result};
pub use roster_core::clock::{Clock, ManualClock, SystemClock};
pub use roster_core::edit::UserEdit;
pub use roster_engine::{Event, EventSink, NoEvents};
pub use roster_secrets::{MemorySecrets, SecretStore};
pub use roster_store::{PageAt, Trigger};
pub use sync::{DirectoryPatch, NewUser, RunMode};

use roster_engine::scheduler::Scheduler;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "ROSTER_DATA_DIR";

/// The data directory: `explicit`, else `$ROSTER_DATA_DIR`, else the OS app-data directory
/// (`%APPDATA%\Roster`, `~/Library/Application Support/app.roster.desktop`, `~/.local/share/roster`).
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(DATA_DIR_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("app", "roster", "Roster")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| ApiError::validation(format!("No home directory was found for Roster's data. Set {DATA_DIR_ENV} or pass --data-dir.")))
}

/// What a [`Roster`] is built from.
pub struct Options {
    /// Where tenants live.
    pub data_dir: PathBuf,
    /// Where secrets live.
    pub secrets: Arc<dyn SecretStore>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where progress events go.
    pub events: Arc<dyn EventSink>,
}

pub(crate) struct OpenTenant {
    pub(crate) id: String,
    pub(crate) store: roster_store::Store,
}

/// The application.
pub struct Roster {
    data_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    current: RwLock<Option<Arc<OpenTenant>>>,
    running: Mutex<HashSet<(String, String)>>,
    scheduler: Mutex<Option<Arc<Scheduler>>>,
    demo_servers: cloud::DemoServers,
    consent_cancel: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Roster {
    /// A Roster over `opts.data_dir`. No tenant is open yet: call [`Roster::open_default_tenant`] or
    /// [`Roster::use_tenant`].
    ///
    /// Nothing is created on disk until something is written (a read-only command leaves no data
    /// directory behind); a data directory from an older Roster is made private to its owner (Unix).
    pub fn new(opts: Options) -> Result<Roster> {
        private_dir(&opts.data_dir)?;
        private_dir(&opts.data_dir.join("tenants"))?;
        Ok(Roster {
            data_dir: opts.data_dir,
            secrets: opts.secrets,
            clock: opts.clock,
            events: opts.events,
            current: RwLock::new(None),
            running: Mutex::new(HashSet::new()),
            scheduler: Mutex::new(None),
            demo_servers: cloud::DemoServers::default(),
            consent_cancel: Mutex::new(None),
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Creates the data directory and its tenants folder if they do not exist, private to their owner.
    pub(crate) fn ensure_data_dir(&self) -> Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(self.data_dir.join("tenants")).map_err(|e| {
            ApiError::validation(format!(
                "Roster cannot create its data directory {}: {e}. Choose another with --data-dir or {DATA_DIR_ENV}.",
                self.data_dir.display()
            ))
        })?;
        private_dir(&self.data_dir)
    }

    pub(crate) fn tenant(&self) -> Result<Arc<OpenTenant>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| ApiError::conflict("No tenant is open. Create one with `rosterctl tenant create NAME`, or pick one with --tenant."))
    }

    pub(crate) fn set_current(&self, t: Option<Arc<OpenTenant>>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = t;
    }

    pub(crate) fn now(&self) -> roster_core::Timestamp {
        self.clock.now()
    }
}

/// Makes an existing directory private to its owner (0700 on Unix; on Windows and macOS the user's
/// profile folder already is, see the README). A missing directory is left missing.
fn private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(dir) {
            if m.is_dir() && m.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
                    ApiError::validation(format!(
                        "Roster cannot make its data directory {} private to you: {e}. Check who owns it.",
                        dir.display()
                    ))
                })?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
