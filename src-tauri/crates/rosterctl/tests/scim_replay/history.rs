//! What a client's pushes leave in the integration's history.

use crate::okta_user;
use crate::replay::*;
use serde_json::{json, Value};

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
