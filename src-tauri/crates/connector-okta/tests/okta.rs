#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Okta connector against the Okta emulator: paging boundaries, throttling and pacing, token expiry and
//! revocation, truncated answers, account states, flattened groups, lookups and the group picker.

use async_trait::async_trait;
use roster_cloud::{Bearer, RecordedPause, StaticBearer};
use roster_connector_okta::client::JITTER_MAX;
use roster_connector_okta::{default_attributes, OktaConnector, Settings};
use roster_core::source::{Connector, ConnectorError, FetchRequest, SourceBatch};
use roster_emulator::directory::{Member, PersonState};
use roster_emulator::okta::{group_id, has_display_name, user_id, user_status};
use roster_emulator::tokens::Grant;
use roster_emulator::{serve, Options, Running, State, Vendor};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCOPES: &[&str] = &["openid", "okta.users.read", "okta.groups.read"];

async fn start(users: usize, groups: Option<usize>) -> Running {
    let mut o = Options::demo(Vendor::Okta);
    o.users = users;
    o.groups = groups;
    serve(Vendor::Okta, o).await.unwrap()
}

fn settings(run: &Running) -> Settings {
    Settings {
        org_url: run.url.clone(),
        client_id: run.state.options.client_id.clone(),
        authorize_url: None,
        token_url: None,
        api_url: None,
    }
}

fn admin(run: &Running) -> String {
    run.state.read().admin().unwrap().id.clone()
}

fn connector(run: &Running, bearer: Arc<dyn Bearer>) -> (OktaConnector, Arc<RecordedPause>) {
    let pause = Arc::new(RecordedPause::default());
    let c = OktaConnector::new(settings(run), bearer, pause.clone()).unwrap();
    (c, pause)
}

fn minted(run: &Running) -> Arc<dyn Bearer> {
    let t = run
        .state
        .tokens
        .mint(&run.state.options.client_id, &admin(run), SCOPES);
    Arc::new(StaticBearer(t))
}

fn team(run: &Running, name: &str) -> String {
    group_id(&run.state.read().team_by_name(name).unwrap().id)
}

fn request(groups: Vec<String>) -> FetchRequest {
    FetchRequest {
        groups,
        attributes: vec![],
        since: None,
    }
}

/// The Okta ids of a directory group's transitive people, sorted.
fn expected_members(run: &Running, name: &str) -> Vec<String> {
    let d = run.state.read();
    let t = d.team_by_name(name).unwrap();
    let mut v: Vec<String> = d
        .transitive_people(&t.id)
        .iter()
        .filter(|p| p.state != PersonState::Deleted)
        .map(|p| user_id(&p.id))
        .collect();
    v.sort();
    v
}

fn members_of(batch: &SourceBatch, gid: &str) -> Vec<String> {
    let g = batch.groups.iter().find(|g| g.external_id == gid).unwrap();
    let mut v: Vec<String> = g.members.iter().map(|m| m.to_string()).collect();
    v.sort();
    v
}

fn assert_no_duplicates(batch: &SourceBatch) {
    let ids: HashSet<&str> = batch.users.iter().map(|u| &*u.external_id).collect();
    assert_eq!(ids.len(), batch.users.len(), "no user twice");
    for g in &batch.groups {
        let m: HashSet<&str> = g.members.iter().map(|m| &**m).collect();
        assert_eq!(m.len(), g.members.len(), "no member twice in {}", g.name);
        assert!(
            m.iter().all(|id| ids.contains(id)),
            "every member is a user"
        );
    }
}

/// A consented connection as `roster-oauth` would hold it: an access token and a refresh token that it
/// redeems when the API rejects the access token.
struct Refreshing {
    state: Arc<State>,
    client_id: String,
    tokens: Mutex<(String, String)>,
    refreshes: AtomicU64,
}

