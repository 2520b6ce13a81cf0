//! The emulated Microsoft Graph, driven over HTTP as a client would: paging, delta rounds, throttling and
//! authentication failures, in Graph's documented shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use roster_emulator::directory::{Member, PersonState};
use roster_emulator::{serve, Options, Running, Vendor};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::Ordering;

const SCOPES: &[&str] = &["User.Read.All", "GroupMember.Read.All"];

async fn start(users: usize, groups: Option<usize>) -> (Running, String) {
    let mut o = Options::demo(Vendor::Entra);
    o.users = users;
    o.groups = groups;
    let r = serve(Vendor::Entra, o).await.unwrap();
    let admin = r.state.read().admin().unwrap().id.clone();
    let token = r.state.tokens.mint("roster-demo-entra", &admin, SCOPES);
    (r, token)
}

async fn get(
    token: &str,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = reqwest::Client::new().get(url).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let h = r.headers().clone();
    (status, h, r.text().await.unwrap())
}

async fn json(token: &str, url: &str) -> Value {
    let (s, _, body) = get(token, url, &[]).await;
    assert_eq!(s, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Follows nextLinks; returns every object and the final page.
async fn all_pages(token: &str, first: &str) -> (Vec<Value>, Value, usize) {
    let mut url = first.to_string();
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let v = json(token, &url).await;
        pages += 1;
        out.extend(v["value"].as_array().unwrap().iter().cloned());
        match v["@odata.nextLink"].as_str() {
            Some(n) => {
                assert!(n.starts_with("http://127.0.0.1:"), "nextLinks are absolute");
                assert!(n.contains("$skiptoken="));
                url = n.to_string();
            }
            None => return (out, v, pages),
        }
    }
}

#[tokio::test]
async fn users_page_with_top_and_reject_bad_page_sizes() {
    let (r, t) = start(1000, None).await;
    let (users, _, pages) = all_pages(
        &t,
        &format!(
            "{}/v1.0/users?$top=999&$select=id,userPrincipalName,accountEnabled,userType",
            r.url
        ),
    )
    .await;
    assert_eq!(users.len(), 1000);
    assert_eq!(pages, 2, "1000 users at 999 a page is two pages");
    let ids: HashSet<_> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1000, "no one twice");
    assert!(
        users.iter().all(|u| u.get("displayName").is_none()),
        "$select is honoured"
    );
    let guest = users
        .iter()
        .find(|u| u["userType"] == "Guest")
        .expect("some guests");
    assert!(guest["userPrincipalName"]
        .as_str()
        .unwrap()
        .contains("_partner.example#EXT#@northwind.onmicrosoft.com"));
    let (_, _, default_pages) = all_pages(&t, &format!("{}/v1.0/users", r.url)).await;
    assert_eq!(default_pages, 10, "100 a page by default");

    for bad in ["1000", "0", "x"] {
        let (s, _, body) = get(&t, &format!("{}/v1.0/users?$top={bad}", r.url), &[]).await;
        assert_eq!(s, 400);
        assert!(
            body.contains("Must be between 1 and 999 inclusive"),
            "{body}"
        );
    }
    let (s, _, body) = get(&t, &format!("{}/v1.0/users?$select=nonsense", r.url), &[]).await;
    assert_eq!(s, 400);
    assert!(body.contains("Could not find a property named 'nonsense'"));

    let upn = users[5]["userPrincipalName"].as_str().unwrap();
    let mut u = url::Url::parse(&format!("{}/v1.0/users", r.url)).unwrap();
    u.query_pairs_mut()
        .append_pair("$filter", &format!("userPrincipalName eq '{upn}'"));
    let v = json(&t, u.as_str()).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert_eq!(v["value"][0]["id"], users[5]["id"]);
}

