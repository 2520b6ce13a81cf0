//! Roster's LDAP connector: Active Directory and OpenLDAP, read with the `ldap3` crate.
//!
//! What it owns: connecting to the configured servers in failover order over clear, STARTTLS or LDAPS
//! with the connection's CA certificates ([`client`]); paged searches, range retrieval and referral
//! skipping; and the pure conversion of entries into Roster's source types, including nested groups and
//! disabled detection ([`map`]).
//!
//! What it must not do: touch the store or decide what changes (the planner does); keep the bind password
//! anywhere but the value passed in; log or return it.

pub mod client;
pub mod diagnose;
pub mod map;
pub mod settings;

use async_trait::async_trait;
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, GroupSummary, SourceBatch, SourceLookup,
};
pub use settings::{DisabledWhen, Flavor, Settings, Transport};
use std::collections::HashMap;

/// An LDAP directory.
pub struct LdapConnector {
    flavor: Flavor,
    settings: Settings,
    password: Option<String>,
}

impl std::fmt::Debug for LdapConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapConnector")
            .field("flavor", &self.flavor)
            .field("servers", &self.settings.servers)
            .finish_non_exhaustive()
    }
}

impl LdapConnector {
    /// A connector for `settings`, binding with `password` (from the keychain).
    pub fn new(flavor: Flavor, settings: Settings, password: Option<String>) -> Self {
        LdapConnector {
            flavor,
            settings,
            password,
        }
    }

    /// "Test connection": name resolution, TCP, TLS (with the certificate's subject, issuer and
    /// fingerprint), bind, and the base DN, for each server until one passes.
    pub async fn diagnose(&self) -> Vec<diagnose::Check> {
        diagnose::diagnose(&self.settings, self.password.as_deref()).await
    }

    async fn read_all(
        &self,
        user_filter: Option<String>,
        wanted: &[String],
    ) -> Result<
        (
            Vec<map::GroupEntry>,
            Vec<(String, roster_core::source::SourceUser)>,
            bool,
        ),
        ConnectorError,
    > {
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let mut session = client::open(s, self.password.as_deref()).await?;
        let mut groups_raw = client::search(
            &mut session.ldap,
            s,
            &schema.group_filter,
            &schema.group_attributes(s.member_range),
        )
        .await?;
        for g in &mut groups_raw {
            client::complete_ranges(&mut session.ldap, g, &schema.member_attribute).await?;
        }
        let groups: Vec<map::GroupEntry> = groups_raw
            .into_iter()
            .map(|e| map::group(e, &schema.member_attribute))
            .collect();
        let filter = user_filter.unwrap_or_else(|| schema.user_filter.clone());
        let attrs = schema.user_attributes(self.flavor, s, wanted);
        // Users are converted as they arrive, so the raw entries never pile up.
        let mut names = HashMap::new();
        let mut users = Vec::new();
        client::search_each(&mut session.ldap, s, &filter, &attrs, |e| {
            let dn = e.dn.clone();
            users.push((dn, map::user(self.flavor, s, e, &mut names)));
        })
        .await?;
        let _ = session.ldap.unbind().await;
        Ok((
            groups,
            users,
            schema.member_attribute.eq_ignore_ascii_case("memberUid"),
        ))
    }
}

#[async_trait]
impl Connector for LdapConnector {
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        let (groups, users, by_uid) = self.read_all(None, &request.attributes).await?;
        Ok(map::assemble(&request.groups, &groups, users, by_uid))
    }

    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        let schema = map::Schema::of(self.flavor, &self.settings);
        let filter = format!(
            "(&{}({}={}))",
            schema.user_filter,
            username_attribute,
            ldap3::ldap_escape(username)
        );
        let mut wanted = request.attributes.clone();
        wanted.push(username_attribute.to_string());
        let (groups, users, by_uid) = self.read_all(Some(filter), &wanted).await?;
        let user = users.first().map(|(_, u)| u.clone());
        let batch = map::assemble(&request.groups, &groups, users, by_uid);
        let lookup_groups = batch
            .groups
            .into_iter()
            .map(|g| {
                let member = user
                    .as_ref()
                    .is_some_and(|u| g.members.contains(&u.external_id));
                (g, member)
            })
            .collect();
        Ok(SourceLookup {
            user,
            groups: lookup_groups,
        })
    }

    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let filter = format!(
            "(&{}(cn=*{}*))",
            schema.group_filter,
            ldap3::ldap_escape(query.trim())
        );
        let mut session = client::open(s, self.password.as_deref()).await?;
        let entries = client::search(
            &mut session.ldap,
            s,
            &filter,
            &schema.group_attributes(s.member_range),
        )
        .await?;
        let _ = session.ldap.unbind().await;
        let mut out: Vec<GroupSummary> = entries
            .into_iter()
            .map(|e| {
                let g = map::group(e, &schema.member_attribute);
                GroupSummary {
                    external_id: g.dn,
                    name: g.name,
                    member_count: Some(g.members.len() as u64),
                }
            })
            .collect();
        out.sort_by_key(|g| g.name.to_lowercase());
        out.truncate(limit);
        Ok(out)
    }
}
