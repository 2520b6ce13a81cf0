//! What Roster's SCIM server refuses, over the real `rosterctl serve` on 127.0.0.1: each refusal is a SCIM
//! error (RFC 7644 §3.12: the right status and `scimType`, the error URN, `application/scim+json`), and
//! after it neither the integration's replica nor Roster's users, groups, trash or history has changed.
//!
//! The identity providers' accepted sequences are in `scim_replay.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod replay;
mod serving;

use replay::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Everything a refused request must leave as it was: Roster's users, groups, trash and history, and the
/// integration's replica as its client reads it.
async fn state(rig: &Rig, scim: &Scim, key: &str) -> Value {
    let users = scim.get("/Users?startIndex=1&count=1000").await;
    let groups = scim.get("/Groups?startIndex=1&count=1000").await;
    assert_eq!((users.status, groups.status), (200, 200), "{}", users.text);
    json!({
        "roster_users": rig.users(),
        "roster_groups": rig.groups(),
        "trash": rig.trash(),
        "runs": rig.runs(key),
        "replica_users": users.body,
        "replica_groups": groups.body,
    })
}

/// A tenant with an integration holding one user and one group with that user in it.
struct Fixture {
    rig: Rig,
    integration: Integration,
    scim: Scim,
    user: String,
    group: String,
}

async fn fixture() -> Fixture {
    let rig = Rig::start();
    let integration = rig.integration("Push", "generic");
    let scim = rig.client(&integration, "refusal-test");
    let user = scim
        .create_user(&json!({
            "schemas": [USER_URN], "userName": "known@example.com", "active": true,
            "name": {"givenName": "Known", "familyName": "User"},
            "emails": [{"value": "known@example.com", "type": "work", "primary": true}]
        }))
        .await;
    let group = scim
        .create_group(
            &json!({"schemas": [GROUP_URN], "displayName": "Staff", "members": [{"value": user}]}),
        )
        .await;
    Fixture {
        rig,
        integration,
        scim,
        user,
        group,
    }
}

impl Fixture {
    async fn state(&self) -> Value {
        state(&self.rig, &self.scim, &self.integration.key).await
    }

    /// Sends `body` as is (`None`: no body) and checks the SCIM error it gets.
    async fn refused(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        status: u16,
        scim_type: Option<&str>,
    ) -> Reply {
        let r = self
            .scim
            .raw(
                method.clone(),
                path,
                body.map(|b| b.as_bytes().to_vec()),
                &[],
            )
            .await;
        assert_eq!(
            r.status,
            status,
            "{method} {path} with {}: {}",
            body.unwrap_or("no body"),
            r.text
        );
        assert_scim_error(&r, status, scim_type);
        r
    }
}

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

// Why: only the integration's current token opens it; every other credential gets the same 401 with a
// WWW-Authenticate challenge (RFC 6750), learns nothing, and changes nothing.
#[tokio::test]
async fn missing_wrong_replaced_or_foreign_tokens_are_401_with_www_authenticate() {
    let f = fixture().await;
    let other = f.rig.integration("Other", "okta");
    let renewed = f.rig.regenerate(&f.integration);
    let current = f.rig.client(&renewed, "refusal-test");
    let before = state(&f.rig, &current, &f.integration.key).await;

    let create = json!({"schemas": [USER_URN], "userName": "intruder@example.com"});
    let mut refusals = Vec::new();
    for (what, client) in [
        ("no token", current.with_token_of(None)),
        ("a made-up token", current.with_made_up_token()),
        (
            "the token Regenerate replaced",
            current.with_token_of(Some(&f.integration)),
        ),
        (
            "another integration's token",
            current.with_token_of(Some(&other)),
        ),
    ] {
        for r in [
            client.get("/Users").await,
            client.post("/Users", &create).await,
            client
                .patch(
                    &format!("/Users/{}", f.user),
                    json!([{"op": "replace", "path": "active", "value": false}]),
                )
                .await,
            client.delete(&format!("/Groups/{}", f.group)).await,
            client.get("/ServiceProviderConfig").await,
        ] {
            assert_scim_error(&r, 401, None);
            let challenge = r.www_authenticate.clone().unwrap_or_default();
            assert!(
                challenge.starts_with("Bearer"),
                "{what}: a 401 says which scheme to use, not {challenge:?}"
            );
            refusals.push(r.body["detail"].clone());
        }
    }
    let basic = current
        .with_token_of(None)
        .raw(
            Method::GET,
            "/Users",
            None,
            &[("Authorization", "Basic a2V5OnNlY3JldA==")],
        )
        .await;
    assert_scim_error(&basic, 401, None);
    refusals.dedup();
    assert_eq!(
        refusals.len(),
        2,
        "one answer for a missing token, one for every wrong token: {refusals:?}"
    );

    assert_eq!(
        current.get("/Users").await.status,
        200,
        "the new token works"
    );
    let foreign = f.rig.client(&other, "refusal-test");
    assert_eq!(
        foreign.get(&format!("/Users/{}", f.user)).await.status,
        404,
        "another integration's token opens only its own replica"
    );
    assert_eq!(
        state(&f.rig, &current, &f.integration.key).await,
        before,
        "nothing was stored"
    );
}

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
    assert_eq!(added.status, 200, "{}", added.text);
    let second = added.etag.clone().unwrap();
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
    assert_eq!(member_ids(&third.body), [f.user.clone()]);
    assert_ne!(
        third.etag.as_deref(),
        Some(second.as_str()),
        "{}",
        third.text
    );
}
