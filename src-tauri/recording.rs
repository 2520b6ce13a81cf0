//! The recording the window's replay backend answers from when the UI runs in a plain browser
//! (`npm run --prefix ui dev`): a scripted session through the real Tauri commands (mock runtime, real
//! application layer, the demo tenant, the offline demo directory and the Entra ID emulator), written to
//! `ui/src/lib/backend/recorded/demo.json`. The UI never re-implements a rule to look alive; it replays
//! what the backend answered.
//!
//! The session is deterministic: a fixed clock, the demo's fixed seeds, and the ids Roster draws at
//! random (directory keys, the ids derived from them, connection ids, loopback ports, the consent page's
//! one-time values) renamed in the order they first appear. `the_recording_is_current` fails when the
//! committed file is stale; `npm run --prefix ui record` writes it again.

use super::tests::invoke;
use super::*;
use serde_json::{json, Value};
use std::sync::Mutex;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::Listener;

mod renames;
mod settings;
use renames::render;

/// Where the recording lives, from the repository root (this package's directory).
const RECORDING: &str = "ui/src/lib/backend/recorded/demo.json";
/// Set to write the recording instead of checking it.
const WRITE_ENV: &str = "ROSTER_WRITE_RECORDING";
/// What writes it again.
const COMMAND: &str = "npm run --prefix ui record";
/// The recorded session's clock: 28 November 2026, 09:00 UTC.
const T0: i64 = 1_795_856_400;

/// Commands about no tenant in particular; every other command names the window's tenant, as
/// `ui/src/lib/backend/tauri.ts` does.
const UNSCOPED: &[&str] = &[
    "app_limits",
    "connection_kinds",
    "tenant_list",
    "tenant_create",
    "tenant_switch",
    "tenant_rename",
    "tenant_delete",
    "consent_cancel",
    "server_status",
    "server_settings",
    "api_grants",
];

/// Drives the real commands and keeps each call: the arguments as the UI's `Backend` passes them
/// (without the tenant, which the real backend adds), the answer or the `{code, message}` rejection, and
/// the events sent while it ran.
struct Recorder {
    w: tauri::WebviewWindow<MockRuntime>,
    clock: Arc<roster_api::ManualClock>,
    tenant: String,
    events: Arc<Mutex<Vec<Value>>>,
    calls: Vec<Value>,
}

impl Recorder {
    fn call(&mut self, cmd: &str, args: Value) -> Result<Value, Value> {
        let mut body = args.clone();
        if !UNSCOPED.contains(&cmd) {
            body["tenant"] = json!(self.tenant);
        }
        let answer = invoke(&self.w, cmd, body);
        let events: Vec<Value> = std::mem::take(&mut *self.events.lock().unwrap());
        let mut call = json!({"cmd": cmd, "args": args});
        match &answer {
            Ok(v) => call["ok"] = v.clone(),
            Err(e) => call["err"] = e.clone(),
        }
        if !events.is_empty() {
            call["events"] = Value::Array(events);
        }
        self.calls.push(call);
        if cmd == "tenant_switch" {
            if let Ok(t) = &answer {
                self.tenant = t["id"].as_str().unwrap().to_string();
            }
        }
        answer
    }

    fn ok(&mut self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone())
            .unwrap_or_else(|e| panic!("{cmd} {args} failed while recording: {e}"))
    }

    fn err(&mut self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone())
            .err()
            .unwrap_or_else(|| panic!("{cmd} {args} was to fail while recording"))
    }

    /// Time passes between what an admin does.
    fn later(&self, minutes: i64) {
        self.clock.advance(minutes * 60);
    }
}

/// The pages a list of the window reads first (`ui/src/lib/directory/pager.ts`: 200 rows a page).
fn page(query: &str, offset: u64) -> Value {
    json!({"query": query, "offset": offset, "limit": 200})
}

