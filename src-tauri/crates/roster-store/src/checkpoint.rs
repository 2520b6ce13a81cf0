//! Checkpoints off the request path: copying the write-ahead log back into the database file.
//!
//! SQLite checkpoints in the commit of whichever transaction takes the log past its threshold, and while
//! a reader keeps the log from starting over, in the commit of every transaction after that: two
//! `fsync`s each, which a loaded disk makes tens of milliseconds, inside a SCIM request. Here the
//! writer's own threshold is high (a safety net), and writes that answer someone ([`Store::push`])
//! ask this thread for a passive checkpoint instead, on a connection of its own: a passive checkpoint
//! never blocks the writer or the readers, and a commit then has only its own frames to write.
//!
//! Invariants: the thread starts at the first request (a store only read never has one); it checkpoints
//! at most every [`PAUSE`]; it ends, and its connection closes, when the store is dropped (`Drop` waits
//! for it, so the files are released). A checkpoint that fails is skipped: the next one, or the writer's
//! own threshold, copies the frames.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The writer checkpoints by itself only past this many pages of log (about 40 MB): when the
/// checkpointer cannot keep up, or for writes that do not ask it.
pub(crate) const WRITER_AUTOCHECKPOINT: u32 = 10_000;

/// The shortest time between two checkpoints: a burst of requests is copied back in one.
const PAUSE: Duration = Duration::from_millis(100);

/// The checkpointing thread of one store, once started.
#[derive(Debug, Default)]
pub(crate) struct Checkpointer {
    running: Mutex<Option<(SyncSender<()>, JoinHandle<()>)>>,
}

impl Checkpointer {
    /// Asks for a checkpoint soon (starting the thread the first time). Never waits.
    pub(crate) fn request(&self, path: &Path) {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.is_none() {
            let (tx, rx) = sync_channel(1);
            let path = path.to_path_buf();
            let spawned = std::thread::Builder::new()
                .name("roster-checkpoint".into())
                .spawn(move || run(&path, &rx));
            // Without a thread, the writer's own threshold still checkpoints.
            if let Ok(handle) = spawned {
                *running = Some((tx, handle));
            }
        }
        if let Some((tx, _)) = running.as_ref() {
            // Full means one is already asked for, which covers this write too.
            let _ = tx.try_send(());
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

fn open(path: &PathBuf) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    c.busy_timeout(Duration::from_millis(100))?;
    Ok(c)
}

fn run(path: &PathBuf, asked: &Receiver<()>) {
    // Without a connection, the writer's own threshold checkpoints.
    let Ok(conn) = open(path) else {
        return;
    };
    while asked.recv().is_ok() {
        // Whatever else is asked within the pause is copied by the same checkpoint.
        let until = Instant::now() + PAUSE;
        let mut last = false;
        loop {
            match asked.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    last = true;
                    break;
                }
            }
        }
        // Busy (another checkpoint is running) or failed: the next one copies these frames.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if last {
            break;
        }
    }
}
