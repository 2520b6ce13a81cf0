//! Credentials: only an integration's current token opens it (401 otherwise).

use crate::replay::*;
use crate::{fixture, state};
use reqwest::Method;
use serde_json::json;

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

// Why: deleting the integration in Roster is how an operator cuts an identity provider off; its token
// must stop working at once (the running server sees it without a restart), the same 401 as any
// unknown token, and what it pushed stays in Roster as unmanaged users.
#[tokio::test]
async fn a_deleted_integrations_token_is_401_at_once_and_its_users_stay_unmanaged() {
    let f = fixture().await;
    assert_eq!(f.rig.user("known@example.com")["managed_by"], "Push");
    let out = f
        .rig
        .cli(&["directory", "delete", &f.integration.key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "directory delete: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unknown = f.scim.with_made_up_token().get("/Users").await;
    assert_scim_error(&unknown, 401, None);
    for r in [
        f.scim.get("/Users").await,
        f.scim.get(&format!("/Users/{}", f.user)).await,
        f.scim
            .post(
                "/Users",
                &json!({"schemas": [USER_URN], "userName": "late@example.com"}),
            )
            .await,
        f.scim
            .patch(
                &format!("/Users/{}", f.user),
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await,
    ] {
        assert_scim_error(&r, 401, None);
        assert_eq!(
            r.body["detail"], unknown.body["detail"],
            "the same answer as a token that never existed"
        );
    }
    let user = f.rig.user("known@example.com");
    assert_eq!(
        user["status"], "active",
        "the refused PATCH changed nothing"
    );
    assert!(user["managed_by"].is_null(), "{user}");
    assert!(f.rig.find_user("late@example.com").is_none());
}
