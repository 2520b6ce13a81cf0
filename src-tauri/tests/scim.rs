//! The desktop app's SCIM server through the IPC commands: an integration added, a push over HTTP, the
//! token replaced, the integration deleted.

use super::{demo_app, invoke};

#[test]
fn adding_a_scim_integration_starts_the_server_and_a_push_reaches_the_tenant() {
    let (dir, roster, _app, w) = demo_app();
    // Any free port on loopback, as a saved setting (the default 8742 may be taken on a test machine).
    std::fs::write(
        dir.path().join(roster_server::SETTINGS_FILE),
        r#"{"listen": "127.0.0.1:0", "tls": {"mode": "none"}}"#,
    )
    .unwrap();
    let tenant = roster.default_tenant(false).unwrap().id;
    let before = invoke(&w, "server_status", serde_json::json!({})).unwrap();
    assert_eq!(
        before["running"], false,
        "no integration, no server: {before}"
    );

    let issued = invoke(
        &w,
        "scim_create",
        serde_json::json!({"tenant": tenant, "name": "Okta", "flavor": "okta"}),
    )
    .unwrap();
    let status = invoke(&w, "server_status", serde_json::json!({})).unwrap();
    assert_eq!(status["running"], true, "{status}");
    let origin = status["origin"].as_str().unwrap().to_string();
    assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
    let key = issued["directory_key"].as_str().unwrap();
    assert_eq!(issued["base_url"], format!("{origin}/scim/v2/{key}"));
    let token = issued["token"].as_str().unwrap();

    let http = reqwest::blocking::Client::new();
    let created = http
        .post(format!("{origin}/scim/v2/{key}/Users"))
        .bearer_auth(token)
        .header("Content-Type", "application/scim+json")
        .body(
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "pushed.person@example.org",
                "name": {"givenName": "Pushed", "familyName": "Person"},
                "active": true
            })
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text());
    let users = invoke(
        &w,
        "users_page",
        serde_json::json!({"tenant": tenant, "query": "pushed.person", "offset": 0, "limit": 5}),
    )
    .unwrap();
    assert_eq!(
        users["rows"][0]["username"], "pushed.person@example.org",
        "{users}"
    );
    assert_eq!(users["rows"][0]["managed_by"], "Okta", "{users}");

    let listed = invoke(&w, "scim_list", serde_json::json!({"tenant": tenant})).unwrap();
    assert_eq!(listed[0]["users"], 1, "{listed}");
    assert_eq!(listed[0]["base_url"], format!("{origin}/scim/v2/{key}"));
    assert!(
        !listed.to_string().contains(token),
        "the token is shown once, never listed"
    );
    let again = invoke(
        &w,
        "scim_regenerate",
        serde_json::json!({"tenant": tenant, "key": key}),
    )
    .unwrap();
    let refused = http
        .get(format!("{origin}/scim/v2/{key}/Users"))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401, "the old token stops at once");
    assert_ne!(again["token"], issued["token"]);
    invoke(
        &w,
        "directory_delete",
        serde_json::json!({"tenant": tenant, "key": key}),
    )
    .unwrap();
    assert!(
        invoke(&w, "scim_list", serde_json::json!({"tenant": tenant}))
            .unwrap()
            .as_array()
            .unwrap()
            .is_empty()
    );
}
