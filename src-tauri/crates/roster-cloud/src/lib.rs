//! What Roster's cloud connectors (Entra ID, Google Workspace, Okta) share: an HTTP client for a vendor's
//! JSON API that authorizes each call with a bearer token, honours the vendor's throttling signals, retries
//! transient failures with backoff and jitter, refreshes the token once when the API rejects it, and turns
//! every failure into a [`ConnectorError`] whose message says what happened and what to do next.
//!
//! What it owns: the retry loop and its limits, the [`Bearer`] and [`Pause`] seams, and counting API calls
//! (for the benchmarks).
//!
//! What it must not do: know any vendor's URLs or body shapes (each connector passes a [`Throttling`]
//! classifier), obtain tokens itself (that is `roster-oauth`, behind [`Bearer`]), or log a token.

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use roster_core::source::ConnectorError;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use reqwest::header::HeaderMap;
pub use reqwest::StatusCode;

/// Where access tokens come from. `roster-oauth` implements it over the keychain; tests use [`StaticBearer`].
///
/// Tokens are plain strings here because they go straight into an `Authorization` header; implementations
/// and callers must never log or display them.
#[async_trait]
pub trait Bearer: Send + Sync {
    /// A current access token, refreshed first if it is about to expire.
    async fn token(&self) -> Result<String, ConnectorError>;
    /// The API rejected `token` as invalid or expired (401): refresh it now and return the new one.
    /// Returns [`ConnectorError::Unauthorized`] when consent is gone (revoked or expired refresh token);
    /// the connection then needs reauthorization.
    async fn rejected(&self, token: &str) -> Result<String, ConnectorError>;
}

/// A fixed token, for tests and benchmarks that mint one directly from an emulator.
#[derive(Debug, Clone)]
pub struct StaticBearer(pub String);

#[async_trait]
impl Bearer for StaticBearer {
    async fn token(&self) -> Result<String, ConnectorError> {
        Ok(self.0.clone())
    }
    async fn rejected(&self, _token: &str) -> Result<String, ConnectorError> {
        Err(ConnectorError::Unauthorized(
            "The directory rejected the access token and this connection cannot refresh it. Reauthorize the connection.".into(),
        ))
    }
}

/// Waiting, passed in so that tests of throttling do not wait (and can check how long we would have).
#[async_trait]
pub trait Pause: Send + Sync {
    /// Waits `d`.
    async fn pause(&self, d: Duration);
}

/// Really waits.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealPause;

#[async_trait]
impl Pause for RealPause {
    async fn pause(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// Records each wait and returns at once.
#[derive(Debug, Default)]
pub struct RecordedPause(Mutex<Vec<Duration>>);

impl RecordedPause {
    /// Every wait asked for so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Pause for RecordedPause {
    async fn pause(&self, d: Duration) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(d);
        tokio::task::yield_now().await;
    }
}

/// A response as the connector sees it.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status (always a success status when returned by [`Api::get`]).
    pub status: StatusCode,
    /// Response headers (`Link`, `X-Rate-Limit-*`…).
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// What the vendor's answer means for the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Throttled: wait (the server's hint if it gave one, else backoff with jitter) and try again.
    Throttled(Option<Duration>),
    /// Not throttling; handle the status normally.
    Other,
}

/// A vendor's throttling rules: Graph says 429/503 with `Retry-After`; Google says 403
/// `userRateLimitExceeded`/`quotaExceeded` (and 429); Okta says 429 with `X-Rate-Limit-Reset`.
pub trait Throttling: Send + Sync {
    /// Classifies a non-success answer.
    fn verdict(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Verdict;
    /// Called after every answer, success or not; may ask the client to slow down before the next call
    /// (Okta's `X-Rate-Limit-Remaining: 0`). Default: never.
    fn pace(&self, _headers: &HeaderMap) -> Option<Duration> {
        None
    }
    /// A refusal (a 403 that is not throttling) in the vendor's words: which permission the connection
    /// lacks and what to do. `url` is the request's URL (its query may hold paging tokens: do not repeat
    /// it). Default: `None`, and the client's generic message is used.
    fn refusal(&self, _status: StatusCode, _body: &[u8], _url: &str) -> Option<String> {
        None
    }
}

/// Limits of the retry loop.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, counting the first.
    pub attempts: u32,
    /// First backoff when the server gives no hint; doubles each time.
    pub base: Duration,
    /// Longest single wait (a server asking for more is capped, then asked again).
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 10,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(120),
        }
    }
}

