//! Applying a plan: one transaction for the objects, the directory's new state and the run record.

use crate::{Result, Store, StoreError};
use roster_core::plan::{Action, Plan};
use roster_core::{Change, Conflict, DirectoryKey, Timestamp};
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::{HashMap, HashSet};

mod user_row;

/// What else an apply records besides the plan's objects.
#[derive(Debug, Clone)]
pub struct ApplyOptions<'a> {
    /// The run being finished (from [`Store::begin_run`]).
    pub run_id: i64,
    /// The directory sync.
    pub key: &'a DirectoryKey,
    /// The tenant's data revision when the plan's snapshot was read; a different revision now means
    /// something wrote users, groups or admins in between (another run, an edit), and the plan is refused
    /// as stale ([`StoreError::Stale`]) so that it is made again.
    pub expected_data_revision: i64,
    /// What other syncs also found, for the run record.
    pub conflicts: &'a [Conflict],
    /// Whether the run covered everything the sync selects (not one user): then the conflicts it left to
    /// other syncs replace the ones its previous runs recorded.
    pub complete: bool,
    /// A full sync moves `last_full_sync` forward; an individual sync does not.
    pub full: bool,
    /// Now.
    pub now: Timestamp,
    /// New connector state to store with the run (e.g. the demo's epoch, a delta cursor), if any.
    pub connection_state: Option<(&'a str, &'a serde_json::Value)>,
    /// `succeeded`, or `approved` for a held run that an admin approved.
    pub outcome: &'a str,
    /// The held run this run approves.
    pub approves: Option<i64>,
    /// The run's summary message.
    pub message: &'a str,
    /// The cursor for the next incremental fetch, with the configuration digest it belongs to
    /// (`None` keeps the stored one; an individual sync never moves it).
    pub cursor: Option<(&'a str, &'a str)>,
}

pub(crate) fn insert_changes(
    tx: &Transaction<'_>,
    run_id: i64,
    first_seq: i64,
    changes: impl Iterator<Item = Change>,
) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO run_changes (run_id, seq, object, key, action, fields, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (seq, c) in changes.enumerate() {
        let fields = if c.fields.is_empty() {
            "[]".to_string()
        } else {
            serde_json::to_string(&c.fields)?
        };
        st.execute(params![
            run_id,
            first_seq + seq as i64,
            c.object.as_str(),
            c.key,
            c.action.as_str(),
            fields,
            c.reason
        ])?;
    }
    Ok(())
}

