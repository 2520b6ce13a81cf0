//! Okta's and Entra ID's real SCIM request sequences (their published references; see
//! `/work/shared/brief/setup-notes.md` §4), replayed against the real `rosterctl serve` on 127.0.0.1, with
//! Roster's users, groups, trash and history checked through `rosterctl` after each step: Okta's in
//! `okta`, Entra ID's in `entra`, concurrent pushes in `concurrency`, the history a burst leaves in
//! `history`.
//!
//! Refusals (bad bodies, tokens, precedence, ETags) are in `scim_refusals.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod replay;
mod serving;

#[path = "scim_replay/concurrency.rs"]
mod concurrency;
#[path = "scim_replay/entra.rs"]
mod entra;
#[path = "scim_replay/history.rs"]
mod history;
#[path = "scim_replay/okta.rs"]
mod okta;

use replay::*;
use serde_json::{json, Value};

/// Okta's POST /Users body (its SCIM 2.0 reference), for `user`@okta.local.
pub fn okta_user(user: &str, given: &str, family: &str, password: &str) -> Value {
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

/// Entra ID's POST /Users body (its SCIM reference).
pub fn entra_user(user: &str, given: &str, family: &str) -> Value {
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

pub fn sorted<const N: usize>(ids: [&String; N]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}
