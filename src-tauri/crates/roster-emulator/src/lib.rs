//! Local stand-ins for the cloud directories Roster syncs from: Microsoft Graph (with the Microsoft identity
//! platform), the Google Admin SDK Directory API (with Google's OAuth server) and the Okta Management API
//! (with Okta's org authorization server). Each speaks its vendor's documented wire format, paging,
//! throttling and errors, over a seeded organisation that changes over time ([`directory::Directory`]).
//!
//! What it owns: the organisation and its change history, issued tokens ([`tokens::Tokens`]), fault
//! injection ([`Knobs`]), and one HTTP server per vendor bound to loopback.
//!
//! What it must not do: depend on any Roster connector (the emulators are written from the vendors'
//! documentation, so a connector bug cannot hide behind a matching emulator bug), or listen anywhere but
//! 127.0.0.1.
//!
//! Tests drive the real connectors and the real OAuth flow against it; the desktop app and
//! `rosterctl demo serve` use it for the offline demo.

pub mod auth;
pub mod directory;
pub mod google;
pub mod graph;
pub mod okta;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub use directory::Directory;
pub use tokens::Tokens;

/// Which vendor a server plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// Microsoft Entra ID: the identity platform and Microsoft Graph.
    Entra,
    /// Google Workspace: Google's OAuth server and the Admin SDK Directory API.
    Google,
    /// Okta: the org authorization server and the Management API.
    Okta,
}

impl Vendor {
    /// All three.
    pub const ALL: [Vendor; 3] = [Vendor::Entra, Vendor::Google, Vendor::Okta];
    /// The connection kind in spec files.
    pub fn kind(self) -> &'static str {
        match self {
            Vendor::Entra => "entra",
            Vendor::Google => "google",
            Vendor::Okta => "okta",
        }
    }
}

/// How an emulator starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of the organisation.
    pub seed: u64,
    /// Number of people.
    pub users: usize,
    /// Total number of groups (at least the organisation's own divisions, teams and role groups; extra
    /// project groups are added to reach it). `None`: the organisation's own.
    pub groups: Option<usize>,
    /// The client id the authorization server accepts.
    pub client_id: String,
    /// The client secret it requires (Google Desktop clients); `None` for public clients.
    pub client_secret: Option<String>,
    /// Access token lifetime in seconds (the vendors' default is an hour).
    pub token_lifetime_secs: u64,
    /// Port to listen on at 127.0.0.1 (0: any free port).
    pub port: u16,
}

impl Options {
    /// A small organisation with the demo client registration for `vendor`.
    pub fn demo(vendor: Vendor) -> Options {
        Options {
            seed: 7,
            users: 300,
            groups: None,
            client_id: format!("roster-demo-{}", vendor.kind()),
            client_secret: (vendor == Vendor::Google).then(|| "roster-demo-secret".to_string()),
            token_lifetime_secs: 3600,
            port: 0,
        }
    }
}

/// A fault or throttle to inject into the next API answer (authorization endpoints are never affected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Answer normally.
    Nothing,
    /// Answer with the vendor's throttling response, asking to retry after this many seconds.
    Throttle(u64),
    /// Answer 200 with the body cut off halfway (a dropped connection or a broken proxy).
    Truncate,
}

/// Fault injection and counters, shared by a vendor's routes. All zero: a well-behaved server.
#[derive(Debug, Default)]
pub struct Knobs {
    /// Every Nth API call is throttled (0: never).
    pub throttle_every: AtomicU64,
    /// The next N API calls are throttled (a storm).
    pub throttle_next: AtomicU64,
    /// Seconds the throttling answers ask to wait (`Retry-After`, or Okta's reset time from now).
    pub retry_after_secs: AtomicU64,
    /// The next N API answers are truncated.
    pub truncate_next: AtomicU64,
    /// After this many more API calls every access token issued so far expires (0: off): token expiry in
    /// the middle of a sync.
    pub expire_tokens_after: AtomicU64,
    /// API calls answered so far (authorization endpoints not counted).
    pub calls: AtomicU64,
    /// Requests per one-minute rate-limit window that the API reports (Okta's `X-Rate-Limit-Limit`, counting
    /// down in `X-Rate-Limit-Remaining`); 0: the vendor's default. Tests set it low to see a client pace
    /// itself when the window runs out.
    pub rate_limit: AtomicU64,
    /// The most objects one page of a listing holds, whatever page size the client asked for (0: the
    /// vendor's own sizes). The vendors' page sizes are maxima (Graph may page shorter than `$top`; Okta's
    /// `limit` and Google's `maxResults` are upper bounds), so a client must follow the next-page link
    /// rather than count; tests set this low to make a short list span several pages. A listing that
    /// cannot be paged (Okta's `q=`) is simply cut short.
    pub page_cap: AtomicU64,
    /// Google only: the change sequence number the search index has caught up to (0: up to date). Google
    /// documents that new group data may take up to 36 hours to reach search results, so a `groups.list`
    /// with a `query` does not find a group created after this point, while a plain listing and
    /// `groups.get` do.
    pub search_index_at: AtomicU64,
}

