//! An individual sync plans from a snapshot of only the rows its one person can touch: the plan must be
//! the one the whole snapshot of the sync gives, whatever changed in the directory (renames, departures,
//! newcomers, names asked for that no one has).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use roster_core::clock::ManualClock;
use roster_core::plan::{plan, Scope};
use roster_core::source::{Connector, FetchRequest};
use roster_core::Timestamp;
use roster_demo::DemoConnector;
use roster_engine::{run_sync, settings, Mode, NoEvents, RunRequest};
use roster_store::{Candidates, One, Trigger};

#[tokio::test]
async fn one_persons_snapshot_plans_as_the_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let (store, key) = common::demo_sync(dir.path(), 7, 100);
    let d = store.directory(key.as_str()).unwrap();
    let clock = ManualClock::new(Timestamp(1_800_000_600));
    let req = RunRequest {
        tenant: "t",
        directory: &d,
        trigger: Trigger::Manual,
        mode: Mode::Full { approve: true },
        retention_days: 7,
        next_connection_state: None,
        incremental: None,
    };
    let before = DemoConnector::new(11, 400, 0);
    run_sync(&store, &before, req, &clock, &NoEvents)
        .await
        .unwrap();
    // A later state of the directory: people renamed, gone, new, moved between groups.
    let after = DemoConnector::new(11, 400, 3);
    let d = store.directory(key.as_str()).unwrap();
    let all = store.directories().unwrap();
    let s = settings(&d, 7, &all);
    let fetch = FetchRequest {
        since: None,
        groups: d.groups.clone(),
        attributes: vec!["uid".into(), "mail".into(), "displayName".into()],
    };
    let attr = &d.attributes.username;
    let mut asked: Vec<String> = Vec::new();
    for c in [&before, &after] {
        for u in c.fetch(&fetch).await.unwrap().users {
            asked.extend(u.first(attr).map(str::to_string));
        }
    }
    asked.extend(["no-such-person".to_string(), "ALICE".to_string()]);
    asked.sort();
    asked.dedup();
    let (mut changed, mut compared) = (0, 0);
    for name in &asked {
        let lookup = after.fetch_user(&fetch, attr, name).await.unwrap();
        let candidates = Candidates {
            usernames: lookup
                .user
                .iter()
                .filter_map(|u| u.first(attr).map(|v| v.trim().to_string()))
                .collect(),
            emails: Vec::new(),
        };
        let (whole, _) = store.snapshot(&key, &candidates).unwrap();
        let one = One {
            asked: name,
            external_id: lookup.user.as_ref().map(|u| &*u.external_id),
            candidates: &candidates,
        };
        let (part, _) = store.snapshot_of_one(&key, &one).unwrap();
        assert!(
            part.users.len() <= 2,
            "{name}: {} users read",
            part.users.len()
        );
        let scope = Scope::Individual {
            key: name,
            lookup: &lookup,
        };
        let now = Timestamp(1_800_000_900);
        let expected = plan(&s, &whole, &scope, now);
        assert_eq!(plan(&s, &part, &scope, now), expected, "{name}'s plan");
        compared += 1;
        if !expected.is_empty() {
            changed += 1;
        }
    }
    assert!(compared > 400, "{compared} people compared");
    assert!(
        changed > 10,
        "the later directory changes some people ({changed} plans)"
    );
}
