//! PATCH (RFC 7644 §3.5.2): the RFC's examples, Okta's and Entra ID's documented requests, and errors.

use crate::fixture;
use roster_scim::{
    group_from_body, patch_group, patch_user, user_from_body, MemberOp, ScimError, ScimType,
};
use serde_json::{json, Value};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn ops(operations: Value) -> Vec<u8> {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    })
    .to_string()
    .into_bytes()
}

fn okta_user() -> Value {
    user_from_body(&fixture("okta/create-user.json")).unwrap()
}

fn entra_user() -> Value {
    user_from_body(&fixture("entra/create-user.json")).unwrap()
}

fn bjensen() -> Value {
    user_from_body(&fixture("rfc/user-enterprise.json")).unwrap()
}

fn group() -> Value {
    group_from_body(&fixture("okta/create-group.json"))
        .unwrap()
        .doc
}

fn user_err(doc: &Value, body: &[u8]) -> ScimError {
    patch_user("u1", doc, body).expect_err("refused")
}

// ---- Okta.

#[test]
fn oktas_path_less_deactivation() {
    let before = okta_user();
    let after = patch_user("u1", &before, &fixture("okta/deactivate-user.json")).unwrap();
    let mut want = before.clone();
    want["active"] = json!(false);
    assert_eq!(after, want, "only active changes");
}

#[test]
fn oktas_group_rename_ignores_its_own_id_and_refuses_another() {
    let gid = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b";
    let p = patch_group(gid, &group(), &fixture("okta/rename-group.json")).unwrap();
    assert_eq!(p.doc["displayName"], "Test SCIMv20");
    assert!(
        p.doc.get("id").is_none(),
        "the id is not part of the document"
    );
    assert!(p.members.is_empty());
    let e = patch_group("another-id", &group(), &fixture("okta/rename-group.json")).unwrap_err();
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::Mutability)));
    assert!(e.detail.contains("id is read-only"), "{}", e.detail);
}

#[test]
fn oktas_member_remove_and_add_keep_their_order() {
    let p = patch_group("g1", &group(), &fixture("okta/group-members.json")).unwrap();
    assert_eq!(
        p.members,
        [
            MemberOp::Remove(vec!["89bb1940-b905-4575-9e7f-6f887cfb368e".into()]),
            MemberOp::Add(vec!["23a35c27-23d3-4c03-b4c5-6443c09e7173".into()]),
        ]
    );
    assert_eq!(p.doc, group(), "the document is unchanged");
}

#[test]
fn oktas_full_member_push_replaces() {
    let p = patch_group("g1", &group(), &fixture("okta/replace-members.json")).unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Replace(vec![
            "23a35c27-23d3-4c03-b4c5-6443c09e7173".into(),
            "89bb1940-b905-4575-9e7f-6f887cfb368e".into()
        ])]
    );
}

// ---- Entra ID.

#[test]
fn entras_string_and_boolean_disable() {
    for f in ["entra/disable-user.json", "entra/disable-user-flag.json"] {
        let after = patch_user("u1", &entra_user(), &fixture(f)).unwrap();
        assert_eq!(after["active"], json!(false), "{f}: stored as a boolean");
    }
}

#[test]
fn entras_work_email_and_family_name() {
    let after = patch_user(
        "u1",
        &entra_user(),
        &fixture("entra/update-user-multi-valued.json"),
    )
    .unwrap();
    assert_eq!(
        after["emails"],
        json!([{"primary": true, "type": "work", "value": "updatedEmail@microsoft.com"}]),
        "only the work email's value changes"
    );
    assert_eq!(after["name"]["familyName"], "updatedFamilyName");
    assert_eq!(after["name"]["givenName"], "givenName");
}

