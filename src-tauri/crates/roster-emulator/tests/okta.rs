#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Okta emulator against Okta's documented wire format: Link paging, filters and search, flattened
//! groups, rate-limit headers, throttling, truncation and token checks.

use roster_emulator::directory::PersonState;
use roster_emulator::okta::{self, group_id, user_id};
use roster_emulator::{serve, Options, Running, Vendor};
use serde_json::Value;
use std::sync::atomic::Ordering;

const SCOPES: &[&str] = &["okta.users.read", "okta.groups.read"];

async fn start(users: usize) -> (Running, String) {
    let mut o = Options::demo(Vendor::Okta);
    o.users = users;
    let run = serve(Vendor::Okta, o).await.unwrap();
    let admin = run.state.read().admin().unwrap().id.clone();
    let token = run.state.tokens.mint("roster-demo-okta", &admin, SCOPES);
    (run, token)
}

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn next(&self) -> Option<String> {
        self.headers
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.ends_with("rel=\"next\""))
            .map(|v| v[1..v.find('>').unwrap()].to_string())
    }
}

async fn get(url: &str, token: &str) -> Got {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    Got {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

/// Every page of a listing and the number of calls it took.
async fn all(first: String, token: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut next = Some(first);
    let mut calls = 0;
    while let Some(url) = next {
        let g = get(&url, token).await;
        assert_eq!(g.status, 200, "{}", g.text);
        calls += 1;
        out.extend(g.json().as_array().unwrap().iter().cloned());
        next = g.next();
    }
    (out, calls)
}

#[tokio::test]
async fn users_page_only_through_absolute_link_headers_at_200() {
    for (n, pages) in [(200usize, 1usize), (201, 2)] {
        let (run, token) = start(n).await;
        let first = get(&format!("{}/api/v1/users?limit=500", run.url), &token).await;
        assert_eq!(first.status, 200);
        assert!(first.json().is_array(), "bodies are bare arrays");
        assert_eq!(
            first.json().as_array().unwrap().len(),
            200,
            "limit is capped at 200"
        );
        let links: Vec<&str> = first
            .headers
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(links
            .iter()
            .any(|l| l.starts_with(&format!("<{}/api/v1/users?", run.url))
                && l.ends_with("rel=\"self\"")));
        let (users, calls) = all(format!("{}/api/v1/users?limit=200", run.url), &token).await;
        assert_eq!(calls, pages, "{n} users take {pages} page(s)");
        assert_eq!(users.len(), n);
        let ids: std::collections::HashSet<&str> =
            users.iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), n, "no user twice");
        let u = &users[0];
        assert!(u["id"].as_str().unwrap().starts_with("00u"));
        assert_eq!(u["id"].as_str().unwrap().len(), 20);
        assert!(u["profile"]["login"]
            .as_str()
            .unwrap()
            .ends_with("@northwind.demo"));
        for k in ["created", "statusChanged", "lastUpdated"] {
            assert!(okta::parse_iso(u[k].as_str().unwrap()).is_some(), "{k}");
        }
        assert!(u["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .starts_with(&run.url));
    }
}

#[tokio::test]
async fn deprovisioned_users_need_a_filter_or_search_and_searches_work() {
    let (run, token) = start(60).await;
    let (victim, login) = {
        let d = run.state.read();
        let p = d.people().find(|p| !p.admin).unwrap();
        (p.id.clone(), okta::login(p, &d.domain))
    };
    run.state.write().delete(&victim);
    let (listed, _) = all(format!("{}/api/v1/users", run.url), &token).await;
    assert_eq!(
        listed.len(),
        59,
        "DEPROVISIONED users are left out by default"
    );
    let search = format!("profile.login eq \"{}\"", login.to_uppercase());
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/users", run.url),
        &[("search", search.as_str())],
    )
    .unwrap();
    let found = get(url.as_str(), &token).await.json();
    assert_eq!(found.as_array().unwrap().len(), 1, "search ignores case");
    assert_eq!(
        found[0]["status"], "DEPROVISIONED",
        "search sees every status"
    );
    assert_eq!(found[0]["id"], user_id(&victim));
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/users", run.url),
        &[("filter", "status eq \"DEPROVISIONED\"")],
    )
    .unwrap();
    let (gone, _) = all(url.to_string(), &token).await;
    assert_eq!(gone.len(), 1);
    let before = okta::iso(okta::seq_time(run.state.read().seq()));
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/users", run.url),
        &[("filter", format!("lastUpdated gt \"{before}\"").as_str())],
    )
    .unwrap();
    assert!(all(url.to_string(), &token).await.0.is_empty());
    let other = run
        .state
        .read()
        .people()
        .filter(|p| !p.admin)
        .nth(3)
        .unwrap()
        .id
        .clone();
    run.state.write().retitle(&other, "Lead");
    let (changed, _) = all(url.to_string(), &token).await;
    assert_eq!(changed.len(), 1, "lastUpdated grows with every change");
    assert_eq!(changed[0]["profile"]["title"], "Lead");
    let bad = get(
        &format!("{}/api/v1/users?filter=status%20eq%20ACTIVE", run.url),
        &token,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["errorCode"], "E0000031");
    let one = get(
        &format!("{}/api/v1/users/{}", run.url, user_id(&other)),
        &token,
    )
    .await;
    assert_eq!(one.json()["profile"]["title"], "Lead");
    let by_login = get(&format!("{}/api/v1/users/{login}", run.url), &token).await;
    assert_eq!(
        by_login.json()["id"],
        user_id(&victim),
        "a login works in place of the id"
    );
    let missing = get(&format!("{}/api/v1/users/00unope", run.url), &token).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["errorCode"], "E0000007");
}

