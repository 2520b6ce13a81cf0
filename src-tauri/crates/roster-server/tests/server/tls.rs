//! TLS: Roster's generated certificate (kept across restarts, its key only in the secret store) and
//! certificate files (served, or refused with a clear reason).

use super::*;
use roster_secrets::{MemorySecrets, SecretStore};
use roster_server::{fingerprint, ServerError, CERTIFICATE_FILE, CERTIFICATE_KEY_SECRET};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn der_of(pem: &[u8]) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem)
        .unwrap()
        .to_vec()
}

/// A client that trusts only `cert_pem` and reaches `names` at `addr`.
fn trusting(cert_pem: &[u8], names: &[&str], addr: SocketAddr) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem).unwrap());
    for name in names {
        b = b.resolve(name, addr);
    }
    b.build().unwrap()
}

fn generated(dir: &Path, secrets: &Arc<MemorySecrets>) -> ServerConfig {
    ServerConfig {
        tls: Tls::Generated {
            data_dir: dir.to_path_buf(),
            secrets: secrets.clone(),
        },
        host_names: vec!["roster.test".into()],
        ..loopback()
    }
}

fn health_only() -> Router {
    app(RequestLimits::default(), Router::new(), Router::new())
}

#[tokio::test]
async fn the_generated_certificate_serves_https_and_is_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());

    let server = start(generated(dir.path(), &secrets), health_only()).await;
    let pem = std::fs::read(dir.path().join(CERTIFICATE_FILE)).unwrap();
    let first = server.fingerprint().unwrap().to_string();
    assert_eq!(
        first,
        fingerprint(&der_of(&pem)),
        "the fingerprint shown is the certificate's SHA-256, which an admin can compare and pin"
    );
    let port = server.local_addr().port();
    let c = trusting(&pem, &["roster.test", "localhost"], server.local_addr());
    for host in ["roster.test", "localhost", "127.0.0.1"] {
        let r = c
            .get(format!("https://{host}:{port}/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("https://{host} with the certificate trusted: {e:?}"));
        assert_eq!(r.status(), 200, "{host} is covered by the certificate");
    }
    assert!(
        client()
            .get(format!("https://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_err(),
        "a client that does not trust (or pin) the certificate is refused: it is self-signed"
    );
    server.shutdown().await;

    let again = start(generated(dir.path(), &secrets), health_only()).await;
    assert_eq!(
        again.fingerprint(),
        Some(first.as_str()),
        "a restart keeps the certificate, so a pinned fingerprint stays valid"
    );
    let c = trusting(&pem, &["roster.test"], again.local_addr());
    let r = c
        .get(format!(
            "https://roster.test:{}/health",
            again.local_addr().port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the same certificate, trusted as before");
    again.shutdown().await;

    // The private key is in the secret store, and nowhere in the data directory.
    assert!(secrets
        .get(CERTIFICATE_KEY_SECRET)
        .unwrap()
        .is_some_and(|k| k.expose().contains("PRIVATE KEY")));
    for entry in walk(dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        assert!(
            !text.contains("PRIVATE KEY"),
            "{} holds a private key: keys belong in the secret store",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A self-signed certificate for localhost and its key, as PEM.
fn certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

fn files(dir: &Path, cert: &str, key: &str) -> ServerConfig {
    let (cert_pem, key_pem) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_pem, cert).unwrap();
    std::fs::write(&key_pem, key).unwrap();
    ServerConfig {
        tls: Tls::Files { cert_pem, key_pem },
        ..loopback()
    }
}

#[tokio::test]
async fn certificate_files_serve_https() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate();
    let server = start(files(dir.path(), &cert, &key), health_only()).await;
    assert_eq!(
        server.fingerprint(),
        Some(fingerprint(&der_of(cert.as_bytes())).as_str())
    );
    let r = trusting(cert.as_bytes(), &["localhost"], server.local_addr())
        .get(format!(
            "https://localhost:{}/health",
            server.local_addr().port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.shutdown().await;
}

async fn refusal(config: ServerConfig) -> ServerError {
    Server::start(config, health_only()).await.unwrap_err()
}

#[tokio::test]
async fn bad_certificate_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate();
    let (other_cert, other_key) = certificate();

    let missing = ServerConfig {
        tls: Tls::Files {
            cert_pem: dir.path().join("nowhere.pem"),
            key_pem: dir.path().join("key.pem"),
        },
        ..loopback()
    };
    let e = refusal(missing).await;
    assert!(
        matches!(e, ServerError::CertificateFile { .. })
            && e.to_string().contains("nowhere.pem")
            && e.to_string().contains("does not exist"),
        "{e}"
    );

    let a_directory = ServerConfig {
        tls: Tls::Files {
            cert_pem: dir.path().to_path_buf(),
            key_pem: dir.path().join("key.pem"),
        },
        ..loopback()
    };
    let e = refusal(a_directory).await.to_string();
    assert!(e.contains("cannot be read"), "{e}");

    let e = refusal(files(dir.path(), "not a certificate", &key))
        .await
        .to_string();
    assert!(e.contains("holds no certificate"), "{e}");

    let e = refusal(files(dir.path(), &cert, &cert)).await;
    assert!(
        matches!(e, ServerError::KeyFile { .. }) && e.to_string().contains("holds no private key"),
        "a certificate given as the key: {e}"
    );

    let e = refusal(files(dir.path(), &cert, &other_key)).await;
    assert!(
        matches!(e, ServerError::KeyMismatch { .. }),
        "another certificate's key: {e}"
    );
    assert!(e.to_string().contains("does not belong"), "{e}");
    let _ = other_cert;

    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let e = refusal(files(dir.path(), &cert, encrypted))
        .await
        .to_string();
    assert!(e.contains("passphrase"), "{e}");

    let key_pair = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let expired = params.self_signed(&key_pair).unwrap();
    let e = refusal(files(dir.path(), &expired.pem(), &key_pair.serialize_pem()))
        .await
        .to_string();
    assert!(e.contains("expired on 2021-01-01"), "{e}");

    // No message carries key material.
    let e = refusal(files(dir.path(), &cert, &other_key))
        .await
        .to_string();
    assert!(!e.contains("PRIVATE KEY") && !e.contains(&other_key[40..80]));
}