fn expect_entra_replacements(
    after: &Value,
    email: &str,
    display: &str,
    given: &str,
    family: &str,
    number: &str,
) {
    assert_eq!(after["displayName"], display);
    assert_eq!(after["emails"][0]["value"], email);
    assert_eq!(after["emails"][0]["type"], "work");
    assert_eq!(after["name"]["givenName"], given);
    assert_eq!(after["name"]["familyName"], family);
    assert_eq!(
        after["name"]["formatted"], "givenName familyName",
        "other name parts stay"
    );
    assert_eq!(after[ENT]["employeeNumber"], number);
    assert_eq!(
        after["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENT]),
        "the extension's URN joins schemas once it has attributes"
    );
}

#[test]
fn entras_one_operation_per_attribute_with_urn_paths() {
    let after = patch_user(
        "u1",
        &entra_user(),
        &fixture("entra/replace-attributes.json"),
    )
    .unwrap();
    expect_entra_replacements(
        &after,
        "TestBcwqnm@test.microsoft.com",
        "Pvlo",
        "Gtfd",
        "Pkqf",
        "Eqpj",
    );
    assert_eq!(after["externalId"], "Eqpj");
}

#[test]
fn entras_path_less_value_with_dotted_and_urn_keys() {
    let after = patch_user(
        "u1",
        &entra_user(),
        &fixture("entra/replace-attributes-flag.json"),
    )
    .unwrap();
    expect_entra_replacements(
        &after,
        "TestMhvaes@test.microsoft.com",
        "Bjfe",
        "Kkom",
        "Unua",
        "Aklq",
    );
}

#[test]
fn entras_work_email_for_a_user_without_one_is_added() {
    let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u"});
    let after = patch_user("u1", &doc, &fixture("entra/update-user-multi-valued.json")).unwrap();
    assert_eq!(
        after["emails"],
        json!([{"type": "work", "value": "updatedEmail@microsoft.com"}]),
        "replace on emails[type eq \"work\"].value with no work email adds one, or Entra's provisioning stops"
    );
    assert_eq!(after["name"], json!({"familyName": "updatedFamilyName"}));
    let after = patch_user(
        "u1",
        &doc,
        &ops(json!([{"op": "Add", "path": "addresses[type eq \"work\"].postalCode", "value": "91608"}])),
    )
    .unwrap();
    assert_eq!(
        after["addresses"],
        json!([{"type": "work", "postalCode": "91608"}])
    );
}

#[test]
fn entras_add_nickname_and_manager() {
    let after = patch_user("u1", &entra_user(), &fixture("entra/add-nickname.json")).unwrap();
    assert_eq!(after["nickName"], "Babs");
    let after = patch_user("u1", &entra_user(), &fixture("entra/add-manager.json")).unwrap();
    assert_eq!(
        after[ENT]["manager"],
        json!({
            "value": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
            "$ref": "http://example.com/scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        }),
        "a bare `manager` path and a one-element list for a single value"
    );
    let after = patch_user(
        "u1",
        &entra_user(),
        &ops(json!([{"op": "Replace", "path": format!("{ENT}:manager"), "value": "m2"}])),
    )
    .unwrap();
    assert_eq!(
        after[ENT]["manager"],
        json!({"value": "m2"}),
        "a manager given as its id"
    );
}

#[test]
fn entras_group_operations() {
    let g = group_from_body(&fixture("entra/create-group.json"))
        .unwrap()
        .doc;
    let p = patch_group("g1", &g, &fixture("entra/rename-group.json")).unwrap();
    assert_eq!(
        p.doc["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
    assert_eq!(p.doc["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    let p = patch_group("g1", &g, &fixture("entra/add-members.json")).unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Add(vec!["f648f8d5ea4e4cd38e9c".into()])],
        "$ref: null is fine"
    );
    let p = patch_group("g1", &g, &fixture("entra/remove-members.json")).unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Remove(vec!["u1091".into()])],
        "Entra's removal with a value list"
    );
    let p = patch_group("g1", &g, &fixture("entra/remove-members-flag.json")).unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Remove(vec![
            "7f4bc1a3-285e-48ae-8202-5accb43efb0e".into()
        ])],
        "and with a filter"
    );
}

// ---- RFC 7644's own examples.

#[test]
fn rfc_add_examples() {
    // §3.5.2.1: a member, and a path-less add of an email and a nickname (spelled `nickname`).
    let p = patch_group(
        "g1",
        &group(),
        &ops(json!([{
            "op": "add",
            "path": "members",
            "value": [{
                "display": "Babs Jensen",
                "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
                "value": "2819c223-7f76-453a-919d-413861904646"
            }]
        }])),
    )
    .unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Add(vec![
            "2819c223-7f76-453a-919d-413861904646".into()
        ])]
    );
    let doc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bjensen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
    });
    let after = patch_user(
        "u1",
        &doc,
        &ops(json!([{
            "op": "add",
            "value": {
                "emails": [{"value": "babs@jensen.org", "type": "home"}],
                "nickname": "Babs"
            }
        }])),
    )
    .unwrap();
    assert_eq!(
        after["emails"],
        json!([
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ]),
        "add appends to a multi-valued attribute"
    );
    assert_eq!(after["nickName"], "Babs");
    let again = patch_user(
        "u1",
        &after,
        &ops(json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}])),
    )
    .unwrap();
    assert_eq!(again, after, "adding a value already there changes nothing");
}

