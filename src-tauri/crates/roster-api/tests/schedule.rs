//! Scheduled syncs of every tenant: they run whichever tenant the window shows, several tenants' at once up
//! to [`MAX_CONCURRENT_RUNS`], and a deleted tenant's stop.
//!
//! Concurrency is observed through progress events, not timed: a run waits at its first event until
//! another run has started (which can only happen if both run at once), with a generous timeout that fails
//! the test. The deleted tenant's case runs on paused Tokio time, so thirty minutes pass at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::{
    spec, Caller, Event, EventSink, ManualClock, MemorySecrets, Options, Roster,
    MAX_CONCURRENT_RUNS,
};
use roster_core::Timestamp;
use roster_engine::phase::Phase;
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long anything may take before the test gives up: far beyond what a run of twenty demo users needs.
const GENEROUS: Duration = Duration::from_secs(60);

fn roster(dir: &std::path::Path, events: Arc<dyn EventSink>) -> Arc<Roster> {
    Arc::new(
        Roster::new(Options {
            data_dir: dir.to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock: Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
            events,
        })
        .unwrap(),
    )
}

/// Creates a tenant with one demo user sync; `first_run` as in a spec (`now` is due at once).
fn tenant_with_sync(r: &Roster, name: &str, first_run: &str) -> String {
    let t = r.create_tenant(name, None).unwrap();
    let s = r.session(&t.id, &Caller::Local).unwrap();
    let spec = spec::parse(&format!(
        r#"{{"name": "Staff", "type": "user", "first_run": "{first_run}", "interval_minutes": 5,
            "connection": {{"kind": "demo", "seed": 7, "users": 20}}}}"#
    ))
    .unwrap();
    s.add_directory(spec).unwrap();
    t.id
}

/// The tenant's finished runs.
fn runs_of(r: &Roster, tenant: &str) -> usize {
    r.session(tenant, &Caller::Local)
        .unwrap()
        .list_runs(None, 1000)
        .unwrap()
        .iter()
        .filter(|run| run.finished_at.is_some())
        .count()
}

/// The tenant's runs, finished or not.
fn all_runs_of(r: &Roster, tenant: &str) -> usize {
    r.session(tenant, &Caller::Local)
        .unwrap()
        .list_runs(None, 1000)
        .unwrap()
        .len()
}

#[derive(Default)]
struct Seen {
    /// Runs in progress, by (tenant, directory key): from their first event to their last.
    in_flight: BTreeSet<(String, String)>,
    /// The most runs in progress at once, and which tenants they were from.
    most: usize,
    together: Vec<BTreeSet<String>>,
    started: HashSet<String>,
    finished: usize,
    /// What went wrong inside the sink (a panic there would only stop a scheduler task).
    failures: Vec<String>,
}

/// An event sink that holds each run at its first event until `together` runs are in progress at once
/// (or one has finished), then for up to `grace` more unless more than `together` start: a scheduler that
/// ran more at once than it may gets the chance to show it.
struct Rendezvous {
    together: usize,
    grace: Duration,
    seen: Mutex<Seen>,
    changed: Condvar,
}

impl Rendezvous {
    fn new(together: usize, grace: Duration) -> Arc<Self> {
        Arc::new(Rendezvous {
            together,
            grace,
            seen: Mutex::new(Seen::default()),
            changed: Condvar::new(),
        })
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }

    fn failed(&self) -> bool {
        !self.seen().failures.is_empty()
    }
}

impl EventSink for Rendezvous {
    fn emit(&self, event: Event) {
        // Waiting here blocks a runtime worker: hand its other tasks to another worker first, or a task
        // queued behind this one (another run) could not start, and the wait would never end.
        tokio::task::block_in_place(|| self.note(event));
    }
}

impl Rendezvous {
    fn note(&self, event: Event) {
        let Event::Progress(p) = event;
        let run = (p.tenant.clone(), p.directory_key.clone());
        let mut seen = self.seen();
        match p.phase {
            Phase::Done | Phase::Held | Phase::Failed => {
                seen.in_flight.remove(&run);
                seen.finished += 1;
                self.changed.notify_all();
            }
            Phase::Fetching | Phase::Planning | Phase::Applying => {
                if !seen.in_flight.insert(run.clone()) {
                    return; // not this run's first event
                }
                seen.started.insert(p.tenant.clone());
                if seen.in_flight.len() > seen.most {
                    seen.most = seen.in_flight.len();
                }
                if seen.in_flight.len() >= 2 {
                    let tenants = seen.in_flight.iter().map(|(t, _)| t.clone()).collect();
                    seen.together.push(tenants);
                }
                self.changed.notify_all();
                let (mut seen, waited) = self
                    .changed
                    .wait_timeout_while(seen, GENEROUS, |s| {
                        s.in_flight.len() < self.together && s.finished == 0
                    })
                    .unwrap();
                if waited.timed_out() {
                    let started = seen.in_flight.len();
                    seen.failures.push(format!(
                        "the run of {} waited {GENEROUS:?} for {} runs at once; only {started} started",
                        run.0, self.together
                    ));
                    return;
                }
                let together = self.together;
                let _ = self
                    .changed
                    .wait_timeout_while(seen, self.grace, |s| s.in_flight.len() <= together)
                    .unwrap();
            }
        }
    }
}

