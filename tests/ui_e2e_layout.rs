//! End-to-end UI test of the window's layout: long values and the smallest window keep it, stale messages
//! go, deleting a tenant names it (issue 9, item 21). The real desktop app in a real browser engine, as in
//! tests/ui_e2e.rs; without ROSTER_UI_TEST=1 the test says so and does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::{MemorySecrets, Options, Roster, SystemClock};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

// The driver and the helpers every UI e2e file uses (tests/ui_e2e_*.rs).
#[path = "ui_e2e/common.rs"]
mod common;
use common::*;

/// How wide the page and its scrolling main area are, against the window.
const WIDTHS: &str = "const d = document.documentElement, m = document.querySelector('main');
return {doc: d.scrollWidth, inner: window.innerWidth, main: m.scrollWidth, main_client: m.clientWidth};";

/// Every visible button of the rows matching `arguments[0]`, with the window's width and the part of its
/// scrolling card that shows (a button scrolled out of the card is as cut off as one off the window).
const ROW_BUTTONS: &str = "const out = [];
for (const row of document.querySelectorAll(arguments[0])) {
  const card = row.closest('.card') || document.documentElement;
  const c = card.getBoundingClientRect();
  for (const b of row.querySelectorAll('button')) {
    const r = b.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    out.push({label: b.getAttribute('aria-label') || b.textContent.trim(), left: r.left, right: r.right,
              card_left: c.left, card_right: c.right});
  }
}
return {inner: window.innerWidth, height: window.innerHeight, buttons: out};";

/// Problems found on the page's width: the page or its main area wider than the window.
fn width_problems(d: &Driver, when: &str) -> Vec<String> {
    let w = d.execute(WIDTHS, json!([]));
    let (doc, inner, main, client) = (
        w["doc"].as_f64().unwrap_or(f64::MAX),
        w["inner"].as_f64().unwrap_or(0.0),
        w["main"].as_f64().unwrap_or(f64::MAX),
        w["main_client"].as_f64().unwrap_or(0.0),
    );
    let mut out = Vec::new();
    if doc > inner {
        out.push(format!(
            "{when}: the page is {doc} px wide in a {inner} px window"
        ));
    }
    if main > client + 1.0 {
        out.push(format!(
            "{when}: the main area scrolls sideways ({main} px of content in {client} px)"
        ));
    }
    out
}

/// Problems found with the rows' buttons: cut off by the window or by their card.
fn button_problems(d: &Driver, rows: &str, when: &str) -> Vec<String> {
    let v = d.execute(ROW_BUTTONS, json!([rows]));
    let inner = v["inner"].as_f64().unwrap_or(0.0);
    let buttons = v["buttons"].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    if buttons.is_empty() {
        out.push(format!("{when}: no buttons found in {rows}"));
    }
    for b in buttons {
        let (left, right) = (
            b["left"].as_f64().unwrap_or(-1.0),
            b["right"].as_f64().unwrap_or(f64::MAX),
        );
        let (cl, cr) = (
            b["card_left"].as_f64().unwrap_or(0.0),
            b["card_right"].as_f64().unwrap_or(inner),
        );
        if left < 0.0 || right > inner + 0.5 || left < cl - 0.5 || right > cr + 0.5 {
            out.push(format!(
                "{when}: the button {} is cut off ({left:.0}–{right:.0} px; window 0–{inner} px, card {cl:.0}–{cr:.0} px)",
                b["label"]
            ));
        }
    }
    out
}

