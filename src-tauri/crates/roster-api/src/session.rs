//! Who asks, in which tenant: every operation goes through a [`Session`] for one tenant and one caller,
//! and checks its permission (roster-core's `access` table) before doing anything, whichever front door
//! asked. Nothing depends on which tenant a window happens to show: a front door names its tenant on every
//! call.
//!
//! `roster.tenant("acme")?.as_caller(&Caller::Local)?.list_directories()`

use crate::error::{ApiError, Code, Result};
use crate::{json, OpenTenant, Roster};
use roster_core::access::{Authority, Permission};
use std::sync::Arc;

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The person at this computer (the desktop app, `rosterctl`): acts as the tenant's first Owner.
    Local,
    /// The person at this computer acting as another of the tenant's operators, by email (`rosterctl
    /// --as EMAIL`, the window's "view as").
    As(String),
    /// The scheduler, running a sync's scheduled runs: it may run syncs and purge the trash, and configure
    /// nothing ([`Authority::Schedule`]).
    Scheduler,
}

/// One tenant, open.
#[derive(Debug)]
pub struct TenantHandle<'r> {
    pub(crate) roster: &'r Roster,
    pub(crate) tenant: Arc<OpenTenant>,
}

/// Who a session acts as.
#[derive(Debug, Clone)]
pub(crate) struct Acting {
    pub(crate) email: Option<String>,
    pub(crate) name: String,
    pub(crate) authority: Authority,
}

/// One tenant and one caller: every tenant operation is a method of a session.
#[derive(Debug)]
pub struct Session<'r> {
    pub(crate) roster: &'r Roster,
    pub(crate) tenant: Arc<OpenTenant>,
    pub(crate) acting: Acting,
}

impl Roster {
    /// A session in the tenant `id_or_name` acting as `caller`: `tenant(id)?.as_caller(caller)` in one.
    pub fn session(&self, id_or_name: &str, caller: &Caller) -> Result<Session<'_>> {
        self.tenant(id_or_name)?.as_caller(caller)
    }
}

impl<'r> TenantHandle<'r> {
    /// The tenant's id.
    pub fn id(&self) -> &str {
        &self.tenant.id
    }

    /// A session acting as `caller`. An operator who does not exist, or is disabled, cannot act.
    pub fn as_caller(&self, caller: &Caller) -> Result<Session<'r>> {
        let store = &self.tenant.store;
        let acting = match caller {
            Caller::Scheduler => Acting {
                email: None,
                name: "the schedule".into(),
                authority: Authority::Schedule,
            },
            Caller::Local => {
                let owner = store.first_owner()?.ok_or_else(|| {
                    ApiError::new(
                        Code::Forbidden,
                        format!(
                            "The tenant \"{}\" has no active Owner, so nobody can act for this computer. Restore an Owner with `rosterctl --as EMAIL operator set-role EMAIL Owner` as an Owner, or import the tenant's configuration again.",
                            self.tenant.id
                        ),
                    )
                })?;
                Acting {
                    email: Some(owner.admin.email),
                    name: owner.admin.name,
                    authority: owner.authority,
                }
            }
            Caller::As(email) => {
                let op = store.operator(email)?.ok_or_else(|| {
                    ApiError::new(
                        Code::Forbidden,
                        format!(
                            "There is no administrator with the email {email} in the tenant \"{}\", so nobody can act as them. Check the email, or list the administrators with `rosterctl operator list`.",
                            self.tenant.id
                        ),
                    )
                })?;
                if op.admin.status != roster_core::AdminStatus::Active {
                    return Err(ApiError::new(
                        Code::Forbidden,
                        format!(
                            "{email} is {} in this tenant and cannot act. An Owner can activate the account with `rosterctl operator set-status {email} active`.",
                            op.admin.status.as_str().to_lowercase()
                        ),
                    ));
                }
                Acting {
                    email: Some(op.admin.email),
                    name: op.admin.name,
                    authority: op.authority,
                }
            }
        };
        Ok(Session {
            roster: self.roster,
            tenant: self.tenant.clone(),
            acting,
        })
    }
}

impl<'r> Session<'r> {
    /// The tenant's id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant.id
    }

    /// Refuses, saying which role is needed, unless the caller may do `p`.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.acting.authority.allows(p) {
            return Ok(());
        }
        Err(self.refusal(p.action(), p.needs()))
    }

    /// A refusal: `action` ("Running admin directory syncs") needs `needs` ("the Owner role"), and who the
    /// caller acts as.
    pub(crate) fn refusal(&self, action: &str, needs: &str) -> ApiError {
        let message = match (&self.acting.authority, &self.acting.email) {
            (Authority::Schedule, _) => {
                format!("{action} needs {needs}; scheduled runs only run syncs. Do it in the app or with rosterctl.")
            }
            (a, Some(e)) => format!(
                "{action} needs {needs}. You act as {} ({e}) in this tenant; ask an Owner.",
                a.name()
            ),
            (a, None) => format!(
                "{action} needs {needs}. You act as {} in this tenant; ask an Owner.",
                a.name()
            ),
        };
        ApiError::new(Code::Forbidden, message)
    }

    /// Who the session acts as, with every permission of the access table and why each missing one is
    /// missing.
    pub fn acting_as(&self) -> json::ActingAs {
        let a = &self.acting.authority;
        let mut acting = json::ActingAs {
            email: self.acting.email.clone(),
            name: self.acting.name.clone(),
            role: match a {
                Authority::Role { role } => Some(*role),
                // An operator with a custom role has Duo's Read-only underneath (roster-store's operators).
                Authority::Custom(_) => Some(roster_core::AdminRole::ReadOnly),
                Authority::Schedule => None,
            },
            custom_role: match a {
                Authority::Custom(c) => Some(c.name.clone()),
                Authority::Role { .. } | Authority::Schedule => None,
            },
            role_name: String::new(),
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| a.allows(*p))
                .collect(),
            refused: Permission::ALL
                .into_iter()
                .filter(|p| !a.allows(*p))
                .map(|p| json::Refusal {
                    permission: p,
                    why: self.refusal(p.action(), p.needs()).message,
                })
                .collect(),
        };
        acting.role_name = acting.role_name();
        acting
    }

    /// The clock's now.
    pub(crate) fn now(&self) -> roster_core::Timestamp {
        self.roster.now()
    }
}
