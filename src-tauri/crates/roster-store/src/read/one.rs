//! The snapshot for one user's or admin's individual sync: the rows that sync can touch, not everything
//! the sync manages. A syncuser on a 100,000-user sync plans one user; reading the other 99,999 made it
//! take hundreds of milliseconds for nothing.
//!
//! Which rows the planner looks at for one person (roster_core::plan, `individual`): the sync's user
//! with the source's external id, users whose username is the incoming one (by the candidates), the
//! sync's user named as asked (trashed when the source no longer has them in a group), every group (the
//! lookup's groups are found or created by name), and the sync's admins (a few; admin syncs match them by
//! email). The plan made from this snapshot is the one made from the full snapshot.

use super::{data_revision, managed_snapshot_of, Candidates, USER_COLUMNS};
use crate::{Result, Store};
use roster_core::plan::Snapshot;
use roster_core::DirectoryKey;

/// What identifies the one person of an individual sync.
#[derive(Debug, Clone, Copy)]
pub struct One<'a> {
    /// The username (user syncs) or email (admin syncs) asked for.
    pub asked: &'a str,
    /// The source's external id of the person found, if found.
    pub external_id: Option<&'a str>,
    /// The usernames and emails the source gives them (what take-over matches by).
    pub candidates: &'a Candidates,
}

impl One<'_> {
    /// The sync's users that the person's plan can touch: by external id, by any of their usernames, and
    /// the username asked for; each an index range (`users_managed_by`, `users_managed_username`).
    pub(super) fn users_query(&self, key: &DirectoryKey) -> (String, Vec<String>) {
        let mut params = vec![key.0.clone()];
        let mut parts = Vec::new();
        if let Some(ext) = self.external_id {
            params.push(ext.to_string());
            parts.push(format!(
                "managed_by = ?1 AND external_id = ?{}",
                params.len()
            ));
        }
        let names = self.candidates.usernames.iter().map(String::as_str);
        for name in names.chain([self.asked]) {
            params.push(name.to_string());
            parts.push(format!("managed_by = ?1 AND username = ?{}", params.len()));
        }
        let sql = parts
            .iter()
            .map(|w| format!("SELECT {USER_COLUMNS}, group_ids FROM users WHERE {w}"))
            .collect::<Vec<_>>()
            .join(" UNION ");
        (sql, params)
    }
}

impl Store {
    /// [`Store::snapshot`] for an individual sync of `one`: the rows its plan can touch (see the module's
    /// notes), with the take-over candidates, in one consistent read. Also returns the data revision.
    pub fn snapshot_of_one(&self, key: &DirectoryKey, one: &One<'_>) -> Result<(Snapshot, i64)> {
        let c = self.reader();
        let tx = c.unchecked_transaction()?;
        let revision = data_revision(&tx)?;
        let mut snap = managed_snapshot_of(&tx, key, Some(one))?;
        super::add_candidates(&tx, key, &mut snap, one.candidates)?;
        tx.finish()?;
        Ok((snap, revision))
    }
}
