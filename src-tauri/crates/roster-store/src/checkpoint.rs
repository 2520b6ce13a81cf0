//! Work off the request path, on one thread per store: checkpoints (copying the write-ahead log back
//! into the database file), and the list indexes a large first sync leaves to build (`bulk`).
//!
//! SQLite checkpoints in the commit of whichever transaction takes the log past its threshold, and while
//! a reader keeps the log from starting over, in the commit of every transaction after that: two
//! `fsync`s each, which a loaded disk makes tens of milliseconds, inside a SCIM request. Here the
//! writer's own threshold is high (a safety net), and writes that answer someone ([`Store::push`])
//! ask this thread for a passive checkpoint instead, on a connection of its own: a passive checkpoint
//! never blocks the writer or the readers, and a commit then has only its own frames to write.
//!
//! A checkpoint syncs the log before it copies it back, and while that sync writes the log's pages out,
//! a commit that appends to the log waits for the page it shares with them (a frame is 4,120 bytes,
//! so every frame ends inside a page): on a virtual disk, syncing 100 ms of a steady stream of pushes
//! took about 30 ms, and one push every 100 ms waited that long. So the thread checkpoints every
//! [`PAUSE`] while writes go on: each sync has little to write (about 10 µs a page here), and the stall
//! is a millisecond or two.
//!
//! The log starts over (is written again from its first frame) only when a write begins with every
//! frame copied back and no reader still using the log: under a steady stream of writes a passive
//! checkpoint never catches up with the writer, and the log grew to the writer's own threshold, past
//! which SQLite checkpoints in every commit (two `fsync`s inside a push) until a commit happens to find
//! the readers gone: in a scheduler profile of the SCIM bench, those `fsync`s were where pushes slept
//! most inside the write lock (577 times a run). So once a pass finds at least [`RESTART_AT`] pages
//! of log, it first catches up with the writes ([`catch_up`]: passes back to back, until one finds
//! little new), and then the next push, right after its commit and still holding the store's writer,
//! checkpoints in `RESTART` mode ([`restart`]): the few frames since the last pass are copied and
//! synced, readers still on the log are waited for (briefly), and the next write starts the log over.
//! One push in some 150 pays for it (about 2 ms in `roster-bench scim-ops` once caught up; 3–13 ms
//! before, when a whole pause of frames was left to it), instead of every push past the threshold.
//! Not this thread holding the writer: with pushes back to back, a thread that unlocks the standard
//! mutex and locks it again at once keeps it, and the thread waited for hundreds of pushes.
//!
//! Invariants: the thread starts at the first request (a store only read never has one); it checkpoints
//! at most every [`PAUSE`], and requests in between wake nobody (a write asks with an atomic flag, and
//! only a request that finds the flag clear sends a message, which saved a thread wake-up per push);
//! it ends, and its connection closes, when the store is dropped (`Drop` waits for it, so the files are
//! released, and list indexes asked for are built before). A checkpoint that fails or finds the tenant
//! busy is skipped: the next one, or the writer's own threshold, copies the frames; so is a restart,
//! which waits for SQLite's locks at most [`RESTART_WAIT`]. A build that fails (the tenant busy for
//! [`BUILD_WAIT`]) is tried again at the next request, and when the tenant is next opened.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The writer checkpoints by itself only past this many pages of log (about 40 MB): a safety net for
/// when this thread cannot keep up or start the log over, and for writes that do not ask it.
pub(crate) const WRITER_AUTOCHECKPOINT: u32 = 10_000;

/// From this many pages of log on (about 16 MB, well short of [`WRITER_AUTOCHECKPOINT`]) the next push
/// starts the log over. Each restart stalls the writes for its copy and two `fsync`s, so not much
/// more often; a longer log costs its readers more (the index of the log they search grows too).
const RESTART_AT: i64 = 4_096;

/// How many passes a checkpoint before a restart makes at most, one after the other, to catch up with
/// the writes ([`catch_up`]), and how few new pages one copies for the log to count as caught up.
const CATCH_UP_PASSES: usize = 4;
const CAUGHT_UP: i64 = 64;

/// The longest a restart waits for SQLite's locks (another process's write, a reader still on the
/// log), the store's writes held meanwhile.
const RESTART_WAIT: Duration = Duration::from_millis(20);

/// How often a restart looks again for the readers it waits for.
const RESTART_POLL: Duration = Duration::from_micros(50);

/// The shortest time between two checkpoints: a burst of requests is copied back in one. Short,
/// because what a checkpoint syncs stalls the writes made meanwhile (see the module's top).
const PAUSE: Duration = Duration::from_millis(20);

