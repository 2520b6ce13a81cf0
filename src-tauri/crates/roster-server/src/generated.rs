//! Roster's own TLS certificate: self-signed, made once and kept, so that an admin can pin its
//! fingerprint in an identity provider.
//!
//! The certificate (public) is a PEM file in the data directory ([`CERTIFICATE_FILE`]); its private key
//! is in the secret store ([`CERTIFICATE_KEY_SECRET`]) and nowhere else. It is made again (with a new key,
//! so a new fingerprint) when either half is missing, the two do not match, it expires within
//! [`RENEW_BEFORE_DAYS`], or it does not cover the names asked for. Time is passed in.

use crate::files::write_atomically;
use crate::tls::{self, Identity};
use crate::ServerError;
use roster_secrets::{SecretStore, Sensitive};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use time::{Duration, OffsetDateTime};

/// The generated certificate's file in the data directory (PEM; public).
pub const CERTIFICATE_FILE: &str = "server-certificate.pem";
/// The secret store key of the generated certificate's private key (PKCS#8 PEM).
pub const CERTIFICATE_KEY_SECRET: &str = "roster-server/tls-private-key";
/// How long a generated certificate is valid: 397 days, the longest that browsers and Apple's clients
/// accept for a server certificate.
pub const VALIDITY_DAYS: i64 = 397;
/// A generated certificate is made again when it expires within this many days.
pub const RENEW_BEFORE_DAYS: i64 = 30;

/// Names every generated certificate covers, besides the configured host names.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The generated certificate, read back or made now, and its rustls configuration. Holds the secret
/// store's lock on the key while it reads and, if needed, writes, so that two Roster processes starting
/// together keep one certificate. Blocks (the keychain does): call it from a blocking thread.
pub(crate) fn load_or_create(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    host_names: &[String],
    now: OffsetDateTime,
) -> Result<Identity, ServerError> {
    let names = wanted_names(host_names);
    let _lock = secrets.lock_key(CERTIFICATE_KEY_SECRET)?;
    let path = data_dir.join(CERTIFICATE_FILE);
    let kept_cert = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ServerError::Generated(format!(
                "{} cannot be read: {e}. Check who owns it, or delete it so that Roster makes a new certificate.",
                path.display()
            )))
        }
    };
    if let (Some(cert), Some(key)) = (kept_cert, secrets.get(CERTIFICATE_KEY_SECRET)?) {
        if let Some(identity) = usable(&cert, &key, &names, now) {
            return Ok(identity);
        }
        tracing::info!("making a new TLS certificate: the kept one expires soon, does not cover the host names, or does not match its key");
    }
    create(data_dir, secrets, &names, now)
}

/// The kept certificate and key, if they still do: they match, the certificate is valid for more than
/// [`RENEW_BEFORE_DAYS`] and covers `names`.
fn usable(
    cert_pem: &[u8],
    key_pem: &Sensitive<String>,
    names: &BTreeSet<String>,
    now: OffsetDateTime,
) -> Option<Identity> {
    let der = CertificateDer::from_pem_slice(cert_pem).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    let renew_at = now + Duration::days(RENEW_BEFORE_DAYS);
    let validity = cert.validity();
    if validity.not_after.timestamp() <= renew_at.unix_timestamp()
        || validity.not_before.timestamp() > now.unix_timestamp()
    {
        return None;
    }
    let covered = covered_names(&cert);
    if !names.iter().all(|n| covered.contains(n)) {
        return None;
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.expose().as_bytes()).ok()?;
    let fingerprint = tls::fingerprint(&der);
    // A key that does not belong to the certificate (one half replaced) is refused here.
    let config = tls::server_config(vec![der], key).ok()?;
    Some(Identity {
        config,
        fingerprint,
    })
}

/// Makes a certificate for `names`, keeps its key in the secret store, then its certificate in the data
/// directory. The key is written first: if writing the certificate fails, the next start finds a
/// certificate that does not match the key and makes both again.
fn create(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    names: &BTreeSet<String>,
    now: OffsetDateTime,
) -> Result<Identity, ServerError> {
    let failed = |e: rcgen::Error| ServerError::Generated(format!("it could not be made: {e}."));
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let mut params =
        rcgen::CertificateParams::new(names.iter().cloned().collect::<Vec<_>>()).map_err(failed)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Roster");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Roster (self-signed)");
    // A day's slack for clients whose clocks run behind.
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(VALIDITY_DAYS);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params.self_signed(&key).map_err(failed)?;

    let key_pem = Sensitive(key.serialize_pem());
    secrets.set(CERTIFICATE_KEY_SECRET, &key_pem)?;
    let path = data_dir.join(CERTIFICATE_FILE);
    write_atomically(&path, cert.pem().as_bytes()).map_err(|e| {
        ServerError::Generated(format!(
            "{} could not be written: {e}. Check that the data directory {} is writable.",
            path.display(),
            data_dir.display()
        ))
    })?;

    let der = cert.der().clone();
    let fingerprint = tls::fingerprint(&der);
    let key_der = PrivateKeyDer::from_pem_slice(key_pem.expose().as_bytes())
        .map_err(|e| ServerError::Generated(format!("its key could not be read back: {e}.")))?;
    let config = tls::server_config(vec![der], key_der)
        .map_err(|e| ServerError::Generated(format!("rustls refused it: {e}.")))?;
    Ok(Identity {
        config,
        fingerprint,
    })
}

