//! The desktop app's HTTP server: Roster's front doors (SCIM and the Admin API) while the window is open,
//! started when the first SCIM integration or Admin API application exists (at start-up, or when one is
//! added) and stopped on exit. The same front doors as `rosterctl serve` ([`roster_server::front_doors`]),
//! with the same saved settings (`server.json`).

use roster_api::Roster;
use roster_server::{front_doors, scim, RunningServer, Server, ServerSettings};
use std::sync::Arc;
use tokio::sync::Mutex;

pub use roster_api::json::ServerStatus;

/// The server's lifetime in the app.
pub struct DesktopServer {
    roster: Arc<Roster>,
    secrets: Arc<dyn roster_api::SecretStore>,
    running: Mutex<Option<RunningServer>>,
    status: std::sync::Mutex<ServerStatus>,
}

impl DesktopServer {
    /// A server for `roster`, not started.
    pub fn new(roster: Arc<Roster>, secrets: Arc<dyn roster_api::SecretStore>) -> Self {
        let origin = ServerSettings::load(roster.data_dir())
            .map(|s| s.origin())
            .unwrap_or_default();
        DesktopServer {
            roster,
            secrets,
            running: Mutex::new(None),
            status: std::sync::Mutex::new(ServerStatus {
                running: false,
                origin,
                fingerprint: None,
                problem: None,
            }),
        }
    }

    /// The origin base URLs are made of.
    pub fn origin(&self) -> String {
        self.status().origin
    }

    /// What the window shows.
    pub fn status(&self) -> ServerStatus {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_status(&self, s: ServerStatus) {
        *self
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = s;
    }

    /// Starts serving if a SCIM integration or an Admin API application exists and it is not serving yet. A failure (the port is
    /// taken, a certificate file is missing) is kept for the window to show; the app goes on without it.
    pub async fn ensure(&self) -> ServerStatus {
        let mut running = self.running.lock().await;
        if running.is_some() {
            return self.status();
        }
        let wanted = self
            .roster
            .has_scim_integrations()
            .and_then(|scim| Ok(scim || self.roster.has_api_applications()?));
        match wanted {
            Ok(true) => {}
            Ok(false) => return self.status(),
            Err(e) => {
                let mut s = self.status();
                s.problem = Some(e.message);
                self.set_status(s.clone());
                return s;
            }
        }
        let data_dir = self.roster.data_dir().to_path_buf();
        let settings = match ServerSettings::load(&data_dir) {
            Ok(s) => s,
            Err(e) => {
                let s = ServerStatus {
                    running: false,
                    origin: String::new(),
                    fingerprint: None,
                    problem: Some(e.to_string()),
                };
                self.set_status(s.clone());
                return s;
            }
        };
        let origin = scim::Origin::new(&settings.origin());
        let doors = front_doors(&self.roster, &origin);
        let config = settings.server_config(&data_dir, self.secrets.clone());
        let status = match Server::start(config, doors).await {
            Ok(server) => {
                let mut settings = settings;
                settings.listen = server.local_addr();
                origin.set(&settings.origin());
                let s = ServerStatus {
                    running: true,
                    origin: settings.origin(),
                    fingerprint: server.fingerprint().map(str::to_string),
                    problem: None,
                };
                *running = Some(server);
                s
            }
            Err(e) => ServerStatus {
                running: false,
                origin: settings.origin(),
                fingerprint: None,
                problem: Some(e.to_string()),
            },
        };
        self.set_status(status.clone());
        status
    }

    /// Stops serving, letting requests in flight finish.
    pub async fn stop(&self) {
        if let Some(server) = self.running.lock().await.take() {
            server.shutdown().await;
        }
    }
}
