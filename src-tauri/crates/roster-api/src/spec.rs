//! Directory spec files (`rosterctl directory add --spec FILE.json`, and the desktop app's "Add" forms)
//! and the typed connection settings they carry. Secrets in a spec go to the keychain, never further.

use crate::error::{ApiError, Result};
use roster_connector_ldap as ldap;
use roster_core::{AdminRole, AttributeMap, RoleMapping, SyncType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A directory sync to add.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySpec {
    /// Display name.
    pub name: String,
    /// `user` or `admin`.
    #[serde(rename = "type")]
    pub sync_type: SyncType,
    /// A new connection, or the id of an existing one.
    pub connection: ConnectionRef,
    /// Selected groups (user syncs). Defaults depend on the connection kind.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Attribute mapping; defaults depend on the connection kind.
    #[serde(default)]
    pub attributes: Option<AttributeMap>,
    /// Admin syncs: group id -> role name.
    #[serde(default)]
    pub roles: Option<BTreeMap<String, String>>,
    /// Schedule interval in minutes (default 30).
    #[serde(default)]
    pub interval_minutes: Option<u32>,
    /// Start with scheduled syncs paused.
    #[serde(default)]
    pub paused: bool,
    /// Safety threshold, percent (default 10).
    #[serde(default)]
    pub deletion_threshold_percent: Option<u8>,
}

/// A connection given inline, or by id.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ConnectionRef {
    /// An existing connection's id.
    Existing(String),
    /// A new connection.
    New(Box<ConnectionSpec>),
}

/// A new connection, as written in a spec file. `kind` selects the variant.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectionSpec {
    /// The built-in offline demo directory.
    Demo {
        /// Display name.
        #[serde(default)]
        name: Option<String>,
        /// Generator seed.
        #[serde(default = "default_seed")]
        seed: u64,
        /// Number of people.
        #[serde(default = "default_users")]
        users: usize,
    },
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

fn default_seed() -> u64 {
    7
}
fn default_users() -> usize {
    300
}

/// LDAP connection settings (Active Directory and OpenLDAP): the connector's [`ldap::Settings`] plus
/// what a spec file adds: a display name, the CA certificate as a file path (read when the connection is
/// saved), and the bind password (moved to the keychain, never stored in the database).
#[derive(Debug, Clone)]
pub struct LdapSpec {
    /// Display name.
    pub name: Option<String>,
    /// The connector settings.
    pub settings: ldap::Settings,
    /// Bind password.
    pub bind_password: Option<String>,
}

impl<'de> Deserialize<'de> for LdapSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let mut v = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let text = |v: Option<serde_json::Value>,
                    what: &str|
         -> std::result::Result<Option<String>, D::Error> {
            match v {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(D::Error::custom(format!("\"{what}\" must be a string"))),
            }
        };
        let name = text(v.remove("name"), "name")?;
        let bind_password = text(v.remove("bind_password"), "bind_password")?;
        if let Some(file) = text(v.remove("ca_cert_file"), "ca_cert_file")? {
            let pem = std::fs::read_to_string(&file).map_err(|e| {
                D::Error::custom(format!(
                    "the CA certificate file {file} cannot be read ({e})"
                ))
            })?;
            v.insert("ca_pem".into(), serde_json::Value::String(pem));
        }
        let settings =
            ldap::Settings::deserialize(serde_json::Value::Object(v)).map_err(D::Error::custom)?;
        Ok(LdapSpec {
            name,
            settings,
            bind_password,
        })
    }
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
    pub client_secret: Option<String>,
    /// The connector's settings (tenant, client id, endpoints…).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for CloudSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let mut v = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let text = |v: Option<serde_json::Value>,
                    what: &str|
         -> std::result::Result<Option<String>, D::Error> {
            match v {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(D::Error::custom(format!("\"{what}\" must be a string"))),
            }
        };
        let name = text(v.remove("name"), "name")?;
        let client_secret = text(v.remove("client_secret"), "client_secret")?;
        let demo = match v.remove("demo") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => b,
            Some(_) => return Err(D::Error::custom("\"demo\" must be true or false")),
        };
        Ok(CloudSpec {
            name,
            demo,
            client_secret,
            settings: v,
        })
    }
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

