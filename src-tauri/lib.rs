//! Roster's desktop shell: a Tauri window over the application layer.
//!
//! What it owns: building the [`roster_api::Roster`] for the desktop (data directory, keychain, system
//! clock, window events), the thin commands in [`commands`] (extraction plus one call each), forwarding
//! engine progress to the window as `sync-progress` events ([`events`]), and the scheduler's lifetime
//! (started with the window, stopped on exit).
//!
//! What it must not do: hold business logic, SQL or user-facing decisions; those live in the crates under
//! `src-tauri/crates/`. This is the only crate that depends on Tauri.

mod commands;
mod events;
mod server;

use roster_api::{Options, Roster};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{Manager, Runtime};

/// What every command reaches through `State`.
pub struct AppState {
    /// The application.
    pub roster: Arc<Roster>,
    /// Who the window acts as in a tenant until it switches operator there: the person at this computer.
    pub caller: roster_api::Caller,
    /// Whom the window acts as in the tenants it switched operator in.
    pub acting: commands::operators::Acting,
    /// Roster's HTTP front doors (SCIM, the Admin API), served while the window is open once an integration exists.
    pub server: Arc<server::DesktopServer>,
}

/// `--data-dir DIR` from the command line, if given.
fn data_dir_arg() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(v) = a.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(v));
        }
    }
    None
}

/// Builds the Roster the desktop app uses, sending progress to `handle`'s windows; with its secret store
/// (the server keeps a generated certificate's key there).
pub fn desktop_roster<R: Runtime>(
    handle: tauri::AppHandle<R>,
    data_dir: Option<PathBuf>,
) -> roster_api::Result<(Arc<Roster>, Arc<dyn roster_api::SecretStore>)> {
    let dir = roster_api::data_dir(data_dir.as_deref())?;
    let secrets = roster_secrets::from_env(
        std::env::var(roster_secrets::STORE_ENV).ok().as_deref(),
        std::env::var(roster_secrets::PASSPHRASE_ENV).ok(),
        &dir.join("secrets.enc.json"),
    )?;
    let secrets: Arc<dyn roster_api::SecretStore> = Arc::from(secrets);
    let roster = Arc::new(Roster::new(Options {
        data_dir: dir,
        secrets: secrets.clone(),
        clock: Arc::new(roster_api::SystemClock),
        events: Arc::new(events::WindowEvents(handle)),
    })?);
    roster.default_tenant(true)?;
    Ok((roster, secrets))
}

/// The commands, shared by the real app and the mock-runtime tests.
pub fn builder<R: Runtime>(b: tauri::Builder<R>) -> tauri::Builder<R> {
    b.invoke_handler(tauri::generate_handler![
        commands::app_limits,
        commands::connection_kinds,
        commands::tenant_list,
        commands::tenant_create,
        commands::tenant_switch,
        commands::tenant_rename,
        commands::tenant_delete,
        commands::directory_list,
        commands::directory_add,
        commands::directory_update,
        commands::directory_pause,
        commands::directory_resume,
        commands::sync_run,
        commands::sync_user,
        commands::runs_list,
        commands::run_detail,
        commands::run_changes,
        commands::users_page,
        commands::groups_page,
        commands::admins_page,
        commands::trash_page,
        commands::connection_list,
        commands::connection_set_secret,
        commands::connection_test,
        commands::connection_groups,
        commands::connection_test_draft,
        commands::connection_groups_draft,
        commands::connection_authorize,
        commands::connection_reauthorize,
        commands::consent_cancel,
        commands::directory_delete,
        commands::scim_list,
        commands::scim_create,
        commands::scim_regenerate,
        commands::api_list,
        commands::api_create,
        commands::api_set_grants,
        commands::api_reset_secret,
        commands::api_delete,
        commands::server_status,
        // Administrators, who acts, and Settings (issue 13, UI-2).
        commands::operators::operator_switch_targets,
        commands::operators::operator_switch,
        commands::operators::operators_page,
        commands::operators::operator_get,
        commands::operators::operator_add,
        commands::operators::operator_set_role,
        commands::operators::operator_set_status,
        commands::operators::operator_set_passphrase,
        commands::operators::operator_remove,
        commands::operators::role_list,
        commands::operators::role_create,
        commands::settings::tenant_settings,
        commands::settings::tenant_set_retention,
        commands::settings::tenant_set_default_threshold,
        commands::settings::tenant_export,
        commands::settings::tenant_import,
        // Issue 13: Manage User Sync and Admin Directory Sync (UI-1).
        commands::user_sync::acting_as,
        commands::user_sync::directory_delete_with,
        commands::user_sync::connection_delete,
        commands::user_sync::sync_cancel,
        commands::user_sync::run_discard,
        // UI-3: the lists, a user's and a group's page, the trash, Sync History.
        commands::lists::user_list,
        commands::lists::trash_list,
        commands::lists::group_list,
        commands::lists::user_detail,
        commands::lists::user_history,
        commands::lists::group_detail,
        commands::lists::group_members,
        commands::lists::group_set_status,
        commands::lists::list_actions,
        commands::lists::trash_restore,
        commands::lists::trash_purge,
        commands::lists::runs_page,
        commands::lists::history_series,
        // Settings: the server's address and certificate, Admin API grants.
        commands::server_settings::api_grants,
        commands::server_settings::server_settings,
        commands::server_settings::server_configure,
    ])
}

/// Runs the desktop app.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROSTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let app = builder(tauri::Builder::default())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|app| {
            let (roster, secrets) =
                desktop_roster(app.handle().clone(), data_dir_arg()).map_err(|e| {
                    // Shown on stderr and in the OS's crash report; the window cannot open without a tenant.
                    eprintln!("Roster cannot start: {}", e.message);
                    Box::<dyn std::error::Error>::from(e.message)
                })?;
            let background = roster.clone();
            let server = Arc::new(server::DesktopServer::new(roster.clone(), secrets));
            let serving = server.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = background.start_scheduler() {
                    tracing::error!("scheduled syncs could not start: {}", e.message);
                }
                let status = serving.ensure().await;
                if let Some(problem) = status.problem {
                    tracing::error!("Roster's server could not start: {problem}");
                }
            });
            app.manage(AppState {
                roster,
                caller: roster_api::Caller::Local,
                acting: Default::default(),
                server,
            });
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                let state = handle.state::<AppState>();
                let (roster, server) = (state.roster.clone(), state.server.clone());
                tauri::async_runtime::block_on(async move {
                    server.stop().await;
                    roster.stop_scheduler().await;
                });
            }
        }),
        Err(e) => {
            eprintln!("Roster could not start its window: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod recording;
#[cfg(test)]
mod tests;
// UI-3: the lists' commands through IPC.
#[cfg(test)]
mod tests_lists;
