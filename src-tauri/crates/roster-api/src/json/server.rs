//! What the window shows and sends about Roster's HTTP server (the front doors SCIM and the Admin API
//! share), and the Admin API grants it offers. The server's settings themselves belong to roster-server
//! (`ServerSettings`, saved as `server.json`); these are their shapes across the IPC boundary.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ServerTls {
    /// Plain HTTP: loopback addresses only.
    #[default]
    None,
    /// Roster's own self-signed certificate (its key in the secret store).
    Generated,
    /// A certificate and key from PEM files.
    Files,
}

/// What the window shows about Roster's HTTP server (`server_status`): the desktop app serves its front
/// doors (SCIM, the Admin API) while it is open once an integration or application exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ServerStatus {
    /// Whether it is serving.
    pub running: bool,
    /// Where clients reach it (`http://127.0.0.1:8742`): the base of SCIM URLs and the Admin API's host.
    pub origin: String,
    /// The address it listens on (the one it got, when the settings say port 0), or would listen on.
    pub listen: String,
    /// How it speaks TLS.
    pub tls: ServerTls,
    /// The TLS certificate's SHA-256 fingerprint, when it serves HTTPS.
    pub fingerprint: Option<String>,
    /// Why it is not serving, when it tried and could not (plain English, says what to do).
    pub problem: Option<String>,
    /// Something about the settings worth knowing although they work (other computers can reach it).
    pub warning: Option<String>,
}

/// The server's settings as the window edits them (`server_settings`, `server_configure`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct ServerSetup {
    /// Where to listen: an IP address and a port, e.g. `127.0.0.1:8742`.
    pub listen: String,
    /// How it speaks TLS.
    pub tls: ServerTls,
    /// The certificate chain's PEM file ([`ServerTls::Files`] only).
    pub cert_pem: String,
    /// The private key's PEM file ([`ServerTls::Files`] only).
    pub key_pem: String,
    /// The names clients reach the server by: the first is the public one, a generated certificate
    /// covers them all. May be empty.
    pub host_names: Vec<String>,
    /// The public base URL when clients come through a reverse proxy or tunnel; empty for none.
    pub public_origin: String,
}

/// One of Duo's Admin API permissions an application may be granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApiGrantInfo {
    /// The name commands take and lists give (`read_resource`).
    pub name: String,
    /// Duo's label ("Grant read resource").
    pub label: String,
    /// What it allows, in a few words.
    pub allows: String,
}
