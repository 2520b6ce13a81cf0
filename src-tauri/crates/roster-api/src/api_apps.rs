//! Admin API applications: their integration keys, secret keys and grants, and which tenant a request's
//! integration key names.
//!
//! Invariants:
//! - an integration key is `DI` and 18 uppercase letters or digits, drawn at random and unique across
//!   tenants; a secret key is 40 random letters and digits, shown once and kept only in the secret store;
//! - only the tenant's Owner creates, changes, resets or deletes applications
//!   ([`Permission::ApiApplications`]);
//! - a reset replaces the secret and bumps the application's `secret_generation` in one write: every
//!   process serving the API compares the generation it cached with the stored one before each request
//!   ([`Roster::admin_api_key`]), so the old secret stops working at once, everywhere;
//! - an application acts with its grants only, checked by [`crate::adminapi::AdminApiDoor`].

use crate::error::{ApiError, Code, Result};
use crate::session::Session;
use crate::Roster;
use rand::RngCore;
use roster_core::access::Permission;
use roster_secrets::Sensitive;
use roster_store::{ActorKind, ApiApplication, AuditEntry};
use serde::Serialize;
use std::sync::Arc;

use crate::adminapi::{grant_name, parse_grant, Grant};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn draw(rng: &mut dyn RngCore, alphabet: &[u8], n: usize) -> String {
    // Rejection sampling: every character equally likely.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        if usize::from(b[0]) < limit {
            out.push(char::from(alphabet[usize::from(b[0]) % alphabet.len()]));
        }
    }
    out
}

/// A new integration key: `DI` and 18 uppercase letters or digits.
pub fn new_ikey(rng: &mut dyn RngCore) -> String {
    format!("DI{}", draw(rng, ALNUM, 18))
}

/// A new secret key: 40 letters and digits.
pub fn new_skey(rng: &mut dyn RngCore) -> String {
    draw(rng, SECRET_CHARS, 40)
}

/// Whether `s` has the shape of an integration key.
pub fn is_ikey(s: &str) -> bool {
    s.len() == 20
        && s.starts_with("DI")
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An application as issued or reset: the only time its secret key is seen.
#[derive(Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IssuedApiKeys {
    /// The integration key.
    pub ikey: String,
    /// The secret key. Shown once; Roster keeps it only in the secret store.
    pub skey: String,
    /// The API hostname clients sign and connect to.
    pub host: String,
}

impl std::fmt::Debug for IssuedApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKeys")
            .field("ikey", &self.ikey)
            .field("skey", &"[redacted]")
            .field("host", &self.host)
            .finish()
    }
}

/// An application as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ApiApplicationInfo {
    /// Integration key.
    pub ikey: String,
    /// Name.
    pub name: String,
    /// Grants, by CLI name (`read_resource`, …).
    pub grants: Vec<String>,
    /// The API hostname clients sign.
    pub host: String,
    /// Created (RFC 3339).
    pub created: String,
    /// Last used (RFC 3339, to the minute), if ever.
    pub last_used: Option<String>,
}

/// An application's secret and signing host, found by integration key; [`AdminApiKey::open`] gives the
/// door once the request's signature has been checked with [`AdminApiKey::secret`].
pub struct AdminApiKey<'r> {
    pub(crate) door: crate::adminapi::AdminApiDoor<'r>,
    secret: Sensitive<String>,
    host: Option<String>,
}

impl std::fmt::Debug for AdminApiKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApiKey")
            .field("ikey", &self.door.app.ikey)
            .finish_non_exhaustive()
    }
}

impl<'r> AdminApiKey<'r> {
    /// The secret key to verify the request's signature with.
    pub fn secret(&self) -> &str {
        self.secret.expose()
    }
    /// The API hostname the application's clients sign, when it overrides the server's.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
    /// The application's door: call only after the signature was verified with [`AdminApiKey::secret`].
    pub fn open(self) -> crate::adminapi::AdminApiDoor<'r> {
        self.door
    }
}

/// The grants the window offers, in Duo's order, with Duo's labels ("Grant applications" is left out:
/// Roster has no integrations to manage through the API).
pub fn api_grants() -> Vec<crate::json::ApiGrantInfo> {
    [
        (
            Grant::Admins,
            "Read and change administrators; run admin directory syncs.",
        ),
        (Grant::Info, "Read the account summary."),
        (Grant::ReadLog, "Read the administrator log."),
        (Grant::ReadResource, "Read users and groups."),
        (Grant::Settings, "Read and change settings."),
        (
            Grant::WriteResource,
            "Add, change and delete users and groups; run user directory syncs.",
        ),
    ]
    .into_iter()
    .map(|(g, allows)| crate::json::ApiGrantInfo {
        name: grant_name(g).to_string(),
        label: g.label().to_string(),
        allows: allows.to_string(),
    })
    .collect()
}

