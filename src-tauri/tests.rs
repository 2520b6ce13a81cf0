//! Mock-runtime tests of the Tauri commands: real IPC requests through Tauri's invoke machinery, real
//! application layer and SQLite underneath, no display needed.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::Listener;

pub(crate) fn invoke(
    w: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn commands_cross_the_ipc_boundary_with_progress_events_and_coded_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = builder(mock_builder())
        .build(mock_context(noop_assets()))
        .unwrap();
    let roster = Arc::new(
        Roster::new(Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(roster_api::MemorySecrets::default()),
            clock: Arc::new(roster_api::SystemClock),
            events: Arc::new(events::WindowEvents(app.handle().clone())),
        })
        .unwrap(),
    );
    roster.default_tenant(true).unwrap();
    app.manage(AppState {
        roster: roster.clone(),
        caller: roster_api::Caller::Local,
        acting: Default::default(),
        server: Arc::new(crate::server::DesktopServer::new(
            roster,
            Arc::new(roster_api::MemorySecrets::default()),
        )),
    });
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = progress.clone();
    app.listen("sync-progress", move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let w = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    let tenants = invoke(&w, "tenant_list", serde_json::json!({})).unwrap();
    assert_eq!(
        tenants[0]["name"], "Demo",
        "a new install opens on the demo tenant: {tenants}"
    );
    assert_eq!(tenants[0]["current"], true);

    let dirs = invoke(&w, "directory_list", serde_json::json!({"tenant": "demo"})).unwrap();
    let user_sync = dirs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["sync_type"] == "user")
        .unwrap();
    let key = user_sync["directory_key"].as_str().unwrap().to_string();
    assert_eq!(user_sync["status"], "never_synced");

    let preview = invoke(
        &w,
        "sync_run",
        serde_json::json!({"tenant": "demo", "key": key, "dry_run": true, "approve": false}),
    )
    .unwrap();
    assert_eq!(preview["outcome"], "preview");
    let report = invoke(
        &w,
        "sync_run",
        serde_json::json!({"tenant": "demo", "key": key, "dry_run": false, "approve": false}),
    )
    .unwrap();
    assert_eq!(report["outcome"], "succeeded", "{report}");
    assert_eq!(report["counts"]["created"], 300);
    assert!(
        progress.load(Ordering::SeqCst) >= 3,
        "a run sends progress events (fetching, planning, applying, done)"
    );

    let users = invoke(
        &w,
        "users_page",
        serde_json::json!({"tenant": "demo", "query": "", "offset": 0, "limit": 5}),
    )
    .unwrap();
    assert_eq!(users["total"], 300);
    assert_eq!(
        users["rows"].as_array().unwrap().len(),
        5,
        "pages have the size asked for"
    );
    let runs = invoke(
        &w,
        "runs_list",
        serde_json::json!({"tenant": "demo", "key": key, "limit": 10}),
    )
    .unwrap();
    let run_id = runs[0]["run_id"].as_i64().unwrap();
    let detail = invoke(
        &w,
        "run_detail",
        serde_json::json!({"tenant": "demo", "run_id": run_id}),
    )
    .unwrap();
    assert!(
        detail["changes"].as_array().unwrap().len() >= 300,
        "the run keeps one change per object"
    );

    let err = invoke(
        &w,
        "sync_run",
        serde_json::json!({"tenant": "demo", "key": "DSNOPE", "dry_run": false, "approve": false}),
    )
    .unwrap_err();
    assert_eq!(
        err["code"], "not_found",
        "errors cross as {{code, message}}: {err}"
    );
    assert!(err["message"].as_str().unwrap().contains("DSNOPE"));
    let err = invoke(
        &w,
        "directory_add",
        serde_json::json!({"tenant": "demo", "spec": {"name": "x"}}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");
}

/// A mock app on a fresh data directory with the demo tenant open, and its main window.
pub(crate) fn demo_app() -> (
    tempfile::TempDir,
    Arc<Roster>,
    tauri::App<tauri::test::MockRuntime>,
    tauri::WebviewWindow<tauri::test::MockRuntime>,
) {
    let dir = tempfile::tempdir().unwrap();
    let app = builder(mock_builder())
        .build(mock_context(noop_assets()))
        .unwrap();
    let roster = Arc::new(
        Roster::new(Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(roster_api::MemorySecrets::default()),
            clock: Arc::new(roster_api::SystemClock),
            events: Arc::new(events::WindowEvents(app.handle().clone())),
        })
        .unwrap(),
    );
    roster.default_tenant(true).unwrap();
    app.manage(AppState {
        roster: roster.clone(),
        caller: roster_api::Caller::Local,
        acting: Default::default(),
        server: Arc::new(crate::server::DesktopServer::new(
            roster.clone(),
            Arc::new(roster_api::MemorySecrets::default()),
        )),
    });
    let w = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    (dir, roster, app, w)
}

