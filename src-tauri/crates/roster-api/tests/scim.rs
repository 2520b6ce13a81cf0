//! SCIM integrations through the application layer (no HTTP): tokens pick the tenant, pushes become
//! Roster users and groups through the planner, a failing push changes nothing, and precedence between
//! an integration and a directory sync holds as for any two syncs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::scim::{ScimFlavor, TokenStatus};
use roster_api::{spec, Caller, Code, ManualClock, MemorySecrets, Options, PageAt, Roster};
use roster_core::Timestamp;
use roster_store::ResourceKind;
use serde_json::{json, Value};
use std::sync::Arc;

const T0: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const ORIGIN: &str = "http://127.0.0.1:8742";

fn roster(dir: &std::path::Path, clock: Arc<ManualClock>) -> Roster {
    Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock,
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap()
}

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn user(name: &str, given: &str) -> Vec<u8> {
    body(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": given, "familyName": "Doe"},
        "emails": [{"value": name, "type": "work", "primary": true}],
        "active": true
    }))
}

fn status_of(r: &Roster, tenant: &str, username: &str, trash: bool) -> Option<String> {
    let s = r.session(tenant, &Caller::Local).unwrap();
    let page = if trash {
        s.trash_page(username, PageAt::Offset(0), 10).unwrap()
    } else {
        s.users_page(username, PageAt::Offset(0), 10).unwrap()
    };
    let v = serde_json::to_value(&page.rows).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"].as_str() == Some(username))
        .map(|u| u["status"].as_str().unwrap().to_string())
}

#[test]
fn a_token_opens_its_own_integration_only_and_stops_when_replaced_or_expired() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let r = roster(dir.path(), clock.clone());
    r.create_tenant("Acme", None).unwrap();
    r.create_tenant("Globex", None).unwrap();
    let acme = r.session("Acme", &Caller::Local).unwrap();
    let globex = r.session("Globex", &Caller::Local).unwrap();
    let a = acme
        .create_scim_integration("Okta", ScimFlavor::Okta, ORIGIN)
        .unwrap();
    let g = globex
        .create_scim_integration("Entra", ScimFlavor::Generic, ORIGIN)
        .unwrap();
    assert_eq!(a.base_url, format!("{ORIGIN}/scim/v2/{}", a.directory_key));
    assert!(a.token.len() >= 43);

    // Each key with its own token picks its tenant; the window's tenant plays no part.
    r.remember_tenant(globex.tenant_id()).unwrap();
    let door = r.scim_door(&a.directory_key, &a.token).unwrap();
    assert_eq!(door.tenant(), acme.tenant_id());
    assert_eq!(
        r.scim_door(&g.directory_key, &g.token).unwrap().tenant(),
        globex.tenant_id()
    );
    // Another integration's token, a wrong one, an unknown key: the same refusal.
    for (key, token) in [
        (&a.directory_key, &g.token),
        (&a.directory_key, &"roster_scim_wrong".to_string()),
        (&"DSNOSUCHKEY".to_string(), &a.token),
    ] {
        let e = r.scim_door(key, token).unwrap_err();
        assert_eq!(e.code, Code::Unauthorized, "{e:?}");
        assert!(!e.message.contains(token.as_str()), "never echo a token");
    }

    // Regenerated: the old token stops at once.
    let again = acme
        .regenerate_scim_token(&a.directory_key, ORIGIN)
        .unwrap();
    assert_eq!(
        r.scim_door(&a.directory_key, &a.token).unwrap_err().code,
        Code::Unauthorized
    );
    r.scim_door(&a.directory_key, &again.token).unwrap();

    // Expiry: warned two weeks ahead, refused after 90 days.
    clock.set(Timestamp(T0 + 80 * DAY));
    let listed = acme.scim_integrations(ORIGIN).unwrap();
    assert_eq!(listed[0].token_status, TokenStatus::ExpiresSoon);
    assert!(listed[0]
        .token_message
        .as_ref()
        .unwrap()
        .contains("10 days"));
    clock.set(Timestamp(T0 + 91 * DAY));
    assert_eq!(
        r.scim_door(&a.directory_key, &again.token)
            .unwrap_err()
            .code,
        Code::Unauthorized
    );
    assert_eq!(
        acme.scim_integrations(ORIGIN).unwrap()[0].token_status,
        TokenStatus::Expired
    );
}