fn secret_name(tenant: &str, ikey: &str) -> String {
    format!("{tenant}/adminapi/{ikey}")
}

fn parse_grants(grants: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for g in grants.iter().flat_map(|g| g.split(',')) {
        let g = g.trim();
        if g.is_empty() {
            continue;
        }
        let grant = parse_grant(g).ok_or_else(|| {
            ApiError::validation(format!(
                "\"{g}\" is not an Admin API permission. Use any of: {}.",
                Grant::ALL.map(grant_name).join(", ")
            ))
        })?;
        if !out.iter().any(|o| o == grant_name(grant)) {
            out.push(grant_name(grant).to_string());
        }
    }
    Ok(out)
}

impl Roster {
    fn api_index_get(&self, ikey: &str) -> Option<String> {
        self.api_index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(ikey)
            .cloned()
    }

    fn api_index_put(&self, ikey: &str, tenant: &str) {
        self.api_index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(ikey.to_string(), tenant.to_string());
    }

    /// Which tenant holds application `ikey`: remembered once found, found by looking through the
    /// tenants otherwise.
    fn api_tenant_of(&self, ikey: &str) -> Result<Option<String>> {
        if !is_ikey(ikey) {
            return Ok(None);
        }
        if let Some(t) = self.api_index_get(ikey) {
            if let Ok(open) = self.tenant(&t) {
                if open.tenant.store.api_application(ikey)?.is_some() {
                    return Ok(Some(t));
                }
            }
        }
        for t in self.list_tenants()? {
            let Ok(open) = self.tenant(&t.id) else {
                continue;
            };
            if open.tenant.store.api_application(ikey)?.is_some() {
                self.api_index_put(ikey, &t.id);
                return Ok(Some(t.id));
            }
        }
        Ok(None)
    }

