//! Pushes that arrive together leave Roster as the same pushes sent one at a time do, a refused one
//! included: the same users, groups, replica and history, and each request gets the answer it would have
//! got alone. (Each push is its own `IMMEDIATE` transaction on the tenant's one write connection; this is
//! what any change to that, such as sharing commits between pushes, must keep.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::scim::{ScimDoor, ScimFlavor};
use roster_api::{spec, Caller, ManualClock, MemorySecrets, Options, PageAt, Roster};
use roster_core::Timestamp;
use roster_store::ResourceKind;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const T0: i64 = 1_800_000_000;
const ORIGIN: &str = "http://127.0.0.1:8742";
const CLIENTS: usize = 6;

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

/// A tenant whose demo sync "HR" comes first and manages an "Engineering" group and 50 users, and an
/// Okta integration after it: the door, the session's roster, and the name of one of HR's users.
fn tenant(dir: &std::path::Path) -> (Roster, ScimDoor, String, String) {
    let r = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(ManualClock::new(Timestamp(T0))),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let hr = s
        .add_directory(
            spec::parse(r#"{"name": "HR", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 50}}"#)
                .unwrap(),
        )
        .unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(s.run_sync(
            &hr.directory_key,
            roster_api::RunMode::Full { approve: false },
            roster_api::Trigger::Manual,
        ))
        .unwrap();
    let rows = serde_json::to_value(s.users_page("", PageAt::Offset(0), 1).unwrap().rows).unwrap();
    let taken = rows[0]["username"].as_str().unwrap().to_string();
    let issued = s
        .create_scim_integration("Okta", ScimFlavor::Okta, ORIGIN)
        .unwrap();
    let key = issued.directory_key.clone();
    drop(s);
    let door = r.scim_door(&key, &issued.token).unwrap().at(ORIGIN);
    (r, door, key, taken)
}

/// One client's requests: three users, a group of them, one disabled, one renamed; client 0 also
/// tries a user HR manages and HR's group name (both refused). What each request got: its status.
fn client(door: &ScimDoor, n: usize, taken: &str) -> Vec<(String, u16)> {
    let mut got = Vec::new();
    let mut ids = Vec::new();
    let mut note = |what: String, r: Result<Value, roster_scim::ScimError>| -> Option<Value> {
        match r {
            Ok(v) => {
                got.push((what, 200));
                Some(v)
            }
            Err(e) => {
                got.push((what, e.status));
                None
            }
        }
    };
    for i in 0..3 {
        let name = format!("c{n}-u{i}@example.org");
        let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
            "name": {"givenName": format!("U{i}"), "familyName": format!("C{n}")}, "active": true});
        if let Some(v) = note(
            format!("create {name}"),
            door.create(ResourceKind::User, &body(doc)),
        ) {
            ids.push(v["id"].as_str().unwrap().to_string());
        }
    }
    if n == 0 {
        let doc =
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": taken});
        note(
            "create HR's user".into(),
            door.create(ResourceKind::User, &body(doc)),
        );
        let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering"});
        note(
            "create HR's group".into(),
            door.create(ResourceKind::Group, &body(doc)),
        );
    }
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": format!("Team {n}"), "members": members});
    let group = note(
        format!("create Team {n}"),
        door.create(ResourceKind::Group, &body(doc)),
    );
    let patch = |ops: Value| {
        body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
        )
    };
    let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
    note(
        format!("disable c{n}-u0"),
        door.patch(ResourceKind::User, &ids[0], &off, None),
    );
    let rename = patch(
        json!([{"op": "replace", "path": "userName", "value": format!("c{n}-renamed@example.org")}]),
    );
    note(
        format!("rename c{n}-u1"),
        door.patch(ResourceKind::User, &ids[1], &rename, None),
    );
    let leave =
        patch(json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[2])}]));
    let group = group.unwrap();
    let gid = group["id"].as_str().unwrap();
    note(
        format!("c{n}-u2 leaves"),
        door.patch(ResourceKind::Group, gid, &leave, None),
    );
    got
}

/// Everything the pushes decide, without the ids Roster draws at random.
fn outcome(r: &Roster, door: &ScimDoor, key: &str) -> Value {
    let s = r.session("Acme", &Caller::Local).unwrap();
    let mut users: Vec<Value> = serde_json::from_value(
        serde_json::to_value(s.users_page("", PageAt::Offset(0), 1000).unwrap().rows).unwrap(),
    )
    .unwrap();
    for u in &mut users {
        u.as_object_mut().unwrap().remove("user_id");
    }
    let groups =
        serde_json::to_value(s.groups_page("", PageAt::Offset(0), 1000).unwrap().rows).unwrap();
    let groups: Vec<Value> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| json!([g["name"], g["member_count"], g["managed_by"]]))
        .collect();
    let all = |kind, k| {
        door.list(
            kind,
            &roster_scim::ListQuery::from_query(
                k,
                &[("count".into(), "1000".into())],
                &roster_scim::Limits::default(),
            )
            .unwrap(),
        )
        .unwrap()["Resources"]
            .as_array()
            .unwrap()
            .clone()
    };
    let replica_users = all(ResourceKind::User, roster_scim::ResourceKind::User);
    let names: BTreeMap<&str, &str> = replica_users
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["userName"].as_str().unwrap()))
        .collect();
    let mut replica: Vec<Value> = replica_users
        .iter()
        .map(|u| json!([u["userName"], u["active"], u["name"], u["meta"]["version"]]))
        .collect();
    for g in all(ResourceKind::Group, roster_scim::ResourceKind::Group) {
        let mut members: Vec<&str> = g["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| names[m["value"].as_str().unwrap()])
                    .collect()
            })
            .unwrap_or_default();
        members.sort();
        replica.push(json!([g["displayName"], members, g["meta"]["version"]]));
    }
    replica.sort_by_key(|v| v.to_string());
    let runs: Vec<Value> = s
        .list_runs(Some(key), 10)
        .unwrap()
        .into_iter()
        .map(|run| {
            let changes = s.run_changes(run.run_id, 0, 10_000).unwrap().changes.len();
            json!([run.outcome, run.counts, changes])
        })
        .collect();
    json!({"users": users, "groups": groups, "replica": replica, "runs": runs})
}

// Why: group commit must be invisible: pushes sent together, one of them refused, must give the result
// of the same pushes sent one at a time, and each request its own answer.
#[test]
fn concurrent_pushes_with_a_refused_one_leave_what_sequential_pushes_leave() {
    let seq_dir = tempfile::tempdir().unwrap();
    let (seq_roster, seq_door, seq_key, taken) = tenant(seq_dir.path());
    let mut seq_answers: Vec<Vec<(String, u16)>> = Vec::new();
    for n in 0..CLIENTS {
        seq_answers.push(client(&seq_door, n, &taken));
    }
    let sequential = outcome(&seq_roster, &seq_door, &seq_key);

    let dir = tempfile::tempdir().unwrap();
    let (roster, door, key, taken2) = tenant(dir.path());
    assert_eq!(taken, taken2, "the same demo organisation");
    let answers: Vec<Vec<(String, u16)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|n| {
                let (door, taken) = (&door, &taken);
                s.spawn(move || client(door, n, taken))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        answers, seq_answers,
        "each request got the answer it gets alone"
    );
    assert!(
        answers[0].contains(&("create HR's group".to_string(), 409)),
        "{answers:?}"
    );
    assert_eq!(outcome(&roster, &door, &key), sequential);
}
