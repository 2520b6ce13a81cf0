//! Settings: the server's address and certificate (app-wide: one server for every tenant's SCIM
//! integrations and Admin API applications), and the grants Admin API applications are offered.

use super::{session, Res};
use crate::AppState;
use roster_api::{json, ApiError, Code};
use roster_server::ServerSettings;
use tauri::State;

/// Duo's Admin API grants the window offers, with their labels.
#[tauri::command(rename_all = "snake_case")]
pub fn api_grants() -> Vec<json::ApiGrantInfo> {
    roster_api::api_apps::api_grants()
}

/// The server's saved settings, as the window edits them. Anyone may look, as at `server_status`.
#[tauri::command(rename_all = "snake_case")]
pub fn server_settings(state: State<'_, AppState>) -> Res<json::ServerSetup> {
    ServerSettings::load(state.roster.data_dir())
        .map(|s| s.to_setup())
        .map_err(|e| ApiError::new(Code::Unknown, e.to_string()))
}

/// Saves new server settings and restarts the server with them (the Owner's only, checked by the
/// application layer for whom the window acts as in `tenant`). A failure leaves the previous settings
/// serving and says so.
#[tauri::command(rename_all = "snake_case")]
pub async fn server_configure(
    state: State<'_, AppState>,
    tenant: String,
    settings: json::ServerSetup,
) -> Res<json::ServerStatus> {
    session(&state, &tenant)?.authorize_server_settings()?;
    let settings =
        ServerSettings::from_setup(&settings).map_err(|e| ApiError::validation(e.to_string()))?;
    let status = state.server.reconfigure(settings).await?;
    // The change is made and serving: a log that cannot be written does not undo it.
    let logged = session(&state, &tenant).and_then(|s| {
        s.log_server_settings_change(serde_json::json!({
            "listen": status.listen, "origin": status.origin, "tls": status.tls,
        }))
    });
    if let Err(e) = logged {
        tracing::warn!(
            "the server settings change could not be logged: {}",
            e.message
        );
    }
    Ok(status)
}