impl Knobs {
    fn take(counter: &AtomicU64) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// Everything one vendor's server holds.
#[derive(Debug)]
pub struct State {
    /// Which vendor.
    pub vendor: Vendor,
    /// The organisation.
    pub directory: RwLock<Directory>,
    /// Issued tokens.
    pub tokens: Tokens,
    /// Fault injection.
    pub knobs: Knobs,
    /// The options it started with.
    pub options: Options,
    /// `http://127.0.0.1:PORT`, known once bound.
    pub base_url: String,
}

impl State {
    /// Counts an API call and says what to inject into its answer. Every vendor route calls this first
    /// (after checking the token).
    pub fn before_api_call(&self) -> Injected {
        let k = &self.knobs;
        let n = k.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if Knobs::take(&k.expire_tokens_after) && k.expire_tokens_after.load(Ordering::SeqCst) == 0
        {
            self.tokens.expire_access();
        }
        let wait = k.retry_after_secs.load(Ordering::SeqCst);
        if Knobs::take(&k.throttle_next) {
            return Injected::Throttle(wait);
        }
        let every = k.throttle_every.load(Ordering::SeqCst);
        if every > 0 && n.is_multiple_of(every) {
            return Injected::Throttle(wait);
        }
        if Knobs::take(&k.truncate_next) {
            return Injected::Truncate;
        }
        Injected::Nothing
    }

    /// `asked` objects a page, or fewer when [`Knobs::page_cap`] says so.
    pub fn page_size(&self, asked: usize) -> usize {
        match usize::try_from(self.knobs.page_cap.load(Ordering::SeqCst)) {
            Ok(0) | Err(_) => asked,
            Ok(cap) => asked.min(cap),
        }
    }

    /// Reads the organisation.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the organisation.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.directory
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state, for tests to change the organisation and inject faults.
    pub state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// The connection settings (a spec file's `connection` object) that point Roster at this emulator.
    pub fn connection_spec(&self) -> serde_json::Value {
        let o = &self.state.options;
        match self.state.vendor {
            Vendor::Entra => serde_json::json!({
                "kind": "entra",
                "name": "Entra ID (demo)",
                "tenant": graph::TENANT_DOMAIN,
                "client_id": o.client_id,
                "authority_url": self.url,
                "graph_url": self.url,
            }),
            Vendor::Google => serde_json::json!({
                "kind": "google",
                "name": "Google Workspace (demo)",
                "client_id": o.client_id,
                "client_secret": o.client_secret,
                "authorize_url": format!("{}/o/oauth2/v2/auth", self.url),
                "token_url": format!("{}/token", self.url),
                "api_url": self.url,
            }),
            Vendor::Okta => serde_json::json!({
                "kind": "okta",
                "name": "Okta (demo)",
                "org_url": self.url,
                "client_id": o.client_id,
            }),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts `vendor`'s emulator on 127.0.0.1 (`options.port`, 0 for any free port).
pub async fn serve(vendor: Vendor, options: Options) -> std::io::Result<Running> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port))).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let directory = Directory::seeded(options.seed, options.users, options.groups);
    let state = Arc::new(State {
        vendor,
        directory: RwLock::new(directory),
        tokens: Tokens::new(options.token_lifetime_secs),
        knobs: Knobs {
            retry_after_secs: AtomicU64::new(1),
            ..Knobs::default()
        },
        options,
        base_url: url.clone(),
    });
    let api = match vendor {
        Vendor::Entra => graph::router(state.clone()),
        Vendor::Google => google::router(state.clone()),
        Vendor::Okta => okta::router(state.clone()),
    };
    let app = auth::router(state.clone()).merge(api);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!("emulator stopped: {e}");
        }
    });
    Ok(Running {
        url,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}
