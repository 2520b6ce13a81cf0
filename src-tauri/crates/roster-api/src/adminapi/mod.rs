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

pub use roster_duo::Grant;

/// The name `rosterctl api --grant` and stored records use: Duo's field without `adminapi_`
/// (`read_resource`, `write_resource`, `admins`, `info`, `read_log`, `settings`, `integrations`).
pub fn grant_name(g: Grant) -> &'static str {
    g.field().trim_start_matches("adminapi_")
}

/// The grant a name stands for: [`grant_name`]'s, Duo's field name or label, or the long forms
/// `administrators` and `read_information`.
pub fn parse_grant(s: &str) -> Option<Grant> {
    match s {
        "administrators" => return Some(Grant::Admins),
        "read_information" => return Some(Grant::Info),
        _ => {}
    }
    Grant::ALL
        .into_iter()
        .find(|g| grant_name(*g) == s)
        .or_else(|| s.parse().ok())
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
        self.app.grants.iter().any(|n| n == grant_name(g))
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
