//! The server's settings, kept as a small JSON file in the data directory ([`SETTINGS_FILE`]), and the
//! public origin that SCIM base URLs and the Admin API's host name are built from.
//!
//! The file is the server's own, beside the application layer's `settings.json` (which the window and
//! `rosterctl` rewrite whole for their own settings), so that neither can lose the other's.

use crate::config::{ServerConfig, Tls, DEFAULT_LISTEN};
use crate::files::write_atomically;
use crate::ServerError;
use roster_secrets::SecretStore;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The server settings file in the data directory.
pub const SETTINGS_FILE: &str = "server.json";

/// How the server speaks TLS, as saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum TlsSetting {
    /// Plain HTTP (loopback addresses only).
    #[default]
    None,
    /// A certificate and key from files.
    Files {
        /// The certificate chain (PEM).
        cert_pem: PathBuf,
        /// The private key (PEM, no passphrase).
        key_pem: PathBuf,
    },
    /// Roster's own self-signed certificate.
    Generated,
}

/// The server's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Where to listen (default `127.0.0.1:8742`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// TLS (default none).
    #[serde(default)]
    pub tls: TlsSetting,
    /// The names clients reach this server by: the first is the public name in [`Self::origin`], and a
    /// generated certificate covers them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_names: Vec<String>,
    /// The public base URL when clients reach Roster through something else (a reverse proxy, a tunnel):
    /// `https://roster.example.com` or `https://example.com:8443`, no path. Overrides what
    /// [`Self::origin`] would build from the other settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_origin: Option<String>,
}

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN
}

impl Default for ServerSettings {
    /// `127.0.0.1:8742`, plain HTTP.
    fn default() -> Self {
        ServerSettings {
            listen: DEFAULT_LISTEN,
            tls: TlsSetting::None,
            host_names: Vec::new(),
            public_origin: None,
        }
    }
}

impl ServerSettings {
    /// The settings saved in `data_dir`, or the defaults if none were saved.
    pub fn load(data_dir: &Path) -> Result<ServerSettings, ServerError> {
        let path = data_dir.join(SETTINGS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ServerSettings::default())
            }
            Err(e) => {
                return Err(ServerError::Settings {
                    path,
                    problem: format!("cannot be read: {e}. Check who owns it."),
                })
            }
        };
        let settings: ServerSettings =
            serde_json::from_str(&text).map_err(|e| ServerError::Settings {
                path: path.clone(),
                problem: format!("is not valid ({e}). Correct it, or delete it to go back to the defaults (127.0.0.1:8742, no TLS)."),
            })?;
        settings.check().map_err(|e| ServerError::Settings {
            path,
            problem: format!("{e} Correct the file, or delete it to go back to the defaults."),
        })?;
        Ok(settings)
    }

    /// Saves the settings in `data_dir` (created if missing), after checking them.
    pub fn save(&self, data_dir: &Path) -> Result<(), ServerError> {
        self.check()?;
        let path = data_dir.join(SETTINGS_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| ServerError::Settings {
            path: path.clone(),
            problem: format!("could not be written: {e}."),
        })?;
        write_atomically(&path, text.as_bytes()).map_err(|e| ServerError::Settings {
            problem: format!(
                "could not be written: {e}. Check that the data directory {} is writable.",
                data_dir.display()
            ),
            path,
        })
    }

    /// Checks what serde cannot: the public origin's form, and that plain HTTP listens on loopback only.
    pub fn check(&self) -> Result<(), ServerError> {
        if self.tls == TlsSetting::None && !crate::config::is_loopback(self.listen.ip()) {
            return Err(ServerError::PlainHttpNotLoopback(self.listen));
        }
        if let Some(origin) = &self.public_origin {
            normalize_origin(origin)?;
        }
        Ok(())
    }

    /// The public base URL, without a trailing slash: [`Self::public_origin`] if set; else `https` with
    /// TLS and `http` without, the first host name (else the listen address, or the loopback address
    /// when listening on every interface), and the port unless it is the scheme's default.
    pub fn origin(&self) -> String {
        if let Some(origin) = self
            .public_origin
            .as_deref()
            .and_then(|o| normalize_origin(o).ok())
        {
            return origin;
        }
        let https = self.tls != TlsSetting::None;
        let scheme = if https { "https" } else { "http" };
        let host = match self.host_names.first() {
            Some(name) => match name.parse::<IpAddr>() {
                Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
                Ok(IpAddr::V4(ip)) => ip.to_string(),
                Err(_) => name.to_ascii_lowercase(),
            },
            None => match self.listen.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".into(),
                IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".into(),
                IpAddr::V4(ip) => ip.to_string(),
                IpAddr::V6(ip) => format!("[{ip}]"),
            },
        };
        let port = self.listen.port();
        let default_port = if https { 443 } else { 80 };
        if port == default_port {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{port}")
        }
    }

    /// What [`crate::Server::start`] needs, with the data directory and secret store a generated
    /// certificate is kept in. Connection limits are the defaults.
    pub fn server_config(&self, data_dir: &Path, secrets: Arc<dyn SecretStore>) -> ServerConfig {
        ServerConfig {
            listen: self.listen,
            tls: match &self.tls {
                TlsSetting::None => Tls::None,
                TlsSetting::Files { cert_pem, key_pem } => Tls::Files {
                    cert_pem: cert_pem.clone(),
                    key_pem: key_pem.clone(),
                },
                TlsSetting::Generated => Tls::Generated {
                    data_dir: data_dir.to_path_buf(),
                    secrets,
                },
            },
            host_names: self.host_names.clone(),
            limits: Default::default(),
        }
    }
}