#[test]
fn rfc_remove_examples() {
    // §3.5.2.2.
    let one = ops(
        json!([{"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]),
    );
    assert_eq!(
        patch_group("g1", &group(), &one).unwrap().members,
        [MemberOp::Remove(vec![
            "2819c223-7f76-453a-919d-413861904646".into()
        ])]
    );
    let all = ops(json!([{"op": "remove", "path": "members"}]));
    assert_eq!(
        patch_group("g1", &group(), &all).unwrap().members,
        [MemberOp::RemoveAll]
    );
    let two = ops(json!([
        {"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"},
        {"op": "remove", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"}
    ]));
    assert_eq!(
        patch_group("g1", &group(), &two).unwrap().members,
        [
            MemberOp::Remove(vec!["2819c223-7f76-453a-919d-413861904646".into()]),
            MemberOp::Remove(vec!["902c246b-6245-4190-8e05-00816be7344a".into()]),
        ]
    );
    let either =
        ops(json!([{"op": "remove", "path": "members[value eq \"a\" or value eq \"b\"]"}]));
    assert_eq!(
        patch_group("g1", &group(), &either).unwrap().members,
        [MemberOp::Remove(vec!["a".into(), "b".into()])]
    );
    let swap = ops(json!([
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [
            {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "value": "2819c223-7f76-453a-919d-413861904646"},
            {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210", "value": "08e1d05d-121c-4561-8b96-473d93df9210"}
        ]}
    ]));
    assert_eq!(
        patch_group("g1", &group(), &swap).unwrap().members,
        [
            MemberOp::RemoveAll,
            MemberOp::Add(vec![
                "2819c223-7f76-453a-919d-413861904646".into(),
                "08e1d05d-121c-4561-8b96-473d93df9210".into()
            ])
        ]
    );
    let u = bjensen();
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}])),
    )
    .unwrap();
    assert_eq!(
        after["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "remove", "path": "x509Certificates"}])),
    )
    .unwrap();
    assert!(after.get("x509Certificates").is_none());
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}])),
    )
    .unwrap();
    assert_eq!(
        after, u,
        "a remove filter that matches nothing changes nothing (no error in §3.5.2.2)"
    );
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "remove", "path": "name.middleName"}])),
    )
    .unwrap();
    assert!(after["name"].get("middleName").is_none());
    assert_eq!(after["name"]["givenName"], "Barbara");
    let after = patch_user("u1", &u, &ops(json!([{"op": "remove", "path": ENT}]))).unwrap();
    assert!(after.get(ENT).is_none());
    assert_eq!(
        after["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "remove", "path": format!("{ENT}:manager.value")}, {"op": "remove", "path": format!("{ENT}:manager.$ref")}])),
    )
    .unwrap();
    assert!(
        after[ENT].get("manager").is_none(),
        "a complex attribute left empty is unassigned"
    );
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "Remove", "path": "emails", "value": [{"value": "BABS@jensen.org"}]}])),
    )
    .unwrap();
    assert_eq!(
        after["emails"].as_array().unwrap().len(),
        1,
        "Entra's value-list removal works for any list"
    );
}

#[test]
fn rfc_replace_examples() {
    // §3.5.2.3.
    let p = patch_group(
        "g1",
        &group(),
        &ops(json!([{"op": "replace", "path": "members", "value": [
            {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "value": "2819c223-7f76-453a-919d-413861904646"},
            {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210", "value": "08e1d05d-121c-4561-8b96-473d93df9210"}
        ]}])),
    )
    .unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Replace(vec![
            "2819c223-7f76-453a-919d-413861904646".into(),
            "08e1d05d-121c-4561-8b96-473d93df9210".into()
        ])]
    );
    let u = bjensen();
    let work = json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    });
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": work}])),
    )
    .unwrap();
    assert_eq!(
        after["addresses"][0], work,
        "the matching value is replaced whole"
    );
    assert_eq!(after["addresses"][1]["type"], "home");
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}])),
    )
    .unwrap();
    assert_eq!(after["addresses"][0]["streetAddress"], "1010 Broadway Ave");
    assert_eq!(after["addresses"][0]["locality"], "Hollywood");
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "replace", "value": {
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "nickname": "Babs"
        }}])),
    )
    .unwrap();
    assert_eq!(
        after["emails"].as_array().unwrap().len(),
        2,
        "replace swaps the whole list"
    );
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}])),
    )
    .unwrap();
    assert_eq!(after["name"]["givenName"], "Babs");
    assert_eq!(
        after["name"]["familyName"], "Jensen",
        "sub-attributes not given stay (§3.5.2.3)"
    );
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "replace", "path": "title", "value": null}])),
    )
    .unwrap();
    assert!(
        after.get("title").is_none(),
        "replacing with null unassigns"
    );
}

