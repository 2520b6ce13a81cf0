//! The Entra connector against the emulated Microsoft Graph (real HTTP on loopback): paging boundaries,
//! throttling storms, token expiry and revocation, truncated answers, account states, nesting with cycles,
//! guests, national clouds, and incremental fetches that end where a full fetch would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use roster_cloud::{Bearer, RecordedPause, StaticBearer};
use roster_connector_entra::{EntraConnector, Settings};
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, Since, SourceBatch, SourceUser,
};
use roster_emulator::directory::{Member, PersonState};
use roster_emulator::{serve, Options, Running, State, Vendor};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCOPES: &[&str] = &[
    "openid",
    "offline_access",
    "User.Read.All",
    "GroupMember.Read.All",
];

async fn emulator(users: usize, groups: Option<usize>) -> Running {
    let mut o = Options::demo(Vendor::Entra);
    o.users = users;
    o.groups = groups;
    serve(Vendor::Entra, o).await.unwrap()
}

fn settings(r: &Running, include_guests: bool) -> Settings {
    let mut spec = r.connection_spec();
    let m = spec.as_object_mut().unwrap();
    m.remove("kind");
    m.remove("name");
    m.insert("include_guests".into(), include_guests.into());
    serde_json::from_value(spec).unwrap()
}

fn mint(st: &State) -> String {
    let admin = st.read().admin().unwrap().id.clone();
    st.tokens.mint(&st.options.client_id, &admin, SCOPES)
}

fn connector(r: &Running, guests: bool) -> (EntraConnector, Arc<RecordedPause>) {
    let pause = Arc::new(RecordedPause::default());
    let c = EntraConnector::new(
        settings(r, guests),
        Arc::new(StaticBearer(mint(&r.state))),
        pause.clone(),
    )
    .unwrap();
    (c, pause)
}

fn request(groups: Vec<String>) -> FetchRequest {
    let a = roster_connector_entra::default_attributes();
    let mut attributes = vec![a.username.clone()];
    attributes.extend(a.email.clone());
    attributes.extend(a.realname.clone());
    attributes.extend(a.firstname.clone());
    attributes.extend(a.lastname.clone());
    attributes.extend(a.phones.clone());
    attributes.push("jobTitle".into());
    FetchRequest {
        groups,
        attributes,
        since: None,
    }
}

fn group_id(r: &Running, name: &str) -> String {
    r.state.read().team_by_name(name).unwrap().id.clone()
}

/// Who the directory says should be in `group`'s flattened members.
fn expected_members(r: &Running, group: &str, guests: bool) -> HashSet<String> {
    let d = r.state.read();
    d.transitive_people(group)
        .into_iter()
        .filter(|p| p.state != PersonState::Deleted && (guests || !p.guest))
        .map(|p| p.id.clone())
        .collect()
}

fn ids(users: &[SourceUser]) -> HashSet<String> {
    users.iter().map(|u| u.external_id.to_string()).collect()
}

fn no_duplicates(b: &SourceBatch) {
    assert_eq!(ids(&b.users).len(), b.users.len(), "no user twice");
    for g in &b.groups {
        let set: HashSet<_> = g.members.iter().collect();
        assert_eq!(set.len(), g.members.len(), "no member twice in {}", g.name);
    }
}

#[tokio::test]
async fn paging_boundaries_read_everyone_once_in_the_fewest_calls() {
    for (n, user_pages) in [(999usize, 1u64), (1000, 2), (1998, 2), (1999, 3)] {
        let r = emulator(n, None).await;
        let (c, _) = connector(&r, true);
        let all = group_id(&r, "All Staff");
        let b = c.fetch(&request(vec![all.clone()])).await.unwrap();
        no_duplicates(&b);
        let expected = expected_members(&r, &all, true);
        assert_eq!(ids(&b.users), expected, "{n} users");
        assert_eq!(b.groups[0].members.len(), expected.len());
        assert_eq!(
            c.api_calls(),
            1 + user_pages,
            "{n} users: one groups page and {user_pages} user pages of 999"
        );
        let calls = r.state.knobs.calls.load(Ordering::SeqCst);
        assert_eq!(calls, c.api_calls(), "the emulator saw the same calls");
    }
}

