//! Directory spec files (`rosterctl directory add --spec FILE.json`, and the desktop app's "Add" forms)
//! and the typed connection settings they carry. Secrets in a spec go to the keychain, never further.
//!
//! A spec is plain data: parsing one never reads a file or the network. A CA certificate given as a file
//! path is read only when a front door that runs on the admin's own machine asks for it
//! ([`DirectorySpec::read_files`]); every error names the field it is about (`connection.transport`).

use crate::error::{ApiError, Result};
use crate::kinds::ConnectionKind;
use crate::names::check_name;
use roster_connector_ldap as ldap;
use roster_core::{AdminRole, AttributeMap, RoleMapping, SyncType};
use roster_secrets::Sensitive;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the README shows as the smallest spec, for error messages.
const MINIMAL: &str = "A minimal spec is {\"name\": \"Demo\", \"type\": \"user\", \"connection\": {\"kind\": \"demo\", \"seed\": 7, \"users\": 300}}; the README lists every field.";

/// When a new sync's scheduled runs begin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstRun {
    /// After the admin's first run (Preview, then Sync Now): nothing runs by itself before.
    #[default]
    Manual,
    /// One interval after the sync is added.
    AfterInterval,
    /// At once (the demo tenant a new install opens on).
    Now,
}

/// A directory sync to add.
#[derive(Debug, Clone)]
pub struct DirectorySpec {
    /// Display name.
    pub name: String,
    /// `user` or `admin`.
    pub sync_type: SyncType,
    /// A new connection, or the id of an existing one.
    pub connection: ConnectionRef,
    /// Selected groups (user syncs). Defaults depend on the connection kind.
    pub groups: Option<Vec<String>>,
    /// Attribute mapping; defaults depend on the connection kind.
    pub attributes: Option<AttributeMap>,
    /// Admin syncs: group id -> role name.
    pub roles: Option<BTreeMap<String, String>>,
    /// Schedule interval in minutes (default 30).
    pub interval_minutes: Option<u32>,
    /// Start with scheduled syncs paused.
    pub paused: bool,
    /// Safety threshold, percent (default 10).
    pub deletion_threshold_percent: Option<u8>,
    /// When scheduled runs begin (default: after the admin's first run).
    pub first_run: FirstRun,
}

/// The fields of a spec other than its connection, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    name: String,
    #[serde(rename = "type")]
    sync_type: SyncType,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    attributes: Option<AttributeMap>,
    #[serde(default)]
    roles: Option<BTreeMap<String, String>>,
    #[serde(default)]
    interval_minutes: Option<u32>,
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    deletion_threshold_percent: Option<u32>,
    #[serde(default)]
    first_run: FirstRun,
}

/// A connection given inline, or by id.
#[derive(Debug, Clone)]
pub enum ConnectionRef {
    /// An existing connection's id.
    Existing(String),
    /// A new connection.
    New(Box<ConnectionSpec>),
}

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
/// own settings (checked by the connector crate, see `cloud`), plus a display name, `demo` (use the
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
    /// `okta` or `generic`.
    pub flavor: String,
}

/// A spec error at `path` (a field path such as `connection.transport`; empty for the whole spec).
fn invalid(path: &str, what: impl std::fmt::Display) -> ApiError {
    if path.is_empty() {
        ApiError::validation(format!(
            "The directory spec is not valid: {what}. {MINIMAL}"
        ))
    } else {
        ApiError::validation(format!(
            "The directory spec is not valid at \"{path}\": {what}. {MINIMAL}"
        ))
    }
}

/// Deserializes `value`, found at `path`, naming the exact field of any error.
fn typed<T: serde::de::DeserializeOwned>(path: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let at = match (path.is_empty(), inner.as_str()) {
            (_, ".") => path.to_string(),
            (true, p) => p.to_string(),
            (false, p) => format!("{path}.{p}"),
        };
        invalid(&at, e.into_inner())
    })
}

/// Takes a text field out of a connection object.
fn text(o: &mut serde_json::Map<String, Value>, path: &str, field: &str) -> Result<Option<String>> {
    match o.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(&format!("{path}.{field}"), "it must be a string")),
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
                crate::cloud::validate(self.kind(), c)
            }
            ConnectionSpec::Scim(s) => {
                if s.flavor != "okta" && s.flavor != "generic" {
                    return Err(ApiError::validation(
                        "A SCIM integration's \"flavor\" is \"okta\" or \"generic\".",
                    ));
                }
                Ok(())
            }
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
                    crate::cloud::default_name(self.kind(), c)
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

