//! Tauri commands: extraction plus one call into the application layer each. Arguments are snake_case
//! (src-tauri/ipc-contract.md); errors cross as `{code, message}`. Every command about a tenant names it
//! (`tenant`): which tenant the window shows is the window's state, never the application layer's.

use crate::AppState;
use roster_api::{json, spec, ApiError, DirectoryPatch, RunMode, Session, Trigger};
use tauri::State;

// Administrators, who acts, and Settings (issue 13, UI-2).
pub mod operators;
pub mod settings;
// Issue 13's sync screens (UI-1).
#[path = "commands/user_sync.rs"]
pub mod user_sync;
// UI-3: the lists, a user's and a group's page, the trash, Sync History.
pub mod lists;
// Settings: the server's address and certificate, Admin API grants.
pub mod server_settings;

type Res<T> = Result<T, ApiError>;

/// The session of a command: the tenant it names, acting as whom the window acts as there (the person at
/// this computer unless the window switched operator: [`operators::Acting`]).
fn session<'a>(state: &'a AppState, tenant: &str) -> Res<Session<'a>> {
    let t = state.roster.tenant(tenant)?;
    let caller = state.acting.caller(t.id(), &state.caller);
    t.as_caller(&caller)
}

#[tauri::command(rename_all = "snake_case")]
pub fn app_limits() -> json::AppLimits {
    roster_api::app_limits()
}

/// Every kind of connection Roster knows, in the order the window offers them: names, how each is
/// reached, which syncs it has, which secrets it keeps.
#[tauri::command(rename_all = "snake_case")]
pub fn connection_kinds() -> Vec<json::ConnectionKindInfo> {
    roster_api::connection_kinds()
}

#[tauri::command(rename_all = "snake_case")]
pub fn tenant_list(state: State<'_, AppState>) -> Res<Vec<json::Tenant>> {
    state.roster.list_tenants()
}

#[tauri::command(rename_all = "snake_case")]
pub fn tenant_create(state: State<'_, AppState>, name: String) -> Res<json::Tenant> {
    state.roster.create_tenant(&name, None)
}

#[tauri::command(rename_all = "snake_case")]
pub fn tenant_switch(state: State<'_, AppState>, id: String) -> Res<json::Tenant> {
    state.roster.remember_tenant(&id)
}

#[tauri::command(rename_all = "snake_case")]
pub fn tenant_rename(state: State<'_, AppState>, id: String, name: String) -> Res<json::Tenant> {
    session(&state, &id)?.rename_tenant(&name)
}

#[tauri::command(rename_all = "snake_case")]
pub fn tenant_delete(state: State<'_, AppState>, id: String) -> Res<()> {
    session(&state, &id)?.delete_tenant()
}

#[tauri::command(rename_all = "snake_case")]
pub fn directory_list(
    state: State<'_, AppState>,
    tenant: String,
) -> Res<Vec<json::DirectorySummary>> {
    session(&state, &tenant)?.list_directories()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn directory_add<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    tenant: String,
    spec: serde_json::Value,
) -> Res<json::AddedDirectory> {
    let mut spec = spec::parse(&spec.to_string())?;
    spec.read_files()?; // the admin's own machine: a CA certificate file may be named
    session(&state, &tenant)?
        .add_directory_signed_in(
            spec,
            &BrowserPrompt(app),
            roster_api::DEFAULT_CONSENT_TIMEOUT,
        )
        .await
}

/// Changes a directory sync's settings (name, groups, attributes, interval, threshold, or its place in
/// the order of precedence among the syncs of its type).
#[tauri::command(rename_all = "snake_case")]
pub fn directory_update(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
    patch: DirectoryPatch,
) -> Res<json::DirectorySummary> {
    session(&state, &tenant)?.update_directory(&key, patch)
}

#[tauri::command(rename_all = "snake_case")]
pub fn directory_pause(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
) -> Res<json::DirectorySummary> {
    session(&state, &tenant)?.set_paused(&key, true)
}