#[test]
fn a_new_primary_value_demotes_the_old_one() {
    let u = bjensen();
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}])),
    )
    .unwrap();
    let emails = after["emails"].as_array().unwrap();
    assert_eq!(
        emails[0]["primary"], false,
        "RFC 7644 §3.5.2: the old primary is set to false"
    );
    assert_eq!(emails[2]["primary"], true);
    let after = patch_user(
        "u1",
        &u,
        &ops(json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}])),
    )
    .unwrap();
    assert_eq!(after["emails"][0]["primary"], false);
    assert_eq!(after["emails"][1]["primary"], true);
}

#[test]
fn case_insensitive_everything() {
    let after = patch_user(
        "u1",
        &bjensen(),
        &ops(json!([
            {"OP": "REPLACE", "PATH": "NAME.GIVENNAME", "VALUE": "B"},
            {"op": "replace", "path": "Emails[Type EQ \"WORK\"].Value", "value": "x@example.com"},
            {"op": "add", "path": "name", "value": {"HonorificPrefix": "Dr."}}
        ])),
    )
    .unwrap();
    assert_eq!(after["name"]["givenName"], "B");
    assert_eq!(after["name"]["honorificPrefix"], "Dr.");
    assert_eq!(after["emails"][0]["value"], "x@example.com");
    let lower = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "operations": [{"op": "add", "path": "title", "value": "t"}]});
    assert_eq!(
        patch_user("u1", &bjensen(), lower.to_string().as_bytes()).unwrap()["title"],
        "t"
    );
}

#[test]
fn passwords_are_accepted_and_dropped() {
    let u = okta_user();
    for body in [
        ops(json!([{"op": "replace", "path": "password", "value": "n3w-Secret"}])),
        ops(json!([{"op": "replace", "value": {"password": "n3w-Secret"}}])),
        ops(json!([{"op": "remove", "path": "password"}])),
    ] {
        let after = patch_user("u1", &u, &body).unwrap();
        assert_eq!(after, u, "nothing stored");
    }
}

// ---- Errors.

#[test]
fn malformed_patch_requests() {
    let u = okta_user();
    let cases: &[(&[u8], ScimType, &str)] = &[
        (b"{\"Operations\": []}", ScimType::InvalidSyntax, "\"schemas\" must be"),
        (
            b"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"Operations\": [{\"op\": \"add\"}]}",
            ScimType::InvalidSyntax,
            "\"schemas\" must be",
        ),
        (
            b"{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"]}",
            ScimType::InvalidSyntax,
            "needs \"Operations\"",
        ),
        (
            b"{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"], \"Operations\": []}",
            ScimType::InvalidSyntax,
            "one or more operations",
        ),
        (b"not json", ScimType::InvalidSyntax, "not valid JSON"),
    ];
    for (body, t, want) in cases {
        let e = user_err(&u, body);
        assert_eq!(e.scim_type, Some(*t), "{}", String::from_utf8_lossy(body));
        assert!(
            e.detail.contains(want),
            "{:?} should contain {want:?}",
            e.detail
        );
    }
}

