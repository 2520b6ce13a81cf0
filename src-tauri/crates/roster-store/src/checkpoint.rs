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
//! is a millisecond or two. For the same reason the writer's own checkpoint, when the log reaches its
//! threshold and starts over, has only the frames since the last pass to copy and sync.
//!
//! Invariants: the thread starts at the first request (a store only read never has one); it checkpoints
//! at most every [`PAUSE`], and requests in between wake nobody (a write asks with an atomic flag, and
//! only a request that finds the flag clear sends a message, which saved a thread wake-up per push);
//! it ends, and its connection closes, when the store is dropped (`Drop` waits for it, so the files are
//! released, and list indexes asked for are built before). A checkpoint that fails or finds the tenant
//! busy is skipped: the next one, or the writer's own threshold, copies the frames. A build that fails
//! (the tenant busy for [`BUILD_WAIT`]) is tried again at the next request, and when the tenant is next
//! opened.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The writer checkpoints by itself only past this many pages of log (about 40 MB): that is when the
/// log starts over (a write must begin with every frame copied back, which a steady stream of writes
/// never leaves time for), or when this thread cannot keep up, and for writes that do not ask it.
pub(crate) const WRITER_AUTOCHECKPOINT: u32 = 10_000;

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
}

impl Checkpointer {
    /// Asks for the missing list indexes to be built soon, then a checkpoint. Never waits.
    pub(crate) fn build_list_indexes(&self, path: &Path) {
        self.indexes.store(true, Ordering::SeqCst);
        self.request(path);
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
            let spawned = std::thread::Builder::new()
                .name("roster-checkpoint".into())
                .spawn(move || run(&path, &rx, &indexes, &asked));
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

fn run(path: &Path, wake: &Receiver<()>, indexes: &AtomicBool, asked: &AtomicBool) {
    // Without a connection, the writer's own threshold checkpoints.
    let Ok(mut conn) = open(path) else {
        return;
    };
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
        // Busy (another checkpoint is running) or failed: the next one copies these frames.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if last {
            break;
        }
    }
}