impl Store {
    /// Applies `plan` and finishes the run with the plan's change log, all in one transaction. On any
    /// error nothing is written.
    pub fn apply(&self, plan: &Plan, opts: &ApplyOptions<'_>) -> Result<()> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let revision: i64 =
            tx.query_row("SELECT data_revision FROM tenant WHERE id = 1", [], |r| {
                r.get(0)
            })?;
        if revision != opts.expected_data_revision {
            return Err(StoreError::Stale(
                "Another sync or an edit changed this tenant's users, groups or administrators while this run was working out its changes. Nothing was applied; the run works them out again.".into(),
            ));
        }
        let list_indexes = apply_objects(&tx, plan, opts.key, opts.now)?;
        crate::records::bump_data_revision(&tx)?;
        if opts.complete {
            tx.execute(
                "DELETE FROM sync_conflicts WHERE directory_key = ?1",
                [&opts.key.0],
            )?;
            let mut st = tx.prepare_cached(
                "INSERT OR IGNORE INTO sync_conflicts (directory_key, winner, object, key)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM directories WHERE key = ?2)",
            )?;
            for c in opts.conflicts.iter().filter(|c| !c.kept) {
                st.execute(params![opts.key.0, c.other, c.object.as_str(), c.key])?;
            }
        }
        tx.execute(
            "UPDATE directories SET revision = revision + 1, status = 'ok',
             last_full_sync = CASE WHEN ?2 THEN ?3 ELSE last_full_sync END WHERE key = ?1",
            params![opts.key.0, opts.full, opts.now.0],
        )?;
        if let Some((cursor, basis)) = opts.cursor {
            tx.execute(
                "UPDATE directories SET sync_cursor = ?2, cursor_basis = ?3 WHERE key = ?1",
                params![opts.key.0, cursor, basis],
            )?;
        }
        if let Some((conn_id, state)) = opts.connection_state {
            tx.execute(
                "UPDATE connections SET state = ?2 WHERE id = ?1",
                params![conn_id, state.to_string()],
            )?;
        }
        tx.execute(
            "UPDATE sync_runs SET outcome = ?2, finished_at = ?3, counts = ?4, message = ?5, errors = ?6, approved_run_id = ?7, conflicts = ?8 WHERE id = ?1",
            params![
                opts.run_id,
                opts.outcome,
                opts.now.0,
                serde_json::to_string(&plan.counts)?,
                opts.message,
                serde_json::to_string(&plan.errors)?,
                opts.approves,
                serde_json::to_string(opts.conflicts)?
            ],
        )?;
        // What Sync History plots as the sync's users (or admins) over time. Counted as all the sync's
        // users (an index range, no row read) less those in the trash (found by status, few): counting
        // `status != 'pending deletion'` directly read every one of the sync's rows, 100,000 row reads
        // for a one-user individual sync. `+managed_by` keeps SQLite from reading the trash through the
        // sync's index (every one of its rows) instead of a status index; not `INDEXED BY`, which would
        // fail in the moment after a large first sync when the list indexes are not built yet (`bulk`).
        tx.execute(
            "UPDATE sync_runs SET managed_after =
                 (SELECT count(*) FROM users WHERE managed_by = ?2)
                 - (SELECT count(*) FROM users
                    WHERE status = 'pending deletion' AND +managed_by = ?2)
                 + (SELECT count(*) FROM admins WHERE managed_by = ?2) WHERE id = ?1",
            params![opts.run_id, opts.key.0],
        )?;
        if let Some(held) = opts.approves {
            tx.execute(
                "UPDATE sync_runs SET outcome = 'approved', message = ?2 WHERE id = ?1 AND outcome = 'held'",
                params![held, format!("Approved; applied by run {}.", opts.run_id)],
            )?;
        }
        insert_changes(&tx, opts.run_id, 0, plan.changes_iter())?;
        if !plan.is_empty() {
            // The audit trail names the sync; the run's change log (run_id) holds every object.
            let name: String = tx.query_row(
                "SELECT name FROM directories WHERE key = ?1",
                [&opts.key.0],
                |r| r.get(0),
            )?;
            crate::adminapi::insert_audit(
                &tx,
                &crate::AuditEntry {
                    at: opts.now,
                    actor_kind: crate::ActorKind::Sync,
                    actor: name,
                    action: if opts.full {
                        "directory_sync"
                    } else {
                        "directory_sync_individual"
                    }
                    .into(),
                    object: opts.key.0.clone(),
                    description: serde_json::json!({"run_id": opts.run_id, "counts": plan.counts, "message": opts.message}),
                },
            )?;
        }
        // The log this commit writes is copied back by the checkpointer, off the run's path: a first
        // sync of 100,000 users writes about 100 MB of log, and copying it inside the commit (two
        // `fsync`s and the copy) held the run and the writer a third of a second longer.
        tx.pragma_update(None, "wal_autocheckpoint", 0)?;
        let committed = tx.commit();
        c.pragma_update(
            None,
            "wal_autocheckpoint",
            crate::checkpoint::WRITER_AUTOCHECKPOINT,
        )?;
        committed?;
        if list_indexes == crate::bulk::ListIndexes::Missing {
            self.checkpoints.build_list_indexes(&self.path);
        }
        self.checkpoint_soon();
        Ok(())
    }

    /// Deletes for good every user whose retention in the trash has run out (including users trashed by
    /// hand), and returns how many. Used by the scheduler and `rosterctl trash purge`.
    /// `audit` is recorded (with the count) only when users were purged.
    pub fn purge_expired_trash(
        &self,
        now: Timestamp,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<usize> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let days: i64 = tx.query_row(
            "SELECT pending_deletion_days FROM tenant WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        let n = tx.execute(
            "DELETE FROM users WHERE status = 'pending deletion' AND trashed_at IS NOT NULL AND trashed_at + ?1 * 86400 <= ?2",
            params![days, now.0],
        )?;
        if n > 0 {
            crate::records::bump_data_revision(&tx)?;
            if let Some(a) = audit {
                let mut a = a.clone();
                if let Some(d) = a.description.as_object_mut() {
                    d.insert("purged".into(), serde_json::json!(n));
                }
                crate::adminapi::insert_audit(&tx, &a)?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Moves a user to the trash by hand.
    pub fn trash_user(
        &self,
        username: &str,
        now: Timestamp,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |c| {
        let n = c.execute(
            "UPDATE users SET status = 'pending deletion', trashed_at = ?2 WHERE username = ?1 AND status != 'pending deletion'",
            params![username, now.0],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no user \"{username}\" outside the trash."
            )));
        }
        crate::records::bump_data_revision(c)?;
        Ok(())
        })
    }

    /// Restores a user from the trash by hand (as `active`). A synced user who is still in no synced group
    /// goes back to the trash at the next sync.
    pub fn restore_user(&self, username: &str, audit: Option<&crate::AuditEntry>) -> Result<()> {
        self.write_audited(audit, |c| {
        let n = c.execute(
            "UPDATE users SET status = 'active', trashed_at = NULL WHERE username = ?1 AND status = 'pending deletion'",
            [username],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no user \"{username}\" in the trash."
            )));
        }
        crate::records::bump_data_revision(c)?;
        Ok(())
        })
    }
}

