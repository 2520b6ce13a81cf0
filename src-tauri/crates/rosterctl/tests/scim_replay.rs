//! Okta's and Entra ID's real SCIM request sequences (their published references; see
//! `/work/shared/brief/setup-notes.md` §4), replayed against the real `rosterctl serve` on 127.0.0.1, with
//! Roster's users, groups, trash and history checked through `rosterctl` after each step. Also concurrent
//! pushes of one user, and the history a burst of pushes leaves.
//!
//! Refusals (bad bodies, tokens, precedence, ETags) are in `scim_refusals.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod replay;
mod serving;

use replay::*;
use serde_json::{json, Value};

/// Okta's POST /Users body (its SCIM 2.0 reference), for `user`@okta.local.
fn okta_user(user: &str, given: &str, family: &str, password: &str) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": format!("{user}@okta.local"),
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": format!("{user}@okta.local"), "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("00u{user}5T6Aj10h7"),
        "groups": [],
        "password": password,
        "active": true
    })
}

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
        [test_id.clone()],
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
    assert_eq!(r.status, 200, "{}", r.text);
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
    assert_eq!(r.status, 200, "{}", r.text);
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
    assert_eq!(r.status, 200, "{}", r.text);
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

fn sorted<const N: usize>(ids: [&String; N]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Entra ID's POST /Users body (its SCIM reference).
fn entra_user(user: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": format!("0a21f0f2-{user}"),
        "userName": format!("{user}@contoso.com"),
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": format!("{user}@contoso.com")}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": format!("{given} {family}"), "familyName": family, "givenName": given},
        "roles": []
    })
}