/// Issue 9, item 21: long values and the smallest window keep the layout; stale messages go (a failed
/// "Sync one…", a cancelled sign-in of another vendor); deleting a tenant names it. Every check runs and the
/// test lists every problem found.
#[test]
fn the_window_keeps_its_layout_and_drops_stale_messages() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = prepare(dir.path());
    {
        let r = Roster::new(Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock: Arc::new(SystemClock),
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap();
        r.create_tenant("Zeta old", None).unwrap();
    }
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());
    let t = Duration::from_secs(30);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut problems: Vec<String> = Vec::new();
    let long = "x".repeat(2000);
    let one = format!("[data-testid='sync-one-result-{key}']");

    // A failed "Sync one…" message goes when the input changes, and when another action runs.
    d.click(&d.wait_for(
        &format!("[data-testid='sync-one-{key}']"),
        Duration::from_secs(60),
    ));
    let input = d.wait_for(&format!("[data-testid='sync-one-input-{key}']"), t);
    d.type_text(&input, "nobody.here");
    d.click(&d.wait_for(&format!("[data-testid='sync-one-submit-{key}']"), t));
    if !eventually(t, || d.text_of(&one).contains("nobody.here")) {
        problems.push("a failed Sync one… shows no message".into());
    }
    d.type_text(&input, "2");
    if !eventually(Duration::from_secs(3), || d.text_of(&one).is_empty()) {
        problems.push(format!(
            "the failed Sync one… message stays after the input changed: {:?}",
            d.text_of(&one)
        ));
    }
    d.click(&d.wait_for(&format!("[data-testid='sync-one-submit-{key}']"), t));
    eventually(t, || d.text_of(&one).contains("nobody.here2"));
    d.click(&d.wait_for(&format!("[data-testid='preview-{key}']"), t));
    if !eventually(Duration::from_secs(10), || d.text_of(&one).is_empty()) {
        problems.push(format!(
            "the failed Sync one… message stays after Preview ran: {:?}",
            d.text_of(&one)
        ));
    }
    eventually(t, || {
        d.find_all("[data-testid='run-report'][data-outcome='preview']")
            .len()
            == 1
    });

    // A 2,000-character value in "Sync one…" and in a search box keeps the page as wide as the window.
    d.clear(&input);
    d.type_text(&input, &long);
    d.click(&d.wait_for(&format!("[data-testid='sync-one-submit-{key}']"), t));
    eventually(t, || d.text_of(&one).contains("xxxxxxxxxx"));
    eventually(t, || {
        d.find_all("[data-testid='run-report'][data-outcome='failed']")
            .len()
            == 1
    });
    std::thread::sleep(Duration::from_millis(300));
    problems.extend(width_problems(&d, "after a long Sync one…"));
    d.screenshot(&shots.join("ui-e2e-long-sync-one.png"));
    d.click(&d.wait_for("[data-testid='nav-users']", t));
    let search = d.wait_for("[data-testid='list-search']", t);
    d.type_text(&search, &long);
    eventually(Duration::from_secs(5), || {
        d.text_of("[data-testid='users-total']")
            .contains("xxxxxxxxxx")
    });
    std::thread::sleep(Duration::from_millis(300));
    problems.extend(width_problems(&d, "after a long search"));
    d.screenshot(&shots.join("ui-e2e-long-search.png"));

    // The smallest window (tauri.conf.json: 900 × 560): every row's buttons show.
    d.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 900, "height": 560})),
    );
    std::thread::sleep(Duration::from_millis(500));
    let size = d.execute("return [window.innerWidth, window.innerHeight];", json!([]));
    eprintln!("smallest window: {size}");
    d.click(&d.wait_for("[data-testid='nav-directories']", t));
    d.wait_for("[data-testid='directory-row']", t);
    std::thread::sleep(Duration::from_millis(300));
    problems.extend(button_problems(
        &d,
        "[data-testid='directory-row']",
        "smallest window",
    ));
    problems.extend(width_problems(&d, "smallest window"));
    d.screenshot(&shots.join("ui-e2e-smallest.png"));
    d.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 1280, "height": 820})),
    );

    // Deleting a tenant names it, and asks before it goes.
    d.click(&d.wait_for("[data-testid='tenant-delete']", t));
    let dialog = d.wait_for("[data-testid='tenant-dialog']", t);
    let said = d.text(&dialog);
    let button = d.text_of("[data-testid='tenant-dialog'] button[type='submit']");
    if !said.contains("Delete the tenant “Zeta old” and everything in it? This cannot be undone.")
    {
        problems.push(format!(
            "the delete dialog does not name the tenant: {said:?}"
        ));
    }
    if !button.contains("Zeta old") {
        problems.push(format!(
            "the delete button does not name the tenant: {button:?}"
        ));
    }
    d.click(&d.wait_for("[data-testid='tenant-dialog'] button[type='submit']", t));
    let gone = eventually(t, || {
        d.find_all("[data-testid='tenant-select'] option")
            .iter()
            .all(|o| d.text(o) != "Zeta old")
    });
    if !gone {
        problems.push("the tenant was not deleted".into());
    }

    // A cancelled sign-in of one vendor is not shown after choosing another.
    // "Add New Sync" opens the directory chooser.
    d.click(&d.wait_for("[data-testid='add-sync']", t));
    d.click(&d.wait_for("[data-testid='choose-entra']", t));
    d.click(&d.wait_for("[data-testid='cloud-choice-entra-demo']", t));
    d.click(&d.wait_for("[data-testid='cloud-next']", t));
    d.click(&d.wait_for("[data-testid='cloud-sign-in']", t));
    d.click(&d.wait_for("[data-testid='cloud-consent-cancel']", t));
    d.wait_for(
        "[data-testid='cloud-consent-failure'][data-phase='cancelled']",
        t,
    );
    d.click(&d.wait_for("[data-testid='cloud-back']", t));
    d.click(&d.wait_for("[data-testid='cloud-choice-okta-demo']", t));
    d.click(&d.wait_for("[data-testid='cloud-next']", t));
    d.wait_for("[data-testid='cloud-sign-in']", t);
    let stale = d.text_of("[data-testid='cloud-consent-failure']");
    if !stale.is_empty() {
        problems.push(format!(
            "Okta's sign-in step shows Entra's cancelled sign-in: {stale:?}"
        ));
    }
    d.screenshot(&shots.join("ui-e2e-window.png"));

    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
