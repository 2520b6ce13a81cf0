//! Roster's store: one SQLite file per tenant.
//!
//! What it owns: the schema and its migrations, reading and writing every table, and applying a sync plan
//! in one transaction together with the run's change log.
//!
//! What it must not do: decide anything. Which changes a sync makes is the planner's job (roster-core);
//! the store applies a plan exactly, or not at all.
//!
//! Invariants:
//! - a file is a Roster tenant only if its `application_id` is [`schema::APPLICATION_ID`]; any other SQLite
//!   file, a non-SQLite file, or a database newer than this build is refused before anything is written;
//! - migrations run in one `IMMEDIATE` transaction: a database is either fully at the new version or untouched;
//! - [`Store::apply`] writes a plan, the directory's new state and the run record in one transaction, and
//!   only if nothing was written to users, groups or admins since the plan's snapshot was read (the
//!   tenant's data revision); otherwise it refuses with [`StoreError::Stale`] and the caller plans again;
//! - opening a tenant that is up to date writes nothing, so it never waits for a sync applying in another
//!   process, and readers (WAL) never wait for writers;
//! - a run in progress holds an OS lock on a file beside the tenant ([`RunLease`]): a run recorded as
//!   running whose lock nobody holds was left by a process that is gone, and is shown as interrupted;
//! - every write transaction is `IMMEDIATE`: a deferred one that reads before it writes cannot wait for
//!   another process's writer (SQLite answers "database is locked" at once rather than deadlock), so it
//!   takes the write lock first and waits its turn;
//! - on Unix the tenant file (and SQLite's files beside it) is readable by its owner only (0600).
//!
//! How to add a table: add it to `schema::CURRENT`, bump `schema::VERSION`, add the step to
//! `schema::upgrade_from`, and extend `tests/store.rs`'s upgrade test.

mod adminapi;
mod apply;
mod bulk;
mod checkpoint;
mod duo;
mod error;
mod lease;
mod lists;
mod operators;
mod passphrases;
mod read;
mod records;
mod removal;
pub mod schema;
mod scim;

pub use adminapi::{ActorKind, ApiApplication, AuditEntry, AuditRecord};
pub use apply::ApplyOptions;
pub use duo::{AdminRecord, GroupRecord, UserFilter, UserRecord};
pub use error::StoreError;
pub use lease::RunLease;
pub use lists::{
    GroupQuery, GroupSort, HistoryEntry, ManagedFilter, SeriesPoint, UserDetailRecord, UserQuery,
    UserSort,
};
pub use operators::Operator;
pub use passphrases::{OperatorQuery, OperatorSort};
pub use read::{AdminRow, Candidates, GroupRow, One, Page, PageAt, UserRow};
pub use records::*;
pub use scim::{
    Lookup, Push, ReplicaCounts, Resource, ResourceKind, ScimToken, PUSH_RUN_WINDOW_SECS,
};

use roster_core::Timestamp;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An open tenant database: one connection for writes and one for reads (WAL lets reads go on while a
/// sync applies).
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    /// The connection for the check every SCIM request makes before its work (its bearer token's
    /// digest), opened at the first check; see [`Store::with_door_reader`].
    door_reader: Mutex<Option<Connection>>,
    checkpoints: checkpoint::Checkpointer,
    /// Where the pages of the full user list that were just read end (see `duo::Continuations`).
    continuations: Mutex<duo::Continuations>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Opens a connection to a tenant file with `flags`, in SQLite's multi-thread mode: each connection is
/// used by one thread at a time (behind the store's locks, or owned by one thread), so SQLite need not
/// lock its own mutex around every call. With `open_with_flags`' flags alone it did, in serialized mode:
/// reading a column took and released a mutex, about a tenth of reading 100,000 users.
pub(crate) fn open_connection(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A poisoned lock only means another thread panicked mid-call; SQLite itself rolled back anything
    // unfinished, so the connection is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Statements each connection keeps compiled. A SCIM push alone runs some thirty different statements
/// (rusqlite's default keeps 16, so a push recompiled most of them on every request).
const STATEMENT_CACHE: usize = 256;

/// How much of a tenant file the reading connection maps into memory (address space, not memory used:
/// the OS cache backs it). A 100,000-user tenant is about 100 MB.
const READER_MMAP_BYTES: i64 = 1 << 30;

/// How long a connection waits for another's lock (another process's write) before "database is locked".
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn prepare(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_WAIT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;",
    )?;
    Ok(())
}

/// A tenant to create: its name, and its Owner (the person creating it).
#[derive(Debug, Clone, Copy)]
pub struct NewTenant<'a> {
    /// The tenant's name.
    pub name: &'a str,
    /// When.
    pub created_at: Timestamp,
    /// The Owner's email (its key as an operator).
    pub owner_email: &'a str,
    /// The Owner's name.
    pub owner_name: &'a str,
}

