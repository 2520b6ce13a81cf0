//! Who acts in the window, and the tenant's operators and custom roles (the Administrators screens).
//!
//! The window's acting operator is kept here, per tenant ([`Acting`]), and every command's session is
//! built from it: the UI never says who it is. Switching goes through the application layer's rule
//! (`TenantHandle::switch_operator`); only the caller it returns is kept.

use super::{session, Res};
use crate::AppState;
use roster_api::{json, AdminStatus, Caller, CustomRole, DirectoryConfig, RunSyncs};
use std::collections::HashMap;
use std::sync::Mutex;
use tauri::State;

/// Who the window acts as in each tenant it has switched in (by tenant id); the others use
/// [`AppState::caller`], the person at this computer.
#[derive(Debug, Default)]
pub struct Acting(Mutex<HashMap<String, Caller>>);

impl Acting {
    /// The caller for the tenant `id`, or `default`.
    pub fn caller(&self, id: &str, default: &Caller) -> Caller {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
            .unwrap_or_else(|| default.clone())
    }

    fn set(&self, id: &str, caller: Caller) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_string(), caller);
    }
}

/// The operators the window may switch to from who acts now.
#[tauri::command(rename_all = "snake_case")]
pub fn operator_switch_targets(
    state: State<'_, AppState>,
    tenant: String,
) -> Res<Vec<json::SwitchTarget>> {
    session(&state, &tenant)?.switch_targets()
}

/// Acts as `email` in `tenant` from now on (the application layer checks the rule and the passphrase).
#[tauri::command(rename_all = "snake_case")]
pub fn operator_switch(
    state: State<'_, AppState>,
    tenant: String,
    email: String,
    passphrase: Option<String>,
) -> Res<json::ActingAs> {
    let t = state.roster.tenant(&tenant)?;
    let current = state.acting.caller(t.id(), &state.caller);
    let (caller, acting) = t.switch_operator(&current, &email, passphrase.as_deref())?;
    state.acting.set(t.id(), caller);
    Ok(acting)
}

#[tauri::command(rename_all = "snake_case")]
pub fn operators_page(
    state: State<'_, AppState>,
    tenant: String,
    filter: json::OperatorFilter,
    offset: u64,
    limit: u64,
) -> Res<json::Page<json::Operator>> {
    session(&state, &tenant)?.operators_page(&filter, offset, limit)
}

#[tauri::command(rename_all = "snake_case")]
pub fn operator_get(
    state: State<'_, AppState>,
    tenant: String,
    email: String,
) -> Res<json::Operator> {
    session(&state, &tenant)?.operator_detail(&email)
}

#[tauri::command(rename_all = "snake_case")]
pub fn operator_add(
    state: State<'_, AppState>,
    tenant: String,
    email: String,
    name: String,
    role: String,
) -> Res<json::Operator> {
    session(&state, &tenant)?.add_operator(&email, &name, &role)
}

#[tauri::command(rename_all = "snake_case")]
pub fn operator_set_role(
    state: State<'_, AppState>,
    tenant: String,
    email: String,
    role: String,
) -> Res<json::Operator> {
    session(&state, &tenant)?.set_operator_role(&email, &role)
}

#[tauri::command(rename_all = "snake_case")]
pub fn operator_set_status(
    state: State<'_, AppState>,
    tenant: String,
    email: String,
    status: AdminStatus,
) -> Res<json::Operator> {
    session(&state, &tenant)?.set_operator_status(&email, status)
}

/// Sets (`passphrase`) or clears (`null`) a local passphrase; only its hash is stored.
#[tauri::command(rename_all = "snake_case")]
pub fn operator_set_passphrase(
    state: State<'_, AppState>,
    tenant: String,
    email: String,
    passphrase: Option<String>,
) -> Res<json::Operator> {
    session(&state, &tenant)?.set_operator_passphrase(&email, passphrase.as_deref())
}

#[tauri::command(rename_all = "snake_case")]
pub fn operator_remove(state: State<'_, AppState>, tenant: String, email: String) -> Res<()> {
    session(&state, &tenant)?.remove_operator(&email)
}

#[tauri::command(rename_all = "snake_case")]
pub fn role_list(state: State<'_, AppState>, tenant: String) -> Res<Vec<CustomRole>> {
    session(&state, &tenant)?.list_roles()
}

#[tauri::command(rename_all = "snake_case")]
pub fn role_create(
    state: State<'_, AppState>,
    tenant: String,
    name: String,
    directory_config: DirectoryConfig,
    run_syncs: RunSyncs,
) -> Res<CustomRole> {
    session(&state, &tenant)?.create_role(&name, directory_config, run_syncs)
}
