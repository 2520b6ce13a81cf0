//! What a SCIM write answers: the resource as a read of it would show it (the same projection), with the
//! group's members that the write's own transaction read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::scim::ScimFlavor;
use roster_api::{Caller, ManualClock, MemorySecrets, NoEvents, Options, Roster};
use roster_core::Timestamp;
use roster_scim::Projection;
use roster_store::ResourceKind;
use serde_json::json;
use std::sync::Arc;

#[test]
fn a_write_answers_what_a_read_of_the_resource_shows() {
    let dir = tempfile::tempdir().unwrap();
    let r = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
        events: Arc::new(NoEvents),
    })
    .unwrap();
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let issued = s
        .create_scim_integration("Okta", ScimFlavor::Okta, "https://roster.test")
        .unwrap();
    let door = r
        .scim_door(&issued.directory_key, &issued.token)
        .unwrap()
        .at("https://roster.test");
    // Its answer is rendered from what the write's transaction read; a read renders from the store.
    let created = door
        .create(
            ResourceKind::User,
            &serde_json::to_vec(&json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "userName": "ada@example.org",
            }))
            .unwrap(),
        )
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let read = door
        .get(
            ResourceKind::User,
            id,
            &Projection::all(roster_scim::ResourceKind::User),
        )
        .unwrap();
    assert_eq!(
        created, read.body,
        "the create's answer is what a read shows"
    );
    assert_eq!(created["meta"]["version"], read.etag.as_str());

    let group = door
        .create(
            ResourceKind::Group,
            &serde_json::to_vec(
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Engineering", "members": [{"value": id}]}),
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(group["members"][0]["value"], id, "{group}");
}