impl Refreshing {
    fn new(run: &Running) -> Arc<Refreshing> {
        let issued = run.state.tokens.issue(Grant {
            client_id: run.state.options.client_id.clone(),
            subject: admin(run),
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        });
        Arc::new(Refreshing {
            state: run.state.clone(),
            client_id: run.state.options.client_id.clone(),
            tokens: Mutex::new((issued.access_token, issued.refresh_token)),
            refreshes: AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl Bearer for Refreshing {
    async fn token(&self) -> Result<String, ConnectorError> {
        Ok(self.tokens.lock().unwrap().0.clone())
    }
    async fn rejected(&self, _token: &str) -> Result<String, ConnectorError> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let mut t = self.tokens.lock().unwrap();
        match self.state.tokens.refresh(&t.1, &self.client_id) {
            Ok(i) => {
                *t = (i.access_token.clone(), i.refresh_token);
                Ok(i.access_token)
            }
            Err(_) => Err(ConnectorError::Unauthorized(
                "consent was withdrawn; reauthorize".into(),
            )),
        }
    }
}

/// Refreshes by minting a new token straight from the emulator.
struct Minting {
    state: Arc<State>,
    client_id: String,
    subject: String,
    current: Mutex<String>,
    mints: AtomicU64,
}

#[async_trait]
impl Bearer for Minting {
    async fn token(&self) -> Result<String, ConnectorError> {
        Ok(self.current.lock().unwrap().clone())
    }
    async fn rejected(&self, _token: &str) -> Result<String, ConnectorError> {
        self.mints.fetch_add(1, Ordering::SeqCst);
        let t = self
            .state
            .tokens
            .mint(&self.client_id, &self.subject, SCOPES);
        *self.current.lock().unwrap() = t.clone();
        Ok(t)
    }
}

#[tokio::test]
async fn member_pages_break_at_1000_and_group_pages_at_200() {
    let run = start(1001, None).await;
    let all = team(&run, "All Staff");
    assert_eq!(expected_members(&run, "All Staff").len(), 1001);
    let (c, _) = connector(&run, minted(&run));
    let batch = c.fetch(&request(vec![all.clone()])).await.unwrap();
    assert_eq!(batch.users.len(), 1001);
    assert_eq!(
        members_of(&batch, &all),
        expected_members(&run, "All Staff")
    );
    assert_eq!(c.api_calls(), 3, "one group lookup and two member pages");
    assert_no_duplicates(&batch);
    let leaver = run
        .state
        .read()
        .people()
        .find(|p| !p.admin)
        .unwrap()
        .id
        .clone();
    run.state.write().delete(&leaver);
    let (c, _) = connector(&run, minted(&run));
    let batch = c.fetch(&request(vec![all.clone()])).await.unwrap();
    assert_eq!(batch.users.len(), 1000);
    assert!(!batch
        .users
        .iter()
        .any(|u| *u.external_id == user_id(&leaver)));
    assert_eq!(c.api_calls(), 2, "exactly 1,000 members fit one page");

    for (groups, calls) in [(200usize, 1u64), (201, 2)] {
        let run = start(60, Some(groups)).await;
        let (c, _) = connector(&run, minted(&run));
        let found = c.search_groups("", 1000).await.unwrap();
        assert_eq!(found.len(), groups);
        assert_eq!(c.api_calls(), calls, "{groups} groups at 200 a page");
        let ids: HashSet<&str> = found.iter().map(|g| g.external_id.as_str()).collect();
        assert_eq!(ids.len(), groups, "no group twice");
    }
}

#[tokio::test]
async fn a_throttling_storm_completes_without_duplicates_waiting_reset_minus_date() {
    let run = start(2500, None).await;
    let all = team(&run, "All Staff");
    let eng = team(&run, "Engineering");
    let wanted = vec![all.clone(), eng.clone()];
    let (calm, _) = connector(&run, minted(&run));
    let baseline = calm.fetch(&request(wanted.clone())).await.unwrap();
    let calm_calls = calm.api_calls();

    run.state.knobs.retry_after_secs.store(7, Ordering::SeqCst);
    run.state.knobs.throttle_next.store(3, Ordering::SeqCst);
    run.state.knobs.throttle_every.store(2, Ordering::SeqCst);
    let (c, pause) = connector(&run, minted(&run));
    let batch = c.fetch(&request(wanted)).await.unwrap();
    run.state.knobs.throttle_every.store(0, Ordering::SeqCst);
    assert_eq!(
        batch, baseline,
        "the storm changes nothing in what was read"
    );
    assert_no_duplicates(&batch);
    let waits = pause.waits();
    assert!(waits.len() >= 3 + calm_calls as usize / 2, "{waits:?}");
    assert_eq!(c.api_calls(), calm_calls + waits.len() as u64);
    for w in &waits {
        assert_eq!(w.as_secs(), 7, "each wait is Reset - Date: {w:?}");
        assert!(
            *w - Duration::from_secs(7) <= JITTER_MAX,
            "plus a little jitter"
        );
    }
}

#[tokio::test]
async fn remaining_zero_paces_the_next_call_until_reset() {
    let run = start(2500, None).await;
    run.state.knobs.rate_limit.store(2, Ordering::SeqCst);
    let (c, pause) = connector(&run, minted(&run));
    let batch = c
        .fetch(&request(vec![team(&run, "All Staff")]))
        .await
        .unwrap();
    assert_eq!(batch.users.len(), 2500);
    let calls = c.api_calls();
    assert_eq!(calls, 4, "lookup and three member pages");
    let waits = pause.waits();
    assert_eq!(
        waits.len() as u64,
        calls / 2,
        "a wait after every answer whose window ran out: {waits:?}"
    );
    for w in waits {
        assert!(
            (55..=60).contains(&w.as_secs()),
            "until the window resets: {w:?}"
        );
    }
}

#[tokio::test]
async fn an_access_token_expiring_mid_sync_is_refreshed_once() {
    let run = start(2500, None).await;
    let all = team(&run, "All Staff");
    let (calm, _) = connector(&run, minted(&run));
    let baseline = calm.fetch(&request(vec![all.clone()])).await.unwrap();
    let bearer = Arc::new(Minting {
        state: run.state.clone(),
        client_id: run.state.options.client_id.clone(),
        subject: admin(&run),
        current: Mutex::new(run.state.tokens.mint(
            &run.state.options.client_id,
            &admin(&run),
            SCOPES,
        )),
        mints: AtomicU64::new(0),
    });
    run.state
        .knobs
        .expire_tokens_after
        .store(2, Ordering::SeqCst);
    let (c, _) = connector(&run, bearer.clone());
    let batch = c.fetch(&request(vec![all])).await.unwrap();
    assert_eq!(bearer.mints.load(Ordering::SeqCst), 1);
    assert_eq!(batch, baseline);

    // The same through a refresh token, as a real connection does.
    let refreshing = Refreshing::new(&run);
    run.state
        .knobs
        .expire_tokens_after
        .store(3, Ordering::SeqCst);
    let (c, _) = connector(&run, refreshing.clone());
    let batch = c
        .fetch(&request(vec![team(&run, "All Staff")]))
        .await
        .unwrap();
    assert_eq!(refreshing.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(batch, baseline);
}

#[tokio::test]
async fn revoked_consent_is_unauthorized() {
    let run = start(50, None).await;
    let refreshing = Refreshing::new(&run);
    let (c, _) = connector(&run, refreshing.clone());
    assert!(c
        .fetch(&request(vec![team(&run, "All Staff")]))
        .await
        .is_ok());
    run.state.tokens.revoke_all();
    let err = c
        .fetch(&request(vec![team(&run, "All Staff")]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
    assert!(!err.is_transient());
    let (plain, _) = connector(&run, Arc::new(StaticBearer("at.revoked".into())));
    assert!(matches!(
        plain.search_groups("a", 5).await,
        Err(ConnectorError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn a_truncated_answer_is_a_protocol_error() {
    let run = start(1500, None).await;
    let all = team(&run, "All Staff");
    let (c, _) = connector(&run, minted(&run));
    run.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    match c.fetch(&request(vec![all.clone()])).await {
        Err(ConnectorError::Protocol(m)) => {
            assert!(
                m.contains("cut short") && m.contains("Nothing was changed"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    run.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    assert!(matches!(
        c.search_groups("All", 5).await,
        Err(ConnectorError::Protocol(_))
    ));
    // Throttled answers do not use up the fault: the retry after the 429 is the one cut short.
    run.state.knobs.throttle_next.store(1, Ordering::SeqCst);
    run.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    assert!(matches!(
        c.fetch(&request(vec![all.clone()])).await,
        Err(ConnectorError::Protocol(_))
    ));
    assert_eq!(
        c.fetch(&request(vec![all])).await.unwrap().users.len(),
        1500,
        "then all is well"
    );
}

#[tokio::test]
async fn suspended_deprovisioned_and_restored_users() {
    let run = start(400, None).await;
    let (person, team_guid) = {
        let d = run.state.read();
        let t = d
            .teams()
            .find(|t| {
                t.members.iter().any(|m| {
                    matches!(m, Member::Person(p)
                    if d.person(p).is_some_and(|p| !p.admin && user_status(p) == "ACTIVE" && has_display_name(p)))
                })
            })
            .unwrap();
        let p = t
            .members
            .iter()
            .find_map(|m| match m {
                Member::Person(p)
                    if d.person(p).is_some_and(|p| {
                        !p.admin && user_status(p) == "ACTIVE" && has_display_name(p)
                    }) =>
                {
                    Some(p.clone())
                }
                _ => None,
            })
            .unwrap();
        (p, t.id.clone())
    };
    let gid = group_id(&team_guid);
    let oid = user_id(&person);
    let (c, _) = connector(&run, minted(&run));
    let read = |b: &SourceBatch| b.users.iter().find(|u| *u.external_id == oid).cloned();

    let b = c.fetch(&request(vec![gid.clone()])).await.unwrap();
    let u = read(&b).unwrap();
    assert!(!u.disabled);
    assert_eq!(u.first("status"), Some("ACTIVE"));
    for attr in [
        "login",
        "email",
        "firstName",
        "lastName",
        "displayName",
        "primaryPhone",
        "title",
        "department",
        "employeeNumber",
        "id",
    ] {
        assert!(u.first(attr).is_some(), "{attr}");
    }
    let map = default_attributes();
    assert!(u.first(&map.username).unwrap().ends_with("@northwind.demo"));
    assert_eq!(
        u.locator.as_deref(),
        u.first("login"),
        "reports name a user by their Okta login"
    );

    run.state.write().suspend(&person);
    let b = c.fetch(&request(vec![gid.clone()])).await.unwrap();
    let u = read(&b).unwrap();
    assert!(u.disabled, "SUSPENDED is disabled");
    assert_eq!(u.first("status"), Some("SUSPENDED"));

    run.state.write().restore(&person);
    let b = c.fetch(&request(vec![gid.clone()])).await.unwrap();
    assert!(!read(&b).unwrap().disabled, "unsuspended is enabled again");

    run.state.write().delete(&person);
    let b = c.fetch(&request(vec![gid.clone()])).await.unwrap();
    assert!(read(&b).is_none(), "deprovisioned users are in no group");
    assert!(!members_of(&b, &gid).contains(&oid));

    run.state.write().restore(&person);
    let b = c.fetch(&request(vec![gid.clone()])).await.unwrap();
    assert!(
        read(&b).is_none(),
        "reactivated, but not yet back in the group"
    );
    run.state
        .write()
        .add_member(&team_guid, Member::Person(person.clone()));
    let b = c.fetch(&request(vec![gid.clone()])).await.unwrap();
    let u = read(&b).unwrap();
    assert!(!u.disabled);
    assert!(members_of(&b, &gid).contains(&oid));
}

#[tokio::test]
async fn okta_statuses_follow_the_policy() {
    let run = start(1500, None).await;
    let (c, _) = connector(&run, minted(&run));
    let b = c
        .fetch(&request(vec![team(&run, "All Staff")]))
        .await
        .unwrap();
    let mut seen = HashSet::new();
    for u in &b.users {
        let status = u.first("status").unwrap().to_string();
        let expect_disabled = matches!(status.as_str(), "SUSPENDED" | "STAGED" | "DEPROVISIONED");
        assert_eq!(u.disabled, expect_disabled, "{status}");
        seen.insert(status);
    }
    for s in [
        "ACTIVE",
        "SUSPENDED",
        "LOCKED_OUT",
        "PASSWORD_EXPIRED",
        "STAGED",
    ] {
        assert!(seen.contains(s), "the org has someone {s}: {seen:?}");
    }
}

#[tokio::test]
async fn nested_directory_groups_arrive_flattened_and_missing_groups_are_named() {
    let run = start(500, None).await;
    let all = team(&run, "All Staff");
    let lead = team(&run, "Leadership");
    let exec = team(&run, "Executive Team");
    let (c, _) = connector(&run, minted(&run));
    let wanted = vec![
        all.clone(),
        lead.clone(),
        exec.clone(),
        "00gdoesnotexist000000".to_string(),
        "bad\" or id pr".to_string(),
        all.clone(),
    ];
    let b = c.fetch(&request(wanted)).await.unwrap();
    assert_eq!(b.groups.len(), 3, "duplicates asked once");
    assert_eq!(
        b.missing_groups,
        vec![
            "00gdoesnotexist000000".to_string(),
            "bad\" or id pr".to_string()
        ]
    );
    assert_eq!(members_of(&b, &all), expected_members(&run, "All Staff"));
    assert_eq!(members_of(&b, &lead), expected_members(&run, "Leadership"));
    assert_eq!(
        members_of(&b, &lead),
        members_of(&b, &exec),
        "Leadership and Executive Team nest each other"
    );
    assert!(
        !b.incremental && b.cursor.is_none(),
        "Okta fetches are full"
    );
    assert_no_duplicates(&b);

    let hired = {
        let mut d = run.state.write();
        let t = d.team_by_name("Platform").unwrap().id.clone();
        d.hire(&t, "Sana", "Tanaka").unwrap()
    };
    let b = c.fetch(&request(vec![all.clone()])).await.unwrap();
    assert!(
        members_of(&b, &all).contains(&user_id(&hired)),
        "a hire two levels down is in All Staff"
    );
}

#[tokio::test]
async fn one_user_lookup_and_the_group_picker() {
    let run = start(300, None).await;
    let (login, person, own_team) = {
        let d = run.state.read();
        let p = d
            .people()
            .find(|p| !p.admin && !d.teams_of(&p.id).is_empty())
            .unwrap();
        let t = d.teams_of(&p.id)[0].name.clone();
        (format!("{}@{}", p.username, d.domain), p.id.clone(), t)
    };
    let other = {
        let d = run.state.read();
        let name = d
            .teams()
            .find(|t| !d.transitive_people(&t.id).iter().any(|p| p.id == person))
            .unwrap()
            .name
            .clone();
        name
    };
    let wanted = vec![
        team(&run, "All Staff"),
        team(&run, &own_team),
        team(&run, &other),
    ];
    let (c, _) = connector(&run, minted(&run));
    let found = c
        .fetch_user(&request(wanted.clone()), "login", &login.to_uppercase())
        .await
        .unwrap();
    let u = found.user.unwrap();
    assert_eq!(*u.external_id, user_id(&person));
    let flags: Vec<bool> = found.groups.iter().map(|(_, m)| *m).collect();
    assert_eq!(
        flags,
        vec![true, true, false],
        "transitive membership counts"
    );
    assert_eq!(found.groups[0].0.members, vec![u.external_id.clone()]);
    let none = c
        .fetch_user(&request(wanted), "login", "nobody@northwind.demo")
        .await
        .unwrap();
    assert!(none.user.is_none());
    assert!(none.groups.iter().all(|(_, m)| !m));
    assert!(matches!(
        c.fetch_user(&request(vec![]), "login eq", "x").await,
        Err(ConnectorError::Configuration(_))
    ));

    let picks = c.search_groups("all st", 10).await.unwrap();
    assert_eq!(picks[0].name, "All Staff");
    assert_eq!(
        picks[0].member_count,
        Some(expected_members(&run, "All Staff").len() as u64)
    );
    let few = c.search_groups("", 3).await.unwrap();
    assert_eq!(few.len(), 3);
    assert!(c.search_groups("zzzz-none", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_group_name_is_resolved_exactly_across_pages() {
    let run = start(60, None).await;
    let (staff, mut twins, obrien, quoted) = {
        let mut d = run.state.write();
        for i in 1..=120 {
            d.create_team(&format!("Staff {i}"), "A look-alike");
        }
        let staff = group_id(&d.create_team("Staff", "Everyone on the staff"));
        let twins = vec![
            group_id(&d.create_team("Twins", "")),
            group_id(&d.create_team("TWINS", "")),
        ];
        let obrien = group_id(&d.create_team("O'Brien Team", ""));
        let quoted = group_id(&d.create_team(r#"The "Quoted" Crew"#, ""));
        (staff, twins, obrien, quoted)
    };
    // Okta may page shorter than asked: ten groups a page.
    run.state.knobs.page_cap.store(10, Ordering::SeqCst);
    let (c, _) = connector(&run, minted(&run));
    let found = c.groups_named("Staff").await.unwrap();
    let ids: Vec<&str> = found.iter().map(|g| g.external_id.as_str()).collect();
    assert_eq!(
        ids,
        vec![staff.as_str()],
        "only the exact name, not its 120 look-alikes"
    );
    assert_eq!(found[0].name, "Staff");
    assert_eq!(found[0].member_count, Some(0), "stats come along");
    assert_eq!(c.api_calls(), 1);
    assert_eq!(
        c.groups_named("O'Brien Team").await.unwrap()[0].external_id,
        obrien
    );
    let found = c.groups_named(r#"the "quoted" crew"#).await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "double quotes are escaped in the search expression"
    );
    assert_eq!(found[0].external_id, quoted);

    // One group a page: the second twin is on the second page.
    run.state.knobs.page_cap.store(1, Ordering::SeqCst);
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

    // The picker pages through a prefix search, in name order, until its limit.
    run.state.knobs.page_cap.store(10, Ordering::SeqCst);
    let picks = c.search_groups("staff", 50).await.unwrap();
    assert_eq!(picks.len(), 50, "five pages of ten");
    assert!(picks
        .iter()
        .all(|g| g.name.to_lowercase().starts_with("staff")));
    assert_eq!(picks[0].name, "Staff", "the shortest name sorts first");
    let names: Vec<String> = picks.iter().map(|g| g.name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "in name order across pages");
    let distinct: HashSet<&str> = picks.iter().map(|g| g.external_id.as_str()).collect();
    assert_eq!(distinct.len(), 50, "no group twice");
}

#[tokio::test]
async fn users_without_a_display_name_arrive_with_first_and_last_name() {
    let run = start(400, None).await;
    let (c, _) = connector(&run, minted(&run));
    let b = c
        .fetch(&request(vec![team(&run, "All Staff")]))
        .await
        .unwrap();
    let d = run.state.read();
    let mut without = 0;
    for u in &b.users {
        let p = d
            .people()
            .find(|p| user_id(&p.id) == *u.external_id)
            .unwrap();
        if roster_emulator::okta::has_display_name(p) {
            assert_eq!(u.first("displayName"), Some(p.display_name().as_str()));
            continue;
        }
        without += 1;
        assert_eq!(
            u.first("displayName"),
            None,
            "no displayName in the profile"
        );
        assert_eq!(u.first("firstName"), Some(p.given.as_str()));
        assert_eq!(u.first("lastName"), Some(p.family.as_str()));
        assert_eq!(
            u.locator.as_deref(),
            Some(roster_emulator::okta::login(p, &d.domain).as_str())
        );
    }
    assert!(
        without > 0 && without < b.users.len() / 4,
        "some, not most, have no display name: {without} of {}",
        b.users.len()
    );
}
