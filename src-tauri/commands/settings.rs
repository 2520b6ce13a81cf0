//! The Settings screen: the tenant's retention and default deletion threshold, its export and import.

use super::{session, Res};
use crate::AppState;
use roster_api::{json, ApiError};
use tauri::State;

#[tauri::command(rename_all = "snake_case")]
pub fn tenant_settings(state: State<'_, AppState>, tenant: String) -> Res<json::TenantSettings> {
    session(&state, &tenant)?.tenant_settings()
}

/// Days a deleted user stays in the trash (1 to 365).
#[tauri::command(rename_all = "snake_case")]
pub fn tenant_set_retention(
    state: State<'_, AppState>,
    tenant: String,
    days: u32,
) -> Res<json::TenantSettings> {
    let s = session(&state, &tenant)?;
    s.set_retention_days(days)?;
    s.tenant_settings()
}

/// The deletion threshold new syncs start with (0 to 100 percent).
#[tauri::command(rename_all = "snake_case")]
pub fn tenant_set_default_threshold(
    state: State<'_, AppState>,
    tenant: String,
    percent: u32,
) -> Res<json::TenantSettings> {
    session(&state, &tenant)?.set_default_deletion_threshold(percent)
}

/// The tenant's configuration as JSON (no secrets, no users): what `tenant_import` takes.
#[tauri::command(rename_all = "snake_case")]
pub fn tenant_export(state: State<'_, AppState>, tenant: String) -> Res<String> {
    let export = session(&state, &tenant)?.export_tenant()?;
    serde_json::to_string_pretty(&export).map_err(|e| {
        ApiError::new(
            roster_api::Code::Unknown,
            format!("The export could not be written as JSON: {e}."),
        )
    })
}

/// A new tenant named `name` from an export's JSON.
#[tauri::command(rename_all = "snake_case")]
pub fn tenant_import(
    state: State<'_, AppState>,
    name: String,
    export: String,
) -> Res<json::Tenant> {
    let export = serde_json::from_str(&export).map_err(|e| {
        ApiError::validation(format!(
            "This is not a Roster tenant export ({e}). Paste the whole JSON that Export gave, and try again."
        ))
    })?;
    state.roster.import_tenant(&name, &export)
}
