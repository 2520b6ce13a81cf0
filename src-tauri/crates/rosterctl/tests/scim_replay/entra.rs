//! Entra ID's provisioning, as its SCIM references describe it, with and without `aadOptscim062020`.

use crate::entra_user;
use crate::replay::*;
use serde_json::json;

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
    assert_eq!(ids(&by_mail), std::slice::from_ref(&alice));

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

    // The manager, by the URN-qualified path, given as the manager's id (Entra ID resolves the reference
    // to the id it got when it created that user); then cleared.
    let manager_path = format!("{ENTERPRISE_URN}:manager");
    let r = entra
        .patch(
            &format!("/Users/{alice}"),
            json!([{"op": "Add", "path": manager_path, "value": bert}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body[ENTERPRISE_URN]["manager"]["value"],
        json!(bert),
        "{}",
        r.text
    );
    assert_eq!(
        r.body[ENTERPRISE_URN]["employeeNumber"], "E-1001",
        "the extension's other values stay"
    );
    let got = entra.get(&format!("/Users/{alice}")).await.body;
    assert_eq!(
        got[ENTERPRISE_URN]["manager"]["value"],
        json!(bert),
        "{got}"
    );
    let u = rig.user("alice@contoso.com");
    assert_eq!(
        (u["status"].as_str(), u["realname"].as_str()),
        (Some("active"), Some("Alice S."))
    );
    let r = entra
        .patch(
            &format!("/Users/{alice}"),
            json!([{"op": "Remove", "path": manager_path}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.body[ENTERPRISE_URN].get("manager").is_none(),
        "{}",
        r.text
    );
    assert_eq!(r.body[ENTERPRISE_URN]["employeeNumber"], "E-1001");

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
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let found = entra.get(lookup).await;
    assert_eq!(ids(&found), std::slice::from_ref(&gid));
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
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(groups_of(&rig.user("bert@contoso.com")), ["Sales EMEA"]);
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": alice}]}]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
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
    assert_eq!(r.status, 204, "{}", r.text);
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
        r.status, 204,
        "Entra re-sends removals; a second one changes nothing: {}",
        r.text
    );
    let r = entra
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": alice}]}]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
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
