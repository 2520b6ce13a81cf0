//! The server's settings through the IPC commands: the window reads them, an Owner changes the port and
//! the server restarts on it (the new port answers, the old one does not), bad input and a taken port are
//! refused with what to do and change nothing, and an operator without the Owner role is refused by the
//! application layer. Also the Admin API grants the window offers.

use super::{demo_app, invoke};
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers(origin: &str) -> bool {
    reqwest::blocking::Client::new()
        .get(format!("{origin}/health"))
        .send()
        .is_ok_and(|r| r.status().is_success())
}

#[test]
fn an_owner_moves_the_server_to_another_port_and_it_restarts_there() {
    let (dir, roster, _app, w) = demo_app();
    let first = free_port();
    std::fs::write(
        dir.path().join(roster_server::SETTINGS_FILE),
        format!(r#"{{"listen": "127.0.0.1:{first}", "tls": {{"mode": "none"}}}}"#),
    )
    .unwrap();
    let tenant = roster.default_tenant(false).unwrap().id;
    let saved = invoke(&w, "server_settings", json!({})).unwrap();
    assert_eq!(saved["listen"], format!("127.0.0.1:{first}"), "{saved}");
    assert_eq!(saved["tls"], "none", "{saved}");

    // An application makes the server start.
    let keys = invoke(
        &w,
        "api_create",
        json!({"tenant": tenant, "name": "Script", "grants": ["read_log"]}),
    )
    .unwrap();
    let status = invoke(&w, "server_status", json!({})).unwrap();
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(status["listen"], format!("127.0.0.1:{first}"), "{status}");
    let old_origin = status["origin"].as_str().unwrap().to_string();
    assert!(answers(&old_origin));

    // Bad input: refused, nothing changed.
    let mut bad = saved.clone();
    bad["listen"] = json!("localhost");
    let e = invoke(
        &w,
        "server_configure",
        json!({"tenant": tenant, "settings": bad}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "validation", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("127.0.0.1:8742"),
        "{e}"
    );
    let mut everywhere = saved.clone();
    everywhere["listen"] = json!("0.0.0.0:8742");
    let e = invoke(
        &w,
        "server_configure",
        json!({"tenant": tenant, "settings": everywhere}),
    )
    .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("plain HTTP"), "{e}");

    // A port another program holds: refused, the server goes on where it was.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut onto_taken = saved.clone();
    onto_taken["listen"] = json!(taken.local_addr().unwrap().to_string());
    let e = invoke(
        &w,
        "server_configure",
        json!({"tenant": tenant, "settings": onto_taken}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "conflict", "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("Another program") && message.contains(&old_origin),
        "says what happened and where Roster still serves: {message}"
    );
    assert!(answers(&old_origin), "still serving on the old port");
    assert_eq!(
        invoke(&w, "server_settings", json!({})).unwrap()["listen"],
        format!("127.0.0.1:{first}"),
        "the previous settings are kept"
    );
    drop(taken);

    // The Owner moves it: the new port answers, the old one does not.
    let second = free_port();
    let mut moved = saved.clone();
    moved["listen"] = json!(format!("127.0.0.1:{second}"));
    let status = invoke(
        &w,
        "server_configure",
        json!({"tenant": tenant, "settings": moved.clone()}),
    )
    .unwrap();
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(status["listen"], format!("127.0.0.1:{second}"), "{status}");
    let new_origin = status["origin"].as_str().unwrap().to_string();
    assert_eq!(new_origin, format!("http://127.0.0.1:{second}"));
    assert!(answers(&new_origin), "the new port answers");
    assert!(!answers(&old_origin), "the old port no longer answers");
    let file = roster_server::ServerSettings::load(dir.path()).unwrap();
    assert_eq!(
        file.listen.port(),
        second,
        "saved where `rosterctl serve` reads it"
    );
    let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp() + 60) * 1000;
    let (code, log) = super::adminapi::call(
        &new_origin,
        &keys,
        "GET",
        "/admin/v2/logs/administrator",
        &[("mintime", "0"), ("maxtime", &now_ms.to_string())],
    );
    assert_eq!(code, 200, "{log}");
    assert_eq!(
        log.to_string().matches("server_settings_update").count(),
        1,
        "the change (not the refused ones) is in the administrator log: {log}"
    );

    // TLS with Roster's own certificate, on the same address: the server lets go of it and serves HTTPS.
    let mut tls = moved.clone();
    tls["tls"] = json!("generated");
    let status = invoke(
        &w,
        "server_configure",
        json!({"tenant": tenant, "settings": tls}),
    )
    .unwrap();
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(status["tls"], "generated", "{status}");
    assert_eq!(status["origin"], format!("https://127.0.0.1:{second}"));
    let fingerprint = status["fingerprint"].as_str().unwrap_or_default();
    assert_eq!(
        fingerprint.split(':').count(),
        32,
        "SHA-256, as browsers show it: {status}"
    );
    assert!(
        !answers(&new_origin),
        "plain HTTP is no longer served there"
    );

    // Someone who is not an Owner (a User Manager the Owner views as): refused by the application layer.
    invoke(
        &w,
        "operator_add",
        json!({"tenant": tenant, "email": "uma@demo.test", "name": "Uma", "role": "User Manager"}),
    )
    .unwrap();
    invoke(
        &w,
        "operator_switch",
        json!({"tenant": tenant, "email": "uma@demo.test", "passphrase": null}),
    )
    .unwrap();
    let e = invoke(
        &w,
        "server_configure",
        json!({"tenant": tenant, "settings": saved.clone()}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "forbidden", "{e}");
    assert!(e["message"].as_str().unwrap().contains("Owner"), "{e}");
    let acting = invoke(&w, "acting_as", json!({"tenant": tenant})).unwrap();
    assert!(
        acting["refused"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["permission"] == "server_settings"),
        "the window learns why the change is missing: {acting}"
    );
}

#[test]
fn the_window_offers_duo_s_six_grants_by_their_labels() {
    let (_dir, _roster, _app, w) = demo_app();
    let grants = invoke(&w, "api_grants", json!({})).unwrap();
    let labels: Vec<&str> = grants
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Grant administrators",
            "Grant read information",
            "Grant read log",
            "Grant read resource",
            "Grant settings",
            "Grant write resource"
        ]
    );
    assert_eq!(grants[3]["name"], "read_resource", "{grants}");
}