/// The scripted session: what the window shows, from a new install to a held run approved, a second demo
/// sync, a cloud demo signed in to, another tenant, and the errors a window meets.
fn record() -> Vec<Value> {
    // The consent of the cloud demo opens no browser here; the recorder approves it itself.
    std::env::set_var("ROSTER_NO_BROWSER", "1");
    let dir = tempfile::tempdir().unwrap();
    let app = builder(mock_builder())
        .build(mock_context(noop_assets()))
        .unwrap();
    let clock = Arc::new(roster_api::ManualClock::new(roster_core::Timestamp(T0)));
    let roster = Arc::new(
        Roster::new(Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(roster_api::MemorySecrets::default()),
            clock: clock.clone(),
            events: Arc::new(events::WindowEvents(app.handle().clone())),
        })
        .unwrap(),
    );
    let tenant = roster.default_tenant(true).unwrap().id;
    // Roster's server on any free loopback port (renamed in the recording), over plain HTTP.
    std::fs::write(
        dir.path().join(roster_server::SETTINGS_FILE),
        r#"{"listen": "127.0.0.1:0", "tls": {"mode": "none"}}"#,
    )
    .unwrap();
    app.manage(AppState {
        roster: roster.clone(),
        caller: roster_api::Caller::Local,
        acting: Default::default(),
        server: Arc::new(server::DesktopServer::new(
            roster,
            Arc::new(roster_api::MemorySecrets::default()),
        )),
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    app.listen("sync-progress", move |e| {
        let payload: Value = serde_json::from_str(e.payload()).unwrap();
        seen.lock()
            .unwrap()
            .push(json!({"event": "sync-progress", "payload": payload}));
    });
    let seen = events.clone();
    app.listen("consent-progress", move |e| {
        let payload: Value = serde_json::from_str(e.payload()).unwrap();
        let url = payload["authorization_url"].as_str().unwrap().to_string();
        seen.lock()
            .unwrap()
            .push(json!({"event": "consent-progress", "payload": payload}));
        // The admin approves in the browser.
        tauri::async_runtime::spawn(async move {
            roster_emulator::auth::Browser::new()
                .visit(&url, roster_emulator::auth::Decision::Approve)
                .await
                .unwrap();
        });
    });
    let w = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let mut r = Recorder {
        w,
        clock,
        tenant,
        events,
        calls: Vec::new(),
    };

    // The window opens on the demo tenant of a new install.
    r.ok("app_limits", json!({}));
    r.ok("connection_kinds", json!({}));
    r.ok("tenant_list", json!({}));
    let dirs = r.ok("directory_list", json!({}));
    r.ok("runs_list", json!({"key": null, "limit": 200}));
    r.ok("connection_list", json!({}));
    for list in ["users_page", "groups_page", "admins_page", "trash_page"] {
        r.ok(list, page("", 0));
    }
    // Issue 13's sync screens (UI-1): who acts and what they may do, the SCIM tab, a sync's runs.
    r.ok("acting_as", json!({}));
    r.ok("scim_list", json!({}));
    let key_of = |dirs: &Value, sync_type: &str| {
        dirs.as_array()
            .unwrap()
            .iter()
            .find(|d| d["sync_type"] == sync_type)
            .unwrap()["directory_key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let users = key_of(&dirs, "user");
    let admins = key_of(&dirs, "admin");
    let demo_connection = dirs[0]["connection"]["id"].clone();
    r.ok("connection_test", json!({"id": demo_connection}));

    // Preview, then Sync Now, of the user sync and the admin sync.
    r.later(2);
    let run = |key: &str, dry_run: bool, approve: bool| json!({"key": key, "dry_run": dry_run, "approve": approve});
    r.ok("sync_run", run(&users, true, false));
    r.later(1);
    let first = r.ok("sync_run", run(&users, false, false));
    r.ok("directory_list", json!({}));
    r.later(1);
    r.ok("sync_run", run(&admins, false, false));
    r.ok("directory_list", json!({}));
    r.ok("runs_list", json!({"key": null, "limit": 200}));
    let run_id = first["run_id"].as_i64().unwrap();
    r.ok("run_detail", json!({"run_id": run_id}));
    r.ok(
        "run_changes",
        json!({"run_id": run_id, "from": 0, "limit": 1000}),
    );
    for list in ["users_page", "groups_page", "admins_page", "trash_page"] {
        r.ok(list, page("", 0));
    }
    r.ok("users_page", page("", 200));
    r.ok("users_page", page("an", 0));
    r.ok("groups_page", page("sales", 0));

    // One user, by username; one the directory does not have; one administrator, by email.
    let someone = r.ok("users_page", page("", 0))["rows"][0]["username"].clone();
    r.ok("sync_user", json!({"key": users, "username": someone}));
    r.ok(
        "sync_user",
        json!({"key": users, "username": "nobody.here"}),
    );
    let synced_admin = r.ok("admins_page", page("", 0))["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| !a["managed_by"].is_null())
        .unwrap()["email"]
        .clone();
    r.ok(
        "sync_user",
        json!({"key": admins, "username": synced_admin}),
    );

    // The organisation changes; with a 0% threshold a leaver holds the run until an admin approves it.
    r.ok(
        "directory_update",
        json!({"key": users, "patch": {"deletion_threshold_percent": 0}}),
    );
    r.later(30);
    let held = r.ok("sync_run", run(&users, false, false));
    assert_eq!(
        held["outcome"], "held",
        "the recording shows a held run: {held}"
    );
    r.ok("directory_list", json!({}));
    r.ok("runs_list", json!({"key": users, "limit": 1}));
    // The sync's page: its recent runs, and those held (the outcome filter pages them in the backend).
    for outcome in [json!(null), json!("held")] {
        r.ok(
            "runs_page",
            json!({"key": users, "outcome": outcome, "before": null, "limit": 25}),
        );
    }
    r.ok("run_detail", json!({"run_id": held["run_id"]}));
    r.later(5);
    r.ok("sync_run", run(&users, false, true));
    r.ok("directory_list", json!({}));
    r.ok("runs_list", json!({"key": null, "limit": 200}));
    r.ok("users_page", page("", 0));
    r.ok("trash_page", page("", 0));

    // UI-3: the lists searched, filtered and sorted; a user's and a group's page; the trash; Sync History.
    let query = |q: Value| json!({"query": q, "offset": 0, "limit": 200});
    let any = json!({"search": "", "status": null, "managed_by": {"kind": "any"}, "sort": "username", "descending": false});
    let listed = r.ok("user_list", query(any.clone()));
    r.ok(
        "user_list",
        query(json!({"search": "", "status": "active", "managed_by": {"kind": "sync", "key": users}, "sort": "name", "descending": true})),
    );
    r.ok(
        "user_list",
        query(json!({"search": "", "status": null, "managed_by": {"kind": "by_hand"}, "sort": "username", "descending": false})),
    );
    r.ok(
        "group_list",
        query(json!({"search": "", "managed_by": {"kind": "any"}, "status": null, "sort": "name", "descending": false})),
    );
    let trash_query = json!({"search": "", "status": null, "managed_by": {"kind": "any"}, "sort": "days_left", "descending": false});
    let trashed = r.ok("trash_list", query(trash_query.clone()));
    r.ok("list_actions", json!({}));
    let user_id = listed["rows"][0]["user_id"].clone();
    r.ok("user_detail", json!({"user_id": user_id}));
    r.ok(
        "user_history",
        json!({"user_id": user_id, "before": null, "limit": 20}),
    );
    let group_id = r.ok("group_list", query(json!({"search": "", "managed_by": {"kind": "any"}, "status": null, "sort": "name", "descending": false})))["rows"][0]["group_id"].clone();
    r.ok("group_detail", json!({"group_id": group_id}));
    r.ok(
        "group_members",
        json!({"group_id": group_id, "offset": 0, "limit": 50}),
    );
    // A group's status set by hand, then the Groups list filtered by it.
    r.ok(
        "group_set_status",
        json!({"group_id": group_id, "status": "bypass"}),
    );
    r.ok("group_detail", json!({"group_id": group_id}));
    for status in [json!("bypass"), json!("disabled"), json!(null)] {
        r.ok(
            "group_list",
            query(json!({"search": "", "managed_by": {"kind": "any"}, "status": status, "sort": "name", "descending": false})),
        );
    }
    r.ok("history_series", json!({"per_sync": 100}));
    r.ok(
        "runs_page",
        json!({"key": null, "outcome": null, "before": null, "limit": 50}),
    );
    if let Some(leaver) = trashed["rows"][0]["username"].as_str() {
        r.ok("trash_restore", json!({"username": leaver}));
        r.ok("trash_list", query(trash_query.clone()));
    }
    r.err("user_detail", json!({"user_id": "DUNOSUCHUSER"}));

    // Pause and resume the schedule; move a sync in the order of precedence.
    r.ok("directory_pause", json!({"key": admins}));
    r.ok("directory_resume", json!({"key": admins}));

    // A second demo sync, as the "Add a demo directory" form sends it by default.
    r.later(3);
    let added = r.ok(
        "directory_add",
        json!({"spec": {"name": "Demo directory", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}}),
    );
    let second = added["directory_key"].as_str().unwrap().to_string();
    r.ok("directory_list", json!({}));
    r.ok(
        "directory_update",
        json!({"key": second, "patch": {"precedence": 1}}),
    );
    r.ok("directory_list", json!({}));
    r.later(1);
    r.ok("sync_run", run(&second, false, false));
    r.ok("directory_list", json!({}));

    // The Entra ID demo: signing in through the (emulated) consent page, its groups, a sync.
    r.later(2);
    let entra = r.ok(
        "connection_authorize",
        json!({"connection": {"kind": "entra", "demo": true}}),
    );
    r.ok("connection_list", json!({}));
    let groups = r.ok(
        "connection_groups",
        json!({"id": entra["id"], "query": "", "limit": 50}),
    );
    let group = groups[0]["external_id"].clone();
    let cloud = r.ok(
        "directory_add",
        json!({"spec": {"name": "Entra ID users", "type": "user", "connection": entra["id"], "groups": [group]}}),
    );
    r.ok("directory_list", json!({}));
    r.later(1);
    r.ok(
        "sync_run",
        run(cloud["directory_key"].as_str().unwrap(), false, false),
    );
    r.ok("directory_list", json!({}));
    r.ok("connection_test", json!({"id": entra["id"]}));

    scim(&mut r);
    settings::record(&mut r);

    // What the window meets when something is wrong.
    r.err(
        "sync_run",
        json!({"key": "DSNOPE", "dry_run": false, "approve": false}),
    );
    r.err("run_detail", json!({"run_id": 999}));
    r.err(
        "directory_add",
        json!({"spec": {"name": "", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}}),
    );
    r.err(
        "directory_add",
        json!({"spec": {"name": "Demo directory", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}}),
    );
    r.err(
        "connection_set_secret",
        json!({"id": demo_connection, "secret": "x"}),
    );

    // Another tenant: created, opened (empty), and the demo tenant opened again.
    let demo_tenant = r.tenant.clone();
    let acme = r.ok("tenant_create", json!({"name": "Acme Dental"}));
    r.err("tenant_create", json!({"name": "Acme Dental"}));
    r.ok("tenant_switch", json!({"id": acme["id"]}));
    r.ok("tenant_list", json!({}));
    r.ok("directory_list", json!({}));
    r.ok("runs_list", json!({"key": null, "limit": 200}));
    r.ok("connection_list", json!({}));
    r.ok("users_page", page("", 0));
    r.ok("tenant_switch", json!({"id": demo_tenant}));
    r.ok("tenant_list", json!({}));
    r.ok("directory_list", json!({}));
    r.err("tenant_create", json!({"name": ""}));
    r.ok(
        "tenant_rename",
        json!({"id": acme["id"], "name": "Acme Dental Care"}),
    );
    r.ok("tenant_list", json!({}));
    r.ok("tenant_delete", json!({"id": acme["id"]}));
    r.ok("tenant_list", json!({}));

    // Administrators, who acts, and Settings (issue 13, UI-2): the Owner adds a User Manager and an
    // administrator with a custom role limited to individual syncs, views as the User Manager (refused an
    // admin sync), fails to switch to the other with a wrong passphrase, and switches back.
    let owner = r.ok("acting_as", json!({}))["email"].clone();
    r.ok("tenant_settings", json!({}));
    r.ok("role_list", json!({}));
    let operators = |query: &str| {
        json!({"filter": {"query": query, "status": null, "managed": {"kind": "any"}, "sort": "name", "descending": false},
               "offset": 0, "limit": 50})
    };
    r.ok("operators_page", operators(""));
    r.ok(
        "role_create",
        json!({"name": "Individual syncs", "directory_config": "none", "run_syncs": "individual"}),
    );
    r.ok("role_list", json!({}));
    r.ok(
        "operator_add",
        json!({"email": "uma@example.org", "name": "Uma Manager", "role": "User Manager"}),
    );
    r.ok(
        "operator_add",
        json!({"email": "ivy@example.org", "name": "Ivy Individual", "role": "Individual syncs"}),
    );
    r.ok("operators_page", operators(""));
    r.ok("operators_page", operators("uma"));
    r.ok("operator_get", json!({"email": "uma@example.org"}));
    r.ok(
        "operator_set_passphrase",
        json!({"email": "ivy@example.org", "passphrase": "ivy's passphrase"}),
    );
    r.err(
        "operator_set_passphrase",
        json!({"email": "uma@example.org", "passphrase": "short"}),
    );
    r.ok("tenant_set_retention", json!({"days": 14}));
    r.ok("tenant_set_default_threshold", json!({"percent": 20}));
    r.ok("operator_switch_targets", json!({}));
    r.ok(
        "operator_switch",
        json!({"email": "uma@example.org", "passphrase": null}),
    );
    r.ok("acting_as", json!({}));
    r.err("sync_run", run(&admins, false, false));
    r.err("tenant_set_retention", json!({"days": 30}));
    settings::refused(&mut r);
    r.ok("operator_switch_targets", json!({}));
    r.err(
        "operator_switch",
        json!({"email": "ivy@example.org", "passphrase": "not ivy's passphrase"}),
    );
    r.ok(
        "operator_switch",
        json!({"email": owner, "passphrase": null}),
    );
    r.ok("acting_as", json!({}));
    r.calls
}

/// SCIM integrations: Roster's server starts with the first; Okta pushes a person over HTTP; the token is
/// replaced; a second integration is added and deleted again (its users would stay).
fn scim(r: &mut Recorder) {
    r.later(2);
    r.ok("server_status", json!({}));
    r.ok("scim_list", json!({}));
    let issued = r.ok("scim_create", json!({"name": "Okta", "flavor": "okta"}));
    r.ok("server_status", json!({}));
    let base = issued["base_url"].as_str().unwrap();
    let pushed = reqwest::blocking::Client::new()
        .post(format!("{base}/Users"))
        .bearer_auth(issued["token"].as_str().unwrap())
        .header("Content-Type", "application/scim+json")
        .body(
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "pushed.person@example.org",
                "name": {"givenName": "Pushed", "familyName": "Person"},
                "active": true
            })
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(pushed.status(), 201, "{:?}", pushed.text());
    r.ok("scim_list", json!({}));
    r.ok("directory_list", json!({}));
    r.ok("users_page", page("pushed", 0));
    r.later(1);
    let key = issued["directory_key"].clone();
    r.ok("scim_regenerate", json!({"key": key}));
    r.ok("scim_list", json!({}));
    r.err("scim_create", json!({"name": "", "flavor": "generic"}));
    let other = r.ok(
        "scim_create",
        json!({"name": "Entra ID provisioning", "flavor": "generic"}),
    );
    r.ok("scim_list", json!({}));
    r.ok("directory_delete", json!({"key": other["directory_key"]}));
    r.ok("scim_list", json!({}));
    r.ok("directory_list", json!({}));
}

#[test]
fn the_recording_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORDING);
    let text = render(record());
    if std::env::var_os(WRITE_ENV).is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let differs = committed
        .lines()
        .zip(text.lines())
        .position(|(a, b)| a != b)
        .or((committed.lines().count() != text.lines().count()).then_some(0));
    assert!(
        differs.is_none(),
        "{RECORDING} is out of date: run `{COMMAND}` and commit (first differing line: {differs:?})"
    );
}

#[test]
fn a_recording_is_the_same_twice() {
    // The rename pass must be what makes two sessions alike, not luck: the same text from the same calls.
    let calls = vec![
        json!({"cmd": "directory_list", "ok": [{"directory_key": "DSABCDEFGHIJKLMNOPQR", "connection": {"id": "conn-0123456789ab"}}]}),
        json!({"cmd": "sync_run", "args": {"key": "DSABCDEFGHIJKLMNOPQR"}, "ok": {"message": "Run DSZZZZZZZZZZZZZZZZZZ at http://127.0.0.1:41234/x?state=q1w2&code_challenge=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A41234"}}),
        json!({"cmd": "server_status", "ok": {"origin": "http://127.0.0.1:0"}}),
        json!({"cmd": "scim_create", "ok": {"token": format!("roster_scim_{}", "x".repeat(43))}}),
    ];
    let text = render(calls);
    assert!(
        text.contains("\"key\":\"DSAAAAAAAAAAAAAAAAAB\""),
        "the first key seen is the first renamed, wherever it appears again: {text}"
    );
    assert!(text.contains("DSAAAAAAAAAAAAAAAAAC"), "{text}");
    assert!(text.contains("conn-000000000001"), "{text}");
    assert!(
        text.contains(
            "127.0.0.1:50001/x?state=recorded1&code_challenge=recorded2&redirect_uri=http%3A%2F%2F127.0.0.1%3A50001"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"origin\":\"http://127.0.0.1:0\""),
        "port 0 (any free port, as the settings say) is not a drawn port, and the address stays: {text}"
    );
    assert!(
        text.contains("\"token\":\"roster_scim_recorded1\""),
        "{text}"
    );
}