#[tokio::test]
async fn statuses_cover_okta_states_deterministically() {
    let (run, token) = start(1500).await;
    let (users, _) = all(format!("{}/api/v1/users", run.url), &token).await;
    let count = |s: &str| users.iter().filter(|u| u["status"] == s).count();
    for s in [
        "ACTIVE",
        "SUSPENDED",
        "LOCKED_OUT",
        "PASSWORD_EXPIRED",
        "STAGED",
    ] {
        assert!(count(s) > 0, "someone is {s}");
    }
    assert!(count("ACTIVE") > 1300, "most people are active");
    let staged = users.iter().find(|u| u["status"] == "STAGED").unwrap();
    assert!(staged["activated"].is_null() && staged["lastLogin"].is_null());
    let d = run.state.read();
    for p in d.people().filter(|p| p.state == PersonState::Suspended) {
        assert_eq!(okta::user_status(p), "SUSPENDED");
    }
    assert_eq!(okta::user_status(d.admin().unwrap()), "ACTIVE");
}

#[tokio::test]
async fn groups_are_flat_with_transitive_members_stats_and_prefix_search() {
    let (run, token) = start(1200).await;
    let (all_staff, expected) = {
        let d = run.state.read();
        let t = d.team_by_name("All Staff").unwrap();
        let mut ids: Vec<String> = d
            .transitive_people(&t.id)
            .iter()
            .map(|p| user_id(&p.id))
            .collect();
        ids.sort();
        (t.id.clone(), ids)
    };
    let gid = group_id(&all_staff);
    let (members, calls) = all(
        format!("{}/api/v1/groups/{gid}/users?limit=5000", run.url),
        &token,
    )
    .await;
    assert_eq!(calls, 2, "1,200 members at most 1,000 a page");
    let mut got: Vec<String> = members
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(
        got, expected,
        "a nested directory group shows its transitive people"
    );
    let (groups, _) = all(format!("{}/api/v1/groups?limit=7", run.url), &token).await;
    assert_eq!(groups.len(), run.state.read().teams().count());
    assert!(groups.iter().all(|g| g["type"] == "OKTA_GROUP"));
    let one = get(
        &format!("{}/api/v1/groups/{gid}?expand=stats", run.url),
        &token,
    )
    .await
    .json();
    assert_eq!(one["profile"]["name"], "All Staff");
    assert_eq!(
        one["_embedded"]["stats"]["usersCount"].as_u64(),
        Some(expected.len() as u64)
    );
    let q = get(
        &format!("{}/api/v1/groups?q=all%20st&expand=stats&limit=5", run.url),
        &token,
    )
    .await;
    assert!(q.next().is_none(), "q does not page");
    assert_eq!(q.json()[0]["id"], gid);
    // Membership changes below a nested group move its lastMembershipUpdated.
    let before = one["lastMembershipUpdated"].as_str().unwrap().to_string();
    {
        let mut d = run.state.write();
        let team = d
            .teams()
            .find(|t| t.description.ends_with(')'))
            .unwrap()
            .id
            .clone();
        d.hire(&team, "Iris", "Okafor").unwrap();
    }
    let after = get(&format!("{}/api/v1/groups/{gid}", run.url), &token)
        .await
        .json();
    assert!(after["lastMembershipUpdated"].as_str().unwrap() > before.as_str());
    let filter = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/groups", run.url),
        &[(
            "filter",
            format!("id eq \"{gid}\" or id eq \"00gmissing\"").as_str(),
        )],
    )
    .unwrap();
    assert_eq!(
        get(filter.as_str(), &token)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let member = members[0]["id"].as_str().unwrap();
    let theirs = get(&format!("{}/api/v1/users/{member}/groups", run.url), &token)
        .await
        .json();
    assert!(
        theirs.as_array().unwrap().iter().any(|g| g["id"] == gid),
        "a user's groups include the nesting ones"
    );
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_throttling_says_when_to_return() {
    let (run, token) = start(20).await;
    run.state.knobs.rate_limit.store(3, Ordering::SeqCst);
    let url = format!("{}/api/v1/users", run.url);
    let mut remaining = Vec::new();
    for _ in 0..4 {
        let g = get(&url, &token).await;
        assert_eq!(g.status, 200);
        assert_eq!(g.header("x-rate-limit-limit"), Some("3"));
        assert!(g.header("date").is_some());
        remaining.push(g.header("x-rate-limit-remaining").unwrap().to_string());
    }
    assert_eq!(
        remaining,
        ["2", "1", "0", "2"],
        "a new window after Remaining hit 0"
    );
    run.state.knobs.retry_after_secs.store(9, Ordering::SeqCst);
    run.state.knobs.throttle_next.store(1, Ordering::SeqCst);
    let t = get(&url, &token).await;
    assert_eq!(t.status, 429);
    assert_eq!(t.json()["errorCode"], "E0000047");
    assert_eq!(t.header("x-rate-limit-remaining"), Some("0"));
    let reset: u64 = t.header("x-rate-limit-reset").unwrap().parse().unwrap();
    let date = t.header("date").unwrap();
    assert_eq!(
        okta::http_date(reset - 9),
        date,
        "Reset is exactly the throttle's seconds after Date"
    );
    run.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    let cut = get(&url, &token).await;
    assert_eq!(cut.status, 200);
    assert!(
        serde_json::from_str::<Value>(&cut.text).is_err(),
        "the body is cut short"
    );
    assert!(
        get(&url, &token).await.json().is_array(),
        "then answers are whole again"
    );
}

#[tokio::test]
async fn tokens_and_scopes_are_checked() {
    let (run, _) = start(10).await;
    let url = format!("{}/api/v1/users", run.url);
    let bad = get(&url, "at.nope").await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["errorCode"], "E0000011");
    assert_eq!(bad.json()["errorSummary"], "Invalid token provided");
    assert!(bad.header("x-rate-limit-reset").is_some());
    let users_only = run.state.tokens.mint("c", "s", &["okta.users.read"]);
    assert_eq!(get(&url, &users_only).await.status, 200);
    let g = get(&format!("{}/api/v1/groups", run.url), &users_only).await;
    assert_eq!(g.status, 403, "groups need okta.groups.read");
    assert_eq!(g.json()["errorCode"], "E0000006");
    let good = run.state.tokens.mint("c", "s", SCOPES);
    run.state.tokens.revoke_all();
    assert_eq!(get(&url, &good).await.status, 401);
}