#[tokio::test]
async fn groups_search_needs_eventual_consistency_and_members_are_typed() {
    let (r, t) = start(300, None).await;
    let url = format!(
        "{}/v1.0/groups?$search=\"displayName:all\"&$count=true&$select=id,displayName",
        r.url
    );
    let (s, _, body) = get(&t, &url, &[]).await;
    assert_eq!(s, 400);
    assert!(body.contains("ConsistencyLevel"), "{body}");
    let (s, _, body) = get(&t, &url, &[("ConsistencyLevel", "eventual")]).await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["displayName"] == "All Staff"));
    assert_eq!(
        v["@odata.count"].as_u64().unwrap() as usize,
        v["value"].as_array().unwrap().len()
    );

    let (all_staff, direct, expected) = {
        let d = r.state.read();
        let g = d.team_by_name("All Staff").unwrap();
        (
            g.id.clone(),
            g.members.len(),
            d.transitive_people(&g.id).len(),
        )
    };
    let (items, _, _) = all_pages(&t, &format!("{}/v1.0/groups/{all_staff}/members", r.url)).await;
    assert_eq!(items.len(), direct);
    assert!(
        items
            .iter()
            .all(|i| i["@odata.type"] == "#microsoft.graph.group"),
        "All Staff nests divisions"
    );
    let (items, _, pages) = all_pages(
        &t,
        &format!(
            "{}/v1.0/groups/{all_staff}/transitiveMembers?$top=50",
            r.url
        ),
    )
    .await;
    assert!(pages > 1);
    let users = items
        .iter()
        .filter(|i| i["@odata.type"] == "#microsoft.graph.user")
        .count();
    assert_eq!(users, expected, "transitive members reach everyone once");
    let (s, _, body) = get(&t, &format!("{}/v1.0/groups/nope/members", r.url), &[]).await;
    assert_eq!(s, 404);
    assert!(body.contains("Request_ResourceNotFound"));
}

#[tokio::test]
async fn delta_rounds_report_only_changes_and_removals() {
    let (r, t) = start(250, Some(40)).await;
    let (users, last, _) = all_pages(
        &t,
        &format!(
            "{}/v1.0/users/delta?$select=id,displayName,accountEnabled&$top=100",
            r.url
        ),
    )
    .await;
    assert_eq!(users.len(), 250);
    let delta_link = last["@odata.deltaLink"]
        .as_str()
        .expect("the last page carries a deltaLink")
        .to_string();
    assert!(delta_link.contains("$deltatoken="));
    let (groups, glast, _) = all_pages(
        &t,
        &format!("{}/v1.0/groups/delta?$select=displayName,members", r.url),
    )
    .await;
    assert_eq!(groups.len(), 40);
    assert!(groups.iter().all(|g| g.get("members@delta").is_some()));
    let group_link = glast["@odata.deltaLink"].as_str().unwrap().to_string();

    // Nothing changed: an empty round.
    let (none, _, _) = all_pages(&t, &delta_link).await;
    assert!(none.is_empty());

    let (victim, suspended, team, moved) = {
        let mut d = r.state.write();
        let ids: Vec<String> = d
            .people()
            .filter(|p| !p.admin && !d.teams_of(&p.id).is_empty())
            .map(|p| p.id.clone())
            .take(3)
            .collect();
        let team = d.teams_of(&ids[0])[0].id.clone();
        d.delete(&ids[0]);
        d.suspend(&ids[1]);
        let other = d
            .teams()
            .find(|t| !t.members.contains(&Member::Person(ids[2].clone())))
            .unwrap()
            .id
            .clone();
        d.add_member(&other, Member::Person(ids[2].clone()));
        (
            ids[0].clone(),
            ids[1].clone(),
            team,
            (other, ids[2].clone()),
        )
    };
    let (changed, last, _) = all_pages(&t, &delta_link).await;
    assert_eq!(changed.len(), 2, "{changed:?}");
    let removed = changed.iter().find(|u| u["id"] == victim.as_str()).unwrap();
    assert_eq!(removed["@removed"]["reason"], "changed");
    let s = changed
        .iter()
        .find(|u| u["id"] == suspended.as_str())
        .unwrap();
    assert_eq!(s["accountEnabled"], false);
    assert!(
        s.get("displayName").is_some(),
        "changed objects carry the selected properties"
    );
    assert!(last["@odata.deltaLink"].is_string());

    let (gchanged, _, _) = all_pages(&t, &group_link).await;
    let left = gchanged.iter().find(|g| g["id"] == team.as_str()).unwrap();
    assert!(left["members@delta"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == victim.as_str() && m["@removed"]["reason"] == "deleted"));
    let joined = gchanged
        .iter()
        .find(|g| g["id"] == moved.0.as_str())
        .unwrap();
    assert!(joined["members@delta"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == moved.1.as_str() && m.get("@removed").is_none()));
    assert_eq!(
        r.state.read().person(&victim).unwrap().state,
        PersonState::Deleted
    );
    let (listed, _, _) = all_pages(&t, &format!("{}/v1.0/users?$top=999", r.url)).await;
    assert!(
        listed.iter().all(|u| u["id"] != victim.as_str()),
        "deleted people are not listed"
    );

    // A token this server never issued: 410 Gone, resync.
    let (s, h, body) = get(
        &t,
        &format!("{}/v1.0/users/delta?$deltatoken=bogus", r.url),
        &[],
    )
    .await;
    assert_eq!(s, 410);
    assert!(body.contains("resyncRequired"));
    assert!(h.get("location").is_some());
}