#[tokio::test]
async fn a_throttling_storm_is_waited_out_as_graph_asks() {
    let r = emulator(1500, Some(60)).await;
    let all = group_id(&r, "All Staff");
    let (calm, _) = connector(&r, false);
    let expected = calm.fetch(&request(vec![all.clone()])).await.unwrap();
    r.state.knobs.retry_after_secs.store(4, Ordering::SeqCst);
    r.state.knobs.throttle_next.store(6, Ordering::SeqCst);
    let (c, pause) = connector(&r, false);
    let b = c.fetch(&request(vec![all])).await.unwrap();
    no_duplicates(&b);
    assert_eq!(ids(&b.users), ids(&expected.users));
    assert_eq!(b.groups, expected.groups);
    let waits = pause.waits();
    assert_eq!(waits.len(), 6, "one wait per 429");
    assert!(
        waits.iter().all(|w| *w == Duration::from_secs(4)),
        "Retry-After honoured: {waits:?}"
    );
    assert_eq!(c.api_calls(), calm.api_calls() + 6);
}

/// A bearer that refreshes by minting a new token, as roster-oauth would with a refresh token.
struct Refreshing {
    state: Arc<State>,
    current: Mutex<String>,
    refreshes: AtomicU64,
}

#[async_trait]
impl Bearer for Refreshing {
    async fn token(&self) -> Result<String, ConnectorError> {
        Ok(self.current.lock().unwrap().clone())
    }
    async fn rejected(&self, _token: &str) -> Result<String, ConnectorError> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let t = mint(&self.state);
        *self.current.lock().unwrap() = t.clone();
        Ok(t)
    }
}

#[tokio::test]
async fn tokens_expiring_mid_sync_are_refreshed_and_the_sync_completes() {
    let r = emulator(2500, Some(40)).await;
    let all = group_id(&r, "All Staff");
    let bearer = Arc::new(Refreshing {
        state: r.state.clone(),
        current: Mutex::new(mint(&r.state)),
        refreshes: AtomicU64::new(0),
    });
    let c = EntraConnector::new(
        settings(&r, false),
        bearer.clone(),
        Arc::new(RecordedPause::default()),
    )
    .unwrap();
    r.state.knobs.expire_tokens_after.store(2, Ordering::SeqCst);
    let b = c.fetch(&request(vec![all.clone()])).await.unwrap();
    assert_eq!(
        bearer.refreshes.load(Ordering::SeqCst),
        1,
        "one refresh after the expiry"
    );
    assert_eq!(ids(&b.users), expected_members(&r, &all, false));
}

#[tokio::test]
async fn revoked_consent_is_unauthorized_and_says_to_reauthorize() {
    let r = emulator(100, None).await;
    let (c, _) = connector(&r, false);
    r.state.tokens.revoke_all();
    let e = c
        .fetch(&request(vec![group_id(&r, "All Staff")]))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Unauthorized(_)), "{e:?}");
    assert!(e.to_string().contains("Reauthorize"), "{e}");
    assert!(!e.is_transient());
}