/// How long a checkpoint waits for a lock.
const WAIT: Duration = Duration::from_millis(100);

/// How long building the list indexes waits for another writer to finish.
const BUILD_WAIT: Duration = Duration::from_secs(30);

/// The checkpointing thread of one store, once started.
#[derive(Debug, Default)]
pub(crate) struct Checkpointer {
    running: Mutex<Option<(SyncSender<()>, JoinHandle<()>)>>,
    /// List indexes to build before the next checkpoint (set before the thread is woken).
    indexes: Arc<AtomicBool>,
    /// A checkpoint is asked for and not begun: later requests need not wake the thread.
    asked: Arc<AtomicBool>,
    /// The log is long enough to start over: set by the thread, done by the next push.
    restart: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Asks for the missing list indexes to be built soon, then a checkpoint. Never waits.
    pub(crate) fn build_list_indexes(&self, path: &Path) {
        self.indexes.store(true, Ordering::SeqCst);
        self.request(path);
    }

    /// Whether the log is to be started over after this write (see the module's top); asked once: the
    /// caller does it ([`restart`]).
    pub(crate) fn restart_due(&self) -> bool {
        self.restart.load(Ordering::Relaxed) && self.restart.swap(false, Ordering::SeqCst)
    }

    /// Asks for a checkpoint soon (starting the thread the first time). Never waits.
    pub(crate) fn request(&self, path: &Path) {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.is_none() {
            let (tx, rx) = sync_channel(1);
            let path = path.to_path_buf();
            let indexes = Arc::clone(&self.indexes);
            let asked = Arc::clone(&self.asked);
            let restart = Arc::clone(&self.restart);
            let spawned = std::thread::Builder::new()
                .name("roster-checkpoint".into())
                .spawn(move || run(&path, &rx, &indexes, &asked, &restart));
            // Without a thread, the writer's own threshold still checkpoints.
            if let Ok(handle) = spawned {
                *running = Some((tx, handle));
            }
        }
        if let Some((tx, _)) = running.as_ref() {
            // Already asked (the thread clears the flag before it checkpoints): that one covers this
            // write too. Full means the same.
            if !self.asked.swap(true, Ordering::SeqCst) {
                let _ = tx.try_send(());
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let running = self
            .running
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some((tx, handle)) = running {
            drop(tx);
            let _ = handle.join();
        }
    }
}

/// Starts the log over, on the writer's connection right after a commit (the caller holds the store's
/// writer, so no other write is under way): copies back the frames since the last pass, waits for the
/// readers still on the log, and resets the log, so the next write goes at its start. Busy or failed:
/// asked again at the next pass, and the writer's own threshold is the safety net. `busy` is the
/// connection's busy timeout, put back after.
///
/// It waits by trying again every [`RESTART_POLL`] until [`RESTART_WAIT`] has passed, not in SQLite's
/// busy handler: SQLite's own sleeps a millisecond at first and longer after, while the reads it waits
/// for (a request's) take a tenth of that, and a handler can only count its calls, while a sleep
/// lasts longer than asked (on Windows, a millisecond or more). A second try has nothing left to copy.
pub(crate) fn restart(writer: &Connection, busy: Duration) {
    if writer.busy_timeout(Duration::ZERO).is_err() {
        return;
    }
    let until = std::time::Instant::now() + RESTART_WAIT;
    // The first column is 1 when the checkpoint could not finish (a reader or another writer in the way).
    while writer
        .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
        .is_ok_and(|blocked| blocked != 0)
        && std::time::Instant::now() < until
    {
        std::thread::sleep(RESTART_POLL);
    }
    let _ = writer.busy_timeout(busy);
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let c = crate::open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    c.busy_timeout(WAIT)?;
    // Building an index sorts in memory, as the writer does.
    c.execute_batch("PRAGMA temp_store = MEMORY;")?;
    Ok(c)
}

/// Builds the missing list indexes in a transaction of their own, waiting up to [`BUILD_WAIT`] for the
/// write lock.
fn build_list_indexes(conn: &mut Connection) -> crate::Result<()> {
    conn.busy_timeout(BUILD_WAIT)?;
    let built = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        crate::bulk::build(&tx)?;
        tx.commit()?;
        Ok(())
    })();
    conn.busy_timeout(WAIT)?;
    built
}

/// Copies back, pass after pass, what was written while the last pass copied and synced, until a pass
/// finds little new ([`CAUGHT_UP`]) or [`CATCH_UP_PASSES`] have run: the restart that follows (holding
/// the store's writer) then copies and syncs only the frames since, not a whole [`PAUSE`] of them. In
/// `roster-bench scim-ops` that took a restart from 3-13 ms to about 2 ms, and the SCIM bench's group
/// `PATCH` p99 (four waiting behind each restart) from 15-20 ms to 12-16 ms. Returns the passes made.
fn catch_up(conn: &Connection) -> usize {
    catch_up_with(conn, || {})
}

