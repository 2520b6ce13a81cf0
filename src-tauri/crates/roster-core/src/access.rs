//! Who may do what in a tenant: Duo's administrator roles and the custom roles of the seed (brief/domain.md
//! §7), as one pure table the application layer consults before every operation, for every front door.
//!
//! Invariants: the Owner may do everything; admin syncs, Admin API applications, operators, the tenant
//! itself and the app-wide server settings are the Owner's only; user syncs (and SCIM integrations) may be
//! configured by the Owner, an Administrator, a User Manager, or a custom role with "External directory
//! configuration: All", and run by those roles or a custom role with "Run user directory syncs" (all
//! syncs, or individual users only); every role may look. The schedule ([`Authority::Schedule`]) runs the
//! syncs that are due, user and admin syncs alike, and purges the trash; it configures nothing.

use crate::model::AdminRole;
use serde::{Deserialize, Serialize};

/// Something an operator asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the tenant: lists, syncs, runs, connections.
    View,
    /// Add, change or delete user directory syncs, their connections and SCIM integrations.
    ConfigureUserSyncs,
    /// Run user directory syncs (Sync Now, Preview, approving a held run).
    RunUserSyncs,
    /// Sync one user of a user directory sync.
    RunIndividualUsers,
    /// Add, change or delete admin directory syncs.
    ConfigureAdminSyncs,
    /// Run admin directory syncs (Sync Now, Preview, approving a held run).
    RunAdminSyncs,
    /// Sync one administrator of an admin directory sync.
    RunIndividualAdmins,
    /// Add, change or remove the tenant's operators and custom roles.
    ManageOperators,
    /// Create, change or delete Admin API applications.
    ApiApplications,
    /// Add users by hand, or delete them (the trash, restoring from it).
    CreateDeleteUsers,
    /// Delete for good the users whose time in the trash has run out.
    PurgeExpiredTrash,
    /// Edit a user's fields or status by hand.
    UpdateUsers,
    /// Tenant settings (the trash retention).
    TenantSettings,
    /// Rename, export or delete the tenant.
    ManageTenant,
    /// Change the server's address, host names and TLS. App-wide (every tenant's SCIM integrations and
    /// Admin API applications are reached through the one server), so the Owner's only, like the tenant
    /// itself.
    ServerSettings,
}

impl Permission {
    /// Every permission, in the order above.
    pub const ALL: [Permission; 15] = [
        Permission::View,
        Permission::ConfigureUserSyncs,
        Permission::RunUserSyncs,
        Permission::RunIndividualUsers,
        Permission::ConfigureAdminSyncs,
        Permission::RunAdminSyncs,
        Permission::RunIndividualAdmins,
        Permission::ManageOperators,
        Permission::ApiApplications,
        Permission::CreateDeleteUsers,
        Permission::PurgeExpiredTrash,
        Permission::UpdateUsers,
        Permission::TenantSettings,
        Permission::ManageTenant,
        Permission::ServerSettings,
    ];

    /// What the permission lets one do, for refusals ("… needs …").
    pub fn action(self) -> &'static str {
        match self {
            Permission::View => "Looking at this tenant",
            Permission::ConfigureUserSyncs => "Adding, changing or deleting user directory syncs",
            Permission::RunUserSyncs => "Running user directory syncs",
            Permission::RunIndividualUsers => "Syncing an individual user",
            Permission::ConfigureAdminSyncs => "Adding, changing or deleting admin directory syncs",
            Permission::RunAdminSyncs => "Running admin directory syncs",
            Permission::RunIndividualAdmins => "Syncing an individual administrator",
            Permission::ManageOperators => "Managing the tenant's administrators and roles",
            Permission::ApiApplications => "Admin API applications",
            Permission::CreateDeleteUsers => "Adding or deleting users",
            Permission::PurgeExpiredTrash => "Emptying the trash of users whose time has run out",
            Permission::UpdateUsers => "Editing users",
            Permission::TenantSettings => "Changing the tenant's settings",
            Permission::ManageTenant => "Renaming, exporting or deleting the tenant",
            Permission::ServerSettings => "Changing the server's address and certificate",
        }
    }

    /// The roles that allow it, in plain words.
    pub fn needs(self) -> &'static str {
        match self {
            Permission::View => "any administrator role",
            Permission::ConfigureUserSyncs => {
                "the Owner, Administrator or User Manager role, or a custom role with \"External directory configuration: All\""
            }
            Permission::RunUserSyncs => {
                "the Owner, Administrator or User Manager role, or a custom role that may run all user directory syncs"
            }
            Permission::RunIndividualUsers => {
                "the Owner, Administrator or User Manager role, or a custom role that may run user directory syncs (all of them or individual users)"
            }
            Permission::ConfigureAdminSyncs
            | Permission::RunAdminSyncs
            | Permission::RunIndividualAdmins
            | Permission::ManageOperators
            | Permission::ApiApplications
            | Permission::ManageTenant
            | Permission::ServerSettings => "the Owner role",
            Permission::CreateDeleteUsers | Permission::PurgeExpiredTrash => {
                "the Owner, Administrator or User Manager role"
            }
            Permission::UpdateUsers => "the Owner, Administrator, User Manager or Help Desk role",
            Permission::TenantSettings => "the Owner or Administrator role",
        }
    }
}