impl DirectorySpec {
    /// Reads the files the spec names (see [`ConnectionSpec::read_files`]).
    pub fn read_files(&mut self) -> Result<()> {
        match &mut self.connection {
            ConnectionRef::New(c) => c.read_files(),
            ConnectionRef::Existing(_) => Ok(()),
        }
    }
}

/// Parses a spec file's text; errors say which field is wrong and what to fix. A UTF-8 byte order mark
/// (Windows editors write one) is accepted.
pub fn parse(text: &str) -> Result<DirectorySpec> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value =
        serde_json::from_str(text).map_err(|e| invalid("", format!("it is not JSON ({e})")))?;
    let Value::Object(mut o) = value else {
        return Err(invalid("", "it must be a JSON object"));
    };
    let connection = o.remove("connection");
    let f: Fields = typed("", Value::Object(o))?;
    let connection = match connection {
        None => return Err(invalid("connection", "it is missing")),
        Some(Value::String(id)) => {
            if id.trim().is_empty() {
                return Err(invalid("connection", "give a connection id (\"conn-…\")"));
            }
            ConnectionRef::Existing(id.trim().to_string())
        }
        Some(v) => ConnectionRef::New(Box::new(parse_connection(v, "connection")?)),
    };
    check_name("directory sync", &f.name).map_err(|e| invalid("name", e.message))?;
    if let Some(a) = &f.attributes {
        a.validate().map_err(ApiError::validation)?;
    }
    let threshold = match f.deletion_threshold_percent {
        Some(t) if t > 100 => {
            return Err(ApiError::validation(
                "\"deletion_threshold_percent\" is a percentage from 0 to 100.",
            ))
        }
        Some(t) => Some(t as u8),
        None => None,
    };
    if let Some(i) = f.interval_minutes {
        if !(5..=1440).contains(&i) {
            return Err(ApiError::validation(
                "\"interval_minutes\" must be between 5 and 1440 (24 hours).",
            ));
        }
    }
    if let ConnectionRef::New(c) = &connection {
        c.validate()?;
        // Cloud connections open a browser to sign in: everything the sync needs is checked first.
        if c.is_cloud() && !cloud_demo(c) {
            match f.sync_type {
                SyncType::User if f.groups.is_none() => {
                    return Err(ApiError::validation(
                        "Give the groups to sync (\"groups\": [\"All Staff\", …], by name or id) before signing in.",
                    ))
                }
                SyncType::Admin if f.roles.is_none() => {
                    return Err(ApiError::validation(
                        "Map groups to administrator roles (\"roles\": {\"IT Admins\": \"Administrator\"}) before signing in.",
                    ))
                }
                _ => {}
            }
        }
    }
    if f.sync_type == SyncType::User && f.roles.is_some() {
        return Err(ApiError::validation(
            "\"roles\" is for admin syncs (\"type\": \"admin\"); user syncs select \"groups\".",
        ));
    }
    if let Some(g) = &f.groups {
        if g.is_empty() {
            return Err(ApiError::validation(
                "Select at least one group to sync (\"groups\").",
            ));
        }
    }
    if let Some(r) = &f.roles {
        parse_roles(r)?;
    }
    Ok(DirectorySpec {
        name: f.name.trim().to_string(),
        sync_type: f.sync_type,
        connection,
        groups: f.groups,
        attributes: f.attributes,
        roles: f.roles,
        interval_minutes: f.interval_minutes,
        paused: f.paused,
        deletion_threshold_percent: threshold,
        first_run: f.first_run,
    })
}

fn cloud_demo(c: &ConnectionSpec) -> bool {
    match c {
        ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => c.demo,
        _ => false,
    }
}

/// Parses the role mapping of an admin sync. Owner is refused: Owners are never synced.
pub fn parse_roles(roles: &BTreeMap<String, String>) -> Result<Vec<RoleMapping>> {
    let mut out = Vec::new();
    for (group, role) in roles {
        let r = AdminRole::parse(role).ok_or_else(|| {
            let names: Vec<&str> = AdminRole::ALL.iter().skip(1).map(|r| r.as_str()).collect();
            ApiError::validation(format!(
                "\"{role}\" is not an administrator role. Use one of: {}.",
                names.join(", ")
            ))
        })?;
        if r == AdminRole::Owner {
            return Err(ApiError::validation(format!(
                "The group \"{group}\" is mapped to Owner, but Owners are never synced. Map it to Administrator or a lesser role, and manage Owners by hand."
            )));
        }
        out.push(RoleMapping {
            group: group.clone(),
            role: r,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
