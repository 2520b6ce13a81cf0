//! TLS: rustls (with the `ring` provider, as the rest of Roster) over a certificate chain and its key;
//! certificate and key files read with errors that say what is wrong; SHA-256 fingerprints.

use crate::ServerError;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

/// What a TLS listener serves: the rustls configuration and its certificate's fingerprint.
pub(crate) struct Identity {
    pub(crate) config: Arc<rustls::ServerConfig>,
    pub(crate) fingerprint: String,
}

/// The SHA-256 fingerprint of a DER certificate as browsers and `openssl x509 -fingerprint -sha256` show
/// it: upper-case hex bytes separated by colons (`AB:CD:…`, 32 bytes).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

/// The rustls server configuration for `chain` (the server's certificate first) and `key`, speaking
/// HTTP/1.1. Fails when the key does not belong to the certificate or is of a kind rustls cannot use.
pub(crate) fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The identity in a certificate file and a key file, checked: both exist and are PEM, the key belongs
/// to the certificate, and the certificate is valid at `now`.
pub(crate) fn from_files(
    cert_pem: &Path,
    key_pem: &Path,
    now: OffsetDateTime,
) -> Result<Identity, ServerError> {
    let cert_err = |problem: String| ServerError::CertificateFile {
        path: cert_pem.to_path_buf(),
        problem,
    };
    let key_err = |problem: String| ServerError::KeyFile {
        path: key_pem.to_path_buf(),
        problem,
    };

    let cert_bytes = read(cert_pem).map_err(cert_err)?;
    let chain = CertificateDer::pem_slice_iter(&cert_bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(format!("is not a PEM file Roster can read ({e}). Give the certificate in PEM (-----BEGIN CERTIFICATE-----).")))?;
    let Some(leaf) = chain.first() else {
        return Err(cert_err("holds no certificate (no -----BEGIN CERTIFICATE----- block). Give the server's certificate in PEM, followed by any intermediate certificates.".into()));
    };
    check_validity(leaf, now).map_err(cert_err)?;
    let fingerprint = fingerprint(leaf);

    let key_bytes = read(key_pem).map_err(key_err)?;
    if String::from_utf8_lossy(&key_bytes).contains("ENCRYPTED") {
        return Err(key_err("is protected by a passphrase, which Roster cannot ask for. Give the key without one (for example: openssl pkey -in key.pem -out key-plain.pem), and keep that file readable by you only.".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => key_err("holds no private key (no -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY block). Give the certificate's private key in PEM.".into()),
        other => key_err(format!("is not a PEM file Roster can read ({other}). Give the certificate's private key in PEM.")),
    })?;

    let config = server_config(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => ServerError::KeyMismatch {
            cert: cert_pem.to_path_buf(),
            key: key_pem.to_path_buf(),
        },
        other => key_err(format!("holds a key Roster cannot use ({other}). Give an RSA (2048 bits or more), ECDSA P-256/P-384 or Ed25519 key.")),
    })?;
    Ok(Identity {
        config,
        fingerprint,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist. Check the path.".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot be read: permission denied. Make it readable by the user Roster runs as."
                .to_string()
        }
        _ => format!("cannot be read: {e}. Check that the path names a file."),
    })
}

/// Checks that a certificate is valid at `now`: clients refuse one that expired or is not valid yet.
fn check_validity(der: &[u8], now: OffsetDateTime) -> Result<(), String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        format!("holds a certificate Roster cannot parse ({e}). Give a valid X.509 certificate.")
    })?;
    let validity = cert.validity();
    let now = now.unix_timestamp();
    if validity.not_after.timestamp() < now {
        return Err(format!(
            "holds a certificate that expired on {}. Renew it, or let Roster generate one.",
            day(validity.not_after.timestamp())
        ));
    }
    if validity.not_before.timestamp() > now {
        return Err(format!(
            "holds a certificate that is not valid until {}. Check this machine's clock.",
            day(validity.not_before.timestamp())
        ));
    }
    Ok(())
}

/// A Unix time as `YYYY-MM-DD`.
pub(crate) fn day(unix: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => format!("{unix} (Unix time)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_look_like_a_browsers() {
        let f = fingerprint(b"certificate");
        assert_eq!(
            f.len(),
            32 * 3 - 1,
            "32 bytes, two hex digits each, colons between: {f}"
        );
        assert!(
            f.chars()
                .all(|c| c == ':' || c.is_ascii_digit() || c.is_ascii_uppercase()),
            "upper-case hex, as browsers show it: {f}"
        );
        assert_eq!(
            &f[..8],
            "03:D6:6D",
            "the SHA-256 of the DER bytes, not of anything else"
        );
    }
}
