//! Why the server could not start, or its settings could not be read or saved. Every message says what
//! to do next, names the address or file concerned, and never contains key material.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server could not start, or its settings could not be read or saved.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Plain HTTP was asked for on an address other machines can reach.
    #[error("Roster will not serve plain HTTP on {0}: without TLS, SCIM tokens and Admin API requests would cross the network in clear, so only loopback addresses (127.0.0.1, ::1) may go without it. Give a certificate and its key, let Roster generate a certificate, or listen on 127.0.0.1 and put a reverse proxy that terminates TLS in front.")]
    PlainHttpNotLoopback(SocketAddr),
    /// Another program (or another Roster) already listens there.
    #[error("Another program is already listening on {0}. Stop it, or choose another address to listen on (for example {next}).", next = SocketAddr::new(.0.ip(), .0.port().saturating_add(1)))]
    AddressInUse(SocketAddr),
    /// The operating system refused the address.
    #[error("Roster cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What went wrong and what to do.
        reason: String,
    },
    /// A host name for the certificate and the public address is not one.
    #[error("\"{0}\" is not a host name. Give a DNS name such as roster.example.com (letters, digits, hyphens and dots) or an IP address.")]
    HostName(String),
    /// The certificate file given is missing, unreadable or not a certificate.
    #[error("The TLS certificate file {path}: {problem}")]
    CertificateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it and what to do.
        problem: String,
    },
    /// The private key file given is missing, unreadable or not a usable key.
    #[error("The TLS private key file {path}: {problem}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it and what to do.
        problem: String,
    },
    /// The key does not belong to the certificate.
    #[error("The private key in {key} does not belong to the certificate in {cert}. Give the key that was issued with this certificate.")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// Roster's own certificate could not be made, kept or read back.
    #[error("Roster's generated TLS certificate: {0}")]
    Generated(String),
    /// The secret store holding the generated certificate's private key failed.
    #[error("Roster keeps the private key of its generated TLS certificate in the secret store, which failed: {0}")]
    SecretStore(#[from] roster_secrets::SecretError),
    /// The server settings file is unreadable or invalid, or could not be written.
    #[error("The server settings file {path}: {problem}")]
    Settings {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A setting has a value Roster cannot use.
    #[error("{0}")]
    InvalidSetting(String),
}