#[test]
fn operation_errors_name_the_operation_and_say_what_to_send() {
    let u = bjensen();
    let cases = [
        (
            json!([{"op": "delete", "path": "title"}]),
            ScimType::InvalidSyntax,
            "Operation 1: \"op\" must be",
        ),
        (
            json!(["title"]),
            ScimType::InvalidSyntax,
            "must be an object",
        ),
        (
            json!([{"op": "remove"}]),
            ScimType::NoTarget,
            "remove needs a path",
        ),
        (
            json!([{"op": "add", "path": "title", "value": "t"}, {"op": "replace", "path": "nope", "value": 1}]),
            ScimType::InvalidPath,
            "Operation 2: Invalid path \"nope\"",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}]),
            ScimType::InvalidPath,
            "\"]\"",
        ),
        (
            json!([{"op": "replace", "path": "title[type eq \"x\"]", "value": "x"}]),
            ScimType::InvalidPath,
            "multi-valued complex",
        ),
        (
            json!([{"op": "replace", "path": 7, "value": "x"}]),
            ScimType::InvalidPath,
            "non-empty string",
        ),
        (
            json!([{"op": "replace", "path": "emails.value", "value": "x"}]),
            ScimType::InvalidPath,
            "select one with a filter",
        ),
        (
            json!([{"op": "replace", "path": "emails[value co \"nobody\"].type", "value": "home"}]),
            ScimType::NoTarget,
            "no value of emails matches",
        ),
        (
            json!([{"op": "replace", "path": "emails[value eq \"nobody@x\"].type", "value": "home"}]),
            ScimType::NoTarget,
            "RFC 7644 §3.5.2.3",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
            "id is read-only",
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            ScimType::Mutability,
            "groups is read-only",
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
            ScimType::Mutability,
            "meta.created is read-only",
        ),
        (
            json!([{"op": "replace", "path": format!("{ENT}:manager.displayName"), "value": "x"}]),
            ScimType::Mutability,
            "manager.displayName is read-only",
        ),
        (
            json!([{"op": "remove", "path": "userName"}]),
            ScimType::Mutability,
            "userName is required and cannot be removed",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
            "Operation 1: active must be true or false",
        ),
        (
            json!([{"op": "add", "path": "title"}]),
            ScimType::InvalidValue,
            "add needs a \"value\"",
        ),
        (
            json!([{"op": "replace", "value": "x"}]),
            ScimType::InvalidValue,
            "without a path needs an object",
        ),
        (
            json!([{"op": "replace", "value": {"nope": 1}}]),
            ScimType::InvalidPath,
            "\"nope\" is not an attribute",
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            ScimType::InvalidValue,
            "userName is required",
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}]),
            ScimType::InvalidValue,
            "marked primary",
        ),
        (
            json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": [{"type": "work"}, {"type": "work"}]}]),
            ScimType::InvalidValue,
            "give one object",
        ),
    ];
    for (operations, t, want) in cases {
        let e = user_err(&u, &ops(operations.clone()));
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(t)),
            "{operations}: {}",
            e.detail
        );
        assert!(
            e.detail.contains(want),
            "{operations}: {:?} should contain {want:?}",
            e.detail
        );
    }
}

#[test]
fn group_errors() {
    let g = group();
    let cases = [
        (
            json!([{"op": "remove", "path": "displayName"}]),
            ScimType::Mutability,
            "displayName is required",
        ),
        (
            json!([{"op": "add", "path": "members[value eq \"a\"]", "value": [{"value": "a"}]}]),
            ScimType::InvalidPath,
            "without a filter",
        ),
        (
            json!([{"op": "remove", "path": "members[display eq \"Ann\"]"}]),
            ScimType::InvalidPath,
            "removed by id",
        ),
        (
            json!([{"op": "replace", "path": "members.display", "value": "x"}]),
            ScimType::InvalidPath,
            "as a whole",
        ),
        (
            json!([{"op": "add", "path": "members", "value": [{"display": "no id"}]}]),
            ScimType::InvalidValue,
            "members[0] needs a non-empty \"value\"",
        ),
        (
            json!([{"op": "replace", "path": "members"}]),
            ScimType::InvalidValue,
            "replace needs a \"value\"",
        ),
        (
            json!([{"op": "replace", "path": "manager", "value": "x"}]),
            ScimType::InvalidPath,
            "not an attribute of Group",
        ),
    ];
    for (operations, t, want) in cases {
        let e = patch_group("g1", &g, &ops(operations.clone())).unwrap_err();
        assert_eq!(e.scim_type, Some(t), "{operations}: {}", e.detail);
        assert!(
            e.detail.contains(want),
            "{operations}: {:?} should contain {want:?}",
            e.detail
        );
    }
    let p = patch_group(
        "g1",
        &g,
        &ops(json!([{"op": "replace", "value": {"members": [{"value": "a"}], "externalId": "x"}}])),
    )
    .unwrap();
    assert_eq!(
        p.members,
        [MemberOp::Replace(vec!["a".into()])],
        "members in a path-less value"
    );
    assert_eq!(p.doc["externalId"], "x");
    assert!(p.doc.get("members").is_none());
}

#[test]
fn a_failed_operation_leaves_nothing_half_done() {
    // The caller gets an error and keeps the stored document; a PATCH is all or nothing (§3.5.2).
    let u = bjensen();
    let e = user_err(
        &u,
        &ops(json!([
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "replace", "path": "id", "value": "x"}
        ])),
    );
    assert_eq!(e.scim_type, Some(ScimType::Mutability));
    assert!(e.detail.starts_with("Operation 2:"), "{}", e.detail);
}