#[tokio::test]
async fn big_groups_spread_members_over_delta_pages() {
    let (r, t) = start(12_000, Some(30)).await;
    let (groups, _, pages) = all_pages(
        &t,
        &format!("{}/v1.0/groups/delta?$select=displayName,members", r.url),
    )
    .await;
    let mut merged: std::collections::HashMap<String, usize> = Default::default();
    for g in &groups {
        *merged
            .entry(g["id"].as_str().unwrap().to_string())
            .or_default() += g["members@delta"].as_array().unwrap().len();
    }
    let d = r.state.read();
    assert!(pages > 1);
    assert_eq!(merged.len(), d.teams().count());
    for team in d.teams() {
        assert_eq!(
            merged[&team.id],
            team.members.len(),
            "{} members arrive whole after merging",
            team.name
        );
    }
    assert!(
        groups.len() > merged.len(),
        "at least one group continued on a later page"
    );
}

#[tokio::test]
async fn throttling_truncation_and_bad_tokens() {
    let (r, t) = start(50, None).await;
    r.state.knobs.retry_after_secs.store(7, Ordering::SeqCst);
    r.state.knobs.throttle_next.store(1, Ordering::SeqCst);
    let (s, h, body) = get(&t, &format!("{}/v1.0/users", r.url), &[]).await;
    assert_eq!(s, 429);
    assert_eq!(h["retry-after"], "7");
    assert!(body.contains("\"code\":\"TooManyRequests\""));
    r.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    let (s, _, body) = get(&t, &format!("{}/v1.0/users", r.url), &[]).await;
    assert_eq!(s, 200);
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "the body is cut short"
    );

    let (s, h, body) = get("", &format!("{}/v1.0/users", r.url), &[]).await;
    assert_eq!(s, 401);
    assert!(body.contains("InvalidAuthenticationToken"));
    assert!(h.get("www-authenticate").is_some());
    r.state.tokens.expire_access();
    let (s, _, body) = get(&t, &format!("{}/v1.0/users", r.url), &[]).await;
    assert_eq!(s, 401);
    assert!(body.contains("expired"));
    r.state.tokens.revoke_all();
    let (s, _, _) = get(&t, &format!("{}/v1.0/users", r.url), &[]).await;
    assert_eq!(s, 401);

    let admin = r.state.read().admin().unwrap().id.clone();
    let weak = r
        .state
        .tokens
        .mint("roster-demo-entra", &admin, &["User.Read"]);
    let (s, _, body) = get(&weak, &format!("{}/v1.0/groups", r.url), &[]).await;
    assert_eq!(s, 403);
    assert!(body.contains("Authorization_RequestDenied"));
}

