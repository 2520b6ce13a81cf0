//! Every kind of connection Roster knows, in one registry: what it is called, how it is reached, which
//! secrets it keeps, which syncs it supports, and its defaults. Nothing else in Roster names a kind's string:
//! the application layer, `rosterctl` and the window read this table (the window through
//! `connection_kinds`).
//!
//! How to add a kind: add a variant to [`ConnectionKind`] (and to `ALL`), give it a [`KindInfo`] in
//! [`ConnectionKind::info`], say how its connector is built in `connections::Session::connector` (one match
//! arm on [`Access`]), and how a spec writes its settings in `spec::parse_connection`. Its connector lives in
//! a crate of its own.

use roster_core::AttributeMap;
use serde::{Deserialize, Serialize};

mod setup;
pub use setup::{Choice, CloudSetup, Guide, Input, LdapSetup, Setting};

/// A kind of connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The built-in offline demo directory.
    Demo,
    /// Active Directory, over LDAP.
    ActiveDirectory,
    /// OpenLDAP.
    Openldap,
    /// Microsoft Entra ID (Microsoft Graph).
    Entra,
    /// Google Workspace (the Admin SDK Directory API).
    Google,
    /// Okta (the Management API).
    Okta,
    /// An inbound SCIM integration (Okta or any SCIM 2.0 client pushes to Roster).
    Scim,
}

/// A cloud directory's vendor: its connections sign in through the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// Microsoft.
    Entra,
    /// Google.
    Google,
    /// Okta.
    Okta,
}

/// How Roster reaches a kind's directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Generated in this process.
    Builtin,
    /// An LDAP server.
    Ldap(roster_connector_ldap::Flavor),
    /// A vendor's API, after signing in through the browser (OAuth).
    Cloud(Vendor),
    /// The directory pushes to Roster.
    Inbound,
}

/// What Roster knows about a kind.
#[derive(Debug)]
pub struct KindInfo {
    /// The kind.
    pub kind: ConnectionKind,
    /// Its name in sentences ("Microsoft Entra ID").
    pub name: &'static str,
    /// Its short name in lists ("Entra ID").
    pub short_name: &'static str,
    /// How it is reached.
    pub access: Access,
    /// The secrets its connections keep in the secret store.
    pub secrets: &'static [ConnectionSecret],
    /// Whether it has user syncs.
    pub user_syncs: bool,
    /// Whether it has admin syncs (Okta and SCIM import users and groups only, as Duo's do).
    pub admin_syncs: bool,
    /// Whether this version of Roster can add it.
    pub available: bool,
    /// Cloud kinds: how the window sets up a connection.
    pub setup: Option<&'static CloudSetup>,
    /// LDAP kinds: how the window sets up a connection.
    pub ldap_setup: Option<&'static LdapSetup>,
    default_attributes: fn() -> AttributeMap,
    is_group_id: fn(&str) -> bool,
}

/// A secret a connection keeps in the secret store. On the wire, and in the secret store's key, it is its
/// snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionSecret {
    /// An LDAP connection's bind password.
    BindPassword,
    /// A cloud connection's tokens, from signing in.
    OauthTokens,
    /// A cloud connection's client secret (Google's, which the admin types).
    ClientSecret,
}

impl ConnectionSecret {
    /// Its name in the secret store's keys and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConnectionSecret::BindPassword => "bind_password",
            ConnectionSecret::OauthTokens => "oauth_tokens",
            ConnectionSecret::ClientSecret => "client_secret",
        }
    }
}

/// The secret a connection's bind password is kept under.
pub const BIND_PASSWORD: &str = ConnectionSecret::BindPassword.as_str();
/// The secret a cloud connection's tokens are kept under.
pub const TOKENS: &str = ConnectionSecret::OauthTokens.as_str();
/// The secret Google's client secret is kept under.
pub const CLIENT_SECRET: &str = ConnectionSecret::ClientSecret.as_str();

fn no_id(_: &str) -> bool {
    false
}

const KINDS: [KindInfo; 7] = [
    KindInfo {
        kind: ConnectionKind::Demo,
        name: "the demo directory",
        short_name: "Demo",
        access: Access::Builtin,
        secrets: &[],
        user_syncs: true,
        admin_syncs: true,
        available: true,
        setup: None,
        ldap_setup: None,
        default_attributes: AttributeMap::ldap_default,
        is_group_id: no_id,
    },
    KindInfo {
        kind: ConnectionKind::ActiveDirectory,
        name: "Active Directory",
        short_name: "Active Directory",
        access: Access::Ldap(roster_connector_ldap::Flavor::ActiveDirectory),
        secrets: &[ConnectionSecret::BindPassword],
        user_syncs: true,
        admin_syncs: true,
        available: true,
        setup: None,
        ldap_setup: Some(&setup::ACTIVE_DIRECTORY),
        default_attributes: AttributeMap::active_directory_default,
        is_group_id: no_id,
    },
    KindInfo {
        kind: ConnectionKind::Openldap,
        name: "OpenLDAP",
        short_name: "OpenLDAP",
        access: Access::Ldap(roster_connector_ldap::Flavor::Openldap),
        secrets: &[ConnectionSecret::BindPassword],
        user_syncs: true,
        admin_syncs: true,
        available: true,
        setup: None,
        ldap_setup: Some(&setup::OPENLDAP),
        default_attributes: AttributeMap::ldap_default,
        is_group_id: no_id,
    },
    KindInfo {
        kind: ConnectionKind::Entra,
        name: "Microsoft Entra ID",
        short_name: "Entra ID",
        access: Access::Cloud(Vendor::Entra),
        secrets: &[ConnectionSecret::OauthTokens],
        user_syncs: true,
        admin_syncs: true,
        available: true,
        setup: Some(&setup::ENTRA),
        ldap_setup: None,
        default_attributes: roster_connector_entra::default_attributes,
        is_group_id: roster_connector_entra::is_group_id,
    },
    KindInfo {
        kind: ConnectionKind::Google,
        name: "Google Workspace",
        short_name: "Google Workspace",
        access: Access::Cloud(Vendor::Google),
        secrets: &[
            ConnectionSecret::OauthTokens,
            ConnectionSecret::ClientSecret,
        ],
        user_syncs: true,
        admin_syncs: true,
        available: true,
        setup: Some(&setup::GOOGLE),
        ldap_setup: None,
        default_attributes: roster_connector_google::default_attributes,
        is_group_id: roster_connector_google::is_group_id,
    },
    KindInfo {
        kind: ConnectionKind::Okta,
        name: "Okta",
        short_name: "Okta",
        access: Access::Cloud(Vendor::Okta),
        secrets: &[ConnectionSecret::OauthTokens],
        user_syncs: true,
        admin_syncs: false,
        available: true,
        setup: Some(&setup::OKTA),
        ldap_setup: None,
        default_attributes: roster_connector_okta::default_attributes,
        is_group_id: roster_connector_okta::is_group_id,
    },
    KindInfo {
        kind: ConnectionKind::Scim,
        name: "a SCIM integration",
        short_name: "SCIM",
        access: Access::Inbound,
        secrets: &[],
        user_syncs: true,
        admin_syncs: false,
        available: true,
        setup: None,
        ldap_setup: None,
        default_attributes: roster_scim::default_attributes,
        is_group_id: no_id,
    },
];

