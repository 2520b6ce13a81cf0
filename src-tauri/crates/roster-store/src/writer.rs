//! The tenant's one write connection, and the group commit of SCIM pushes.
//!
//! Pushes that arrive while one is being applied wait for the connection. Rather than each committing
//! its own transaction, a push that finds others waiting leaves its `IMMEDIATE` transaction open for the
//! next: each push runs in a `SAVEPOINT` of its own (released when it succeeds, rolled back when it fails,
//! so a failed push changes nothing and gets its own error while the others stand), and the push that
//! finds nobody waiting, or the batch full, commits the batch: one commit, one append to the log, for
//! all of them. A push answers only once its batch is committed (or with the commit's error: then none of
//! the batch was kept). Each push reads and writes on the same connection after the ones before it, so
//! the result is the one of applying them one at a time in the order they took the connection.
//!
//! Invariant: only a push leaves a transaction open, and only while another push is waiting for the
//! connection (which will continue or commit it); every other use of the connection ([`Writer::lock`])
//! commits an open batch first, so it always starts outside a transaction.

use crate::{Result, StoreError};
use rusqlite::Connection;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// At most this many pushes share a commit: the first of a batch answers only when the batch is
/// committed, so a longer one would make it wait for many others.
const MAX_BATCH: usize = 8;

/// The write connection (see the module's documentation).
pub(crate) struct Writer {
    state: Mutex<State>,
    /// Pushes waiting for the connection.
    waiting: AtomicUsize,
}

struct State {
    conn: Connection,
    open: Option<Open>,
}

/// The batch whose transaction is open.
struct Open {
    batch: Arc<Batch>,
    pushes: usize,
}

/// What the pushes of one batch wait for: its commit.
#[derive(Default)]
struct Batch {
    outcome: Mutex<Option<std::result::Result<(), String>>>,
    settled: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked mid-call; SQLite rolls back what a failed
    // statement left, and an open batch is committed or rolled back by the next user.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Batch {
    fn settle(&self, outcome: std::result::Result<(), String>) {
        *lock(&self.outcome) = Some(outcome);
        self.settled.notify_all();
    }

    fn wait(&self) -> std::result::Result<(), String> {
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(o) = outcome.as_ref() {
                return o.clone();
            }
            outcome = self
                .settled
                .wait(outcome)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The commit of a batch failed: nothing of it was kept.
fn batch_failed(message: &str) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(format!(
            "{message}; nothing of this request or of those committed with it was kept"
        )),
    ))
}

impl State {
    /// Commits the open batch, if any, and tells its pushes how it went.
    fn settle(&mut self) -> Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                open.batch.settle(Ok(()));
                Ok(())
            }
            Err(e) => {
                let message = e.to_string();
                // A failed COMMIT can leave the transaction open; nothing of it may stay.
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                open.batch.settle(Err(message.clone()));
                Err(batch_failed(&message))
            }
        }
    }

    /// Rolls the open batch back (a push broke it), telling its pushes.
    fn abandon(&mut self, message: &str) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if let Some(open) = self.open.take() {
            open.batch.settle(Err(message.to_string()));
        }
    }
}

/// The write connection, outside any transaction.
pub(crate) struct WriterGuard<'a>(MutexGuard<'a, State>);

impl Deref for WriterGuard<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0.conn
    }
}

impl DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0.conn
    }
}

/// How a push inside a batch ended.
enum Ended<T, E> {
    /// Released (`Ok`) or rolled back to its savepoint (`Err`); the batch goes on.
    Push(std::result::Result<T, E>),
    /// The batch's transaction is gone or unusable: the whole batch must be rolled back.
    Broken(String, std::result::Result<T, E>),
}

fn in_savepoint<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
) -> Ended<T, E> {
    if let Err(e) = conn.execute_batch("SAVEPOINT push") {
        return Ended::Broken(e.to_string(), Err(E::from(StoreError::from(e))));
    }
    let out = f(conn);
    let end = match &out {
        Ok(_) => conn.execute_batch("RELEASE push"),
        Err(_) => conn.execute_batch("ROLLBACK TO push; RELEASE push"),
    };
    match end {
        // SQLite rolls a whole transaction back on some errors (a full disk, out of memory).
        Ok(()) if !conn.is_autocommit() => Ended::Push(out),
        Ok(()) => Ended::Broken("the transaction was rolled back".into(), out),
        Err(e) => Ended::Broken(e.to_string(), out),
    }
}

impl Writer {
    pub(crate) fn new(conn: Connection) -> Self {
        Writer {
            state: Mutex::new(State { conn, open: None }),
            waiting: AtomicUsize::new(0),
        }
    }

    /// The connection, outside any transaction: an open batch is committed first (its pushes are told
    /// if that fails; the caller goes on either way).
    pub(crate) fn lock(&self) -> WriterGuard<'_> {
        let mut state = lock(&self.state);
        let _ = state.settle();
        WriterGuard(state)
    }

    /// Runs one push, `f`, in the open batch or a new one (see the module's documentation), and returns
    /// once what it did is committed, or with why not.
    pub(crate) fn push<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut state = lock(&self.state);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if state.open.is_none() {
            state
                .conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(StoreError::from)?;
            state.open = Some(Open {
                batch: Arc::default(),
                pushes: 0,
            });
        }
        let out = match in_savepoint(&state.conn, f) {
            Ended::Push(out) => out,
            Ended::Broken(message, out) => {
                state.abandon(&message);
                return Err(out.err().unwrap_or_else(|| batch_failed(&message).into()));
            }
        };
        let (batch, pushes) = match state.open.as_mut() {
            Some(open) => {
                open.pushes += 1;
                (open.batch.clone(), open.pushes)
            }
            None => return out, // unreachable: opened above and only this thread holds the state
        };
        if pushes >= MAX_BATCH || self.waiting.load(Ordering::SeqCst) == 0 {
            let committed = state.settle();
            drop(state);
            committed?;
            return out;
        }
        // Another push is waiting for the connection: it goes on in this transaction and it, or one
        // after it, commits.
        drop(state);
        if out.is_ok() {
            batch.wait().map_err(|m| batch_failed(&m))?;
        }
        out
    }
}

#[cfg(test)]
mod tests;