/// `localhost`, the loopback addresses and `host_names`, in the form certificates hold them: DNS names
/// in lower case, IP addresses in their canonical text.
fn wanted_names(host_names: &[String]) -> BTreeSet<String> {
    LOOPBACK_NAMES
        .iter()
        .map(|n| n.to_string())
        .chain(host_names.iter().map(|n| canonical_name(n)))
        .collect()
}

fn canonical_name(name: &str) -> String {
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => name.trim_end_matches('.').to_ascii_lowercase(),
    }
}

/// The DNS names and IP addresses a certificate's subject alternative names cover.
fn covered_names(cert: &x509_parser::certificate::X509Certificate<'_>) -> BTreeSet<String> {
    use x509_parser::extensions::GeneralName;
    let mut out = BTreeSet::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => {
                    out.insert(canonical_name(d));
                }
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        out.insert(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_secrets::MemorySecrets;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[test]
    fn a_kept_certificate_is_used_again_until_it_nears_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecrets::default();
        let first = load_or_create(dir.path(), &secrets, &[], now()).unwrap();
        let later = now() + Duration::days(VALIDITY_DAYS - RENEW_BEFORE_DAYS - 1);
        let again = load_or_create(dir.path(), &secrets, &[], later).unwrap();
        assert_eq!(
            first.fingerprint, again.fingerprint,
            "an admin pins the fingerprint once: it must not change while the certificate has time left"
        );
        let near_expiry = now() + Duration::days(VALIDITY_DAYS - RENEW_BEFORE_DAYS + 1);
        let renewed = load_or_create(dir.path(), &secrets, &[], near_expiry).unwrap();
        assert_ne!(
            first.fingerprint, renewed.fingerprint,
            "a certificate that expires within {RENEW_BEFORE_DAYS} days is replaced before clients refuse it"
        );
    }

    #[test]
    fn new_host_names_make_a_new_certificate_that_covers_them() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecrets::default();
        let first = load_or_create(dir.path(), &secrets, &[], now()).unwrap();
        let named = load_or_create(
            dir.path(),
            &secrets,
            &["Roster.Example.com".into(), "192.0.2.7".into()],
            now(),
        )
        .unwrap();
        assert_ne!(first.fingerprint, named.fingerprint);
        let pem = std::fs::read(dir.path().join(CERTIFICATE_FILE)).unwrap();
        let der = CertificateDer::from_pem_slice(&pem).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        let covered = covered_names(&cert);
        for name in [
            "localhost",
            "127.0.0.1",
            "::1",
            "roster.example.com",
            "192.0.2.7",
        ] {
            assert!(covered.contains(name), "{name} is covered: {covered:?}");
        }
        let same =
            load_or_create(dir.path(), &secrets, &["roster.example.com".into()], now()).unwrap();
        assert_eq!(
            named.fingerprint, same.fingerprint,
            "a certificate that already covers fewer names asked for is kept (names compare case-insensitively)"
        );
    }

    #[test]
    fn a_lost_key_or_a_replaced_certificate_makes_both_again() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecrets::default();
        let first = load_or_create(dir.path(), &secrets, &[], now()).unwrap();
        let other = MemorySecrets::default();
        let with_other_key = load_or_create(dir.path(), &other, &[], now()).unwrap();
        assert_ne!(
            first.fingerprint, with_other_key.fingerprint,
            "a certificate whose key is not in the secret store is useless: it is made again"
        );
        // The first store still holds the first key, which does not match the new certificate.
        let mismatched = load_or_create(dir.path(), &secrets, &[], now()).unwrap();
        assert_ne!(mismatched.fingerprint, with_other_key.fingerprint);
        assert_ne!(mismatched.fingerprint, first.fingerprint);
    }

    #[test]
    fn the_private_key_stays_out_of_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecrets::default();
        load_or_create(dir.path(), &secrets, &[], now()).unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            files,
            vec![CERTIFICATE_FILE.to_string()],
            "only the certificate is written"
        );
        let text = std::fs::read_to_string(dir.path().join(CERTIFICATE_FILE)).unwrap();
        assert!(
            !text.contains("PRIVATE KEY"),
            "the key is not in the certificate file"
        );
        assert!(
            secrets
                .get(CERTIFICATE_KEY_SECRET)
                .unwrap()
                .is_some_and(|k| k.expose().contains("PRIVATE KEY")),
            "the key is in the secret store"
        );
    }
}