impl ConnectionKind {
    /// Every kind, in the order the window offers them.
    pub const ALL: [ConnectionKind; 7] = [
        ConnectionKind::Demo,
        ConnectionKind::ActiveDirectory,
        ConnectionKind::Openldap,
        ConnectionKind::Entra,
        ConnectionKind::Google,
        ConnectionKind::Okta,
        ConnectionKind::Scim,
    ];

    /// What Roster knows about it.
    pub fn info(self) -> &'static KindInfo {
        // KINDS is in the order of the enum; the test below keeps it so.
        &KINDS[self as usize]
    }

    /// The stored and written name (`active_directory`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Demo => "demo",
            ConnectionKind::ActiveDirectory => "active_directory",
            ConnectionKind::Openldap => "openldap",
            ConnectionKind::Entra => "entra",
            ConnectionKind::Google => "google",
            ConnectionKind::Okta => "okta",
            ConnectionKind::Scim => "scim",
        }
    }

    /// The kind a stored or written name stands for.
    pub fn parse(s: &str) -> Option<ConnectionKind> {
        ConnectionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The vendor, for kinds that sign in through the browser.
    pub fn vendor(self) -> Option<Vendor> {
        match self.info().access {
            Access::Cloud(v) => Some(v),
            Access::Builtin | Access::Ldap(_) | Access::Inbound => None,
        }
    }

    /// The name of a cloud kind's offline demo ("Okta (demo)").
    pub fn demo_name(self) -> String {
        format!("{} (demo)", self.info().short_name)
    }

    /// The attribute mapping a new sync of this kind starts with.
    pub fn default_attributes(self) -> AttributeMap {
        (self.info().default_attributes)()
    }

    /// Whether `value` has the shape of this vendor's group ids (a value that names no group may still
    /// be one, given by id).
    pub fn is_group_id(self, value: &str) -> bool {
        (self.info().is_group_id)(value)
    }

    /// The kinds' names, for messages ("use one of: demo, active_directory, …").
    pub fn names() -> String {
        ConnectionKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Vendor {
    /// Its kind.
    pub fn kind(self) -> ConnectionKind {
        match self {
            Vendor::Entra => ConnectionKind::Entra,
            Vendor::Google => ConnectionKind::Google,
            Vendor::Okta => ConnectionKind::Okta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_in_the_order_of_the_kinds_and_round_trips() {
        for k in ConnectionKind::ALL {
            assert_eq!(k.info().kind, k, "KINDS follows the enum's order");
            assert_eq!(ConnectionKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into()),
                "the wire name is the stored name"
            );
        }
        assert_eq!(ConnectionKind::parse("ldap"), None);
        assert!(
            !ConnectionKind::Okta.info().admin_syncs,
            "Okta imports users and groups only"
        );
        assert_eq!(ConnectionKind::Google.vendor(), Some(Vendor::Google));
    }

    #[test]
    fn each_kind_is_set_up_the_way_it_is_reached() {
        for k in ConnectionKind::ALL {
            let i = k.info();
            assert_eq!(
                i.setup.is_some(),
                matches!(i.access, Access::Cloud(_)),
                "{k:?}: cloud kinds, and only they, have a sign-in setup"
            );
            assert_eq!(
                i.ldap_setup.is_some(),
                matches!(i.access, Access::Ldap(_)),
                "{k:?}: LDAP kinds, and only they, have an LDAP setup"
            );
            if let Some(l) = i.ldap_setup {
                assert_eq!(
                    l.username_attributes.first().map(|c| c.value),
                    Some(k.default_attributes().username.as_str()),
                    "{k:?}: the window offers the kind's default username attribute first"
                );
            }
            if let Some(c) = i.setup {
                let secret = c.settings.iter().any(|s| s.key == CLIENT_SECRET);
                assert_eq!(
                    secret,
                    i.secrets.contains(&ConnectionSecret::ClientSecret),
                    "{k:?}: the window asks for a client secret exactly when the kind keeps one"
                );
            }
        }
    }
}