#[test]
fn pushes_become_users_and_groups_and_a_delete_goes_to_the_trash() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let r = roster(dir.path(), clock.clone());
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let issued = s
        .create_scim_integration("Okta", ScimFlavor::Okta, ORIGIN)
        .unwrap();
    let door = r
        .scim_door(&issued.directory_key, &issued.token)
        .unwrap()
        .at(ORIGIN);

    let alice = door
        .create(ResourceKind::User, &user("alice@example.org", "Alice"))
        .unwrap();
    let alice_id = alice["id"].as_str().unwrap().to_string();
    assert_eq!(
        alice["meta"]["location"],
        format!("{}/Users/{alice_id}", issued.base_url)
    );
    assert_eq!(
        status_of(&r, "Acme", "alice@example.org", false).as_deref(),
        Some("active")
    );
    let dup = door
        .create(ResourceKind::User, &user("ALICE@example.org", "Again"))
        .unwrap_err();
    assert_eq!(dup.status, 409, "{dup:?}");

    // Group with a member; the user's groups follow.
    let group = door
        .create(
            ResourceKind::Group,
            &body(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Engineering",
                "members": [{"value": alice_id}]
            })),
        )
        .unwrap();
    let group_id = group["id"].as_str().unwrap().to_string();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let users =
        serde_json::to_value(s.users_page("alice", PageAt::Offset(0), 10).unwrap().rows).unwrap();
    assert_eq!(users[0]["groups"], json!(["Engineering"]), "{users}");

    // Okta's path-less deactivation disables; the user comes back with active true.
    door.patch(
        ResourceKind::User,
        &alice_id,
        &body(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
        None,
    )
    .unwrap();
    assert_eq!(
        status_of(&r, "Acme", "alice@example.org", false).as_deref(),
        Some("disabled")
    );

    // Members removed by Entra's form; the group renamed by Okta's.
    door.patch(
        ResourceKind::Group,
        &group_id,
        &body(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "value": {"id": group_id, "displayName": "Platform"}},
                {"op": "Remove", "path": "members", "value": [{"value": alice_id}]}
            ]
        })),
        None,
    )
    .unwrap();
    let got = door
        .get(
            ResourceKind::Group,
            &group_id,
            &roster_scim::Projection::all(roster_scim::ResourceKind::Group),
        )
        .unwrap()
        .body;
    assert_eq!(got["displayName"], "Platform");
    assert!(got.get("members").is_none(), "{got}");
    let users =
        serde_json::to_value(s.users_page("alice", PageAt::Offset(0), 10).unwrap().rows).unwrap();
    assert_eq!(users[0]["groups"], json!([]), "{users}");

    // DELETE: to the trash, restorable; the integration answers 404 after it.
    door.delete(ResourceKind::User, &alice_id, None).unwrap();
    assert_eq!(
        status_of(&r, "Acme", "alice@example.org", true).as_deref(),
        Some("pending deletion")
    );
    let e = door
        .get(
            ResourceKind::User,
            &alice_id,
            &roster_scim::Projection::all(roster_scim::ResourceKind::User),
        )
        .unwrap_err();
    assert_eq!(e.status, 404);

    // Every push is in the integration's history, a minute's pushes as one run.
    let runs = s.list_runs(Some(&issued.directory_key), 10).unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    clock.set(Timestamp(T0 + 120));
    door.create(ResourceKind::User, &user("bob@example.org", "Bob"))
        .unwrap();
    assert_eq!(
        s.list_runs(Some(&issued.directory_key), 10).unwrap().len(),
        2
    );

    // A SCIM integration is not synced from Roster.
    let e = futures_lite(s.run_sync(
        &issued.directory_key,
        roster_api::RunMode::Full { approve: false },
        roster_api::Trigger::Manual,
    ))
    .unwrap_err();
    assert_eq!(e.code, Code::Validation);
    assert!(e.message.contains("pushes changes"), "{}", e.message);
}

