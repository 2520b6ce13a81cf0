//! Cloud connections (Entra ID, Google Workspace, Okta): their settings, OAuth consent in the system
//! browser (and again, "Reauthorize"), the connectors built over keychain-held tokens, and the built-in
//! emulators that stand in for the vendors in the offline demo.
//!
//! Invariants: tokens and client secrets live only in the [`crate::SecretStore`]; a connection is saved
//! only after consent succeeded (a cancelled or failed consent leaves nothing behind); a run refused by the
//! vendor (consent revoked or expired) marks the connection `needs_reauthorization`, and reauthorizing keeps
//! its directory syncs.

use crate::error::{ApiError, Code, Result};
use crate::spec::CloudSpec;
use crate::{json, Roster};
use roster_cloud::{Bearer, ConsentConfig, Pause, RealPause};
use roster_core::source::{Connector, ConnectorError};
use roster_core::AttributeMap;
use roster_emulator::Vendor;
use roster_store::ConnectionRecord;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Default time to wait for the admin to approve in the browser.
pub const DEFAULT_CONSENT_TIMEOUT: Duration = Duration::from_secs(300);

/// How often the demo organisations change while the app runs.
const DEMO_CHURN_EVERY: Duration = Duration::from_secs(600);

/// How a front door shows the vendor's sign-in page to the admin: the desktop app opens the system browser
/// and tells the UI (which offers the link too, in case no browser opened); `rosterctl --no-browser`
/// prints the URL.
pub trait ConsentPrompt: Send + Sync {
    /// Shows `url`, the sign-in and consent page of `vendor`. An error means the page could not be shown
    /// (no browser); the consent is then abandoned with that message.
    fn present(&self, vendor: &str, url: &str) -> std::result::Result<(), String>;
}

/// A cloud connection's parsed settings.
pub(crate) enum CloudSettings {
    Entra(roster_connector_entra::Settings),
    Google(roster_connector_google::Settings),
    Okta(roster_connector_okta::Settings),
}

fn unreadable(kind: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!(
        "The {} connection settings are not valid: {e}. The README lists every field of a {kind} connection.",
        vendor_name(kind)
    ))
}

/// Whether connections of this kind sign in through a browser (Entra ID, Google Workspace, Okta).
pub(crate) fn is_cloud_kind(kind: &str) -> bool {
    matches!(kind, "entra" | "google" | "okta")
}

/// Whether `value` has the shape of the vendor's group ids (so a value that names no group may still be
/// one, given by id).
pub(crate) fn is_group_id(kind: &str, value: &str) -> bool {
    match kind {
        "entra" => roster_connector_entra::is_group_id(value),
        "google" => roster_connector_google::is_group_id(value),
        "okta" => roster_connector_okta::is_group_id(value),
        _ => false,
    }
}

/// The vendor's name for messages.
pub(crate) fn vendor_name(kind: &str) -> &'static str {
    match kind {
        "entra" => "Microsoft Entra ID",
        "google" => "Google Workspace",
        "okta" => "Okta",
        _ => "cloud",
    }
}

fn vendor_of(kind: &str) -> Result<Vendor> {
    match kind {
        "entra" => Ok(Vendor::Entra),
        "google" => Ok(Vendor::Google),
        "okta" => Ok(Vendor::Okta),
        other => Err(ApiError::validation(format!(
            "A {other} connection does not sign in through a browser; only Entra ID, Google Workspace and Okta connections do."
        ))),
    }
}

