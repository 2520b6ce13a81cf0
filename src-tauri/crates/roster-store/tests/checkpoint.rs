//! The checkpointer: what pushes write to the log reaches the database file while the store stays open,
//! for a push after a checkpoint as for the first (a write asks with a flag the thread clears, so a
//! flag left set would leave every later push in the log); and under a steady stream of pushes the log
//! starts over long before the writer's own threshold.

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

/// Sets its flag when dropped.
struct Stop<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The log's file, in frames of a 4,096-byte page (each 4,120 bytes with its header).
fn log_frames(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len() / 4_120)
}

#[test]
fn a_steady_stream_of_pushes_starts_the_log_over_before_the_writers_own_threshold() {
    // Under pushes back to back a passive checkpoint never catches up, so the log never started over
    // by itself: it grew to the writer's own threshold (10,000 pages), past which SQLite checkpointed
    // with two fsyncs in every commit. Now, once the checkpointer finds at least 4,096 pages, the next
    // push starts it over: the file stays well short of 10,000 frames while many more are written (a
    // log that started over is written again from its start, so its file stops growing).
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    // A reader on another thread the whole time, as the SCIM server's lists and lookups are: a
    // reader still on the log is what kept SQLite's own checkpoints from starting it over.
    let done = std::sync::atomic::AtomicBool::new(false);
    let path = store.path().to_path_buf();
    let mut largest = 0;
    let mut pushes = 0;
    std::thread::scope(|s| {
        // The reader stops when this ends, even by a failed push (or the scope would wait for it).
        let _stop = Stop(&done);
        s.spawn(|| {
            let c = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let _: i64 = c
                    .query_row(
                        "SELECT count(*) FROM users WHERE username = 'user1'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
            }
        });
        // What a push writes, from 100 pushes after the first (the log is far from starting over
        // then), sets how many make 30,000 pages: three times the writer's own threshold.
        push_user(&store, &d, "u0", "user0", NOW);
        let before = log_frames(&path);
        for i in 1..=100 {
            push_user(&store, &d, &format!("u{i}"), &format!("user{i}"), NOW);
        }
        let per_push = (log_frames(&path).saturating_sub(before) / 100).max(1);
        pushes = 30_000 / per_push;
        for i in 101..pushes {
            push_user(&store, &d, &format!("u{i}"), &format!("user{i}"), NOW);
            largest = largest.max(log_frames(&path));
        }
    });
    assert!(
        largest < 8_000,
        "the log's file grew to {largest} frames in {pushes} pushes: it did not start over before the writer's own threshold"
    );
    assert!(copied(store.path(), "user100"), "the pushes reach the file");
}
