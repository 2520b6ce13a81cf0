//! One run: fetch -> plan -> (preview | hold | apply), with a run record for everything but previews.

use crate::phase::Phase;
use crate::{Event, EventSink, Progress};
use roster_core::plan::{plan, Plan, Scope};
use roster_core::source::{Connector, FetchRequest};
use roster_core::{
    Change, Clock, Conflict, Counts, EntryError, OtherSync, SyncSettings, SyncType, Timestamp,
};
use roster_store::{ApplyOptions, Candidates, DirectoryRecord, Store, Trigger};

/// What kind of run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Compute the plan and show it; write nothing.
    Preview,
    /// A full sync. With `approve`, a plan over the safety threshold is applied instead of held.
    Full {
        /// Apply even if the plan would be held.
        approve: bool,
    },
    /// One user (user syncs: by username) or admin (admin syncs: by email).
    Individual(String),
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied.
    Succeeded,
    /// Nothing applied; see the message.
    Failed,
    /// Nothing applied; waits for approval.
    Held,
    /// A preview; nothing applied.
    Preview,
}

impl Outcome {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Held => "held",
            Outcome::Preview => "preview",
        }
    }
}

/// How many of a run's changes its report carries; the rest are in the store's change log, which front
/// doors page through (a first sync of a million users changes a million objects).
pub const REPORT_CHANGES: usize = 1000;

/// How many times a run makes its plan again when something else wrote the tenant while it planned.
const REPLANS: u32 = 5;

/// Everything a run reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// Run record id (none for previews).
    pub run_id: Option<i64>,
    /// Directory sync.
    pub directory_key: String,
    /// Trigger (`preview` for previews).
    pub trigger: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Start.
    pub started_at: Timestamp,
    /// End.
    pub finished_at: Timestamp,
    /// Counts.
    pub counts: Counts,
    /// The first [`REPORT_CHANGES`] records of the objects changed (or that would change, for previews
    /// and held runs), in the change log's order.
    pub changes: Vec<Change>,
    /// How many objects changed in all (`changes` may hold only the first of them).
    pub changes_total: u64,
    /// Skipped entries.
    pub errors: Vec<EntryError>,
    /// Users, groups and admins other syncs also find.
    pub conflicts: Vec<Conflict>,
    /// Why it was held.
    pub held_reason: Option<String>,
    /// Summary or failure reason, plain English.
    pub message: String,
    /// Whether retrying later may help (failed runs only).
    pub transient: bool,
}

/// What to run.
pub struct RunRequest<'a> {
    /// The tenant, named in progress events (a window shows only its open tenant's runs).
    pub tenant: &'a str,
    /// The directory sync, as read before the run.
    pub directory: &'a DirectoryRecord,
    /// Trigger.
    pub trigger: Trigger,
    /// Mode.
    pub mode: Mode,
    /// Trash retention in days.
    pub retention_days: u32,
    /// Connector state to store if the run applies a full sync (e.g. the demo's next epoch).
    pub next_connection_state: Option<serde_json::Value>,
    /// A digest of everything that decides what is read (connection settings, groups, mapping). With it,
    /// full runs record a cursor, and scheduled runs fetch incrementally from a cursor made under the same
    /// digest within the last day; manual runs (Sync Now) always read everything.
    pub incremental: Option<String>,
}

/// A full sync is forced at least this often, even when incremental fetches are possible.
pub const FULL_SYNC_EVERY_SECS: i64 = 86_400;

/// The settings the planner needs: a directory record, and the tenant's syncs (for precedence).
pub fn settings(d: &DirectoryRecord, retention_days: u32, all: &[DirectoryRecord]) -> SyncSettings {
    SyncSettings {
        key: d.key.clone(),
        name: d.name.clone(),
        sync_type: d.sync_type,
        attributes: d.attributes.clone(),
        roles: d.roles.clone(),
        deletion_threshold_percent: d.deletion_threshold_percent,
        retention_days,
        others: all
            .iter()
            .filter(|o| o.sync_type == d.sync_type && o.key != d.key)
            .map(|o| {
                (
                    o.key.clone(),
                    OtherSync {
                        name: o.name.clone(),
                        takes_precedence: (o.precedence, &o.key) < (d.precedence, &d.key),
                    },
                )
            })
            .collect(),
    }
}