/// Writes the plan's objects; says whether the list indexes are left to build (a large first sync, see
/// `bulk`).
pub(crate) fn apply_objects(
    tx: &Transaction<'_>,
    plan: &Plan,
    key: &DirectoryKey,
    now: Timestamp,
) -> Result<crate::bulk::ListIndexes> {
    // Groups whose members go: deleted groups, and groups a sync takes over (a synced group replaces the
    // members of the group it takes over).
    let mut emptied: HashSet<&str> = HashSet::new();
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO groups (id, name, description, managed_by, external_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description,
             managed_by = excluded.managed_by, external_id = excluded.external_id",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM groups WHERE id = ?1")?;
        // Deletions first, so a new group may reuse a deleted group's name in the same run.
        for op in plan.groups.iter().filter(|op| op.action == Action::Delete) {
            delete.execute([op.group.id.as_str()])?;
            emptied.insert(op.group.id.as_str());
        }
        for op in plan.groups.iter().filter(|op| op.action != Action::Delete) {
            let g = &op.group;
            upsert.execute(params![
                g.id.as_str(),
                g.name,
                g.description,
                g.managed_by.as_ref().map(|k| k.as_str()),
                g.external_id,
                now.0
            ])?;
            if op.action == Action::TakeOver {
                emptied.insert(g.id.as_str());
            }
        }
    }
    if !emptied.is_empty() {
        drop_members(tx, &emptied)?;
    }
    // Which sync manages each group, for the users the plan updates: read per group as they come up,
    // so a push that updates one user reads that user's groups, not the tenant's.
    let mut owners = GroupOwners::new(tx)?;
    let suspended = crate::bulk::suspend(tx, plan)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO users (id, username, aliases, realname, firstname, lastname, email, phones, notes, custom, status,
             managed_by, external_id, last_directory_sync, trashed_at, created_at, group_ids)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        let mut rows = user_row::UserRows::new(tx)?;
        let mut delete = tx.prepare_cached("DELETE FROM users WHERE id = ?1")?;
        let mut old_groups = tx.prepare_cached("SELECT group_ids FROM users WHERE id = ?1")?;
        // Purges and trashing first: they free usernames that renamed or new users in the same run may take.
        let order = |a: Action| match a {
            Action::Purge => 0,
            Action::Trash => 1,
            _ => 2,
        };
        let mut ops: Vec<&roster_core::plan::UserOp> = plan.users.iter().collect();
        ops.sort_by_key(|op| order(op.action));
        for op in ops {
            let u = &op.user;
            if op.action == Action::Purge {
                delete.execute([u.id.as_str()])?;
                continue;
            }
            let f = &u.fields;
            let aliases = if f.aliases.is_empty() {
                "[]".into()
            } else {
                serde_json::to_string(&f.aliases)?
            };
            let phones = if f.phones.is_empty() {
                "[]".into()
            } else {
                serde_json::to_string(&f.phones)?
            };
            let custom = if f.custom.is_empty() {
                "{}".into()
            } else {
                serde_json::to_string(&f.custom)?
            };
            let managed_by = u.managed_by.as_ref().map(|k| k.as_str());
            if op.action == Action::Create {
                let groups = encode_groups(u.groups.iter().map(|g| g.as_str()))?;
                insert.execute(params![
                    u.id.as_str(),
                    f.username,
                    aliases,
                    f.realname,
                    f.firstname,
                    f.lastname,
                    f.email,
                    phones,
                    f.notes,
                    custom,
                    u.status.as_str(),
                    managed_by,
                    u.external_id,
                    u.last_directory_sync.map(|t| t.0),
                    u.trashed_at.map(|t| t.0),
                    now.0,
                    groups
                ])?;
            } else {
                // The plan's list replaces the user's groups managed by this sync; memberships in other
                // groups that still exist are kept (their syncs write them).
                let old = rows.read(u.id.as_str())?.ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "The user \"{}\" was removed while the sync ran. Sync again.",
                        f.username
                    ))
                })?;
                let Value::Text(old_groups) = &old[user_row::GROUP_IDS] else {
                    return Err(StoreError::Corrupt(format!(
                        "The user \"{}\" has no group list.",
                        f.username
                    )));
                };
                let groups = merge_groups(old_groups, &mut owners, key, &u.groups)?;
                let new: user_row::Row = [
                    Value::Text(f.username.clone()),
                    Value::Text(aliases),
                    Value::from(f.realname.clone()),
                    Value::from(f.firstname.clone()),
                    Value::from(f.lastname.clone()),
                    Value::from(f.email.clone()),
                    Value::Text(phones),
                    Value::from(f.notes.clone()),
                    Value::Text(custom),
                    Value::Text(u.status.as_str().to_string()),
                    Value::from(managed_by.map(str::to_string)),
                    Value::from(u.external_id.clone()),
                    Value::from(u.last_directory_sync.map(|t| t.0)),
                    Value::from(u.trashed_at.map(|t| t.0)),
                    Value::Text(groups),
                ];
                rows.write(u.id.as_str(), &old, new)?;
            }
        }
        // Users another sync manages: only their membership of this sync's groups changes.
        let mut set_groups = tx.prepare_cached("UPDATE users SET group_ids = ?2 WHERE id = ?1")?;
        for op in &plan.memberships {
            let Some(old) = old_groups
                .query_row([op.user.as_str()], |r| r.get::<_, String>(0))
                .optional()?
            else {
                continue; // deleted since the snapshot: nothing to add it to
            };
            let groups = merge_groups(&old, &mut owners, key, &op.groups)?;
            set_groups.execute(params![op.user.as_str(), groups])?;
        }
    }
    let list_indexes = suspended.finish(tx)?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO admins (id, name, email, phone, role, status, managed_by, external_id, last_directory_sync, left_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone,
             role = excluded.role, status = excluded.status, managed_by = excluded.managed_by, custom_role = NULL,
             external_id = excluded.external_id, last_directory_sync = excluded.last_directory_sync, left_at = excluded.left_at",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM admins WHERE id = ?1")?;
        for op in &plan.admins {
            let a = &op.admin;
            if op.action == Action::Purge {
                delete.execute([a.id.as_str()])?;
                continue;
            }
            upsert.execute(params![
                a.id.as_str(),
                a.name,
                a.email,
                a.phone,
                a.role.as_str(),
                a.status.as_str(),
                a.managed_by.as_ref().map(|k| k.as_str()),
                a.external_id,
                a.last_directory_sync.map(|t| t.0),
                a.left_at.map(|t| t.0),
                now.0
            ])?;
        }
    }
    Ok(list_indexes)
}