#[test]
fn a_user_that_a_sync_coming_first_manages_is_refused_with_its_name_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let r = roster(dir.path(), clock);
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    // The demo sync comes first (added first) and manages the demo's people.
    let demo = s
        .add_directory(
            spec::parse(r#"{"name": "HR directory", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 50}}"#)
                .unwrap(),
        )
        .unwrap();
    futures_lite(s.run_sync(
        &demo.directory_key,
        roster_api::RunMode::Full { approve: false },
        roster_api::Trigger::Manual,
    ))
    .unwrap();
    let page = serde_json::to_value(s.users_page("", PageAt::Offset(0), 1).unwrap().rows).unwrap();
    let taken = page[0]["username"].as_str().unwrap().to_string();

    let issued = s
        .create_scim_integration("Okta", ScimFlavor::Okta, ORIGIN)
        .unwrap();
    let door = r
        .scim_door(&issued.directory_key, &issued.token)
        .unwrap()
        .at(ORIGIN);
    let e = door
        .create(ResourceKind::User, &user(&taken, "Someone"))
        .unwrap_err();
    assert_eq!(e.status, 409, "{e:?}");
    assert!(
        e.detail.contains("HR directory"),
        "names the owner: {}",
        e.detail
    );
    let list = door
        .list(
            ResourceKind::User,
            &roster_scim::ListQuery::from_query(
                roster_scim::ResourceKind::User,
                &[],
                &roster_scim::Limits::default(),
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(
        list["totalResults"], 0,
        "the refused push left nothing: {list}"
    );

    // Moved above the demo sync, the integration takes the user over.
    s.update_directory(
        &issued.directory_key,
        roster_api::DirectoryPatch {
            precedence: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let ok = door
        .create(ResourceKind::User, &user(&taken, "Someone"))
        .unwrap();
    assert_eq!(ok["userName"], taken.as_str());
}

fn groups_json(s: &roster_api::Session<'_>) -> Value {
    serde_json::to_value(s.groups_page("", PageAt::Offset(0), 1000).unwrap().rows).unwrap()
}

fn group(name: &str, members: &[&str]) -> Vec<u8> {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    body(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "members": members
    }))
}

#[test]
fn a_group_that_a_sync_coming_first_manages_is_refused_with_its_name_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let r = roster(dir.path(), clock);
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    // The demo sync comes first (added first) and manages the demo's groups, "Engineering" among them.
    let demo = s
        .add_directory(
            spec::parse(r#"{"name": "HR directory", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 50}}"#)
                .unwrap(),
        )
        .unwrap();
    futures_lite(s.run_sync(
        &demo.directory_key,
        roster_api::RunMode::Full { approve: false },
        roster_api::Trigger::Manual,
    ))
    .unwrap();
    let before = groups_json(&s);
    let engineering = before
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Engineering")
        .cloned()
        .unwrap_or_else(|| panic!("the demo sync made no Engineering group: {before}"));
    assert_eq!(engineering["managed_by"], "HR directory");

    let issued = s
        .create_scim_integration("Okta", ScimFlavor::Okta, ORIGIN)
        .unwrap();
    let door = r
        .scim_door(&issued.directory_key, &issued.token)
        .unwrap()
        .at(ORIGIN);
    let all_groups = || {
        door.list(
            ResourceKind::Group,
            &roster_scim::ListQuery::from_query(
                roster_scim::ResourceKind::Group,
                &[],
                &roster_scim::Limits::default(),
            )
            .unwrap(),
        )
        .unwrap()
    };
    let runs_before = s.list_runs(Some(&issued.directory_key), 10).unwrap().len();

    // Creating a group with that name is refused, naming the sync; nothing is stored anywhere.
    let e = door
        .create(ResourceKind::Group, &group("Engineering", &[]))
        .unwrap_err();
    assert_eq!(e.status, 409, "{e:?}");
    assert_eq!(e.to_json()["scimType"], "uniqueness", "{e:?}");
    assert!(
        e.detail.contains("\"HR directory\""),
        "names the owner: {}",
        e.detail
    );
    assert_eq!(
        all_groups()["totalResults"],
        0,
        "the refused push left nothing"
    );
    assert_eq!(groups_json(&s), before, "Roster's groups are untouched");
    assert_eq!(
        s.list_runs(Some(&issued.directory_key), 10).unwrap().len(),
        runs_before,
        "nothing in the history"
    );

    // A group of the integration's own, with a member, renamed onto that name: refused the same way,
    // by PATCH and by PUT, and the group keeps its name, its member and its version.
    let member = door
        .create(ResourceKind::User, &user("pat@example.org", "Pat"))
        .unwrap();
    let member = member["id"].as_str().unwrap().to_string();
    let own = door
        .create(ResourceKind::Group, &group("Own", &[&member]))
        .unwrap();
    let id = own["id"].as_str().unwrap().to_string();
    let roster_before = groups_json(&s);
    let replica_before = all_groups();
    let runs_before = s.list_runs(Some(&issued.directory_key), 10).unwrap();
    let patch = body(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Engineering"}]
    }));
    let e = door
        .patch(ResourceKind::Group, &id, &patch, None)
        .unwrap_err();
    assert_eq!(e.status, 409, "{e:?}");
    assert!(e.detail.contains("\"HR directory\""), "{}", e.detail);
    let e = door
        .replace(
            ResourceKind::Group,
            &id,
            &group("Engineering", &[&member]),
            None,
        )
        .unwrap_err();
    assert_eq!(e.status, 409, "{e:?}");
    assert!(e.detail.contains("\"HR directory\""), "{}", e.detail);
    assert_eq!(all_groups(), replica_before, "the replica is untouched");
    assert_eq!(
        groups_json(&s),
        roster_before,
        "Roster's groups are untouched"
    );
    let runs_after = s.list_runs(Some(&issued.directory_key), 10).unwrap();
    assert_eq!(
        serde_json::to_value(&runs_after).unwrap(),
        serde_json::to_value(&runs_before).unwrap(),
        "nothing in the history"
    );
    let g = door
        .get(
            ResourceKind::Group,
            &id,
            &roster_scim::Projection::all(roster_scim::ResourceKind::Group),
        )
        .unwrap()
        .body;
    assert_eq!(g["displayName"], "Own");
    assert_eq!(g["meta"]["version"], own["meta"]["version"]);
}

/// Runs a future to completion on a small runtime (the application layer's runs are async).
fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
