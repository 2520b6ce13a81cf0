//! Okta's provisioning, as its SCIM 2.0 reference describes it.

use crate::replay::*;
use crate::{okta_user, sorted};
use serde_json::{json, Value};

/// Okta's filter-then-create: look the userName up (expect none), then POST. The new id.
async fn okta_provision(okta: &Scim, body: &Value) -> String {
    let user_name = body["userName"].as_str().unwrap();
    let encoded = user_name.replace('@', "%40");
    let found = okta
        .get(&format!(
            "/Users?filter=userName%20eq%20%22{encoded}%22&startIndex=1&count=100"
        ))
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(
        found.body["totalResults"],
        json!(0),
        "Okta creates only after an empty lookup: {}",
        found.text
    );
    assert_eq!(found.body["Resources"], json!([]), "{}", found.text);
    okta.create_user(body).await
}

/// A password must never be kept or shown: not in an answer, not in `rosterctl`'s output, not on disk.
async fn assert_password_nowhere(rig: &Rig, okta: &Scim, id: &str, password: &str) {
    let one = okta.get(&format!("/Users/{id}")).await;
    let all = okta.get("/Users?startIndex=1&count=100").await;
    for r in [&one, &all] {
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            !r.text.contains(password) && !r.text.contains("\"password\""),
            "the replica never echoes a password: {}",
            r.text
        );
    }
    for args in [
        ["users", "list", "--json"],
        ["groups", "list", "--json"],
        ["trash", "list", "--json"],
    ] {
        let out = rig.cli(&args).output().unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(password),
            "`rosterctl {}` shows no password",
            args.join(" ")
        );
    }
    assert_eq!(
        files_containing(rig.data_dir(), password.as_bytes()),
        Vec::<String>::new(),
        "no file in the data directory holds the password"
    );
}

