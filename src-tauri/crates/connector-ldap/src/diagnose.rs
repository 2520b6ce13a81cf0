//! "Test connection": each step a person would check, with what was found and what to do.

use crate::client;
use crate::settings::{Settings, Transport};
use ldap3::{LdapConnAsync, LdapConnSettings, Scope};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// One step of the diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `resolve`, `connect`, `tls`, `bind`, `base_dn`.
    pub step: String,
    /// The server checked.
    pub server: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found (for TLS: the certificate's subject, issuer and SHA-256 fingerprint), or what to do.
    pub detail: String,
}

fn check(step: &str, server: &str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        step: step.into(),
        server: server.into(),
        ok,
        detail: detail.into(),
    }
}

fn describe_certificate(der: &[u8]) -> String {
    let fingerprint: Vec<String> = Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => format!(
            "subject: {}; issuer: {}; valid until {}; SHA-256 fingerprint {}",
            cert.subject(),
            cert.issuer(),
            cert.validity().not_after,
            fingerprint.join(":")
        ),
        Err(_) => format!("SHA-256 fingerprint {}", fingerprint.join(":")),
    }
}

/// Diagnoses each server in turn, stopping at the first that passes every step.
pub async fn diagnose(s: &Settings, password: Option<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    for server in &s.servers {
        let url = s.url(server);
        let hostport = url.split("://").nth(1).unwrap_or(&url).to_string();
        // 1. Name resolution.
        match tokio::net::lookup_host(hostport.as_str()).await {
            Ok(addrs) => {
                let list: Vec<String> = addrs.map(|a| a.ip().to_string()).collect();
                out.push(check(
                    "resolve",
                    &url,
                    true,
                    format!("resolves to {}", list.join(", ")),
                ));
            }
            Err(e) => {
                out.push(check(
                    "resolve",
                    &url,
                    false,
                    format!("the name does not resolve ({e}). Check the server name and DNS."),
                ));
                continue;
            }
        }
        // 2. TCP.
        match tokio::time::timeout(
            Duration::from_secs(s.connect_timeout_secs),
            tokio::net::TcpStream::connect(hostport.as_str()),
        )
        .await
        {
            Ok(Ok(_)) => out.push(check("connect", &url, true, "the port accepts connections")),
            Ok(Err(e)) => {
                out.push(check("connect", &url, false, format!("cannot connect ({e}). Check that the server is running and that no firewall blocks the port.")));
                continue;
            }
            Err(_) => {
                out.push(check(
                    "connect",
                    &url,
                    false,
                    "no answer before the timeout. Check the address and the firewall.",
                ));
                continue;
            }
        }
        // 3. TLS (and the LDAP session on top of it).
        let mut cs =
            LdapConnSettings::new().set_conn_timeout(Duration::from_secs(s.connect_timeout_secs));
        if s.transport != Transport::Clear {
            match client::tls_config(s) {
                Ok(c) => cs = cs.set_config(c),
                Err(e) => {
                    out.push(check("tls", &url, false, e.to_string()));
                    continue;
                }
            }
        }
        if s.transport == Transport::Starttls {
            cs = cs.set_starttls(true);
        }
        let mut ldap = match LdapConnAsync::with_settings(cs, &url).await {
            Ok((conn, ldap)) => {
                tokio::spawn(async move {
                    let _ = conn.drive().await;
                });
                ldap
            }
            Err(e) => {
                let step = if s.transport == Transport::Clear {
                    "connect"
                } else {
                    "tls"
                };
                out.push(check(step, &url, false, client::explain(&url, &e)));
                continue;
            }
        };
        if s.transport != Transport::Clear {
            let detail = match ldap.get_peer_certificate().await {
                Ok(Some(der)) => {
                    format!("the certificate is trusted; {}", describe_certificate(&der))
                }
                _ => "the TLS handshake succeeded".into(),
            };
            out.push(check("tls", &url, true, detail));
        }
        // 4. Bind.
        let bind = if s.bind_method == crate::settings::BindMethod::Kerberos {
            ldap.sasl_gssapi_bind(&client::kerberos_host(s, &url)).await
        } else {
            match (&s.bind_dn, password) {
                (Some(dn), Some(pw)) => {
                    if s.transport == Transport::Clear && !s.allow_clear_password {
                        out.push(check("bind", &url, false, "a password bind over a clear connection is not allowed. Use STARTTLS or LDAPS."));
                        continue;
                    }
                    ldap.simple_bind(dn, pw).await
                }
                (Some(_), None) => {
                    out.push(check(
                        "bind",
                        &url,
                        false,
                        "the bind password is missing. Enter it again.",
                    ));
                    continue;
                }
                (None, _) => ldap.simple_bind("", "").await,
            }
        };
        match bind {
            Ok(r) if r.rc == 0 => out.push(check(
                "bind",
                &url,
                true,
                match s.bind_method {
                    crate::settings::BindMethod::Kerberos => {
                        "bound with the Kerberos ticket".to_string()
                    }
                    crate::settings::BindMethod::Simple => {
                        format!("bound as {}", s.bind_dn.as_deref().unwrap_or("anonymous"))
                    }
                },
            )),
            Ok(r) => {
                out.push(check(
                    "bind",
                    &url,
                    false,
                    client::result_error(r.rc, &r.text, "Bind").to_string(),
                ));
                continue;
            }
            Err(e) => {
                out.push(check(
                    "bind",
                    &url,
                    false,
                    client::operation_error("Signing in (bind)", e).to_string(),
                ));
                continue;
            }
        }
        // 5. Base DN readable.
        let base = ldap
            .with_timeout(Duration::from_secs(s.search_timeout_secs))
            .search(&s.base_dn, Scope::Base, "(objectClass=*)", vec!["1.1"])
            .await;
        let _ = ldap.unbind().await;
        match base {
            Ok(r) if r.1.rc == 0 && !r.0.is_empty() => {
                out.push(check(
                    "base_dn",
                    &url,
                    true,
                    format!("{} is readable", s.base_dn),
                ));
                return out;
            }
            Ok(r) => out.push(check(
                "base_dn",
                &url,
                false,
                client::result_error(r.1.rc, &r.1.text, &format!("Reading {}", s.base_dn))
                    .to_string(),
            )),
            Err(e) => out.push(check(
                "base_dn",
                &url,
                false,
                client::operation_error(&format!("Reading {}", s.base_dn), e).to_string(),
            )),
        }
    }
    out
}
