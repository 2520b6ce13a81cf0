//! Cloud connections (Entra ID, Google Workspace, Okta): their settings, and the connectors built over
//! keychain-held tokens. Signing in lives in `consent`, the offline emulators in `demo`.
//!
//! Invariants: tokens and client secrets live only in the [`crate::SecretStore`]; a run refused by the
//! vendor (consent revoked or expired) marks the connection `needs_reauthorization`.

use crate::error::{ApiError, Code, Result};
use crate::kinds::{ConnectionKind, Vendor, CLIENT_SECRET, TOKENS};
use crate::session::Session;
use crate::spec::CloudSpec;
use crate::{json, Roster};
use roster_cloud::{Bearer, ConsentConfig, Pause, RealPause};
use roster_core::source::{Connector, ConnectorError};
use roster_store::ConnectionRecord;
use std::sync::Arc;

/// A cloud connection's parsed settings.
pub(crate) enum CloudSettings {
    Entra(roster_connector_entra::Settings),
    Google(roster_connector_google::Settings),
    Okta(roster_connector_okta::Settings),
}

fn unreadable(kind: ConnectionKind, e: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!(
        "The {} connection settings are not valid: {e}. The README lists every field of a {} connection.",
        kind.info().name,
        kind.as_str()
    ))
}

/// The vendor of a cloud connection's kind, or what to do instead.
pub(crate) fn vendor_of(kind: ConnectionKind) -> Result<Vendor> {
    kind.vendor().ok_or_else(|| {
        ApiError::validation(format!(
            "A {} connection does not sign in through a browser; only Entra ID, Google Workspace and Okta connections do.",
            kind.info().name
        ))
    })
}

impl CloudSettings {
    pub(crate) fn parse(kind: ConnectionKind, config: &serde_json::Value) -> Result<CloudSettings> {
        let mut config = config.clone();
        if let Some(o) = config.as_object_mut() {
            o.remove("demo");
        }
        let s = match vendor_of(kind)? {
            Vendor::Entra => CloudSettings::Entra(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            Vendor::Google => CloudSettings::Google(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            Vendor::Okta => CloudSettings::Okta(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
        };
        let checked = match &s {
            CloudSettings::Entra(x) => x.validate(),
            CloudSettings::Google(x) => x.validate(),
            CloudSettings::Okta(x) => x.validate(),
        };
        checked.map_err(ApiError::validation)?;
        Ok(s)
    }

    pub(crate) fn consent(&self, client_secret: Option<String>) -> Result<ConsentConfig> {
        Ok(match self {
            CloudSettings::Entra(s) => s.consent(),
            CloudSettings::Google(s) => s.consent(client_secret.ok_or_else(|| {
                ApiError::validation("Give the client secret of your Google Desktop OAuth client (\"client_secret\"); Google's token endpoint requires it. Roster keeps it in the OS keychain.")
            })?),
            CloudSettings::Okta(s) => s.consent(),
        })
    }

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

/// Checks a spec's cloud connection; the error says what to fix.
pub(crate) fn validate(kind: ConnectionKind, c: &CloudSpec) -> Result<()> {
    if c.demo {
        return Ok(());
    }
    let settings = CloudSettings::parse(kind, &serde_json::Value::Object(c.settings.clone()))?;
    settings
        .consent(c.client_secret.as_ref().map(|s| s.expose().to_string()))
        .map(|_| ())
}

/// The name of a cloud kind's offline demo ("Okta (demo)").
pub(crate) fn demo_name(kind: ConnectionKind) -> String {
    format!("{} (demo)", kind.info().short_name)
}

/// A cloud connection's display name when the spec gives none.
pub(crate) fn default_name(kind: ConnectionKind, c: &CloudSpec) -> String {
    if c.demo {
        return demo_name(kind);
    }
    let s = |k: &str| {
        c.settings
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let given = match kind.vendor() {
        Some(Vendor::Entra) => s("tenant"),
        Some(Vendor::Google) => s("domain"),
        Some(Vendor::Okta) => s("org_url"),
        None => None,
    };
    given.unwrap_or_else(|| kind.info().name.to_string())
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
        _: Vendor,
    ) -> Result<(serde_json::Map<String, serde_json::Value>, Option<String>)> {
        Err(ApiError::validation(
            "This build of Roster has no offline demo of the cloud directories. Use the desktop app or rosterctl, which have it.",
        ))
    }

    pub(crate) async fn demo_remember(&self, _: Vendor, _: &roster_oauth::TokenSet, _: &[String]) {}
}