/// A run's one-line summary ("300 seen; 12 created, 1 moved to the trash.").
pub fn summary(counts: &Counts) -> String {
    let mut parts = Vec::new();
    let mut add = |n: u64, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    add(counts.created, "created");
    add(counts.updated, "updated");
    add(counts.taken_over, "taken over");
    add(counts.disabled, "disabled");
    add(counts.enabled, "re-enabled");
    add(counts.trashed, "moved to the trash");
    add(counts.restored, "restored");
    add(counts.purged, "deleted for good");
    add(
        counts.groups_created + counts.groups_updated + counts.groups_deleted,
        "group changes",
    );
    add(counts.memberships, "memberships of other syncs' users");
    add(counts.skipped, "skipped");
    add(counts.conflicts, "found by other syncs too");
    if parts.is_empty() {
        format!("{} seen; no changes.", counts.seen)
    } else {
        format!("{} seen; {}.", counts.seen, parts.join(", "))
    }
}

struct Emitter<'a> {
    sink: &'a dyn EventSink,
    tenant: String,
    key: String,
    run_id: Option<i64>,
}

impl Emitter<'_> {
    fn emit(&self, phase: Phase, done: u64, total: u64, message: impl Into<String>) {
        self.sink.emit(Event::Progress(Progress {
            tenant: self.tenant.clone(),
            directory_key: self.key.clone(),
            run_id: self.run_id,
            phase,
            done,
            total,
            message: message.into(),
        }));
    }
}

/// Runs one sync. A failed or held run is an `Ok` report with that outcome; `Err` only when the store
/// itself cannot record the run, or another run of the same sync is in progress (in any process).
pub async fn run_sync(
    store: &Store,
    connector: &dyn Connector,
    req: RunRequest<'_>,
    clock: &dyn Clock,
    events: &dyn EventSink,
) -> Result<RunReport, roster_store::StoreError> {
    let d = req.directory;
    let started = clock.now();
    let preview = req.mode == Mode::Preview;
    // Held until the run record is finished: another process sees the run as alive, and cannot start the
    // same sync meanwhile.
    let (run_id, _lease) = if preview {
        (None, None)
    } else {
        let trigger = match req.mode {
            Mode::Individual(_) => Trigger::Individual,
            _ => req.trigger,
        };
        let (id, lease) = store.begin_run(&d.key, trigger, started)?;
        (Some(id), Some(lease))
    };
    let em = Emitter {
        sink: events,
        tenant: req.tenant.to_string(),
        key: d.key.to_string(),
        run_id,
    };
    let mut report = RunReport {
        run_id,
        directory_key: d.key.to_string(),
        trigger: if preview {
            "preview".into()
        } else {
            req.trigger.as_str().into()
        },
        outcome: Outcome::Failed,
        started_at: started,
        finished_at: started,
        counts: Counts::default(),
        changes: Vec::new(),
        changes_total: 0,
        errors: Vec::new(),
        conflicts: Vec::new(),
        held_reason: None,
        message: String::new(),
        transient: false,
    };
    if let Mode::Individual(_) = req.mode {
        report.trigger = Trigger::Individual.as_str().into();
    }

    match execute(store, connector, &req, clock, &em).await {
        Ok(Executed::Preview(p)) => {
            report.outcome = Outcome::Preview;
            report.message = format!("Preview: {} Nothing was changed.", summary(&p.plan.counts));
            fill(&mut report, p);
            em.emit(
                Phase::Done,
                report.changes_total,
                report.changes_total,
                report.message.clone(),
            );
        }
        Ok(Executed::Held(p)) => {
            report.outcome = Outcome::Held;
            report.held_reason = p.plan.hold.clone();
            report.message = p.plan.hold.clone().unwrap_or_default();
            report.finished_at = clock.now();
            if let Some(id) = run_id {
                store.hold_run(
                    id,
                    report.finished_at,
                    &roster_store::HeldRun {
                        reason: &report.message,
                        counts: &p.plan.counts,
                        errors: &p.plan.errors,
                        plan: &p.plan,
                        conflicts: &p.conflicts,
                    },
                )?;
            }
            fill(&mut report, p);
            em.emit(Phase::Held, 0, 0, report.message.clone());
        }
        Ok(Executed::Applied(p)) => {
            report.outcome = Outcome::Succeeded;
            report.message = summary(&p.plan.counts);
            fill(&mut report, p);
            report.finished_at = clock.now();
            em.emit(
                Phase::Done,
                report.changes_total,
                report.changes_total,
                report.message.clone(),
            );
        }
        Err(failure) => {
            report.outcome = Outcome::Failed;
            report.message = failure.message;
            report.transient = failure.transient;
            report.finished_at = clock.now();
            if let Some(id) = run_id {
                store.fail_run(id, report.finished_at, &report.message)?;
            }
            em.emit(Phase::Failed, 0, 0, report.message.clone());
        }
    }
    Ok(report)
}

