//! The desktop app's Admin API through the IPC commands: an application created starts the server, a
//! request signed with roster-duo's signer (a port of duo_client's) gets the tenant's users, a missing
//! grant is refused, and a reset secret stops the old one at once.

use super::{demo_app, invoke};
use roster_duo::signing::{sign, Canonical, Digest, SigVersion};
use roster_duo::Params;

/// Sends a v2-signed request (HMAC-SHA512, the `Date` header, as duo_client does) to the Admin API.
pub(crate) fn call(
    origin: &str,
    keys: &serde_json::Value,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap();
    let signed = Params::from_pairs(params.iter().copied());
    let signature = sign(
        keys["ikey"].as_str().unwrap(),
        keys["skey"].as_str().unwrap(),
        SigVersion::V2,
        Digest::Sha512,
        &Canonical {
            method,
            host: keys["host"].as_str().unwrap(),
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
    let http = reqwest::blocking::Client::new();
    let request = match method {
        "GET" => http.get(format!("{origin}{path}?{query}")),
        _ => http
            .post(format!("{origin}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(query),
    };
    let answer = request
        .header("Date", date)
        .header("Authorization", signature.authorization)
        .send()
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().unwrap())
}

#[test]
fn creating_an_admin_api_application_starts_the_server_and_a_signed_request_gets_users() {
    let (dir, roster, _app, w) = demo_app();
    std::fs::write(
        dir.path().join(roster_server::SETTINGS_FILE),
        r#"{"listen": "127.0.0.1:0", "tls": {"mode": "none"}}"#,
    )
    .unwrap();
    let tenant = roster.default_tenant(false).unwrap().id;
    // The demo tenant's user sync, run once: users to list.
    let dirs = invoke(&w, "directory_list", serde_json::json!({"tenant": tenant})).unwrap();
    let user_sync = dirs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["sync_type"] == "user")
        .unwrap()["directory_key"]
        .clone();
    let report = invoke(
        &w,
        "sync_run",
        serde_json::json!({"tenant": tenant, "key": user_sync, "dry_run": false, "approve": false}),
    )
    .unwrap();
    assert_eq!(report["outcome"], "succeeded", "{report}");
    let before = invoke(&w, "server_status", serde_json::json!({})).unwrap();
    assert_eq!(
        before["running"], false,
        "no application, no server: {before}"
    );

    let keys = invoke(
        &w,
        "api_create",
        serde_json::json!({"tenant": tenant, "name": "Reports", "grants": ["read_resource"]}),
    )
    .unwrap();
    let status = invoke(&w, "server_status", serde_json::json!({})).unwrap();
    assert_eq!(status["running"], true, "{status}");
    let origin = status["origin"].as_str().unwrap().to_string();
    assert_eq!(keys["host"], "127.0.0.1", "{keys}");

    let (code, users) = call(
        &origin,
        &keys,
        "GET",
        "/admin/v1/users",
        &[("limit", "5"), ("offset", "0")],
    );
    assert_eq!(code, 200, "{users}");
    assert_eq!(users["stat"], "OK", "{users}");
    let page = users["response"].as_array().unwrap();
    assert_eq!(page.len(), 5, "{users}");
    let window = invoke(
        &w,
        "users_page",
        serde_json::json!({"tenant": tenant, "query": "", "offset": 0, "limit": 1}),
    )
    .unwrap();
    assert_eq!(
        users["metadata"]["total_objects"], window["total"],
        "the API and the window count the same users: {users} {window}"
    );
    assert_eq!(users["metadata"]["next_offset"], 5, "{users}");
    let username = page[0]["username"].as_str().unwrap().to_string();
    let (_, one) = call(
        &origin,
        &keys,
        "GET",
        "/admin/v1/users",
        &[("username", &username)],
    );
    assert_eq!(one["response"][0]["username"], username, "{one}");

    let (code, refused) = call(
        &origin,
        &keys,
        "POST",
        "/admin/v1/users",
        &[("username", "not.granted")],
    );
    assert_eq!(
        (code, refused["code"].clone()),
        (403, 40301.into()),
        "{refused}"
    );

    let listed = invoke(&w, "api_list", serde_json::json!({"tenant": tenant})).unwrap();
    assert_eq!(listed[0]["ikey"], keys["ikey"], "{listed}");
    assert!(
        !listed.to_string().contains(keys["skey"].as_str().unwrap()),
        "the secret key is shown once, never listed"
    );
    let renewed = invoke(
        &w,
        "api_reset_secret",
        serde_json::json!({"tenant": tenant, "ikey": keys["ikey"]}),
    )
    .unwrap();
    let (code, old) = call(&origin, &keys, "GET", "/admin/v1/users", &[]);
    assert_eq!((code, old["code"].clone()), (401, 40103.into()), "{old}");
    let (code, _) = call(&origin, &renewed, "GET", "/admin/v1/users", &[]);
    assert_eq!(code, 200, "the new secret works");
    invoke(
        &w,
        "api_delete",
        serde_json::json!({"tenant": tenant, "ikey": keys["ikey"]}),
    )
    .unwrap();
    let (code, gone) = call(&origin, &renewed, "GET", "/admin/v1/users", &[]);
    assert_eq!((code, gone["code"].clone()), (401, 40102.into()), "{gone}");
}
