//! `rosterctl serve`: Roster's HTTP front doors and its scheduled syncs, without a window, until Ctrl+C
//! (or SIGTERM on Unix), which lets requests in flight finish before stopping.
//!
//! The server's saved settings (`server.json` in the data directory) are the defaults; the flags change
//! them for this run only.

use crate::Failure;
use roster_api::{ApiError, Code, Roster, SecretStore};
use roster_server::{front_doors, scim, Server, ServerError, ServerSettings, TlsSetting};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where and how to serve.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (default: the saved server settings, else 127.0.0.1:8742; port 0 picks a
    /// free port). Plain HTTP is served on loopback addresses only.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Serve HTTPS with this certificate (PEM: the server's certificate, then any intermediates).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM, without a passphrase).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate Roster makes once and keeps (its key in the secret
    /// store); its fingerprint is printed so that it can be pinned.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls_generate: bool,
    /// A name clients reach this server by (repeat for several): the first is the public address, and a
    /// generated certificate covers them all.
    #[arg(long = "host-name", value_name = "NAME")]
    host_names: Vec<String>,
}

impl ServeArgs {
    /// The saved settings with this run's flags applied.
    fn over(self, mut settings: ServerSettings) -> ServerSettings {
        if let Some(listen) = self.listen {
            settings.listen = listen;
        }
        if let (Some(cert_pem), Some(key_pem)) = (self.tls_cert, self.tls_key) {
            settings.tls = TlsSetting::Files { cert_pem, key_pem };
        }
        if self.tls_generate {
            settings.tls = TlsSetting::Generated;
        }
        if !self.host_names.is_empty() {
            settings.host_names = self.host_names;
        }
        settings
    }
}

/// Serves until Ctrl+C or SIGTERM, running the scheduled syncs meanwhile.
pub(crate) async fn serve(
    roster: Arc<Roster>,
    secrets: Arc<dyn SecretStore>,
    args: ServeArgs,
) -> Result<(), Failure> {
    // Listen for Ctrl+C and SIGTERM before saying Roster is serving: a stop sent as soon as the line is
    // printed (a service manager, a test) is then a clean one, never the default action of the signal.
    let stop = stop_requested().map_err(|e| {
        ApiError::new(
            Code::Unknown,
            format!("Cannot listen for Ctrl+C: {e}. Nothing was started."),
        )
    })?;
    let data_dir = roster.data_dir().to_path_buf();
    let mut settings = args.over(ServerSettings::load(&data_dir).map_err(failure)?);
    let config = settings.server_config(&data_dir, secrets);
    let origin = scim::Origin::new(&settings.origin());
    let server = Server::start(config, front_doors(&roster, &origin))
        .await
        .map_err(failure)?;
    settings.listen = server.local_addr();
    origin.set(&settings.origin());
    roster.start_scheduler()?;
    let tenants = roster.list_tenants()?.len();
    let tls = match server.fingerprint() {
        Some(f) => format!("; TLS certificate SHA-256 fingerprint {f}"),
        None => String::new(),
    };
    say!(
        "Roster is serving {} (listening on {}{tls}) and running the scheduled syncs of {tenants} tenant(s). Press Ctrl+C to stop.",
        settings.origin(),
        server.local_addr()
    );
    {
        use std::io::Write as _;
        std::io::stdout().flush()?;
    }
    stop.await.map_err(|e| {
        ApiError::new(
            Code::Unknown,
            format!("Cannot wait for Ctrl+C: {e}. Stop Roster by ending its process."),
        )
    })?;
    eprintln!("Stopping: finishing the requests in flight…");
    server.shutdown().await;
    roster.stop_scheduler().await;
    Ok(())
}

/// Ctrl+C, or SIGTERM on Unix (what service managers and `kill` send). On Unix both handlers are in place
/// when this returns, not when the future is first polled.
fn stop_requested() -> std::io::Result<impl std::future::Future<Output = std::io::Result<()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            Ok(())
        })
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::signal::ctrl_c())
    }
}

/// The server's error, with this command's flags named where they are the way out.
fn failure(e: ServerError) -> Failure {
    let message = match &e {
        ServerError::PlainHttpNotLoopback(_) => {
            format!("{e} (--tls-cert and --tls-key, or --tls-generate; or --listen 127.0.0.1:8742)")
        }
        ServerError::AddressInUse(_) => format!("{e} (--listen)"),
        _ => e.to_string(),
    };
    Failure::Api(ApiError::new(Code::Validation, message))
}
