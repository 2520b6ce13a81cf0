//! Tokens at rest ([`TokenSet`], JSON in the secret store) and the [`Bearer`] that keeps them fresh.

use crate::exchange::{self, TokenHttp};
use crate::OAuthError;
use async_trait::async_trait;
use roster_cloud::{Bearer, ConsentConfig};
use roster_core::clock::Clock;
use roster_core::source::ConnectorError;
use roster_secrets::{KeyLock, SecretStore, Sensitive};
use std::sync::Arc;

/// Refresh when the access token expires within this many seconds.
pub const REFRESH_MARGIN_SECS: i64 = 5 * 60;

/// A connection's tokens. Stored as JSON in the keychain; `Debug` shows neither token.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if the vendor issued one (offline access).
    pub refresh_token: Option<String>,
    /// When the access token expires (Unix seconds).
    pub expires_at: i64,
    /// Granted scopes, space-separated, as the vendor reported them.
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

impl TokenSet {
    /// Reads the tokens stored under `key`; `None` if there are none.
    pub fn load(secrets: &dyn SecretStore, key: &str) -> Result<Option<TokenSet>, OAuthError> {
        let Some(raw) = secrets
            .get(key)
            .map_err(|e| OAuthError::Secrets(e.to_string()))?
        else {
            return Ok(None);
        };
        serde_json::from_str(raw.expose()).map(Some).map_err(|_| {
            OAuthError::Secrets(
                "the saved tokens are damaged; reauthorize the connection to replace them".into(),
            )
        })
    }

    /// Stores the tokens under `key`, replacing what was there. A caller replacing tokens that a
    /// [`StoredBearer`] of another process may be refreshing (a reauthorization) should hold
    /// [`SecretStore::lock_key`] for `key` around this; otherwise a refresh finishing just after may put
    /// tokens of the earlier consent back.
    pub fn save(&self, secrets: &dyn SecretStore, key: &str) -> Result<(), OAuthError> {
        let json = serde_json::to_string(self)
            .map_err(|_| OAuthError::Secrets("the tokens could not be encoded".into()))?;
        secrets
            .set(key, &Sensitive(json))
            .map_err(|e| OAuthError::Secrets(e.to_string()))
    }

    /// Whether the access token expires within [`REFRESH_MARGIN_SECS`] of `now`.
    pub fn expires_soon(&self, now: i64) -> bool {
        self.expires_at.saturating_sub(now) <= REFRESH_MARGIN_SECS
    }

    /// Redeems the refresh token at `config`'s token endpoint (no storage). A revoked or expired consent
    /// is [`OAuthError::Revoked`].
    pub async fn refresh(
        &self,
        config: &ConsentConfig,
        clock: &dyn Clock,
    ) -> Result<TokenSet, OAuthError> {
        let http = TokenHttp::new()?;
        exchange::refresh(config, &http, self, clock.now().0).await
    }
}

/// The access token of one connection, from the secret store, refreshed before it expires and when an API
/// rejects it. Rotated refresh tokens are saved.
///
/// Vendors that rotate refresh tokens refuse one that was already redeemed (`invalid_grant`, which reads
/// as a revoked consent), so a refresh token must be redeemed exactly once, by whoever holds the newest.
/// Invariant: a refresh happens only while holding the secret store's lock on the connection's key
/// ([`SecretStore::lock_key`], across processes for the encrypted file and the keychain as the app and
/// `rosterctl` set them up), after reading the tokens again under that lock, and the new tokens are saved
/// before it is released. So when the app and `rosterctl serve` both find the token about to expire, the
/// second waits for the first, then finds and uses its fresh tokens, and tokens are never saved from an
/// older set than the stored one. Within one bearer, concurrent callers first wait on a tokio mutex, so
/// that one of them takes the store's lock and the others reuse its result.
pub struct StoredBearer {
    secrets: Arc<dyn SecretStore>,
    key: String,
    config: ConsentConfig,
    clock: Arc<dyn Clock>,
    gate: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for StoredBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredBearer")
            .field("key", &self.key)
            .field("vendor", &self.config.vendor)
            .field("store", &self.secrets.kind())
            .finish_non_exhaustive()
    }
}

