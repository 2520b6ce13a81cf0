//! The server's settings as the window edits them ([`ServerSetup`]): shown from [`ServerSettings`], and
//! checked back into them with errors that say what to do, before anything is saved or restarted.

use crate::config::is_loopback;
use crate::settings::{ServerSettings, TlsSetting};
use crate::ServerError;
use roster_api::json::{ServerSetup, ServerTls};
use std::net::SocketAddr;

impl ServerSettings {
    /// How the server speaks TLS, as the window names it.
    pub fn tls_mode(&self) -> ServerTls {
        match self.tls {
            TlsSetting::None => ServerTls::None,
            TlsSetting::Generated => ServerTls::Generated,
            TlsSetting::Files { .. } => ServerTls::Files,
        }
    }

    /// The settings as the window edits them.
    pub fn to_setup(&self) -> ServerSetup {
        let (cert_pem, key_pem) = match &self.tls {
            TlsSetting::Files { cert_pem, key_pem } => (
                cert_pem.display().to_string(),
                key_pem.display().to_string(),
            ),
            TlsSetting::None | TlsSetting::Generated => (String::new(), String::new()),
        };
        ServerSetup {
            listen: self.listen.to_string(),
            tls: self.tls_mode(),
            cert_pem,
            key_pem,
            host_names: self.host_names.clone(),
            public_origin: self.public_origin.clone().unwrap_or_default(),
        }
    }

    /// The settings the window asks for, checked: an address and port to listen on, plain HTTP on
    /// loopback only, both PEM files for TLS from files, host names a certificate can carry, and a
    /// public address with no path.
    pub fn from_setup(setup: &ServerSetup) -> Result<ServerSettings, ServerError> {
        let listen_text = setup.listen.trim();
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            ServerError::InvalidSetting(format!(
                "\"{listen_text}\" is not an address to listen on. Give an IP address and a port, such as 127.0.0.1:8742 (this computer only)."
            ))
        })?;
        let tls = match setup.tls {
            ServerTls::None => TlsSetting::None,
            ServerTls::Generated => TlsSetting::Generated,
            ServerTls::Files => {
                let (cert, key) = (setup.cert_pem.trim(), setup.key_pem.trim());
                if cert.is_empty() || key.is_empty() {
                    return Err(ServerError::InvalidSetting(
                        "TLS from files needs both the certificate's PEM file and its private key's PEM file. Give both paths, or let Roster generate a certificate.".into(),
                    ));
                }
                TlsSetting::Files {
                    cert_pem: cert.into(),
                    key_pem: key.into(),
                }
            }
        };
        let host_names: Vec<String> = setup
            .host_names
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        crate::server::check_host_names(&host_names)?;
        let origin = setup.public_origin.trim();
        let settings = ServerSettings {
            listen,
            tls,
            host_names,
            public_origin: (!origin.is_empty()).then(|| origin.to_string()),
        };
        settings.check()?;
        Ok(settings)
    }

    /// What is worth knowing about settings that work: other computers can reach the server.
    pub fn warning(&self) -> Option<String> {
        (!is_loopback(self.listen.ip())).then(|| {
            format!(
                "Roster listens on {}, which other computers can reach: anyone on those networks can try SCIM tokens and Admin API keys against it. Listen on 127.0.0.1 unless clients on other computers need it, and let them in with a firewall rule for those clients only.",
                self.listen
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(listen: &str) -> ServerSetup {
        ServerSetup {
            listen: listen.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_window_s_settings_round_trip() {
        let s = ServerSettings {
            listen: "0.0.0.0:9443".parse().unwrap(),
            tls: TlsSetting::Files {
                cert_pem: "/etc/roster/cert.pem".into(),
                key_pem: "/etc/roster/key.pem".into(),
            },
            host_names: vec!["roster.example.com".into()],
            public_origin: Some("https://sso.example.org".into()),
        };
        assert_eq!(ServerSettings::from_setup(&s.to_setup()).unwrap(), s);
        let d = ServerSettings::default();
        assert_eq!(ServerSettings::from_setup(&d.to_setup()).unwrap(), d);
    }

    #[test]
    fn bad_input_is_refused_with_what_to_do() {
        let e = ServerSettings::from_setup(&setup("localhost"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("127.0.0.1:8742"), "{e}");
        let e = ServerSettings::from_setup(&setup("0.0.0.0:8742")).unwrap_err();
        assert!(matches!(e, ServerError::PlainHttpNotLoopback(_)), "{e}");
        let files = ServerSetup {
            tls: ServerTls::Files,
            cert_pem: "/etc/cert.pem".into(),
            ..setup("127.0.0.1:8742")
        };
        let e = ServerSettings::from_setup(&files).unwrap_err().to_string();
        assert!(e.contains("private key"), "{e}");
        let origin = ServerSetup {
            public_origin: "roster.example.com/scim".into(),
            ..setup("127.0.0.1:8742")
        };
        let e = ServerSettings::from_setup(&origin).unwrap_err().to_string();
        assert!(e.contains("https://name"), "{e}");
        let name = ServerSetup {
            host_names: vec!["*.example.com".into()],
            ..setup("127.0.0.1:8742")
        };
        assert!(matches!(
            ServerSettings::from_setup(&name),
            Err(ServerError::HostName(_))
        ));
    }

    #[test]
    fn listening_beyond_loopback_is_said() {
        let mut s = ServerSettings::default();
        assert_eq!(s.warning(), None);
        s.listen = "0.0.0.0:8742".parse().unwrap();
        s.tls = TlsSetting::Generated;
        assert!(s.warning().unwrap().contains("other computers"));
    }
}
