//! Requests an identity provider sends in parallel: serialised, none lost, none doubled.

use crate::replay::*;
use crate::{entra_user, okta_user};
use serde_json::json;

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

/// Every `value` of a `groups` change in the history of `key`, with whether the user joined (`after`
/// names the group) or left: one entry per recorded membership change.
fn membership_changes(rig: &Rig, key: &str, group: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for run in rig.runs(key).iter().rev() {
        for c in rig.changes(run["run_id"].as_i64().unwrap()) {
            for f in c["fields"].as_array().into_iter().flatten() {
                if f["field"] != "groups" {
                    continue;
                }
                let has = |v: &serde_json::Value| v.as_str().is_some_and(|s| s.contains(group));
                if has(&f["before"]) != has(&f["after"]) {
                    out.push((c["key"].as_str().unwrap().to_string(), has(&f["after"])));
                }
            }
        }
    }
    out
}

// Why: Entra ID and Okta push a group's membership as many small PATCHes, in parallel; each one changes
// the member list, so two that read the same list and both write it back would lose a member. None may be
// lost, in the replica or in Roster, and each must be one new version of the group and one recorded change.
#[tokio::test]
async fn concurrent_member_patches_of_one_group_lose_no_update() {
    let rig = Rig::start();
    let integration = rig.integration("Entra ID", "generic");
    let entra = rig.client(&integration, ENTRA_AGENT);
    let mut users = Vec::new();
    for i in 0..40 {
        users.push(
            entra
                .create_user(&entra_user(
                    &format!("m{i:02}"),
                    "Member",
                    &format!("No{i}"),
                ))
                .await,
        );
    }
    let gid = entra
        .create_group(&json!({"schemas": [GROUP_URN], "displayName": "Everyone"}))
        .await;
    let path = format!("/Groups/{gid}");
    let patch_all = |ops: Vec<serde_json::Value>| {
        let mut tasks = tokio::task::JoinSet::new();
        for op in ops {
            let (entra, path) = (entra.clone(), path.clone());
            tasks.spawn(async move { entra.patch(&path, json!([op])).await });
        }
        tasks
    };

    // Thirty adds at once, as Entra sends them.
    let mut tasks = patch_all(
        users[..30]
            .iter()
            .map(|u| json!({"op": "Add", "path": "members", "value": [{"$ref": null, "value": u}]}))
            .collect(),
    );
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let got = entra.get(&path).await;
    let mut expected: Vec<String> = users[..30].to_vec();
    expected.sort();
    assert_eq!(member_ids(&got.body), expected, "every add is kept");
    assert_eq!(got.etag.as_deref(), Some("W/\"31\""), "one version per add");
    assert_eq!(
        rig.find_group("Everyone").unwrap()["member_count"],
        json!(30)
    );

    // Fifteen removals (Okta's filtered form) and ten adds at once.
    let (evens, odds): (Vec<_>, Vec<_>) = users[..30]
        .iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let mut ops: Vec<serde_json::Value> = evens
        .iter()
        .map(|(_, u)| json!({"op": "remove", "path": format!("members[value eq \"{u}\"]")}))
        .collect();
    ops.extend(
        users[30..]
            .iter()
            .map(|u| json!({"op": "add", "path": "members", "value": [{"value": u}]})),
    );
    let mut tasks = patch_all(ops);
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let mut expected: Vec<String> = odds.iter().map(|(_, u)| u.to_string()).collect();
    expected.extend(users[30..].iter().cloned());
    expected.sort();
    let got = entra.get(&path).await;
    assert_eq!(member_ids(&got.body), expected, "no removal or add is lost");
    assert_eq!(
        got.etag.as_deref(),
        Some("W/\"56\""),
        "one version per change"
    );

    // Roster: the group and each user agree with the replica.
    assert_eq!(
        rig.find_group("Everyone").unwrap()["member_count"],
        json!(25)
    );
    for (i, _) in users.iter().enumerate() {
        let name = format!("m{i:02}@contoso.com");
        let want: Vec<String> = if i < 30 && i % 2 == 0 {
            Vec::new()
        } else {
            vec!["Everyone".into()]
        };
        assert_eq!(groups_of(&rig.user(&name)), want, "{name}");
    }
    let changes = membership_changes(&rig, &integration.key, "Everyone");
    assert_eq!(
        changes.len(),
        30 + 15 + 10,
        "each join and each leave is one recorded change: {changes:?}"
    );
    assert_eq!(changes.iter().filter(|(_, joined)| !joined).count(), 15);
}