/// `scheme://host[:port]` from a public origin, or why it is not one.
fn normalize_origin(origin: &str) -> Result<String, ServerError> {
    let bad = |why: &str| {
        ServerError::InvalidSetting(format!(
            "The public address \"{origin}\" {why} Give it as https://name or https://name:port, with no path."
        ))
    };
    let url = url::Url::parse(origin).map_err(|e| bad(&format!("is not a URL ({e}).")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad("is not an http or https address."));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host name."));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has a path, a query or a fragment."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("holds a user name or password."));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_plain_http_on_loopback_8742() {
        let s = ServerSettings::default();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8742");
        assert_eq!(s.origin(), "http://127.0.0.1:8742");
    }

    #[test]
    fn origins_use_the_first_host_name_and_leave_out_default_ports() {
        let mut s = ServerSettings {
            listen: "0.0.0.0:443".parse().unwrap(),
            tls: TlsSetting::Generated,
            host_names: vec!["Roster.Example.com".into(), "other.example.com".into()],
            public_origin: None,
        };
        assert_eq!(s.origin(), "https://roster.example.com");
        s.listen = "0.0.0.0:8742".parse().unwrap();
        assert_eq!(s.origin(), "https://roster.example.com:8742");
        s.host_names.clear();
        assert_eq!(
            s.origin(),
            "https://127.0.0.1:8742",
            "every interface, no name: this machine's own address"
        );
        s.host_names = vec!["::1".into()];
        assert_eq!(s.origin(), "https://[::1]:8742");
        s.public_origin = Some("https://sso.example.org/".into());
        assert_eq!(
            s.origin(),
            "https://sso.example.org",
            "behind a proxy or tunnel, the public address is what clients use"
        );
    }

    #[test]
    fn settings_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            ServerSettings::load(dir.path()).unwrap(),
            ServerSettings::default(),
            "no file: the defaults"
        );
        let s = ServerSettings {
            listen: "0.0.0.0:9443".parse().unwrap(),
            tls: TlsSetting::Files {
                cert_pem: "/etc/roster/cert.pem".into(),
                key_pem: "/etc/roster/key.pem".into(),
            },
            host_names: vec!["roster.example.com".into()],
            public_origin: None,
        };
        s.save(dir.path()).unwrap();
        assert_eq!(ServerSettings::load(dir.path()).unwrap(), s);
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(
            text.contains("\"mode\": \"files\""),
            "readable JSON: {text}"
        );
    }

    #[test]
    fn unusable_settings_are_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let plain_everywhere = ServerSettings {
            listen: "0.0.0.0:8742".parse().unwrap(),
            ..Default::default()
        };
        assert!(matches!(
            plain_everywhere.save(dir.path()),
            Err(ServerError::PlainHttpNotLoopback(_))
        ));
        let with_path = ServerSettings {
            public_origin: Some("https://example.com/roster".into()),
            ..Default::default()
        };
        let e = with_path.save(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no path"), "{e}");
        std::fs::write(dir.path().join(SETTINGS_FILE), "{\"listen\": 8742}").unwrap();
        let e = ServerSettings::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(SETTINGS_FILE) && e.contains("delete it"),
            "names the file and the way out: {e}"
        );
    }
}
