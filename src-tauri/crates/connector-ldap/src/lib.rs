//! Roster's LDAP connector: Active Directory and OpenLDAP, read with the `ldap3` crate.
//!
//! What it owns: connecting to the configured servers in failover order over clear, STARTTLS or LDAPS
//! with the connection's CA certificates ([`client`]); paged searches, range retrieval and referral
//! skipping; reading the groups on a second connection to the same server while the users are read; and
//! the pure conversion of entries into Roster's source types, including nested groups and disabled
//! detection ([`map`]), with DNs compared by what they name, however they are escaped or spelt ([`dn`]).
//!
//! What it must not do: touch the store or decide what changes (the planner does); keep the bind password
//! anywhere but the value passed in; log or return it.

pub mod client;
pub mod diagnose;
pub mod dn;
mod individual;
pub mod map;
pub mod settings;

use async_trait::async_trait;
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, GroupSummary, SourceBatch, SourceLookup,
};
use roster_core::source::{Since, SourceUser};
pub use settings::{BindMethod, DisabledWhen, Flavor, Settings, Transport};
use std::collections::HashMap;
use std::sync::Arc;

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

    /// Whether the settings bind with a password (a bind DN and the simple method) that was not given.
    pub fn needs_password(&self) -> bool {
        self.settings.bind_dn.is_some()
            && self.settings.bind_method == BindMethod::Simple
            && self.password.as_deref().is_none_or(str::is_empty)
    }

    /// "Test connection": name resolution, TCP, TLS (with the certificate's subject, issuer and
    /// fingerprint), bind, and the base DN, for each server until one passes.
    pub async fn diagnose(&self) -> Vec<diagnose::Check> {
        diagnose::diagnose(&self.settings, self.password.as_deref()).await
    }

    /// Starts reading every group on a second connection to `server`, in a task of its own, so that it
    /// runs while the users are read: on a large directory the server's time dominates the user read and
    /// ours dominates the group read (a million member values), so the two overlap well. Member values
    /// are interned as they arrive and resolved once the users are known ([`map::PendingGroups`]).
    /// Dropping the handle cancels the read.
    fn start_group_read(&self, schema: &map::Schema, server: &str) -> GroupRead {
        let (s, password, schema, server) = (
            self.settings.clone(),
            self.password.clone(),
            schema.clone(),
            server.to_string(),
        );
        GroupRead(tokio::spawn(async move {
            let mut session = client::open_beside(&s, password.as_deref(), &server).await?;
            let groups = read_groups(&mut session, &s, &schema).await;
            let _ = session.ldap.unbind().await;
            groups
        }))
    }

    /// Reads users with `filter`, converting each as it arrives; returns them with the highest change mark.
    async fn read_users(
        &self,
        session: &mut client::Session,
        schema: &map::Schema,
        filter: &str,
        attrs: &[String],
    ) -> Result<(Vec<(String, SourceUser)>, Option<String>), ConnectorError> {
        let s = &self.settings;
        let mut names = HashMap::new();
        let mut users = Vec::new();
        let mut mark: Option<String> = None;
        client::search_each(&mut session.ldap, s, filter, attrs, |mut e| {
            // The change mark is bookkeeping, not a user attribute: take it out.
            if let Some(pos) = e
                .attrs
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(schema.change_attribute))
            {
                let (_, vs) = e.attrs.remove(pos);
                if let Some(m) = vs.into_iter().next() {
                    if mark.as_deref().is_none_or(|cur| map::mark_newer(&m, cur)) {
                        mark = Some(m);
                    }
                }
            }
            let dn = e.dn.clone();
            users.push((dn, map::user(self.flavor, s, e, &mut names)));
        })
        .await?;
        Ok((users, mark))
    }

    /// Users (matching `user_filter`) and, at the same time, every group; groups resolved against the
    /// users; and the cursor.
    async fn read_all(
        &self,
        user_filter: Option<String>,
        wanted: &[String],
    ) -> Result<(map::Resolver, Vec<map::ResolvedGroup>, Option<String>), ConnectorError> {
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let mut session = client::open(s, self.password.as_deref()).await?;
        let group_read = self.start_group_read(&schema, &session.server);
        let filter = user_filter.unwrap_or_else(|| schema.user_filter.clone());
        let attrs = schema.user_attributes(self.flavor, s, wanted);
        let (users, mark) = self
            .read_users(&mut session, &schema, &filter, &attrs)
            .await?;
        let _ = session.ldap.unbind().await;
        let pending = group_read.finish().await?;
        let mut resolver = map::Resolver::new(
            users,
            schema.member_attribute.eq_ignore_ascii_case("memberUid"),
        );
        let groups = resolver.resolve(pending);
        let cursor = mark.map(|m| map::cursor(&session.server, &m));
        Ok((resolver, groups, cursor))
    }

    /// An incremental fetch: every group (memberships can change without any user changing), every user's
    /// id and change mark (deleted users are the ones missing), and in full only the users that changed
    /// since the cursor or that the sync does not know. Falls back to a full fetch when another server
    /// answers than the one the cursor came from (change marks are per server).
    async fn fetch_since(
        &self,
        request: &FetchRequest,
        since: &Since,
    ) -> Result<SourceBatch, ConnectorError> {
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let mut session = client::open(s, self.password.as_deref()).await?;
        let Some((server, from)) = map::parse_cursor(&since.cursor) else {
            return self.fetch_full(request).await;
        };
        if server != session.server {
            tracing::info!(
                "another server answered ({}) than the cursor's ({server}): full sync",
                session.server
            );
            let _ = session.ldap.unbind().await;
            return self.fetch_full(request).await;
        }
        let group_read = self.start_group_read(&schema, &session.server);
        let by_uid = schema.member_attribute.eq_ignore_ascii_case("memberUid");
        let mut id_attrs = vec![
            schema.id_attribute.to_string(),
            schema.change_attribute.to_string(),
        ];
        if by_uid {
            id_attrs.push("uid".to_string()); // memberUid groups name their members by uid
        }
        // Stubs: id (and uid for memberUid groups) and DN of every user, with the change mark kept aside
        // per user.
        let mut marks: HashMap<String, String> = HashMap::new();
        let mut names = HashMap::new();
        let mut stubs = Vec::new();
        let mut top: Option<String> = None;
        client::search_each(
            &mut session.ldap,
            s,
            &schema.user_filter,
            &id_attrs,
            |mut e| {
                if let Some(pos) = e
                    .attrs
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(schema.change_attribute))
                {
                    let (_, vs) = e.attrs.remove(pos);
                    if let Some(m) = vs.into_iter().next() {
                        if top.as_deref().is_none_or(|cur| map::mark_newer(&m, cur)) {
                            top = Some(m.clone());
                        }
                        marks.insert(e.dn.clone(), m);
                    }
                }
                let dn = e.dn.clone();
                stubs.push((dn, map::user(self.flavor, s, e, &mut names)));
            },
        )
        .await?;
        let dn_of: HashMap<Arc<str>, String> = stubs
            .iter()
            .map(|(dn, u)| (u.external_id.clone(), dn.clone()))
            .collect();
        let mut resolver = map::Resolver::new(stubs, by_uid);
        let groups = resolver.resolve(group_read.finish().await?);
        let mut batch = resolver.finish(&request.groups, &groups);
        // In scope: read in full what changed or is unknown; the rest is unchanged.
        let in_scope = std::mem::take(&mut batch.users);
        let mut reread = Vec::new();
        for u in in_scope {
            let dn = dn_of.get(&u.external_id).cloned().unwrap_or_default();
            let changed = marks.get(&dn).is_none_or(|m| map::mark_newer(m, from));
            if changed || !since.known.contains(&u.external_id) {
                reread.push(dn);
            } else {
                batch.unchanged.push(u.external_id);
            }
        }
        let attrs = schema.user_attributes(self.flavor, s, &request.attributes);
        for dn in reread {
            let found =
                client::read_entry(&mut session.ldap, s, &dn, &schema.user_filter, &attrs).await?;
            if let Some(mut e) = found {
                if let Some(pos) = e
                    .attrs
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(schema.change_attribute))
                {
                    e.attrs.remove(pos);
                }
                batch.users.push(map::user(self.flavor, s, e, &mut names));
            }
        }
        let _ = session.ldap.unbind().await;
        batch.cursor = Some(map::cursor(&session.server, top.as_deref().unwrap_or(from)));
        batch.incremental = true;
        Ok(batch)
    }

    async fn fetch_full(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        let (resolver, groups, cursor) = self.read_all(None, &request.attributes).await?;
        let mut batch = resolver.finish(&request.groups, &groups);
        batch.cursor = cursor;
        Ok(batch)
    }
}