/// An authorized client of one vendor API.
pub struct Api {
    vendor: &'static str,
    http: reqwest::Client,
    bearer: Arc<dyn Bearer>,
    pause: Arc<dyn Pause>,
    throttling: Arc<dyn Throttling>,
    policy: RetryPolicy,
    rng: Mutex<rand_chacha::ChaCha8Rng>,
    calls: AtomicU64,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Api`].
pub struct ApiBuilder {
    vendor: &'static str,
    bearer: Arc<dyn Bearer>,
    throttling: Arc<dyn Throttling>,
    pause: Arc<dyn Pause>,
    policy: RetryPolicy,
    seed: u64,
    timeout: Duration,
}

impl ApiBuilder {
    /// A client of `vendor` (a name for messages: "Microsoft Graph", "Google", "Okta").
    pub fn new(
        vendor: &'static str,
        bearer: Arc<dyn Bearer>,
        throttling: Arc<dyn Throttling>,
    ) -> Self {
        ApiBuilder {
            vendor,
            bearer,
            throttling,
            pause: Arc::new(RealPause),
            policy: RetryPolicy::default(),
            seed: rand::rng().random(),
            timeout: Duration::from_secs(60),
        }
    }
    /// How waits happen (tests: [`RecordedPause`]).
    pub fn pause(mut self, pause: Arc<dyn Pause>) -> Self {
        self.pause = pause;
        self
    }
    /// Retry limits.
    pub fn policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }
    /// Seed of the jitter (tests pass a fixed one).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Per-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// The client.
    pub fn build(self) -> Result<Api, ConnectorError> {
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(30)))
            // Paging links are followed explicitly; a redirect could carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Roster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ConnectorError::Configuration(format!("Roster could not set up HTTPS: {e}"))
            })?;
        Ok(Api {
            vendor: self.vendor,
            http,
            bearer: self.bearer,
            pause: self.pause,
            throttling: self.throttling,
            policy: self.policy,
            rng: Mutex::new(rand_chacha::ChaCha8Rng::seed_from_u64(self.seed)),
            calls: AtomicU64::new(0),
        })
    }
}

/// The request to send (GET unless a body is given).
#[derive(Debug, Clone, Default)]
pub struct Call<'a> {
    /// Absolute URL.
    pub url: &'a str,
    /// Extra headers (`ConsistencyLevel: eventual`, `Prefer`…).
    pub headers: &'a [(&'a str, &'a str)],
    /// A JSON body: the request is then a POST (Graph `$batch`).
    pub json: Option<&'a serde_json::Value>,
}

impl Api {
    /// The vendor name used in messages.
    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    /// API calls made so far (each attempt counts, retries included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        // Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^attempt)], at least 50 ms.
        let ceiling = self
            .policy
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.policy.cap);
        let ms = u64::try_from(ceiling.as_millis())
            .unwrap_or(u64::MAX)
            .max(50);
        let pick = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .random_range(50..=ms);
        Duration::from_millis(pick)
    }

    /// GETs `url` and returns the successful reply. See [`Api::send`].
    pub async fn get(&self, url: &str) -> Result<Reply, ConnectorError> {
        self.send(&Call {
            url,
            ..Call::default()
        })
        .await
    }

    /// GETs `url` and decodes its JSON body as `T`. A body that does not decode (malformed, truncated) is a
    /// [`ConnectorError::Protocol`] naming the vendor and the URL's path; the run then fails and applies
    /// nothing.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<(T, Reply), ConnectorError> {
        let reply = self.get(url).await?;
        let value = self.decode(url, &reply.body)?;
        Ok((value, reply))
    }

    /// Decodes a body as `T` with the error [`Api::get_json`] gives.
    pub fn decode<T: DeserializeOwned>(&self, url: &str, body: &[u8]) -> Result<T, ConnectorError> {
        serde_json::from_slice(body).map_err(|e| {
            ConnectorError::Protocol(format!(
                "{} sent a response Roster could not read ({} at {}: {e}). Nothing was changed; the next sync will try again. If this keeps happening, check for a proxy between Roster and {}.",
                self.vendor,
                if e.is_eof() { "it was cut short" } else { "it is not the expected JSON" },
                path_of(url),
                self.vendor
            ))
        })
    }

    /// GETs `url` like [`Api::get`], except that a 404 is an answer, not an error: `Ok(None)` (the object
    /// asked for does not exist, e.g. a selected group that was deleted).
    pub async fn get_optional(&self, url: &str) -> Result<Option<Reply>, ConnectorError> {
        let call = Call {
            url,
            ..Call::default()
        };
        self.exchange(&call, true, &[]).await
    }

    /// Sends a call: authorizes it, retries throttled and transient failures (waiting as the vendor says, or
    /// with exponential backoff and full jitter), refreshes the token once on 401, and maps the rest:
    /// 401 again or 403 (not throttling) -> [`ConnectorError::Unauthorized`] (for a 403 in the words of
    /// [`Throttling::refusal`] when the vendor has some); 400/404 -> [`ConnectorError::Configuration`];
    /// other failures -> [`ConnectorError::Unreachable`] (transient).
    pub async fn send(&self, call: &Call<'_>) -> Result<Reply, ConnectorError> {
        self.send_passing(call, &[]).await
    }

    /// As [`Api::send`], except that an answer whose status is in `pass` (and is not throttling) is returned
    /// as it is instead of being mapped to an error: for statuses that mean something specific to one call
    /// (Graph answers `410 Gone` to an expired delta token, meaning "read everything again").
    pub async fn send_passing(
        &self,
        call: &Call<'_>,
        pass: &[StatusCode],
    ) -> Result<Reply, ConnectorError> {
        self.exchange(call, false, pass).await?.ok_or_else(|| {
            ConnectorError::Protocol(format!(
                "{} answered {} with nothing. The next sync will try again.",
                self.vendor,
                path_of(call.url)
            ))
        })
    }

    /// [`Api::send`], with a 404 answered as `Ok(None)` when `missing_ok`, and statuses in `pass` returned.
    async fn exchange(
        &self,
        call: &Call<'_>,
        missing_ok: bool,
        pass: &[StatusCode],
    ) -> Result<Option<Reply>, ConnectorError> {
        let mut token = self.bearer.token().await?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.calls.fetch_add(1, Ordering::Relaxed);
            let mut req = match call.json {
                Some(body) => self.http.post(call.url).json(body),
                None => self.http.get(call.url),
            }
            .bearer_auth(&token)
            .header(reqwest::header::ACCEPT, "application/json");
            for (k, v) in call.headers {
                req = req.header(*k, *v);
            }
            let last = attempt >= self.policy.attempts;
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    if last {
                        return Err(ConnectorError::Unreachable(format!(
                            "{} could not be reached ({}). Check the network connection; the next sync will try again.",
                            self.vendor,
                            describe(&e)
                        )));
                    }
                    self.pause.pause(self.backoff(attempt)).await;
                    continue;
                }
            };
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = match resp.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    if last {
                        return Err(ConnectorError::Unreachable(format!(
                            "{} stopped answering mid-response ({}). The next sync will try again.",
                            self.vendor,
                            describe(&e)
                        )));
                    }
                    self.pause.pause(self.backoff(attempt)).await;
                    continue;
                }
            };
            let pace = self.throttling.pace(&headers);
            if status.is_success() {
                if let Some(d) = pace {
                    self.pause.pause(d.min(self.policy.cap)).await;
                }
                return Ok(Some(Reply {
                    status,
                    headers,
                    body,
                }));
            }
            if let Verdict::Throttled(hint) = self.throttling.verdict(status, &headers, &body) {
                if last {
                    return Err(ConnectorError::Unreachable(format!(
                        "{} kept asking Roster to slow down ({} tries). The next sync will try again; if this keeps happening, sync fewer groups or less often.",
                        self.vendor, self.policy.attempts
                    )));
                }
                let wait = hint
                    .map(|d| d.min(self.policy.cap))
                    .unwrap_or_else(|| self.backoff(attempt));
                tracing::debug!(vendor = self.vendor, ?wait, "throttled");
                self.pause.pause(wait).await;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                refreshed = true;
                token = self.bearer.rejected(&token).await?;
                continue;
            }
            if pass.contains(&status) {
                return Ok(Some(Reply {
                    status,
                    headers,
                    body,
                }));
            }
            if missing_ok && status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if status == StatusCode::FORBIDDEN {
                if let Some(message) = self.throttling.refusal(status, &body, call.url) {
                    return Err(ConnectorError::Unauthorized(message));
                }
            }
            let detail = error_detail(&body);
            match status.as_u16() {
                401 => {
                    return Err(ConnectorError::Unauthorized(format!(
                        "{} no longer accepts this connection's sign-in{detail}. Reauthorize the connection.",
                        self.vendor
                    )))
                }
                403 => {
                    return Err(ConnectorError::Unauthorized(format!(
                        "{} refused to show {}{detail}. The account that authorized the connection needs read access to users and groups (see the setup steps), then reauthorize.",
                        self.vendor,
                        path_of(call.url)
                    )))
                }
                400 | 404 => {
                    return Err(ConnectorError::Configuration(format!(
                        "{} answered {} for {}{detail}. Check the connection's settings and the selected groups.",
                        self.vendor,
                        status,
                        path_of(call.url)
                    )))
                }
                _ if last => {
                    return Err(ConnectorError::Unreachable(format!(
                        "{} answered {} for {}{detail}. The next sync will try again.",
                        self.vendor,
                        status,
                        path_of(call.url)
                    )))
                }
                _ => {
                    self.pause.pause(self.backoff(attempt)).await;
                }
            }
        }
    }
}

/// The `Retry-After` header in seconds (the only form Graph and Google send), if any.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The path of a URL, without its query (which may hold paging tokens), for messages.
pub fn path_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => String::from("the API"),
    }
}

/// The vendor's own error message from a JSON error body, as ` ("…")`, or empty.
fn error_detail(body: &[u8]) -> String {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return String::new(),
    };
    let msg = v
        .pointer("/error/message")
        .or_else(|| v.pointer("/errorSummary"))
        .or_else(|| v.pointer("/error_description"))
        .and_then(|m| m.as_str());
    match msg {
        Some(m) if !m.is_empty() => format!(" (\"{}\")", m.chars().take(300).collect::<String>()),
        _ => String::new(),
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "the connection was refused or the name did not resolve".into()
    } else {
        // reqwest's Display includes the URL, whose query may hold a paging token; use the kind only.
        "the connection failed".into()
    }
}

/// What an OAuth consent for a connection needs, as each connector derives it from its settings
/// (`roster-oauth` runs the flow; connectors do not depend on it).
///
/// `Debug` never shows the client secret. Build it with a struct literal ending in
/// `..ConsentConfig::default()` so that fields added later get their defaults.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ConsentConfig {
    /// The vendor's name for messages and the browser page ("Microsoft Entra ID").
    pub vendor: String,
    /// Authorization endpoint.
    pub authorize_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// The customer's app registration.
    pub client_id: String,
    /// Google's Desktop clients have a secret the token endpoint requires (it is not confidential in a
    /// desktop app, but Roster keeps it in the keychain all the same). Entra and Okta public clients have none
    /// and must not send one.
    pub client_secret: Option<String>,
    /// Scopes to ask for, including `openid` (who authorized) and the refresh scope (`offline_access`) where
    /// the vendor needs one.
    pub scopes: Vec<String>,
    /// Extra authorization parameters (Google: `access_type=offline`, `prompt=consent`).
    pub extra_params: Vec<(String, String)>,
    /// The host the loopback redirect URI names. The listener always binds 127.0.0.1; Microsoft's "Mobile and
    /// desktop" platform only lets customers register `http://localhost` (port ignored), so the Entra connector
    /// sets [`LoopbackHost::Localhost`]. Default: the IP literal (RFC 8252 §7.3; Google and Okta).
    #[serde(default)]
    pub loopback_host: LoopbackHost,
    /// The OpenID Connect userinfo endpoint, asked who authorized when the token response has no ID token
    /// naming them (Okta `/oauth2/v1/userinfo`, Google `/v1/userinfo`). `None`: only the ID token is used.
    #[serde(default)]
    pub userinfo_url: Option<String>,
}

impl std::fmt::Debug for ConsentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentConfig")
            .field("vendor", &self.vendor)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("scopes", &self.scopes)
            .field("extra_params", &self.extra_params)
            .field("loopback_host", &self.loopback_host)
            .field("userinfo_url", &self.userinfo_url)
            .finish()
    }
}

/// The host named in a loopback redirect URI (`http://HOST:PORT/callback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum LoopbackHost {
    /// `127.0.0.1`.
    #[default]
    #[serde(rename = "127.0.0.1")]
    Ip,
    /// `localhost` (Microsoft Entra ID).
    #[serde(rename = "localhost")]
    Localhost,
}

impl LoopbackHost {
    /// The host as written in the redirect URI.
    pub fn as_str(self) -> &'static str {
        match self {
            LoopbackHost::Ip => "127.0.0.1",
            LoopbackHost::Localhost => "localhost",
        }
    }
}