// Why: Entra ID's provisioning sends its own dialect (capitalised ops, string booleans, one op per
// attribute, filtered paths, dotted keys with the compliance flag, groups created empty); each request
// must land in Roster, and a deleted user must go to Roster's trash.
#[tokio::test]
async fn entra_request_sequence_with_and_without_the_compliance_flag_lands_in_roster() {
    let rig = Rig::start();
    let integration = rig.integration("Entra ID", "generic");
    let entra = rig.client(&integration, ENTRA_AGENT);

    // Match by userName first, then create.
    let none = entra
        .get("/Users?filter=userName eq \"alice@contoso.com\"")
        .await;
    assert_eq!(none.status, 200, "{}", none.text);
    assert_eq!(none.body["totalResults"], json!(0));
    let alice = entra
        .create_user(&entra_user("alice", "Alice", "Smith"))
        .await;
    let bert = entra
        .create_user(&entra_user("bert", "Bert", "Jones"))
        .await;
    let u = rig.user("alice@contoso.com");
    assert_eq!(
        u["status"], "active",
        "Entra sends active as a boolean on create"
    );
    assert_eq!(
        u["realname"], "Alice Smith",
        "the formatted name, without displayName"
    );

    // Entra's other user lookup: by work email.
    let by_mail = entra
        .get("/Users?filter=emails[type eq \"work\"].value eq \"alice@contoso.com\"")
        .await;
    assert_eq!(by_mail.status, 200, "{}", by_mail.text);
    assert_eq!(ids(&by_mail), [alice.clone()]);

    // Default dialect: one capitalised op per attribute, filtered email path, URN-qualified path.
    let r = entra
        .patch(
            &format!("/Users/{alice}"),
            json!([
                {"op": "Replace", "path": "displayName", "value": "Alice S."},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice.s@contoso.com"},
                {"op": "Replace", "path": "name.givenName", "value": "Alicia"},
                {"op": "Replace", "path": "name.familyName", "value": "Smithe"},
                {"op": "Replace", "path": "externalId", "value": "Eqpj"},
                {"op": "Replace", "path": format!("{ENTERPRISE_URN}:employeeNumber"), "value": "E-1001"},
                {"op": "Add", "path": "nickName", "value": "Babs"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = entra.get(&format!("/Users/{alice}")).await.body;
    assert_eq!(got["emails"][0]["value"], "alice.s@contoso.com");
    assert_eq!(
        got["emails"][0]["primary"],
        json!(true),
        "the email kept its other parts"
    );
    assert_eq!(got["name"]["givenName"], "Alicia");
    assert_eq!(got["externalId"], "Eqpj");
    assert_eq!(got["nickName"], "Babs");
    assert_eq!(got[ENTERPRISE_URN]["employeeNumber"], "E-1001");
    let u = rig.user("alice@contoso.com");
    assert_eq!(u["email"], "alice.s@contoso.com");
    assert_eq!(u["realname"], "Alice S.");

    // Default dialect: disable and enable with string booleans.
    let r = entra
        .patch(
            &format!("/Users/{alice}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active"], json!(false), "stored as a boolean");
    assert_eq!(rig.user("alice@contoso.com")["status"], "disabled");
    let r = entra
        .patch(
            &format!("/Users/{alice}"),
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rig.user("alice@contoso.com")["status"], "active");

    // With aadOptscim062020: path-less value with dotted and URN keys, boolean active.
    let r = entra
        .patch(
            &format!("/Users/{alice}"),
            json!([
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "alice@contoso.com"},
                {"op": "replace", "value": {
                    "displayName": "Alice Smith",
                    "name.givenName": "Alice",
                    "name.familyName": "Smith",
                    format!("{ENTERPRISE_URN}:employeeNumber"): "E-2002"
                }}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = entra.get(&format!("/Users/{alice}")).await.body;
    assert_eq!(got["name"]["givenName"], "Alice");
    assert_eq!(got["name"]["familyName"], "Smith");
    assert_eq!(got[ENTERPRISE_URN]["employeeNumber"], "E-2002");
    assert!(
        got.get("name.givenName").is_none(),
        "dotted keys are paths: {got}"
    );
    let u = rig.user("alice@contoso.com");
    assert_eq!(u["realname"], "Alice Smith");
    assert_eq!(u["email"], "alice@contoso.com");
    let r = entra
        .patch(
            &format!("/Users/{bert}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rig.user("bert@contoso.com")["status"], "disabled");

    // Groups: look up by name without members, create empty, then members by PATCH.
    let lookup = "/Groups?excludedAttributes=members&filter=displayName eq \"Sales\"";
    let none = entra.get(lookup).await;
    assert_eq!(none.status, 200, "{}", none.text);
    assert_eq!(none.body["totalResults"], json!(0));
    let gid = entra
        .create_group(&json!({
            "schemas": [GROUP_URN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales",
            "meta": {"resourceType": "Group"}
        }))
        .await;
    assert_eq!(rig.find_group("Sales").unwrap()["member_count"], json!(0));
    for who in [&alice, &bert] {
        let r = entra
            .patch(
                &format!("/Groups/{gid}"),
                json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": who}]}]),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let found = entra.get(lookup).await;
    assert_eq!(ids(&found), [gid.clone()]);
    assert!(
        found.body["Resources"][0].get("members").is_none(),
        "excludedAttributes=members leaves members out: {}",
        found.text
    );
    let one = entra
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert!(one.body.get("members").is_none(), "{}", one.text);
    assert_eq!(rig.find_group("Sales").unwrap()["member_count"], json!(2));
    assert_eq!(groups_of(&rig.user("alice@contoso.com")), ["Sales"]);

    // Rename, then both removal forms.
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(groups_of(&rig.user("bert@contoso.com")), ["Sales EMEA"]);
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": alice}]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        groups_of(&rig.user("alice@contoso.com")),
        Vec::<String>::new()
    );
    assert_eq!(groups_of(&rig.user("bert@contoso.com")), ["Sales EMEA"]);
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{bert}\"]")}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        groups_of(&rig.user("bert@contoso.com")),
        Vec::<String>::new()
    );
    assert_eq!(
        rig.find_group("Sales EMEA").unwrap()["member_count"],
        json!(0)
    );
    assert_eq!(
        member_ids(&entra.get(&format!("/Groups/{gid}")).await.body),
        Vec::<String>::new()
    );
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": alice}]}]),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "Entra re-sends removals; a second one changes nothing: {}",
        r.text
    );
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": alice}]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        rig.find_group("Sales EMEA").unwrap()["member_count"],
        json!(1)
    );

    // Deprovisioning: DELETE puts the user in Roster's trash; the integration no longer has it.
    let r = entra.delete(&format!("/Users/{alice}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_scim_error(&entra.get(&format!("/Users/{alice}")).await, 404, None);
    let none = entra
        .get("/Users?filter=userName eq \"alice@contoso.com\"")
        .await;
    assert_eq!(none.body["totalResults"], json!(0), "{}", none.text);
    assert!(
        rig.find_user("alice@contoso.com").is_none(),
        "not among active users"
    );
    let trash = rig.trash();
    let trashed = trash
        .iter()
        .find(|u| u["username"] == "alice@contoso.com")
        .unwrap_or_else(|| panic!("alice is in the trash: {trash:?}"));
    assert_eq!(trashed["status"], "pending deletion");
    assert!(trashed["purge_at"].is_string(), "{trashed}");
    assert_eq!(
        rig.user("bert@contoso.com")["status"],
        "disabled",
        "others untouched"
    );
    assert_eq!(
        member_ids(&entra.get(&format!("/Groups/{gid}")).await.body),
        Vec::<String>::new(),
        "a deleted user is no longer a member"
    );
    assert_eq!(
        rig.find_group("Sales EMEA").unwrap()["member_count"],
        json!(0)
    );

    // Reassigned in Entra later: matched by userName (none), created again, and out of the trash.
    let none = entra
        .get("/Users?filter=userName eq \"alice@contoso.com\"")
        .await;
    assert_eq!(none.body["totalResults"], json!(0), "{}", none.text);
    let again = entra
        .create_user(&entra_user("alice", "Alice", "Smith"))
        .await;
    assert_ne!(again, alice, "a new resource, with a new id");
    assert_eq!(rig.user("alice@contoso.com")["status"], "active");
    assert!(
        rig.trash()
            .iter()
            .all(|u| u["username"] != "alice@contoso.com"),
        "the user left the trash: {:?}",
        rig.trash()
    );

    let r = entra.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(rig.find_group("Sales EMEA").is_none());
}

fn phone(i: usize) -> String {
    format!("+1 555 01{i:02}")
}

// Why: Okta and Entra ID send requests in parallel; two PATCHes of one user must not both start from the
// old document (a lost update), and every one must be in Roster's history.
#[tokio::test]
async fn twenty_concurrent_patches_of_one_user_lose_nothing_and_are_all_in_the_history() {
    let rig = Rig::start();
    let integration = rig.integration("Entra ID", "generic");
    let scim = rig.client(&integration, ENTRA_AGENT);
    let id = scim
        .create_user(&entra_user("carol", "Carol", "Diaz"))
        .await;

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let scim = scim.clone();
        let path = format!("/Users/{id}");
        tasks.spawn(async move {
            scim.patch(
                &path,
                json!([{"op": "add", "path": "phoneNumbers",
                         "value": [{"value": phone(i), "type": "work"}]}]),
            )
            .await
        });
    }
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
    }

    let got = scim.get(&format!("/Users/{id}")).await.body;
    let mut numbers: Vec<&str> = got["phoneNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (0..20).map(phone).collect();
    assert_eq!(numbers, expected, "all twenty numbers are kept");
    assert_eq!(
        got["meta"]["version"], "W/\"21\"",
        "one version per change: {got}"
    );

    // Roster: the user has every number, and each PATCH is a change in the history, each starting
    // from the one before it.
    let user = rig.user("carol@contoso.com");
    let runs = rig.runs(&integration.key);
    assert!(!runs.is_empty(), "pushes are recorded");
    let mut phone_changes: Vec<(String, String)> = Vec::new();
    for run in runs.iter().rev() {
        for c in rig.changes(run["run_id"].as_i64().unwrap()) {
            if c["key"] != "carol@contoso.com" {
                continue;
            }
            for f in c["fields"].as_array().unwrap() {
                if f["field"] == "phones" {
                    phone_changes.push((
                        f["before"].as_str().unwrap_or_default().to_string(),
                        f["after"].as_str().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
    }
    assert_eq!(
        phone_changes.len(),
        20,
        "one recorded change per PATCH: {phone_changes:?}"
    );
    for pair in phone_changes.windows(2) {
        assert_eq!(
            pair[1].0, pair[0].1,
            "each change starts where the one before ended: {phone_changes:?}"
        );
    }
    let last = &phone_changes[19].1;
    for n in &expected {
        assert!(
            last.contains(n.as_str()),
            "{n} is in the final phones: {last}"
        );
    }
    assert_eq!(user["status"], "active");
    assert_eq!(rig.users().len(), 1, "still one user");
}

// Why: Okta retries a create it thinks failed, sometimes in parallel; exactly one user may result.
#[tokio::test]
async fn concurrent_creates_of_one_username_give_exactly_one_201_and_one_user() {
    let rig = Rig::start();
    let integration = rig.integration("Okta", "okta");
    let okta = rig.client(&integration, OKTA_AGENT);
    let body = okta_user("dup", "Dup", "Licate", "pw-dup-123");

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let okta = okta.clone();
        let body = body.clone();
        tasks.spawn(async move { okta.post("/Users", &body).await });
    }
    let mut created = 0;
    let mut conflicts = 0;
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        match r.status {
            201 => created += 1,
            409 => {
                assert_scim_error(&r, 409, Some("uniqueness"));
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created, conflicts), (1, 11));
    assert_eq!(okta.replica_counts().await, (1, 0));
    assert_eq!(rig.users().len(), 1);
    assert_eq!(rig.user("dup@okta.local")["status"], "active");
}

// Why: a client's burst of pushes must read as one entry in the integration's history (not one per
// request), and that entry must say, per object, which field changed from what to what.
#[tokio::test]
async fn a_burst_of_pushes_is_one_run_with_per_object_field_changes() {
    let rig = Rig::start();
    let integration = rig.integration("Okta", "okta");
    let okta = rig.client(&integration, OKTA_AGENT);
    assert_eq!(
        rig.runs(&integration.key),
        Vec::<Value>::new(),
        "no pushes yet"
    );

    let id = okta
        .create_user(&okta_user("eve", "Eve", "Park", "pw-eve-123"))
        .await;
    let mut body = okta_user("eve", "Eve", "Park-Lee", "pw-eve-123");
    body["displayName"] = json!("Eve Park-Lee");
    body["emails"] = json!([{"primary": true, "value": "eve.parklee@okta.local", "type": "work"}]);
    let r = okta.put(&format!("/Users/{id}"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let gid = okta
        .create_group(
            &json!({"schemas": [GROUP_URN], "displayName": "Finance", "members": [{"value": id}]}),
        )
        .await;

    let runs = rig.runs(&integration.key);
    assert_eq!(runs.len(), 1, "one run for the burst: {runs:?}");
    let run = &runs[0];
    assert_eq!(run["trigger"], "scim");
    assert_eq!(run["outcome"], "succeeded");
    let changes = rig.changes(run["run_id"].as_i64().unwrap());
    let of = |key: &str, action: &str| -> Vec<&Value> {
        changes
            .iter()
            .filter(|c| c["key"] == key && c["action"] == action)
            .collect()
    };
    let field = |c: &Value, name: &str| -> (Value, Value) {
        let f = c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .unwrap_or_else(|| panic!("no {name} in {c}"));
        (f["before"].clone(), f["after"].clone())
    };
    let user = "eve@okta.local";
    assert_eq!(of(user, "create").len(), 1, "{changes:#?}");
    let update = of(user, "update");
    assert!(
        update
            .iter()
            .any(|c| field(c, "realname") == (json!("Eve Park"), json!("Eve Park-Lee"))),
        "the PUT's name change, before and after: {changes:#?}"
    );
    assert!(
        update.iter().any(
            |c| field(c, "email") == (json!("eve@okta.local"), json!("eve.parklee@okta.local"))
        ),
        "{changes:#?}"
    );
    let disable = of(user, "disable");
    assert_eq!(disable.len(), 1, "{changes:#?}");
    assert_eq!(
        field(disable[0], "status"),
        (json!("active"), json!("disabled"))
    );
    assert_eq!(of("Finance", "create").len(), 1, "{changes:#?}");
    assert!(
        changes.iter().any(|c| c["key"] == user
            && c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == "groups" && f["after"] == "Finance")),
        "the membership is a field change of the user: {changes:#?}"
    );
    assert!(
        !serde_json::to_string(&changes)
            .unwrap()
            .contains("pw-eve-123"),
        "the history holds no password"
    );
    let r = okta.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(rig.runs(&integration.key).len(), 1, "still the same run");
}