// Why: Okta is the IdP Duo's Okta SCIM integration is made for; its exact requests, in its order, must
// provision, update, (de)activate and group users in Roster, and never keep a password.
#[tokio::test]
async fn okta_request_sequence_provisions_updates_deactivates_and_groups_users_in_roster() {
    let rig = Rig::start();
    let integration = rig.integration("Okta", "okta");
    let okta = rig.client(&integration, OKTA_AGENT);

    // "Test API Credentials": the first import page of an empty integration.
    let empty = okta.get("/Users?startIndex=1&count=2").await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert!(empty.content_type.starts_with(SCIM_JSON), "{empty:?}");
    assert_eq!(empty.body["totalResults"], json!(0));
    assert_eq!(empty.body["startIndex"], json!(1), "integers, not strings");

    // Assignments: filter, then create; three users.
    let password = "1mz050nq-okta-secret";
    let test = okta_user("test.user", "Test", "User", password);
    let test_id = okta_provision(&okta, &test).await;
    let ann_id = okta_provision(&okta, &okta_user("ann", "Ann", "Lee", password)).await;
    let bob_id = okta_provision(&okta, &okta_user("bob", "Bob", "Ray", password)).await;
    let u = rig.user("test.user@okta.local");
    assert_eq!(u["status"], "active");
    assert_eq!(u["email"], "test.user@okta.local");
    assert_eq!(u["realname"], "Test User");
    assert_eq!(
        u["managed_by"], "Okta",
        "the integration manages what it pushed"
    );
    assert_eq!(rig.users().len(), 3);
    assert_password_nowhere(&rig, &okta, &test_id, password).await;

    // Okta re-sends a create it thinks failed: 409, and still one user.
    let again = okta.post("/Users", &test).await;
    assert_scim_error(&again, 409, Some("uniqueness"));
    assert_eq!(rig.users().len(), 3, "a duplicate create adds nobody");
    let mut shouted = test.clone();
    shouted["userName"] = json!("Test.User@Okta.local");
    assert_scim_error(
        &okta.post("/Users", &shouted).await,
        409,
        Some("uniqueness"),
    );
    let found = okta
        .get("/Users?filter=userName%20eq%20%22TEST.USER%40okta.local%22&startIndex=1&count=100")
        .await;
    assert_eq!(
        ids(&found),
        std::slice::from_ref(&test_id),
        "userName is not case-exact: {}",
        found.text
    );

    // Import: pages of two, in a stable order, with integer paging fields.
    let page1 = okta.get("/Users?startIndex=1&count=2").await;
    assert_eq!(page1.body["totalResults"], json!(3), "{}", page1.text);
    assert_eq!(page1.body["itemsPerPage"], json!(2), "{}", page1.text);
    assert_eq!(page1.body["startIndex"], json!(1));
    let page2 = okta.get("/Users?startIndex=3&count=2").await;
    assert_eq!(page2.body["startIndex"], json!(3), "{}", page2.text);
    let mut seen = ids(&page1);
    seen.extend(ids(&page2));
    assert_eq!(
        seen,
        vec![test_id.clone(), ann_id.clone(), bob_id.clone()],
        "every user once, in creation order"
    );
    assert_eq!(
        ids(&okta.get("/Users?startIndex=1&count=2").await),
        ids(&page1),
        "the same page twice is the same"
    );

    // Profile update: GET, then PUT the whole user back (Okta's body, `active` kept).
    let current = okta.get(&format!("/Users/{test_id}")).await;
    assert_eq!(current.status, 200, "{}", current.text);
    let put = json!({
        "schemas": [USER_URN],
        "id": test_id,
        "userName": "test.user@okta.local",
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work",
                    "display": "test.user@okta.local"}],
        "displayName": "Another User",
        "active": true,
        "groups": [],
        "meta": {"resourceType": "User"}
    });
    let updated = okta.put(&format!("/Users/{test_id}"), &put).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["name"]["middleName"], "Excited");
    assert_eq!(updated.body["active"], json!(true));
    let u = rig.user("test.user@okta.local");
    assert_eq!(u["realname"], "Another User");
    assert_eq!(
        u["status"], "active",
        "a PUT that keeps active keeps the user active"
    );

    // Deactivation is path-less; reactivation too.
    let off = okta
        .patch(
            &format!("/Users/{test_id}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.body["active"], json!(false));
    assert_eq!(rig.user("test.user@okta.local")["status"], "disabled");
    let on = okta
        .patch(
            &format!("/Users/{test_id}"),
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.text);
    assert_eq!(rig.user("test.user@okta.local")["status"], "active");

    // An AIW app deactivates with a PUT; an OIN app syncs a password with a PATCH.
    let mut inactive = put.clone();
    inactive["active"] = json!(false);
    let r = okta
        .put(&format!("/Users/{bob_id}"), &{
            let mut b = inactive.clone();
            b["id"] = json!(bob_id);
            b["userName"] = json!("bob@okta.local");
            b["emails"] = json!([{"primary": true, "value": "bob@okta.local", "type": "work"}]);
            b["displayName"] = json!("Bob Ray");
            b
        })
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rig.user("bob@okta.local")["status"], "disabled");
    let new_password = "n3w-okta-secret-77";
    let r = okta
        .patch(
            &format!("/Users/{ann_id}"),
            json!([{"op": "replace", "value": {"password": new_password}}]),
        )
        .await;
    assert_eq!(r.status, 200, "a password sync is accepted: {}", r.text);
    assert_password_nowhere(&rig, &okta, &ann_id, new_password).await;

    // Push Groups: created empty.
    let group = okta
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_URN], "displayName": "Test SCIMv2", "members": []}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.text);
    let gid = id_of(&group);
    let g = rig
        .find_group("Test SCIMv2")
        .expect("the pushed group is in Roster");
    assert_eq!(g["member_count"], json!(0));
    assert_eq!(g["managed_by"], "Okta");

    // A membership push comes with the group's name (here a new one) and members with `display`.
    let r = okta
        .patch(
            &format!("/Groups/{gid}"),
            json!([
                {"op": "replace", "value": {"id": gid, "displayName": "Engineering"}},
                {"op": "add", "path": "members", "value": [
                    {"value": test_id, "display": "test.user@okta.local"},
                    {"value": ann_id, "display": "ann@okta.local"}
                ]}
            ]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(
        rig.find_group("Test SCIMv2").is_none(),
        "renamed, not copied"
    );
    assert_eq!(
        rig.find_group("Engineering").unwrap()["member_count"],
        json!(2)
    );
    assert_eq!(
        groups_of(&rig.user("test.user@okta.local")),
        ["Engineering"]
    );
    assert_eq!(groups_of(&rig.user("ann@okta.local")), ["Engineering"]);
    assert_eq!(groups_of(&rig.user("bob@okta.local")), Vec::<String>::new());
    let replica = okta.get(&format!("/Groups/{gid}")).await;
    assert_eq!(member_ids(&replica.body), sorted([&test_id, &ann_id]));

    // Okta's next profile PUT carries `"groups": []` (read-only): memberships stay.
    let r = okta.put(&format!("/Users/{test_id}"), &put).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["groups"][0]["display"], "Engineering", "{}", r.text);
    assert_eq!(
        groups_of(&rig.user("test.user@okta.local")),
        ["Engineering"]
    );

    // Removal by filter (again with the name, unchanged this time).
    let r = okta
        .patch(
            &format!("/Groups/{gid}"),
            json!([
                {"op": "replace", "value": {"id": gid, "displayName": "Engineering"}},
                {"op": "remove", "path": format!("members[value eq \"{test_id}\"]")}
            ]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        groups_of(&rig.user("test.user@okta.local")),
        Vec::<String>::new()
    );
    assert_eq!(
        rig.find_group("Engineering").unwrap()["member_count"],
        json!(1)
    );

    // A full push: `replace` members with the whole list.
    let r = okta
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "replace", "path": "members", "value": [
                {"value": test_id, "display": "test.user@okta.local"},
                {"value": bob_id, "display": "bob@okta.local"}
            ]}]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let replica = okta.get(&format!("/Groups/{gid}")).await;
    assert_eq!(member_ids(&replica.body), sorted([&test_id, &bob_id]));
    assert_eq!(
        groups_of(&rig.user("test.user@okta.local")),
        ["Engineering"]
    );
    assert_eq!(groups_of(&rig.user("bob@okta.local")), ["Engineering"]);
    assert_eq!(
        groups_of(&rig.user("ann@okta.local")),
        Vec::<String>::new(),
        "who is not in the full list is no longer a member"
    );

    // Unlink with "Delete the group in the target app".
    let r = okta.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_scim_error(&okta.get(&format!("/Groups/{gid}")).await, 404, None);
    assert!(rig.find_group("Engineering").is_none());
    for name in ["test.user@okta.local", "bob@okta.local"] {
        assert_eq!(groups_of(&rig.user(name)), Vec::<String>::new(), "{name}");
    }
    assert_eq!(rig.users().len(), 3, "deleting a group deletes no user");
    assert_password_nowhere(&rig, &okta, &test_id, password).await;
}
