//! End-to-end test of Settings' server and Admin API parts in the real app (WebKitGTK through
//! tauri-driver), with a real client over HTTP on loopback:
//!
//! - An Admin API application is created in the window; its integration key, secret key and API hostname
//!   are read from the window, and a request signed with roster-duo's signer (a port of duo_client's) gets
//!   a 200 with Duo's envelope from the desktop app's server. "Last used" then shows in the window.
//! - Reset secret key in the window: the old secret is refused with Duo's 40103, the new one accepted.
//! - The server section shows where the server listens; changing the port in the window restarts the
//!   server: the new port answers (a signed request too), the old one does not.
//! - Delete in the window: the keys stop working (Duo's 40102).
//!
//! Runs under the README's test command (ROSTER_UI_TEST=1, Xvfb, tauri-driver); otherwise says so and skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "ui_e2e/common.rs"]
mod common;

use common::{eventually, free_port, ui_turn, Driver};
use roster_api::{Caller, MemorySecrets, Options, Roster, SystemClock};
use roster_duo::signing::{sign, Canonical, Digest, SigVersion};
use roster_duo::Params;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// The keys as the window showed them.
struct Keys {
    ikey: String,
    skey: String,
    host: String,
}

/// Sends a v2-signed GET (HMAC-SHA512 and the `Date` header, as duo_client does) to the Admin API.
fn signed_get(origin: &str, keys: &Keys, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap();
    let signed = Params::from_pairs(params.iter().copied());
    let signature = sign(
        &keys.ikey,
        &keys.skey,
        SigVersion::V2,
        Digest::Sha512,
        &Canonical {
            method: "GET",
            host: &keys.host,
            path,
            date: &date,
            params: &signed,
            body: b"",
            x_duo_headers: &[],
        },
    );
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    let answer = reqwest::blocking::Client::new()
        .get(format!("{origin}{path}?{query}"))
        .header("Date", date)
        .header("Authorization", signature.authorization)
        .send()
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().unwrap())
}

/// Whether something answers HTTP at `origin`.
fn answers(origin: &str) -> bool {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("{origin}/health"))
        .send()
        .is_ok()
}