impl ConnectionSpec {
    /// The stored kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectionSpec::Demo { .. } => "demo",
            ConnectionSpec::ActiveDirectory(_) => "active_directory",
            ConnectionSpec::Openldap(_) => "openldap",
            ConnectionSpec::Entra(_) => "entra",
            ConnectionSpec::Google(_) => "google",
            ConnectionSpec::Okta(_) => "okta",
            ConnectionSpec::Scim(_) => "scim",
        }
    }

    /// Checks the settings; the error says what to fix.
    pub fn validate(&self) -> Result<()> {
        match self {
            ConnectionSpec::Demo { users, .. } => {
                if *users == 0 || *users > 1_000_000 {
                    return Err(ApiError::validation(format!(
                        "The demo directory can have 1 to 1,000,000 people; {users} was asked for."
                    )));
                }
                Ok(())
            }
            ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) => {
                l.settings.validate().map_err(ApiError::validation)?;
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
        let given = match self {
            ConnectionSpec::Demo { name, .. } => name.clone(),
            ConnectionSpec::ActiveDirectory(l) | ConnectionSpec::Openldap(l) => l.name.clone(),
            ConnectionSpec::Entra(c) | ConnectionSpec::Google(c) | ConnectionSpec::Okta(c) => {
                c.name.clone()
            }
            ConnectionSpec::Scim(s) => s.name.clone(),
        };
        given.unwrap_or_else(|| match self {
            ConnectionSpec::Demo { .. } => "Northwind Traders (demo)".into(),
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
    pub fn split_secrets(&self) -> Result<(serde_json::Value, Vec<(&'static str, String)>)> {
        match self {
            ConnectionSpec::Demo { seed, users, .. } => Ok((
                serde_json::json!({"seed": seed, "users": users}),
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
                    config.insert("demo".into(), serde_json::Value::Bool(true));
                }
                let secrets = c
                    .client_secret
                    .iter()
                    .map(|s| ("client_secret", s.clone()))
                    .collect();
                Ok((serde_json::Value::Object(config), secrets))
            }
            ConnectionSpec::Scim(s) => Ok((to_json(s)?, Vec::new())),
        }
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ApiError::validation(e.to_string()))
}

/// Parses a spec file's text; errors say where and what to fix.
pub fn parse(text: &str) -> Result<DirectorySpec> {
    let spec: DirectorySpec = serde_json::from_str(text).map_err(|e| {
        ApiError::validation(format!(
            "The directory spec is not valid: {e}. A minimal spec is {{\"name\": \"Demo\", \"type\": \"user\", \"connection\": {{\"kind\": \"demo\", \"seed\": 7, \"users\": 300}}}}; the README lists every field."
        ))
    })?;
    if spec.name.trim().is_empty() {
        return Err(ApiError::validation(
            "Give the directory sync a name (\"name\").",
        ));
    }
    if let Some(a) = &spec.attributes {
        a.validate().map_err(ApiError::validation)?;
    }
    if let Some(t) = spec.deletion_threshold_percent {
        if t > 100 {
            return Err(ApiError::validation(
                "\"deletion_threshold_percent\" is a percentage from 0 to 100.",
            ));
        }
    }
    if let Some(i) = spec.interval_minutes {
        if !(5..=1440).contains(&i) {
            return Err(ApiError::validation(
                "\"interval_minutes\" must be between 5 and 1440 (24 hours).",
            ));
        }
    }
    if let ConnectionRef::New(c) = &spec.connection {
        c.validate()?;
    }
    if spec.sync_type == SyncType::User && spec.roles.is_some() {
        return Err(ApiError::validation(
            "\"roles\" is for admin syncs (\"type\": \"admin\"); user syncs select \"groups\".",
        ));
    }
    Ok(spec)
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
mod tests {
    use super::*;

    #[test]
    fn the_minimal_demo_spec_parses() {
        let s = parse(r#"{"name": "Demo", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}"#).unwrap();
        assert!(matches!(s.connection, ConnectionRef::New(ref c) if c.kind() == "demo"));
    }

    #[test]
    fn malformed_specs_say_what_to_fix() {
        let e = parse(r#"{"name": "Demo", "type": "user", "conection": {}}"#).unwrap_err();
        assert!(
            e.message.contains("conection") && e.message.contains("README"),
            "unknown fields are named: {}",
            e.message
        );
        let e =
            parse(r#"{"name": "D", "type": "user", "connection": {"kind": "demo", "users": 0}}"#)
                .unwrap_err();
        assert!(e.message.contains("1 to 1,000,000"), "{}", e.message);
        let e = parse("not json").unwrap_err();
        assert_eq!(e.code, crate::error::Code::Validation);
    }

    #[test]
    fn ldap_password_over_clear_transport_is_refused_unless_allowed() {
        let spec = |allow: bool| {
            format!(
                r#"{{"name":"L","type":"user","connection":{{"kind":"openldap","servers":["ldap://127.0.0.1:3389"],"transport":"clear","bind_dn":"cn=admin","bind_password":"pw","base_dn":"dc=x","allow_clear_password":{allow}}}}}"#
            )
        };
        assert!(
            parse(&spec(false))
                .unwrap_err()
                .message
                .contains("starttls"),
            "a clear-text password bind needs an explicit opt-in"
        );
        let ok = parse(&spec(true)).unwrap();
        let ConnectionRef::New(c) = ok.connection else {
            panic!("inline connection expected")
        };
        let (config, secrets) = c.split_secrets().unwrap();
        assert!(
            !config.to_string().contains("pw\""),
            "the stored settings never hold the password: {config}"
        );
        assert_eq!(
            secrets,
            vec![("bind_password", "pw".to_string())],
            "the password goes to the keychain"
        );
    }

    #[test]
    fn owners_cannot_be_mapped() {
        let mut m = BTreeMap::new();
        m.insert("cn=owners".to_string(), "Owner".to_string());
        assert!(parse_roles(&m)
            .unwrap_err()
            .message
            .contains("never synced"));
        m.insert("cn=owners".to_string(), "administrator".to_string());
        assert!(
            parse_roles(&m)
                .unwrap_err()
                .message
                .contains("not an administrator role"),
            "role names are case-sensitive, as in Duo"
        );
    }
}
