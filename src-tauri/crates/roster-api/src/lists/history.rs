//! Sync History: the runs of every sync, a page at a time, and the series its charts draw.

use crate::error::Result;
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;
use roster_core::Counts;
use std::collections::HashMap;

/// The most runs a page of Sync History holds.
const MAX_RUNS: u64 = 500;
/// The most runs per sync the charts draw.
const MAX_POINTS: u64 = 500;

/// What a run changed (or, held, would have): every object created, updated, disabled, enabled,
/// trashed, restored, purged or taken over, and every group created, updated or deleted. Entries seen
/// unchanged, skipped or conflicting are not changes.
fn changes(c: &Counts) -> u64 {
    c.created
        + c.updated
        + c.disabled
        + c.enabled
        + c.trashed
        + c.restored
        + c.purged
        + c.taken_over
        + c.groups_created
        + c.groups_updated
        + c.groups_deleted
}

impl Session<'_> {
    fn sync_names(&self) -> Result<HashMap<String, roster_store::DirectoryRecord>> {
        Ok(self
            .tenant
            .store
            .directories()?
            .into_iter()
            .map(|d| (d.key.to_string(), d))
            .collect())
    }

    /// A page of runs, newest first: of one sync or all, that ended as `outcome` (or any), older than the
    /// run `before`.
    pub fn runs_page(
        &self,
        key: Option<&str>,
        outcome: Option<json::RunOutcome>,
        before: Option<i64>,
        limit: u64,
    ) -> Result<json::RunsPage> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        if let Some(k) = key {
            t.store.directory(k)?;
        }
        let syncs = self.sync_names()?;
        let limit = limit.clamp(1, MAX_RUNS);
        let (runs, next) =
            t.store
                .runs_before(key, outcome.map(json::RunOutcome::as_str), before, limit)?;
        Ok(json::RunsPage {
            runs: runs
                .iter()
                .map(|r| {
                    let name = syncs.get(r.directory_key.as_str()).map(|d| d.name.as_str());
                    json::RunSummary::from_record(r, name.unwrap_or(""))
                })
                .collect::<Result<_>>()?,
            next,
        })
    }

    /// Sync History's charts: each sync's latest `per_sync` finished runs (at most 500), oldest first,
    /// with the users it managed after each and what each changed.
    pub fn history_series(&self, per_sync: u64) -> Result<json::HistorySeries> {
        self.require(Permission::View)?;
        let per_sync = per_sync.clamp(1, MAX_POINTS);
        let syncs = self.sync_names()?;
        let mut by_key: HashMap<String, Vec<json::SeriesPoint>> = HashMap::new();
        for p in self.tenant.store.run_series(per_sync)? {
            let point = json::SeriesPoint {
                run_id: p.run.id,
                at: p.run.started_at.to_rfc3339(),
                outcome: json::decode("run outcome", &p.run.outcome)?,
                trigger: json::decode("run trigger", &p.run.trigger)?,
                managed: p.managed_after,
                changes: changes(&p.run.counts),
            };
            by_key
                .entry(p.run.directory_key.to_string())
                .or_default()
                .push(point);
        }
        let mut out: Vec<json::SyncSeries> = by_key
            .into_iter()
            .filter_map(|(key, points)| {
                let d = syncs.get(&key)?;
                Some(json::SyncSeries {
                    sync: json::SyncRef {
                        directory_key: key,
                        name: d.name.clone(),
                    },
                    sync_type: d.sync_type,
                    points,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.sync
                .name
                .to_lowercase()
                .cmp(&b.sync.name.to_lowercase())
                .then_with(|| a.sync.directory_key.cmp(&b.sync.directory_key))
        });
        Ok(json::HistorySeries {
            syncs: out,
            per_sync,
        })
    }
}
