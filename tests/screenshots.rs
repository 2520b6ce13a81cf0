//! The README's screenshots: the real app on the offline demo (a new install's demo tenant, its user and
//! admin syncs run twice so every screen has something to show), each main screen saved as a PNG in
//! docs/screenshots/, in the light theme and again in the dark one (`NAME-dark.png`: the window follows the
//! system's setting, here GTK's "prefer dark" given to the app alone). Ignored by default; run it under the UI tests' setup (Xvfb, tauri-driver):
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

/// Each main screen of the app on the data in `dir`, saved as NAME`suffix`.png.
fn shoot_every_screen(dir: &Path, suffix: &str, env: &[(&str, &std::ffi::OsStr)], dark: bool) {
    let mut d = Driver::start_with_env(env);
    d.open(env!("CARGO_BIN_EXE_roster"), dir.to_str().unwrap());
    d.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": WIDTH, "height": HEIGHT})),
    );
    let take = |name: &str, ready: &str| shoot(&d, &format!("{name}{suffix}"), ready);

    take("directory-sync", "[data-testid='directory-row']");
    // The pictures show the theme asked for: the page sees the system's setting.
    assert_eq!(
        d.execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            json!([])
        ),
        json!(dark),
        "the window's theme"
    );
    go(&d, "#/users");
    take("users", "[data-testid='user-row']");
    let user = d.wait_for("[data-testid='user-link']", T);
    d.click(&user);
    take("user", "[data-testid='history-entry']");
    go(&d, "#/groups");
    let group = d.wait_for("[data-testid='group-link']", T);
    take("groups", "[data-testid='group-row']");
    d.click(&group);
    take("group", "[data-testid='member-row']");
    go(&d, "#/trash");
    take("trash", "[data-testid='trash-row']");
    go(&d, "#/history");
    take("sync-history", "[data-testid='users-point']");
    go(&d, "#/admins");
    take("administrators", "[data-testid='admins-table'] tbody tr");
    go(&d, "#/admin-sync");
    take("admin-directory-sync", "main h1");
    go(&d, "#/settings");
    take("settings", "main h1");
}

#[test]
#[ignore = "writes the README's screenshots; run with --ignored under the UI tests' setup"]
fn screenshots_of_every_main_screen() {
    let Some(_turn) = ui_turn() else { return };
    std::fs::create_dir_all(out_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    shoot_every_screen(dir.path(), "", &[], false);

    // Dark: GTK's settings file says "prefer dark" (what a desktop's dark setting sets), which WebKitGTK
    // gives the page as `prefers-color-scheme: dark`; only the app started here reads it.
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("gtk-3.0")).unwrap();
    std::fs::write(
        config.path().join("gtk-3.0/settings.ini"),
        "[Settings]\ngtk-application-prefer-dark-theme=1\n",
    )
    .unwrap();
    shoot_every_screen(
        dir.path(),
        "-dark",
        &[
            ("XDG_CONFIG_HOME", config.path().as_os_str()),
            ("GTK_THEME", std::ffi::OsStr::new("Adwaita:dark")),
        ],
        true,
    );
}
