//! Mock-runtime tests of the Tauri commands: real IPC requests through Tauri's invoke machinery, real
//! application layer and SQLite underneath, no display needed.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::Listener;

fn invoke(
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
        roster,
        caller: roster_api::Caller::Local,
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
