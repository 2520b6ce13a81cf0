//! The upgrade ladder: one step per schema version, each inside the migration transaction.

use super::{
    ALIASES_INSERT_TRIGGER, COPY_ALIASES, DEFAULT_OWNER_EMAIL, LISTS, LOCAL_PASSPHRASES, LOOKUPS,
    OWNER_ID, SCIM,
};
use crate::{Result, StoreError};

/// The runs' outcome filter through indexes (schema 12), shared by new databases and the upgrade to 12: a
/// sync's page and Sync History list the runs that ended one way, newest first, as one index range.
pub(super) const RUN_OUTCOMES: &str = r#"
CREATE INDEX sync_runs_outcome ON sync_runs(outcome, id);
CREATE INDEX sync_runs_directory_outcome ON sync_runs(directory_key, outcome, id);
"#;

/// Groups' status (schema 13), shared by new databases and the upgrade to 13: Duo's group status, set by
/// operators only (a sync writes a new group as `active` and never touches it again). Existing groups
/// become `active`. The Groups list filtered by status is one range of `groups_status_name`.
pub(super) const GROUP_STATUS: &str = r#"
ALTER TABLE groups ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'bypass', 'disabled'));
CREATE INDEX groups_status_name ON groups(status, name);
"#;

/// A sync's groups by the source's id (schema 14), shared by new databases and the upgrade to 14: a SCIM
/// push reads only the groups it names (by the client's ids: a group taken over from another sync keeps
/// its Roster id, so the id cannot be derived) and its users' groups, not every group of the integration.
pub(super) const GROUPS_BY_SOURCE: &str = r#"
CREATE INDEX groups_managed_external ON groups(managed_by, external_id);
"#;

/// A SCIM user's groups as one list (schema 15), shared by new databases and the upgrade to 15: a JSON
/// array of the integration's group ids, sorted, in a narrow table keyed by the user's row (`seq`), as
/// `users.group_ids` is for Roster's users. It replaces the index of `scim_members` by user, whose
/// entries a `PATCH` adding 100 members wrote to 100 pages scattered by the users' random ids. Not a
/// column of `scim_resources`: its rows hold the documents, eight or so to a page, and a list that
/// grows split them. These rows are small and in the order the users were created, which is also the
/// order a client provisions a group it was assigned. A user never in a group has none; one that left
/// them all has `[]`. `scim_members` stays, keyed by group: a group's members are read and paged from it.
pub(super) const SCIM_USER_GROUPS: &str = r#"
CREATE TABLE scim_user_groups (
    seq INTEGER PRIMARY KEY REFERENCES scim_resources(seq) ON DELETE CASCADE,
    group_ids TEXT NOT NULL
);
INSERT INTO scim_user_groups (seq, group_ids)
    SELECT r.seq, (SELECT json_group_array(m.group_id ORDER BY m.group_id) FROM scim_members m
                   WHERE m.directory_key = r.directory_key AND m.user_id = r.id)
    FROM scim_resources r WHERE r.kind = 'User' AND EXISTS (SELECT 1 FROM scim_members m
        WHERE m.directory_key = r.directory_key AND m.user_id = r.id);
DROP INDEX scim_members_user;
"#;