#[tokio::test]
async fn a_truncated_answer_is_a_clear_protocol_error() {
    let r = emulator(100, None).await;
    let (c, _) = connector(&r, false);
    r.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    let e = c
        .fetch(&request(vec![group_id(&r, "All Staff")]))
        .await
        .unwrap_err();
    match &e {
        ConnectorError::Protocol(m) => {
            assert!(
                m.contains("cut short") && m.contains("Nothing was changed"),
                "{m}"
            );
            assert!(
                !m.contains("deltatoken") && !m.contains("skiptoken"),
                "no paging tokens in messages: {m}"
            );
        }
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[tokio::test]
async fn suspended_deleted_and_restored_people() {
    let r = emulator(300, None).await;
    let all = group_id(&r, "All Staff");
    let (suspended, deleted, restored) = {
        let mut d = r.state.write();
        let people: Vec<String> = d
            .transitive_people(&all)
            .iter()
            .filter(|p| !p.admin && !p.guest && p.state == PersonState::Active)
            .map(|p| p.id.clone())
            .take(3)
            .collect();
        d.suspend(&people[0]);
        d.delete(&people[1]);
        // Deleted, restored, and put back in a team.
        let team = d.teams_of(&people[2])[0].id.clone();
        d.delete(&people[2]);
        d.restore(&people[2]);
        d.add_member(&team, Member::Person(people[2].clone()));
        (people[0].clone(), people[1].clone(), people[2].clone())
    };
    let (c, _) = connector(&r, false);
    let b = c.fetch(&request(vec![all.clone()])).await.unwrap();
    let by: HashMap<String, &SourceUser> = b
        .users
        .iter()
        .map(|u| (u.external_id.to_string(), u))
        .collect();
    assert!(by[&suspended].disabled, "accountEnabled=false is disabled");
    assert!(!by.contains_key(&deleted), "deleted people are not fetched");
    assert!(!b.groups[0].members.iter().any(|m| m.as_ref() == deleted));
    assert!(
        !by[&restored].disabled,
        "a restored person is back and enabled"
    );
    assert!(b
        .users
        .iter()
        .filter(|u| u.external_id.as_ref() != suspended)
        .any(|u| !u.disabled));
    assert_eq!(ids(&b.users), expected_members(&r, &all, false));
    let d = r.state.read();
    for u in &b.users {
        let p = d.person(&u.external_id).unwrap();
        assert_eq!(
            u.locator.as_deref(),
            Some(roster_emulator::graph::user_principal_name(p).as_str()),
            "reports name a user by their sign-in name"
        );
    }
}

#[tokio::test]
async fn nested_groups_flatten_and_a_cycle_is_harmless() {
    let r = emulator(400, None).await;
    let all = group_id(&r, "All Staff");
    let division = {
        let d = r.state.read();
        match &d.team(&all).unwrap().members[0] {
            Member::Team(t) => t.clone(),
            Member::Person(_) => panic!("All Staff nests divisions"),
        }
    };
    assert!(
        r.state
            .write()
            .add_member(&division, Member::Team(all.clone())),
        "a cycle"
    );
    let (c, _) = connector(&r, false);
    let b = c
        .fetch(&request(vec![
            all.clone(),
            division.clone(),
            "no-such-group".into(),
        ]))
        .await
        .unwrap();
    no_duplicates(&b);
    assert_eq!(b.missing_groups, vec!["no-such-group".to_string()]);
    let members = |id: &str| -> HashSet<String> {
        b.groups
            .iter()
            .find(|g| g.external_id == id)
            .unwrap()
            .members
            .iter()
            .map(|m| m.to_string())
            .collect()
    };
    assert_eq!(members(&all), expected_members(&r, &all, false));
    assert_eq!(
        members(&division),
        members(&all),
        "through the cycle the division reaches everyone too"
    );
    assert_eq!(
        b.groups.iter().find(|g| g.external_id == all).unwrap().name,
        "All Staff"
    );
}

#[tokio::test]
async fn guests_are_left_out_unless_included() {
    let r = emulator(600, None).await;
    let all = group_id(&r, "All Staff");
    let guests: HashSet<String> = r
        .state
        .read()
        .people()
        .filter(|p| p.guest)
        .map(|p| p.id.clone())
        .collect();
    assert!(!guests.is_empty());
    let (without, _) = connector(&r, false);
    let b = without.fetch(&request(vec![all.clone()])).await.unwrap();
    assert!(ids(&b.users).is_disjoint(&guests));
    assert!(b.groups[0]
        .members
        .iter()
        .all(|m| !guests.contains(m.as_ref())));
    let (with, _) = connector(&r, true);
    let b = with.fetch(&request(vec![all.clone()])).await.unwrap();
    let got = ids(&b.users);
    assert!(guests
        .iter()
        .all(|g| got.contains(g) || !expected_members(&r, &all, true).contains(g)));
    let g = b
        .users
        .iter()
        .find(|u| guests.contains(u.external_id.as_ref()))
        .unwrap();
    assert!(g.first("userPrincipalName").unwrap().contains("#EXT#@"));
    assert_eq!(got, expected_members(&r, &all, true));
}

#[tokio::test]
async fn national_clouds_pick_their_hosts() {
    let mut s = Settings {
        tenant: "contoso.onmicrosoft.us".into(),
        client_id: "11111111-2222-3333-4444-555555555555".into(),
        cloud: roster_connector_entra::Cloud::UsGovernment,
        authority_url: None,
        graph_url: None,
        include_guests: false,
    };
    let c = EntraConnector::new(
        s.clone(),
        Arc::new(StaticBearer("t".into())),
        Arc::new(RecordedPause::default()),
    )
    .unwrap();
    assert!(format!("{c:?}").contains("https://graph.microsoft.us/v1.0"));
    assert!(s
        .consent()
        .authorize_url
        .starts_with("https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/"));
    s.cloud = roster_connector_entra::Cloud::China;
    let c = EntraConnector::new(
        s.clone(),
        Arc::new(StaticBearer("t".into())),
        Arc::new(RecordedPause::default()),
    )
    .unwrap();
    assert!(format!("{c:?}").contains("https://microsoftgraph.chinacloudapi.cn/v1.0"));
    assert!(!format!("{c:?}").contains("\"t\""), "no token in Debug");
    s.tenant = String::new();
    let e = EntraConnector::new(
        s,
        Arc::new(StaticBearer("t".into())),
        Arc::new(RecordedPause::default()),
    )
    .unwrap_err();
    assert!(matches!(e, ConnectorError::Configuration(_)));
}

/// Compares an incremental batch with a full one of the same moment, given the previous full batch.
fn assert_same_outcome(inc: &SourceBatch, full: &SourceBatch, before: &SourceBatch) {
    assert!(inc.incremental && !full.incremental);
    let sorted = |b: &SourceBatch| {
        let mut g = b.groups.clone();
        for x in &mut g {
            x.members.sort();
        }
        g.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        g
    };
    assert_eq!(sorted(inc), sorted(full), "the same groups and members");
    assert_eq!(inc.missing_groups, full.missing_groups);
    let full_by: HashMap<&str, &SourceUser> = full
        .users
        .iter()
        .map(|u| (u.external_id.as_ref(), u))
        .collect();
    let before_by: HashMap<&str, &SourceUser> = before
        .users
        .iter()
        .map(|u| (u.external_id.as_ref(), u))
        .collect();
    let mut covered: HashSet<&str> = HashSet::new();
    for u in &inc.users {
        assert_eq!(
            Some(&u),
            full_by.get(u.external_id.as_ref()),
            "a changed user as a full read has them"
        );
        covered.insert(u.external_id.as_ref());
    }
    for id in &inc.unchanged {
        let now = full_by
            .get(id.as_ref())
            .expect("unchanged users are in scope");
        assert_eq!(
            Some(now),
            before_by.get(id.as_ref()),
            "an unchanged user really is unchanged"
        );
        assert!(covered.insert(id.as_ref()), "listed once");
    }
    assert_eq!(
        covered.len(),
        full.users.len(),
        "everyone in scope is accounted for"
    );
}

#[tokio::test]
async fn incremental_equals_full_after_churn() {
    let r = emulator(3000, Some(120)).await;
    let selected: Vec<String> = {
        let d = r.state.read();
        let mut v = vec![d.team_by_name("All Staff").unwrap().id.clone()];
        v.extend(
            d.teams()
                .filter(|t| t.name.starts_with("Project"))
                .take(5)
                .map(|t| t.id.clone()),
        );
        v
    };
    let (c, _) = connector(&r, false);
    let first = c.fetch(&request(selected.clone())).await.unwrap();
    assert!(!first.incremental);
    let known: HashSet<Arc<str>> = first.users.iter().map(|u| u.external_id.clone()).collect();
    let touched = r.state.write().churn(100);
    assert!(touched.len() >= 90);
    let mut req = request(selected.clone());
    req.since = Some(Since {
        cursor: first.cursor.clone().unwrap(),
        known: known.clone(),
    });
    let before = c.api_calls();
    let inc = c.fetch(&req).await.unwrap();
    let inc_calls = c.api_calls() - before;
    let (fresh, _) = connector(&r, false);
    let full = fresh.fetch(&request(selected.clone())).await.unwrap();
    assert_same_outcome(&inc, &full, &first);
    assert!(
        inc.users.len() < full.users.len() / 4,
        "only the changed users are read in full ({} of {})",
        inc.users.len(),
        full.users.len()
    );
    assert!(
        inc_calls <= 4,
        "two delta rounds (and a batch for newcomers): {inc_calls} calls"
    );

    // A second round from the incremental's cursor, with someone the sync does not know yet.
    let forgotten = inc.unchanged[0].clone();
    let mut known2: HashSet<Arc<str>> = inc.users.iter().map(|u| u.external_id.clone()).collect();
    known2.extend(inc.unchanged.iter().cloned());
    known2.remove(&forgotten);
    r.state.write().churn(20);
    req.since = Some(Since {
        cursor: inc.cursor.clone().unwrap(),
        known: known2,
    });
    let inc2 = c.fetch(&req).await.unwrap();
    let full2 = fresh.fetch(&request(selected.clone())).await.unwrap();
    assert!(
        inc2.users.iter().any(|u| u.external_id == forgotten),
        "a user the sync does not know is read in full"
    );
    assert_same_outcome(&inc2, &full2, &full);
}

#[tokio::test]
async fn an_expired_delta_token_falls_back_to_a_full_read() {
    let r = emulator(500, None).await;
    let all = group_id(&r, "All Staff");
    let (c, _) = connector(&r, false);
    let first = c.fetch(&request(vec![all.clone()])).await.unwrap();
    let cursor = first.cursor.unwrap();
    let at = cursor.find("$deltatoken=").unwrap() + "$deltatoken=".len();
    let broken = format!("{}x{}", &cursor[..at], &cursor[at + 1..]);
    let mut req = request(vec![all.clone()]);
    req.since = Some(Since {
        cursor: broken,
        known: HashSet::new(),
    });
    let b = c.fetch(&req).await.unwrap();
    assert!(!b.incremental, "410 Gone: read everything again");
    assert_eq!(ids(&b.users), expected_members(&r, &all, false));
    // A cursor for another selection is not used either.
    req.groups.push(group_id(&r, "Engineering"));
    req.since = Some(Since {
        cursor: b.cursor.unwrap(),
        known: HashSet::new(),
    });
    assert!(!c.fetch(&req).await.unwrap().incremental);
}

#[tokio::test]
async fn one_user_is_looked_up_by_username() {
    let r = emulator(300, None).await;
    let all = group_id(&r, "All Staff");
    let (person, upn, guest_upn) = {
        let d = r.state.read();
        let p = d
            .transitive_people(&all)
            .into_iter()
            .find(|p| !p.guest && !p.admin)
            .unwrap()
            .clone();
        let g = d.people().find(|p| p.guest).unwrap().clone();
        (
            p.clone(),
            roster_emulator::graph::user_principal_name(&p),
            roster_emulator::graph::user_principal_name(&g),
        )
    };
    let (c, _) = connector(&r, false);
    let req = request(vec![all.clone(), "gone-group".into()]);
    let l = c
        .fetch_user(&req, "userPrincipalName", &upn.to_uppercase())
        .await
        .unwrap();
    let u = l.user.unwrap();
    assert_eq!(u.external_id.as_ref(), person.id);
    assert_eq!(u.first("mail"), Some(person.mail.as_str()));
    assert_eq!(l.groups.len(), 1, "a deleted selected group is left out");
    assert!(l.groups[0].1, "a transitive member of All Staff");
    assert_eq!(l.groups[0].0.name, "All Staff");
    let l = c.fetch_user(&req, "mail", &person.mail).await.unwrap();
    assert_eq!(l.user.unwrap().external_id.as_ref(), person.id);
    let l = c
        .fetch_user(
            &req,
            "userPrincipalName",
            "nobody@northwind.onmicrosoft.com",
        )
        .await
        .unwrap();
    assert!(l.user.is_none());
    assert!(!l.groups[0].1);
    let l = c
        .fetch_user(&req, "userPrincipalName", &guest_upn)
        .await
        .unwrap();
    assert!(l.user.is_none(), "guests are out unless included");
    let (with, _) = connector(&r, true);
    assert!(with
        .fetch_user(&req, "userPrincipalName", &guest_upn)
        .await
        .unwrap()
        .user
        .is_some());
}

#[tokio::test]
async fn group_search_gives_names_and_member_counts() {
    let r = emulator(300, Some(60)).await;
    let (c, _) = connector(&r, false);
    let found = c.search_groups("proj", 25).await.unwrap();
    assert!(!found.is_empty() && found.len() <= 25);
    {
        let d = r.state.read();
        for g in &found {
            assert!(g.name.to_lowercase().contains("proj"));
            let t = d.team(&g.external_id).unwrap();
            assert_eq!(g.member_count, Some(t.members.len() as u64), "{}", g.name);
        }
    }
    assert!(c.search_groups("zzz-nothing", 10).await.unwrap().is_empty());
    let any = c.search_groups("", 5).await.unwrap();
    assert_eq!(any.len(), 5);
}

/// Creates the groups the name tests look for: "Staff 1".."Staff 120" and then "Staff", two groups named
/// "Twins" in different cases, and "O'Brien Team". Returns the ids of "Staff", the twins and O'Brien's.
fn look_alikes(r: &Running) -> (String, Vec<String>, String) {
    let mut d = r.state.write();
    for i in 1..=120 {
        d.create_team(&format!("Staff {i}"), "A look-alike");
    }
    let staff = d.create_team("Staff", "Everyone on the staff");
    let twins = vec![d.create_team("Twins", ""), d.create_team("TWINS", "")];
    let obrien = d.create_team("O'Brien Team", "");
    (staff, twins, obrien)
}

#[tokio::test]
async fn a_group_name_is_resolved_exactly_across_pages() {
    let r = emulator(60, None).await;
    let (staff, mut twins, obrien) = look_alikes(&r);
    // Graph may page shorter than asked: ten groups a page.
    r.state.knobs.page_cap.store(10, Ordering::SeqCst);
    let (c, _) = connector(&r, false);
    let found = c.groups_named("Staff").await.unwrap();
    let ids: Vec<&str> = found.iter().map(|g| g.external_id.as_str()).collect();
    assert_eq!(
        ids,
        vec![staff.as_str()],
        "only the exact name, not its 120 look-alikes"
    );
    assert_eq!(found[0].name, "Staff");
    assert_eq!(found[0].member_count, Some(0));
    assert_eq!(
        c.api_calls(),
        2,
        "one $filter page and one $batch for the member count"
    );

    let found = c.groups_named("O'Brien Team").await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "a quote in the name is doubled, as OData writes it"
    );
    assert_eq!(found[0].external_id, obrien);

    // One group a page: the second twin is on the second page.
    r.state.knobs.page_cap.store(1, Ordering::SeqCst);
    let mut got: Vec<String> = c
        .groups_named("twins")
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.external_id)
        .collect();
    got.sort();
    twins.sort();
    assert_eq!(
        got, twins,
        "an ambiguous name gives every group of that name"
    );
    assert!(c.groups_named("Staff 999").await.unwrap().is_empty());
    assert!(c.groups_named("  ").await.unwrap().is_empty());

    // The picker reads as many pages as its limit takes.
    r.state.knobs.page_cap.store(10, Ordering::SeqCst);
    let picks = c.search_groups("Staff", 50).await.unwrap();
    assert_eq!(picks.len(), 50, "five pages of ten");
    assert!(picks.iter().all(|g| g
        .name
        .to_lowercase()
        .split(' ')
        .any(|w| w.starts_with("staff"))));
    let distinct: HashSet<&str> = picks.iter().map(|g| g.external_id.as_str()).collect();
    assert_eq!(distinct.len(), 50, "no group twice");
    let few = c.search_groups("Staff", 5).await.unwrap();
    assert_eq!(few.len(), 5);
}
