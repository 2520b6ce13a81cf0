//! Changes that conflict with what is stored: another sync's user or group (409), a stale version (412).

use crate::replay::*;
use crate::{fixture, state};
use reqwest::Method;
use serde_json::json;

// Why: a user a higher-precedence directory sync manages belongs to that sync; a push for the same
// username must be refused with 409 naming the sync, and change neither the user nor the replica.
#[tokio::test]
async fn a_username_a_higher_precedence_sync_manages_is_409_naming_that_sync() {
    let rig = Rig::start();
    let spec = rig.data_dir().join("hr.json");
    std::fs::write(
        &spec,
        r#"{"name": "HR", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 50}}"#,
    )
    .unwrap();
    let added = rig.json(&["directory", "add", "--spec", spec.to_str().unwrap()]);
    let hr = added["directory_key"].as_str().unwrap().to_string();
    let run = rig.json(&["sync", "run", &hr, "--json"]);
    assert_eq!(run["outcome"], "succeeded", "{run}");
    let users = rig.users();
    assert_eq!(users.len(), 50);
    let taken = users[0].clone();
    let name = taken["username"].as_str().unwrap().to_string();
    assert_eq!(taken["managed_by"], "HR");

    // Added after HR, so it comes after HR in the order of precedence.
    let integration = rig.integration("Okta", "okta");
    let directories = rig.json(&["directory", "list", "--json"]);
    let precedence = |key: &str| {
        directories
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["directory_key"] == key)
            .unwrap()["precedence"]
            .as_i64()
            .unwrap()
    };
    assert!(
        precedence(&hr) < precedence(&integration.key),
        "{directories}"
    );
    let okta = rig.client(&integration, OKTA_AGENT);
    let before = state(&rig, &okta, &integration.key).await;

    let r = okta
        .post(
            "/Users",
            &json!({"schemas": [USER_URN], "userName": name, "active": false,
                    "name": {"givenName": "Taken", "familyName": "Over"}}),
        )
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"HR\""),
        "the refusal names the sync: {detail}"
    );
    assert_eq!(
        state(&rig, &okta, &integration.key).await,
        before,
        "nothing was stored"
    );
    assert_eq!(rig.user(&name), taken, "HR's user is untouched");

    // Renaming a pushed user into HR's username is refused the same way.
    let id = okta
        .create_user(&json!({"schemas": [USER_URN], "userName": "own@okta.local"}))
        .await;
    let before = state(&rig, &okta, &integration.key).await;
    let r = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "userName", "value": name}]),
        )
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("\"HR\""),
        "{}",
        r.text
    );
    assert_eq!(
        state(&rig, &okta, &integration.key).await,
        before,
        "nothing was stored"
    );
    assert_eq!(rig.user("own@okta.local")["managed_by"], "Okta");
}

// Why: a group a higher-precedence directory sync manages belongs to that sync too; a push creating a
// group with its name, or renaming one onto it, must be refused with 409 naming the sync, and change
// neither group nor the replica (two groups cannot share a name).
#[tokio::test]
async fn a_group_name_a_higher_precedence_sync_manages_is_409_naming_that_sync() {
    let rig = Rig::start();
    let spec = rig.data_dir().join("hr.json");
    std::fs::write(
        &spec,
        r#"{"name": "HR", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 50}}"#,
    )
    .unwrap();
    let added = rig.json(&["directory", "add", "--spec", spec.to_str().unwrap()]);
    let hr = added["directory_key"].as_str().unwrap().to_string();
    let run = rig.json(&["sync", "run", &hr, "--json"]);
    assert_eq!(run["outcome"], "succeeded", "{run}");
    let engineering = rig
        .find_group("Engineering")
        .unwrap_or_else(|| panic!("HR made no Engineering group: {:?}", rig.groups()));
    assert_eq!(engineering["managed_by"], "HR");

    let integration = rig.integration("Okta", "okta");
    let okta = rig.client(&integration, OKTA_AGENT);
    let before = state(&rig, &okta, &integration.key).await;
    let r = okta
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_URN], "displayName": "Engineering", "members": []}),
        )
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("\"HR\""),
        "the refusal names the sync: {}",
        r.text
    );
    assert_eq!(
        state(&rig, &okta, &integration.key).await,
        before,
        "nothing was stored"
    );

    // Renaming a pushed group (with a member) onto HR's group name is refused the same way, by PATCH
    // and by PUT.
    let member = okta
        .create_user(&json!({"schemas": [USER_URN], "userName": "own@okta.local"}))
        .await;
    let id = okta
        .create_group(
            &json!({"schemas": [GROUP_URN], "displayName": "Own", "members": [{"value": member}]}),
        )
        .await;
    let before = state(&rig, &okta, &integration.key).await;
    let r = okta
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "replace", "path": "displayName", "value": "Engineering"}]),
        )
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("\"HR\""),
        "{}",
        r.text
    );
    let r = okta
        .put(
            &format!("/Groups/{id}"),
            &json!({"schemas": [GROUP_URN], "displayName": "engineering", "members": [{"value": member}]}),
        )
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("\"HR\""),
        "{}",
        r.text
    );
    assert_eq!(
        state(&rig, &okta, &integration.key).await,
        before,
        "nothing was stored"
    );
    assert_eq!(rig.find_group("Own").unwrap()["managed_by"], "Okta");
    assert_eq!(rig.find_group("Engineering").unwrap(), engineering);
}

