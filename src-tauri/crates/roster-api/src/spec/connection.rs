//! Connection settings in a spec: the typed variants, how they are parsed field by field, and the secrets
//! they carry to the secret store.

use super::{invalid, text, typed};
use crate::error::{ApiError, Result};
use crate::kinds::ConnectionKind;
use crate::names::check_name;
use roster_connector_ldap as ldap;
use roster_secrets::Sensitive;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

/// A new connection, as written in a spec file. `kind` selects the variant.
#[derive(Debug, Clone)]
pub enum ConnectionSpec {
    /// The built-in offline demo directory.
    Demo(DemoSpec),
    /// Active Directory over LDAP.
    ActiveDirectory(LdapSpec),
    /// OpenLDAP.
    Openldap(LdapSpec),
    /// Microsoft Entra ID.
    Entra(CloudSpec),
    /// Google Workspace.
    Google(CloudSpec),
    /// Okta.
    Okta(CloudSpec),
    /// An inbound SCIM integration (Okta or generic).
    Scim(ScimSpec),
}

/// The demo directory's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSpec {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Generator seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of people.
    #[serde(default = "default_users")]
    pub users: usize,
}

fn default_seed() -> u64 {
    7
}
fn default_users() -> usize {
    300
}

/// LDAP connection settings (Active Directory and OpenLDAP): the connector's [`ldap::Settings`] plus
/// what a spec file adds: a display name, the CA certificate as a file path (read only by
/// [`DirectorySpec::read_files`]), and the bind password (moved to the keychain, never stored in the
/// database).
#[derive(Debug, Clone)]
pub struct LdapSpec {
    /// Display name.
    pub name: Option<String>,
    /// The connector settings.
    pub settings: ldap::Settings,
    /// Bind password.
    pub bind_password: Option<Sensitive<String>>,
    /// A PEM file with the CA certificates, not read yet.
    pub ca_cert_file: Option<PathBuf>,
}

/// Cloud connection settings (Entra ID, Google Workspace, Okta), as a spec file gives them: the connector's
/// own settings (checked by the connector crate, see `spec::cloud`), plus a display name, `demo` (use the
/// built-in offline emulator of that vendor; nothing else is needed) and, for Google, the Desktop client's
/// secret (moved to the keychain).
#[derive(Debug, Clone)]
pub struct CloudSpec {
    /// Display name.
    pub name: Option<String>,
    /// Use the built-in emulator (the offline demo).
    pub demo: bool,
    /// Google's Desktop client secret.
    pub client_secret: Option<Sensitive<String>>,
    /// The connector's settings (tenant, client id, endpoints…).
    pub settings: serde_json::Map<String, Value>,
}

/// Inbound SCIM settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScimSpec {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Which client pushes.
    pub flavor: ScimFlavor,
}

/// Which SCIM client pushes to an inbound integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScimFlavor {
    /// Okta's SCIM provisioning.
    Okta,
    /// Any SCIM 2.0 client.
    Generic,
}

impl std::fmt::Display for ScimFlavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScimFlavor::Okta => "Okta",
            ScimFlavor::Generic => "generic",
        })
    }
}

