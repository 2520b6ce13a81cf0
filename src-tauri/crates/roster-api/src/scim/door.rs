//! Which integration, and so which tenant, a SCIM request names: its key, checked against its bearer
//! token. Every failure is the same `unauthorized` answer, so a caller learns nothing about which keys
//! exist.

use super::{base_url, digest, ScimDoor};
use crate::error::{ApiError, Code, Result};
use crate::Roster;
use roster_core::DirectoryKey;
use subtle::ConstantTimeEq;

impl Roster {
    /// The tenant integration `key` was found in before, if that tenant still exists.
    fn scim_tenant_remembered(&self, key: &str) -> Option<String> {
        let tenant = self
            .scim_index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()?;
        self.tenant_path(&tenant).exists().then_some(tenant)
    }

    pub(super) fn scim_index_put(&self, key: &str, tenant: &str) {
        self.scim_index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_string(), tenant.to_string());
    }

    /// The integration `key` names, if `bearer` is its current token. Every failure is the same
    /// `unauthorized` answer, so a caller learns nothing about which keys exist.
    ///
    /// Finding an integration seen for the first time opens tenants' stores (see
    /// [`Roster::scim_door_if_open`] for the check that never does).
    pub fn scim_door(&self, key: &str, bearer: &str) -> Result<ScimDoor> {
        let Some(tenant_id) = self.scim_tenant_of(key)? else {
            return Err(door_refused());
        };
        let tenant = self.tenant(&tenant_id)?.tenant;
        self.door_in(tenant, key, bearer)
    }

    /// [`Roster::scim_door`] when it can answer without opening a store, looking through the tenants or
    /// waiting for another tenant to open: the integration was found before and its tenant is open (an
    /// indexed read of its token's digest on a connection of its own, then). `None` otherwise, for the
    /// caller to ask [`Roster::scim_door`] where it may block. The answer, when there is one, is the one
    /// `scim_door` gives.
    pub fn scim_door_if_open(&self, key: &str, bearer: &str) -> Option<Result<ScimDoor>> {
        let tenant_id = self.scim_tenant_remembered(key)?;
        // Not `open_tenants()`: opening a tenant holds that lock while its store opens (and migrates), which
        // can take seconds, and this must not wait for it.
        let tenant = match self.open.try_lock() {
            Ok(open) => open.get(&tenant_id)?.clone(),
            Err(std::sync::TryLockError::Poisoned(open)) => {
                open.into_inner().get(&tenant_id)?.clone()
            }
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(self.door_in(tenant, key, bearer))
    }

    fn door_in(
        &self,
        tenant: std::sync::Arc<crate::OpenTenant>,
        key: &str,
        bearer: &str,
    ) -> Result<ScimDoor> {
        let dk = DirectoryKey(key.to_string());
        let Some(stored) = tenant.store.scim_token(&dk)? else {
            return Err(door_refused());
        };
        let presented = digest(bearer);
        let matches: bool = presented.as_slice().ct_eq(stored.sha256.as_slice()).into();
        if !matches || stored.expires_at <= self.clock.now() {
            return Err(door_refused());
        }
        Ok(ScimDoor {
            tenant,
            base_url: base_url("", key),
            key: dk,
            clock: self.clock.clone(),
        })
    }

    /// Which tenant holds integration `key`: remembered once found (keys are random, so unique across
    /// tenants), found by looking through the tenants otherwise.
    fn scim_tenant_of(&self, key: &str) -> Result<Option<String>> {
        if !key.starts_with("DS") || key.len() > 64 {
            return Ok(None);
        }
        if let Some(t) = self.scim_tenant_remembered(key) {
            return Ok(Some(t));
        }
        for t in self.list_tenants()? {
            let Ok(open) = self.tenant(&t.id) else {
                continue;
            };
            if open
                .tenant
                .store
                .scim_token(&DirectoryKey(key.to_string()))?
                .is_some()
            {
                self.scim_index_put(key, &t.id);
                return Ok(Some(t.id));
            }
        }
        Ok(None)
    }
}

fn door_refused() -> ApiError {
    ApiError::new(
        Code::Unauthorized,
        "The bearer token is not valid for this SCIM base URL: it is wrong, expired, or was replaced by Regenerate Bearer Token. Copy the base URL and a new token from Roster into your identity provider.",
    )
}
