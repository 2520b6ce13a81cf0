//! The emulated Directory API over HTTP, as a client sees it.

use super::*;
use crate::{serve, Options, Running, Vendor};
use std::sync::atomic::Ordering;

async fn start(users: usize, groups: Option<usize>) -> Running {
    serve(
        Vendor::Google,
        Options {
            users,
            groups,
            ..Options::demo(Vendor::Google)
        },
    )
    .await
    .unwrap()
}

fn admin_id(r: &Running) -> String {
    r.state.read().admin().unwrap().id.clone()
}

fn token(r: &Running, scopes: &[&str]) -> String {
    let admin = admin_id(r);
    r.state
        .tokens
        .mint(&r.state.options.client_id, &admin, scopes)
}

async fn call(
    r: &Running,
    token: Option<&str>,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = reqwest::Client::new().get(format!("{}{path}", r.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

async fn get(r: &Running, token: &str, path: &str) -> (u16, Value) {
    let (s, _, body) = call(r, Some(token), path).await;
    (s, serde_json::from_str(&body).unwrap())
}

fn reason(v: &Value) -> &str {
    v["error"]["errors"][0]["reason"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn users_page_at_500_and_reject_bigger_pages() {
    for (n, pages) in [(500usize, 1usize), (501, 2)] {
        let r = start(n, None).await;
        let t = token(&r, &READ_SCOPES);
        let mut ids = HashSet::new();
        let mut url = "/admin/directory/v1/users?customer=my_customer&maxResults=500".to_string();
        let mut seen_pages = 0;
        loop {
            let (s, v) = get(&r, &t, &url).await;
            assert_eq!(s, 200, "{v}");
            seen_pages += 1;
            for u in v["users"].as_array().unwrap() {
                assert!(
                    ids.insert(u["id"].as_str().unwrap().to_string()),
                    "no user twice"
                );
            }
            match v["nextPageToken"].as_str() {
                Some(tok) => {
                    url = format!(
                    "/admin/directory/v1/users?customer=my_customer&maxResults=500&pageToken={tok}"
                )
                }
                None => break,
            }
        }
        assert_eq!(ids.len(), n, "every live user once");
        assert_eq!(seen_pages, pages, "{n} users take {pages} page(s) of 500");
        let (s, v) = get(
            &r,
            &t,
            "/admin/directory/v1/users?customer=my_customer&maxResults=501",
        )
        .await;
        assert_eq!(s, 400);
        assert!(
            v["error"]["message"].as_str().unwrap().contains("[1, 500]"),
            "{v}"
        );
        let (s, v) = get(&r, &t, "/admin/directory/v1/users?domain=northwind.demo").await;
        assert_eq!(s, 200);
        assert_eq!(
            v["users"].as_array().unwrap().len(),
            100,
            "the default page is 100"
        );
        assert!(v["nextPageToken"].is_string());
        let (s, _) = get(&r, &t, "/admin/directory/v1/users").await;
        assert_eq!(s, 400, "customer or domain is required");
        let (s, v) = get(
            &r,
            &t,
            "/admin/directory/v1/users?customer=my_customer&pageToken=garbage",
        )
        .await;
        assert_eq!((s, reason(&v)), (400, "invalid"));
    }
}

#[tokio::test]
async fn users_render_google_fields_and_deleted_people_are_absent() {
    let r = start(300, None).await;
    let t = token(&r, &READ_SCOPES);
    let (victim, sleeper, archived) = {
        let mut d = r.state.write();
        let ids: Vec<String> = d
            .people()
            .filter(|p| !p.admin)
            .map(|p| p.id.clone())
            .take(3)
            .collect();
        d.delete(&ids[0]);
        d.suspend(&ids[1]);
        d.archive(&ids[2]);
        (ids[0].clone(), ids[1].clone(), ids[2].clone())
    };
    let (s, v) = get(
        &r,
        &t,
        "/admin/directory/v1/users?customer=my_customer&maxResults=500",
    )
    .await;
    assert_eq!(s, 200);
    let users = v["users"].as_array().unwrap();
    assert_eq!(users.len(), 299);
    assert!(
        users.iter().all(|u| u["id"] != user_id(&victim).as_str()),
        "deleted users are not listed"
    );
    let (s, v) = get(
        &r,
        &t,
        "/admin/directory/v1/users?customer=my_customer&showDeleted=true",
    )
    .await;
    assert_eq!(s, 200);
    let deleted = v["users"].as_array().unwrap();
    assert_eq!(deleted.len(), 1, "showDeleted lists only deleted users");
    assert!(deleted[0]["deletionTime"].is_string());
    let (s, _) = get(
        &r,
        &t,
        &format!("/admin/directory/v1/users/{}", user_id(&victim)),
    )
    .await;
    assert_eq!(s, 404);

    let d = r.state.read().clone();
    let p = d.person(&sleeper).unwrap();
    let email = primary_email(p, &d.domain);
    let (s, by_email) = get(&r, &t, &format!("/admin/directory/v1/users/{email}")).await;
    assert_eq!(s, 200);
    let (_, by_id) = get(
        &r,
        &t,
        &format!("/admin/directory/v1/users/{}", user_id(&sleeper)),
    )
    .await;
    assert_eq!(by_email, by_id, "a user is found by id or primary email");
    let u = by_id;
    assert_eq!(u["kind"], "admin#directory#user");
    assert!(
        u["id"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit())
            && u["id"].as_str().unwrap().len() == 21
    );
    assert_eq!(
        u["primaryEmail"],
        format!("{}@northwind.demo", p.username).as_str()
    );
    assert_eq!(u["name"]["fullName"], p.display_name().as_str());
    assert_eq!(u["suspended"], true);
    assert_eq!(u["suspensionReason"], "ADMIN");
    assert_eq!(u["orgUnitPath"], format!("/{}", p.department).as_str());
    assert_eq!(u["phones"][0], json!({"value": p.phone, "type": "work"}));
    assert_eq!(u["organizations"][0]["title"], p.title.as_str());
    assert_eq!(
        u["externalIds"][0],
        json!({"value": p.employee_id, "type": "organization"})
    );
    assert!(u["creationTime"].as_str().unwrap().ends_with(".000Z"));
    let (_, a) = get(
        &r,
        &t,
        &format!("/admin/directory/v1/users/{}", user_id(&archived)),
    )
    .await;
    assert_eq!(
        (a["archived"].clone(), a["suspended"].clone()),
        (json!(true), json!(false))
    );

    let q = format!("/admin/directory/v1/users?customer=my_customer&query=email:{email}");
    let (_, v) = get(&r, &t, &q).await;
    assert_eq!(v["users"].as_array().unwrap().len(), 1);
    let (_, v) = get(
        &r,
        &t,
        "/admin/directory/v1/users?customer=my_customer&query=isSuspended=true&maxResults=500",
    )
    .await;
    assert!(v["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["suspended"] == true));
    assert!(v["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == user_id(&sleeper).as_str()));
    let (s, _) = get(
        &r,
        &t,
        "/admin/directory/v1/users?customer=my_customer&query=shoeSize:9",
    )
    .await;
    assert_eq!(s, 400, "an unknown query field is refused");
}

#[tokio::test]
async fn groups_and_derived_members_follow_nesting_and_cycles() {
    let r = start(300, Some(40)).await;
    let t = token(&r, &READ_SCOPES);
    let (s, v) = get(
        &r,
        &t,
        "/admin/directory/v1/groups?customer=my_customer&query=name:'All*'",
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let groups = v["groups"].as_array().unwrap();
    assert!(
        !groups.is_empty()
            && groups
                .iter()
                .all(|g| g["name"].as_str().unwrap().starts_with("All"))
    );
    let all = groups
        .iter()
        .find(|g| g["name"] == "All Staff")
        .unwrap()
        .clone();
    assert!(
        all["directMembersCount"].is_string(),
        "int64 counts are JSON strings"
    );
    let (s, by_email) = get(
        &r,
        &t,
        &format!(
            "/admin/directory/v1/groups/{}",
            all["email"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!((s, by_email["id"].clone()), (200, all["id"].clone()));

    let gid = all["id"].as_str().unwrap();
    let (_, direct) = get(&r, &t, &format!("/admin/directory/v1/groups/{gid}/members")).await;
    assert!(
        direct["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["type"] == "GROUP"),
        "All Staff nests divisions"
    );
    let read_all = |derived: bool| {
        let r = &r;
        let t = t.clone();
        let gid = gid.to_string();
        async move {
            let mut out = Vec::new();
            let mut tok = String::new();
            loop {
                let (s, v) = get(r, &t, &format!(
                    "/admin/directory/v1/groups/{gid}/members?maxResults=200&includeDerivedMembership={derived}&pageToken={tok}"
                )).await;
                assert_eq!(s, 200, "{v}");
                out.extend(v["members"].as_array().unwrap().iter().cloned());
                match v["nextPageToken"].as_str() {
                    Some(n) => tok = n.to_string(),
                    None => break out,
                }
            }
        }
    };
    let derived = read_all(true).await;
    let users: HashSet<String> = derived
        .iter()
        .filter(|m| m["type"] == "USER")
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let expected: HashSet<String> = {
        let d = r.state.read();
        let all_id = d.team_by_name("All Staff").unwrap().id.clone();
        d.transitive_people(&all_id)
            .iter()
            .map(|p| user_id(&p.id))
            .collect()
    };
    assert_eq!(
        users, expected,
        "derived membership reaches every nested person"
    );
    assert_eq!(
        users.len(),
        derived.iter().filter(|m| m["type"] == "USER").count(),
        "each once"
    );

    // A cycle: a division contains All Staff again.
    {
        let mut d = r.state.write();
        let all_id = d.team_by_name("All Staff").unwrap().id.clone();
        let division = match &d.team(&all_id).unwrap().members[0] {
            Member::Team(id) => id.clone(),
            Member::Person(_) => panic!("All Staff nests groups"),
        };
        assert!(d.add_member(&division, Member::Team(all_id)));
    }
    let again = read_all(true).await;
    let users2: HashSet<String> = again
        .iter()
        .filter(|m| m["type"] == "USER")
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(users2, expected, "a cycle neither loops nor adds anyone");
    assert!(
        again.iter().all(|m| m["id"] != gid),
        "a group is never its own member"
    );

    let (s, v) = get(
        &r,
        &t,
        &format!("/admin/directory/v1/groups/{gid}/members?maxResults=201"),
    )
    .await;
    assert!(s == 400 && v["error"]["message"].as_str().unwrap().contains("[1, 200]"));
    let (s, v) = get(&r, &t, "/admin/directory/v1/groups/0nosuchgroup000/members").await;
    assert_eq!((s, reason(&v)), (404, "notFound"));
    let someone = users.iter().next().unwrap();
    let (s, v) = get(
        &r,
        &t,
        &format!("/admin/directory/v1/groups/{gid}/hasMember/{someone}"),
    )
    .await;
    assert_eq!(
        (s, v["isMember"].clone()),
        (200, json!(true)),
        "hasMember counts nested membership"
    );
}

#[tokio::test]
async fn members_page_at_200() {
    let r = start(400, Some(30)).await;
    let t = token(&r, &READ_SCOPES);
    for size in [200usize, 201] {
        let team = {
            let mut d = r.state.write();
            let id = d
                .teams()
                .find(|t| t.name.starts_with("Project"))
                .unwrap()
                .id
                .clone();
            let current: Vec<Member> = d.team(&id).unwrap().members.clone();
            for m in &current {
                d.remove_member(&id, m);
            }
            let people: Vec<String> = d.people().take(size).map(|p| p.id.clone()).collect();
            for p in people {
                d.add_member(&id, Member::Person(p));
            }
            group_id(&id)
        };
        let (s, v) = get(&r, &t, &format!("/admin/directory/v1/groups/{team}/members?maxResults=200&includeDerivedMembership=true")).await;
        assert_eq!(s, 200);
        assert_eq!(v["members"].as_array().unwrap().len(), 200);
        assert_eq!(
            v["nextPageToken"].is_string(),
            size > 200,
            "a token only when more remain ({size})"
        );
        if let Some(tok) = v["nextPageToken"].as_str() {
            let (_, v2) = get(&r, &t, &format!("/admin/directory/v1/groups/{team}/members?maxResults=200&includeDerivedMembership=true&pageToken={tok}")).await;
            assert_eq!(v2["members"].as_array().unwrap().len(), 1);
            assert!(v2["nextPageToken"].is_null());
        }
    }
}

#[tokio::test]
async fn tokens_scopes_and_admin_rights_are_checked() {
    let r = start(100, None).await;
    let users = "/admin/directory/v1/users?customer=my_customer";
    let (s, h, body) = call(&r, None, users).await;
    assert_eq!(s, 401);
    assert!(h.get("www-authenticate").is_some());
    assert_eq!(reason(&serde_json::from_str(&body).unwrap()), "required");
    let (s, _, body) = call(&r, Some("at.made-up"), users).await;
    assert_eq!(
        (s, reason(&serde_json::from_str(&body).unwrap())),
        (401, "authError")
    );

    let users_only = token(&r, &[SCOPE_USER_READONLY]);
    let (s, _) = get(&r, &users_only, users).await;
    assert_eq!(s, 200);
    let (s, v) = get(
        &r,
        &users_only,
        "/admin/directory/v1/groups?customer=my_customer",
    )
    .await;
    assert_eq!(
        (s, reason(&v)),
        (403, "insufficientPermissions"),
        "no group scope: a real 403"
    );

    let clerk = r
        .state
        .read()
        .people()
        .find(|p| !p.admin)
        .unwrap()
        .id
        .clone();
    let t = r
        .state
        .tokens
        .mint(&r.state.options.client_id, &clerk, &READ_SCOPES);
    let (s, v) = get(&r, &t, users).await;
    assert_eq!((s, reason(&v)), (403, "forbidden"));
    assert_eq!(
        v["error"]["message"],
        "Not Authorized to access this resource/api"
    );

    let t = token(&r, &READ_SCOPES);
    let (s, v) = get(&r, &t, "/admin/directory/v1/users?domain=example.com").await;
    assert_eq!(
        (s, reason(&v)),
        (403, "forbidden"),
        "another domain is not the caller's"
    );
    let before = r.state.knobs.calls.load(Ordering::SeqCst);
    r.state.tokens.revoke_all();
    let (s, _, _) = call(&r, Some(&t), users).await;
    assert_eq!(s, 401, "revoked consent");
    assert_eq!(
        r.state.knobs.calls.load(Ordering::SeqCst),
        before,
        "rejected tokens are not API calls"
    );
}

#[tokio::test]
async fn throttling_is_google_shaped_and_truncation_cuts_the_body() {
    let r = start(100, None).await;
    let t = token(&r, &READ_SCOPES);
    let url = "/admin/directory/v1/users?customer=my_customer";
    r.state.knobs.throttle_next.store(4, Ordering::SeqCst);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (s, h, body) = call(&r, Some(&t), url).await;
        assert!(
            h.get("retry-after").is_none(),
            "Google gives no Retry-After"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], s);
        seen.push((s, reason(&v).to_string()));
    }
    assert_eq!(
        seen,
        vec![
            (403, "userRateLimitExceeded".to_string()),
            (403, "quotaExceeded".to_string()),
            (403, "userRateLimitExceeded".to_string()),
            (429, "rateLimitExceeded".to_string()),
        ]
    );
    let (s, _, _) = call(&r, Some(&t), url).await;
    assert_eq!(s, 200, "the storm is over");
    r.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    let (s, _, body) = call(&r, Some(&t), url).await;
    assert_eq!(s, 200);
    assert!(
        serde_json::from_str::<Value>(&body).unwrap_err().is_eof(),
        "half a body"
    );
}

#[test]
fn ids_and_times_are_google_shaped_and_stable() {
    assert_eq!(user_id("a"), user_id("a"));
    assert_ne!(user_id("a"), user_id("b"));
    let g = group_id("x");
    assert_eq!(g.len(), 15);
    assert!(
        g.starts_with('0')
            && g.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(BASE_EPOCH), "2024-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56.000Z");
}

fn groups_path(params: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("customer", "my_customer");
    s.extend_pairs(params.iter().copied());
    format!("/admin/directory/v1/groups?{}", s.finish())
}

/// Every page of a groups listing: the names and the number of calls.
async fn all_groups(r: &Running, token: &str, params: &[(&str, &str)]) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut calls = 0;
    let mut page_token: Option<String> = None;
    loop {
        let mut p = params.to_vec();
        if let Some(t) = &page_token {
            p.push(("pageToken", t.as_str()));
        }
        let (s, v) = get(r, token, &groups_path(&p)).await;
        assert_eq!(s, 200, "{v}");
        calls += 1;
        names.extend(
            v["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| g["name"].as_str().unwrap_or_default().to_string()),
        );
        match v["nextPageToken"].as_str() {
            Some(t) => page_token = Some(t.to_string()),
            None => return (names, calls),
        }
    }
}

#[tokio::test]
async fn group_searches_match_names_exactly_or_by_prefix_and_page() {
    let r = start(30, None).await;
    let t = token(&r, &READ_SCOPES);
    {
        let mut d = r.state.write();
        for i in 1..=12 {
            d.create_team(&format!("Staff {i}"), "");
        }
        d.create_team("Staff", "");
        d.create_team("STAFF", "");
        d.create_team("Valentine's Day", "");
        d.create_team("Sale 50*", "");
    }
    let (mut exact, calls) =
        all_groups(&r, &t, &[("query", "name='Staff'"), ("maxResults", "1")]).await;
    exact.sort();
    assert_eq!(
        exact,
        vec!["STAFF", "Staff"],
        "`=` is the whole name, ignoring case"
    );
    assert_eq!(calls, 2, "a search pages like the listing");
    let (quoted, _) = all_groups(&r, &t, &[("query", r"name='Valentine\'s Day'")]).await;
    assert_eq!(quoted, vec!["Valentine's Day"], "a quote is written \\'");
    let (prefix, calls) =
        all_groups(&r, &t, &[("query", "name:Staff*"), ("maxResults", "5")]).await;
    assert_eq!((prefix.len(), calls), (14, 3));
    let (literal, _) = all_groups(&r, &t, &[("query", "name='Sale 50*'")]).await;
    assert_eq!(
        literal,
        vec!["Sale 50*"],
        "after `=` a star is part of the name"
    );
    let (none, _) = all_groups(&r, &t, &[("query", "name=Staff*")]).await;
    assert!(none.is_empty());
    let (s, v) = get(&r, &t, &groups_path(&[("query", "name='O'Brien Team'")])).await;
    assert_eq!(s, 400, "an unclosed quote does not parse: {v}");

    // The page cap shortens pages whatever maxResults asks.
    r.state.knobs.page_cap.store(3, Ordering::SeqCst);
    let (prefix, calls) = all_groups(&r, &t, &[("query", "name:staff*")]).await;
    assert_eq!((prefix.len(), calls), (14, 5));
    r.state.knobs.page_cap.store(0, Ordering::SeqCst);

    // A group newer than the search index is listed and read, but not found by a search yet.
    let at = r.state.read().seq();
    r.state.knobs.search_index_at.store(at, Ordering::SeqCst);
    r.state.write().create_team("Fresh Team", "");
    let (found, _) = all_groups(&r, &t, &[("query", "name='Fresh Team'")]).await;
    assert!(found.is_empty(), "not in the search index yet");
    let (listed, _) = all_groups(&r, &t, &[]).await;
    assert!(listed.iter().any(|n| n == "Fresh Team"));
    let (s, g) = get(
        &r,
        &t,
        "/admin/directory/v1/groups/fresh-team@northwind.demo",
    )
    .await;
    assert_eq!((s, g["name"].as_str()), (200, Some("Fresh Team")));
    r.state.knobs.search_index_at.store(0, Ordering::SeqCst);
    let (found, _) = all_groups(&r, &t, &[("query", "name='Fresh Team'")]).await;
    assert_eq!(
        found,
        vec!["Fresh Team"],
        "and found once the index catches up"
    );
}
