//! The checkpointer: what pushes write to the log reaches the database file while the store stays open,
//! for a push after a checkpoint as for the first (a write asks with a flag the thread clears, so a
//! flag left set would leave every later push in the log).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{add_integration, new_store, push_user, NOW};
use roster_core::Timestamp;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::{Duration, Instant};

/// Whether the database file itself (not the log) holds the user `name`: read with `immutable=1`,
/// which makes SQLite ignore the log.
fn in_file(path: &Path, name: &str) -> bool {
    let uri = format!("file:{}?immutable=1", path.display());
    let c = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    c.query_row(
        "SELECT count(*) FROM users WHERE username = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .unwrap_or(0)
        == 1
}

/// Waits up to 10 s (a loaded machine) for `name` to be copied into the file.
fn copied(path: &Path, name: &str) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if in_file(path, name) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn pushes_reach_the_database_file_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u0", "user0", NOW);
    assert!(
        copied(store.path(), "user0"),
        "the first push is checkpointed"
    );
    // A burst, then a push after its checkpoint: each is copied back by a later checkpoint.
    for i in 1..50 {
        push_user(&store, &d, &format!("u{i}"), &format!("user{i}"), NOW);
    }
    assert!(copied(store.path(), "user49"), "the burst is checkpointed");
    std::thread::sleep(Duration::from_millis(200));
    push_user(&store, &d, "u50", "user50", Timestamp(NOW.0 + 1));
    assert!(
        copied(store.path(), "user50"),
        "a push after a checkpoint is checkpointed too"
    );
}
