//! One consent, in two phases: [`Consent::start`] opens the loopback listener and builds the authorization
//! URL; [`Consent::finish`] waits for the browser to come back, checks it, exchanges the code and tells the
//! browser how it went.
//!
//! Invariants: the listener binds 127.0.0.1 only; an answer is accepted only with this consent's `state`
//! (others are answered "not this sign-in" and the wait goes on); the code and tokens are never logged.

use crate::bearer::TokenSet;
use crate::exchange::{self, OidcClient, TokenHttp};
use crate::loopback::{self, Arrival, CALLBACK_PATH};
use crate::page::{self, Outcome};
use crate::{claims, colon, OAuthError};
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};
use roster_cloud::ConsentConfig;
use roster_core::clock::{Clock, SystemClock};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A finished consent.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The tokens (save them with [`TokenSet::save`]).
    pub tokens: TokenSet,
    /// Who approved, from the ID token (`preferred_username`, `email`, `name`) or the userinfo endpoint;
    /// `None` when the vendor said neither.
    pub authorized_by: Option<String>,
}

impl std::fmt::Debug for Authorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("tokens", &self.tokens)
            .field("authorized_by", &self.authorized_by)
            .finish()
    }
}

/// A consent waiting for the browser.
pub struct Consent {
    config: ConsentConfig,
    listener: std::net::TcpListener,
    client: OidcClient,
    url: String,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
    nonce: Option<String>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Consent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consent")
            .field("vendor", &self.config.vendor)
            .field("listening", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Consent {
    /// Opens the loopback listener on 127.0.0.1 (a free port) and builds the authorization URL: PKCE S256,
    /// a random `state`, a random `nonce` when `openid` is asked, redirect
    /// `http://{config.loopback_host}:{port}/callback`, the config's scopes and extra parameters.
    pub fn start(config: &ConsentConfig) -> Result<Consent, OAuthError> {
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(|e| OAuthError::Listen(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| OAuthError::Listen(e.to_string()))?
            .port();
        let redirect = format!(
            "http://{}:{port}{CALLBACK_PATH}",
            config.loopback_host.as_str()
        );
        let client = exchange::client(config, Some(&redirect))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let openid = config.scopes.iter().any(|s| s == "openid");
        let nonce = openid.then(|| CsrfToken::new_random().secret().clone());
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_scopes(config.scopes.iter().cloned().map(Scope::new));
        if let Some(n) = &nonce {
            request = request.add_extra_param("nonce", n.clone());
        }
        for (k, v) in &config.extra_params {
            request = request.add_extra_param(k.clone(), v.clone());
        }
        let (url, state) = request.url();
        Ok(Consent {
            config: config.clone(),
            listener,
            client,
            url: url.to_string(),
            state,
            verifier,
            nonce,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` to stamp when the tokens expire (default: the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Consent {
        self.clock = clock;
        self
    }

    /// The URL to open in the browser.
    pub fn authorization_url(&self) -> &str {
        &self.url
    }

    /// The redirect URI the vendor will send the browser back to.
    pub fn redirect_uri(&self) -> String {
        self.client
            .redirect_uri()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    /// Waits for the browser (at most `timeout`, or until `cancel` completes), then exchanges the code.
    /// Requests to other paths (a favicon) are answered 404; answers without this consent's `state` are
    /// refused with a page and the wait goes on. The browser is shown a result page either way.
    pub async fn finish(
        self,
        timeout: Duration,
        cancel: impl Future<Output = ()>,
    ) -> Result<Authorized, OAuthError> {
        self.finish_then(timeout, cancel, Ok::<Authorized, std::convert::Infallible>)
            .await
            .map(|kept| match kept {
                Ok(a) => a,
                Err(never) => match never {},
            })
    }

    /// As [`Consent::finish`], and `keep` (saving the connection) runs before the browser is answered:
    /// the page says "connected" only once the connection is saved, so anything that looks (the app's
    /// window, the admin) finds it there, and a failure to save is shown in the browser too. The outer
    /// error is the sign-in's; the inner result is `keep`'s.
    pub async fn finish_then<T, E: std::fmt::Display>(
        self,
        timeout: Duration,
        cancel: impl Future<Output = ()>,
        keep: impl FnOnce(Authorized) -> Result<T, E>,
    ) -> Result<Result<T, E>, OAuthError> {
        let mut keep = Some(keep);
        self.listener
            .set_nonblocking(true)
            .map_err(|e| OAuthError::Listen(e.to_string()))?;
        let listener = tokio::net::TcpListener::from_std(
            self.listener
                .try_clone()
                .map_err(|e| OAuthError::Listen(e.to_string()))?,
        )
        .map_err(|e| OAuthError::Listen(e.to_string()))?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Arrival>(16);
        // Connection readers; aborted when this returns.
        let mut readers = tokio::task::JoinSet::new();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        tokio::pin!(cancel);
        loop {
            tokio::select! {
                () = &mut cancel => return Err(OAuthError::Cancelled),
                () = &mut deadline => return Err(OAuthError::TimedOut(timeout)),
                accepted = listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        let tx = tx.clone();
                        readers.spawn(async move {
                            if let Some(arrival) = loopback::read(stream).await {
                                let _ = tx.send(arrival).await;
                            }
                        });
                    }
                }
                Some(arrival) = rx.recv() => {
                    if let Some(done) = self.answer(arrival, &mut keep).await {
                        return done;
                    }
                }
                Some(_) = readers.join_next(), if !readers.is_empty() => {}
            }
        }
    }

    /// Handles one `/callback` request; `None` to keep waiting.
    async fn answer<T, E: std::fmt::Display, K: FnOnce(Authorized) -> Result<T, E>>(
        &self,
        arrival: Arrival,
        keep: &mut Option<K>,
    ) -> Option<Result<Result<T, E>, OAuthError>> {
        let Arrival { params, stream } = arrival;
        let get = |k: &str| {
            params
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.as_str())
        };
        let vendor = &self.config.vendor;
        if get("state") != Some(self.state.secret().as_str()) {
            tracing::debug!("loopback answer with a wrong or missing state ignored");
            loopback::page(stream, 400, &page::render(vendor, &Outcome::NotThisSignIn)).await;
            return None;
        }
        let result = match (get("code"), get("error")) {
            (_, Some("access_denied")) => Err(OAuthError::Denied {
                vendor: vendor.clone(),
            }),
            (_, Some(error)) => Err(OAuthError::Refused {
                vendor: vendor.clone(),
                error: error.chars().take(100).collect(),
                description: colon(
                    get("error_description").map(|d| d.lines().next().unwrap_or("")),
                ),
            }),
            (Some(code), None) => self.exchange(code.to_string()).await,
            (None, None) => Err(OAuthError::Protocol {
                vendor: vendor.clone(),
                detail: "the browser came back with neither a code nor an error".into(),
            }),
        };
        let result = match (result, keep.take()) {
            (Ok(authorized), Some(keep)) => Ok(keep(authorized)),
            (Ok(_), None) => Err(OAuthError::Protocol {
                vendor: vendor.clone(),
                detail: "the sign-in finished twice".into(),
            }),
            (Err(e), _) => Err(e),
        };
        let failed = match &result {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        match failed {
            None => loopback::page(stream, 200, &page::render(vendor, &Outcome::Connected)).await,
            Some(message) => {
                loopback::page(
                    stream,
                    400,
                    &page::render(vendor, &Outcome::Failed(message)),
                )
                .await
            }
        }
        Some(result)
    }

    async fn exchange(&self, code: String) -> Result<Authorized, OAuthError> {
        let http = TokenHttp::new()?;
        let verifier = PkceCodeVerifier::new(self.verifier.secret().clone());
        let answer = exchange::redeem(
            &self.config,
            &self.client,
            &http,
            code,
            verifier,
            self.clock.now().0,
        )
        .await?;
        let mut authorized_by = None;
        if let Some(jwt) = &answer.id_token {
            let c = claims::id_token_claims(jwt, &self.config.client_id, self.nonce.as_deref())
                .map_err(|detail| OAuthError::Protocol {
                    vendor: self.config.vendor.clone(),
                    detail,
                })?;
            authorized_by = claims::who(&c);
        }
        if authorized_by.is_none() {
            if let Some(url) = &self.config.userinfo_url {
                authorized_by = exchange::userinfo(&http, url, &answer.tokens.access_token).await;
            }
        }
        Ok(Authorized {
            tokens: answer.tokens,
            authorized_by,
        })
    }
}
