//! Signing in to a cloud directory: OAuth consent in the system browser (and again, "Reauthorize"), the
//! tokens it gives saved in the secret store, and adding a sync whose groups are named (resolved with the
//! vendor, exactly).
//!
//! Invariants: a connection is saved only after consent succeeded (a cancelled or failed consent leaves
//! nothing behind); reauthorizing keeps the connection's directory syncs.

use crate::cloud::oauth_error;
use crate::error::{ApiError, Code, Result};
use crate::kinds::{ConnectionKind, CLIENT_SECRET, TOKENS};
use crate::session::Session;
use crate::spec::cloud::{vendor_of, CloudSettings};
use crate::{json, Roster};
use roster_cloud::ConsentConfig;
use roster_core::access::Permission;
use roster_store::ConnectionRecord;
use std::time::Duration;

/// Default time to wait for the admin to approve in the browser.
pub const DEFAULT_CONSENT_TIMEOUT: Duration = Duration::from_secs(300);

/// How a front door shows the vendor's sign-in page to the admin: the desktop app opens the system browser
/// and tells the UI (which offers the link too, in case no browser opened); `rosterctl --no-browser`
/// prints the URL.
pub trait ConsentPrompt: Send + Sync {
    /// Shows `url`, the sign-in and consent page of `vendor`. An error means the page could not be shown
    /// (no browser); the consent is then abandoned with that message.
    fn present(&self, vendor: &str, url: &str) -> std::result::Result<(), String>;
}

/// A sign-in's turn: the one sign-in that may be under way, claimed when it starts (before a demo
/// directory starts or its settings are read, which take a moment while the window already offers
/// Cancel), so that a Cancel then is not lost. What it holds is where [`Roster::cancel_consent`]'s word
/// arrives; dropping it (the sign-in ended, however) frees the turn.
pub(crate) struct ConsentTurn(tokio::sync::oneshot::Receiver<()>);

impl Roster {
    /// Claims the sign-in turn; refused while another sign-in is under way.
    pub(crate) fn consent_turn(&self) -> Result<ConsentTurn> {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut slot = self
            .consent_cancel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A sender whose receiver is gone belongs to a sign-in that has ended.
        if slot.as_ref().is_some_and(|s| !s.is_closed()) {
            return Err(ApiError::conflict(
                "Another sign-in is already waiting in the browser. Finish or cancel it first.",
            ));
        }
        *slot = Some(tx);
        Ok(ConsentTurn(rx))
    }

    /// Runs a consent in its turn; `keep` (saving what it gave) runs before the browser is told the
    /// result, so the page says "connected" only once the connection is saved. Cancelled before the
    /// browser opens if Cancel came while the sign-in started.
    async fn run_consent<T>(
        &self,
        turn: ConsentTurn,
        config: &ConsentConfig,
        prompt: &dyn ConsentPrompt,
        timeout: Duration,
        keep: impl FnOnce(roster_oauth::Authorized) -> Result<T> + Send,
    ) -> Result<T> {
        let ConsentTurn(mut rx) = turn;
        if rx.try_recv().is_ok() {
            return Err(oauth_error(roster_oauth::OAuthError::Cancelled));
        }
        let consent = roster_oauth::Consent::start(config)
            .map_err(oauth_error)?
            .with_clock(self.clock.clone());
        let shown = prompt.present(&config.vendor, consent.authorization_url());
        match shown {
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
        }
    }

    /// Cancels the sign-in under way (starting, or waiting in the browser), if any. Returns whether one
    /// was.
    pub fn cancel_consent(&self) -> bool {
        self.consent_cancel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .map(|tx| tx.send(()).is_ok())
            .unwrap_or(false)
    }
}