#[tauri::command(rename_all = "snake_case")]
pub fn directory_resume(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
) -> Res<json::DirectorySummary> {
    session(&state, &tenant)?.set_paused(&key, false)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_run(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
    dry_run: bool,
    approve: bool,
) -> Res<json::RunReport> {
    let mode = if dry_run {
        RunMode::Preview
    } else {
        RunMode::Full { approve }
    };
    session(&state, &tenant)?
        .run_sync(&key, mode, Trigger::Manual)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_user(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
    username: String,
) -> Res<json::RunReport> {
    session(&state, &tenant)?
        .run_sync(&key, RunMode::Individual(username), Trigger::Manual)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub fn runs_list(
    state: State<'_, AppState>,
    tenant: String,
    key: Option<String>,
    limit: u32,
) -> Res<Vec<json::RunSummary>> {
    session(&state, &tenant)?.list_runs(key.as_deref(), limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn run_detail(state: State<'_, AppState>, tenant: String, run_id: i64) -> Res<json::RunReport> {
    session(&state, &tenant)?.run_detail(run_id)
}

/// A page of a run's change log, from position `from` (0 first): what `run_detail` left out.
#[tauri::command(rename_all = "snake_case")]
pub fn run_changes(
    state: State<'_, AppState>,
    tenant: String,
    run_id: i64,
    from: u64,
    limit: u64,
) -> Res<json::ChangePage> {
    session(&state, &tenant)?.run_changes(run_id, from, limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn users_page(
    state: State<'_, AppState>,
    tenant: String,
    query: String,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::UserRow>> {
    session(&state, &tenant)?.users_page(&query, roster_api::PageAt::Offset(offset), limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn groups_page(
    state: State<'_, AppState>,
    tenant: String,
    query: String,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::GroupRow>> {
    session(&state, &tenant)?.groups_page(&query, roster_api::PageAt::Offset(offset), limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn admins_page(
    state: State<'_, AppState>,
    tenant: String,
    query: String,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::AdminRow>> {
    session(&state, &tenant)?.admins_page(&query, roster_api::PageAt::Offset(offset), limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn trash_page(
    state: State<'_, AppState>,
    tenant: String,
    query: String,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::UserRow>> {
    session(&state, &tenant)?.trash_page(&query, roster_api::PageAt::Offset(offset), limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn connection_list(state: State<'_, AppState>, tenant: String) -> Res<Vec<json::Connection>> {
    session(&state, &tenant)?.list_connections()
}

/// Enters a connection's secret again (an LDAP bind password, a Google client secret). The secret goes
/// straight to the secret store; it is never logged, echoed or kept here.
#[tauri::command(rename_all = "snake_case")]
pub fn connection_set_secret(
    state: State<'_, AppState>,
    tenant: String,
    id: String,
    secret: String,
) -> Res<json::Connection> {
    session(&state, &tenant)?.set_connection_secret(&id, roster_secrets::Sensitive(secret))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_test(
    state: State<'_, AppState>,
    tenant: String,
    id: String,
) -> Res<Vec<json::ConnectionCheck>> {
    session(&state, &tenant)?.test_connection(&id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_groups(
    state: State<'_, AppState>,
    tenant: String,
    id: String,
    query: String,
    limit: usize,
) -> Res<Vec<roster_core::source::GroupSummary>> {
    session(&state, &tenant)?
        .search_groups(&id, &query, limit)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_test_draft(
    state: State<'_, AppState>,
    tenant: String,
    connection: serde_json::Value,
) -> Res<Vec<json::ConnectionCheck>> {
    session(&state, &tenant)?
        .test_connection_draft(connection)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_groups_draft(
    state: State<'_, AppState>,
    tenant: String,
    connection: serde_json::Value,
    query: String,
    limit: usize,
) -> Res<Vec<roster_core::source::GroupSummary>> {
    session(&state, &tenant)?
        .search_groups_draft(connection, &query, limit)
        .await
}

/// Shows a cloud sign-in page: opens the system browser (unless `ROSTER_NO_BROWSER` is set, as in the UI
/// tests, where the test drives the page itself) and tells the window, which also offers the link.
struct BrowserPrompt<R: tauri::Runtime>(tauri::AppHandle<R>);

impl<R: tauri::Runtime> roster_api::ConsentPrompt for BrowserPrompt<R> {
    fn present(&self, vendor: &str, url: &str) -> Result<(), String> {
        use tauri::Emitter;
        let _ = self.0.emit(
            "consent-progress",
            json::ConsentProgress {
                state: json::ConsentState::Waiting,
                authorization_url: url.to_string(),
                vendor: vendor.to_string(),
            },
        );
        if std::env::var_os("ROSTER_NO_BROWSER").is_some() {
            return Ok(());
        }
        // A browser that fails to open is not fatal: the window shows the link to open by hand.
        if let Err(e) = open::that_detached(url) {
            tracing::warn!("could not open the system browser: {e}");
        }
        Ok(())
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_authorize<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    tenant: String,
    connection: serde_json::Value,
) -> Res<json::Connection> {
    let spec = spec::parse_connection(connection, "connection")?;
    session(&state, &tenant)?
        .authorize_connection(
            &spec,
            &BrowserPrompt(app),
            roster_api::DEFAULT_CONSENT_TIMEOUT,
        )
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_reauthorize<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    tenant: String,
    id: String,
) -> Res<json::Connection> {
    session(&state, &tenant)?
        .reauthorize_connection(
            &id,
            &BrowserPrompt(app),
            roster_api::DEFAULT_CONSENT_TIMEOUT,
        )
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub fn consent_cancel(state: State<'_, AppState>) -> Res<()> {
    state.roster.cancel_consent();
    Ok(())
}

/// Deletes a directory sync or a SCIM integration (its users stay, no longer managed).
#[tauri::command(rename_all = "snake_case")]
pub fn directory_delete(state: State<'_, AppState>, tenant: String, key: String) -> Res<()> {
    session(&state, &tenant)?.delete_directory(&key)
}

/// The tenant's SCIM integrations.
#[tauri::command(rename_all = "snake_case")]
pub fn scim_list(
    state: State<'_, AppState>,
    tenant: String,
) -> Res<Vec<roster_api::scim::ScimIntegration>> {
    session(&state, &tenant)?.scim_integrations(&state.server.origin())
}

/// Adds a SCIM integration and starts the server if it was not serving. The answer carries the bearer
/// token, the only time it is shown.
#[tauri::command(rename_all = "snake_case")]
pub async fn scim_create(
    state: State<'_, AppState>,
    tenant: String,
    name: String,
    flavor: roster_api::scim::ScimFlavor,
) -> Res<roster_api::scim::IssuedToken> {
    let mut issued =
        session(&state, &tenant)?.create_scim_integration(&name, flavor, &state.server.origin())?;
    // The first integration starts the server, which may only now know its port.
    state.server.ensure().await;
    issued.base_url = roster_api::scim::base_url(&state.server.origin(), &issued.directory_key);
    Ok(issued)
}

/// Replaces an integration's bearer token (the old one stops working at once).
#[tauri::command(rename_all = "snake_case")]
pub fn scim_regenerate(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
) -> Res<roster_api::scim::IssuedToken> {
    session(&state, &tenant)?.regenerate_scim_token(&key, &state.server.origin())
}

/// The API hostname Admin API clients sign by default: the host of the server's public origin.
fn api_host(state: &AppState) -> String {
    url::Url::parse(&state.server.origin())
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "127.0.0.1".into())
}

/// The tenant's Admin API applications (never a secret key).
#[tauri::command(rename_all = "snake_case")]
pub fn api_list(
    state: State<'_, AppState>,
    tenant: String,
) -> Res<Vec<roster_api::api_apps::ApiApplicationInfo>> {
    session(&state, &tenant)?.api_applications(&api_host(&state))
}

/// Adds an Admin API application and starts the server if it was not serving. The answer carries the
/// secret key, the only time it is shown.
#[tauri::command(rename_all = "snake_case")]
pub async fn api_create(
    state: State<'_, AppState>,
    tenant: String,
    name: String,
    grants: Vec<String>,
) -> Res<roster_api::api_apps::IssuedApiKeys> {
    let issued = session(&state, &tenant)?.create_api_application(
        &name,
        &grants,
        None,
        &api_host(&state),
    )?;
    state.server.ensure().await;
    Ok(issued)
}

/// Replaces an application's grants.
#[tauri::command(rename_all = "snake_case")]
pub fn api_set_grants(
    state: State<'_, AppState>,
    tenant: String,
    ikey: String,
    grants: Vec<String>,
) -> Res<()> {
    session(&state, &tenant)?.set_api_grants(&ikey, &grants)
}

/// Gives an application a new secret key (the old one stops working at once).
#[tauri::command(rename_all = "snake_case")]
pub fn api_reset_secret(
    state: State<'_, AppState>,
    tenant: String,
    ikey: String,
) -> Res<roster_api::api_apps::IssuedApiKeys> {
    session(&state, &tenant)?.reset_api_secret(&ikey, &api_host(&state))
}

/// Deletes an application; its keys stop working at once.
#[tauri::command(rename_all = "snake_case")]
pub fn api_delete(state: State<'_, AppState>, tenant: String, ikey: String) -> Res<()> {
    session(&state, &tenant)?.delete_api_application(&ikey)
}

/// Whether Roster's server is serving, where, and why not.
#[tauri::command(rename_all = "snake_case")]
pub fn server_status(state: State<'_, AppState>) -> crate::server::ServerStatus {
    state.server.status()
}
