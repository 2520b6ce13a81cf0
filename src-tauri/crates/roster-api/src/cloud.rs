//! Cloud connections (Entra ID, Google Workspace, Okta): the connectors built over keychain-held tokens.
//! Their settings are parsed in `spec::cloud`, signing in lives in `consent`, the offline emulators in
//! `demo`.
//!
//! Invariants: tokens and client secrets live only in the [`crate::SecretStore`]; a run refused by the
//! vendor (consent revoked or expired) marks the connection `needs_reauthorization`.

use crate::error::{ApiError, Code, Result};
use crate::kinds::{CLIENT_SECRET, TOKENS};
use crate::session::Session;
use crate::spec::cloud::{vendor_of, CloudSettings};
use crate::{json, Roster};
use roster_cloud::{Bearer, Pause, RealPause};
use roster_core::source::{Connector, ConnectorError};
use roster_store::ConnectionRecord;
use std::sync::Arc;

impl CloudSettings {
    /// The connector of these settings, over `bearer`.
    pub(crate) fn connector(
        self,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> std::result::Result<Box<dyn Connector>, ConnectorError> {
        Ok(match self {
            CloudSettings::Entra(s) => Box::new(roster_connector_entra::EntraConnector::new(
                s, bearer, pause,
            )?),
            CloudSettings::Google(s) => Box::new(roster_connector_google::GoogleConnector::new(
                s, bearer, pause,
            )?),
            CloudSettings::Okta(s) => {
                Box::new(roster_connector_okta::OktaConnector::new(s, bearer, pause)?)
            }
        })
    }
}

/// A connector wrapper that notices when the vendor refused our sign-in, so the connection can be marked
/// as needing reauthorization after the run.
struct Watched {
    inner: Box<dyn Connector>,
    refused: Arc<std::sync::atomic::AtomicBool>,
}

impl Watched {
    fn note<T>(
        &self,
        r: std::result::Result<T, ConnectorError>,
    ) -> std::result::Result<T, ConnectorError> {
        if let Err(ConnectorError::Unauthorized(_)) = &r {
            self.refused
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        r
    }
}

#[async_trait::async_trait]
impl Connector for Watched {
    async fn fetch(
        &self,
        request: &roster_core::source::FetchRequest,
    ) -> std::result::Result<roster_core::source::SourceBatch, ConnectorError> {
        let r = self.inner.fetch(request).await;
        self.note(r)
    }
    async fn fetch_user(
        &self,
        request: &roster_core::source::FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> std::result::Result<roster_core::source::SourceLookup, ConnectorError> {
        let r = self
            .inner
            .fetch_user(request, username_attribute, username)
            .await;
        self.note(r)
    }
    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> std::result::Result<Vec<roster_core::source::GroupSummary>, ConnectorError> {
        let r = self.inner.search_groups(query, limit).await;
        self.note(r)
    }
    async fn groups_named(
        &self,
        name: &str,
    ) -> std::result::Result<Vec<roster_core::source::GroupSummary>, ConnectorError> {
        let r = self.inner.groups_named(name).await;
        self.note(r)
    }
}

pub(crate) fn oauth_error(e: roster_oauth::OAuthError) -> ApiError {
    use roster_oauth::OAuthError as O;
    let code = match &e {
        O::Cancelled => Code::Cancelled,
        O::TimedOut(_) => Code::Timeout,
        O::Denied { .. } => Code::Unauthorized,
        O::Unreachable { .. } => Code::SourceUnreachable,
        O::Config(_) => Code::Validation,
        _ => Code::ConsentRequired,
    };
    ApiError::new(code, e.to_string())
}

impl Session<'_> {
    /// A connection's current settings: for demo connections, the running emulator's endpoints (saved
    /// again if they moved since the last start), plus the client secret.
    pub(crate) async fn cloud_settings_of(
        &self,
        tenant: &str,
        c: &ConnectionRecord,
    ) -> Result<(CloudSettings, Option<String>)> {
        let kind = crate::connections::kind_of(c)?;
        let demo = c
            .config
            .get("demo")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let secret_key = Roster::secret_key(tenant, &c.id, CLIENT_SECRET);
        if demo {
            let vendor = vendor_of(kind)?;
            let (mut settings, secret) = self.roster.demo_settings(vendor).await?;
            settings.insert("demo".into(), serde_json::Value::Bool(true));
            let config = serde_json::Value::Object(settings);
            if config != c.config {
                let t = self.tenant.clone();
                t.store.update_connection_config(&c.id, &config)?;
            }
            let parsed = CloudSettings::parse(kind, &config)?;
            // Every time, not only when the emulator starts: several tenants may each have a demo
            // connection to it, and the stored refresh token is always the current one.
            if let Some(tokens) = self.stored_tokens(tenant, &c.id)? {
                let asked = parsed.consent(secret.clone())?.scopes;
                self.roster.demo_remember(vendor, &tokens, &asked).await;
            }
            return Ok((parsed, secret));
        }
        let secret = self.roster.secrets.get(&secret_key)?.map(|s| s.0);
        Ok((CloudSettings::parse(kind, &c.config)?, secret))
    }