#[test]
fn limits_precedence_change_pages_and_secret_reentry_cross_the_ipc_boundary() {
    let (_dir, roster, _app, w) = demo_app();
    let tenant = roster.default_tenant(false).unwrap().id;

    let limits = invoke(&w, "app_limits", serde_json::json!({})).unwrap();
    assert_eq!(
        limits,
        serde_json::json!({"name_max": roster_api::names::NAME_MAX}),
        "the window's forms get the backend's own name cap"
    );
    let err = invoke(
        &w,
        "tenant_create",
        serde_json::json!({"name": "x".repeat(roster_api::names::NAME_MAX + 1)}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");

    // A second user sync over the demo sync's own connection selects the same groups: adding it says so.
    let dirs = invoke(&w, "directory_list", serde_json::json!({"tenant": tenant})).unwrap();
    let first = dirs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["sync_type"] == "user")
        .unwrap()
        .clone();
    assert_eq!(first["precedence"], 1, "{first}");
    assert_eq!(first["conflicts"], 0, "{first}");
    let added = invoke(
        &w,
        "directory_add",
        serde_json::json!({"tenant": tenant, "spec": {"name": "Second", "type": "user", "connection": first["connection"]["id"]}}),
    )
    .unwrap();
    let second = added["directory_key"].as_str().unwrap().to_string();
    let overlaps = added["conflicts"].as_array().unwrap();
    assert_eq!(overlaps.len(), 1, "{added}");
    assert!(
        overlaps[0].as_str().unwrap().contains("Northwind staff"),
        "the overlap names the other sync: {added}"
    );
    let listed = invoke(&w, "directory_list", serde_json::json!({"tenant": tenant})).unwrap();
    let new = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["directory_key"] == second.as_str())
        .unwrap();
    assert_eq!(
        new["schedule"], "waiting",
        "a new sync waits for its first run: {new}"
    );
    assert_eq!(new["precedence"], 2);

    // Moving it first in the order of precedence.
    let moved = invoke(
        &w,
        "directory_update",
        serde_json::json!({"tenant": tenant, "key": second, "patch": {"precedence": 1}}),
    )
    .unwrap();
    assert_eq!(moved["precedence"], 1, "{moved}");
    let listed = invoke(&w, "directory_list", serde_json::json!({"tenant": tenant})).unwrap();
    let old = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["directory_key"] == first["directory_key"])
        .unwrap();
    assert_eq!(old["precedence"], 2, "the other sync moved down: {old}");
    let err = invoke(
        &w,
        "directory_update",
        serde_json::json!({"tenant": tenant, "key": second, "patch": {"precedence": 1, "colour": "red"}}),
    )
    .unwrap_err();
    assert!(
        err.as_str()
            .is_some_and(|m| m.contains("unknown field `colour`")),
        "an unknown patch field is refused (by Tauri, as a plain string): {err}"
    );

    // A run's change log, page by page, after the report's first changes.
    let report = invoke(
        &w,
        "sync_run",
        serde_json::json!({"tenant": tenant, "key": second, "dry_run": false, "approve": false}),
    )
    .unwrap();
    assert_eq!(report["outcome"], "succeeded", "{report}");
    let total = report["changes_total"].as_u64().unwrap();
    assert!(total >= 300, "{total}");
    assert_eq!(report["changes"].as_array().unwrap().len() as u64, total);
    let run_id = report["run_id"].as_i64().unwrap();
    let page = invoke(
        &w,
        "run_changes",
        serde_json::json!({"tenant": tenant, "run_id": run_id, "from": 100, "limit": 50}),
    )
    .unwrap();
    assert_eq!(page["changes"].as_array().unwrap().len(), 50);
    assert_eq!(page["next"], 150);
    assert_eq!(
        page["changes"][0], report["changes"][100],
        "pages continue the report's list"
    );
    let last = invoke(
        &w,
        "run_changes",
        serde_json::json!({"tenant": tenant, "run_id": run_id, "from": total - 10, "limit": 50}),
    )
    .unwrap();
    assert_eq!(last["changes"].as_array().unwrap().len(), 10);
    assert!(last["next"].is_null(), "{last}");

    // Secrets entered again: an imported LDAP connection needs its bind password.
    invoke(
        &w,
        "directory_add",
        serde_json::json!({"tenant": tenant, "spec": {"name": "Staff LDAP", "type": "user", "groups": ["cn=staff,dc=example,dc=org"],
            "connection": {"kind": "openldap", "servers": ["ldap://127.0.0.1:1"], "transport": "starttls",
                "bind_dn": "cn=admin,dc=example,dc=org", "bind_password": "old", "base_dn": "dc=example,dc=org"}}}),
    )
    .unwrap();
    let export = roster
        .session(&tenant, &roster_api::Caller::Local)
        .unwrap()
        .export_tenant()
        .unwrap();
    let imported = roster.import_tenant("Imported", &export).unwrap();
    invoke(&w, "tenant_switch", serde_json::json!({"id": imported.id})).unwrap();
    let tenant = imported.id.clone();
    let connections = invoke(&w, "connection_list", serde_json::json!({"tenant": tenant})).unwrap();
    let ldap = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "openldap")
        .unwrap();
    assert_eq!(ldap["status"], "needs_credentials", "{ldap}");
    let id = ldap["id"].as_str().unwrap().to_string();
    let err = invoke(
        &w,
        "connection_set_secret",
        serde_json::json!({"tenant": tenant, "id": id, "secret": ""}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");
    let updated = invoke(
        &w,
        "connection_set_secret",
        serde_json::json!({"tenant": tenant, "id": id, "secret": "n3w-bind-secret"}),
    )
    .unwrap();
    assert_eq!(updated["status"], "ready", "{updated}");
    assert!(
        !updated.to_string().contains("n3w-bind-secret"),
        "the secret never comes back: {updated}"
    );
    let demo = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "demo")
        .unwrap();
    let err = invoke(
        &w,
        "connection_set_secret",
        serde_json::json!({"tenant": tenant, "id": demo["id"], "secret": "x"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "validation", "a demo keeps no secret: {err}");
}

#[test]
fn progress_events_name_their_tenant() {
    let (_dir, _roster, app, w) = demo_app();
    let tenants = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = tenants.clone();
    app.listen("sync-progress", move |e| {
        let v: serde_json::Value = serde_json::from_str(e.payload()).unwrap();
        seen.lock()
            .unwrap()
            .push(v["tenant"].as_str().unwrap_or_default().to_string());
    });
    let open = invoke(&w, "tenant_list", serde_json::json!({})).unwrap();
    let id = open[0]["id"].as_str().unwrap().to_string();
    let tenant = id.clone();
    let dirs = invoke(&w, "directory_list", serde_json::json!({"tenant": tenant})).unwrap();
    let key = dirs[0]["directory_key"].clone();
    invoke(
        &w,
        "sync_run",
        serde_json::json!({"tenant": tenant, "key": key, "dry_run": true, "approve": false}),
    )
    .unwrap();
    let tenants = tenants.lock().unwrap();
    assert!(!tenants.is_empty());
    assert!(
        tenants.iter().all(|t| *t == id),
        "every event names the open tenant {id}: {tenants:?}"
    );
}

#[test]
fn connection_kinds_cross_the_ipc_boundary_as_the_registry_says() {
    let (_dir, _roster, _app, w) = demo_app();
    let kinds = invoke(&w, "connection_kinds", serde_json::json!({})).unwrap();
    assert_eq!(
        kinds,
        serde_json::to_value(roster_api::connection_kinds()).unwrap(),
        "the window gets the registry itself"
    );
    let list = kinds.as_array().unwrap();
    assert_eq!(
        list.len(),
        roster_api::ConnectionKind::ALL.len(),
        "every kind, once"
    );
    let cloud: Vec<&serde_json::Value> = list.iter().filter(|k| k["access"] == "cloud").collect();
    assert!(!cloud.is_empty(), "{kinds}");
    for k in &cloud {
        assert!(
            k["setup"]["settings"]
                .as_array()
                .is_some_and(|s| !s.is_empty()),
            "a cloud kind tells the window which settings to ask for: {k}"
        );
        assert!(
            k["demo_name"].is_string(),
            "the desktop app has the cloud demos, so each cloud kind names its demo: {k}"
        );
    }
    assert!(
        list.iter().any(|k| k["access"] == "ldap"
            && k["ldap_setup"]["username_attributes"][0]["value"].is_string()),
        "an LDAP kind offers its username attributes: {kinds}"
    );
    assert!(
        list.iter()
            .any(|k| k["admin_syncs"] == false && k["user_syncs"] == true),
        "the window learns which kinds have no admin syncs from the registry: {kinds}"
    );
}

pub(crate) mod adminapi;
mod scim;
mod server_settings;