/// Every group entry, with member values interned as they arrive (ranged entries are completed first).
async fn read_groups(
    session: &mut client::Session,
    s: &Settings,
    schema: &map::Schema,
) -> Result<map::PendingGroups, ConnectorError> {
    let member = schema.member_attribute.clone();
    let mut pending = map::PendingGroups::default();
    let mut ranged = Vec::new();
    client::search_each(
        &mut session.ldap,
        s,
        &schema.group_filter,
        &schema.group_attributes(s.member_range),
        |e| {
            if e.attrs.iter().any(|(k, _)| map::parse_range(k).is_some()) {
                ranged.push(e);
            } else {
                pending.add(map::group(e, &member));
            }
        },
    )
    .await?;
    for mut e in ranged {
        client::complete_ranges(&mut session.ldap, &mut e, &member).await?;
        pending.add(map::group(e, &member));
    }
    Ok(pending)
}

/// A group read running beside the user read; dropped unfinished, it is cancelled.
struct GroupRead(tokio::task::JoinHandle<Result<map::PendingGroups, ConnectorError>>);

impl GroupRead {
    async fn finish(mut self) -> Result<map::PendingGroups, ConnectorError> {
        match (&mut self.0).await {
            Ok(read) => read,
            Err(e) => Err(ConnectorError::Protocol(format!(
                "Reading the groups stopped unexpectedly ({e}). Nothing was changed; run the sync again."
            ))),
        }
    }
}