/// A user's stored group list with the groups `key` manages replaced by `mine` (sorted): memberships of
/// groups other syncs manage, or nobody, are kept as long as the group exists.
fn merge_groups(
    old: &str,
    owners: &mut GroupOwners<'_>,
    key: &DirectoryKey,
    mine: &[roster_core::GroupId],
) -> Result<String> {
    let old = decode_groups(old)?;
    let mut ids: Vec<&str> = Vec::with_capacity(old.len() + mine.len());
    for g in &old {
        if owners
            .of(g)?
            .as_ref()
            .is_some_and(|owner| owner.as_deref() != Some(key.as_str()))
        {
            ids.push(g.as_ref());
        }
    }
    ids.extend(mine.iter().map(|g| g.as_str()));
    ids.sort_unstable();
    ids.dedup();
    encode_groups(ids.into_iter())
}

/// Which sync manages each group, read by id the first time a group comes up and remembered for the
/// rest of the apply (a full sync meets each of its groups many times; a push, a handful once).
struct GroupOwners<'t> {
    read: rusqlite::CachedStatement<'t>,
    /// Group id -> `None`: no such group; `Some(None)`: no sync manages it; `Some(Some(key))`.
    known: HashMap<String, Option<Option<String>>>,
}

impl<'t> GroupOwners<'t> {
    fn new(tx: &'t Transaction<'_>) -> Result<Self> {
        Ok(GroupOwners {
            read: tx.prepare_cached("SELECT managed_by FROM groups WHERE id = ?1")?,
            known: HashMap::new(),
        })
    }

    /// The group's owner: `None` if the group does not exist.
    fn of(&mut self, id: &str) -> Result<&Option<Option<String>>> {
        if !self.known.contains_key(id) {
            let owner: Option<Option<String>> =
                self.read.query_row([id], |r| r.get(0)).optional()?;
            self.known.insert(id.to_string(), owner);
        }
        Ok(self.known.get(id).unwrap_or(&None))
    }
}

