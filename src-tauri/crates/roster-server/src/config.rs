//! What a server is started with: where it listens, its TLS, its host names and the limits that apply to
//! connections. Limits that apply to requests, and that answer in a front door's error format, are in
//! [`crate::RequestLimits`].

use roster_secrets::SecretStore;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where Roster listens unless told otherwise: the loopback address, port 8742.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8742));

/// How the server speaks TLS.
pub enum Tls {
    /// Plain HTTP: allowed on loopback addresses only.
    None,
    /// A certificate (PEM, the server's certificate first, then any intermediates) and its private key
    /// (PEM: PKCS#8, PKCS#1 or SEC1, without a passphrase), from files the admin gives.
    Files {
        /// The certificate chain file.
        cert_pem: PathBuf,
        /// The private key file.
        key_pem: PathBuf,
    },
    /// A self-signed certificate Roster makes once and keeps: its certificate in `data_dir`
    /// ([`crate::CERTIFICATE_FILE`]), its private key in `secrets` ([`crate::CERTIFICATE_KEY_SECRET`]).
    /// It is valid for `localhost`, `127.0.0.1`, `::1` and the configured host names, and is made again
    /// when it is missing, expires within 30 days, or does not cover the host names.
    Generated {
        /// The data directory.
        data_dir: PathBuf,
        /// The secret store.
        secrets: Arc<dyn SecretStore>,
    },
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tls::None => f.write_str("None"),
            Tls::Files { cert_pem, key_pem } => f
                .debug_struct("Files")
                .field("cert_pem", cert_pem)
                .field("key_pem", key_pem)
                .finish(),
            Tls::Generated { data_dir, secrets } => f
                .debug_struct("Generated")
                .field("data_dir", data_dir)
                .field("secrets", &secrets.kind())
                .finish(),
        }
    }
}

/// Limits on connections: how many at once, how long a client may take to send a request's headers or to
/// finish a TLS handshake, and how long shutting down waits for requests in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once (default 256). Further clients wait in the operating system's queue
    /// until one closes.
    pub max_connections: usize,
    /// Time to send a request's headers, counted from when the server starts waiting for them: on a
    /// kept-alive connection, from the end of the previous response (default 10 s). Past it the
    /// connection is closed without an answer (hyper sends none; no front door is known before the
    /// path is read), which also closes idle kept-alive connections.
    pub header_read_timeout: Duration,
    /// Time to finish the TLS handshake (default 10 s).
    pub tls_handshake_timeout: Duration,
    /// How long [`crate::RunningServer::shutdown`] waits for requests in flight before it cuts their
    /// connections (default 10 s).
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            tls_handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What [`crate::Server::start`] needs.
#[derive(Debug)]
pub struct ServerConfig {
    /// The address to listen on; port 0 picks a free port ([`crate::RunningServer::local_addr`] tells
    /// which).
    pub listen: SocketAddr,
    /// TLS.
    pub tls: Tls,
    /// The names clients use to reach this server, besides `localhost` and `127.0.0.1`: a generated
    /// certificate covers them.
    pub host_names: Vec<String>,
    /// Connection limits.
    pub limits: ConnectionLimits,
}

impl Default for ServerConfig {
    /// `127.0.0.1:8742`, plain HTTP, default limits.
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN,
            tls: Tls::None,
            host_names: Vec::new(),
            limits: ConnectionLimits::default(),
        }
    }
}

/// Whether only this machine can reach `ip`: 127.0.0.0/8, `::1`, or either written as an IPv4-mapped
/// IPv6 address. The unspecified address (`0.0.0.0`, `::`) is every interface, so it is not loopback.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_count_as_loopback() {
        for (ip, want) in [
            ("127.0.0.1", true),
            ("127.9.9.9", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("0.0.0.0", false),
            ("::", false),
            ("192.168.1.10", false),
            ("::ffff:10.0.0.1", false),
        ] {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(
                is_loopback(parsed),
                want,
                "{ip}: plain HTTP is allowed exactly where only this machine can connect"
            );
        }
    }
}
