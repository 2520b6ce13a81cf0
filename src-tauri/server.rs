//! The desktop app's HTTP server: Roster's front doors (SCIM and the Admin API) while the window is open,
//! started when the first SCIM integration or Admin API application exists (at start-up, or when one is
//! added) and stopped on exit. The same front doors as `rosterctl serve` ([`roster_server::front_doors`]),
//! with the same saved settings (`server.json`), which Settings changes ([`DesktopServer::reconfigure`]).

use roster_api::{ApiError, Code, Roster};
use roster_server::{front_doors, scim, RunningServer, Server, ServerError, ServerSettings};
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

/// What the window shows of a server that is not serving with `settings`.
fn idle(settings: &ServerSettings, problem: Option<String>) -> ServerStatus {
    ServerStatus {
        running: false,
        origin: settings.origin(),
        listen: settings.listen.to_string(),
        tls: settings.tls_mode(),
        fingerprint: None,
        problem,
        warning: settings.warning(),
    }
}

/// A server error as the window receives it: bad settings are the person's to correct, a taken address
/// a conflict with another program.
fn api_error(e: &ServerError) -> ApiError {
    let code = match e {
        ServerError::AddressInUse(_) => Code::Conflict,
        ServerError::PlainHttpNotLoopback(_)
        | ServerError::HostName(_)
        | ServerError::InvalidSetting(_) => Code::Validation,
        _ => Code::Unknown,
    };
    ApiError::new(code, e.to_string())
}

impl DesktopServer {
    /// A server for `roster`, not started.
    pub fn new(roster: Arc<Roster>, secrets: Arc<dyn roster_api::SecretStore>) -> Self {
        let status = match ServerSettings::load(roster.data_dir()) {
            Ok(s) => idle(&s, None),
            Err(e) => ServerStatus {
                problem: Some(e.to_string()),
                ..idle(&ServerSettings::default(), None)
            },
        };
        DesktopServer {
            roster,
            secrets,
            running: Mutex::new(None),
            status: std::sync::Mutex::new(status),
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

    /// Whether anything needs the server: a SCIM integration or an Admin API application.
    fn wanted(&self) -> roster_api::Result<bool> {
        Ok(self.roster.has_scim_integrations()? || self.roster.has_api_applications()?)
    }

    /// Starts serving with `settings`.
    async fn start(
        &self,
        settings: &ServerSettings,
    ) -> Result<(RunningServer, ServerStatus), ServerError> {
        let data_dir = self.roster.data_dir().to_path_buf();
        let origin = scim::Origin::new(&settings.origin());
        let doors = front_doors(&self.roster, &origin);
        let config = settings.server_config(&data_dir, self.secrets.clone());
        let server = Server::start(config, doors).await?;
        let mut serving = settings.clone();
        serving.listen = server.local_addr();
        origin.set(&serving.origin());
        let status = ServerStatus {
            running: true,
            fingerprint: server.fingerprint().map(str::to_string),
            ..idle(&serving, None)
        };
        Ok((server, status))
    }

    /// Starts serving if a SCIM integration or an Admin API application exists and it is not serving yet. A failure (the port is
    /// taken, a certificate file is missing) is kept for the window to show; the app goes on without it.
    pub async fn ensure(&self) -> ServerStatus {
        let mut running = self.running.lock().await;
        if running.is_some() {
            return self.status();
        }
        match self.wanted() {
            Ok(true) => {}
            Ok(false) => return self.status(),
            Err(e) => {
                let mut s = self.status();
                s.problem = Some(e.message);
                self.set_status(s.clone());
                return s;
            }
        }
        let settings = match ServerSettings::load(self.roster.data_dir()) {
            Ok(s) => s,
            Err(e) => {
                let s = ServerStatus {
                    problem: Some(e.to_string()),
                    ..self.status()
                };
                self.set_status(s.clone());
                return s;
            }
        };
        let status = match self.start(&settings).await {
            Ok((server, s)) => {
                *running = Some(server);
                s
            }
            Err(e) => idle(&settings, Some(e.to_string())),
        };
        self.set_status(status.clone());
        status
    }

    /// Saves `new` and serves with it at once, when anything needs the server. If it cannot start with
    /// them (the port is taken, a certificate file is missing), the previous settings are saved back and
    /// the server goes on (or starts again) with them, and the error says so; nothing else changed.
    pub async fn reconfigure(&self, new: ServerSettings) -> Result<ServerStatus, ApiError> {
        let mut running = self.running.lock().await;
        let data_dir = self.roster.data_dir().to_path_buf();
        // The settings file may be unreadable (edited by hand): the defaults stand in for "before".
        let old = ServerSettings::load(&data_dir).unwrap_or_default();
        new.save(&data_dir).map_err(|e| api_error(&e))?;
        if running.is_none() && !self.wanted()? {
            let s = idle(&new, None);
            self.set_status(s.clone());
            return Ok(s);
        }
        // The running server holds its address: let go of it first when the new settings want it.
        let mut previous = running.take();
        if let Some(server) = previous.take_if(|s| s.local_addr() == new.listen) {
            server.shutdown().await;
        }
        match self.start(&new).await {
            Ok((server, status)) => {
                if let Some(old_server) = previous {
                    old_server.shutdown().await;
                }
                *running = Some(server);
                self.set_status(status.clone());
                Ok(status)
            }
            Err(e) => {
                let mut error = api_error(&e);
                // Back to what served before; a failure to save that back is said too.
                if let Err(saving) = old.save(&data_dir) {
                    error.message.push_str(&format!(
                        " The previous settings could not be saved back either: {saving}"
                    ));
                }
                let back = match previous {
                    Some(server) => {
                        *running = Some(server);
                        error.message.push_str(&format!(
                            " Nothing was changed: Roster goes on serving at {}.",
                            self.status().origin
                        ));
                        self.status()
                    }
                    None => match self.start(&old).await {
                        Ok((server, status)) => {
                            *running = Some(server);
                            error.message.push_str(&format!(
                                " Roster went back to its previous settings and serves at {}.",
                                status.origin
                            ));
                            status
                        }
                        Err(again) => {
                            error.message.push_str(&format!(
                                " Roster went back to its previous settings, but cannot serve with them either: {again}"
                            ));
                            idle(&old, Some(again.to_string()))
                        }
                    },
                };
                self.set_status(back);
                Err(error)
            }
        }
    }

    /// Stops serving, letting requests in flight finish.
    pub async fn stop(&self) {
        if let Some(server) = self.running.lock().await.take() {
            server.shutdown().await;
        }
    }
}
