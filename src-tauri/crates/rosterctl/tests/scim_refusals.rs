//! What Roster's SCIM server refuses, over the real `rosterctl serve` on 127.0.0.1: each refusal is a SCIM
//! error (RFC 7644 §3.12: the right status and `scimType`, the error URN, `application/scim+json`), and
//! after it neither the integration's replica nor Roster's users, groups, trash or history has changed.
//! Bad requests (400, 404, 413) are in `bodies`, credentials (401) in `tokens`, conflicts with what is
//! stored (409, 412) in `conflicts`.
//!
//! The identity providers' accepted sequences are in `scim_replay.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod replay;
mod serving;

#[path = "scim_refusals/bodies.rs"]
mod bodies;
#[path = "scim_refusals/conflicts.rs"]
mod conflicts;
#[path = "scim_refusals/tokens.rs"]
mod tokens;

use replay::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Everything a refused request must leave as it was: Roster's users, groups, trash and history, and the
/// integration's replica as its client reads it.
pub async fn state(rig: &Rig, scim: &Scim, key: &str) -> Value {
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
pub struct Fixture {
    pub rig: Rig,
    pub integration: Integration,
    pub scim: Scim,
    pub user: String,
    pub group: String,
}

pub async fn fixture() -> Fixture {
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
    pub async fn state(&self) -> Value {
        state(&self.rig, &self.scim, &self.integration.key).await
    }

    /// Sends `body` as is (`None`: no body) and checks the SCIM error it gets.
    pub async fn refused(
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