fn fill(report: &mut RunReport, p: Planned) {
    report.counts = p.plan.counts;
    report.changes_total = p.plan.change_count() as u64;
    report.changes = p.plan.changes_iter().take(REPORT_CHANGES).collect();
    report.errors = p.plan.errors;
    report.conflicts = p.conflicts;
}

/// A plan, and the conflicts its run reports (the plan's own, and what other syncs left to this one).
struct Planned {
    plan: Plan,
    conflicts: Vec<Conflict>,
}

enum Executed {
    Preview(Planned),
    Held(Planned),
    Applied(Planned),
}

struct Failure {
    message: String,
    transient: bool,
}

impl From<roster_store::StoreError> for Failure {
    fn from(e: roster_store::StoreError) -> Self {
        let transient = matches!(
            e,
            roster_store::StoreError::Conflict(_) | roster_store::StoreError::Stale(_)
        );
        Failure {
            message: e.to_string(),
            transient,
        }
    }
}

/// What a run read from the directory, kept while the plan is made (again, if it must be).
enum Read {
    All(roster_core::source::SourceBatch),
    One {
        key: String,
        lookup: roster_core::source::SourceLookup,
    },
}

async fn execute(
    store: &Store,
    connector: &dyn Connector,
    req: &RunRequest<'_>,
    clock: &dyn Clock,
    em: &Emitter<'_>,
) -> Result<Executed, Failure> {
    let d = req.directory;
    let fetch = FetchRequest {
        since: None,
        groups: match d.sync_type {
            SyncType::User => d.groups.clone(),
            SyncType::Admin => d.roles.iter().map(|r| r.group.clone()).collect(),
        },
        attributes: wanted_attributes(d),
    };
    if fetch.groups.is_empty() {
        return Err(Failure {
            message: "This directory sync has no groups selected, so there is nothing to sync. Select at least one group.".into(),
            transient: false,
        });
    }
    em.emit(Phase::Fetching, 0, 0, "Reading the directory…");
    let source_err = |e: roster_core::source::ConnectorError| Failure {
        transient: e.is_transient(),
        message: format!("The sync failed and nothing was changed: {e}"),
    };
    let mut fetch = fetch;
    if let (Mode::Full { approve: false }, Some(basis), Some((cursor, made_under))) =
        (&req.mode, &req.incremental, &d.cursor)
    {
        let recent = d
            .last_full_sync
            .is_some_and(|t| clock.now().0 - t.0 < FULL_SYNC_EVERY_SECS);
        if recent && basis == made_under && req.trigger == Trigger::Schedule {
            fetch.since = Some(roster_core::source::Since {
                cursor: cursor.clone(),
                known: store.managed_external_ids(&d.key)?,
            });
        }
    }
    let mut next_cursor: Option<String> = None;
    let mut full = false;
    let (read, cands, mut snapshot) = match &req.mode {
        Mode::Individual(key) => {
            let attr = match d.sync_type {
                SyncType::User => d.attributes.username.clone(),
                SyncType::Admin => d.attributes.email.clone().unwrap_or_else(|| "mail".into()),
            };
            let lookup = connector
                .fetch_user(&fetch, &attr, key)
                .await
                .map_err(source_err)?;
            let cands = candidates(d, lookup.user.iter());
            let snapshot = store.snapshot_of_one(&d.key, &one(key, &lookup, &cands))?;
            let read = Read::One {
                key: key.clone(),
                lookup,
            };
            (read, cands, snapshot)
        }
        Mode::Preview | Mode::Full { .. } => {
            // What the sync manages is read on a thread of its own while the directory is fetched (the
            // two take about as long as each other on a large directory); what the directory returned
            // then adds the users it would take over. Should anything write the tenant in between, the
            // apply notices (the data revision is the one of this first read) and the plan is made again.
            let (tx, managed) = tokio::sync::oneshot::channel();
            let (path, key) = (store.path().to_path_buf(), d.key.clone());
            std::thread::spawn(move || {
                let _ = tx.send(roster_store::Store::managed_snapshot_at(&path, &key));
            });
            let mut batch = connector.fetch(&fetch).await.map_err(source_err)?;
            let n = batch.users.len() as u64;
            em.emit(
                Phase::Planning,
                0,
                n,
                format!("Read {n} entries; working out the changes…"),
            );
            let cands = candidates(d, batch.users.iter());
            let (mut snap, revision) = match managed.await {
                Ok(read) => read?,
                // The reading thread could not run to the end: read here instead.
                Err(_) => roster_store::Store::managed_snapshot_at(store.path(), &d.key)?,
            };
            store.add_candidates(&d.key, &mut snap, &cands)?;
            next_cursor = batch.cursor.take();
            full = !batch.incremental;
            (Read::All(batch), cands, (snap, revision))
        }
    };
    let mut attempt = 0;
    let result = loop {
        attempt += 1;
        let (snap, revision) = &snapshot;
        // Read again on every attempt: the order of precedence may have changed in between.
        let all = store.directories()?;
        let current = all.iter().find(|x| x.key == d.key).unwrap_or(d);
        let settings = settings(current, req.retention_days, &all);
        let plan = match &read {
            Read::All(batch) => plan(&settings, snap, &Scope::Full(batch), clock.now()),
            Read::One { key, lookup } => {
                em.emit(Phase::Planning, 0, 1, "Working out the changes…");
                plan(
                    &settings,
                    snap,
                    &Scope::Individual { key, lookup },
                    clock.now(),
                )
            }
        };
        if let Read::One { key, .. } = &read {
            if plan.is_empty() && plan.counts.seen == 0 {
                let why = plan
                    .errors
                    .first()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| format!("Nothing was found for \"{key}\"."));
                break Err(Failure {
                    message: why,
                    transient: false,
                });
            }
        }
        let complete = matches!(read, Read::All(_));
        let mut conflicts = plan.conflicts.clone();
        if complete {
            // What other syncs found and left to this one: the overlap is reported on both sides.
            for won in store.conflicts_won(&d.key)? {
                let dup = conflicts
                    .iter()
                    .any(|c| c.object == won.object && c.key == won.key && c.other == won.other);
                if !dup {
                    conflicts.push(won);
                }
            }
        }
        if req.mode == Mode::Preview {
            break Ok(Executed::Preview(Planned { plan, conflicts }));
        }
        let approve = matches!(req.mode, Mode::Full { approve: true });
        if plan.hold.is_some() && !approve {
            break Ok(Executed::Held(Planned { plan, conflicts }));
        }
        let total = plan.change_count() as u64;
        em.emit(
            Phase::Applying,
            0,
            total,
            format!("Applying {total} changes…"),
        );
        let approves = if approve {
            store
                .runs(Some(d.key.as_str()), 50)?
                .into_iter()
                .find(|r| r.outcome == "held")
                .map(|r| r.id)
        } else {
            None
        };
        let message = summary(&plan.counts);
        let cursor = match (&next_cursor, &req.incremental) {
            (Some(c), Some(basis)) => Some((c.as_str(), basis.as_str())),
            _ => None,
        };
        let state = if full {
            req.next_connection_state
                .as_ref()
                .map(|s| (d.connection_id.as_str(), s))
        } else {
            None
        };
        let applied = store.apply(
            &plan,
            &ApplyOptions {
                run_id: em.run_id.unwrap_or_default(),
                key: &d.key,
                expected_data_revision: *revision,
                conflicts: &conflicts,
                complete,
                full,
                now: clock.now(),
                connection_state: state,
                outcome: "succeeded",
                approves,
                message: &message,
                cursor,
            },
        );
        match applied {
            Ok(()) => break Ok(Executed::Applied(Planned { plan, conflicts })),
            Err(roster_store::StoreError::Stale(_)) if attempt < REPLANS => {
                // Another run (or an edit) wrote the tenant while this one planned: plan again on what is
                // there now, with what the directory returned.
                em.emit(
                    Phase::Planning,
                    0,
                    0,
                    "Another sync changed this tenant meanwhile; working out the changes again…",
                );
                snapshot = match &read {
                    Read::One { key, lookup } => {
                        store.snapshot_of_one(&d.key, &one(key, lookup, &cands))?
                    }
                    Read::All(_) => store.snapshot(&d.key, &cands)?,
                };
            }
            Err(roster_store::StoreError::Stale(_)) => {
                break Err(Failure {
                    message: format!("The sync failed and nothing was changed: other syncs or edits kept changing this tenant while it worked out its changes ({REPLANS} times). It will try again at its next scheduled time; or run it again now."),
                    transient: true,
                })
            }
            Err(e) => break Err(e.into()),
        }
    };
    // Freeing what was read and the snapshot (hundreds of thousands of allocations on a large
    // directory) takes tens of milliseconds; the run goes on without waiting for it.
    std::thread::spawn(move || drop((snapshot, read)));
    result
}

