//! Who acts, and the tenant's operators and settings, as the window shows them.

use roster_core::access::Permission;
use roster_core::{AdminRole, AdminStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Who a session acts as, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ActingAs {
    /// Email, when an operator acts (the schedule has none).
    pub email: Option<String>,
    /// Name.
    pub name: String,
    /// Duo's role (Read-only under a custom role); `null` for the schedule, which has none.
    pub role: Option<AdminRole>,
    /// The custom role's name, for operators with one.
    pub custom_role: Option<String>,
    /// The role as people read it ("Owner", "Sync operators (custom role)", "the schedule").
    pub role_name: String,
    /// What the role allows, as the application layer checks it: the window offers what is here and
    /// says why the rest is missing ([`Self::refused`]). The application layer still refuses whatever
    /// the window would not offer.
    pub permissions: Vec<Permission>,
    /// Every permission the role lacks, with what a refusal of it says.
    pub refused: Vec<Refusal>,
}

/// A permission the acting operator lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Refusal {
    /// The permission.
    pub permission: Permission,
    /// Why not, in the words of a refusal ("Running admin directory syncs needs the Owner role. You act
    /// as …").
    pub why: String,
}

/// The name of a role as people read it: Duo's role, or "NAME (custom role)".
fn role_name(role: AdminRole, custom_role: Option<&str>) -> String {
    match custom_role {
        Some(c) => format!("{c} (custom role)"),
        None => role.as_str().to_string(),
    }
}

impl ActingAs {
    /// The role as people read it ("Owner", "Sync operators (custom role)", "the schedule").
    pub fn role_name(&self) -> String {
        match self.role {
            Some(r) => role_name(r, self.custom_role.as_deref()),
            None => "the schedule".to_string(),
        }
    }

    /// Whether the acting operator may do `p`.
    pub fn may(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }
}

/// An operator of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Operator {
    /// Email: the operator's key.
    pub email: String,
    /// Name.
    pub name: String,
    /// Duo's role (Read-only under a custom role).
    pub role: AdminRole,
    /// The custom role's name, for operators with one.
    pub custom_role: Option<String>,
    /// The role as people read it.
    pub role_name: String,
    /// Status.
    pub status: AdminStatus,
    /// The sync that manages it, if one does (its name, role and status come from the directory).
    pub managed_by: Option<String>,
    /// That sync's key.
    pub managed_by_key: Option<String>,
    /// When a sync last updated it (RFC 3339).
    pub last_directory_sync: Option<String>,
    /// Whether it has a local passphrase (others can switch to it by entering it).
    pub has_passphrase: bool,
}

impl Operator {
    /// The role as people read it ("Owner", "Sync operators (custom role)").
    pub fn role_name(&self) -> String {
        role_name(self.role, self.custom_role.as_deref())
    }

    pub(crate) fn from_store(o: roster_store::Operator) -> Self {
        let custom_role = match &o.authority {
            roster_core::access::Authority::Custom(c) => Some(c.name.clone()),
            _ => None,
        };
        Operator {
            role_name: role_name(o.admin.role, custom_role.as_deref()),
            role: o.admin.role,
            custom_role,
            email: o.admin.email,
            name: o.admin.name,
            status: o.admin.status,
            managed_by: o.managed_by_name,
            managed_by_key: o.admin.managed_by.map(|k| k.0),
            last_directory_sync: o.admin.last_directory_sync.map(|t| t.to_rfc3339()),
            has_passphrase: o.has_passphrase,
        }
    }
}

/// An operator the window can switch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SwitchTarget {
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// The role as people read it.
    pub role_name: String,
    /// Whether it is who the window acts as now.
    pub current: bool,
    /// Whether switching asks for its passphrase.
    pub needs_passphrase: bool,
}

/// What a list of operators is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OperatorSort {
    /// Email.
    Email,
    /// Name.
    Name,
    /// Role.
    Role,
    /// Status.
    Status,
    /// The managing sync.
    ManagedBy,
}

/// Which operators a list shows, and in which order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OperatorFilter {
    /// Text in the name or email; empty for all.
    pub query: String,
    /// Only this status.
    pub status: Option<AdminStatus>,
    /// Only these operators.
    pub managed: super::ManagedBy,
    /// Order.
    pub sort: OperatorSort,
    /// Reverse order.
    pub descending: bool,
}

/// A tenant's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TenantSettings {
    /// Days a deleted user stays in the trash before it is deleted for good.
    pub pending_deletion_days: u32,
    /// The deletion threshold (percent) new syncs start with.
    pub default_deletion_threshold_percent: u8,
}