/// The value of the input `css` (the property the window binds).
fn value(d: &Driver, css: &str) -> String {
    d.wait_for(css, T);
    d.execute(
        "return document.querySelector(arguments[0]).value",
        json!([css]),
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The keys the window reveals (after Create or Reset secret key).
fn revealed(d: &Driver, why: &str) -> Keys {
    d.wait_for(&format!("[data-testid='api-reveal'][data-why='{why}']"), T);
    Keys {
        ikey: value(d, "[data-testid='api-reveal-ikey']"),
        skey: value(d, "[data-testid='api-reveal-skey']"),
        host: value(d, "[data-testid='api-reveal-host']"),
    }
}

/// A data directory with one empty tenant whose server is to listen on `port`, and the app open on it.
fn open_app(port: u16) -> (tempfile::TempDir, Driver) {
    let dir = tempfile::tempdir().unwrap();
    let r = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant("Settings", None).unwrap();
    r.session("Settings", &Caller::Local).unwrap();
    drop(r);
    std::fs::write(
        dir.path().join(roster_server::SETTINGS_FILE),
        format!(r#"{{"listen": "127.0.0.1:{port}", "tls": {{"mode": "none"}}}}"#),
    )
    .unwrap();
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());
    (dir, d)
}

#[test]
fn an_admin_api_application_made_in_the_window_serves_a_real_client_and_the_server_moves_port() {
    let Some(_turn) = ui_turn() else { return };
    let first = free_port();
    let (_dir, d) = open_app(first);
    d.execute("location.hash = '#/settings'", json!([]));

    // Nothing needs the server yet: it says where it will listen, and the list says what to do first.
    let facts = d.wait_for("[data-testid='server-facts']", T);
    assert_eq!(d.attribute(&facts, "data-running").as_deref(), Some("no"));
    assert_eq!(
        d.text_of("[data-testid='server-listen']"),
        format!("127.0.0.1:{first}")
    );
    let empty = d.text(&d.wait_for("[data-testid='api-empty']", T));
    assert!(empty.contains("API hostname"), "{empty}");

    // Create: the secret key is shown once.
    let name = d.wait_for("[data-testid='api-create-name']", T);
    d.type_text(&name, "Nightly report");
    let read = d.wait_for("[data-testid='api-grant-read_resource']", T);
    assert!(
        d.execute(
            "return arguments[0].checked",
            json!([{common::ELEMENT: read}])
        )
        .as_bool()
        .unwrap(),
        "Grant read resource is offered checked"
    );
    d.click(&d.wait_for("[data-testid='api-create']", T));
    let keys = revealed(&d, "created");
    assert!(
        keys.ikey.starts_with("DI") && keys.ikey.len() == 20,
        "{}",
        keys.ikey
    );
    assert_eq!(keys.skey.len(), 40);
    assert_eq!(keys.host, "127.0.0.1");
    let reveal = d.text(&d.wait_for("[data-testid='api-reveal']", T));
    assert!(reveal.contains("you will not see it again"), "{reveal}");

    // The first application started the server, at the address the window shows.
    assert!(
        eventually(T, || d
            .find_all("[data-testid='server-facts'][data-running='yes']")
            .len()
            == 1),
        "the server section shows it serving"
    );
    let origin = d.text_of("[data-testid='server-origin']");
    assert_eq!(origin, format!("http://127.0.0.1:{first}"));
    let row = format!("[data-testid='api-row'][data-ikey='{}']", keys.ikey);
    let last_used = format!("{row} [data-testid='api-last-used']");
    let cell = d.wait_for(&last_used, T);
    assert_eq!(d.attribute(&cell, "data-last-used").as_deref(), Some(""));
    assert_eq!(d.text(&cell), "Never");

    // A real client, signing with the keys read from the window.
    let (code, users) = signed_get(&origin, &keys, "/admin/v1/users", &[("limit", "10")]);
    assert_eq!(code, 200, "{users}");
    assert_eq!(users["stat"], "OK", "Duo's envelope: {users}");
    assert!(users["response"].is_array(), "{users}");
    assert!(users["metadata"]["total_objects"].is_number(), "{users}");

    // "Last used" shows once the window asks again.
    assert!(
        eventually(T, || {
            d.click(&d.wait_for("[data-testid='api-refresh']", T));
            std::thread::sleep(Duration::from_millis(300));
            d.find_all(&last_used)
                .first()
                .and_then(|c| d.attribute(c, "data-last-used"))
                .is_some_and(|v| !v.is_empty())
        }),
        "last used shows after a request"
    );
    assert_ne!(d.text_of(&last_used), "Never");
    d.click(&d.wait_for("[data-testid='api-reveal-done']", T));

    // Reset secret key, confirmed: the old secret is refused, the new one accepted.
    d.click(&d.wait_for(&format!("[data-testid='api-reset-{}']", keys.ikey), T));
    d.click(&d.wait_for("[data-testid='api-confirm-reset']", T));
    let renewed = revealed(&d, "reset");
    assert_eq!(renewed.ikey, keys.ikey);
    assert_ne!(renewed.skey, keys.skey);
    let (code, old) = signed_get(&origin, &keys, "/admin/v1/users", &[]);
    assert_eq!((code, old["code"].clone()), (401, json!(40103)), "{old}");
    let (code, new) = signed_get(&origin, &renewed, "/admin/v1/users", &[]);
    assert_eq!(code, 200, "the new secret works: {new}");
    d.click(&d.wait_for("[data-testid='api-reveal-done']", T));

    // The server moves to another port: the new one answers, the old one does not.
    let second = free_port();
    let listen = d.wait_for("[data-testid='server-listen-input']", T);
    d.clear(&listen);
    d.type_text(&listen, &format!("127.0.0.1:{second}"));
    d.click(&d.wait_for("[data-testid='server-save']", T));
    let saved = d.text(&d.wait_for("[data-testid='server-saved']", T));
    let moved = format!("http://127.0.0.1:{second}");
    assert!(saved.contains(&moved), "{saved}");
    assert_eq!(
        d.text_of("[data-testid='server-listen']"),
        format!("127.0.0.1:{second}")
    );
    assert_eq!(d.text_of("[data-testid='server-origin']"), moved);
    assert!(answers(&moved), "the new port answers");
    assert!(!answers(&origin), "the old port no longer answers");
    let (code, moved_users) = signed_get(&moved, &renewed, "/admin/v1/users", &[]);
    assert_eq!(code, 200, "the Admin API on the new port: {moved_users}");

    // Delete, confirmed: the keys stop working and the list is empty again.
    d.click(&d.wait_for(&format!("[data-testid='api-delete-{}']", keys.ikey), T));
    d.click(&d.wait_for("[data-testid='api-confirm-delete']", T));
    d.wait_for("[data-testid='api-empty']", T);
    let (code, gone) = signed_get(&moved, &renewed, "/admin/v1/users", &[]);
    assert_eq!((code, gone["code"].clone()), (401, json!(40102)), "{gone}");
}

#[test]
fn a_taken_port_is_refused_in_the_window_and_the_server_stays_where_it_was() {
    let Some(_turn) = ui_turn() else { return };
    let first = free_port();
    let (_dir, d) = open_app(first);
    d.execute("location.hash = '#/settings'", json!([]));
    let name = d.wait_for("[data-testid='api-create-name']", T);
    d.type_text(&name, "Starts the server");
    d.click(&d.wait_for("[data-testid='api-create']", T));
    d.wait_for("[data-testid='api-reveal']", T);
    assert!(eventually(T, || d
        .find_all("[data-testid='server-facts'][data-running='yes']")
        .len()
        == 1));
    let origin = format!("http://127.0.0.1:{first}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = d.wait_for("[data-testid='server-listen-input']", T);
    d.clear(&listen);
    d.type_text(&listen, &taken.local_addr().unwrap().to_string());
    d.click(&d.wait_for("[data-testid='server-save']", T));
    let error = d.text(&d.wait_for("[data-testid='server-error']", T));
    assert!(
        error.contains("Another program") && error.contains(&origin),
        "says what happened and where Roster still serves: {error}"
    );
    assert_eq!(
        d.text_of("[data-testid='server-listen']"),
        format!("127.0.0.1:{first}")
    );
    assert!(answers(&origin), "still serving on the old port");
    drop(taken);
}