impl CloudSettings {
    pub(crate) fn parse(kind: &str, config: &serde_json::Value) -> Result<CloudSettings> {
        let mut config = config.clone();
        if let Some(o) = config.as_object_mut() {
            o.remove("demo");
        }
        let s = match kind {
            "entra" => CloudSettings::Entra(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            "google" => CloudSettings::Google(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            "okta" => CloudSettings::Okta(
                serde_json::from_value(config).map_err(|e| unreadable(kind, e))?,
            ),
            other => return Err(unreadable(other, "this is not a cloud connection")),
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

/// The attribute mapping a new directory sync of this kind starts with.
pub(crate) fn default_attributes(kind: &str) -> Option<AttributeMap> {
    match kind {
        "entra" => Some(roster_connector_entra::default_attributes()),
        "google" => Some(roster_connector_google::default_attributes()),
        "okta" => Some(roster_connector_okta::default_attributes()),
        _ => None,
    }
}

/// Checks a spec's cloud connection; the error says what to fix.
pub(crate) fn validate(kind: &str, c: &CloudSpec) -> Result<()> {
    if c.demo {
        return Ok(());
    }
    let settings = CloudSettings::parse(kind, &serde_json::Value::Object(c.settings.clone()))?;
    settings
        .consent(c.client_secret.as_ref().map(|s| s.expose().to_string()))
        .map(|_| ())
}

/// A cloud connection's display name when the spec gives none.
pub(crate) fn default_name(kind: &str, c: &CloudSpec) -> String {
    if c.demo {
        return format!(
            "{} (demo)",
            match kind {
                "entra" => "Entra ID",
                "google" => "Google Workspace",
                _ => "Okta",
            }
        );
    }
    let s = |k: &str| {
        c.settings
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let given = match kind {
        "entra" => s("tenant"),
        "google" => s("domain"),
        _ => s("org_url"),
    };
    given.unwrap_or_else(|| vendor_name(kind).to_string())
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

/// The running demo emulators of this process, started on first use.
#[derive(Default)]
pub(crate) struct DemoServers {
    running: tokio::sync::Mutex<HashMap<Vendor, roster_emulator::Running>>,
}

impl std::fmt::Debug for DemoServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoServers")
    }
}

/// Keys of a cloud connection's secrets.
pub(crate) const TOKENS: &str = "oauth_tokens";
pub(crate) const CLIENT_SECRET: &str = "client_secret";

fn oauth_error(e: roster_oauth::OAuthError) -> ApiError {
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

impl Roster {
    /// The demo emulator of `vendor`, started if it is not running; returns its connection settings
    /// (endpoints on 127.0.0.1) and the Google demo client's secret.
    async fn demo_settings(
        &self,
        vendor: Vendor,
    ) -> Result<(serde_json::Map<String, serde_json::Value>, Option<String>)> {
        let mut running = self.demo_servers.running.lock().await;
        let server = match running.entry(vendor) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut options = roster_emulator::Options::demo(vendor);
                options.users = 500;
                let server = roster_emulator::serve(vendor, options).await.map_err(|e| {
                ApiError::new(
                    Code::Unknown,
                    format!("The offline demo of {} could not start ({e}). Close other copies of Roster and try again.", vendor_name(vendor.kind())),
                )
            })?;
                // The demo organisation changes over time, as a real one does: a few changes every few
                // minutes, so scheduled syncs have something to show. The task ends with the server.
                let state = Arc::downgrade(&server.state);
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(DEMO_CHURN_EVERY).await;
                        match state.upgrade() {
                            Some(s) => {
                                s.write().churn(3);
                            }
                            None => break,
                        }
                    }
                });
                e.insert(server)
            }
        };
        let mut spec = match server.connection_spec() {
            serde_json::Value::Object(o) => o,
            _ => serde_json::Map::new(),
        };
        spec.remove("kind");
        spec.remove("name");
        let secret = spec
            .remove("client_secret")
            .and_then(|v| v.as_str().map(str::to_string));
        Ok((spec, secret))
    }

    /// Lets the demo emulator honour the consent a demo connection was given before, by an emulator of an
    /// earlier start of the app (the real vendors remember consents; an emulator that forgot them on every
    /// start would make the demo ask again each time). `scopes` are those the consent asked for, used when
    /// the token response did not list the granted ones.
    async fn demo_remember(
        &self,
        vendor: Vendor,
        tokens: &roster_oauth::TokenSet,
        scopes: &[String],
    ) {
        let running = self.demo_servers.running.lock().await;
        if let (Some(server), Some(refresh)) = (running.get(&vendor), tokens.refresh_token.as_ref())
        {
            let admin = server
                .state
                .read()
                .admin()
                .map(|p| p.id.clone())
                .unwrap_or_default();
            server.state.tokens.adopt_refresh(
                refresh,
                roster_emulator::tokens::Grant {
                    client_id: server.state.options.client_id.clone(),
                    subject: admin,
                    scopes: match &tokens.scope {
                        Some(granted) => granted.split_whitespace().map(str::to_string).collect(),
                        None => scopes.to_vec(),
                    },
                },
            );
        }
    }

    /// A connection's current settings: for demo connections, the running emulator's endpoints (saved
    /// again if they moved since the last start), plus the client secret.
    async fn cloud_settings_of(
        &self,
        tenant: &str,
        c: &ConnectionRecord,
    ) -> Result<(CloudSettings, Option<String>)> {
        let demo = c
            .config
            .get("demo")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let secret_key = Self::secret_key(tenant, &c.id, CLIENT_SECRET);
        if demo {
            let vendor = vendor_of(&c.kind)?;
            let (mut settings, secret) = self.demo_settings(vendor).await?;
            settings.insert("demo".into(), serde_json::Value::Bool(true));
            let config = serde_json::Value::Object(settings);
            if config != c.config {
                let t = self.tenant()?;
                t.store.update_connection_config(&c.id, &config)?;
            }
            let parsed = CloudSettings::parse(&c.kind, &config)?;
            // Every time, not only when the emulator starts: several tenants may each have a demo
            // connection to it, and the stored refresh token is always the current one.
            if let Some(tokens) = self.stored_tokens(tenant, &c.id)? {
                let asked = parsed.consent(secret.clone())?.scopes;
                self.demo_remember(vendor, &tokens, &asked).await;
            }
            return Ok((parsed, secret));
        }
        let secret = self.secrets.get(&secret_key)?.map(|s| s.0);
        Ok((CloudSettings::parse(&c.kind, &c.config)?, secret))
    }

    fn stored_tokens(&self, tenant: &str, id: &str) -> Result<Option<roster_oauth::TokenSet>> {
        let key = Self::secret_key(tenant, id, TOKENS);
        Ok(self
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
            self.secrets.clone(),
            Self::secret_key(tenant, &c.id, TOKENS),
            config,
            self.clock.clone(),
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
        let t = self.tenant()?;
        t.store.set_connection_status(id, "needs_reauthorization")?;
        Ok(())
    }

    /// Runs a consent; `keep` (saving what it gave) runs before the browser is told the result, so the
    /// page says "connected" only once the connection is saved.
    async fn run_consent<T>(
        &self,
        config: &ConsentConfig,
        prompt: &dyn ConsentPrompt,
        timeout: Duration,
        keep: impl FnOnce(roster_oauth::Authorized) -> Result<T> + Send,
    ) -> Result<T> {
        let consent = roster_oauth::Consent::start(config)
            .map_err(oauth_error)?
            .with_clock(self.clock.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        {
            let mut slot = self
                .consent_cancel
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if slot.as_ref().is_some_and(|s| !s.is_closed()) {
                return Err(ApiError::conflict(
                    "Another sign-in is already waiting in the browser. Finish or cancel it first.",
                ));
            }
            *slot = Some(tx);
        }
        let shown = prompt.present(&config.vendor, consent.authorization_url());
        let result = match shown {
            Err(e) => Err(ApiError::new(
                Code::Unknown,
                format!("Roster could not open the browser ({e}). Open the sign-in link by hand, or run `rosterctl … --no-browser` and open the printed link."),
            )),
            Ok(()) => consent
                .finish_then(
                    timeout,
                    async {
                        let _ = rx.await;
                    },
                    keep,
                )
                .await
                .map_err(oauth_error)
                .and_then(|kept| kept),
        };
        self.consent_cancel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        result
    }

    /// Cancels the sign-in waiting in the browser, if any. Returns whether one was waiting.
    pub fn cancel_consent(&self) -> bool {
        self.consent_cancel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .map(|tx| tx.send(()).is_ok())
            .unwrap_or(false)
    }

    /// Adds a cloud connection: runs the vendor's consent in the browser (through `prompt`), then saves
    /// the connection with its tokens in the keychain. Nothing is saved unless consent succeeds.
    pub async fn authorize_connection(
        &self,
        spec: &crate::spec::ConnectionSpec,
        prompt: &dyn ConsentPrompt,
        timeout: Duration,
    ) -> Result<json::Connection> {
        use crate::spec::ConnectionSpec as S;
        let t = self.tenant()?;
        spec.validate()?;
        let kind = spec.kind();
        let c = match spec {
            S::Entra(c) | S::Google(c) | S::Okta(c) => c,
            _ => {
                return Err(ApiError::validation(format!(
                    "A {kind} connection does not sign in through a browser; add it with its directory sync."
                )))
            }
        };
        let (config, secret) = if c.demo {
            let (mut settings, secret) = self.demo_settings(vendor_of(kind)?).await?;
            settings.insert("demo".into(), serde_json::Value::Bool(true));
            (serde_json::Value::Object(settings), secret)
        } else {
            (
                serde_json::Value::Object(c.settings.clone()),
                c.client_secret.as_ref().map(|s| s.expose().to_string()),
            )
        };
        let settings = CloudSettings::parse(kind, &config)?;
        let consent = settings.consent(secret.clone())?;
        let id = format!("conn-{}", crate::sync::random_hex(6));
        let name = spec.display_name();
        let keep = |authorized: roster_oauth::Authorized| -> Result<()> {
            self.save_tokens(&t.id, &id, &authorized.tokens)?;
            if let Some(s) = &secret {
                self.secrets.set(
                    &Self::secret_key(&t.id, &id, CLIENT_SECRET),
                    &roster_secrets::Sensitive(s.clone()),
                )?;
            }
            let now = self.now();
            let rec = ConnectionRecord {
                id: id.clone(),
                kind: kind.to_string(),
                name,
                config,
                status: "ready".into(),
                authorized_by: authorized.authorized_by.clone(),
                authorized_at: Some(now),
                state: serde_json::json!({}),
                created_at: now,
            };
            if let Err(e) = t.store.insert_connection(&rec) {
                // Nothing half-saved: the tokens go with the connection that failed to be written.
                let _ = self.delete_secrets(&t.id, &id);
                return Err(e.into());
            }
            Ok(())
        };
        self.run_consent(&consent, prompt, timeout, keep).await?;
        self.connection_json(&id)
    }

    /// Runs consent again for a saved cloud connection (its sign-in was revoked or expired, or the admin
    /// wants another account to authorize it). Its directory syncs are kept.
    pub async fn reauthorize_connection(
        &self,
        id: &str,
        prompt: &dyn ConsentPrompt,
        timeout: Duration,
    ) -> Result<json::Connection> {
        let t = self.tenant()?;
        let c = t.store.connection(id)?;
        vendor_of(&c.kind)?;
        let (settings, secret) = self.cloud_settings_of(&t.id, &c).await?;
        let consent = settings.consent(secret)?;
        let keep = |authorized: roster_oauth::Authorized| -> Result<()> {
            self.save_tokens(&t.id, id, &authorized.tokens)?;
            t.store.set_connection_authorized(
                id,
                authorized.authorized_by.as_deref(),
                self.now(),
                None,
            )?;
            Ok(())
        };
        self.run_consent(&consent, prompt, timeout, keep).await?;
        self.connection_json(id)
    }

    fn save_tokens(&self, tenant: &str, id: &str, tokens: &roster_oauth::TokenSet) -> Result<()> {
        let text = serde_json::to_string(tokens)
            .map_err(|e| ApiError::new(Code::Unknown, format!("Tokens could not be saved: {e}")))?;
        let key = Self::secret_key(tenant, id, TOKENS);
        // Held as a refresh holds it (roster-oauth's StoredBearer): another process that is refreshing
        // the same connection's tokens right now cannot put the previous consent's tokens back after us.
        let _lock = self.secrets.lock_key(&key)?;
        self.secrets.set(&key, &roster_secrets::Sensitive(text))?;
        Ok(())
    }

    /// One connection as the boundary shows it.
    pub fn connection_json(&self, id: &str) -> Result<json::Connection> {
        self.list_connections()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                ApiError::not_found(format!("There is no connection {id} in this tenant."))
            })
    }
}

impl Roster {
    /// Adds a directory sync whose spec may carry a new cloud connection: consent runs first (through
    /// `prompt`), then the sync is added. Groups (and role-mapped groups) may be given by name: a name that
    /// matches exactly one of the vendor's groups becomes that group's id. If adding the sync fails after
    /// consent, the new connection is removed again, so nothing is left half-added.
    pub async fn add_directory_signed_in(
        &self,
        mut spec: crate::spec::DirectorySpec,
        prompt: &dyn ConsentPrompt,
        timeout: Duration,
    ) -> Result<json::AddedDirectory> {
        use crate::spec::ConnectionRef;
        let t = self.tenant()?;
        // What can be checked without the vendor is checked before the browser opens.
        let name = crate::names::check_name("directory sync", &spec.name)?;
        if t.store
            .directories()?
            .iter()
            .any(|d| d.name.eq_ignore_ascii_case(&name))
        {
            return Err(ApiError::conflict(format!(
                "A directory sync named \"{name}\" already exists in this tenant. Choose another name. Nothing was added."
            )));
        }
        match &spec.connection {
            ConnectionRef::New(c) if c.is_cloud() => {
                let conn = self.authorize_connection(c, prompt, timeout).await?;
                spec.connection = ConnectionRef::Existing(conn.id.clone());
                let added = async {
                    self.resolve_group_names(&conn.id, &conn.kind, &mut spec)
                        .await?;
                    self.add_directory(spec)
                }
                .await;
                if added.is_err() {
                    let _ = self.delete_connection(&conn.id);
                }
                added
            }
            ConnectionRef::Existing(id) => {
                // Names are resolved the same way for a connection added before.
                let c = t.store.connection(id)?;
                if is_cloud_kind(&c.kind) {
                    self.resolve_group_names(&c.id, &c.kind, &mut spec).await?;
                }
                self.add_directory(spec)
            }
            ConnectionRef::New(_) => self.add_directory(spec),
        }
    }