#[tokio::test]
async fn batch_answers_each_request() {
    let (r, t) = start(50, None).await;
    let id = r.state.read().people().nth(3).unwrap().id.clone();
    let group = r.state.read().team_by_name("All Staff").unwrap().id.clone();
    let body = serde_json::json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/users/{id}?$select=id,displayName")},
        {"id": "2", "method": "GET", "url": "/users/missing"},
        {"id": "3", "method": "GET", "url": format!("/groups/{group}/members/$count"), "headers": {"ConsistencyLevel": "eventual"}},
    ]});
    let v: Value = reqwest::Client::new()
        .post(format!("{}/v1.0/$batch", r.url))
        .bearer_auth(&t)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resp = v["responses"].as_array().unwrap();
    let by = |i: &str| resp.iter().find(|x| x["id"] == i).unwrap().clone();
    assert_eq!(by("1")["status"], 200);
    assert_eq!(by("1")["body"]["id"], id.as_str());
    assert_eq!(by("2")["status"], 404);
    let direct = r.state.read().team(&group).unwrap().members.len();
    assert_eq!(
        by("3")["body"],
        direct.to_string(),
        "$count answers as text"
    );
    let too_many = serde_json::json!({"requests": (0..21).map(|i| serde_json::json!({"id": i.to_string(), "method": "GET", "url": "/users"})).collect::<Vec<_>>()});
    let s = reqwest::Client::new()
        .post(format!("{}/v1.0/$batch", r.url))
        .bearer_auth(&t)
        .json(&too_many)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 400);
}

fn groups_url(r: &Running, params: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&format!("{}/v1.0/groups", r.url)).unwrap();
    u.query_pairs_mut().extend_pairs(params.iter().copied());
    u.to_string()
}

#[tokio::test]
async fn groups_filter_by_exact_display_name_pages_and_rejects_bad_filters() {
    let (r, t) = start(40, None).await;
    {
        let mut d = r.state.write();
        for i in 1..=20 {
            d.create_team(&format!("Staff {i}"), "");
        }
        for _ in 0..5 {
            d.create_team("Staff", "");
        }
        d.create_team("O'Brien Team", "");
    }
    // `eq` on displayName is a default query: no ConsistencyLevel header, a quote doubled, case ignored.
    let v = json(
        &t,
        &groups_url(
            &r,
            &[
                ("$filter", "displayName eq 'o''brien team'"),
                ("$select", "id,displayName"),
            ],
        ),
    )
    .await;
    let found = v["value"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["displayName"], "O'Brien Team");

    // Five of the same name at two a page: three pages through nextLinks, look-alikes left out.
    let url = groups_url(
        &r,
        &[
            ("$filter", "displayName eq 'Staff'"),
            ("$select", "id,displayName"),
            ("$top", "2"),
        ],
    );
    let (items, _, pages) = all_pages(&t, &url).await;
    assert_eq!((items.len(), pages), (5, 3));
    assert!(items.iter().all(|g| g["displayName"] == "Staff"));
    let ids: HashSet<&str> = items.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5, "no group twice");

    // The page cap makes the server page shorter than $top asks.
    r.state.knobs.page_cap.store(2, Ordering::SeqCst);
    let url = groups_url(
        &r,
        &[("$filter", "displayName eq 'Staff'"), ("$top", "999")],
    );
    let (items, _, pages) = all_pages(&t, &url).await;
    assert_eq!((items.len(), pages), (5, 3));
    r.state.knobs.page_cap.store(0, Ordering::SeqCst);

    let url = groups_url(&r, &[("$filter", "startswith(displayName,'staff ')")]);
    let (items, _, _) = all_pages(&t, &url).await;
    assert_eq!(items.len(), 20);

    // A quote not doubled is not OData: Graph's BadRequest.
    let (s, _, body) = get(
        &t,
        &groups_url(&r, &[("$filter", "displayName eq 'O'Brien Team'")]),
        &[],
    )
    .await;
    assert_eq!(s, 400);
    let e: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(e["error"]["code"], "BadRequest");
    assert_eq!(e["error"]["message"], "Invalid filter clause");
    // Valid OData the collection does not evaluate: Request_UnsupportedQuery.
    for (filter, says) in [
        ("displayName ne 'Staff'", "'ne'"),
        (
            "nickname eq 'Staff'",
            "property 'nickname' of resource 'Group'",
        ),
    ] {
        let (s, _, body) = get(&t, &groups_url(&r, &[("$filter", filter)]), &[]).await;
        assert_eq!(s, 400, "{filter}");
        let e: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(e["error"]["code"], "Request_UnsupportedQuery", "{filter}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
}
