//! The run pipeline with connectors that fail: a failed run changes nothing and records why.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use async_trait::async_trait;
use roster_core::clock::ManualClock;
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, GroupSummary, SourceBatch, SourceLookup,
};
use roster_core::{DirectoryKey, Timestamp};
use roster_demo::DemoConnector;
use roster_engine::{run_sync, Mode, NoEvents, Outcome, RunRequest};
use roster_store::{DirectoryRecord, Store, Trigger};

/// Fails the way a directory server stopped mid-sync does.
struct Stopped;

#[async_trait]
impl Connector for Stopped {
    async fn fetch(&self, _: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        Err(ConnectorError::Unreachable("The connection to 127.0.0.1:3389 was closed during the search. Check that the server is running.".into()))
    }
    async fn fetch_user(
        &self,
        _: &FetchRequest,
        _: &str,
        _: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        Err(ConnectorError::Unauthorized(
            "Invalid credentials. Check the bind account and password.".into(),
        ))
    }
    async fn search_groups(&self, _: &str, _: usize) -> Result<Vec<GroupSummary>, ConnectorError> {
        Ok(Vec::new())
    }
}

async fn run(
    store: &Store,
    key: &DirectoryKey,
    c: &dyn Connector,
    mode: Mode,
) -> roster_engine::RunReport {
    let d = store.directory(key.as_str()).unwrap();
    let clock = ManualClock::new(Timestamp(1_800_000_600));
    let req = RunRequest {
        tenant: "t",
        directory: &d,
        trigger: Trigger::Manual,
        mode,
        retention_days: 7,
        next_connection_state: None,
        incremental: None,
    };
    run_sync(store, c, req, &clock, &NoEvents).await.unwrap()
}

#[tokio::test]
async fn a_failed_run_changes_nothing_and_the_next_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let (store, key) = common::demo_sync(dir.path(), 5, 10);
    let ok = run(
        &store,
        &key,
        &DemoConnector::new(7, 50, 0),
        Mode::Full { approve: false },
    )
    .await;
    assert_eq!(ok.outcome, Outcome::Succeeded);
    let before = store
        .users_page("", false, roster_store::PageAt::Offset(0), 1000)
        .unwrap();
    let revision = store.directory(key.as_str()).unwrap().revision;

    let failed = run(&store, &key, &Stopped, Mode::Full { approve: false }).await;
    assert_eq!(failed.outcome, Outcome::Failed);
    assert!(
        failed.transient,
        "an unreachable server may come back: the scheduler retries"
    );
    assert!(
        failed.message.contains("nothing was changed")
            && failed.message.contains("server is running"),
        "{}",
        failed.message
    );
    assert_eq!(
        store
            .users_page("", false, roster_store::PageAt::Offset(0), 1000)
            .unwrap(),
        before,
        "a failed run changes no user"
    );
    let d = store.directory(key.as_str()).unwrap();
    assert_eq!(
        (d.revision, d.status.as_str()),
        (revision, "failed"),
        "nor the directory, except its status"
    );
    let rec = store.run(failed.run_id.unwrap()).unwrap();
    let (changes, _) = store.run_changes(failed.run_id.unwrap(), 0, 100).unwrap();
    assert_eq!(rec.outcome, "failed");
    assert_eq!(
        rec.message.as_deref(),
        Some(failed.message.as_str()),
        "the run record says why"
    );
    assert!(changes.is_empty());

    let denied = run(&store, &key, &Stopped, Mode::Individual("someone".into())).await;
    assert!(
        !denied.transient,
        "wrong credentials will not fix themselves: no retry storm"
    );

    let again = run(
        &store,
        &key,
        &DemoConnector::new(7, 50, 1),
        Mode::Full { approve: false },
    )
    .await;
    assert_eq!(
        again.outcome,
        Outcome::Succeeded,
        "the next run after a failure succeeds: {}",
        again.message
    );
}

/// The demo directory, held at the door until `open` fires: a run that reads slowly.
struct Gated {
    inner: DemoConnector,
    open: tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
}

#[async_trait]
impl Connector for Gated {
    async fn fetch(&self, r: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        if let Some(rx) = self.open.lock().await.take() {
            let _ = rx.await;
        }
        self.inner.fetch(r).await
    }
    async fn fetch_user(
        &self,
        r: &FetchRequest,
        a: &str,
        u: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        self.inner.fetch_user(r, a, u).await
    }
    async fn search_groups(&self, q: &str, l: usize) -> Result<Vec<GroupSummary>, ConnectorError> {
        self.inner.search_groups(q, l).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_planned_while_another_applied_plans_again_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, first) = common::demo_sync(dir.path(), 5, 10);
    // A second sync of the same directory selecting the same groups: both create the same groups
    // (unique names) and find the same users.
    let second = DirectoryKey::from_random([6; 16]);
    let d1 = store.directory(first.as_str()).unwrap();
    store
        .insert_directory(
            &DirectoryRecord {
                key: second.clone(),
                name: "Staff again".into(),
                ..d1
            },
            None,
        )
        .unwrap();
    let (go, gate) = tokio::sync::oneshot::channel();
    let slow = Gated {
        inner: DemoConnector::new(7, 60, 0),
        open: tokio::sync::Mutex::new(Some(gate)),
    };
    let d2 = store.directory(second.as_str()).unwrap();
    let clock = ManualClock::new(Timestamp(1_800_000_600));
    let store = std::sync::Arc::new(store);
    let running = {
        let store = store.clone();
        tokio::spawn(async move {
            let req = RunRequest {
                tenant: "t",
                directory: &d2,
                trigger: Trigger::Manual,
                mode: Mode::Full { approve: false },
                retention_days: 7,
                next_connection_state: None,
                incremental: None,
            };
            run_sync(&store, &slow, req, &clock, &NoEvents)
                .await
                .unwrap()
        })
    };
    // The second run has started (its snapshot of the empty tenant is being read) while the first one
    // runs to the end and writes the groups and users.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let done = run(
        &store,
        &first,
        &DemoConnector::new(7, 60, 0),
        Mode::Full { approve: false },
    )
    .await;
    assert_eq!(done.outcome, Outcome::Succeeded, "{}", done.message);
    let _ = go.send(());
    let late = running.await.unwrap();
    assert_eq!(
        late.outcome,
        Outcome::Succeeded,
        "the second run plans again on what the first wrote, and does not fail on it: {}",
        late.message
    );
    assert!(
        late.counts.created == 0 && late.counts.conflicts > 0,
        "planned again, it leaves what the first sync (which comes first) already manages: {:?}",
        late.counts
    );
    let rec = store.run(late.run_id.unwrap()).unwrap();
    assert_eq!(rec.outcome, "succeeded");
}
