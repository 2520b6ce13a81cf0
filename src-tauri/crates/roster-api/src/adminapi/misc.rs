//! The rest of the Admin API: individual directory syncs, the list of user syncs, settings, the info
//! summary and the administrator log.

use super::shapes::{self, DuoLogEntry};
use super::{AdminApiDoor, Grant, Listed};
use crate::error::{ApiError, Code, Result};
use crate::runs::RunMode;
use crate::session::{Acting, Session};
use roster_core::access::Authority;
use roster_core::{AdminRole, SyncType};
use roster_store::Trigger;
use serde::Serialize;

/// What an individual sync did to its one user or administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SyncResult {
    /// Created.
    #[serde(rename = "created")]
    Created,
    /// Changed (fields, status, or taken over).
    #[serde(rename = "updated")]
    Updated,
    /// Sent to the trash (users), or disabled for leaving every mapped group (administrators).
    #[serde(rename = "sent to the trash")]
    Trashed,
    /// Nothing to change.
    #[serde(rename = "unchanged")]
    Unchanged,
}

/// The answer to `syncuser` and `syncadmin`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncAnswer {
    /// The username (or email) synced.
    pub username: String,
    /// What happened.
    pub result: SyncResult,
    /// The run's summary.
    pub message: String,
    /// The user's id after the sync, if it exists.
    pub user_id: Option<String>,
    /// The administrator's id after the sync, if it exists.
    pub admin_id: Option<String>,
}

/// A user directory sync (`GET /admin/v1/users/directorysync`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectorySyncInfo {
    /// Its key (what `syncuser` names).
    pub directory_key: String,
    /// Its name.
    pub name: String,
    /// Its connection's kind (`ldap`, `entra`, …).
    pub directory_type: String,
    /// `ok`, `never_synced`, `failed`, …
    pub status: String,
    /// Whether scheduled runs are paused.
    pub paused: bool,
    /// The last complete sync (Unix seconds).
    pub last_sync: Option<i64>,
}

/// The settings that apply in Roster (`GET /admin/v1/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// The tenant's name.
    pub name: String,
    /// Days a user stays in the trash.
    pub pending_deletion_days: u32,
}

/// `GET /admin/v1/info/summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfoSummary {
    /// Administrators.
    pub admin_count: u64,
    /// Integrations (Admin API applications).
    pub integration_count: u64,
    /// Telephony credits (Roster calls nobody).
    pub telephony_credits_remaining: u64,
    /// Users.
    pub user_count: u64,
    /// Users in the trash.
    pub user_pending_deletion_count: u64,
}

