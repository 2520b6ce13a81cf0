//! End-to-end test of SCIM Integrations in the real app (WebKitGTK through tauri-driver): an integration
//! added in the window, whose token (read from the window, shown once) lets a real HTTP client push a user
//! that the Users list then shows, and whose page lists the push.
//! Runs under the README's test command (ROSTER_UI_TEST=1, Xvfb, tauri-driver); otherwise says so and skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "ui_e2e/common.rs"]
mod common;

use common::{eventually, gone, open_app, roster_at, ui_turn};
use serde_json::json;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

#[test]
fn a_scim_integration_added_in_the_window_receives_a_pushed_user() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = roster_at(dir.path());
    r.create_tenant("E2E", None).unwrap();
    drop(r);
    // The app's SCIM server on a port of its own (tests run beside other apps).
    let port = common::free_port();
    std::fs::write(
        dir.path().join("server.json"),
        json!({"listen": format!("127.0.0.1:{port}")}).to_string(),
    )
    .unwrap();
    let d = open_app(dir.path());

    d.click(&d.wait_for("[data-testid='tab-scim']", T));
    d.click(&d.wait_for("[data-testid='scim-add']", T));
    d.type_text(&d.wait_for("[data-testid='scim-name']", T), "Entra push");
    d.click(&d.wait_for("[data-testid='scim-flavor'] option[value='generic']", T));
    d.click(&d.wait_for("[data-testid='scim-create']", T));
    let token_el = d.wait_for("[data-testid='scim-token']", T);
    let token = d.value(&token_el);
    let url_el = d.wait_for("[data-testid='scim-base-url']", T);
    let base = d.value(&url_el);
    assert!(token.starts_with("roster_scim_"), "the token is shown once");
    assert!(
        base.starts_with(&format!("http://127.0.0.1:{port}/scim/v2/")),
        "{base}"
    );
    assert!(d.text_of("[data-testid='scim-guide']").contains(&base));
    d.click(&d.wait_for("[data-testid='scim-token-copy']", T));
    d.click(&d.wait_for("[data-testid='scim-token-done']", T));
    assert!(
        gone(&d, "[data-testid='scim-token']"),
        "the token is shown only once"
    );

    // A real HTTP client pushes a user with the token read from the window.
    let http = reqwest::blocking::Client::new();
    let answer = http
        .post(format!("{base}/Users"))
        .bearer_auth(&token)
        .header("Content-Type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada.lovelace",
                "name": {"givenName": "Ada", "familyName": "Lovelace"}, "active": true,
                "emails": [{"value": "ada@example.org", "type": "work", "primary": true}]})
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201, "{:?}", answer.text());
    let wrong = http
        .get(format!("{base}/Users"))
        .bearer_auth("roster_scim_wrong")
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    // The user shows in the window's Users list.
    let shown = eventually(Duration::from_secs(60), || {
        d.click(&d.wait_for("[data-testid='nav-users']", T));
        std::thread::sleep(Duration::from_millis(500));
        !d.find_all("[data-testid='user-row'][data-username='ada.lovelace']")
            .is_empty()
    });
    assert!(shown, "the pushed user is listed");

    // The integration lists its push.
    d.click(&d.wait_for("[data-testid='nav-directories']", T));
    d.click(&d.wait_for("[data-testid='tab-scim']", T));
    let row = d.wait_for("[data-testid='scim-row']", T);
    let key = d.attribute(&row, "data-key").unwrap();
    d.click(&d.wait_for(&format!("[data-testid='scim-link-{key}']"), T));
    d.wait_for("[data-testid='run-row']", T);
}