fn wanted_attributes(d: &DirectoryRecord) -> Vec<String> {
    let a = &d.attributes;
    let mut v = vec![a.username.clone()];
    v.extend(a.aliases.iter().cloned());
    v.extend(
        [&a.email, &a.realname, &a.firstname, &a.lastname, &a.notes]
            .into_iter()
            .flatten()
            .cloned(),
    );
    v.extend(a.phones.iter().cloned());
    v.extend(a.custom.values().cloned());
    v.sort();
    v.dedup();
    v
}

/// Who an individual sync is about, for its snapshot: only their rows are read.
fn one<'a>(
    asked: &'a str,
    lookup: &'a roster_core::source::SourceLookup,
    candidates: &'a Candidates,
) -> roster_store::One<'a> {
    roster_store::One {
        asked,
        external_id: lookup.user.as_ref().map(|u| &*u.external_id),
        candidates,
    }
}

fn candidates<'a>(
    d: &DirectoryRecord,
    users: impl Iterator<Item = &'a roster_core::source::SourceUser>,
) -> Candidates {
    let mut c = Candidates::default();
    match d.sync_type {
        SyncType::User => {
            c.usernames = users
                .filter_map(|u| {
                    u.first(&d.attributes.username)
                        .map(|s| s.trim().to_string())
                })
                .collect()
        }
        SyncType::Admin => {
            let attr = d.attributes.email.clone().unwrap_or_else(|| "mail".into());
            c.emails = users
                .filter_map(|u| u.first(&attr).map(|s| s.trim().to_string()))
                .collect()
        }
    }
    c
}