impl Session<'_> {
    /// Adds a cloud connection: runs the vendor's consent in the browser (through `prompt`), then saves
    /// the connection with its tokens in the keychain. Nothing is saved unless consent succeeds.
    pub async fn authorize_connection(
        &self,
        spec: &crate::spec::ConnectionSpec,
        prompt: &dyn ConsentPrompt,
        timeout: Duration,
    ) -> Result<json::Connection> {
        use crate::spec::ConnectionSpec as S;
        self.require(Permission::ConfigureUserSyncs)?;
        let t = self.tenant.clone();
        spec.validate()?;
        let turn = self.roster.consent_turn()?;
        let kind = spec.kind();
        let c = match spec {
            S::Entra(c) | S::Google(c) | S::Okta(c) => c,
            _ => {
                return Err(ApiError::validation(format!(
                    "A {} connection does not sign in through a browser; add it with its directory sync.",
                    kind.info().name
                )))
            }
        };
        let (config, secret) = if c.demo {
            let (mut settings, secret) = self.roster.demo_settings(vendor_of(kind)?).await?;
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
        let id = format!("conn-{}", crate::random_hex(6));
        let name = spec.display_name();
        let keep = |authorized: roster_oauth::Authorized| -> Result<()> {
            self.save_tokens(&t.id, &id, &authorized.tokens)?;
            if let Some(s) = &secret {
                self.roster.secrets.set(
                    &Roster::secret_key(&t.id, &id, CLIENT_SECRET),
                    &roster_secrets::Sensitive(s.clone()),
                )?;
            }
            let now = self.now();
            let rec = ConnectionRecord {
                id: id.clone(),
                kind: kind.as_str().to_string(),
                name,
                config,
                status: json::ConnectionStatus::Ready.as_str().into(),
                authorized_by: authorized.authorized_by.clone(),
                authorized_at: Some(now),
                state: serde_json::json!({}),
                created_at: now,
            };
            if let Err(e) = t.store.insert_connection(&rec) {
                // Nothing half-saved: the tokens go with the connection that failed to be written.
                let _ = self.roster.delete_secrets(&t.id, &id);
                return Err(e.into());
            }
            Ok(())
        };
        self.roster
            .run_consent(turn, &consent, prompt, timeout, keep)
            .await?;
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
        self.require_connection_change(id)?;
        let t = self.tenant.clone();
        let c = t.store.connection(id)?;
        vendor_of(crate::connections::kind_of(&c)?)?;
        let turn = self.roster.consent_turn()?;
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
        self.roster
            .run_consent(turn, &consent, prompt, timeout, keep)
            .await?;
        self.connection_json(id)
    }

    fn save_tokens(&self, tenant: &str, id: &str, tokens: &roster_oauth::TokenSet) -> Result<()> {
        let text = serde_json::to_string(tokens)
            .map_err(|e| ApiError::new(Code::Unknown, format!("Tokens could not be saved: {e}")))?;
        let key = Roster::secret_key(tenant, id, TOKENS);
        // Held as a refresh holds it (roster-oauth's StoredBearer): another process that is refreshing
        // the same connection's tokens right now cannot put the previous consent's tokens back after us.
        let _lock = self.roster.secrets.lock_key(&key)?;
        self.roster
            .secrets
            .set(&key, &roster_secrets::Sensitive(text))?;
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
        // What can be checked without the vendor is checked before the browser opens: the role first.
        self.require(crate::directories::configure_permission(spec.sync_type))?;
        let t = self.tenant.clone();
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
                    self.resolve_group_names(&conn.id, conn.kind, &mut spec)
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
                let kind = crate::connections::kind_of(&c)?;
                if kind.vendor().is_some() {
                    self.resolve_group_names(&c.id, kind, &mut spec).await?;
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
        kind: ConnectionKind,
        spec: &mut crate::spec::DirectorySpec,
    ) -> Result<()> {
        let t = self.tenant.clone();
        let c = t.store.connection(connection)?;
        let (connector, refused) = self.cloud_connector(&t.id, &c).await?;
        let vendor = kind.info().name;
        let resolve = |given: String| {
            let connector = &connector;
            async move {
                let named = connector
                    .groups_named(given.trim())
                    .await
                    .map_err(|e| ApiError::new(Code::SourceUnreachable, format!("The groups of {vendor} could not be read to find \"{given}\": {e} Nothing was added.")))?;
                match named.as_slice() {
                    [one] => Ok(one.external_id.clone()),
                    [] if kind.is_group_id(given.trim()) => Ok(given.trim().to_string()),
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts the sign-in pages it was asked to show.
    #[derive(Default)]
    struct Shown(AtomicUsize);

    impl ConsentPrompt for Shown {
        fn present(&self, _: &str, _: &str) -> std::result::Result<(), String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    // Why: the window offers Cancel as soon as a sign-in starts, while a demo directory starts or the
    // settings are read; a Cancel then must end the sign-in (the UI e2e test once clicked it there, and
    // the sign-in went on waiting in the browser).
    #[tokio::test]
    async fn a_cancel_while_a_sign_in_starts_ends_it_before_the_browser_opens() {
        let dir = tempfile::tempdir().unwrap();
        let roster = Roster::new(crate::Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(crate::MemorySecrets::default()),
            clock: Arc::new(crate::SystemClock),
            events: Arc::new(crate::NoEvents),
        })
        .unwrap();
        let turn = roster.consent_turn().unwrap();
        assert_eq!(
            roster.consent_turn().err().map(|e| e.code),
            Some(Code::Conflict),
            "one sign-in at a time"
        );
        assert!(roster.cancel_consent(), "a starting sign-in is cancelled");
        let config = ConsentConfig {
            vendor: "Test".into(),
            authorize_url: "http://127.0.0.1:9/authorize".into(),
            token_url: "http://127.0.0.1:9/token".into(),
            client_id: "client".into(),
            ..ConsentConfig::default()
        };
        let shown = Shown::default();
        let r = roster
            .run_consent(turn, &config, &shown, Duration::from_secs(5), |_| Ok(()))
            .await;
        assert_eq!(r.err().map(|e| e.code), Some(Code::Cancelled));
        assert_eq!(
            shown.0.load(Ordering::SeqCst),
            0,
            "the browser never opened"
        );
        assert!(roster.consent_turn().is_ok(), "the turn is free again");
        assert!(!roster.cancel_consent(), "nothing under way to cancel");
    }
}