/// Removes `groups` from every user's group list, in one pass over the users who are in any group.
fn drop_members(tx: &Transaction<'_>, groups: &HashSet<&str>) -> Result<()> {
    let mut changed: Vec<(String, String)> = Vec::new();
    {
        let mut st =
            tx.prepare_cached("SELECT id, group_ids FROM users WHERE group_ids != '[]'")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let list = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            let ids = decode_groups(list)?;
            if ids.iter().any(|g| groups.contains(g.as_ref())) {
                let kept = ids
                    .iter()
                    .map(|g| g.as_ref())
                    .filter(|g| !groups.contains(g));
                changed.push((row.get(0)?, encode_groups(kept)?));
            }
        }
    }
    let mut update = tx.prepare_cached("UPDATE users SET group_ids = ?2 WHERE id = ?1")?;
    for (id, list) in changed {
        update.execute(params![id, list])?;
    }
    Ok(())
}

/// A user's group list as stored: a JSON array of ids, in the order given (callers pass them sorted).
pub(crate) fn encode_groups<'a>(ids: impl Iterator<Item = &'a str>) -> Result<String> {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        return Ok("[]".into());
    }
    Ok(serde_json::to_string(&ids)?)
}

/// A stored group list, borrowing from `list` (ids never need JSON escapes; one that did is copied).
pub(crate) fn decode_groups(list: &str) -> Result<Vec<std::borrow::Cow<'_, str>>> {
    use std::borrow::Cow;
    if list == "[]" {
        return Ok(Vec::new());
    }
    match serde_json::from_str::<Vec<&str>>(list) {
        Ok(ids) => Ok(ids.into_iter().map(Cow::Borrowed).collect()),
        Err(_) => Ok(serde_json::from_str::<Vec<String>>(list)?
            .into_iter()
            .map(Cow::Owned)
            .collect()),
    }
}

fn user_params(u: &roster_core::User) -> Result<[String; 3]> {
    let f = &u.fields;
    Ok([
        serde_json::to_string(&f.aliases)?,
        serde_json::to_string(&f.phones)?,
        serde_json::to_string(&f.custom)?,
    ])
}

fn unique(e: rusqlite::Error, username: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(format!(
            "A user named \"{username}\" already exists. Choose another username."
        )),
        _ => e.into(),
    }
}

/// Inserts a user added by hand (managed by no sync).
pub(crate) fn insert_manual_user(
    c: &rusqlite::Connection,
    u: &roster_core::User,
    now: Timestamp,
) -> Result<()> {
    let [aliases, phones, custom] = user_params(u)?;
    let f = &u.fields;
    c.execute(
        "INSERT INTO users (id, username, aliases, realname, firstname, lastname, email, phones, notes, custom, status,
         managed_by, external_id, last_directory_sync, trashed_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, NULL, NULL, ?12)",
        params![u.id.as_str(), f.username, aliases, f.realname, f.firstname, f.lastname, f.email, phones, f.notes, custom, u.status.as_str(), now.0],
    )
    .map_err(|e| unique(e, &f.username))?;
    Ok(())
}

/// Writes a user's fields and status (never its sync, groups or trash state).
pub(crate) fn update_user_fields(c: &rusqlite::Connection, u: &roster_core::User) -> Result<()> {
    let [aliases, phones, custom] = user_params(u)?;
    let f = &u.fields;
    let n = c
        .execute(
            "UPDATE users SET username = ?2, aliases = ?3, realname = ?4, firstname = ?5, lastname = ?6, email = ?7,
             phones = ?8, notes = ?9, custom = ?10, status = ?11 WHERE id = ?1",
            params![u.id.as_str(), f.username, aliases, f.realname, f.firstname, f.lastname, f.email, phones, f.notes, custom, u.status.as_str()],
        )
        .map_err(|e| unique(e, &f.username))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "There is no user \"{}\".",
            f.username
        )));
    }
    Ok(())
}

impl Store {
    /// Adds a user by hand (not managed by any sync).
    pub fn insert_user(
        &self,
        u: &roster_core::User,
        now: Timestamp,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |c| {
            insert_manual_user(c, u, now)?;
            crate::records::bump_data_revision(c)
        })
    }

    /// Saves a manual edit of a user's fields and status (never its sync, groups or trash state).
    pub fn save_user_edit(
        &self,
        u: &roster_core::User,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |c| {
            update_user_fields(c, u)?;
            crate::records::bump_data_revision(c)
        })
    }
}