    fn stored_tokens(&self, tenant: &str, id: &str) -> Result<Option<roster_oauth::TokenSet>> {
        let key = Roster::secret_key(tenant, id, TOKENS);
        Ok(self
            .roster
            .secrets
            .get(&key)?
            .and_then(|s| serde_json::from_str(s.expose()).ok()))
    }

    /// A connector for a saved cloud connection, over its keychain-held tokens. The flag turns true if the
    /// vendor refuses the sign-in during a run.
    pub(crate) async fn cloud_connector(
        &self,
        tenant: &str,
        c: &ConnectionRecord,
    ) -> Result<(Box<dyn Connector>, Arc<std::sync::atomic::AtomicBool>)> {
        let (settings, secret) = self.cloud_settings_of(tenant, c).await?;
        let config = settings.consent(secret)?;
        let bearer = Arc::new(roster_oauth::StoredBearer::new(
            self.roster.secrets.clone(),
            Roster::secret_key(tenant, &c.id, TOKENS),
            config,
            self.roster.clock.clone(),
        ));
        let connector = settings
            .connector(bearer, Arc::new(RealPause))
            .map_err(|e| ApiError::new(Code::Validation, e.to_string()))?;
        let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        Ok((
            Box::new(Watched {
                inner: connector,
                refused: refused.clone(),
            }),
            refused,
        ))
    }

    /// Marks a connection as needing reauthorization (the vendor refused its sign-in).
    pub(crate) fn mark_needs_reauthorization(&self, id: &str) -> Result<()> {
        let t = self.tenant.clone();
        t.store
            .set_connection_status(id, json::ConnectionStatus::NeedsReauthorization.as_str())?;
        Ok(())
    }

    /// "Test connection" of a cloud connection: the sign-in is still accepted and groups can be read.
    pub(crate) async fn test_cloud_connection(
        &self,
        c: &ConnectionRecord,
    ) -> Result<Vec<json::ConnectionCheck>> {
        let vendor = crate::connections::kind_of(c)?.info().name.to_string();
        let check = |step: json::CheckStep, ok: bool, detail: String| json::ConnectionCheck {
            step,
            server: vendor.clone(),
            ok,
            detail,
        };
        let t = self.tenant.clone();
        let (connector, refused) = match self.cloud_connector(&t.id, c).await {
            Ok(x) => x,
            Err(e) => return Ok(vec![check(json::CheckStep::Settings, false, e.message)]),
        };
        let r = connector.search_groups("", 1).await;
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(&c.id)?;
        }
        Ok(match r {
            Ok(g) => vec![
                check(
                    json::CheckStep::SignIn,
                    true,
                    format!(
                        "{vendor} accepts the connection's sign-in{}.",
                        c.authorized_by
                            .as_deref()
                            .map(|b| format!(" (authorized by {b})"))
                            .unwrap_or_default()
                    ),
                ),
                check(
                    json::CheckStep::ReadGroups,
                    true,
                    if g.is_empty() {
                        "Groups can be read, but there are none.".into()
                    } else {
                        "Groups can be read.".into()
                    },
                ),
            ],
            Err(ConnectorError::Unauthorized(m)) => vec![check(json::CheckStep::SignIn, false, m)],
            Err(e) => vec![check(json::CheckStep::ReadGroups, false, e.to_string())],
        })
    }
}

/// Without the `demo` feature, a demo connection says what is missing.
#[cfg(not(feature = "demo"))]
impl Roster {
    pub(crate) async fn demo_settings(
        &self,
        _: crate::kinds::Vendor,
    ) -> Result<(serde_json::Map<String, serde_json::Value>, Option<String>)> {
        Err(ApiError::validation(
            "This build of Roster has no offline demo of the cloud directories. Use the desktop app or rosterctl, which have it.",
        ))
    }

    pub(crate) async fn demo_remember(
        &self,
        _: crate::kinds::Vendor,
        _: &roster_oauth::TokenSet,
        _: &[String],
    ) {
    }
}