/// Parses a connection object found at `path` (`connection` in a spec).
pub fn parse_connection(value: Value, path: &str) -> Result<ConnectionSpec> {
    let Value::Object(mut o) = value else {
        return Err(invalid(
            path,
            "give a new connection (an object with \"kind\") or the id of an existing one (\"conn-…\")",
        ));
    };
    let kinds = ConnectionKind::names();
    let kind = match o.remove("kind") {
        Some(Value::String(k)) => k,
        Some(_) => {
            return Err(invalid(
                &format!("{path}.kind"),
                format!("it must be one of: {kinds}"),
            ))
        }
        None => {
            return Err(invalid(
                path,
                format!("\"kind\" is missing; use one of: {kinds}"),
            ))
        }
    };
    let Some(parsed) = ConnectionKind::parse(&kind) else {
        return Err(invalid(
            &format!("{path}.kind"),
            format!("\"{kind}\" is not a kind of directory Roster knows; use one of: {kinds}"),
        ));
    };
    // How each kind's settings are written: the connector's own settings, plus what a spec adds.
    let spec = match parsed {
        ConnectionKind::Demo => ConnectionSpec::Demo(typed(path, Value::Object(o))?),
        ConnectionKind::ActiveDirectory | ConnectionKind::Openldap => {
            let name = text(&mut o, path, "name")?;
            let bind_password = text(&mut o, path, "bind_password")?.map(Sensitive);
            let ca_cert_file = text(&mut o, path, "ca_cert_file")?.map(PathBuf::from);
            if ca_cert_file.is_some() && o.get("ca_pem").is_some_and(|v| !v.is_null()) {
                return Err(invalid(
                    path,
                    "give the CA certificate either as a file (\"ca_cert_file\") or as PEM text (\"ca_pem\"), not both",
                ));
            }
            let l = LdapSpec {
                name,
                settings: typed(path, Value::Object(o))?,
                bind_password,
                ca_cert_file,
            };
            if parsed == ConnectionKind::Openldap {
                ConnectionSpec::Openldap(l)
            } else {
                ConnectionSpec::ActiveDirectory(l)
            }
        }
        ConnectionKind::Entra | ConnectionKind::Google | ConnectionKind::Okta => {
            let name = text(&mut o, path, "name")?;
            let client_secret = text(&mut o, path, "client_secret")?.map(Sensitive);
            let demo = match o.remove("demo") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => b,
                Some(_) => {
                    return Err(invalid(&format!("{path}.demo"), "it must be true or false"))
                }
            };
            if demo {
                let extra = o
                    .keys()
                    .next()
                    .cloned()
                    .or_else(|| client_secret.as_ref().map(|_| "client_secret".to_string()));
                if let Some(extra) = extra {
                    return Err(invalid(
                        &format!("{path}.{extra}"),
                        "a demo connection (\"demo\": true) takes only \"name\"; remove the other settings",
                    ));
                }
            }
            let c = CloudSpec {
                name,
                demo,
                client_secret,
                settings: o,
            };
            match parsed {
                ConnectionKind::Entra => ConnectionSpec::Entra(c),
                ConnectionKind::Google => ConnectionSpec::Google(c),
                _ => ConnectionSpec::Okta(c),
            }
        }
        ConnectionKind::Scim => ConnectionSpec::Scim(typed(path, Value::Object(o))?),
    };
    if let Some(name) = spec.given_name() {
        check_name("connection", name).map_err(|e| invalid(&format!("{path}.name"), e.message))?;
    }
    Ok(spec)
}

impl ConnectionSpec {
    /// Its kind.
    pub fn kind(&self) -> ConnectionKind {
        match self {
            ConnectionSpec::Demo(_) => ConnectionKind::Demo,
            ConnectionSpec::ActiveDirectory(_) => ConnectionKind::ActiveDirectory,
            ConnectionSpec::Openldap(_) => ConnectionKind::Openldap,
            ConnectionSpec::Entra(_) => ConnectionKind::Entra,
            ConnectionSpec::Google(_) => ConnectionKind::Google,
            ConnectionSpec::Okta(_) => ConnectionKind::Okta,
            ConnectionSpec::Scim(_) => ConnectionKind::Scim,
        }
    }

    /// Whether the connection is added by signing in through a browser.
    pub fn is_cloud(&self) -> bool {
        matches!(
            self,
            ConnectionSpec::Entra(_) | ConnectionSpec::Google(_) | ConnectionSpec::Okta(_)
        )
    }

