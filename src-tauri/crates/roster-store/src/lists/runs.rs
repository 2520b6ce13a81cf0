//! A sync's runs and Sync History's, a page at a time, filtered by how they ended.

use crate::{Result, Store};

impl Store {
    /// Runs, newest first, of one sync or all, ended as `outcome` or any: up to `limit` older than the run
    /// `before`, and where the next page starts (`None` after the oldest). Each filter reads an index
    /// (`sync_runs_directory`, `sync_runs_outcome`, `sync_runs_directory_outcome`), so a rare outcome
    /// among many runs is found without reading the others.
    pub fn runs_before(
        &self,
        key: Option<&str>,
        outcome: Option<&str>,
        before: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<crate::RunRecord>, Option<i64>)> {
        // A run recorded as running whose process is gone is shown as interrupted ([`Store::as_seen`]):
        // both filters read the `running` rows too and keep those seen as asked.
        let outcomes: &[&str] = match outcome {
            Some("interrupted") | Some("running") => &["interrupted", "running"],
            Some(o) => &[o][..],
            None => &[],
        };
        let mut filter = String::from("id < ?1");
        let mut args: Vec<rusqlite::types::Value> = vec![before.unwrap_or(i64::MAX).into()];
        if let Some(k) = key {
            args.push(k.to_string().into());
            filter.push_str(&format!(" AND directory_key = ?{}", args.len()));
        }
        if !outcomes.is_empty() {
            let mut marks = Vec::new();
            for o in outcomes {
                args.push(o.to_string().into());
                marks.push(format!("?{}", args.len()));
            }
            filter.push_str(&format!(" AND outcome IN ({})", marks.join(", ")));
        }
        args.push((limit.min(i64::MAX as u64) as i64).into());
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {} FROM sync_runs WHERE {filter} ORDER BY id DESC LIMIT ?{}",
            crate::records::RUN_COLUMNS,
            args.len()
        ))?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), crate::records::run_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // The page is read whole before the `running` rows are sorted out, so it goes on where the rows
        // read ended even when one is left out.
        let next = (rows.len() as u64 >= limit)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        let runs = rows
            .into_iter()
            .map(|r| self.as_seen(r))
            .filter(|r| outcome.is_none_or(|o| r.outcome == o))
            .collect();
        Ok((runs, next))
    }
}
