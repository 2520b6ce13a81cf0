//! The lists' commands (UI-3) through real IPC requests on the mock runtime: the demo user sync run, then
//! the Users list searched, filtered and sorted, a user's page and history, a group's members, the trash
//! (who may, restore, purge now), Sync History's runs and series.

use super::tests::{demo_app, invoke};
use serde_json::{json, Value};

fn ok(w: &tauri::WebviewWindow<tauri::test::MockRuntime>, cmd: &str, args: Value) -> Value {
    invoke(w, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

#[test]
fn the_lists_commands_cross_the_ipc_boundary() {
    let (_dir, roster, _app, w) = demo_app();
    let tenant = roster.default_tenant(false).unwrap().id;
    let dirs = ok(&w, "directory_list", json!({"tenant": tenant}));
    let key = dirs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["sync_type"] == "user")
        .unwrap()["directory_key"]
        .clone();
    ok(
        &w,
        "directory_update",
        json!({"tenant": tenant, "key": key, "patch": {"deletion_threshold_percent": 100}}),
    );
    for _ in 0..2 {
        let run = ok(
            &w,
            "sync_run",
            json!({"tenant": tenant, "key": key, "dry_run": false, "approve": false}),
        );
        assert_eq!(run["outcome"], "succeeded", "{run}");
    }

    let q = json!({"search": "", "status": "active", "managed_by": {"kind": "sync", "key": key}, "sort": "email", "descending": true});
    let page = ok(
        &w,
        "user_list",
        json!({"tenant": tenant, "query": q, "offset": 0, "limit": 5}),
    );
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let emails: Vec<String> = rows
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(
        emails.windows(2).all(|p| p[0] >= p[1]),
        "by email, descending: {emails:?}"
    );
    assert!(rows.iter().all(|r| r["status"] == "active"));
    let none = ok(
        &w,
        "user_list",
        json!({"tenant": tenant, "query": {"managed_by": {"kind": "by_hand"}}, "offset": 0, "limit": 5}),
    );
    assert_eq!(
        none["total"], 0,
        "a query leaves out what it does not filter by"
    );

    let user_id = rows[0]["user_id"].clone();
    let detail = ok(
        &w,
        "user_detail",
        json!({"tenant": tenant, "user_id": user_id}),
    );
    assert_eq!(detail["managed_by"]["directory_key"], key);
    assert_eq!(detail["fields"][0]["label"], "Username");
    assert!(detail["fields"][0]["synced_from"].is_string(), "{detail}");
    let history = ok(
        &w,
        "user_history",
        json!({"tenant": tenant, "user_id": user_id, "before": null, "limit": 10}),
    );
    assert_eq!(
        history["entries"].as_array().unwrap().last().unwrap()["action"],
        "create",
        "{history}"
    );
    let missing = invoke(
        &w,
        "user_detail",
        json!({"tenant": tenant, "user_id": "DUNOPE"}),
    )
    .unwrap_err();
    assert_eq!(missing["code"], "not_found", "{missing}");

    let groups = ok(
        &w,
        "group_list",
        json!({"tenant": tenant, "query": {"sort": "name"}, "offset": 0, "limit": 50}),
    );
    let group = &groups["rows"][0];
    let g = ok(
        &w,
        "group_detail",
        json!({"tenant": tenant, "group_id": group["group_id"]}),
    );
    assert_eq!(g["member_count"], group["member_count"]);
    let members = ok(
        &w,
        "group_members",
        json!({"tenant": tenant, "group_id": group["group_id"], "offset": 0, "limit": 3}),
    );
    assert_eq!(members["total"], group["member_count"]);
    assert_eq!(group["status"], "active", "a sync makes groups active");
    let set = ok(
        &w,
        "group_set_status",
        json!({"tenant": tenant, "group_id": group["group_id"], "status": "bypass"}),
    );
    assert_eq!(set["status"], "bypass", "{set}");
    let bypass = ok(
        &w,
        "group_list",
        json!({"tenant": tenant, "query": {"status": "bypass"}, "offset": 0, "limit": 50}),
    );
    assert_eq!(bypass["total"], 1, "{bypass}");
    assert_eq!(bypass["rows"][0]["group_id"], group["group_id"]);
    let wrong = invoke(
        &w,
        "group_set_status",
        json!({"tenant": tenant, "group_id": group["group_id"], "status": "locked out"}),
    )
    .unwrap_err();
    assert!(wrong.to_string().contains("locked out"), "{wrong}");

    let actions = ok(&w, "list_actions", json!({"tenant": tenant}));
    assert_eq!(actions["purge"]["allowed"], true, "{actions}");
    assert_eq!(actions["set_group_status"]["allowed"], true, "{actions}");
    let trash = ok(
        &w,
        "trash_list",
        json!({"tenant": tenant, "query": {"sort": "days_left"}, "offset": 0, "limit": 50}),
    );
    let trashed = trash["rows"].as_array().unwrap();
    assert!(!trashed.is_empty(), "the demo's leavers are in the trash");
    let name = trashed[0]["username"].clone();
    ok(
        &w,
        "trash_restore",
        json!({"tenant": tenant, "username": name}),
    );
    let again = invoke(
        &w,
        "trash_purge",
        json!({"tenant": tenant, "username": name}),
    )
    .unwrap_err();
    assert_eq!(
        again["code"], "not_found",
        "a restored user is no longer in the trash: {again}"
    );

    let series = ok(
        &w,
        "history_series",
        json!({"tenant": tenant, "per_sync": 50}),
    );
    let line = series["syncs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sync"]["directory_key"] == key)
        .unwrap();
    assert_eq!(line["points"].as_array().unwrap().len(), 2, "{line}");
    assert!(line["points"][1]["managed"].as_u64().unwrap() > 0);
    let runs = ok(
        &w,
        "runs_page",
        json!({"tenant": tenant, "key": null, "before": null, "limit": 1}),
    );
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);
    assert!(runs["next"].is_number(), "{runs}");
}