/// "External directory configuration" of a custom role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryConfig {
    /// May configure user directory syncs.
    All,
    /// May not.
    None,
}

/// "Run user directory syncs" of a custom role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RunSyncs {
    /// Every user directory sync.
    All,
    /// Individual users only.
    Individual,
    /// None.
    None,
}

/// A custom role: a name and the seed's two directory permissions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomRole {
    /// Its name (unique in the tenant, case-insensitive).
    pub name: String,
    /// External directory configuration.
    pub directory_config: DirectoryConfig,
    /// Run user directory syncs.
    pub run_syncs: RunSyncs,
}

/// What an operator acts with: one of Duo's roles, or a custom role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Authority {
    /// A built-in role.
    Role {
        /// The role.
        role: AdminRole,
    },
    /// A custom role.
    Custom(CustomRole),
    /// The schedule: runs the syncs that are due and purges the trash, and nothing else. No operator has
    /// it; it is what scheduled runs act with.
    Schedule,
}

impl Authority {
    /// Whether it allows `p`.
    pub fn allows(&self, p: Permission) -> bool {
        use AdminRole as R;
        use Permission as P;
        match self {
            Authority::Role { role } => match p {
                P::View => true,
                P::ConfigureAdminSyncs
                | P::RunAdminSyncs
                | P::RunIndividualAdmins
                | P::ManageOperators
                | P::ApiApplications
                | P::ManageTenant
                | P::ServerSettings => *role == R::Owner,
                P::ConfigureUserSyncs
                | P::RunUserSyncs
                | P::RunIndividualUsers
                | P::CreateDeleteUsers
                | P::PurgeExpiredTrash => {
                    matches!(role, R::Owner | R::Administrator | R::UserManager)
                }
                P::UpdateUsers => matches!(
                    role,
                    R::Owner | R::Administrator | R::UserManager | R::HelpDesk
                ),
                P::TenantSettings => matches!(role, R::Owner | R::Administrator),
            },
            Authority::Custom(c) => match p {
                P::View => true,
                P::ConfigureUserSyncs => c.directory_config == DirectoryConfig::All,
                P::RunUserSyncs => c.run_syncs == RunSyncs::All,
                P::RunIndividualUsers => c.run_syncs != RunSyncs::None,
                P::ConfigureAdminSyncs
                | P::RunAdminSyncs
                | P::RunIndividualAdmins
                | P::ManageOperators
                | P::ApiApplications
                | P::CreateDeleteUsers
                | P::PurgeExpiredTrash
                | P::UpdateUsers
                | P::TenantSettings
                | P::ManageTenant
                | P::ServerSettings => false,
            },
            Authority::Schedule => match p {
                P::View | P::RunUserSyncs | P::RunAdminSyncs | P::PurgeExpiredTrash => true,
                P::ConfigureUserSyncs
                | P::RunIndividualUsers
                | P::ConfigureAdminSyncs
                | P::RunIndividualAdmins
                | P::ManageOperators
                | P::ApiApplications
                | P::CreateDeleteUsers
                | P::UpdateUsers
                | P::TenantSettings
                | P::ManageTenant
                | P::ServerSettings => false,
            },
        }
    }

