//! Who may do what, through the application layer every front door uses: one table of every operation
//! against every kind of caller, compared with the seed's rules (brief/domain.md §7 and the Duo text):
//!
//! - Owner, Administrator and User Manager set up and run user syncs; admin syncs are the Owner's only.
//! - A custom role has the seed's two permissions: "External directory configuration" (All: configure user
//!   syncs) and "Run user directory syncs" (All user syncs: full syncs and single users; Individual users:
//!   single users only). Nothing else.
//! - Help Desk edits users; Read-only and the other roles look only. The tenant, its operators and the app-wide
//!   server settings are the Owner's.
//! - `Caller::Local` acts as the tenant's Owner; `Caller::Scheduler` runs syncs (and purges the trash) and
//!   configures nothing.
//!
//! An allowed caller must succeed (an operation that needs a browser must reach the sign-in page); a
//! refused one must get `Forbidden`, with a message naming what it tried and the role(s) it needs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::scim::ScimFlavor;
use roster_api::{
    spec, AdminStatus, ApiError, Caller, Code, ConnectionChoice, ConsentPrompt, DirectoryConfig,
    DirectoryPatch, ManualClock, MemorySecrets, NewTenantOwner, NewUser, Options, PageAt,
    Permission, Roster, RunMode, RunSyncs, Session, Trigger, UserEdit,
};
use roster_core::Timestamp;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TENANT: &str = "Acme";

/// Where Roster's server would be reached, for SCIM base URLs (nothing listens).
const ORIGIN: &str = "http://127.0.0.1:8443";

/// The callers, one column each in [`MATRIX`].
const CALLERS: [Who; 15] = [
    Who::As("olivia@acme.test"), // Own: Owner
    Who::As("adam@acme.test"),   // Adm: Administrator
    Who::As("april@acme.test"),  // App: Application Manager
    Who::As("uma@acme.test"),    // UM: User Manager
    Who::As("sergei@acme.test"), // Sec: Security Analyst
    Who::As("hana@acme.test"),   // HD: Help Desk
    Who::As("bill@acme.test"),   // Bil: Billing
    Who::As("phil@acme.test"),   // Phi: Phishing Manager
    Who::As("rita@acme.test"),   // RO: Read-only
    Who::As("cora@acme.test"),   // cAA: custom, configuration All, run All
    Who::As("carl@acme.test"),   // cAI: custom, configuration All, run Individual users
    Who::As("nina@acme.test"),   // cNA: custom, configuration None, run All
    Who::As("noel@acme.test"),   // cNN: custom, configuration None, run None
    Who::Local,                  // Loc: the person at this computer
    Who::Scheduler,              // Sch: scheduled runs
];

/// The operators behind [`CALLERS`]: email, name, role (a Duo role or a custom role below).
const OPERATORS: [(&str, &str, &str); 13] = [
    ("olivia@acme.test", "Olivia", "Owner"),
    ("adam@acme.test", "Adam", "Administrator"),
    ("april@acme.test", "April", "Application Manager"),
    ("uma@acme.test", "Uma", "User Manager"),
    ("sergei@acme.test", "Sergei", "Security Analyst"),
    ("hana@acme.test", "Hana", "Help Desk"),
    ("bill@acme.test", "Bill", "Billing"),
    ("phil@acme.test", "Phil", "Phishing Manager"),
    ("rita@acme.test", "Rita", "Read-only"),
    ("cora@acme.test", "Cora", "Sync admins"),
    ("carl@acme.test", "Carl", "Sync configurers"),
    ("nina@acme.test", "Nina", "Sync runners"),
    ("noel@acme.test", "Noel", "Watchers"),
];

/// The custom roles: the four combinations of the seed's two permissions that matter.
const CUSTOM_ROLES: [(&str, DirectoryConfig, RunSyncs); 4] = [
    ("Sync admins", DirectoryConfig::All, RunSyncs::All),
    (
        "Sync configurers",
        DirectoryConfig::All,
        RunSyncs::Individual,
    ),
    ("Sync runners", DirectoryConfig::None, RunSyncs::All),
    ("Watchers", DirectoryConfig::None, RunSyncs::None),
];

