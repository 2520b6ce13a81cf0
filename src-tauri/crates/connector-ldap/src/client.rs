//! All of the connector's I/O: connecting (with failover and TLS), binding, paged searches, range
//! retrieval. Everything it returns is plain [`Entry`] values for [`crate::map`].

use crate::map::{parse_range, Entry};
use crate::settings::{Settings, Transport};
use ldap3::adapters::{EntriesOnly, PagedResults};
use ldap3::asn1::StructureTag;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, ResultEntry, Scope};
use roster_core::source::ConnectorError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;

pub mod lookup;

/// Verifies the chain but not the host name (for "verify hostname" off).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Puts PEM markers on lines of their own: a certificate pasted through a form or a chat often arrives
/// with its line breaks lost or turned into spaces.
pub fn normalize_pem(pem: &str) -> String {
    let mut out = String::with_capacity(pem.len() + 64);
    let mut rest = pem.trim();
    while let Some(start) = rest.find("-----BEGIN ") {
        let Some(head_end) = rest[start + 11..].find("-----").map(|i| start + 11 + i + 5) else {
            break;
        };
        let Some(end) = rest[head_end..].find("-----END ").map(|i| head_end + i) else {
            break;
        };
        let Some(tail_end) = rest[end + 9..].find("-----").map(|i| end + 9 + i + 5) else {
            break;
        };
        let body: String = rest[head_end..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        out.push_str(&rest[start..head_end]);
        out.push('\n');
        for chunk in body.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str(&rest[end..tail_end]);
        out.push('\n');
        rest = &rest[tail_end..];
    }
    if out.is_empty() {
        pem.to_string()
    } else {
        out
    }
}

/// The TLS configuration: the connection's CA certificates, else the system's.
pub fn tls_config(s: &Settings) -> Result<Arc<ClientConfig>, ConnectorError> {
    let mut roots = RootCertStore::empty();
    match &s.ca_pem {
        Some(pem) => {
            let pem = normalize_pem(pem);
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|_| {
                    ConnectorError::Configuration("The CA certificate is not valid PEM. Paste the issuing CA's certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.".into())
                })?;
                roots.add(cert).map_err(|e| {
                    ConnectorError::Configuration(format!(
                        "The CA certificate cannot be used: {e}."
                    ))
                })?;
            }
            if roots.is_empty() {
                return Err(ConnectorError::Configuration("No certificate was found in the CA certificate PEM. Paste the issuing CA's certificate.".into()));
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| {
            ConnectorError::Configuration(format!("The CA certificates cannot be used: {e}."))
        })?;
    let verifier: Arc<dyn ServerCertVerifier> = if s.verify_hostname {
        webpki
    } else {
        Arc::new(ChainOnly(webpki))
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectorError::Configuration(format!("TLS cannot be set up: {e}.")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS library's verdict inside a connection error, if the error is one: rustls reports through
/// ldap3 directly, or wrapped in the I/O error of the TLS stream (LDAPS and STARTTLS alike).
fn tls_error(e: &LdapError) -> Option<&rustls::Error> {
    match e {
        LdapError::Rustls { source } => Some(source),
        LdapError::Io { source } => source.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// The host of an LDAP URL (`ldaps://host:636` is `host`).
fn url_host(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let rest = rest.split('/').next().unwrap_or(rest);
    match rest.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => rest,
    }
    .trim_matches(['[', ']'])
}

/// A day as YYYY-MM-DD, from seconds since 1970 (UTC; the civil-from-days algorithm of H. Hinnant).
fn date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A host name or address from the names rustls reports a certificate was issued for (webpki writes them
/// as `DnsName("ldap.example.org")` and `IpAddress(192.0.2.1)`); other kinds of name are left out.
fn certificate_name(presented: &str) -> Option<&str> {
    presented
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            presented
                .strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        })
}

/// What is wrong with the server's certificate and what to do, when a connection failed on it. A
/// certificate problem is never a network one: these messages send no one to check a firewall.
pub fn certificate_problem(server: &str, e: &LdapError) -> Option<String> {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = tls_error(e)? else {
        return None;
    };
    let host = url_host(server);
    Some(match c {
        C::UnknownIssuer | C::BadSignature => "the server's certificate is not trusted: it was not issued by a CA certificate this connection trusts. Add the issuing CA's certificate (the CA that signed the server's certificate) to the connection's CA certificates".to_string(),
        C::NotValidForNameContext { presented, .. }
            if presented.iter().any(|p| certificate_name(p).is_some()) =>
        {
            let names: Vec<&str> = presented.iter().filter_map(|p| certificate_name(p)).collect();
            format!(
                "the server's certificate is not valid for the name {host}: it was issued for {}. Connect with one of those names, have the certificate reissued for {host}, or turn off host name verification for this connection",
                names.join(", ")
            )
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => format!(
            "the server's certificate is not valid for the name {host}. Connect with a name the certificate lists, have the certificate reissued for {host}, or turn off host name verification for this connection"
        ),
        C::ExpiredContext { not_after, .. } => format!(
            "the server's certificate expired on {}. Renew the certificate on the server, then sync again",
            date(not_after.as_secs())
        ),
        C::Expired => "the server's certificate has expired. Renew the certificate on the server, then sync again".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => "the server's certificate is not valid yet. Check that the clocks of this computer and of the server are right".to_string(),
        C::Revoked => "the server's certificate has been revoked. Install a new certificate on the server".to_string(),
        other => format!(
            "the server's certificate was refused ({other:?}). Check the certificate installed on the server and the connection's CA certificates"
        ),
    })
}

/// A plain-English reason for a connection failure, with what to do.
pub fn explain(server: &str, e: &LdapError) -> String {
    if let Some(problem) = certificate_problem(server, e) {
        return format!("{server}: {problem}");
    }
    match e {
        LdapError::Io { source } => match source.kind() {
            std::io::ErrorKind::ConnectionRefused => format!("{server}: the connection was refused (is the server running, and is the port right?)"),
            std::io::ErrorKind::TimedOut => format!("{server}: the connection timed out"),
            _ => format!("{server}: {source}"),
        },
        LdapError::Timeout { .. } => format!("{server}: no answer before the timeout"),
        LdapError::Rustls { source } => format!("{server}: the TLS handshake failed ({source}). Check that the server offers TLS on this port (LDAPS usually on 636, STARTTLS on 389)"),
        LdapError::DNSName { .. } => format!("{server}: the host name is not valid for TLS"),
        LdapError::UrlParsing { .. } => format!("{server}: not a valid LDAP address"),
        other => format!("{server}: {other}"),
    }
}

/// Why an operation (`what`, e.g. "Searching dc=example,dc=org") failed with `e`, in plain English with
/// what to do. A connection lost mid-operation (the server stopped, a network drop) shows in ldap3 as a
/// closed channel or a premature end of the result stream; both say the connection was lost.
pub fn operation_error(what: &str, e: LdapError) -> ConnectorError {
    match e {
        LdapError::LdapResult { result } => result_error(result.rc, &result.text, what),
        LdapError::ResultRecv { .. }
        | LdapError::OpSend { .. }
        | LdapError::IdScrubSend { .. }
        | LdapError::EndOfStream
        | LdapError::Io { .. } => ConnectorError::Unreachable(format!(
            "{what} stopped: the connection to the directory server was lost. Nothing was changed. Check that the server is running, then sync again."
        )),
        LdapError::Timeout { .. } => ConnectorError::Unreachable(format!(
            "{what} stopped: the directory server did not answer in time. Nothing was changed. Check that the server is not overloaded, or raise the search timeout, then sync again."
        )),
        LdapError::FilterParsing => ConnectorError::Configuration(format!(
            "{what} failed: the search filter is not valid LDAP. Check the object classes and attribute names in the connection's settings."
        )),
        other => ConnectorError::Protocol(format!(
            "{what} failed ({other}). Nothing was changed. Check the server's logs, then sync again."
        )),
    }
}

/// Why a result code failed, in plain English.
pub fn result_error(rc: u32, text: &str, what: &str) -> ConnectorError {
    match rc {
        49 => ConnectorError::Unauthorized(
            "The directory rejected the bind account or password (invalid credentials). Check the bind DN and password.".into(),
        ),
        8 | 13 => ConnectorError::Configuration(
            "The directory requires a secure connection for this bind. Use STARTTLS or LDAPS.".into(),
        ),
        3 => ConnectorError::Configuration(format!("{what} stopped at the server's time limit before every entry was read. Nothing was changed. Raise the time limit for the bind account on the server, or narrow the base DN.")),
        4 => ConnectorError::Configuration(format!("{what} stopped at the server's size limit before every entry was read. Nothing was changed. Roster reads in pages, which such a limit should not stop: check that the server allows the paged-results control for the bind account, or raise the bind account's size limit on the server.")),
        10 => ConnectorError::Configuration(format!("{what}: the server referred Roster to another server for the base DN. Connect to a server that holds the base DN (for Active Directory, a domain controller of that domain).")),
        11 => ConnectorError::Configuration(format!("{what} was refused under an administrative limit of the server ({text}). If it refuses paged searches, allow the paged-results control for the bind account (in OpenLDAP, a limits rule), or raise the bind account's limits on the server.")),
        12 => ConnectorError::Configuration(format!("{what}: the server does not support the paged-results control that Roster reads with ({text}). Enable paged results on the server for the bind account.")),
        32 => ConnectorError::Configuration(format!("{what}: the base DN does not exist on the server. Check the base DN.")),
        50 => ConnectorError::Unauthorized(format!("{what}: the bind account may not read this part of the directory. Give it read access.")),
        51..=53 => ConnectorError::Unreachable(format!("{what}: the server is busy or unavailable ({text}).")),
        _ => ConnectorError::Protocol(format!("{what} failed with LDAP result {rc}: {text}")),
    }
}

/// An open, bound connection.
pub struct Session {
    /// The handle.
    pub ldap: Ldap,
    /// The server that answered.
    pub server: String,
}

/// Connects to the first server that answers (in failover order) and binds.
pub async fn open(s: &Settings, password: Option<&str>) -> Result<Session, ConnectorError> {
    let tls = tls_for(s)?;
    let mut failures = Vec::new();
    let mut unreachable = 0;
    for server in &s.servers {
        let url = s.url(server);
        match connect(s, &url, tls.clone()).await {
            Ok(mut ldap) => {
                bind(&mut ldap, s, password, &url).await?;
                return Ok(Session { ldap, server: url });
            }
            Err(e) => {
                if certificate_problem(&url, &e).is_none() {
                    unreachable += 1;
                }
                failures.push(explain(&url, &e));
            }
        }
    }
    if failures.is_empty() {
        return Err(ConnectorError::Configuration(
            "No LDAP server is set for this connection. Add the address of at least one server."
                .into(),
        ));
    }
    // Every server answered but its certificate was refused: a retry cannot help until someone fixes
    // the certificate or the connection's CA, and the network is not at fault.
    if unreachable == 0 {
        return Err(ConnectorError::Configuration(format!(
            "No LDAP server could be used. {}.",
            failures.join("; ")
        )));
    }
    let advice = if unreachable == failures.len() {
        "Check the server addresses, that the servers are running, and that no firewall blocks the port."
    } else {
        "For the servers that could not be reached, check their addresses, that they are running, and that no firewall blocks the port."
    };
    Err(ConnectorError::Unreachable(format!(
        "No LDAP server could be reached. {}. {advice}",
        failures.join("; ")
    )))
}

/// A second bound connection to `first`, the server the run's first connection reached (never another server in the list:
/// change marks and cursors are per server, and one run reads from one server).
pub async fn open_beside(
    s: &Settings,
    password: Option<&str>,
    first: &str,
) -> Result<Session, ConnectorError> {
    let url = first.to_string();
    let mut ldap = connect(s, &url, tls_for(s)?).await.map_err(|e| {
        ConnectorError::Unreachable(format!(
            "A second connection to the directory failed: {}. Nothing was changed; the next run tries again.",
            explain(&url, &e)
        ))
    })?;
    bind(&mut ldap, s, password, &url).await?;
    Ok(Session { ldap, server: url })
}

fn tls_for(s: &Settings) -> Result<Option<Arc<ClientConfig>>, ConnectorError> {
    match s.transport {
        Transport::Clear => Ok(None),
        _ => tls_config(s).map(Some),
    }
}

async fn connect(
    s: &Settings,
    url: &str,
    tls: Option<Arc<ClientConfig>>,
) -> Result<Ldap, LdapError> {
    let mut cs =
        LdapConnSettings::new().set_conn_timeout(Duration::from_secs(s.connect_timeout_secs));
    if let Some(tls) = tls {
        cs = cs.set_config(tls);
    }
    if s.transport == Transport::Starttls {
        cs = cs.set_starttls(true);
    }
    let (conn, ldap) = LdapConnAsync::with_settings(cs, url).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.drive().await {
            tracing::debug!("LDAP connection ended: {e}");
        }
    });
    Ok(ldap)
}

async fn bind(
    ldap: &mut Ldap,
    s: &Settings,
    password: Option<&str>,
    url: &str,
) -> Result<(), ConnectorError> {
    if s.bind_method == crate::settings::BindMethod::Kerberos {
        return kerberos_bind(ldap, s, url).await;
    }
    let (dn, pw) = match (&s.bind_dn, password) {
        (Some(dn), Some(pw)) => (dn.as_str(), pw),
        (Some(_), None) => {
            return Err(ConnectorError::Unauthorized(
                "The bind password is missing from the keychain. Enter the bind password for this connection again.".into(),
            ))
        }
        (None, _) => ("", ""),
    };
    if s.transport == Transport::Clear && !pw.is_empty() && !s.allow_clear_password {
        return Err(ConnectorError::Configuration(
            "A password bind over a clear (unencrypted) connection would send the password in the open. Use STARTTLS or LDAPS, or explicitly allow clear-text passwords for this connection.".into(),
        ));
    }
    let res = ldap
        .simple_bind(dn, pw)
        .await
        .map_err(|e| operation_error(&format!("Signing in to {url} (bind)"), e))?;
    if res.rc != 0 {
        return Err(result_error(res.rc, &res.text, "Bind"));
    }
    Ok(())
}

/// Converts a search result entry, taking each value's bytes as they are (ldap3's `SearchEntry::construct`
/// copies every value once more, files them in a hash map, and panics on a malformed entry; a large read
/// converts over a million values). An attribute with any value that is not UTF-8 is binary, all its
/// values, as `SearchEntry` has it. Attributes come sorted by name.
fn to_entry(re: ResultEntry) -> Result<Entry, ConnectorError> {
    entry_of(re.0).ok_or_else(|| {
        ConnectorError::Protocol(
            "The directory sent a search result entry Roster could not read. Nothing was changed. Check the server's logs, or try another server.".into(),
        )
    })
}

fn entry_of(tag: StructureTag) -> Option<Entry> {
    let mut parts = tag.match_id(4)?.expect_constructed()?.into_iter();
    let dn = String::from_utf8(parts.next()?.expect_primitive()?).ok()?;
    let mut attrs: Vec<(String, Vec<String>)> = Vec::new();
    let mut bin_attrs: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for attribute in parts.next()?.expect_constructed()? {
        let mut pa = attribute.expect_constructed()?.into_iter();
        let name = String::from_utf8(pa.next()?.expect_primitive()?).ok()?;
        let values = pa.next()?.expect_constructed()?;
        let mut text: Vec<String> = Vec::with_capacity(values.len());
        let mut binary: Option<Vec<Vec<u8>>> = None;
        for v in values {
            let v = v.expect_primitive()?;
            match &mut binary {
                Some(bin) => bin.push(v),
                None => match String::from_utf8(v) {
                    Ok(t) => text.push(t),
                    Err(e) => {
                        let mut bin: Vec<Vec<u8>> = std::mem::take(&mut text)
                            .into_iter()
                            .map(String::into_bytes)
                            .collect();
                        bin.push(e.into_bytes());
                        binary = Some(bin);
                    }
                },
            }
        }
        match binary {
            Some(bin) => bin_attrs.push((name, bin)),
            None => attrs.push((name, text)),
        }
    }
    attrs.sort_by(|a, b| a.0.cmp(&b.0));
    bin_attrs.sort_by(|a, b| a.0.cmp(&b.0));
    Some(Entry {
        dn,
        attrs,
        bin_attrs,
    })
}

/// A paged subtree search (RFC 2696, marked critical as Duo's proxy does), skipping referrals.
pub async fn search(
    ldap: &mut Ldap,
    s: &Settings,
    filter: &str,
    attrs: &[String],
) -> Result<Vec<Entry>, ConnectorError> {
    let mut out = Vec::new();
    search_each(ldap, s, filter, attrs, |e| out.push(e)).await?;
    Ok(out)
}

/// As [`search`], handing each entry to `each` as it arrives (so a caller can convert and drop entries
/// one at a time instead of holding them all).
pub async fn search_each(
    ldap: &mut Ldap,
    s: &Settings,
    filter: &str,
    attrs: &[String],
    mut each: impl FnMut(Entry),
) -> Result<(), ConnectorError> {
    let base = s.base_dn.as_str();
    let page = s.page_size;
    let what = format!("Searching {base}");
    ldap.with_timeout(Duration::from_secs(s.search_timeout_secs));
    let adapters: Vec<Box<dyn ldap3::adapters::Adapter<'_, String, Vec<String>>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(page)),
    ];
    let mut stream = ldap
        .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs.to_vec())
        .await
        .map_err(|e| operation_error(&what, e))?;
    loop {
        match stream.next().await {
            Ok(Some(re)) => {
                if re.is_ref() {
                    continue; // referrals are skipped, not chased
                }
                each(to_entry(re)?);
            }
            Ok(None) => break,
            Err(e) => return Err(operation_error(&what, e)),
        }
    }
    let res = stream.finish().await;
    if res.rc != 0 {
        return Err(result_error(res.rc, &res.text, &what));
    }
    Ok(())
}

/// A subtree search that asks the server to stop after `limit` entries (the search's size limit, not
/// paged): for reading a few entries out of many. The server's "size limit exceeded" answer then means
/// only that more entries matched; the entries before it are returned. Referrals are skipped.
pub async fn search_at_most(
    ldap: &mut Ldap,
    s: &Settings,
    filter: &str,
    attrs: &[String],
    limit: usize,
) -> Result<Vec<Entry>, ConnectorError> {
    let what = format!("Searching {}", s.base_dn);
    let size = i32::try_from(limit).unwrap_or(i32::MAX);
    let ldap3::SearchResult(rs, res) = ldap
        .with_search_options(ldap3::SearchOptions::new().sizelimit(size))
        .with_timeout(Duration::from_secs(s.search_timeout_secs))
        .search(&s.base_dn, Scope::Subtree, filter, attrs.to_vec())
        .await
        .map_err(|e| operation_error(&what, e))?;
    if res.rc != 0 && res.rc != 4 {
        return Err(result_error(res.rc, &res.text, &what));
    }
    rs.into_iter()
        .filter(|r| !r.is_ref())
        .map(to_entry)
        .collect()
}

/// Reads the rest of a ranged attribute (`member;range=0-1499`, then `member;range=1500-*`, …), as Active
/// Directory returns groups with more than its MaxValRange members. Afterwards every value is under the
/// plain attribute name.
pub async fn complete_ranges(
    ldap: &mut Ldap,
    entry: &mut Entry,
    attribute: &str,
) -> Result<(), ConnectorError> {
    loop {
        let Some(pos) = entry.attrs.iter().position(|(k, _)| {
            parse_range(k).is_some_and(|(b, _, _)| b.eq_ignore_ascii_case(attribute))
        }) else {
            return Ok(());
        };
        let (key, values) = entry.attrs.remove(pos);
        let hi = parse_range(&key).and_then(|(_, _, hi)| hi);
        match entry
            .attrs
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(attribute))
        {
            Some((_, v)) => v.extend(values),
            None => entry.attrs.push((attribute.to_string(), values)),
        }
        let Some(hi) = hi else { continue };
        let want = format!("{attribute};range={}-*", hi + 1);
        let (rs, _) = ldap
            .with_timeout(Duration::from_secs(60))
            .search(
                &entry.dn,
                Scope::Base,
                "(objectClass=*)",
                vec![want.as_str()],
            )
            .await
            .and_then(|r| r.success())
            .map_err(|e| operation_error(&format!("Reading the members of {}", entry.dn), e))?;
        for re in rs {
            let more = to_entry(re)?;
            entry.attrs.extend(
                more.attrs
                    .into_iter()
                    .filter(|(k, _)| parse_range(k).is_some()),
            );
        }
    }
}