    fn given_name(&self) -> Option<&str> {
        match self {
            ConnectionSpec::Demo(d) => d.name.as_deref(),
            ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) => l.name.as_deref(),
            ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => {
                c.name.as_deref()
            }
            ConnectionSpec::Scim(s) => s.name.as_deref(),
        }
    }

    /// Reads the files the spec names (the CA certificate file): only for front doors on the admin's own
    /// machine (the desktop app, `rosterctl`). A file that cannot be read, or that holds no certificate,
    /// is refused now rather than at the first sync.
    pub fn read_files(&mut self) -> Result<()> {
        if let ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) = self {
            if let Some(file) = l.ca_cert_file.take() {
                let pem = std::fs::read_to_string(&file).map_err(|e| {
                    invalid(
                        "connection.ca_cert_file",
                        format!("the file {} cannot be read ({e})", file.display()),
                    )
                })?;
                l.settings.ca_pem = Some(pem);
                ldap::client::tls_config(&l.settings).map_err(|e| {
                    invalid(
                        "connection.ca_cert_file",
                        format!("{} holds no usable CA certificate: {e}", file.display()),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Refuses a connection whose files were not read ([`ConnectionSpec::read_files`]): a front door that
    /// reads no files (one reachable over the network) asks for their contents instead.
    pub fn check_files_read(&self) -> Result<()> {
        match self {
            ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l)
                if l.ca_cert_file.is_some() =>
            {
                Err(ApiError::validation(
                    "Roster reads certificate files only from the desktop app and rosterctl. Paste the CA certificate's PEM text as \"ca_pem\" instead of \"ca_cert_file\". Nothing was added.",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Checks the settings; the error says what to fix.
    pub fn validate(&self) -> Result<()> {
        match self {
            ConnectionSpec::Demo(d) => {
                if d.users == 0 || d.users > 1_000_000 {
                    return Err(ApiError::validation(format!(
                        "The demo directory can have 1 to 1,000,000 people; {} was asked for.",
                        d.users
                    )));
                }
                Ok(())
            }
            ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) => {
                l.settings.validate().map_err(ApiError::validation)?;
                if l.settings.ca_pem.is_some() {
                    ldap::client::tls_config(&l.settings).map_err(|e| {
                        ApiError::validation(format!(
                            "The CA certificate (\"ca_pem\") cannot be used: {e}"
                        ))
                    })?;
                }
                if l.settings.transport == ldap::Transport::Clear
                    && l.bind_password.is_some()
                    && !l.settings.allow_clear_password
                {
                    return Err(ApiError::validation(
                        "A password bind over a clear (unencrypted) connection would send the password in the open. Use \"starttls\" or \"ldaps\", or set \"allow_clear_password\": true if you accept the risk.",
                    ));
                }
                if l.settings.bind_method == ldap::BindMethod::Simple
                    && l.settings.bind_dn.is_some()
                    && l.bind_password.is_none()
                {
                    return Err(ApiError::validation("Give the bind account's password (\"bind_password\"); Roster keeps it in the OS keychain."));
                }
                Ok(())
            }
            ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => {
                super::cloud::validate(self.kind(), c)
            }
            // The flavor was checked when the spec was read (it is one of ScimFlavor's).
            ConnectionSpec::Scim(_) => Ok(()),
        }
    }

    /// The display name, defaulting by kind.
    pub fn display_name(&self) -> String {
        self.given_name()
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| match self {
                ConnectionSpec::Demo(_) => "Northwind Traders (demo)".into(),
                ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) => {
                    l.settings.servers.first().cloned().unwrap_or_default()
                }
                ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => {
                    super::cloud::default_name(self.kind(), c)
                }
                ConnectionSpec::Scim(s) => format!("SCIM ({})", s.flavor),
            })
    }

    /// The settings to store (never secrets) and the secrets to put in the keychain.
    pub fn split_secrets(&self) -> Result<(Value, Secrets)> {
        match self {
            ConnectionSpec::Demo(d) => Ok((
                serde_json::json!({"seed": d.seed, "users": d.users}),
                Vec::new(),
            )),
            ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) => {
                let secrets = l
                    .bind_password
                    .iter()
                    .map(|p| ("bind_password", p.clone()))
                    .collect();
                Ok((to_json(&l.settings)?, secrets))
            }
            ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => {
                let mut config = c.settings.clone();
                if c.demo {
                    config.insert("demo".into(), Value::Bool(true));
                }
                let secrets = c
                    .client_secret
                    .iter()
                    .map(|s| ("client_secret", s.clone()))
                    .collect();
                Ok((Value::Object(config), secrets))
            }
            ConnectionSpec::Scim(s) => Ok((to_json(s)?, Vec::new())),
        }
    }
}

/// Secrets by name (`bind_password`, `client_secret`), bound for the secret store.
pub type Secrets = Vec<(&'static str, Sensitive<String>)>;

fn to_json<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| ApiError::validation(e.to_string()))
}