/// Waits until `done` holds, looking every `step` and failing after `limit` (both on the runtime's clock,
/// which is paused in the last test).
async fn until_within(limit: Duration, step: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting {limit:?}: {what}"
        );
        tokio::time::sleep(step).await;
    }
}

/// Waits until `done` holds, failing after twice [`GENEROUS`] (the sink's own waits fail first, saying
/// why).
async fn until(what: &str, done: impl FnMut() -> bool) {
    until_within(2 * GENEROUS, Duration::from_millis(20), what, done).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tenants_syncs_run_at_once_whichever_tenant_the_window_shows() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Rendezvous::new(2, Duration::ZERO);
    let r = roster(dir.path(), sink.clone());
    let alpha = tenant_with_sync(&r, "Alpha", "now");
    let beta = tenant_with_sync(&r, "Beta", "now");
    // The tenant the window shows has a sync too, which waits for its first run by the admin.
    let shown = tenant_with_sync(&r, "Gamma", "manual");
    r.remember_tenant(&shown).unwrap();

    r.start_scheduler().unwrap();
    until("both due syncs ran", || {
        sink.failed() || (runs_of(&r, &alpha) >= 1 && runs_of(&r, &beta) >= 1)
    })
    .await;
    r.stop_scheduler().await;

    let seen = sink.seen();
    assert!(seen.failures.is_empty(), "{:?}", seen.failures);
    let both: BTreeSet<String> = [alpha.clone(), beta.clone()].into();
    assert!(
        seen.together.contains(&both),
        "Alpha's and Beta's scheduled runs were in progress at the same time: {:?}",
        seen.together
    );
    assert!(
        !seen.started.contains(&shown),
        "the shown tenant's waiting sync did not run"
    );
    assert_eq!(runs_of(&r, &shown), 0, "and has no runs");
    let current = r.list_tenants().unwrap();
    assert!(
        current.iter().any(|t| t.id == shown && t.current),
        "Gamma is still the tenant the window shows: {current:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_more_than_the_cap_run_at_once_across_tenants() {
    assert_eq!(
        MAX_CONCURRENT_RUNS, 2,
        "this test is written for a cap of 2"
    );
    let dir = tempfile::tempdir().unwrap();
    let sink = Rendezvous::new(MAX_CONCURRENT_RUNS, Duration::from_millis(300));
    let r = roster(dir.path(), sink.clone());
    let tenants: Vec<String> = ["One", "Two", "Three"]
        .into_iter()
        .map(|n| tenant_with_sync(&r, n, "now"))
        .collect();

    r.start_scheduler().unwrap();
    until("the three due syncs ran", || {
        sink.failed() || tenants.iter().all(|t| runs_of(&r, t) >= 1)
    })
    .await;
    r.stop_scheduler().await;

    let seen = sink.seen();
    assert!(seen.failures.is_empty(), "{:?}", seen.failures);
    assert_eq!(
        seen.most, MAX_CONCURRENT_RUNS,
        "three tenants were due at once: as many ran together as the cap allows, and no more ({:?})",
        seen.together
    );
    assert_eq!(seen.started.len(), 3, "every tenant's sync ran");
}

/// Deleting a tenant stops its scheduled syncs: a tenant imported again under the same name (same file,
/// same sync key) is not run by the deleted one's schedule, while another tenant's keeps running.
#[tokio::test(start_paused = true)]
async fn deleting_a_tenant_stops_its_scheduled_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), Arc::new(roster_api::NoEvents));
    let doomed = tenant_with_sync(&r, "Doomed", "now");
    let control = tenant_with_sync(&r, "Control", "now");
    r.start_scheduler().unwrap();
    until("both due syncs ran once", || {
        runs_of(&r, &doomed) == 1 && runs_of(&r, &control) == 1
    })
    .await;

    let s = r.session(&doomed, &Caller::Local).unwrap();
    let export = s.export_tenant().unwrap();
    s.delete_tenant().unwrap();
    let again = r.import_tenant("Doomed", &export).unwrap();
    assert_eq!(again.id, doomed, "the same file again, with the same sync");

    // Three more intervals (5 minutes each) of the other tenant's sync pass on the paused clock. (A run
    // does part of its work on a thread of its own, which paused time does not wait for: the test waits
    // for the runs, not for the clock.)
    until_within(
        Duration::from_secs(30 * 60),
        Duration::from_secs(1),
        "the other tenant's sync ran three more times",
        || runs_of(&r, &control) >= 4,
    )
    .await;
    r.stop_scheduler().await;
    assert_eq!(
        all_runs_of(&r, &doomed),
        0,
        "the deleted tenant's schedule did not run the sync imported under its name"
    );
}