/// Reads one entry by DN (base scope) with `filter`; `None` if it no longer exists or does not match.
pub async fn read_entry(
    ldap: &mut Ldap,
    s: &Settings,
    dn: &str,
    filter: &str,
    attrs: &[String],
) -> Result<Option<Entry>, ConnectorError> {
    let res = ldap
        .with_timeout(Duration::from_secs(s.search_timeout_secs))
        .search(dn, Scope::Base, filter, attrs.to_vec())
        .await
        .map_err(|e| operation_error(&format!("Reading {dn}"), e))?;
    match res.success() {
        Ok((rs, _)) => rs
            .into_iter()
            .find(|r| !r.is_ref())
            .map(to_entry)
            .transpose(),
        Err(LdapError::LdapResult { result }) if result.rc == 32 => Ok(None), // deleted since the scan
        Err(e) => Err(operation_error(&format!("Reading {dn}"), e)),
    }
}

/// The host name in the server's Kerberos service principal: the configured one, else the URL's host.
pub fn kerberos_host(s: &Settings, url: &str) -> String {
    s.kerberos_host
        .clone()
        .unwrap_or_else(|| url_host(url).to_string())
}

async fn kerberos_bind(ldap: &mut Ldap, s: &Settings, url: &str) -> Result<(), ConnectorError> {
    let host = kerberos_host(s, url);
    match ldap.sasl_gssapi_bind(&host).await {
        Ok(r) if r.rc == 0 => Ok(()),
        Ok(r) => Err(ConnectorError::Unauthorized(format!(
            "The directory refused the Kerberos sign-in (LDAP result {}: {}). If it asks for signing or sealing, use LDAPS or STARTTLS; check the domain's LDAP channel-binding policy.",
            r.rc, r.text
        ))),
        Err(e) => Err(ConnectorError::Unauthorized(format!(
            "Kerberos sign-in to ldap/{host} failed ({e}). Sign in to the domain (or run kinit) so there is a ticket, and check that the server's name in \"kerberos_host\" matches its service principal."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use ldap3::asn1::{TagClass, PL};

    fn prim(bytes: &[u8]) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        }
    }

    fn cons(id: u64, inner: Vec<StructureTag>) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id,
            payload: PL::C(inner),
        }
    }

    fn attribute(name: &str, values: &[&[u8]]) -> StructureTag {
        cons(
            16,
            vec![
                prim(name.as_bytes()),
                cons(17, values.iter().map(|v| prim(v)).collect()),
            ],
        )
    }

    #[test]
    fn entries_convert_without_copies_and_refuse_malformed_ones() {
        let tag = StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![
                prim(b"uid=ana,ou=people,dc=example,dc=org"),
                cons(
                    16,
                    vec![
                        attribute("uid", &[b"ana"]),
                        attribute("cn", &["Ana Ž".as_bytes(), b"Ana"]),
                        attribute("jpegPhoto", &[b"ok", &[0xff, 0xfe]]),
                    ],
                ),
            ]),
        };
        let e = entry_of(tag.clone()).expect("a well-formed entry converts");
        assert_eq!(e.dn, "uid=ana,ou=people,dc=example,dc=org");
        assert_eq!(
            e.attrs,
            vec![
                (
                    "cn".to_string(),
                    vec!["Ana Ž".to_string(), "Ana".to_string()]
                ),
                ("uid".to_string(), vec!["ana".to_string()]),
            ],
            "text attributes, sorted by name"
        );
        assert_eq!(
            e.bin_attrs,
            vec![(
                "jpegPhoto".to_string(),
                vec![b"ok".to_vec(), vec![0xff, 0xfe]]
            )],
            "an attribute with a value that is not UTF-8 is binary, all its values"
        );
        let mut not_an_entry = tag.clone();
        not_an_entry.id = 5;
        assert!(entry_of(not_an_entry).is_none());
        let truncated = StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![prim(b"uid=ana,dc=org")]),
        };
        assert!(
            entry_of(truncated).is_none(),
            "a malformed entry is refused, not a panic"
        );
    }

    use super::{
        certificate_name, certificate_problem, date, entry_of, normalize_pem, StructureTag,
    };
    use ldap3::LdapError;
    use rustls::CertificateError;

    fn tls_failure(c: CertificateError) -> LdapError {
        // As tokio-rustls reports a refused certificate: inside the TLS stream's I/O error.
        LdapError::Io {
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(c),
            ),
        }
    }

    #[test]
    fn certificate_problems_say_what_to_do() {
        let server = "ldaps://dc1.example.org:636";
        let said = |c| certificate_problem(server, &tls_failure(c)).unwrap_or_default();
        assert!(said(CertificateError::UnknownIssuer).contains("Add the issuing CA's certificate"));
        let name = said(CertificateError::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("dc1.example.org")
                .expect("a name")
                .to_owned(),
            presented: vec![
                "DnsName(\"ldap.example.org\")".into(),
                "IpAddress(192.0.2.1)".into(),
                "DirectoryName".into(),
            ],
        });
        assert!(
            name.contains("not valid for the name dc1.example.org")
                && name.contains("issued for ldap.example.org, 192.0.2.1."),
            "{name}"
        );
        assert!(said(CertificateError::NotValidForName).contains("reissued for dc1.example.org"));
        let expired = said(CertificateError::ExpiredContext {
            time: rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                1_800_000_000,
            )),
            not_after: rustls::pki_types::UnixTime::since_unix_epoch(
                std::time::Duration::from_secs(1_700_000_000),
            ),
        });
        assert!(
            expired.contains("expired on 2023-11-14") && expired.contains("Renew"),
            "{expired}"
        );
        assert!(said(CertificateError::NotValidYet).contains("clocks"));
        for c in [
            CertificateError::UnknownIssuer,
            CertificateError::NotValidForName,
            CertificateError::Expired,
        ] {
            assert!(!said(c).contains("firewall"));
        }
        let refused = LdapError::Io {
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(
            certificate_problem(server, &refused),
            None,
            "a refused connection is no certificate problem"
        );
        assert_eq!(certificate_name("UniformResourceIdentifier(\"x\")"), None);
    }

    #[test]
    fn dates_from_unix_seconds() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_700_000_000), "2023-11-14");
        assert_eq!(date(4_107_542_400), "2100-03-01");
    }

    #[test]
    fn lost_connections_and_limits_are_plain_sentences() {
        let lost = super::operation_error("Searching dc=example,dc=org", LdapError::EndOfStream);
        assert!(
            lost.is_transient()
                && lost.to_string()
                    == "Searching dc=example,dc=org stopped: the connection to the directory server was lost. Nothing was changed. Check that the server is running, then sync again.",
            "{lost}"
        );
        let size = super::result_error(4, "", "Searching dc=example,dc=org").to_string();
        assert!(
            size.contains("size limit") && !size.contains("result 4"),
            "{size}"
        );
        let critical = super::result_error(12, "critical extension is unavailable", "Searching x");
        assert!(
            critical.to_string().contains("paged-results control"),
            "{critical}"
        );
    }

    #[test]
    fn pem_pasted_without_line_breaks_is_repaired() {
        let pem = "-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n";
        let flat = "-----BEGIN CERTIFICATE----- QUJD REVG -----END CERTIFICATE-----";
        assert_eq!(
            normalize_pem(flat),
            "-----BEGIN CERTIFICATE-----\nQUJDREVG\n-----END CERTIFICATE-----\n",
            "markers on their own lines, body joined"
        );
        assert_eq!(
            normalize_pem(pem),
            normalize_pem(flat),
            "a well-formed PEM stays equivalent"
        );
        assert_eq!(
            normalize_pem("not a pem"),
            "not a pem",
            "text without markers is left for the parser to refuse"
        );
    }
}