impl<'a> NewTenant<'a> {
    /// A tenant whose Owner is the person using this copy of Roster, with no email given.
    pub fn named(name: &'a str, created_at: Timestamp) -> Self {
        NewTenant {
            name,
            created_at,
            owner_email: schema::DEFAULT_OWNER_EMAIL,
            owner_name: "Owner",
        }
    }
}

/// Makes a tenant file and SQLite's files beside it readable by their owner only (Unix; elsewhere the
/// user's profile directory protects them, see the README).
fn private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::metadata(&p) {
                Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).map_err(
                        |e| {
                            StoreError::NotFound(format!(
                                "Roster cannot make {} private to you: {e}. Check who owns the file.",
                                p.display()
                            ))
                        },
                    )?;
                }
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn create_private(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(|e| {
        StoreError::NotFound(format!(
            "Roster cannot create the tenant file {}: {e}. Check that its folder exists and is writable.",
            path.display()
        ))
    })
}

impl Store {
    /// Opens (or, with `create`, creates) the tenant database at `path`. A new database gets the current
    /// schema and the tenant row named `name`; an older one is migrated; anything else is refused.
    pub fn open(path: &Path, create: Option<&NewTenant<'_>>) -> Result<Store> {
        let exists = path.exists();
        if !exists && create.is_none() {
            return Err(StoreError::NotFound(format!(
                "There is no tenant database at {}.",
                path.display()
            )));
        }
        if exists {
            schema::check_header(path, create.is_some())?;
            private_file(path)?;
        } else {
            // Created empty and private before SQLite writes anything: SQLite gives its journal files
            // the database file's permissions.
            create_private(path)?;
        }
        let flags = if create.is_some() {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let mut writer = open_connection(path, flags).map_err(|e| StoreError::at(path, e))?;
        // Identify the file before any pragma that writes (journal_mode=WAL writes the header).
        schema::check_identity(&writer, path)?;
        prepare(&writer).map_err(|e| e.with_path(path))?;
        writer
            .pragma_update(
                None,
                "wal_autocheckpoint",
                checkpoint::WRITER_AUTOCHECKPOINT,
            )
            .map_err(|e| StoreError::at(path, e))?;
        schema::migrate(&mut writer, create, path)?;
        bulk::build_if_missing(&mut writer).map_err(|e| e.with_path(path))?;
        let reader = open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| StoreError::at(path, e))?;
        prepare(&reader)?;
        // Reads map the file instead of copying each page out of the OS cache (pread): a list in
        // username order visits the rows in another order than they are stored, so reading 100,000
        // users through the Admin API copied about ten times as many pages as it returned rows.
        reader.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
        let store = Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            door_reader: Mutex::new(None),
            checkpoints: checkpoint::Checkpointer::default(),
            continuations: Mutex::default(),
        };
        Ok(store)
    }

    /// A tenant file's name and creation time, read without opening it as a store (nothing is written,
    /// nothing is migrated): for listing tenants.
    pub fn peek(path: &Path) -> Result<(String, Timestamp)> {
        if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            return Err(StoreError::Empty("empty file: it holds no tenant".into()));
        }
        let c = open_connection(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::at(path, e))?;
        let row = c.query_row(
            "SELECT name, created_at FROM tenant WHERE id = 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, Timestamp(r.get(1)?))),
        )?;
        Ok(row)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn writer(&self) -> MutexGuard<'_, Connection> {
        lock(&self.writer)
    }

    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        lock(&self.reader)
    }

    /// Runs `f` on the connection for the small read each request makes at the door (a SCIM bearer
    /// token's digest), opening it the first time. Not the reader: when the reader sees that the database
    /// changed, SQLite unmaps its whole file mapping and maps it again, so after every commit the first
    /// read paid `munmap` and `mmap` (with their TLB flushes on every core), about half of checking a
    /// token in the SCIM benchmark, and it waited behind the lists that hold the reader. This connection
    /// maps nothing: after a commit it reads its one or two pages again with `pread`. Like the reader, it
    /// sees every commit, of this process or another, at its next read: a replaced token stops working
    /// at once.
    pub(crate) fn with_door_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let mut door = self
            .door_reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = match door.take() {
            Some(c) => c,
            None => {
                let c = open_connection(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE)
                    .map_err(|e| StoreError::at(&self.path, e))?;
                prepare(&c)?;
                c
            }
        };
        f(door.insert(c))
    }

    /// Starts the log over if the checkpointer found it long enough, on the writer's connection, which
    /// the caller holds, right after its commit (see `checkpoint.rs`).
    pub(crate) fn restart_log_if_due(&self, writer: &Connection) {
        if self.checkpoints.restart_due() {
            checkpoint::restart(writer, BUSY_WAIT);
        }
    }

    /// Asks for the log to be copied back into the database soon, off the caller's path (see
    /// `checkpoint`): after a write that answers someone waiting.
    pub(crate) fn checkpoint_soon(&self) {
        self.checkpoints.request(&self.path);
    }
}
