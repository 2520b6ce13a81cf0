//! A tenant's settings: how long deleted users stay in the trash, and the deletion threshold new syncs
//! start with; and who may change the app-wide server settings.

use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;

impl Session<'_> {
    /// The tenant's settings. Anyone may look.
    pub fn tenant_settings(&self) -> Result<json::TenantSettings> {
        self.require(Permission::View)?;
        let store = &self.tenant.store;
        Ok(json::TenantSettings {
            pending_deletion_days: store.tenant()?.pending_deletion_days,
            default_deletion_threshold_percent: store.default_deletion_threshold()?,
        })
    }

    /// Sets the deletion threshold (0 to 100 percent) new syncs start with when their settings name
    /// none. Existing syncs keep theirs.
    pub fn set_default_deletion_threshold(&self, percent: u32) -> Result<json::TenantSettings> {
        self.require(Permission::TenantSettings)?;
        let p = u8::try_from(percent)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| {
                ApiError::validation(
                    "The default deletion threshold is a percentage from 0 to 100. Nothing was changed.",
                )
            })?;
        self.tenant.store.set_default_deletion_threshold(p)?;
        self.tenant_settings()
    }

    /// Refuses unless this session may change the server's settings (its address, host names and TLS).
    /// They are app-wide, the one server every tenant's SCIM integrations and Admin API applications
    /// are reached through, so they are the Owner's only ([`Permission::ServerSettings`]), like the tenant
    /// itself. The settings are roster-server's (`server.json`): the front door saves them after this.
    pub fn authorize_server_settings(&self) -> Result<()> {
        self.require(Permission::ServerSettings)
    }

    /// Writes in this tenant's administrator log that its operator changed the server's settings to
    /// `what` (where it listens, its public address, TLS), once they are saved and serving.
    pub fn log_server_settings_change(&self, what: serde_json::Value) -> Result<()> {
        self.require(Permission::ServerSettings)?;
        let entry = self.operator_audit("server_settings_update", "Roster's server", what);
        self.tenant.store.audit(&entry)?;
        Ok(())
    }
}
