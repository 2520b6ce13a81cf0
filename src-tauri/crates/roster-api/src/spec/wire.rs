//! The shape of a spec as a front door writes it, for the window's generated types: what
//! [`crate::spec::parse`] and [`crate::spec::parse_connection`] accept, field by field. The parser reads
//! specs itself (so every error names its field); the tests below keep these types and the parser in step
//! by parsing a value of every type with every field set.

use crate::kinds::ConnectionKind;
use roster_core::{AttributeMap, SyncType};
use serde::Serialize;
use std::collections::BTreeMap;
use ts_rs::TS;

/// A directory sync to add (`directory_add`, `rosterctl directory add --spec`).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(optional_fields)]
pub struct DirectorySpec {
    /// Display name.
    pub name: String,
    /// What it imports.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub sync_type: SyncType,
    /// A new connection, or a saved connection's id.
    pub connection: ConnectionSpec,
    /// User syncs: the selected groups (names or ids).
    pub groups: Option<Vec<String>>,
    /// Admin syncs: group (name or id) → the Duo role its members get. Only Duo's built-in roles: a custom
    /// role is given to an operator by hand, never by an admin sync (as in Duo); Owner is refused.
    pub roles: Option<BTreeMap<String, roster_core::AdminRole>>,
    /// The attribute mapping; defaults depend on the kind.
    pub attributes: Option<AttributeMap>,
    /// Minutes between scheduled runs (5 to 1440; default 30).
    pub interval_minutes: Option<u32>,
    /// Start with scheduled runs paused.
    pub paused: Option<bool>,
    /// The safety threshold, percent (default 10).
    pub deletion_threshold_percent: Option<u32>,
    /// When scheduled runs begin (default: after the admin's first run).
    pub first_run: Option<crate::spec::FirstRun>,
}

/// The connection of a spec: new settings, or a saved connection's id.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(untagged)]
pub enum ConnectionSpec {
    /// A saved connection's id (`conn-…`).
    Saved(String),
    /// The built-in demo directory.
    Demo(DemoConnectionSpec),
    /// An LDAP server.
    Ldap(Box<LdapConnectionSpec>),
    /// A cloud directory, signed in to through the browser.
    Cloud(CloudConnectionSpec),
}

/// The built-in demo directory's settings.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(optional_fields)]
pub struct DemoConnectionSpec {
    /// A kind reached in this process (the registry's `builtin` access).
    pub kind: ConnectionKind,
    /// Display name.
    pub name: Option<String>,
    /// The generator's seed (default 7).
    #[ts(as = "Option<u32>")]
    pub seed: Option<u64>,
    /// How many people (1 to 1,000,000; default 300).
    pub users: Option<u32>,
}

/// An LDAP connection's settings (Active Directory, OpenLDAP); also what the `_draft` commands take.
/// `bind_password` goes to the secret store and is never kept in Roster's database.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(optional_fields)]
pub struct LdapConnectionSpec {
    /// A kind reached over LDAP (the registry's `ldap` access).
    pub kind: ConnectionKind,
    /// Display name; defaults to the first server.
    pub name: Option<String>,
    /// Servers in failover order: `ldaps://host:636` or `ldap://host:389`.
    pub servers: Vec<String>,
    /// Transport security.
    pub transport: roster_connector_ldap::Transport,
    /// Trusted CA certificates, PEM text. Absent: the system's trusted CAs.
    pub ca_pem: Option<String>,
    /// A file with the CA certificates (read only by front doors on the admin's own machine).
    pub ca_cert_file: Option<String>,
    /// Check that the certificate names the host (default true).
    pub verify_hostname: Option<bool>,
    /// Seconds to wait for a connection (default 60).
    #[ts(as = "Option<u32>")]
    pub connect_timeout_secs: Option<u64>,
    /// Seconds to wait for each search (default 60).
    #[ts(as = "Option<u32>")]
    pub search_timeout_secs: Option<u64>,
    /// Bind DN (AD also accepts `DOMAIN\user` and the UPN). Absent: anonymous (or Kerberos).
    pub bind_dn: Option<String>,
    /// The bind password.
    pub bind_password: Option<String>,
    /// Simple bind (default) or integrated Kerberos sign-in.
    pub bind_method: Option<roster_connector_ldap::BindMethod>,
    /// Kerberos: the host name in the server's service principal `ldap/<host>`.
    pub kerberos_host: Option<String>,
    /// Base DN to search.
    pub base_dn: String,
    /// Allow a password bind over a clear transport.
    pub allow_clear_password: Option<bool>,
    /// OpenLDAP: the user object class (default inetOrgPerson).
    pub user_object_class: Option<String>,
    /// OpenLDAP: the group object class.
    pub group_object_class: Option<String>,
    /// OpenLDAP: `member`, `uniqueMember` or `memberUid` (default `member`).
    pub member_attribute: Option<String>,
    /// OpenLDAP: an attribute (and value; absent = any value) that marks an account disabled.
    pub disabled_when: Option<DisabledWhen>,
    /// Entries per page (1 to 5000; default 1000).
    pub page_size: Option<i32>,
    /// Read group members in ranges of this many values.
    pub member_range: Option<u32>,
}

/// How an OpenLDAP directory marks an account disabled.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(optional_fields)]
pub struct DisabledWhen {
    /// The attribute (e.g. `employeeType`).
    pub attribute: String,
    /// The value meaning disabled; absent: any value.
    pub value: Option<String>,
}

