//! POST and PUT bodies: Okta's and Entra ID's documented requests, the RFC's example user, and bodies
//! that are refused, each with a message that says what to send.

use crate::fixture;
use roster_scim::{group_from_body, user_from_body, ScimError, ScimType};
use serde_json::{json, Value};

fn user(body: Value) -> Result<Value, ScimError> {
    user_from_body(body.to_string().as_bytes())
}

fn refused(body: &[u8]) -> ScimError {
    user_from_body(body).expect_err("refused")
}

#[test]
fn oktas_create_user_keeps_the_profile_and_drops_password_and_groups() {
    let doc = user_from_body(&fixture("okta/create-user.json")).unwrap();
    assert_eq!(
        doc,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "active": true,
        }),
        "password is never stored and groups are read-only"
    );
    assert!(!doc.to_string().contains("1mz050nq"));
}

#[test]
fn oktas_put_drops_id_and_meta() {
    let doc = user_from_body(&fixture("okta/put-user.json")).unwrap();
    assert!(
        doc.get("id").is_none(),
        "the id comes from the URL, not the body"
    );
    assert!(doc.get("meta").is_none());
    assert!(doc.get("groups").is_none());
    assert_eq!(doc["name"]["middleName"], "Excited");
    assert_eq!(doc["emails"][0]["display"], "test.user@okta.local");
}

#[test]
fn entras_create_user_with_an_empty_roles_list_and_meta() {
    let doc = user_from_body(&fixture("entra/create-user.json")).unwrap();
    assert!(doc.get("roles").is_none(), "an empty list is unassigned");
    assert!(doc.get("meta").is_none());
    assert_eq!(
        doc["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        "schemas lists only the extensions that have attributes"
    );
    assert_eq!(doc["name"]["formatted"], "givenName familyName");
}

#[test]
fn entras_create_group_with_its_microsoft_schema_urn() {
    let g = group_from_body(&fixture("entra/create-group.json")).unwrap();
    assert_eq!(
        g.doc,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
        }),
        "Entra's extra schema URN carries no attributes, so it is ignored rather than refused"
    );
    assert!(g.members.is_empty());
}

#[test]
fn oktas_create_group_and_members_apart_from_the_document() {
    let g = group_from_body(&fixture("okta/create-group.json")).unwrap();
    assert_eq!(g.doc["displayName"], "Test SCIMv2");
    assert!(g.doc.get("members").is_none());
    let rfc = group_from_body(&fixture("rfc/group.json")).unwrap();
    assert_eq!(
        rfc.members,
        [
            "2819c223-7f76-453a-919d-413861904646",
            "902c246b-6245-4190-8e05-00816be7344a"
        ]
    );
    assert!(
        rfc.doc.get("members").is_none(),
        "memberships are rows, not part of the document"
    );
    assert!(rfc.doc.get("id").is_none());
    let dup = group_from_body(
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "g",
            "members": [{"value": "a"}, {"VALUE": "b", "type": "User"}, {"value": "a"}],
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        dup.members,
        ["a", "b"],
        "each member once, in the order sent"
    );
}

#[test]
fn the_rfc_user_round_trips_without_its_read_only_parts() {
    let doc = user_from_body(&fixture("rfc/user-enterprise.json")).unwrap();
    let ent = &doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(ent["employeeNumber"], "701984");
    assert_eq!(
        ent["manager"],
        json!({
            "value": "26118915-6090-4610-87e4-49d8ca9f808d",
            "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
        }),
        "the manager's displayName is read-only"
    );
    assert_eq!(
        doc["schemas"],
        json!([
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ])
    );
    for gone in ["id", "meta", "password", "groups"] {
        assert!(doc.get(gone).is_none(), "{gone} is not stored");
    }
    assert_eq!(
        doc["addresses"][0]["primary"], true,
        "addresses have primary"
    );
    assert_eq!(doc["x509Certificates"].as_array().unwrap().len(), 1);
}

#[test]
fn names_are_normalised_to_the_schema_spelling() {
    let doc = user(json!({
        "SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
        "USERNAME": "bjensen",
        "Name": {"GivenName": "Barbara"},
        "emails": [{"VALUE": "b@example.com", "Type": "work", "Primary": "TRUE"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EmployeeNumber": "7"},
    }))
    .unwrap();
    assert_eq!(
        doc,
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "userName": "bjensen",
            "name": {"givenName": "Barbara"},
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"},
        })
    );
}

#[test]
fn active_accepts_entras_strings_in_any_case() {
    for (sent, stored) in [
        (json!(true), true),
        (json!(false), false),
        (json!("True"), true),
        (json!("False"), false),
        (json!("FALSE"), false),
        (json!("true"), true),
    ] {
        let doc = user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "u",
            "active": sent,
        }))
        .unwrap();
        assert_eq!(doc["active"], stored, "{sent}");
    }
}

