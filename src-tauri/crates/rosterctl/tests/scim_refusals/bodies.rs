//! Requests Roster cannot read or apply: 400 with the scimType that says why, 404, 413.

use crate::fixture;
use crate::replay::*;
use reqwest::Method;
use serde_json::{json, Value};

// Why: a body that is not JSON, or not a JSON object, must be refused as invalidSyntax before anything
// is written, whichever operation carries it.
#[tokio::test]
async fn malformed_json_is_400_invalid_syntax_and_stores_nothing() {
    let f = fixture().await;
    let before = f.state().await;
    let (u, g) = (format!("/Users/{}", f.user), format!("/Groups/{}", f.group));
    let cases: Vec<(Method, &str, &str)> = vec![
        (
            Method::POST,
            "/Users",
            r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "cut@example.com""#,
        ),
        (Method::POST, "/Users", "userName=cut@example.com"),
        (Method::POST, "/Users", "[]"),
        (Method::POST, "/Users", ""),
        (Method::POST, "/Groups", "{'displayName': 'Single quotes'}"),
        (Method::PUT, &u, "{,}"),
        (
            Method::PATCH,
            &u,
            r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ["#,
        ),
        (
            Method::PATCH,
            &u,
            r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}"#,
        ),
        (
            Method::PATCH,
            &u,
            r#"{"Operations": [{"op": "replace", "path": "active", "value": false}]}"#,
        ),
        (
            Method::PATCH,
            &g,
            r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "merge", "path": "displayName", "value": "x"}]}"#,
        ),
    ];
    for (method, path, body) in cases {
        f.refused(method, path, Some(body), 400, Some("invalidSyntax"))
            .await;
    }
    assert_eq!(f.state().await, before, "nothing was stored");
}

// Why: a value of the wrong type, a missing or empty userName or displayName, and attributes under a
// schema Roster does not have must be refused (never silently dropped or coerced), naming the problem.
#[tokio::test]
async fn wrong_types_missing_names_and_unknown_schemas_are_400_and_store_nothing() {
    let f = fixture().await;
    let before = f.state().await;
    let (u, g) = (format!("/Users/{}", f.user), format!("/Groups/{}", f.group));
    let user = |extra: Value| {
        let mut b = json!({"schemas": [USER_URN], "userName": "new@example.com"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b.to_string()
    };
    let ext = "urn:example:params:scim:schemas:extension:acme:2.0:User";
    let invalid_value: Vec<(Method, &str, String)> = vec![
        (Method::POST, "/Users", user(json!({"userName": 42}))),
        (Method::POST, "/Users", user(json!({"active": "maybe"}))),
        (Method::POST, "/Users", user(json!({"name": "New User"}))),
        (
            Method::POST,
            "/Users",
            user(json!({"emails": [{"value": 7}]})),
        ),
        (
            Method::POST,
            "/Users",
            user(json!({"nickname": ["a", "b"]})),
        ),
        (Method::POST, "/Users", user(json!({"shoeSize": 44}))),
        (Method::POST, "/Users", user(json!({ext: {"badge": "7"}}))),
        (
            Method::POST,
            "/Users",
            json!({"schemas": [USER_URN], "displayName": "No Name"}).to_string(),
        ),
        (Method::POST, "/Users", user(json!({"userName": "   "}))),
        (
            Method::POST,
            "/Groups",
            json!({"schemas": [GROUP_URN], "members": []}).to_string(),
        ),
        (Method::PUT, &u, user(json!({"active": 1}))),
        (
            Method::PUT,
            &g,
            json!({"schemas": [GROUP_URN], "displayName": {"text": "Staff"}}).to_string(),
        ),
        (
            Method::PATCH,
            &u,
            patch_body(json!([{"op": "replace", "path": "active", "value": "maybe"}])).to_string(),
        ),
        (
            Method::PATCH,
            &u,
            patch_body(json!([{"op": "replace", "path": "userName", "value": ""}])).to_string(),
        ),
    ];
    for (method, path, body) in &invalid_value {
        f.refused(method.clone(), path, Some(body), 400, Some("invalidValue"))
            .await;
    }
    // `schemas` must name the core schema; an unknown URN alone is not a user.
    let unknown_only = json!({"schemas": [ext], "userName": "new@example.com"}).to_string();
    f.refused(
        Method::POST,
        "/Users",
        Some(&unknown_only),
        400,
        Some("invalidSyntax"),
    )
    .await;
    assert_eq!(f.state().await, before, "nothing was stored");
}

// Why: the body limit (1 MiB) protects the server; an oversized push must be answered in SCIM's format so
// the identity provider can show why, and must store nothing.
#[tokio::test]
async fn a_body_over_one_mebibyte_is_413_in_scim_format_and_stores_nothing() {
    let f = fixture().await;
    let before = f.state().await;
    let big = json!({
        "schemas": [USER_URN],
        "userName": "big@example.com",
        "displayName": "x".repeat(1024 * 1024),
    })
    .to_string();
    assert!(big.len() > 1024 * 1024);
    let r = f
        .refused(Method::POST, "/Users", Some(&big), 413, None)
        .await;
    assert!(r.text.len() < 4096, "the refusal does not echo the body");
    let patch = patch_body(
        json!([{"op": "replace", "path": "displayName", "value": "y".repeat(1024 * 1024)}]),
    )
    .to_string();
    f.refused(
        Method::PATCH,
        &format!("/Users/{}", f.user),
        Some(&patch),
        413,
        None,
    )
    .await;
    assert_eq!(f.state().await, before, "nothing was stored");
}

// Why: a filter Roster cannot read must be refused as invalidFilter, not answered with everyone or no one.
#[tokio::test]
async fn an_invalid_filter_is_400_invalid_filter() {
    let f = fixture().await;
    for filter in [
        "userName%20zz%20%22x%22",
        "userName%20eq",
        "userName%20eq%20%22unterminated",
        "(userName%20eq%20%22x%22",
        "shoeSize%20eq%2044",
        "emails%5Btype%20eq%20%22work%22%20.value%20eq%20%22x%22",
    ] {
        f.refused(
            Method::GET,
            &format!("/Users?filter={filter}"),
            None,
            400,
            Some("invalidFilter"),
        )
        .await;
    }
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName zz \"x\""});
    f.refused(
        Method::POST,
        "/Users/.search",
        Some(&search.to_string()),
        400,
        Some("invalidFilter"),
    )
    .await;
}