/// Every operation against every caller: `Y` allowed, `.` refused (`|` only separates the groups of
/// columns). Columns, in the order of [`CALLERS`]:
/// Duo's roles `Own Adm App UM Sec HD Bil Phi RO` | custom roles `cAA cAI cNA cNN` | `Loc Sch`.
#[rustfmt::skip]
const MATRIX: &[(Op, &str)] = &[
    //                               Own Adm App UM  Sec HD  Bil Phi RO | cAA cAI cNA cNN | Loc Sch
    // The tenant.
    (Op::RenameTenant,              "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::ExportTenant,              "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::DeleteTenant,              "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    // The app-wide server settings (address, host names, TLS): the Owner's, like the tenant itself.
    (Op::ChangeServerSettings,      "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    // Operators and custom roles.
    (Op::ListOperators,             "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::AddOperator,               "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::SetOperatorRole,           "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::SetOperatorStatus,         "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::RemoveOperator,            "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::ListRoles,                 "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::CreateRole,                "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::SetOperatorPassphrase,     "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::OperatorsPage,             "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::OperatorDetail,            "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::SwitchTargets,             "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    // User syncs: configuration.
    (Op::AddUserSync,               "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::UpdateUserSync,            "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::PauseUserSync,             "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::DeleteUserSync,            "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::DeleteUserSyncAndConn,     "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::TestConnectionDraft,       "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::DeleteConnection,          "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::SetSecretOfUserSyncConn,   "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::AuthorizeConnection,       "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::ReauthorizeUserSyncConn,   "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::CreateScimIntegration,     "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    (Op::RegenerateScimToken,       "Y   Y   .   Y   .   .   .   .   .  | Y   Y   .   .   | Y   ."),
    // Admin syncs: the Owner's only, their connections too.
    (Op::AddAdminSync,              "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::CreateApiApplication,       "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::ListApiApplications,        "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::ChangeApiGrants,            "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::ResetApiSecret,             "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::DeleteApiApplication,       "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::UpdateAdminSync,           "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::PauseAdminSync,            "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::DeleteAdminSync,           "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::DeleteAdminSyncAndConn,    "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::SetSecretOfAdminSyncConn,  "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::ReauthorizeAdminSyncConn,  "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    // Running syncs.
    (Op::RunUserSync,               "Y   Y   .   Y   .   .   .   .   .  | Y   .   Y   .   | Y   Y"),
    (Op::PreviewUserSync,           "Y   Y   .   Y   .   .   .   .   .  | Y   .   Y   .   | Y   Y"),
    (Op::SyncOneUser,               "Y   Y   .   Y   .   .   .   .   .  | Y   Y   Y   .   | Y   ."),
    (Op::RunAdminSync,              "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   Y"),
    (Op::PreviewAdminSync,          "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   Y"),
    (Op::SyncOneAdmin,              "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::CancelUserSync,            "Y   Y   .   Y   .   .   .   .   .  | Y   .   Y   .   | Y   Y"),
    (Op::CancelAdminSync,           "Y   .   .   .   .   .   .   .   .  | .   .   .   .   | Y   Y"),
    (Op::DiscardUserRun,            "Y   Y   .   Y   .   .   .   .   .  | Y   .   Y   .   | Y   Y"),
    // Looking.
    (Op::ListDirectories,           "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::ListRuns,                  "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::RunDetail,                 "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::RunChanges,                "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::ListConnections,           "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::ListScimIntegrations,      "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::TestConnection,            "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::SearchGroups,              "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::UsersPage,                 "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::TrashPage,                 "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::GroupsPage,                "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::AdminsPage,                "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    // Users by hand.
    (Op::AddUser,                   "Y   Y   .   Y   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::UpdateUser,                "Y   Y   .   Y   .   Y   .   .   .  | .   .   .   .   | Y   ."),
    (Op::TrashUser,                 "Y   Y   .   Y   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::RestoreUser,               "Y   Y   .   Y   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::PurgeTrash,                "Y   Y   .   Y   .   .   .   .   .  | .   .   .   .   | Y   Y"),
    (Op::SetRetention,              "Y   Y   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    // The window's lists, a user's and a group's page, Sync History; purging one user now.
    (Op::UserList,                  "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::TrashList,                 "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::UserDetail,                "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::UserHistory,               "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::GroupList,                 "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::GroupDetail,               "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::GroupMembers,              "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::RunsPage,                  "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::HistorySeries,             "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
    (Op::PurgeUser,                 "Y   Y   .   Y   .   .   .   .   .  | .   .   .   .   | Y   ."),
    // A group's status: the roles that may change a user's status.
    (Op::SetGroupStatus,            "Y   Y   .   Y   .   Y   .   .   .  | .   .   .   .   | Y   ."),
    (Op::SetDefaultThreshold,       "Y   Y   .   .   .   .   .   .   .  | .   .   .   .   | Y   ."),
    (Op::TenantSettings,            "Y   Y   Y   Y   Y   Y   Y   Y   Y  | Y   Y   Y   Y   | Y   Y"),
];

#[derive(Debug, Clone, Copy)]
enum Who {
    As(&'static str),
    Local,
    Scheduler,
}

impl Who {
    fn caller(self) -> Caller {
        match self {
            Who::As(e) => Caller::As(e.into()),
            Who::Local => Caller::Local,
            Who::Scheduler => Caller::Scheduler,
        }
    }

    /// What a refusal of this caller says about who it acts as.
    fn named_in_refusal(self) -> String {
        match self {
            Who::As(e) => format!("({e})"),
            Who::Local => format!("({})", "owner@localhost"),
            Who::Scheduler => "scheduled runs only run syncs".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    RenameTenant,
    ExportTenant,
    DeleteTenant,
    ListOperators,
    AddOperator,
    SetOperatorRole,
    SetOperatorStatus,
    RemoveOperator,
    ListRoles,
    CreateRole,
    SetOperatorPassphrase,
    OperatorsPage,
    OperatorDetail,
    SwitchTargets,
    AddUserSync,
    UpdateUserSync,
    PauseUserSync,
    DeleteUserSync,
    DeleteUserSyncAndConn,
    TestConnectionDraft,
    DeleteConnection,
    SetSecretOfUserSyncConn,
    AuthorizeConnection,
    ReauthorizeUserSyncConn,
    CreateScimIntegration,
    RegenerateScimToken,
    AddAdminSync,
    CreateApiApplication,
    ListApiApplications,
    ChangeApiGrants,
    ResetApiSecret,
    DeleteApiApplication,
    UpdateAdminSync,
    PauseAdminSync,
    DeleteAdminSync,
    DeleteAdminSyncAndConn,
    SetSecretOfAdminSyncConn,
    ReauthorizeAdminSyncConn,
    RunUserSync,
    PreviewUserSync,
    SyncOneUser,
    RunAdminSync,
    PreviewAdminSync,
    SyncOneAdmin,
    CancelUserSync,
    CancelAdminSync,
    DiscardUserRun,
    ListDirectories,
    ListRuns,
    RunDetail,
    RunChanges,
    ListConnections,
    ListScimIntegrations,
    TestConnection,
    SearchGroups,
    UsersPage,
    TrashPage,
    GroupsPage,
    AdminsPage,
    AddUser,
    UpdateUser,
    TrashUser,
    RestoreUser,
    PurgeTrash,
    SetRetention,
    // The window's lists (UI-3).
    UserList,
    TrashList,
    UserDetail,
    UserHistory,
    GroupList,
    GroupDetail,
    GroupMembers,
    RunsPage,
    HistorySeries,
    PurgeUser,
    SetGroupStatus,
    // Settings and operators (UI-2).
    SetDefaultThreshold,
    TenantSettings,
    // The server's settings (app-wide).
    ChangeServerSettings,
}

impl Op {
    /// The permission a refusal names (its action and the roles it needs).
    fn permission(self) -> Permission {
        use Op as O;
        use Permission as P;
        match self {
            O::RenameTenant | O::ExportTenant | O::DeleteTenant => P::ManageTenant,
            O::AddOperator
            | O::SetOperatorRole
            | O::SetOperatorStatus
            | O::RemoveOperator
            | O::CreateRole
            | O::SetOperatorPassphrase => P::ManageOperators,
            O::AddUserSync
            | O::UpdateUserSync
            | O::PauseUserSync
            | O::DeleteUserSync
            | O::DeleteUserSyncAndConn
            | O::TestConnectionDraft
            | O::DeleteConnection
            | O::SetSecretOfUserSyncConn
            | O::AuthorizeConnection
            | O::ReauthorizeUserSyncConn
            | O::CreateScimIntegration
            | O::RegenerateScimToken => P::ConfigureUserSyncs,
            O::CreateApiApplication
            | O::ListApiApplications
            | O::ChangeApiGrants
            | O::ResetApiSecret
            | O::DeleteApiApplication => P::ApiApplications,
            O::AddAdminSync
            | O::UpdateAdminSync
            | O::PauseAdminSync
            | O::DeleteAdminSync
            | O::DeleteAdminSyncAndConn
            | O::SetSecretOfAdminSyncConn
            | O::ReauthorizeAdminSyncConn => P::ConfigureAdminSyncs,
            O::RunUserSync | O::PreviewUserSync | O::CancelUserSync | O::DiscardUserRun => {
                P::RunUserSyncs
            }
            O::SyncOneUser => P::RunIndividualUsers,
            O::RunAdminSync | O::PreviewAdminSync | O::CancelAdminSync => P::RunAdminSyncs,
            O::SyncOneAdmin => P::RunIndividualAdmins,
            O::ListOperators
            | O::ListRoles
            | O::ListDirectories
            | O::ListRuns
            | O::RunDetail
            | O::RunChanges
            | O::ListConnections
            | O::ListScimIntegrations
            | O::TestConnection
            | O::SearchGroups
            | O::UsersPage
            | O::TrashPage
            | O::GroupsPage
            | O::AdminsPage
            | O::UserList
            | O::TrashList
            | O::UserDetail
            | O::UserHistory
            | O::GroupList
            | O::GroupDetail
            | O::GroupMembers
            | O::RunsPage
            | O::HistorySeries
            | O::OperatorsPage
            | O::OperatorDetail
            | O::SwitchTargets
            | O::TenantSettings => P::View,
            O::AddUser | O::TrashUser | O::RestoreUser | O::PurgeUser => P::CreateDeleteUsers,
            O::PurgeTrash => P::PurgeExpiredTrash,
            O::UpdateUser | O::SetGroupStatus => P::UpdateUsers,
            O::SetRetention | O::SetDefaultThreshold => P::TenantSettings,
            O::ChangeServerSettings => P::ServerSettings,
        }
    }

    /// What a refusal says was asked: the permission's action, or, for a connection an admin sync reads,
    /// that connection's sync.
    fn action(self) -> String {
        match self {
            Op::SetSecretOfAdminSyncConn => {
                "Changing the connection of the admin directory sync \"LDAP admins\"".into()
            }
            Op::ReauthorizeAdminSyncConn => {
                "Changing the connection of the admin directory sync \"Entra admins\"".into()
            }
            other => other.permission().action().into(),
        }
    }

    /// Whether it changes the tenant (each caller then gets a fresh copy of it).
    fn changes_the_tenant(self) -> bool {
        self.permission() != Permission::View
    }
}

/// A consent prompt with no browser: it notes that the sign-in page was reached, and fails.
#[derive(Default)]
struct NoBrowser(AtomicBool);

impl ConsentPrompt for NoBrowser {
    fn present(&self, _vendor: &str, url: &str) -> Result<(), String> {
        assert!(
            url.starts_with("http://127.0.0.1:9/"),
            "loopback only: {url}"
        );
        self.0.store(true, Ordering::SeqCst);
        Err("there is no browser in this test".into())
    }
}

/// Consent to a cloud directory, which needs a browser: reaching the sign-in page means the permission
/// check passed; nothing leaves this computer (the vendor's addresses are loopback).
async fn consent<F, Fut>(f: F) -> Result<(), ApiError>
where
    F: FnOnce(Arc<NoBrowser>) -> Fut,
    Fut: std::future::Future<Output = Result<roster_api::json::Connection, ApiError>>,
{
    let prompt = Arc::new(NoBrowser::default());
    match f(prompt.clone()).await {
        Err(e) if e.code == Code::Forbidden => Err(e),
        Err(_) if prompt.0.load(Ordering::SeqCst) => Ok(()),
        Err(e) => Err(e),
        Ok(c) => Err(ApiError::new(
            Code::Unknown,
            format!(
                "consent cannot succeed without a browser, yet {} was saved",
                c.id
            ),
        )),
    }
}

fn entra_settings() -> serde_json::Value {
    json!({
        "tenant": "contoso.onmicrosoft.com",
        "client_id": "00000000-0000-0000-0000-0000000000c1",
        "authority_url": "http://127.0.0.1:9",
        "graph_url": "http://127.0.0.1:9",
    })
}

fn ldap_connection(port: u16) -> serde_json::Value {
    json!({
        "kind": "openldap",
        "servers": [format!("ldaps://127.0.0.1:{port}")],
        "transport": "ldaps",
        "bind_dn": "cn=admin,dc=acme,dc=test",
        "bind_password": "s3cret-pw",
        "base_dn": "dc=acme,dc=test",
    })
}

/// What the template tenant holds, by name.
struct Fixture {
    template: tempfile::TempDir,
    demo_connection: String,
    spare_connection: String,
    ldap_user_connection: String,
    ldap_admin_connection: String,
    entra_user_connection: String,
    entra_admin_connection: String,
    user_sync: String,
    admin_sync: String,
    scim_integration: String,
    api_application: String,
    run_id: i64,
    username: String,
    admin_email: String,
    user_id: String,
    group_id: String,
}

fn roster(dir: &Path) -> Roster {
    Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn key_of(s: &Session<'_>, name: &str) -> String {
    s.list_directories()
        .unwrap()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("the sync {name} exists"))
        .directory_key
}

fn connection_of(s: &Session<'_>, sync: &str) -> String {
    s.list_connections()
        .unwrap()
        .into_iter()
        .find(|c| c.used_by.iter().any(|u| u == sync))
        .unwrap_or_else(|| panic!("a connection is used by {sync}"))
        .id
}

/// The tenant every cell starts from: user and admin syncs over the demo directory, LDAP and Entra ID
/// (the Entra ones imported, as no browser signs in here), an unused connection, the operators of
/// [`OPERATORS`] and a target for operator changes, a run of each demo sync, a user added by hand and one
/// in the trash.
async fn fixture() -> Fixture {
    let template = tempfile::tempdir().unwrap();
    let r = roster(template.path());
    // Built in a first tenant, exported, then imported with the Entra ID connections added.
    r.create_tenant("Base", None).unwrap();
    let base = r.session("Base", &Caller::Local).unwrap();
    let add = |spec: serde_json::Value| {
        base.add_directory(spec::parse(&spec.to_string()).unwrap())
            .unwrap()
    };
    add(json!({"name": "Staff", "type": "user",
        "connection": {"kind": "demo", "seed": 7, "users": 20}}));
    let demo = connection_of(&base, "Staff");
    add(json!({"name": "Admins", "type": "admin", "connection": demo}));
    add(json!({"name": "LDAP staff", "type": "user",
        "groups": ["cn=staff,dc=acme,dc=test"], "connection": ldap_connection(1)}));
    add(json!({"name": "LDAP admins", "type": "admin",
        "roles": {"cn=admins,dc=acme,dc=test": "Administrator"},
        "connection": ldap_connection(2)}));
    let spare = add(json!({"name": "Spare", "type": "user",
        "connection": {"kind": "demo", "seed": 8, "users": 5}}));
    base.delete_directory(&spare.directory_key).unwrap();
    let mut export = serde_json::to_value(base.export_tenant().unwrap()).unwrap();
    let staff = export["directories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Staff")
        .unwrap()
        .clone();
    let admins = export["directories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Admins")
        .unwrap()
        .clone();
    for (id, name, mut record, key) in [
        ("conn-entra-users", "Entra staff", staff, [1u8; 16]),
        ("conn-entra-admins", "Entra admins", admins, [2u8; 16]),
    ] {
        export["connections"].as_array_mut().unwrap().push(json!({
            "id": id, "kind": "entra", "name": name, "config": entra_settings()
        }));
        record["key"] = json!(roster_core::DirectoryKey::from_random(key).as_str());
        record["name"] = json!(name);
        record["connection_id"] = json!(id);
        export["directories"].as_array_mut().unwrap().push(record);
    }
    let export = serde_json::from_value(export).unwrap();
    base.delete_tenant().unwrap();
    r.import_tenant(TENANT, &export).unwrap();

    let s = r.session(TENANT, &Caller::Local).unwrap();
    for (name, config, run) in CUSTOM_ROLES {
        s.create_role(name, config, run).unwrap();
    }
    for (email, name, role) in OPERATORS {
        s.add_operator(email, name, role).unwrap();
    }
    s.add_operator("target@acme.test", "Tara", "Read-only")
        .unwrap();
    let scim_integration = s
        .create_scim_integration("Okta push", ScimFlavor::Okta, ORIGIN)
        .unwrap()
        .directory_key;
    let api_application = s
        .create_api_application("Script", &["read_resource".into()], None, "127.0.0.1")
        .unwrap()
        .ikey;
    let user_sync = key_of(&s, "Staff");
    let admin_sync = key_of(&s, "Admins");
    for key in [&user_sync, &admin_sync] {
        let report = s
            .run_sync(key, RunMode::Full { approve: false }, Trigger::Manual)
            .await
            .unwrap();
        assert_eq!(
            report.outcome,
            roster_api::json::RunOutcome::Succeeded,
            "{}",
            report.message.unwrap_or_default()
        );
    }
    let run_id = s.list_runs(Some(&user_sync), 1).unwrap()[0].run_id;
    let first_user = s
        .users_page("", PageAt::Offset(0), 1)
        .unwrap()
        .rows
        .remove(0);
    let (username, user_id) = (first_user.username, first_user.user_id);
    let group_id = s
        .groups_page("", PageAt::Offset(0), 1)
        .unwrap()
        .rows
        .remove(0)
        .group_id;
    let admin_email = s
        .admins_page("", PageAt::Offset(0), 1000)
        .unwrap()
        .rows
        .into_iter()
        .find(|a| a.managed_by.is_some())
        .expect("the demo admin sync synced administrators")
        .email;
    for username in ["hand.user", "trashed.user"] {
        s.add_user(NewUser {
            username: username.into(),
            ..NewUser::default()
        })
        .unwrap();
    }
    s.trash_user("trashed.user").unwrap();
    let fixture = Fixture {
        demo_connection: demo,
        spare_connection: s
            .list_connections()
            .unwrap()
            .into_iter()
            .find(|c| c.used_by.is_empty())
            .unwrap()
            .id,
        ldap_user_connection: connection_of(&s, "LDAP staff"),
        ldap_admin_connection: connection_of(&s, "LDAP admins"),
        entra_user_connection: connection_of(&s, "Entra staff"),
        entra_admin_connection: connection_of(&s, "Entra admins"),
        user_sync,
        admin_sync,
        scim_integration,
        api_application,
        run_id,
        username,
        admin_email,
        user_id,
        group_id,
        template: tempfile::tempdir().unwrap(),
    };
    drop(s);
    drop(r);
    copy_dir(template.path(), fixture.template.path());
    fixture
}

/// Does `op` in session `s`. Allowed means `Ok`.
async fn perform(op: Op, s: Session<'_>, f: &Fixture) -> Result<(), ApiError> {
    let timeout = Duration::from_secs(30);
    let demo_spec = |name: &str, kind: &str| {
        spec::parse(
            &json!({"name": name, "type": kind, "connection": f.demo_connection}).to_string(),
        )
        .unwrap()
    };
    let rename = |name: &str| DirectoryPatch {
        name: Some(name.into()),
        ..DirectoryPatch::default()
    };
    let run = |key: &str, mode: RunMode| {
        let key = key.to_string();
        let s = &s;
        async move { s.run_sync(&key, mode, Trigger::Manual).await.map(|_| ()) }
    };
    match op {
        Op::RenameTenant => s.rename_tenant("Acme Renamed").map(|_| ()),
        Op::ExportTenant => s.export_tenant().map(|_| ()),
        Op::DeleteTenant => s.delete_tenant(),
        Op::ListOperators => s.list_operators().map(|_| ()),
        Op::AddOperator => s
            .add_operator("new.op@acme.test", "New", "User Manager")
            .map(|_| ()),
        Op::SetOperatorRole => s
            .set_operator_role("target@acme.test", "Help Desk")
            .map(|_| ()),
        Op::SetOperatorStatus => s
            .set_operator_status("target@acme.test", AdminStatus::Disabled)
            .map(|_| ()),
        Op::RemoveOperator => s.remove_operator("target@acme.test"),
        Op::ListRoles => s.list_roles().map(|_| ()),
        Op::SetOperatorPassphrase => s
            .set_operator_passphrase("target@acme.test", Some("correct horse battery"))
            .map(|_| ()),
        Op::OperatorsPage => s
            .operators_page(
                &roster_api::json::OperatorFilter {
                    query: "a".into(),
                    status: None,
                    managed: roster_api::json::ManagedBy::Any,
                    sort: roster_api::json::OperatorSort::Name,
                    descending: false,
                },
                0,
                50,
            )
            .map(|_| ()),
        Op::OperatorDetail => s.operator_detail("target@acme.test").map(|_| ()),
        Op::SwitchTargets => s.switch_targets().map(|_| ()),
        Op::CreateRole => s
            .create_role("New role", DirectoryConfig::None, RunSyncs::Individual)
            .map(|_| ()),
        Op::AddUserSync => s.add_directory(demo_spec("More staff", "user")).map(|_| ()),
        Op::UpdateUserSync => s
            .update_directory(&f.user_sync, rename("Staff renamed"))
            .map(|_| ()),
        Op::PauseUserSync => s.set_paused(&f.user_sync, true).map(|_| ()),
        Op::DeleteUserSync => s.delete_directory(&f.user_sync),
        Op::DeleteUserSyncAndConn => {
            s.delete_directory_with(&key_of(&s, "LDAP staff"), ConnectionChoice::Delete)
        }
        Op::TestConnectionDraft => s
            .test_connection_draft(ldap_connection(1))
            .await
            .map(|_| ()),
        Op::DeleteConnection => s.delete_connection(&f.spare_connection),
        Op::SetSecretOfUserSyncConn => s
            .set_connection_secret(
                &f.ldap_user_connection,
                roster_secrets::Sensitive("new-pw".into()),
            )
            .map(|_| ()),
        Op::AuthorizeConnection => {
            let mut c = entra_settings();
            c["kind"] = json!("entra");
            let spec = spec::parse_connection(c, "connection").unwrap();
            consent(|p| async move { s.authorize_connection(&spec, p.as_ref(), timeout).await })
                .await
        }
        Op::ReauthorizeUserSyncConn => {
            consent(|p| async move {
                s.reauthorize_connection(&f.entra_user_connection, p.as_ref(), timeout)
                    .await
            })
            .await
        }
        Op::CreateScimIntegration => s
            .create_scim_integration("Generic push", ScimFlavor::Generic, ORIGIN)
            .map(|_| ()),
        Op::RegenerateScimToken => s
            .regenerate_scim_token(&f.scim_integration, ORIGIN)
            .map(|_| ()),
        Op::ListScimIntegrations => s.scim_integrations(ORIGIN).map(|_| ()),
        Op::CreateApiApplication => s
            .create_api_application("Another", &["read_log".into()], None, "127.0.0.1")
            .map(|_| ()),
        Op::ListApiApplications => s.api_applications("127.0.0.1").map(|_| ()),
        Op::ChangeApiGrants => s.set_api_grants(&f.api_application, &["settings".into()]),
        Op::ResetApiSecret => s
            .reset_api_secret(&f.api_application, "127.0.0.1")
            .map(|_| ()),
        Op::DeleteApiApplication => s.delete_api_application(&f.api_application),
        Op::AddAdminSync => s
            .add_directory(demo_spec("More admins", "admin"))
            .map(|_| ()),
        Op::UpdateAdminSync => s
            .update_directory(&f.admin_sync, rename("Admins renamed"))
            .map(|_| ()),
        Op::PauseAdminSync => s.set_paused(&f.admin_sync, true).map(|_| ()),
        Op::DeleteAdminSync => s.delete_directory(&f.admin_sync),
        Op::DeleteAdminSyncAndConn => {
            s.delete_directory_with(&key_of(&s, "LDAP admins"), ConnectionChoice::Delete)
        }
        Op::SetSecretOfAdminSyncConn => s
            .set_connection_secret(
                &f.ldap_admin_connection,
                roster_secrets::Sensitive("new-pw".into()),
            )
            .map(|_| ()),
        Op::ReauthorizeAdminSyncConn => {
            consent(|p| async move {
                s.reauthorize_connection(&f.entra_admin_connection, p.as_ref(), timeout)
                    .await
            })
            .await
        }
        Op::RunUserSync => run(&f.user_sync, RunMode::Full { approve: false }).await,
        Op::PreviewUserSync => run(&f.user_sync, RunMode::Preview).await,
        Op::SyncOneUser => run(&f.user_sync, RunMode::Individual(f.username.clone())).await,
        Op::RunAdminSync => run(&f.admin_sync, RunMode::Full { approve: false }).await,
        Op::PreviewAdminSync => run(&f.admin_sync, RunMode::Preview).await,
        Op::SyncOneAdmin => run(&f.admin_sync, RunMode::Individual(f.admin_email.clone())).await,
        // Nothing is running and the run is not held: the permission is checked first, so an allowed
        // caller gets past it to the conflict, and a refused one is refused.
        Op::CancelUserSync => past_permission(s.cancel_run(&f.user_sync)),
        Op::CancelAdminSync => past_permission(s.cancel_run(&f.admin_sync)),
        Op::DiscardUserRun => past_permission(s.discard_held_run(f.run_id).map(|_| ())),
        Op::ListDirectories => s.list_directories().map(|_| ()),
        Op::ListRuns => s.list_runs(None, 10).map(|_| ()),
        Op::RunDetail => s.run_detail(f.run_id).map(|_| ()),
        Op::RunChanges => s.run_changes(f.run_id, 0, 10).map(|_| ()),
        Op::ListConnections => s.list_connections().map(|_| ()),
        Op::TestConnection => s.test_connection(&f.demo_connection).await.map(|_| ()),
        Op::SearchGroups => s.search_groups(&f.demo_connection, "", 5).await.map(|_| ()),
        Op::UsersPage => s.users_page("", PageAt::Offset(0), 10).map(|_| ()),
        Op::TrashPage => s.trash_page("", PageAt::Offset(0), 10).map(|_| ()),
        Op::GroupsPage => s.groups_page("", PageAt::Offset(0), 10).map(|_| ()),
        Op::AdminsPage => s.admins_page("", PageAt::Offset(0), 10).map(|_| ()),
        Op::AddUser => s
            .add_user(NewUser {
                username: "new.user".into(),
                ..NewUser::default()
            })
            .map(|_| ()),
        Op::UpdateUser => s
            .update_user(
                "hand.user",
                UserEdit {
                    email: Some("hand.user@acme.test".into()),
                    ..UserEdit::default()
                },
            )
            .map(|_| ()),
        Op::TrashUser => s.trash_user("hand.user"),
        Op::RestoreUser => s.restore_user("trashed.user"),
        Op::PurgeTrash => s.purge_trash().map(|_| ()),
        Op::SetRetention => s.set_retention_days(14),
        Op::UserList => s.user_list(false, &Default::default(), 0, 10).map(|_| ()),
        Op::TrashList => s.user_list(true, &Default::default(), 0, 10).map(|_| ()),
        Op::UserDetail => s.user_detail(&f.user_id).map(|_| ()),
        Op::UserHistory => s.user_history(&f.user_id, None, 10).map(|_| ()),
        Op::GroupList => s.group_list(&Default::default(), 0, 10).map(|_| ()),
        Op::GroupDetail => s.group_detail(&f.group_id).map(|_| ()),
        Op::GroupMembers => s.group_members(&f.group_id, 0, 10).map(|_| ()),
        Op::RunsPage => s.runs_page(None, None, None, 10).map(|_| ()),
        Op::HistorySeries => s.history_series(10).map(|_| ()),
        Op::PurgeUser => s.purge_user("trashed.user"),
        Op::SetGroupStatus => s
            .set_group_status(&f.group_id, roster_core::GroupStatus::Bypass)
            .map(|_| ()),
        Op::SetDefaultThreshold => s.set_default_deletion_threshold(25).map(|_| ()),
        Op::TenantSettings => s.tenant_settings().map(|_| ()),
        Op::ChangeServerSettings => s.authorize_server_settings(),
    }
}

/// An operation refused only for what it found (nothing to cancel, no held run) got past its permission.
fn past_permission(r: Result<(), ApiError>) -> Result<(), ApiError> {
    match r {
        Err(e) if e.code == Code::Conflict => Ok(()),
        other => other,
    }
}

/// A row of [`MATRIX`]: allowed or not, per caller.
fn row(text: &str) -> Vec<bool> {
    let cells: Vec<bool> = text
        .split_whitespace()
        .filter(|c| *c != "|")
        .map(|c| match c {
            "Y" => true,
            "." => false,
            other => panic!("a matrix cell is Y or ., not {other:?}"),
        })
        .collect();
    assert_eq!(cells.len(), CALLERS.len(), "one cell per caller: {text}");
    cells
}

#[test]
fn the_matrix_lists_every_operation_once() {
    let ops: Vec<Op> = MATRIX.iter().map(|(op, _)| *op).collect();
    for (i, op) in ops.iter().enumerate() {
        assert!(!ops[i + 1..].contains(op), "{op:?} appears twice");
    }
    assert_eq!(ops.len(), 79, "every operation of the Op enum has its row");
    for (_, text) in MATRIX {
        row(text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_against_every_role() {
    let f = fixture().await;
    // Looking changes nothing: one copy serves every caller.
    let shared_dir = tempfile::tempdir().unwrap();
    copy_dir(f.template.path(), shared_dir.path());
    let shared = roster(shared_dir.path());
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for (op, text) in MATRIX {
        let p = op.permission();
        for (who, allowed) in CALLERS.iter().zip(row(text)) {
            let fresh_dir = tempfile::tempdir().unwrap();
            let fresh;
            let r = if op.changes_the_tenant() {
                copy_dir(f.template.path(), fresh_dir.path());
                fresh = roster(fresh_dir.path());
                &fresh
            } else {
                &shared
            };
            let outcome = match r.session(TENANT, &who.caller()) {
                Ok(s) => perform(*op, s, &f).await,
                Err(e) => Err(e),
            };
            checked += 1;
            match (allowed, outcome) {
                (true, Ok(())) => {}
                (true, Err(e)) => disagreements.push(format!(
                    "{op:?} by {who:?} should be allowed, but got {:?}: {}",
                    e.code, e.message
                )),
                (false, Ok(())) => disagreements.push(format!(
                    "{op:?} by {who:?} should be refused, but it succeeded"
                )),
                (false, Err(e)) => {
                    let names_it = e.message.contains(&op.action())
                        && e.message.contains(p.needs())
                        && e.message.contains(&who.named_in_refusal());
                    if e.code != Code::Forbidden || !names_it {
                        disagreements.push(format!(
                            "{op:?} by {who:?} should be refused as Forbidden, saying \"{}\" needs \"{}\" and who acts ({}); got {:?}: {}",
                            op.action(),
                            p.needs(),
                            who.named_in_refusal(),
                            e.code,
                            e.message
                        ))
                    }
                }
            }
        }
    }
    assert_eq!(
        checked,
        MATRIX.len() * CALLERS.len(),
        "every cell was checked"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {checked} cells disagree with the seed's roles:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_disabled_operator_cannot_act_until_an_owner_activates_them() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(f.template.path(), dir.path());
    let r = roster(dir.path());
    let e = r
        .session(TENANT, &Caller::As("nobody@acme.test".into()))
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden, "{}", e.message);
    assert!(
        e.message.contains("nobody@acme.test") && e.message.contains("rosterctl operator list"),
        "the refusal names the email and how to list who may act: {}",
        e.message
    );

    let owner = r.session(TENANT, &Caller::Local).unwrap();
    owner
        .set_operator_status("uma@acme.test", AdminStatus::Disabled)
        .unwrap();
    let e = r
        .session(TENANT, &Caller::As("uma@acme.test".into()))
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden, "{}", e.message);
    assert!(
        e.message.contains("disabled")
            && e.message
                .contains("operator set-status uma@acme.test active"),
        "the refusal says the account is disabled and how to activate it: {}",
        e.message
    );
    owner
        .set_operator_status("uma@acme.test", AdminStatus::Active)
        .unwrap();
    let uma = r
        .session(TENANT, &Caller::As("UMA@acme.test".into()))
        .unwrap();
    uma.set_paused(&f.user_sync, true).unwrap();

    let e = owner
        .set_operator_status("olivia@acme.test", AdminStatus::Disabled)
        .unwrap_err();
    assert_eq!(
        e.code,
        Code::Conflict,
        "Owners cannot be disabled: {}",
        e.message
    );
    let e = owner
        .set_operator_status("adam@acme.test", AdminStatus::Expired)
        .unwrap_err();
    assert_eq!(
        e.code,
        Code::Validation,
        "Expired is not set by hand: {}",
        e.message
    );
    let e = owner
        .set_operator_status(&f.admin_email, AdminStatus::Disabled)
        .unwrap_err();
    assert_eq!(
        e.code,
        Code::Conflict,
        "a synced administrator's status comes from the directory: {}",
        e.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_at_this_computer_acts_as_the_first_owner() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    r.create_tenant(
        TENANT,
        Some(&NewTenantOwner {
            email: "olivia@acme.test".into(),
            name: "Olivia".into(),
        }),
    )
    .unwrap();
    let s = r.session(TENANT, &Caller::Local).unwrap();
    let acting = s.acting_as();
    assert_eq!(
        (acting.email.as_deref(), acting.role_name().as_str()),
        (Some("olivia@acme.test"), "Owner"),
        "Local acts as the tenant's Owner"
    );
    let scheduled = r.session(TENANT, &Caller::Scheduler).unwrap().acting_as();
    assert_eq!(
        (scheduled.email.clone(), scheduled.role_name()),
        (None, "the schedule".to_string()),
        "the scheduler acts as nobody's role"
    );
}
