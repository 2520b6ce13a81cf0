//! The Admin API's operations: what a request signed by an Admin API application may do in its tenant,
//! answered as Duo's objects ([`shapes`]). The wire (signatures, parameters, envelope, paging metadata,
//! error bodies) is `roster-duo`'s and the HTTP door `roster-server`'s; this module decides.
//!
//! Invariants:
//! - an application acts with its grants only: every operation checks its grant first
//!   ([`AdminApiDoor::require`]) and a missing one is [`Code::Forbidden`] (Duo's 40301);
//! - every change is written with its audit entry in one transaction, naming the application;
//! - lists are read one page at a time from the store (LIMIT/OFFSET), with the total count.

use crate::error::{ApiError, Code, Result};
use crate::{OpenTenant, Roster};
use roster_store::{ActorKind, ApiApplication, AuditEntry};
use std::sync::Arc;

mod directory;
mod misc;
pub mod shapes;
mod users;

pub use misc::{DirectorySyncInfo, InfoSummary, Settings, SyncAnswer, SyncResult};
pub use users::UserWrite;

/// Duo's Admin API permissions of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grant {
    /// Grant administrators.
    Administrators,
    /// Grant read information.
    ReadInformation,
    /// Grant read log.
    ReadLog,
    /// Grant read resource.
    ReadResource,
    /// Grant settings.
    Settings,
    /// Grant write resource.
    WriteResource,
}

impl Grant {
    /// Every grant.
    pub const ALL: [Grant; 6] = [
        Grant::Administrators,
        Grant::ReadInformation,
        Grant::ReadLog,
        Grant::ReadResource,
        Grant::Settings,
        Grant::WriteResource,
    ];

    /// The name `rosterctl api` and stored records use.
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::Administrators => "administrators",
            Grant::ReadInformation => "read_information",
            Grant::ReadLog => "read_log",
            Grant::ReadResource => "read_resource",
            Grant::Settings => "settings",
            Grant::WriteResource => "write_resource",
        }
    }

    /// Duo's integration field (`adminapi_read_resource`, …).
    pub fn duo_field(self) -> &'static str {
        match self {
            Grant::Administrators => "adminapi_admins",
            Grant::ReadInformation => "adminapi_info",
            Grant::ReadLog => "adminapi_read_log",
            Grant::ReadResource => "adminapi_read_resource",
            Grant::Settings => "adminapi_settings",
            Grant::WriteResource => "adminapi_write_resource",
        }
    }

    /// Duo's label ("Grant read resource").
    pub fn label(self) -> &'static str {
        match self {
            Grant::Administrators => "Grant administrators",
            Grant::ReadInformation => "Grant read information",
            Grant::ReadLog => "Grant read log",
            Grant::ReadResource => "Grant read resource",
            Grant::Settings => "Grant settings",
            Grant::WriteResource => "Grant write resource",
        }
    }

    /// The grant a name stands for: ours, or Duo's field name.
    pub fn parse(s: &str) -> Option<Grant> {
        Grant::ALL
            .into_iter()
            .find(|g| g.as_str() == s || g.duo_field() == s)
    }
}

/// A page of a list: its items and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// This page.
    pub items: Vec<T>,
    /// How many in all.
    pub total: u64,
}

/// What an Admin API request may act on, once its signature has been checked: the application's
/// tenant, with the application's grants as its only authority.
pub struct AdminApiDoor<'r> {
    pub(crate) roster: &'r Roster,
    pub(crate) tenant: Arc<OpenTenant>,
    pub(crate) app: ApiApplication,
}

impl std::fmt::Debug for AdminApiDoor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApiDoor")
            .field("tenant", &self.tenant.id)
            .field("ikey", &self.app.ikey)
            .finish()
    }
}

impl<'r> AdminApiDoor<'r> {
    pub(crate) fn new(roster: &'r Roster, tenant: Arc<OpenTenant>, app: ApiApplication) -> Self {
        AdminApiDoor {
            roster,
            tenant,
            app,
        }
    }

    /// The application's integration key.
    pub fn ikey(&self) -> &str {
        &self.app.ikey
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.app.name
    }

    /// The tenant's id.
    pub fn tenant(&self) -> &str {
        &self.tenant.id
    }

    /// Whether the application has `g`.
    pub fn has(&self, g: Grant) -> bool {
        self.app.grants.iter().any(|n| n == g.as_str())
    }

    /// Refuses (Duo's 40301) unless the application has `g`.
    pub fn require(&self, g: Grant) -> Result<()> {
        if self.has(g) {
            return Ok(());
        }
        Err(ApiError::new(
            Code::Forbidden,
            format!(
                "The Admin API application \"{}\" does not have the \"{}\" permission this request needs. An Owner can add it with `rosterctl api grants {} --grant …`.",
                self.app.name,
                g.label(),
                self.app.ikey
            ),
        ))
    }

    /// Records that the application was used now (at most one write a minute).
    pub fn touch(&self) -> Result<()> {
        Ok(self
            .tenant
            .store
            .touch_api_application(&self.app.ikey, self.roster.now())?)
    }

    pub(crate) fn store(&self) -> &roster_store::Store {
        &self.tenant.store
    }

    pub(crate) fn audit(
        &self,
        action: &str,
        object: &str,
        description: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            at: self.roster.now(),
            actor_kind: ActorKind::Api,
            actor: self.app.name.clone(),
            action: action.into(),
            object: object.into(),
            description,
        }
    }
}
