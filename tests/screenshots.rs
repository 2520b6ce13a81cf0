//! The README's screenshots: the real app on the offline demo (a new install's demo tenant, its user and
//! admin syncs run twice so every screen has something to show), each main screen saved as a PNG in
//! docs/screenshots/. Ignored by default; run it under the UI tests' setup (Xvfb, tauri-driver):
//!
//! `ROSTER_UI_TEST=1 cargo test -p roster --test screenshots -- --ignored` (see .ci/screenshots)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "ui_e2e/common.rs"]
mod common;

use common::*;
use roster_api::{
    Caller, DirectoryPatch, MemorySecrets, Options, Roster, RunMode, SystemClock, Trigger,
};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// The window's size in the pictures.
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 760;

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
}

/// A new install's data directory with the demo tenant's syncs run twice (the organisation changes between
/// the runs, so there is history, a trash and two points per sync).
fn demo(dir: &Path) {
    let r = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    let tenant = r.default_tenant(true).unwrap().id;
    let s = r.session(&tenant, &Caller::Local).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for d in s.list_directories().unwrap() {
        s.update_directory(
            &d.directory_key,
            DirectoryPatch {
                deletion_threshold_percent: Some(100),
                ..Default::default()
            },
        )
        .unwrap();
        for _ in 0..2 {
            rt.block_on(s.run_sync(
                &d.directory_key,
                RunMode::Full { approve: false },
                Trigger::Manual,
            ))
            .unwrap();
        }
    }
}

/// Waits for `ready`, lets the screen settle, and saves it as `name`.png.
fn shoot(d: &Driver, name: &str, ready: &str) {
    d.wait_for(ready, T);
    std::thread::sleep(Duration::from_millis(800));
    let path = out_dir().join(format!("{name}.png"));
    d.screenshot(&path);
    assert!(path.exists(), "{} was not written", path.display());
    eprintln!("saved {}", path.display());
}

fn go(d: &Driver, hash: &str) {
    d.execute("location.hash = arguments[0]", json!([hash]));
}

#[test]
#[ignore = "writes the README's screenshots; run with --ignored under the UI tests' setup"]
fn screenshots_of_every_main_screen() {
    let Some(_turn) = ui_turn() else { return };
    std::fs::create_dir_all(out_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());
    d.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": WIDTH, "height": HEIGHT})),
    );

    shoot(&d, "directory-sync", "[data-testid='directory-row']");
    go(&d, "#/users");
    shoot(&d, "users", "[data-testid='user-row']");
    let user = d.wait_for("[data-testid='user-link']", T);
    d.click(&user);
    shoot(&d, "user", "[data-testid='history-entry']");
    go(&d, "#/groups");
    let group = d.wait_for("[data-testid='group-link']", T);
    shoot(&d, "groups", "[data-testid='group-row']");
    d.click(&group);
    shoot(&d, "group", "[data-testid='member-row']");
    go(&d, "#/trash");
    shoot(&d, "trash", "[data-testid='trash-row']");
    go(&d, "#/history");
    shoot(&d, "sync-history", "[data-testid='users-point']");
    go(&d, "#/admins");
    shoot(&d, "administrators", "[data-testid='list-search']");
    go(&d, "#/admin-sync");
    shoot(&d, "admin-directory-sync", "main h1");
    go(&d, "#/settings");
    shoot(&d, "settings", "main h1");
}