#[test]
fn lenient_shapes_with_one_meaning() {
    let doc = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "u",
        "emails": {"value": "one@example.com"},
        "nickName": null,
        "phoneNumbers": [],
        "name": {},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m1", "department": null},
    }))
    .unwrap();
    assert_eq!(
        doc["emails"],
        json!([{"value": "one@example.com"}]),
        "one value for a list"
    );
    assert_eq!(
        doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
        json!({"value": "m1"}),
        "a manager given as a string is its value (Entra's schema example)"
    );
    for gone in ["nickName", "phoneNumbers", "name"] {
        assert!(
            doc.get(gone).is_none(),
            "{gone}: null, [] and {{}} are unassigned"
        );
    }
}

#[test]
fn malformed_bodies_are_invalid_syntax() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "The body is empty"),
        (b"  \n", "The body is empty"),
        (b"{\"userName\": ", "not valid JSON (line 1, column 13)"),
        (b"[1]", "The body is a list"),
        (b"{\"userName\": \"u\"}", "has no \"schemas\""),
        (
            b"{\"schemas\": \"urn:ietf:params:scim:schemas:core:2.0:User\", \"userName\": \"u\"}",
            "must be a list of schema URNs",
        ),
        (
            b"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:Group\"], \"userName\": \"u\"}",
            "must include \"urn:ietf:params:scim:schemas:core:2.0:User\"",
        ),
        (
            b"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"u\", \"USERNAME\": \"v\"}",
            "userName is given twice",
        ),
    ];
    for (body, want) in cases {
        let e = refused(body);
        assert_eq!(
            e.scim_type,
            Some(ScimType::InvalidSyntax),
            "{}",
            String::from_utf8_lossy(body)
        );
        assert!(
            e.detail.contains(want),
            "{:?} should contain {want:?}",
            e.detail
        );
    }
}

#[test]
fn wrong_values_are_invalid_value_naming_the_attribute() {
    let base = |extra: Value| {
        let mut b =
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (json!({"userName": null}), "userName is required"),
        (json!({"userName": "  "}), "userName is required"),
        (json!({"userName": 5}), "userName must be a string, not a number"),
        (json!({"active": "yes"}), "active must be true or false, not a string"),
        (json!({"displayName": ["a", "b"]}), "displayName takes one value, not a list"),
        (json!({"name": "Barbara"}), "name must be an object with formatted, familyName"),
        (json!({"name": {"nick": "B"}}), "\"nick\" is not an attribute of name"),
        (json!({"emails": [{"value": 1}]}), "emails.value must be a string"),
        (json!({"emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}), "2 of emails are marked primary"),
        (json!({"favouriteColour": "blue"}), "\"favouriteColour\" is not an attribute of User resources"),
        (json!({"urn:example:custom:1.0:User": {"x": 1}}), "\"urn:example:custom:1.0:User\" is not a schema or attribute Roster supports"),
        (json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}), "must be an object of EnterpriseUser attributes"),
        (json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"badge": "1"}}), "\"badge\" is not an attribute of urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
    ];
    for (extra, want) in cases {
        let e = user(base(extra.clone())).expect_err(&extra.to_string());
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(ScimType::InvalidValue)),
            "{extra}"
        );
        assert!(
            e.detail.contains(want),
            "{extra}: {:?} should contain {want:?}",
            e.detail
        );
    }
}

#[test]
fn a_password_of_any_shape_is_dropped_and_never_echoed() {
    for pw in [
        json!("s3cret-Pa55"),
        json!(12345678),
        json!({"x": "s3cret-Pa55"}),
    ] {
        let doc = user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "u",
            "password": pw,
        }))
        .unwrap();
        assert!(doc.get("password").is_none());
    }
    let e = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "password": "s3cret-Pa55",
    }))
    .unwrap_err();
    assert!(!e.detail.contains("s3cret"), "{}", e.detail);
}

#[test]
fn groups_need_a_display_name_and_member_values() {
    let g = |v: Value| group_from_body(v.to_string().as_bytes());
    let e = g(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]})).unwrap_err();
    assert!(e.detail.contains("displayName is required"), "{}", e.detail);
    let e = g(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "g",
        "members": [{"value": "a"}, {"display": "no id"}],
    }))
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert!(
        e.detail.contains("members[1] needs a non-empty \"value\""),
        "{}",
        e.detail
    );
    let e = g(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "displayName": "g",
    }))
    .unwrap_err();
    assert!(e
        .detail
        .contains("must include \"urn:ietf:params:scim:schemas:core:2.0:Group\""));
    let e = g(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "g",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "x"},
    }))
    .unwrap_err();
    assert_eq!(
        e.scim_type,
        Some(ScimType::InvalidValue),
        "groups have no enterprise extension"
    );
}