    /// Replaces the groups (and role-mapped groups) a spec names by the ids of the vendor's groups with
    /// those exact names; a value that is already a group id stays. An unknown or ambiguous name is
    /// refused, with what to do.
    async fn resolve_group_names(
        &self,
        connection: &str,
        kind: &str,
        spec: &mut crate::spec::DirectorySpec,
    ) -> Result<()> {
        let t = self.tenant()?;
        let c = t.store.connection(connection)?;
        let (connector, refused) = self.cloud_connector(&t.id, &c).await?;
        let vendor = vendor_name(kind);
        let resolve = |given: String| {
            let connector = &connector;
            async move {
                let named = connector
                    .groups_named(given.trim())
                    .await
                    .map_err(|e| ApiError::new(Code::SourceUnreachable, format!("The groups of {vendor} could not be read to find \"{given}\": {e} Nothing was added.")))?;
                match named.as_slice() {
                    [one] => Ok(one.external_id.clone()),
                    [] if is_group_id(kind, given.trim()) => Ok(given.trim().to_string()),
                    [] => Err(ApiError::validation(format!(
                        "No group named \"{given}\" was found in {vendor}. Check the spelling (the name must match exactly, in any case), or give the group's id. Nothing was added."
                    ))),
                    many => Err(ApiError::validation(format!(
                        "{} groups in {vendor} are named \"{given}\" ({}). Give the id of the one to sync instead of its name. Nothing was added.",
                        many.len(),
                        many.iter().map(|g| g.external_id.as_str()).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        };
        let result = async {
            if let Some(groups) = spec.groups.take() {
                let mut ids = Vec::new();
                for g in groups {
                    ids.push(resolve(g).await?);
                }
                spec.groups = Some(ids);
            }
            if let Some(roles) = spec.roles.take() {
                let mut by_id = std::collections::BTreeMap::new();
                for (g, role) in roles {
                    by_id.insert(resolve(g).await?, role);
                }
                spec.roles = Some(by_id);
            }
            Ok(())
        }
        .await;
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(connection)?;
        }
        result
    }

    /// "Test connection" of a cloud connection: the sign-in is still accepted and groups can be read.
    pub(crate) async fn test_cloud_connection(
        &self,
        c: &ConnectionRecord,
    ) -> Result<Vec<json::ConnectionCheck>> {
        let vendor = vendor_name(&c.kind).to_string();
        let check = |step: &str, ok: bool, detail: String| json::ConnectionCheck {
            step: step.into(),
            server: vendor.clone(),
            ok,
            detail,
        };
        let t = self.tenant()?;
        let (connector, refused) = match self.cloud_connector(&t.id, c).await {
            Ok(x) => x,
            Err(e) => return Ok(vec![check("settings", false, e.message)]),
        };
        let r = connector.search_groups("", 1).await;
        if refused.load(std::sync::atomic::Ordering::SeqCst) {
            self.mark_needs_reauthorization(&c.id)?;
        }
        Ok(match r {
            Ok(g) => vec![
                check(
                    "sign_in",
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
                    "read_groups",
                    true,
                    if g.is_empty() {
                        "Groups can be read, but there are none.".into()
                    } else {
                        "Groups can be read.".into()
                    },
                ),
            ],
            Err(ConnectorError::Unauthorized(m)) => vec![check("sign_in", false, m)],
            Err(e) => vec![check("read_groups", false, e.to_string())],
        })
    }
}