fn groups_url(run: &Running, params: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params(&format!("{}/api/v1/groups", run.url), params)
        .unwrap()
        .to_string()
}

fn names(groups: &[Value]) -> Vec<String> {
    groups
        .iter()
        .map(|g| g["profile"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn group_search_matches_names_exactly_or_by_prefix_and_pages_in_order() {
    let (run, token) = start(30).await;
    {
        let mut d = run.state.write();
        for i in 1..=25 {
            d.create_team(&format!("Staff {i}"), "");
        }
        d.create_team("Staff", "");
        d.create_team("STAFF", "");
        d.create_team(r#"Say "Hi" Club"#, "");
    }
    // `eq` compares string values ignoring case, and pages like any listing.
    let (found, calls) = all(
        groups_url(
            &run,
            &[("search", r#"profile.name eq "staff""#), ("limit", "1")],
        ),
        &token,
    )
    .await;
    assert_eq!(calls, 2, "one a page");
    let mut got = names(&found);
    got.sort();
    assert_eq!(got, vec!["STAFF", "Staff"]);
    let (found, _) = all(
        groups_url(&run, &[("search", r#"profile.name eq "say \"hi\" club""#)]),
        &token,
    )
    .await;
    assert_eq!(
        names(&found),
        vec![r#"Say "Hi" Club"#],
        "a backslash escapes a quote"
    );

    // `sw` with sortBy: every page in name order, the search kept in each next link.
    let first = groups_url(
        &run,
        &[
            ("search", r#"profile.name sw "staff""#),
            ("sortBy", "profile.name"),
            ("sortOrder", "asc"),
            ("limit", "10"),
        ],
    );
    let (found, calls) = all(first, &token).await;
    assert_eq!((found.len(), calls), (27, 3));
    let got: Vec<String> = names(&found).iter().map(|n| n.to_lowercase()).collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "in name order across pages");
    let ids: std::collections::HashSet<&str> =
        found.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 27, "no group twice");
    let (down, _) = all(
        groups_url(
            &run,
            &[
                ("search", r#"profile.name sw "staff""#),
                ("sortBy", "profile.name"),
                ("sortOrder", "desc"),
                ("limit", "10"),
            ],
        ),
        &token,
    )
    .await;
    let mut reversed: Vec<String> = names(&down).iter().map(|n| n.to_lowercase()).collect();
    reversed.reverse();
    assert_eq!(reversed, sorted, "descending is the reverse");

    // The page cap shortens pages (and cuts a `q=` type-ahead, which cannot page).
    run.state.knobs.page_cap.store(4, Ordering::SeqCst);
    let (found, calls) = all(
        groups_url(&run, &[("search", r#"profile.name sw "staff""#)]),
        &token,
    )
    .await;
    assert_eq!((found.len(), calls), (27, 7));
    let q = get(
        &groups_url(&run, &[("q", "staff"), ("limit", "100")]),
        &token,
    )
    .await;
    assert_eq!(q.json().as_array().unwrap().len(), 4);
    assert!(q.next().is_none());
    assert_eq!(
        q.json()[0]["profile"]["name"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        "staff",
        "exact matches first"
    );
    run.state.knobs.page_cap.store(0, Ordering::SeqCst);

    // `filter` takes only id, type, lastUpdated and lastMembershipUpdated; property names are
    // case-sensitive; an expression that does not parse is refused the same way.
    for (p, v) in [
        ("filter", r#"profile.name eq "Staff""#),
        ("search", r#"Profile.Name eq "Staff""#),
        ("search", r#"profile.name eq "Staff"#),
        ("search", r#"profile.name like "Staff""#),
    ] {
        let bad = get(&groups_url(&run, &[(p, v)]), &token).await;
        assert_eq!(bad.status, 400, "{p}={v}");
        assert_eq!(bad.json()["errorCode"], "E0000031", "{p}={v}");
    }
    let ok = get(
        &groups_url(&run, &[("filter", r#"type eq "OKTA_GROUP""#)]),
        &token,
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn some_users_have_no_display_name() {
    let (run, token) = start(400).await;
    let (users, _) = all(format!("{}/api/v1/users", run.url), &token).await;
    let without: Vec<&Value> = users
        .iter()
        .filter(|u| u["profile"].get("displayName").is_none())
        .collect();
    assert!(
        !without.is_empty() && without.len() < users.len() / 4,
        "some, not most: {} of {}",
        without.len(),
        users.len()
    );
    for u in &without {
        assert!(u["profile"]["firstName"].is_string() && u["profile"]["lastName"].is_string());
    }
    let admin = run.state.read().admin().unwrap().id.clone();
    assert!(users
        .iter()
        .any(|u| u["id"] == user_id(&admin) && u["profile"]["displayName"].is_string()));
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/users", run.url),
        &[("search", "profile.displayName pr")],
    )
    .unwrap();
    let (present, _) = all(url.to_string(), &token).await;
    assert_eq!(present.len(), users.len() - without.len());
}