impl Drop for GroupRead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[async_trait]
impl Connector for LdapConnector {
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        match &request.since {
            Some(since) => self.fetch_since(request, since).await,
            None => self.fetch_full(request).await,
        }
    }

    /// One user and the selected groups it is in: read by walking up from the user's entry (see
    /// [`individual`]); only a nesting past the walk's bounds reads every group, as a full fetch does.
    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        if let Some(found) = self.lookup(request, username_attribute, username).await? {
            return Ok(found);
        }
        let schema = map::Schema::of(self.flavor, &self.settings);
        let filter = format!(
            "(&{}({}={}))",
            schema.user_filter,
            username_attribute,
            ldap3::ldap_escape(username)
        );
        let mut wanted = request.attributes.clone();
        wanted.push(username_attribute.to_string());
        let (resolver, groups, _) = self.read_all(Some(filter), &wanted).await?;
        let user = resolver.users().first().map(|(_, u)| u.clone());
        let batch = resolver.finish(&request.groups, &groups);
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

    /// The group picker: groups whose name contains `query` (every group for an empty query), at most
    /// `limit` of them, sorted by name.
    ///
    /// Only the name and the member values are read, and the server stops after `limit` entries (the
    /// search's size limit; its "size limit exceeded" answer then only means there were more). Which
    /// `limit` groups come back is the server's choice when more match: the picker narrows as more is
    /// typed. Member counts come from the values read; see [`group_summary`] for groups above Active
    /// Directory's range limit.
    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        if limit == 0 {
            return Ok(Vec::new()); // a size limit of 0 would mean "no limit" to the server
        }
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let query = query.trim();
        // "(cn=**)" is no filter: an empty query is a presence test.
        let name = if query.is_empty() {
            "(cn=*)".to_string()
        } else {
            format!("(cn=*{}*)", ldap3::ldap_escape(query))
        };
        let filter = format!("(&{}{name})", schema.group_filter);
        let attrs = ["cn".to_string(), schema.member_attribute.clone()];
        let mut session = client::open(s, self.password.as_deref()).await?;
        let entries = client::search_at_most(&mut session.ldap, s, &filter, &attrs, limit).await;
        let _ = session.ldap.unbind().await;
        let mut out: Vec<GroupSummary> = entries?
            .into_iter()
            .map(|e| group_summary(e, &schema.member_attribute, None))
            .collect();
        out.sort_by_cached_key(|g| g.name.to_lowercase());
        out.truncate(limit);
        Ok(out)
    }

    /// Every group named exactly `name`, compared as the directory compares names (caseIgnoreMatch: any
    /// case, insignificant spaces), however many others contain it: an equality filter, read to its last
    /// page.
    async fn groups_named(&self, name: &str) -> Result<Vec<GroupSummary>, ConnectorError> {
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let filter = format!(
            "(&{}(cn={}))",
            schema.group_filter,
            ldap3::ldap_escape(name.trim())
        );
        let attrs = ["cn".to_string(), schema.member_attribute.clone()];
        let mut session = client::open(s, self.password.as_deref()).await?;
        let mut out = Vec::new();
        let read = client::search_each(&mut session.ldap, s, &filter, &attrs, |e| {
            out.push(group_summary(e, &schema.member_attribute, Some(name)));
        })
        .await;
        let _ = session.ldap.unbind().await;
        read?;
        out.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        Ok(out)
    }
}

/// A group entry (read with only cn and the member attribute) as the picker shows it. The name is the cn
/// value equal to `named` when given (a group may have several cn values), else the first.
///
/// The member count is the number of member values read. Active Directory sends at most its range limit
/// (MaxValRange, 1,500 by default) of them, as `member;range=0-1499`, when a group has more; counting
/// those would take a further request per 1,500 members, so such a group's count is left unknown (None)
/// rather than shown wrong. Groups under the limit, and every OpenLDAP group, are counted exactly.
fn group_summary(e: map::Entry, member_attribute: &str, named: Option<&str>) -> GroupSummary {
    let cns = e.values("cn");
    let name = named
        .map(str::trim)
        .and_then(|n| {
            cns.iter()
                .find(|c| c.trim().to_lowercase() == n.to_lowercase())
        })
        .or_else(|| cns.first())
        .cloned()
        .unwrap_or_else(|| e.dn.clone());
    let mut count = Some(0u64);
    for (k, vs) in &e.attrs {
        let n = vs.len() as u64;
        if k.eq_ignore_ascii_case(member_attribute) {
            count = count.map(|c| c + n);
        } else if let Some((base, _, hi)) = map::parse_range(k) {
            if base.eq_ignore_ascii_case(member_attribute) {
                // `…;range=0-*` is the whole list; `…;range=0-1499` is its first part only.
                count = if hi.is_none() {
                    count.map(|c| c + n)
                } else {
                    None
                };
            }
        }
    }
    GroupSummary {
        external_id: e.dn,
        name,
        member_count: count,
    }
}