/// A cloud connection's settings (`connection_authorize`): the vendor's own settings, named by the
/// registry's `setup.settings` and `setup.endpoints` keys and checked by its connector, plus a display
/// name, `demo` (the vendor's built-in offline emulator; nothing else is needed) and a client secret for
/// vendors that keep one (it goes to the secret store).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(optional_fields)]
pub struct CloudConnectionSpec {
    /// A kind that signs in through the browser (the registry's `cloud` access).
    pub kind: ConnectionKind,
    /// Display name; defaults to the tenant, domain or org.
    pub name: Option<String>,
    /// Use the vendor's built-in offline emulator.
    pub demo: Option<bool>,
    /// The client secret, for vendors that need one.
    pub client_secret: Option<String>,
    /// The vendor's settings, by the registry's keys.
    #[serde(flatten)]
    #[ts(flatten)]
    pub settings: BTreeMap<String, SettingValue>,
}

/// A cloud setting's value: text, or a flag.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(untagged)]
pub enum SettingValue {
    /// Text (ids, addresses, a choice's value).
    Text(String),
    /// A flag.
    Flag(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(spec: &DirectorySpec) {
        let text = serde_json::to_string(spec).unwrap();
        crate::spec::parse(&text).unwrap_or_else(|e| {
            panic!(
                "the wire types describe what the parser accepts: {text}: {}",
                e.message
            )
        });
    }

    fn sync(connection: ConnectionSpec) -> DirectorySpec {
        DirectorySpec {
            name: "Wire".into(),
            sync_type: SyncType::User,
            connection,
            groups: Some(vec!["g".into()]),
            roles: None,
            attributes: Some(AttributeMap::ldap_default()),
            interval_minutes: Some(30),
            paused: Some(false),
            deletion_threshold_percent: Some(10),
            first_run: Some(crate::spec::FirstRun::Manual),
        }
    }

    #[test]
    fn every_field_of_the_wire_types_is_one_the_parser_reads() {
        parses(&sync(ConnectionSpec::Saved("conn-1".into())));
        parses(&sync(ConnectionSpec::Demo(DemoConnectionSpec {
            kind: ConnectionKind::Demo,
            name: Some("Demo".into()),
            seed: Some(7),
            users: Some(10),
        })));
        parses(&sync(ConnectionSpec::Ldap(Box::new(LdapConnectionSpec {
            kind: ConnectionKind::Openldap,
            name: Some("LDAP".into()),
            servers: vec!["ldap://127.0.0.1:1".into()],
            transport: roster_connector_ldap::Transport::Starttls,
            ca_pem: None,
            ca_cert_file: Some("/nonexistent/ca.pem".into()),
            verify_hostname: Some(true),
            connect_timeout_secs: Some(5),
            search_timeout_secs: Some(5),
            bind_dn: Some("cn=admin,dc=example,dc=org".into()),
            bind_password: Some("pw".into()),
            bind_method: Some(roster_connector_ldap::BindMethod::Simple),
            kerberos_host: Some("ldap.example.org".into()),
            base_dn: "dc=example,dc=org".into(),
            allow_clear_password: Some(false),
            user_object_class: Some("inetOrgPerson".into()),
            group_object_class: Some("groupOfNames".into()),
            member_attribute: Some("member".into()),
            disabled_when: Some(DisabledWhen {
                attribute: "employeeType".into(),
                value: Some("disabled".into()),
            }),
            page_size: Some(500),
            member_range: Some(1500),
        }))));
        for kind in [
            ConnectionKind::Entra,
            ConnectionKind::Google,
            ConnectionKind::Okta,
        ] {
            parses(&sync(ConnectionSpec::Cloud(CloudConnectionSpec {
                kind,
                name: Some("Cloud".into()),
                demo: Some(true),
                client_secret: None,
                settings: BTreeMap::new(),
            })));
        }
    }

    /// A value of the right shape for a setting: its example, its first choice, or no.
    fn example(s: &crate::kinds::Setting) -> SettingValue {
        use crate::kinds::Input;
        match s.input {
            Input::Text | Input::Secret | Input::Url => {
                SettingValue::Text(s.placeholder.to_string())
            }
            Input::Choice { options } => {
                SettingValue::Text(options.first().map(|c| c.value).unwrap_or("").to_string())
            }
            Input::Flag => SettingValue::Flag(false),
        }
    }

    #[test]
    fn the_registry_names_each_cloud_setting_the_connector_reads() {
        for kind in ConnectionKind::ALL {
            let Some(setup) = kind.info().setup else {
                continue;
            };
            let settings: BTreeMap<String, SettingValue> = setup
                .settings
                .iter()
                .chain(setup.endpoints)
                .filter(|s| s.key != crate::kinds::CLIENT_SECRET)
                .map(|s| (s.key.to_string(), example(s)))
                .collect();
            let spec = CloudConnectionSpec {
                kind,
                name: Some("Cloud".into()),
                demo: None,
                client_secret: setup
                    .settings
                    .iter()
                    .find(|s| s.key == crate::kinds::CLIENT_SECRET)
                    .map(|s| s.placeholder.to_string()),
                settings,
            };
            let value = serde_json::to_value(&spec).unwrap();
            let parsed = crate::spec::parse_connection(value.clone(), "connection")
                .unwrap_or_else(|e| panic!("{kind:?}: {value}: {}", e.message));
            parsed.validate().unwrap_or_else(|e| {
                panic!(
                    "{kind:?}: the registry's examples are settings the connector accepts: {value}: {}",
                    e.message
                )
            });
        }
    }
}