// Why: a client that sends If-Match says "only if nobody changed it since I read it"; a stale version
// must get 412 and change nothing, whatever the method.
#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let f = fixture().await;
    let path = format!("/Users/{}", f.user);
    let read = f.scim.get(&path).await;
    let first = read
        .etag
        .clone()
        .expect("a resource answer carries its ETag");
    assert_eq!(
        json!(first),
        read.body["meta"]["version"],
        "ETag is meta.version"
    );

    let disable =
        patch_body(json!([{"op": "replace", "path": "active", "value": false}])).to_string();
    let r = f
        .scim
        .raw(
            Method::PATCH,
            &path,
            Some(disable.clone().into_bytes()),
            &[("If-Match", &first)],
        )
        .await;
    assert_eq!(r.status, 200, "the current version is accepted: {}", r.text);
    let second = r.etag.clone().unwrap();
    assert_ne!(second, first, "a change makes a new version");

    let before = f.state().await;
    let put =
        json!({"schemas": [USER_URN], "userName": "known@example.com", "active": true}).to_string();
    let enable =
        patch_body(json!([{"op": "replace", "path": "active", "value": true}])).to_string();
    for (method, body) in [
        (Method::PATCH, Some(enable)),
        (Method::PUT, Some(put)),
        (Method::DELETE, None),
    ] {
        let r = f
            .scim
            .raw(
                method.clone(),
                &path,
                body.map(String::into_bytes),
                &[("If-Match", &first)],
            )
            .await;
        assert_scim_error(&r, 412, None);
    }
    assert_eq!(f.state().await, before, "nothing was stored");
    assert_eq!(f.rig.user("known@example.com")["status"], "disabled");
}

// Why: a group's members are part of what it answers, so a membership change must make a new version;
// otherwise a client holding the old ETag could PUT the old member list back over another's change.
#[tokio::test]
async fn a_membership_change_makes_a_new_group_version_so_a_stale_if_match_is_412() {
    let f = fixture().await;
    let path = format!("/Groups/{}", f.group);
    let first = f
        .scim
        .get(&path)
        .await
        .etag
        .expect("a group answer carries its ETag");
    let other = f
        .scim
        .create_user(&json!({"schemas": [USER_URN], "userName": "other@example.com"}))
        .await;
    let added = f
        .scim
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": other}]}]),
        )
        .await;
    // No `attributes` asked: 204, with the new version in its ETag.
    assert_eq!(added.status, 204, "{}", added.text);
    let second = added
        .etag
        .clone()
        .expect("a 204 answer carries the new ETag");
    assert_ne!(second, first, "adding a member makes a new version");
    assert_eq!(
        f.scim.get(&path).await.etag.as_deref(),
        Some(second.as_str())
    );

    let before = f.state().await;
    let stale =
        json!({"schemas": [GROUP_URN], "displayName": "Staff", "members": [{"value": f.user}]});
    let r = f
        .scim
        .raw(
            Method::PUT,
            &path,
            Some(stale.to_string().into_bytes()),
            &[("If-Match", &first)],
        )
        .await;
    assert_scim_error(&r, 412, None);
    assert_eq!(f.state().await, before, "nothing was stored");
    assert_eq!(groups_of(&f.rig.user("other@example.com")), ["Staff"]);

    // A user deleted by its client leaves its groups: that too is a new version of each.
    let r = f.scim.delete(&format!("/Users/{other}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let third = f.scim.get(&path).await;
    assert_eq!(member_ids(&third.body), std::slice::from_ref(&f.user));
    assert_ne!(
        third.etag.as_deref(),
        Some(second.as_str()),
        "{}",
        third.text
    );
}