    /// The role's name, as refusals and lists show it.
    pub fn name(&self) -> String {
        match self {
            Authority::Role { role } => role.as_str().to_string(),
            Authority::Custom(c) => format!("{} (custom role)", c.name),
            Authority::Schedule => "the schedule".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(r: AdminRole) -> Authority {
        Authority::Role { role: r }
    }

    fn custom(d: DirectoryConfig, r: RunSyncs) -> Authority {
        Authority::Custom(CustomRole {
            name: "Sync operators".into(),
            directory_config: d,
            run_syncs: r,
        })
    }

    #[test]
    fn the_seeds_table() {
        use AdminRole as R;
        use Permission as P;
        let sync_managers = [R::Owner, R::Administrator, R::UserManager];
        for r in AdminRole::ALL {
            let a = role(r);
            assert!(a.allows(P::View), "{r:?} may look");
            assert_eq!(
                a.allows(P::ConfigureUserSyncs),
                sync_managers.contains(&r),
                "user syncs: Owner, Administrator or User Manager ({r:?})"
            );
            assert_eq!(a.allows(P::RunUserSyncs), sync_managers.contains(&r));
            assert_eq!(
                a.allows(P::ConfigureAdminSyncs),
                r == R::Owner,
                "admin syncs are the Owner's only ({r:?})"
            );
            assert_eq!(a.allows(P::RunAdminSyncs), r == R::Owner);
            assert_eq!(a.allows(P::RunIndividualAdmins), r == R::Owner);
            assert_eq!(a.allows(P::ApiApplications), r == R::Owner);
            assert_eq!(a.allows(P::ManageOperators), r == R::Owner);
        }
        assert!(
            !role(R::ReadOnly).allows(P::UpdateUsers),
            "Read-only looks only"
        );
        assert!(
            role(R::HelpDesk).allows(P::UpdateUsers),
            "Help Desk edits users"
        );
        assert!(
            !role(R::HelpDesk).allows(P::CreateDeleteUsers),
            "but cannot create or delete them"
        );
    }

    #[test]
    fn custom_roles_have_the_two_seed_permissions_and_no_more() {
        use Permission as P;
        let config_all = custom(DirectoryConfig::All, RunSyncs::None);
        assert!(config_all.allows(P::ConfigureUserSyncs));
        assert!(!config_all.allows(P::RunUserSyncs) && !config_all.allows(P::RunIndividualUsers));
        let individual = custom(DirectoryConfig::None, RunSyncs::Individual);
        assert!(individual.allows(P::RunIndividualUsers));
        assert!(
            !individual.allows(P::RunUserSyncs),
            "individual users only is not every sync"
        );
        assert!(!individual.allows(P::ConfigureUserSyncs));
        let all = custom(DirectoryConfig::All, RunSyncs::All);
        for p in [
            P::ConfigureAdminSyncs,
            P::RunAdminSyncs,
            P::RunIndividualAdmins,
            P::PurgeExpiredTrash,
            P::ApiApplications,
            P::ManageOperators,
            P::CreateDeleteUsers,
            P::ManageTenant,
            P::ServerSettings,
        ] {
            assert!(!all.allows(p), "a custom role never allows {p:?}");
        }
        assert!(all.allows(P::View));
        assert_eq!(all.name(), "Sync operators (custom role)");
    }

    #[test]
    fn the_schedule_runs_what_is_due_and_configures_nothing() {
        use Permission as P;
        let s = Authority::Schedule;
        for p in [
            P::View,
            P::RunUserSyncs,
            P::RunAdminSyncs,
            P::PurgeExpiredTrash,
        ] {
            assert!(s.allows(p), "scheduled runs need {p:?}");
        }
        for p in [
            P::ConfigureUserSyncs,
            P::ConfigureAdminSyncs,
            P::RunIndividualUsers,
            P::RunIndividualAdmins,
            P::ManageOperators,
            P::ApiApplications,
            P::CreateDeleteUsers,
            P::UpdateUsers,
            P::TenantSettings,
            P::ManageTenant,
            P::ServerSettings,
        ] {
            assert!(!s.allows(p), "the schedule never does {p:?}");
        }
    }
}