/// Upgrades a database at `version` by one step. Runs inside the migration transaction.
pub(super) fn upgrade_from(tx: &rusqlite::Transaction<'_>, version: i32) -> Result<()> {
    match version {
        1 => {
            // Version 2 added the safety hold: a per-sync deletion threshold, and approvals of held runs.
            tx.execute_batch(
                "ALTER TABLE directories ADD COLUMN deletion_threshold_percent INTEGER NOT NULL DEFAULT 10;
                 ALTER TABLE sync_runs ADD COLUMN approved_run_id INTEGER REFERENCES sync_runs(id) ON DELETE SET NULL;",
            )?;
            Ok(())
        }
        2 => {
            // Version 3 added incremental syncs: a cursor per directory sync and the digest of the
            // configuration it was made under (a changed configuration means a full sync).
            tx.execute_batch(
                "ALTER TABLE directories ADD COLUMN sync_cursor TEXT;
                 ALTER TABLE directories ADD COLUMN cursor_basis TEXT;",
            )?;
            Ok(())
        }
        3 => {
            // Version 4 keeps each user's groups on the user's row (a JSON array of group ids) instead of
            // one `memberships` row per (group, user): writing a million rows made a large first sync slow.
            tx.execute_batch(
                "ALTER TABLE users ADD COLUMN group_ids TEXT NOT NULL DEFAULT '[]';
                 UPDATE users SET group_ids = (SELECT json_group_array(group_id) FROM
                     (SELECT m.group_id FROM memberships m JOIN groups g ON g.id = m.group_id
                      WHERE m.user_id = users.id ORDER BY m.group_id))
                 WHERE id IN (SELECT user_id FROM memberships);
                 DROP TABLE memberships;",
            )?;
            Ok(())
        }
        4 => {
            // Version 5: an order of precedence between syncs (oldest first, per type), the conflicts it
            // settles, a tenant-wide data revision (a plan made from an older snapshot is made again),
            // and a schedule that waits for the admin's first run. Existing syncs keep their schedule.
            tx.execute_batch(
                "ALTER TABLE tenant ADD COLUMN data_revision INTEGER NOT NULL DEFAULT 0;
                 ALTER TABLE directories ADD COLUMN precedence INTEGER NOT NULL DEFAULT 0;
                 ALTER TABLE directories ADD COLUMN schedule_from INTEGER;
                 UPDATE directories SET schedule_from = created_at,
                     precedence = 1 + (SELECT count(*) FROM directories d WHERE d.sync_type = directories.sync_type
                         AND (d.created_at < directories.created_at
                              OR (d.created_at = directories.created_at AND d.key < directories.key)));
                 ALTER TABLE sync_runs ADD COLUMN conflicts TEXT NOT NULL DEFAULT '[]';
                 CREATE TABLE sync_conflicts (
                     directory_key TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
                     winner TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
                     object TEXT NOT NULL,
                     key TEXT NOT NULL,
                     PRIMARY KEY (directory_key, object, key, winner)
                 ) WITHOUT ROWID;
                 CREATE INDEX sync_conflicts_winner ON sync_conflicts(winner);",
            )?;
            Ok(())
        }
        5 => {
            // Version 6: operators. Custom roles, an administrator acting with one, and an Owner for every
            // tenant (a tenant from before operators gets one that stands for the person using Roster).
            tx.execute_batch(&format!(
                "CREATE TABLE roles (
                     name TEXT PRIMARY KEY COLLATE NOCASE,
                     directory_config TEXT NOT NULL CHECK (directory_config IN ('all', 'none')),
                     run_syncs TEXT NOT NULL CHECK (run_syncs IN ('all', 'individual', 'none')),
                     created_at INTEGER NOT NULL
                 );
                 ALTER TABLE admins ADD COLUMN custom_role TEXT REFERENCES roles(name) ON DELETE RESTRICT;
                 INSERT INTO admins (id, name, email, role, status, created_at)
                     SELECT '{OWNER_ID}', 'Owner', '{DEFAULT_OWNER_EMAIL}', 'Owner', 'Active', created_at FROM tenant
                     WHERE NOT EXISTS (SELECT 1 FROM admins WHERE role = 'Owner')
                       AND NOT EXISTS (SELECT 1 FROM admins WHERE email = '{DEFAULT_OWNER_EMAIL}');"
            ))?;
            Ok(())
        }
        6 => {
            // Version 7: inbound SCIM integrations (their tokens, and the replica of what their clients
            // push); users indexed by sync and source id, so a push reads the one user it names.
            tx.execute_batch(&format!(
                "DROP INDEX IF EXISTS users_managed_by;
                 CREATE INDEX users_managed_by ON users(managed_by, external_id);
                 {SCIM}"
            ))?;
            Ok(())
        }
        7 => {
            // Version 8: Admin API applications (never their secret keys) and the audit trail.
            tx.execute_batch(crate::adminapi::TABLES)?;
            Ok(())
        }
        8 => {
            // Version 9: the lists sort and filter through indexes, a user's history is one index range,
            // and each run records how many users (or admins) its sync manages afterwards.
            tx.execute_batch(LISTS)?;
            Ok(())
        }
        9 => {
            // Version 10: operators' local passphrases (hashes only) and the tenant's default deletion
            // threshold for new syncs.
            tx.execute_batch(LOCAL_PASSPHRASES)?;
            Ok(())
        }
        10 => {
            // Version 11: aliases and emails indexed (the Admin API's username and email filters read
            // one index entry instead of every user), the aliases of existing users copied in.
            tx.execute_batch(&format!("{LOOKUPS}{ALIASES_INSERT_TRIGGER}{COPY_ALIASES}"))?;
            Ok(())
        }
        11 => {
            // Version 12: runs filtered by outcome through indexes.
            tx.execute_batch(RUN_OUTCOMES)?;
            Ok(())
        }
        12 => {
            // Version 13: groups' status.
            tx.execute_batch(GROUP_STATUS)?;
            Ok(())
        }
        13 => {
            // Version 14: groups by the source's id.
            tx.execute_batch(GROUPS_BY_SOURCE)?;
            Ok(())
        }
        14 => {
            // Version 15: a SCIM user's groups as one list.
            tx.execute_batch(SCIM_USER_GROUPS)?;
            Ok(())
        }
        other => Err(StoreError::TooNew(format!(
            "No upgrade is known from schema version {other}."
        ))),
    }
}