impl AdminApiDoor<'_> {
    /// A session that runs one individual sync for the application, whose grant was checked: it acts with
    /// the Owner's authority for that run only, under the application's name.
    fn sync_session(&self) -> Session<'_> {
        Session {
            roster: self.roster,
            tenant: self.tenant.clone(),
            acting: Acting {
                email: None,
                name: format!("the Admin API application \"{}\"", self.app.name),
                authority: Authority::Role {
                    role: AdminRole::Owner,
                },
            },
        }
    }

    fn directory_of(&self, key: &str, t: SyncType) -> Result<roster_store::DirectoryRecord> {
        let d = self.store().directory(key).map_err(|_| {
            ApiError::not_found(format!("There is no directory sync with the key {key}."))
        })?;
        if d.sync_type != t {
            return Err(ApiError::not_found(format!(
                "{key} is not a{} directory sync.",
                if t == SyncType::User {
                    " user"
                } else {
                    "n admin"
                }
            )));
        }
        Ok(d)
    }

    /// Syncs one user (by the sync's username attribute) from the source of user sync `key`.
    pub async fn sync_user(&self, key: &str, username: &str) -> Result<SyncAnswer> {
        self.require(Grant::WriteResource)?;
        self.directory_of(key, SyncType::User)?;
        let username = username.trim();
        let report = self
            .sync_session()
            .run_sync(key, RunMode::Individual(username.to_string()), Trigger::Api)
            .await?;
        let user_id = self.store().user_by_username(username)?.map(|u| u.id.0);
        answer(username, report, user_id, None)
    }

    /// Syncs one administrator (by email) from the source of admin sync `key`. Owners are never synced.
    pub async fn sync_admin(&self, key: &str, email: &str) -> Result<SyncAnswer> {
        self.require(Grant::Admins)?;
        self.directory_of(key, SyncType::Admin)?;
        let email = email.trim();
        if let Some(op) = self.store().operator(email)? {
            if op.admin.role == AdminRole::Owner {
                return Err(ApiError::validation(format!(
                    "{email} is an Owner; Owners are never synced from a directory."
                )));
            }
        }
        let report = self
            .sync_session()
            .run_sync(key, RunMode::Individual(email.to_string()), Trigger::Api)
            .await?;
        let admin_id = self.store().operator(email)?.map(|o| o.admin.id.0);
        answer(email, report, None, admin_id)
    }

    /// The tenant's user directory syncs.
    pub fn user_syncs(&self) -> Result<Vec<DirectorySyncInfo>> {
        self.require(Grant::ReadResource)?;
        let mut out = Vec::new();
        for d in self.store().directories()? {
            if d.sync_type != SyncType::User {
                continue;
            }
            let kind = self.store().connection(&d.connection_id)?.kind;
            out.push(DirectorySyncInfo {
                directory_key: d.key.0,
                name: d.name,
                directory_type: kind,
                status: d.status,
                paused: d.paused,
                last_sync: d.last_full_sync.map(|t| t.0),
            });
        }
        Ok(out)
    }

    /// The settings.
    pub fn settings(&self) -> Result<Settings> {
        self.require(Grant::Settings)?;
        let t = self.store().tenant()?;
        Ok(Settings {
            name: t.name,
            pending_deletion_days: t.pending_deletion_days,
        })
    }

    /// Changes the trash retention (1 to 365 days).
    pub fn set_pending_deletion_days(&self, days: u32) -> Result<Settings> {
        self.require(Grant::Settings)?;
        if !(1..=365).contains(&days) {
            return Err(ApiError::validation(
                "pending_deletion_days must be between 1 and 365.",
            ));
        }
        let audit = self.audit(
            "customer_update",
            "pending_deletion_days",
            serde_json::json!({"pending_deletion_days": days}),
        );
        self.store().set_retention_audited(days, &audit)?;
        self.settings()
    }

    /// Counts.
    pub fn info_summary(&self) -> Result<InfoSummary> {
        self.require(Grant::Info)?;
        let (users, _, admins) = self.store().duo_counts()?;
        Ok(InfoSummary {
            admin_count: admins,
            integration_count: self.store().api_application_count()?,
            telephony_credits_remaining: 0,
            user_count: users,
            user_pending_deletion_count: self.store().trash_count()?,
        })
    }

    /// A page of the administrator log between `mintime` and `maxtime` (Unix seconds), oldest first.
    pub fn administrator_log(
        &self,
        mintime: i64,
        maxtime: i64,
        offset: u64,
        limit: u64,
        host: &str,
    ) -> Result<Listed<DuoLogEntry>> {
        self.require(Grant::ReadLog)?;
        let (rows, total) = self.store().audit_page(mintime, maxtime, offset, limit)?;
        Ok(Listed {
            items: rows.iter().map(|r| shapes::log_entry(r, host)).collect(),
            total,
        })
    }
}

impl AdminApiDoor<'_> {
    /// A page of the administrator log after `after` (seconds, position), in time order (`desc`:
    /// newest first), with each entry's position, and how many entries the window holds.
    pub fn administrator_log_keyset(
        &self,
        mintime: i64,
        maxtime: i64,
        after: Option<(i64, i64)>,
        desc: bool,
        limit: u64,
        host: &str,
    ) -> Result<(Vec<(i64, DuoLogEntry)>, u64)> {
        self.require(Grant::ReadLog)?;
        let (rows, total) = self
            .store()
            .audit_keyset(mintime, maxtime, after, desc, limit)?;
        Ok((
            rows.iter()
                .map(|r| (r.seq, shapes::log_entry(r, host)))
                .collect(),
            total,
        ))
    }
}

fn answer(
    who: &str,
    report: crate::json::RunReport,
    user_id: Option<String>,
    admin_id: Option<String>,
) -> Result<SyncAnswer> {
    let message = report.message.clone().unwrap_or_default();
    match report.outcome {
        crate::json::RunOutcome::Failed => {
            return Err(ApiError::new(
                Code::SourceUnreachable,
                format!("The sync of {who} failed: {message}"),
            ))
        }
        crate::json::RunOutcome::Held => {
            return Err(ApiError::conflict(format!(
                "The sync of {who} was held: {message}"
            )))
        }
        _ => {}
    }
    let c = &report.counts;
    let result = if c.created > 0 {
        SyncResult::Created
    } else if c.trashed > 0 {
        SyncResult::Trashed
    } else if c.updated + c.disabled + c.enabled + c.restored + c.taken_over + c.purged > 0 {
        SyncResult::Updated
    } else {
        SyncResult::Unchanged
    };
    Ok(SyncAnswer {
        username: who.to_string(),
        result,
        message,
        user_id,
        admin_id,
    })
}