impl StoredBearer {
    /// The bearer of the tokens under `key` in `secrets`, refreshed at `config`'s token endpoint.
    pub fn new(
        secrets: Arc<dyn SecretStore>,
        key: String,
        config: ConsentConfig,
        clock: Arc<dyn Clock>,
    ) -> StoredBearer {
        StoredBearer {
            secrets,
            key,
            config,
            clock,
            gate: tokio::sync::Mutex::new(()),
        }
    }

    fn stored(&self) -> Result<TokenSet, OAuthError> {
        TokenSet::load(self.secrets.as_ref(), &self.key)?.ok_or_else(|| OAuthError::NotAuthorized {
            vendor: self.config.vendor.clone(),
        })
    }

    /// Takes the store's lock on this connection's key (see the type's invariant). Waiting for it blocks a
    /// thread, possibly for as long as another process's refresh takes (bounded by the token request's
    /// timeout), so it waits on a blocking thread rather than on the async runtime's.
    async fn lock_key(&self) -> Result<KeyLock, OAuthError> {
        let secrets = self.secrets.clone();
        let key = self.key.clone();
        tokio::task::spawn_blocking(move || secrets.lock_key(&key))
            .await
            .map_err(|_| {
                OAuthError::Secrets(
                    "waiting for another renewal of this connection's access was interrupted; try again"
                        .into(),
                )
            })?
            .map_err(|e| OAuthError::Secrets(e.to_string()))
    }

    /// Refreshes the tokens unless, read again under the key's lock, they already `serve` (another process
    /// refreshed them while this one waited), and saves the new ones before releasing the lock.
    async fn renew_unless(&self, serve: impl Fn(&TokenSet) -> bool) -> Result<String, OAuthError> {
        let _held = self.lock_key().await?;
        let current = self.stored()?;
        if serve(&current) {
            tracing::debug!(vendor = %self.config.vendor, "access token refreshed by another process");
            return Ok(current.access_token);
        }
        // A client per refresh (about once an hour): building one fails only if TLS cannot be set up, and
        // that is then reported as the refresh's error.
        let http = TokenHttp::new()?;
        let fresh = exchange::refresh(&self.config, &http, &current, self.clock.now().0).await?;
        fresh.save(self.secrets.as_ref(), &self.key)?;
        tracing::debug!(vendor = %self.config.vendor, "access token refreshed");
        Ok(fresh.access_token)
    }

    /// A current access token (see [`Bearer::token`]), as an [`OAuthError`].
    pub async fn current(&self) -> Result<String, OAuthError> {
        let _one = self.gate.lock().await;
        let now = self.clock.now().0;
        let t = self.stored()?;
        if !t.expires_soon(now) {
            return Ok(t.access_token);
        }
        self.renew_unless(|t| !t.expires_soon(now)).await
    }

    /// A token to replace the rejected `token` (see [`Bearer::rejected`]), as an [`OAuthError`].
    pub async fn replace(&self, token: &str) -> Result<String, OAuthError> {
        let _one = self.gate.lock().await;
        let t = self.stored()?;
        if t.access_token != token {
            // Another caller refreshed while this one waited for the gate.
            return Ok(t.access_token);
        }
        self.renew_unless(|t| t.access_token != token).await
    }
}

#[async_trait]
impl Bearer for StoredBearer {
    async fn token(&self) -> Result<String, ConnectorError> {
        self.current().await.map_err(ConnectorError::from)
    }

    async fn rejected(&self, token: &str) -> Result<String, ConnectorError> {
        self.replace(token).await.map_err(ConnectorError::from)
    }
}
