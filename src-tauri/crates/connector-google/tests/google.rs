#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Google connector against the Google emulator over loopback HTTP: paging, throttling, refusals,
//! token expiry and revocation, broken answers, account states and nested groups.

use async_trait::async_trait;
use roster_cloud::{Bearer, RecordedPause, StaticBearer};
use roster_connector_google::{GoogleConnector, Settings};
use roster_core::source::{Connector, ConnectorError, FetchRequest, SourceBatch};
use roster_emulator::directory::{Member, PersonState};
use roster_emulator::google::{group_id, user_id, READ_SCOPES, SCOPE_USER_READONLY};
use roster_emulator::tokens::Grant;
use roster_emulator::{serve, Options, Running, State, Vendor};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn emulator(users: usize, groups: Option<usize>) -> Running {
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

fn settings(r: &Running) -> Settings {
    let mut s = Settings::new(r.state.options.client_id.clone());
    s.api_url = r.url.clone();
    s.authorize_url = format!("{}/o/oauth2/v2/auth", r.url);
    s.token_url = format!("{}/token", r.url);
    s
}

fn admin(r: &Running) -> String {
    r.state.read().admin().unwrap().id.clone()
}

fn minted(r: &Running, scopes: &[&str]) -> Arc<dyn Bearer> {
    let t = r
        .state
        .tokens
        .mint(&r.state.options.client_id, &admin(r), scopes);
    Arc::new(StaticBearer(t))
}

fn connector(r: &Running, bearer: Arc<dyn Bearer>) -> (GoogleConnector, Arc<RecordedPause>) {
    let pause = Arc::new(RecordedPause::default());
    let c = GoogleConnector::new(settings(r), bearer, pause.clone()).unwrap();
    (c, pause)
}

fn request(groups: Vec<String>) -> FetchRequest {
    FetchRequest {
        groups,
        attributes: vec!["primaryEmail".into()],
        since: None,
    }
}

/// The Google id of a team found by name.
fn team(r: &Running, name: &str) -> (String, String) {
    let d = r.state.read();
    let t = d.team_by_name(name).unwrap();
    (t.id.clone(), group_id(&t.id))
}

/// Makes a project group hold exactly these people, directly.
fn project_with(r: &Running, people: &[String]) -> String {
    let mut d = r.state.write();
    let id = d
        .teams()
        .find(|t| t.name.starts_with("Project"))
        .unwrap()
        .id
        .clone();
    for m in d.team(&id).unwrap().members.clone() {
        d.remove_member(&id, &m);
    }
    for p in people {
        d.add_member(&id, Member::Person(p.clone()));
    }
    group_id(&id)
}

fn everyone(r: &Running) -> Vec<String> {
    r.state.read().people().map(|p| p.id.clone()).collect()
}

fn ids(batch: &SourceBatch) -> Vec<String> {
    batch
        .users
        .iter()
        .map(|u| u.external_id.to_string())
        .collect()
}

/// A bearer that refreshes as the real one does: through the emulator's refresh tokens, which stop
/// working when consent is revoked.
struct Refreshing {
    state: Arc<State>,
    tokens: Mutex<(String, String)>,
    refreshes: AtomicU64,
}

impl Refreshing {
    fn new(r: &Running) -> Arc<Refreshing> {
        let issued = r.state.tokens.issue(Grant {
            client_id: r.state.options.client_id.clone(),
            subject: admin(r),
            scopes: READ_SCOPES.iter().map(|s| s.to_string()).collect(),
        });
        Arc::new(Refreshing {
            state: r.state.clone(),
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
        match self
            .state
            .tokens
            .refresh(&t.1, &self.state.options.client_id)
        {
            Ok(issued) => {
                *t = (issued.access_token.clone(), issued.refresh_token);
                Ok(issued.access_token)
            }
            Err(_) => Err(ConnectorError::Unauthorized(
                "Google Workspace withdrew this connection's consent. Reauthorize the connection."
                    .into(),
            )),
        }
    }
}

#[tokio::test]
async fn users_page_at_500_and_501() {
    // Members: ceil(n / 200) pages; users: one list page, plus one users.get for the 501st.
    for (n, calls) in [(500usize, 1 + 3 + 1), (501, 1 + 3 + 2)] {
        let r = emulator(n, Some(30)).await;
        let group = project_with(&r, &everyone(&r));
        let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
        let batch = c.fetch(&request(vec![group.clone()])).await.unwrap();
        assert_eq!(batch.users.len(), n, "every member read");
        let unique: HashSet<String> = ids(&batch).into_iter().collect();
        assert_eq!(unique.len(), n, "no user twice");
        assert_eq!(batch.groups.len(), 1);
        assert_eq!(batch.groups[0].members.len(), n);
        assert_eq!(batch.groups[0].external_id, group);
        assert!(
            !batch.incremental && batch.cursor.is_none(),
            "full fetches only"
        );
        assert_eq!(c.api_calls(), calls, "{n} users");
        assert_eq!(r.state.knobs.calls.load(Ordering::SeqCst), calls);
    }
}

#[tokio::test]
async fn members_page_at_200_and_201() {
    for (n, member_pages) in [(200usize, 1u64), (201, 2)] {
        let r = emulator(400, Some(30)).await;
        let people: Vec<String> = everyone(&r).into_iter().take(n).collect();
        let group = project_with(&r, &people);
        let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
        let batch = c.fetch(&request(vec![group])).await.unwrap();
        let expected: HashSet<String> = people.iter().map(|p| user_id(p)).collect();
        let got: HashSet<String> = batch.groups[0]
            .members
            .iter()
            .map(|m| m.to_string())
            .collect();
        assert_eq!(got, expected, "{n} members");
        assert_eq!(batch.users.len(), n);
        // groups.get, the member pages, and one users.list page of 500 (400 people).
        assert_eq!(c.api_calls(), 1 + member_pages + 1, "{n} members");
    }
}

#[tokio::test]
async fn a_throttling_storm_completes_with_jittered_growing_waits_and_no_duplicates() {
    let r = emulator(1_200, Some(40)).await;
    let groups: Vec<String> = {
        let d = r.state.read();
        d.teams().take(12).map(|t| group_id(&t.id)).collect()
    };
    let (calm, calm_pause) = connector(&r, minted(&r, &READ_SCOPES));
    let baseline = calm.fetch(&request(groups.clone())).await.unwrap();
    assert!(calm_pause.waits().is_empty());
    assert!(baseline.users.len() > 100);

    // Eight throttles in a row on the first call, then every fifth call.
    r.state.knobs.throttle_next.store(8, Ordering::SeqCst);
    r.state.knobs.throttle_every.store(5, Ordering::SeqCst);
    let (stormy, pause) = connector(&r, minted(&r, &READ_SCOPES));
    let got = stormy.fetch(&request(groups)).await.unwrap();
    r.state.knobs.throttle_every.store(0, Ordering::SeqCst);
    assert_eq!(got, baseline, "the same batch: nothing lost, nothing twice");
    let unique: HashSet<String> = ids(&got).into_iter().collect();
    assert_eq!(unique.len(), got.users.len());

    let waits = pause.waits();
    assert!(
        waits.len() > 8,
        "the storm and the periodic throttles were waited out"
    );
    assert_eq!(
        stormy.api_calls(),
        calm.api_calls() + waits.len() as u64,
        "each throttled call was retried once per wait"
    );
    let storm = &waits[..8];
    for (i, w) in storm.iter().enumerate() {
        let ceiling = Duration::from_millis(500 * (1u64 << (i + 1))).min(Duration::from_secs(120));
        assert!(
            *w >= Duration::from_millis(50) && *w <= ceiling,
            "wait {i} = {w:?} within its ceiling {ceiling:?}"
        );
    }
    let distinct: HashSet<Duration> = storm.iter().copied().collect();
    assert!(distinct.len() >= 7, "jittered, not fixed: {storm:?}");
    let early = storm[..2].iter().max().unwrap();
    let late = storm[4..].iter().max().unwrap();
    assert!(late > early, "waits grow: {storm:?}");
}

#[tokio::test]
async fn a_refusal_that_is_not_throttling_fails_at_once_naming_the_permission() {
    let r = emulator(200, None).await;
    let (all_staff, all_staff_google) = team(&r, "All Staff");
    let _ = all_staff;
    let (c, pause) = connector(&r, minted(&r, &[SCOPE_USER_READONLY]));
    let err = c
        .fetch(&request(vec![all_staff_google.clone()]))
        .await
        .unwrap_err();
    let ConnectorError::Unauthorized(msg) = &err else {
        panic!("expected Unauthorized, got {err:?}");
    };
    assert!(
        msg.contains("admin.directory.group.readonly") && msg.contains("Reauthorize"),
        "{msg}"
    );
    assert!(pause.waits().is_empty(), "a refusal is not retried");
    assert_eq!(c.api_calls(), 1);

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
    let (c, _) = connector(&r, Arc::new(StaticBearer(t)));
    let err = c.fetch(&request(vec![all_staff_google])).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Unauthorized(m) if m.contains("administrator")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_access_token_expiring_mid_sync_is_refreshed_once() {
    let r = emulator(600, Some(40)).await;
    let (_, all_staff) = team(&r, "All Staff");
    let (calm, _) = connector(&r, minted(&r, &READ_SCOPES));
    let baseline = calm.fetch(&request(vec![all_staff.clone()])).await.unwrap();

    let bearer = Refreshing::new(&r);
    let (c, _) = connector(&r, bearer.clone());
    r.state.knobs.expire_tokens_after.store(3, Ordering::SeqCst);
    let got = c.fetch(&request(vec![all_staff])).await.unwrap();
    assert_eq!(got, baseline);
    assert_eq!(bearer.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        c.api_calls(),
        calm.api_calls() + 1,
        "one 401, then the same call again"
    );
}

#[tokio::test]
async fn revoked_consent_needs_reauthorization() {
    let r = emulator(100, None).await;
    let (_, all_staff) = team(&r, "All Staff");
    let bearer = Refreshing::new(&r);
    let (c, _) = connector(&r, bearer.clone());
    r.state.tokens.revoke_all();
    let err = c.fetch(&request(vec![all_staff])).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Unauthorized(m) if m.contains("Reauthorize")),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(
        bearer.refreshes.load(Ordering::SeqCst),
        1,
        "one refresh attempt, no loop"
    );
}

#[tokio::test]
async fn a_truncated_answer_is_a_protocol_error() {
    let r = emulator(300, Some(30)).await;
    let (_, all_staff) = team(&r, "All Staff");
    let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
    r.state.knobs.truncate_next.store(1, Ordering::SeqCst);
    let err = c.fetch(&request(vec![all_staff])).await.unwrap_err();
    let ConnectorError::Protocol(msg) = &err else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(
        msg.contains("cut short") && msg.contains("Nothing was changed"),
        "{msg}"
    );
}

#[tokio::test]
async fn suspended_archived_deleted_and_restored_users() {
    let r = emulator(300, Some(30)).await;
    let people: Vec<String> = {
        let d = r.state.read();
        let live: Vec<String> = d
            .people()
            .filter(|p| !d.is_archived(&p.id) && p.state == PersonState::Active)
            .take(60)
            .map(|p| p.id.clone())
            .collect();
        live
    };
    let group = project_with(&r, &people);
    let gid = {
        let d = r.state.read();
        let id = d
            .teams()
            .find(|t| group_id(&t.id) == group)
            .unwrap()
            .id
            .clone();
        id
    };
    let [suspended, archived, deleted, unsuspended, returned] =
        [0, 1, 2, 3, 4].map(|i| people[i].clone());
    {
        let mut d = r.state.write();
        d.suspend(&suspended);
        d.archive(&archived);
        d.delete(&deleted);
        d.suspend(&unsuspended);
        d.restore(&unsuspended);
        d.delete(&returned);
        d.restore(&returned);
        d.add_member(&gid, Member::Person(returned.clone()));
    }
    let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
    let batch = c.fetch(&request(vec![group])).await.unwrap();
    let user = |p: &str| {
        batch
            .users
            .iter()
            .find(|u| &*u.external_id == user_id(p).as_str())
    };
    assert!(user(&suspended).unwrap().disabled, "suspended -> disabled");
    assert!(user(&archived).unwrap().disabled, "archived -> disabled");
    assert!(user(&deleted).is_none(), "deleted users are gone");
    assert!(!batch.groups[0]
        .members
        .iter()
        .any(|m| &**m == user_id(&deleted).as_str()));
    assert!(!user(&unsuspended).unwrap().disabled, "restored -> enabled");
    assert!(
        !user(&returned).unwrap().disabled,
        "a restored, re-added user is back"
    );
    assert_eq!(batch.users.len(), 59);
    assert_eq!(batch.users.iter().filter(|u| u.disabled).count(), 2);
    let someone = user(&people[10]).unwrap();
    let d = r.state.read();
    let p = d.person(&people[10]).unwrap();
    assert_eq!(
        someone.first("primaryEmail"),
        Some(format!("{}@northwind.demo", p.username).as_str())
    );
    assert_eq!(
        someone.locator.as_deref(),
        someone.first("primaryEmail"),
        "reports name a user by their primary email"
    );
    assert_eq!(
        someone.first("name.fullName"),
        Some(p.display_name().as_str())
    );
    assert_eq!(
        someone.first("organizations.department"),
        Some(p.department.as_str())
    );
    assert_eq!(
        someone.first("externalIds.organization"),
        Some(p.employee_id.as_str())
    );
    assert_eq!(someone.first("phones"), Some(p.phone.as_str()));
}

#[tokio::test]
async fn nested_groups_come_through_derived_membership_even_with_a_cycle() {
    let r = emulator(400, Some(40)).await;
    let (all_id, all_staff) = team(&r, "All Staff");
    let expected: HashSet<String> = r
        .state
        .read()
        .transitive_people(&all_id)
        .iter()
        .map(|p| user_id(&p.id))
        .collect();
    let first = r.state.read().team(&all_id).unwrap().members[0].clone();
    let Member::Team(division) = first else {
        panic!("All Staff nests divisions");
    };
    let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
    let before = c
        .fetch(&request(vec![all_staff.clone(), group_id(&division)]))
        .await
        .unwrap();
    let members: HashSet<String> = before.groups[0]
        .members
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(members, expected, "every person reachable through nesting");
    assert_eq!(before.groups[0].members.len(), expected.len(), "each once");
    assert!(before.groups[1].members.len() < before.groups[0].members.len());
    assert_eq!(
        before.users.len(),
        expected.len(),
        "users shared by both groups are read once"
    );

    // The division now contains All Staff: a cycle.
    assert!(r
        .state
        .write()
        .add_member(&division, Member::Team(all_id.clone())));
    let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
    let after = c
        .fetch(&request(vec![all_staff, group_id(&division)]))
        .await
        .unwrap();
    assert_eq!(
        after.groups[0].members, before.groups[0].members,
        "the cycle changes nothing for All Staff"
    );
    let div: HashSet<String> = after.groups[1]
        .members
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(
        div, expected,
        "the division now reaches everyone in All Staff, once"
    );
}

#[tokio::test]
async fn missing_groups_individual_lookups_and_group_search() {
    let r = emulator(300, Some(80)).await;
    let (all_id, all_staff) = team(&r, "All Staff");
    let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
    let batch = c
        .fetch(&request(vec![all_staff.clone(), "0nosuchgroup123".into()]))
        .await
        .unwrap();
    assert_eq!(batch.missing_groups, vec!["0nosuchgroup123".to_string()]);
    assert_eq!(batch.groups.len(), 1);

    let (member, outsider_group) = {
        let d = r.state.read();
        let p = d.transitive_people(&all_id)[0].clone();
        let other = d
            .teams()
            .find(|t| !d.transitive_people(&t.id).iter().any(|x| x.id == p.id))
            .unwrap()
            .id
            .clone();
        (p, group_id(&other))
    };
    let email = format!("{}@northwind.demo", member.username);
    let lookup = c
        .fetch_user(
            &request(vec![all_staff.clone(), outsider_group.clone()]),
            "primaryEmail",
            &email.to_uppercase(),
        )
        .await
        .unwrap();
    let u = lookup.user.unwrap();
    assert_eq!(&*u.external_id, user_id(&member.id).as_str());
    assert_eq!(lookup.groups.len(), 2);
    assert!(lookup.groups[0].1, "a member of All Staff through nesting");
    assert!(!lookup.groups[1].1);
    let by_employee = c
        .fetch_user(
            &request(vec![all_staff.clone()]),
            "externalIds.organization",
            &member.employee_id,
        )
        .await
        .unwrap();
    assert_eq!(
        by_employee.user.map(|u| u.external_id),
        Some(u.external_id.clone())
    );
    let nobody = c
        .fetch_user(
            &request(vec![all_staff]),
            "primaryEmail",
            "nobody@northwind.demo",
        )
        .await
        .unwrap();
    assert!(nobody.user.is_none() && !nobody.groups[0].1);

    let found = c.search_groups("project", 5).await.unwrap();
    assert_eq!(found.len(), 5);
    assert!(found
        .iter()
        .all(|g| g.name.to_lowercase().contains("project") && g.member_count.is_some()));
    let mut names: Vec<String> = found.iter().map(|g| g.name.to_lowercase()).collect();
    let sorted = {
        let mut s = names.clone();
        s.sort();
        s
    };
    assert_eq!(names, sorted, "in name order");
    names.clear();
    let staff = c.search_groups("staff", 10).await.unwrap();
    assert!(staff
        .iter()
        .any(|g| g.external_id == team(&r, "All Staff").1));
    assert!(c
        .search_groups("no such group anywhere", 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_group_name_is_resolved_exactly_across_pages() {
    let r = emulator(60, None).await;
    let (staff, mut twins, obrien) = {
        let mut d = r.state.write();
        for i in 1..=120 {
            d.create_team(&format!("Staff {i}"), "A look-alike");
        }
        let staff = group_id(&d.create_team("Staff", "Everyone on the staff"));
        let twins = vec![
            group_id(&d.create_team("Twins", "")),
            group_id(&d.create_team("TWINS", "")),
        ];
        let obrien = group_id(&d.create_team("O'Brien Team", ""));
        (staff, twins, obrien)
    };
    // Google may page shorter than asked: ten groups a page.
    r.state.knobs.page_cap.store(10, Ordering::SeqCst);
    let (c, _) = connector(&r, minted(&r, &READ_SCOPES));
    let found = c.groups_named("Staff").await.unwrap();
    let ids: Vec<&str> = found.iter().map(|g| g.external_id.as_str()).collect();
    assert_eq!(
        ids,
        vec![staff.as_str()],
        "only the exact name, not its 120 look-alikes"
    );
    assert_eq!(found[0].member_count, Some(0));
    assert_eq!(
        c.api_calls(),
        1,
        "one page of an exact search, not a listing of every group"
    );
    let found = c.groups_named("O'Brien Team").await.unwrap();
    assert_eq!(found.len(), 1, "the quote is escaped in the search");
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
    r.state.knobs.page_cap.store(10, Ordering::SeqCst);
    assert!(c.groups_named("Staff 999").await.unwrap().is_empty());

    // A group too new for Google's search index is still found, by listing.
    let fresh = {
        let at = r.state.read().seq();
        r.state.knobs.search_index_at.store(at, Ordering::SeqCst);
        group_id(&r.state.write().create_team("Fresh Team", ""))
    };
    let found = c.groups_named("fresh team").await.unwrap();
    assert_eq!(
        found
            .iter()
            .map(|g| g.external_id.as_str())
            .collect::<Vec<_>>(),
        vec![fresh.as_str()]
    );

    let picks = c.search_groups("staff", 50).await.unwrap();
    assert_eq!(picks.len(), 50);
    assert!(picks
        .iter()
        .all(|g| g.name.to_lowercase().contains("staff")));
}