/// [`catch_up`], calling `between` after each pass (what the writes do meanwhile, in a test).
fn catch_up_with(conn: &Connection, mut between: impl FnMut()) -> usize {
    let mut copied: Option<i64> = None;
    for pass in 1..=CATCH_UP_PASSES {
        let Ok(now) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(2))
        else {
            return pass;
        };
        // Fewer frames than before: the log started over in between (a write found it all copied), and
        // these are all new.
        if copied.is_some_and(|before| if now >= before { now - before } else { now } < CAUGHT_UP) {
            return pass;
        }
        copied = Some(now);
        between();
    }
    CATCH_UP_PASSES
}

fn run(
    path: &Path,
    wake: &Receiver<()>,
    indexes: &AtomicBool,
    asked: &AtomicBool,
    restart: &AtomicBool,
) {
    // Without a connection, the writer's own threshold checkpoints.
    let Ok(mut conn) = open(path) else {
        return;
    };
    // The log's length when this thread last asked for a restart, until the log is seen starting over:
    // a log the restart copied back keeps its length until the next write starts it over, and is not
    // asked for again then; a restart that failed is asked for again once the log has grown on.
    let mut asked_at: Option<i64> = None;
    while wake.recv().is_ok() {
        // Whatever else is asked within the pause is copied by the same checkpoint; a closed channel (the
        // store dropped) ends the pause at once.
        let last = matches!(
            wake.recv_timeout(PAUSE),
            Err(RecvTimeoutError::Disconnected)
        );
        asked.store(false, Ordering::SeqCst);
        if indexes.swap(false, Ordering::SeqCst) && build_list_indexes(&mut conn).is_err() {
            // Tried again at the next request (or when the tenant is next opened).
            indexes.store(true, Ordering::SeqCst);
        }
        // Busy (another checkpoint is running) or failed: the next one copies these frames. Its second
        // column is the log's length in pages.
        let log = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
        if let Ok(pages) = log {
            if pages < RESTART_AT {
                asked_at = None;
            } else if asked_at.is_none_or(|at| pages >= at + RESTART_AT / 4) {
                let _ = catch_up(&conn);
                restart.store(true, Ordering::SeqCst);
                asked_at = Some(pages);
            }
        }
        if last {
            break;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
mod tests {
    use super::*;

    fn wal(path: &Path) -> Connection {
        let c = Connection::open(path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE IF NOT EXISTS t (x BLOB);",
        )
        .unwrap();
        c
    }

    /// What the file itself holds, the log ignored.
    fn rows_in_file(path: &Path) -> i64 {
        let uri = format!("file:{}?immutable=1", path.display());
        Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap()
    }

    #[test]
    fn a_quiet_log_is_caught_up_in_two_passes_and_copied_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let w = wal(&path);
        for _ in 0..200 {
            w.execute("INSERT INTO t VALUES (zeroblob(3000))", [])
                .unwrap();
        }
        let c = open(&path).unwrap();
        assert_eq!(catch_up(&c), 2, "the second pass finds nothing new");
        assert_eq!(rows_in_file(&path), 200);
    }

    /// Passes go on while each finds at least [`CAUGHT_UP`] new pages (here 100, then 200, written after
    /// the first two), and stop at the first that finds fewer, or after the last pass. (Each burst of
    /// writes may start the log over, since the pass before copied it all: bursts of different sizes keep
    /// the count of frames copied from coming back to the same number.)
    #[test]
    fn passes_go_on_while_the_writes_do_and_stop_after_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let w = wal(&path);
        let write = |rows: usize| {
            for _ in 0..rows {
                w.execute("INSERT INTO t VALUES (zeroblob(3000))", [])
                    .unwrap();
            }
        };
        write(10);
        let c = open(&path).unwrap();
        let mut after = 0;
        let passes = catch_up_with(&c, || {
            after += 1;
            if after <= 2 {
                write(100 * after);
            }
        });
        assert_eq!(passes, 4, "two passes found new pages, the fourth none");
        assert_eq!(rows_in_file(&path), 310, "everything written was copied");

        let mut more = 0;
        let passes = catch_up_with(&c, || {
            more += 1;
            write(100 * more);
        });
        assert_eq!(passes, CATCH_UP_PASSES, "writes that never stop");
        assert_eq!(more, CATCH_UP_PASSES);
    }
}
