//! Roster's application layer: the one way in for every front door (the desktop app's commands,
//! `rosterctl`, the SCIM server and the Admin API).
//!
//! What it owns: tenants (one SQLite file each under the data directory) and who may act in them
//! ([`session`]: every tenant operation is a method of a [`Session`] for one tenant and one caller, and
//! checks its permission first), adding and configuring directory syncs from specs, the registry of
//! connection kinds ([`kinds`]), building connectors, running syncs (one at a time per sync), the
//! scheduler of every tenant, lists for the window, and the boundary types ([`json`]) and error
//! ([`ApiError`]).
//!
//! What it must not do: depend on Tauri or HTTP, run SQL (the store does), read files a front door did not
//! ask it to read, or put secrets anywhere but the [`SecretStore`]. Randomness (ids and keys) is drawn
//! here, at the boundary; time comes from the injected [`Clock`].
//!
//! Modules by subject: `tenants`, `operators`, `directories`, `connections`, `runs`, `lists`, `users`,
//! `schedule`, `cloud` (signing in), `demo` (the offline emulators); none imports another's internals
//! except through `Session` and `Roster`. Modules form no cycle and no file is over 500 lines
//! (`tests/structure.rs`): `error`, `names`, `kinds`, `json` and `session` are the foundations below the
//! rest, and pure parsing (`spec`, with the cloud settings in `spec::cloud`) sits below what uses it.

pub mod acting;
pub mod adminapi;
pub mod api_apps;
mod cloud;
mod connections;
mod consent;
#[cfg(feature = "demo")]
mod demo;
mod directories;
pub mod error;
pub mod json;
pub mod kinds;
mod lists;
pub mod names;
mod operators;
mod removal;
mod runs;
mod schedule;
pub mod scim;
mod scim_push;
pub mod session;
mod settings;
pub mod spec;
mod tenants;
mod users;

pub use consent::{ConsentPrompt, DEFAULT_CONSENT_TIMEOUT};
pub use directories::DirectoryPatch;
pub use error::{ApiError, Code, Result};
pub use kinds::ConnectionKind;
pub use removal::ConnectionChoice;
pub use roster_core::access::{Authority, CustomRole, DirectoryConfig, Permission, RunSyncs};
pub use roster_core::clock::{Clock, ManualClock, SystemClock};
pub use roster_core::edit::UserEdit;
pub use roster_core::AdminStatus;
pub use roster_engine::{Event, EventSink, NoEvents};
pub use roster_secrets::{MemorySecrets, SecretStore};
pub use roster_store::{PageAt, Trigger};
pub use runs::RunMode;
pub use schedule::MAX_CONCURRENT_RUNS;
pub use session::{Caller, Session, TenantHandle};
pub use tenants::{NewTenantOwner, TenantExport};
pub use users::NewUser;

use roster_engine::scheduler::Scheduler;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Limits the window's forms share with the backend, so they never offer more than it accepts.
pub fn app_limits() -> json::AppLimits {
    json::AppLimits {
        name_max: names::NAME_MAX,
    }
}

/// Every kind of connection Roster knows, in the order the window offers them.
pub fn connection_kinds() -> Vec<json::ConnectionKindInfo> {
    ConnectionKind::ALL
        .into_iter()
        .map(json::ConnectionKindInfo::from)
        .collect()
}

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
    ::directories::ProjectDirs::from("app", "roster", "Roster")
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
    /// Tenants opened so far in this process, by id: every front door shares one store per tenant.
    open: Mutex<HashMap<String, Arc<OpenTenant>>>,
    /// Which tenant holds each SCIM integration found so far (directory key -> tenant id).
    scim_index: Mutex<HashMap<String, String>>,
    /// Which tenant holds each Admin API application found so far (integration key -> tenant id).
    api_index: Mutex<HashMap<String, String>>,
    /// Admin API secret keys read so far, with the secret generation they were read at.
    api_secrets: Mutex<HashMap<String, (i64, Arc<str>)>>,
    running: Mutex<HashSet<(String, String)>>,
    /// How to cancel each run in progress in this process (who cancels it goes to the run).
    cancels: Mutex<HashMap<(String, String), tokio::sync::oneshot::Sender<String>>>,
    scheduler: Mutex<Option<Arc<Scheduler>>>,
    #[cfg(feature = "demo")]
    demo_servers: demo::DemoServers,
    consent_cancel: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl std::fmt::Debug for OpenTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenTenant").field("id", &self.id).finish()
    }
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Roster {
    /// A Roster over `opts.data_dir`. Tenants are opened as they are named ([`Roster::tenant`]).
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
            open: Mutex::new(HashMap::new()),
            scim_index: Mutex::new(HashMap::new()),
            api_index: Mutex::new(HashMap::new()),
            api_secrets: Mutex::new(HashMap::new()),
            running: Mutex::new(HashSet::new()),
            cancels: Mutex::new(HashMap::new()),
            scheduler: Mutex::new(None),
            #[cfg(feature = "demo")]
            demo_servers: demo::DemoServers::default(),
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

    pub(crate) fn now(&self) -> roster_core::Timestamp {
        self.clock.now()
    }

    /// Whether a run of this sync is in progress in this process.
    pub(crate) fn is_running(&self, tenant: &str, key: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&(tenant.to_string(), key.to_string()))
    }
}

/// Random hex for connection ids.
pub(crate) fn random_hex(n: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
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
