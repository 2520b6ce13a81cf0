//! Roster's HTTP server: one listener that serves every HTTP front door (the SCIM 2.0 server, the
//! Duo-compatible Admin API, `/health`).
//!
//! What it owns: the listener and its lifecycle ([`Server::start`], [`RunningServer::shutdown`]); TLS
//! ([`Tls`]: none on loopback only, certificate files, or a self-signed certificate Roster generates and
//! keeps, its key in the secret store); the limits every request passes ([`RequestLimits`]: body size,
//! rate per credential, timeouts) and every connection ([`ConnectionLimits`]); the assembly of front doors
//! into one router ([`FrontDoors`]), each rendering refusals in its own [`ErrorFormat`]; and the saved
//! [`ServerSettings`] with the public [`ServerSettings::origin`]; where blocking work runs (a SCIM
//! integration's writes on a thread of its own, in arrival order; work run apart from its request, once
//! begun, is waited for past the request's deadline, and never begins after it); and the front doors
//! themselves, each a thin adapter over `roster-api` in a module of its own ([`scim`]).
//!
//! What it must not do: mix the doors (the listener and limits know no protocol's routes or error bodies:
//! each door brings its own), hold business rules or SQL (handlers call `roster-api`), serve plain HTTP
//! beyond loopback, or put a private key anywhere but the secret store (never in the data directory, logs
//! or errors).
//!
//! How to add a front door: write its routes (full paths under one prefix) and an [`ErrorFormat`], then
//! add one `.door(prefix, routes, format)` in [`front_doors`], which `rosterctl serve` and the desktop app
//! both serve.
//!
//! ```no_run
//! # async fn run() -> Result<(), roster_server::ServerError> {
//! use roster_server::{FrontDoors, RequestLimits, Server, ServerConfig, plain_json};
//! let app = FrontDoors::new(RequestLimits::default())
//!     .door("/health", roster_server::health::routes(), plain_json)
//!     .router();
//! let server = Server::start(ServerConfig::default(), app).await?;
//! println!("listening on {}", server.local_addr());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod adminapi;
mod config;
mod doors;
mod error;
mod files;
mod generated;
pub mod health;
mod lanes;
mod rate;
pub mod scim;
mod server;
mod settings;
mod setup;
mod tls;

pub use config::{is_loopback, ConnectionLimits, ServerConfig, Tls, DEFAULT_LISTEN};
pub use doors::{
    plain_json, DoorErrors, ErrorFormat, FrontDoors, Problem, RequestLimits, DEFAULT_MAX_BODY_BYTES,
};
pub use error::ServerError;
pub use generated::{CERTIFICATE_FILE, CERTIFICATE_KEY_SECRET, RENEW_BEFORE_DAYS, VALIDITY_DAYS};
pub use rate::RateLimit;
pub use server::{RunningServer, Server, Stopped};
pub use settings::{ServerSettings, TlsSetting, SETTINGS_FILE};
pub use tls::fingerprint;

/// Every front door Roster serves, in one place, for `rosterctl serve` and the desktop app alike. A new
/// route family is one `.door(prefix, routes, error_format)` line here. `origin` is where clients reach
/// this server.
pub fn front_doors(
    roster: &std::sync::Arc<roster_api::Roster>,
    origin: &scim::Origin,
) -> axum::Router {
    FrontDoors::new(RequestLimits::default())
        .door("/health", health::routes(), plain_json)
        .door(
            scim::PREFIX,
            scim::routes(roster.clone(), origin.clone()),
            scim::error,
        )
        .door(
            adminapi::PREFIX,
            adminapi::routes(roster.clone(), origin.clone()),
            adminapi::error,
        )
        .router()
}
