//! Commands of "Manage User Sync" and "Admin Directory Sync" (issue 13's sync screens): who acts and what
//! they may do, deleting a sync with the seed's connection choice, deleting an unused connection,
//! cancelling a run, discarding a held run. Each is extraction plus one call into the application layer,
//! which checks the permission.

use super::{session, Res};
use crate::AppState;
use roster_api::{json, ConnectionChoice};
use tauri::State;

/// Who the window acts as in `tenant`, and what their role allows (the window offers only that).
#[tauri::command(rename_all = "snake_case")]
pub fn acting_as(state: State<'_, AppState>, tenant: String) -> Res<json::ActingAs> {
    Ok(session(&state, &tenant)?.acting_as())
}

/// Deletes a directory sync, keeping its connection or deleting it too ("Delete Directory Sync and
/// Connection"); refused while another sync uses the connection.
#[tauri::command(rename_all = "snake_case")]
pub fn directory_delete_with(
    state: State<'_, AppState>,
    tenant: String,
    key: String,
    connection: ConnectionChoice,
) -> Res<()> {
    session(&state, &tenant)?.delete_directory_with(&key, connection)
}

/// Deletes a connection no directory sync uses, and its secrets.
#[tauri::command(rename_all = "snake_case")]
pub fn connection_delete(state: State<'_, AppState>, tenant: String, id: String) -> Res<()> {
    session(&state, &tenant)?.delete_connection(&id)
}

/// Cancels the sync's run in progress before it applies anything (its `sync_run` answers the failed
/// run, saying who cancelled it).
#[tauri::command(rename_all = "snake_case")]
pub fn sync_cancel(state: State<'_, AppState>, tenant: String, key: String) -> Res<()> {
    session(&state, &tenant)?.cancel_run(&key)
}

/// Discards a held run: nothing of it is applied.
#[tauri::command(rename_all = "snake_case")]
pub fn run_discard(
    state: State<'_, AppState>,
    tenant: String,
    run_id: i64,
) -> Res<json::RunSummary> {
    session(&state, &tenant)?.discard_held_run(run_id)
}