// Why: a PATCH naming an attribute that does not exist must be refused as invalidPath (not ignored), and a
// PATCH, PUT or DELETE of an id the integration does not have must be 404, all storing nothing.
#[tokio::test]
async fn an_invalid_patch_path_is_400_invalid_path_and_an_unknown_id_is_404() {
    let f = fixture().await;
    let before = f.state().await;
    let (u, g) = (format!("/Users/{}", f.user), format!("/Groups/{}", f.group));
    for (path, ops) in [
        (
            &u,
            json!([{"op": "replace", "path": "shoeSize", "value": "44"}]),
        ),
        (
            &u,
            json!([{"op": "replace", "path": "name.nickName", "value": "x"}]),
        ),
        (
            &u,
            json!([{"op": "add", "path": "urn:example:acme:2.0:User:badge", "value": "7"}]),
        ),
        (
            &u,
            json!([{"op": "replace", "path": "emails.value", "value": "x@example.com"}]),
        ),
        (
            &g,
            json!([{"op": "replace", "path": "members.value", "value": "x"}]),
        ),
        (
            &u,
            json!([
                {"op": "replace", "path": "displayName", "value": "Applied first"},
                {"op": "replace", "path": "noSuchAttribute", "value": "x"}
            ]),
        ),
    ] {
        let body = patch_body(ops).to_string();
        f.refused(Method::PATCH, path, Some(&body), 400, Some("invalidPath"))
            .await;
    }
    let unknown = "/Users/00000000-0000-4000-8000-000000000000";
    let body = patch_body(json!([{"op": "replace", "path": "active", "value": false}])).to_string();
    f.refused(Method::PATCH, unknown, Some(&body), 404, None)
        .await;
    f.refused(Method::PATCH, "/Groups/nope", Some(&body), 404, None)
        .await;
    let put = json!({"schemas": [USER_URN], "userName": "ghost@example.com"}).to_string();
    f.refused(Method::PUT, unknown, Some(&put), 404, None).await;
    f.refused(Method::DELETE, unknown, None, 404, None).await;
    f.refused(Method::GET, unknown, None, 404, None).await;
    assert_eq!(f.state().await, before, "nothing was stored");
}
