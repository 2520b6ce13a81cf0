//! The connection settings of an LDAP directory (never the bind password: that lives in the keychain).

use serde::{Deserialize, Serialize};

/// Which kind of directory: decides the defaults for object classes, ids and disabled detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    /// Microsoft Active Directory (or AD LDS, or Samba AD).
    ActiveDirectory,
    /// OpenLDAP (or another RFC 4519 directory).
    Openldap,
}

/// Transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// No encryption. A password bind needs `allow_clear_password`.
    Clear,
    /// STARTTLS on the LDAP port (389).
    Starttls,
    /// LDAP over TLS (636).
    Ldaps,
}

/// How Roster signs in to the directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BindMethod {
    /// A bind DN (or `DOMAIN\\user`, or UPN) and password from the keychain.
    #[default]
    Simple,
    /// Integrated sign-in: the platform's Kerberos (GSSAPI on Linux and macOS, SSPI on Windows) with the
    /// signed-in user's (or service's) ticket. No password is stored.
    Kerberos,
}

/// How an OpenLDAP directory says an account is disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisabledWhen {
    /// The attribute to look at (e.g. `employeeType`).
    pub attribute: String,
    /// The value that means disabled (compared case-insensitively). Absent: any value means disabled.
    #[serde(default)]
    pub value: Option<String>,
}

/// Settings of one LDAP connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Servers in failover order: `ldap://host:port` or `ldaps://host:port` (port optional: 389 or 636).
    pub servers: Vec<String>,
    /// Transport.
    pub transport: Transport,
    /// Trusted CA certificates, PEM text (the file given in a spec is read when the connection is saved).
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// Check that the server's certificate names the host we connected to.
    #[serde(default = "yes")]
    pub verify_hostname: bool,
    /// Seconds to wait for a connection.
    #[serde(default = "sixty")]
    pub connect_timeout_secs: u64,
    /// Seconds to wait for each search operation.
    #[serde(default = "sixty")]
    pub search_timeout_secs: u64,
    /// Bind DN (AD also accepts `DOMAIN\user` and the UPN). Absent: anonymous (or Kerberos).
    #[serde(default)]
    pub bind_dn: Option<String>,
    /// Simple bind with a password, or integrated Kerberos sign-in.
    #[serde(default)]
    pub bind_method: BindMethod,
    /// Kerberos: the directory server's host name in its service principal (`ldap/<host>`), when it is
    /// not the host of the server address (e.g. the address is an IP).
    #[serde(default)]
    pub kerberos_host: Option<String>,
    /// Base DN to search.
    pub base_dn: String,
    /// Allow a password bind over a clear transport.
    #[serde(default)]
    pub allow_clear_password: bool,
    /// User object class (OpenLDAP; default `inetOrgPerson`).
    #[serde(default)]
    pub user_object_class: Option<String>,
    /// Group object class (OpenLDAP; default any of groupOfNames, groupOfUniqueNames, posixGroup).
    #[serde(default)]
    pub group_object_class: Option<String>,
    /// Group member attribute (OpenLDAP: `member`, `uniqueMember` or `memberUid`; default `member`).
    #[serde(default)]
    pub member_attribute: Option<String>,
    /// OpenLDAP: an attribute and value that mark an account disabled (besides `pwdAccountLockedTime`).
    #[serde(default)]
    pub disabled_when: Option<DisabledWhen>,
    /// Entries per page (RFC 2696); default 1000, under AD's MaxPageSize and slapd's default size limit.
    #[serde(default = "page")]
    pub page_size: i32,
    /// Ask for group members in ranges of this many values (`member;range=0-N`). Active Directory ranges
    /// large groups by itself (1,500 values); this forces it, for servers that need smaller ranges.
    #[serde(default)]
    pub member_range: Option<u32>,
}

fn yes() -> bool {
    true
}
fn sixty() -> u64 {
    60
}
fn page() -> i32 {
    1000
}

impl Settings {
    /// Checks the settings; the error says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.servers.is_empty() {
            return Err(
                "Give at least one LDAP server, for example \"ldaps://dc1.example.org:636\"."
                    .into(),
            );
        }
        for s in &self.servers {
            if !(s.starts_with("ldap://") || s.starts_with("ldaps://")) {
                return Err(format!(
                    "The server \"{s}\" must start with ldap:// or ldaps://."
                ));
            }
            if s.starts_with("ldaps://") && self.transport != Transport::Ldaps {
                return Err(format!("The server \"{s}\" is an ldaps:// address, but the transport is not \"ldaps\". Make them agree."));
            }
        }
        if self.base_dn.trim().is_empty() {
            return Err("Give the base DN to search, for example \"dc=example,dc=org\".".into());
        }
        if !(1..=5000).contains(&self.page_size) {
            return Err("The page size must be between 1 and 5000 (1000 suits Active Directory and OpenLDAP).".into());
        }
        if self.member_range == Some(0) {
            return Err("The member range must be at least 1 value.".into());
        }
        if let Some(m) = &self.member_attribute {
            let ok =
                ["member", "uniquemember", "memberuid"].contains(&m.to_ascii_lowercase().as_str());
            if !ok {
                return Err(format!("The member attribute \"{m}\" is not supported. Use member, uniqueMember or memberUid."));
            }
        }
        Ok(())
    }

    /// The URL to connect to for `server`, with the transport's scheme and default port.
    pub fn url(&self, server: &str) -> String {
        let rest = server
            .trim_start_matches("ldaps://")
            .trim_start_matches("ldap://")
            .trim_end_matches('/');
        let (scheme, port) = match self.transport {
            Transport::Ldaps => ("ldaps", 636),
            Transport::Clear | Transport::Starttls => ("ldap", 389),
        };
        if rest.contains(':') && !rest.ends_with(']') {
            format!("{scheme}://{rest}")
        } else {
            format!("{scheme}://{rest}:{port}")
        }
    }
}
