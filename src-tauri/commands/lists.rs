//! The window's lists (UI-3): Users, Groups and Trash searched, filtered and sorted; a user's page and
//! history, a group's page and members; restoring and purging from the trash; Sync History's runs and
//! charts. One call into the application layer each.

use super::{session, Res};
use crate::AppState;
use roster_api::json;
use tauri::State;

#[tauri::command(rename_all = "snake_case")]
pub fn user_list(
    state: State<'_, AppState>,
    tenant: String,
    query: json::UserListQuery,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::UserRow>> {
    session(&state, &tenant)?.user_list(false, &query, offset, limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn trash_list(
    state: State<'_, AppState>,
    tenant: String,
    query: json::UserListQuery,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::UserRow>> {
    session(&state, &tenant)?.user_list(true, &query, offset, limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn group_list(
    state: State<'_, AppState>,
    tenant: String,
    query: json::GroupListQuery,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::GroupRow>> {
    session(&state, &tenant)?.group_list(&query, offset, limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn user_detail(
    state: State<'_, AppState>,
    tenant: String,
    user_id: String,
) -> Res<json::UserDetail> {
    session(&state, &tenant)?.user_detail(&user_id)
}

#[tauri::command(rename_all = "snake_case")]
pub fn user_history(
    state: State<'_, AppState>,
    tenant: String,
    user_id: String,
    before: Option<String>,
    limit: u64,
) -> Res<json::HistoryPage> {
    session(&state, &tenant)?.user_history(&user_id, before.as_deref(), limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn group_detail(
    state: State<'_, AppState>,
    tenant: String,
    group_id: String,
) -> Res<json::GroupDetail> {
    session(&state, &tenant)?.group_detail(&group_id)
}

#[tauri::command(rename_all = "snake_case")]
pub fn group_members(
    state: State<'_, AppState>,
    tenant: String,
    group_id: String,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::UserRow>> {
    session(&state, &tenant)?.group_members(&group_id, offset, limit)
}

/// Sets a group's status (Duo's group status); answers the group's row as it is now.
#[tauri::command(rename_all = "snake_case")]
pub fn group_set_status(
    state: State<'_, AppState>,
    tenant: String,
    group_id: String,
    status: roster_core::GroupStatus,
) -> Res<json::GroupRow> {
    session(&state, &tenant)?.set_group_status(&group_id, status)
}

#[tauri::command(rename_all = "snake_case")]
pub fn list_actions(state: State<'_, AppState>, tenant: String) -> Res<json::ListActions> {
    Ok(session(&state, &tenant)?.list_actions())
}

#[tauri::command(rename_all = "snake_case")]
pub fn trash_restore(state: State<'_, AppState>, tenant: String, username: String) -> Res<()> {
    session(&state, &tenant)?.restore_user(&username)
}

#[tauri::command(rename_all = "snake_case")]
pub fn trash_purge(state: State<'_, AppState>, tenant: String, username: String) -> Res<()> {
    session(&state, &tenant)?.purge_user(&username)
}

#[tauri::command(rename_all = "snake_case")]
pub fn runs_page(
    state: State<'_, AppState>,
    tenant: String,
    key: Option<String>,
    outcome: Option<json::RunOutcome>,
    before: Option<i64>,
    limit: u64,
) -> Res<json::RunsPage> {
    session(&state, &tenant)?.runs_page(key.as_deref(), outcome, before, limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn history_series(
    state: State<'_, AppState>,
    tenant: String,
    per_sync: u64,
) -> Res<json::HistorySeries> {
    session(&state, &tenant)?.history_series(per_sync)
}