    /// Application `ikey`'s secret and door, or `None` if no tenant has it. The secret comes from this
    /// process's cache while the stored secret generation matches it, else from the secret store.
    pub fn admin_api_key(&self, ikey: &str) -> Result<Option<AdminApiKey<'_>>> {
        let Some(tenant_id) = self.api_tenant_of(ikey)? else {
            return Ok(None);
        };
        let tenant = self.tenant(&tenant_id)?.tenant;
        let Some(app) = tenant.store.api_application(ikey)? else {
            return Ok(None);
        };
        let cached = self
            .api_secrets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(ikey)
            .filter(|(generation, _)| *generation == app.secret_generation)
            .map(|(_, s)| s.clone());
        let secret = match cached {
            Some(s) => s,
            None => {
                let Some(s) = self.secrets.get(&secret_name(&tenant_id, ikey))? else {
                    return Ok(None);
                };
                let s: Arc<str> = Arc::from(s.expose());
                self.api_secrets
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(ikey.to_string(), (app.secret_generation, s.clone()));
                s
            }
        };
        Ok(Some(AdminApiKey {
            host: app.host.clone(),
            secret: Sensitive(secret.to_string()),
            door: crate::adminapi::AdminApiDoor::new(self, tenant, app),
        }))
    }

    /// Whether any tenant has an Admin API application: the desktop app serves the API only then.
    pub fn has_api_applications(&self) -> Result<bool> {
        for t in self.list_tenants()? {
            let Ok(open) = self.tenant(&t.id) else {
                continue;
            };
            if open.tenant.store.api_application_count()? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Session<'_> {
    /// The audit entry of a change this session's operator makes (written in the change's transaction).
    pub(crate) fn operator_audit(
        &self,
        action: &str,
        object: &str,
        d: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            at: self.now(),
            actor_kind: ActorKind::Operator,
            actor: self
                .acting
                .email
                .clone()
                .unwrap_or_else(|| self.acting.name.clone()),
            action: action.into(),
            object: object.into(),
            description: d,
        }
    }

    /// Creates an Admin API application with `grants` (CLI names, comma-separated or repeated) and
    /// returns its keys, the secret shown this once. `default_host` is the server's API hostname.
    pub fn create_api_application(
        &self,
        name: &str,
        grants: &[String],
        host: Option<&str>,
        default_host: &str,
    ) -> Result<IssuedApiKeys> {
        self.require(Permission::ApiApplications)?;
        let name = crate::names::check_name("application", name)?;
        let grants = parse_grants(grants)?;
        let host = host
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_lowercase);
        let mut rng = rand::rng();
        let ikey = loop {
            let k = new_ikey(&mut rng);
            if self.roster.api_tenant_of(&k)?.is_none() {
                break k;
            }
        };
        let skey = new_skey(&mut rng);
        let secret = secret_name(&self.tenant.id, &ikey);
        self.roster.secrets.set(&secret, &Sensitive(skey.clone()))?;
        let app = ApiApplication {
            ikey: ikey.clone(),
            name: name.clone(),
            grants: grants.clone(),
            host: host.clone(),
            created_at: self.now(),
            last_used: None,
            secret_generation: 1,
        };
        let audit = self.operator_audit(
            "admin_api_application_create",
            &name,
            serde_json::json!({"ikey": ikey, "grants": grants}),
        );
        if let Err(e) = self.tenant.store.insert_api_application(&app, &audit) {
            let _ = self.roster.secrets.delete(&secret);
            return Err(e.into());
        }
        self.roster.api_index_put(&ikey, &self.tenant.id);
        Ok(IssuedApiKeys {
            ikey,
            skey,
            host: host.unwrap_or_else(|| default_host.to_string()),
        })
    }

    /// The tenant's applications, by name.
    pub fn api_applications(&self, default_host: &str) -> Result<Vec<ApiApplicationInfo>> {
        self.require(Permission::ApiApplications)?;
        Ok(self
            .tenant
            .store
            .api_applications()?
            .into_iter()
            .map(|a| ApiApplicationInfo {
                host: a.host.unwrap_or_else(|| default_host.to_string()),
                ikey: a.ikey,
                name: a.name,
                grants: a.grants,
                created: a.created_at.to_rfc3339(),
                last_used: a.last_used.map(|t| t.to_rfc3339()),
            })
            .collect())
    }

    fn api_application(&self, ikey: &str) -> Result<ApiApplication> {
        self.tenant.store.api_application(ikey)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no Admin API application with the integration key {ikey} in this tenant. List them with `rosterctl api list`."
            ))
        })
    }

    /// Replaces an application's grants.
    pub fn set_api_grants(&self, ikey: &str, grants: &[String]) -> Result<()> {
        self.require(Permission::ApiApplications)?;
        let app = self.api_application(ikey)?;
        let grants = parse_grants(grants)?;
        let audit = self.operator_audit(
            "admin_api_application_update",
            &app.name,
            serde_json::json!({"ikey": ikey, "grants": grants}),
        );
        Ok(self.tenant.store.set_api_grants(ikey, &grants, &audit)?)
    }

    /// Gives an application a new secret key; the old one stops working at once.
    pub fn reset_api_secret(&self, ikey: &str, default_host: &str) -> Result<IssuedApiKeys> {
        self.require(Permission::ApiApplications)?;
        let app = self.api_application(ikey)?;
        let skey = new_skey(&mut rand::rng());
        let audit = self.operator_audit(
            "admin_api_application_reset_secret",
            &app.name,
            serde_json::json!({"ikey": ikey}),
        );
        let secret = secret_name(&self.tenant.id, ikey);
        self.tenant.store.reset_api_secret(ikey, &audit, || {
            self.roster
                .secrets
                .set(&secret, &Sensitive(skey.clone()))
                .map_err(|e| roster_store::StoreError::Conflict(e.to_string()))
        })?;
        Ok(IssuedApiKeys {
            ikey: ikey.to_string(),
            skey,
            host: app.host.unwrap_or_else(|| default_host.to_string()),
        })
    }

    /// Deletes an application and its secret key.
    pub fn delete_api_application(&self, ikey: &str) -> Result<()> {
        self.require(Permission::ApiApplications)?;
        let app = self.api_application(ikey)?;
        let audit = self.operator_audit(
            "admin_api_application_delete",
            &app.name,
            serde_json::json!({"ikey": ikey}),
        );
        self.tenant.store.delete_api_application(ikey, &audit)?;
        if let Err(e) = self
            .roster
            .secrets
            .delete(&secret_name(&self.tenant.id, ikey))
        {
            return Err(ApiError::new(
                Code::Unknown,
                format!("The application was deleted, but its secret key could not be removed from the secret store ({e}); it no longer works."),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn keys_have_duos_shapes_and_come_from_the_rng_given() {
        let mut a = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = rand::rngs::StdRng::seed_from_u64(7);
        let ikey = new_ikey(&mut a);
        assert!(is_ikey(&ikey), "{ikey}");
        assert_eq!(ikey, new_ikey(&mut b), "the same seed draws the same key");
        let skey = new_skey(&mut a);
        assert_eq!(skey.len(), 40);
        assert!(skey.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(skey, new_skey(&mut a));
        assert!(!is_ikey("DIabc"));
        assert!(!is_ikey("DS0123456789ABCDEFGH"));
    }

    #[test]
    fn grants_are_parsed_from_cli_names() {
        let g = parse_grants(&[
            "read_resource,write_resource".into(),
            "read_resource".into(),
        ])
        .unwrap();
        assert_eq!(g, vec!["read_resource", "write_resource"]);
        assert!(parse_grants(&["everything".into()]).is_err());
    }
}
