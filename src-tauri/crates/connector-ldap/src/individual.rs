//! An individual lookup (one user's or admin's sync): the user's entry, then only the groups that contain
//! it, walking upward through nested groups, and the selected groups' names. A full sync reads every
//! group with every member; for one person that is all the directory's memberships read to learn a few.
//! The result is what a full fetch would say about the same user ([`crate::map::member_of`]).

use crate::map::member_of::{self, Ancestry, GroupName, Naming};
use crate::{client, map, LdapConnector};
use roster_core::source::{ConnectorError, FetchRequest, SourceLookup};
use std::collections::HashMap;

impl LdapConnector {
    /// The lookup of the user whose `username_attribute` is `username`; `None` when the group walk went
    /// past its bounds (the caller then reads the whole directory, as a full sync does).
    pub(crate) async fn lookup(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<Option<SourceLookup>, ConnectorError> {
        let s = &self.settings;
        let schema = map::Schema::of(self.flavor, s);
        let naming = Naming::of(&schema.member_attribute);
        let filter = format!(
            "(&{}({}={}))",
            schema.user_filter,
            username_attribute,
            ldap3::ldap_escape(username)
        );
        let mut wanted = request.attributes.clone();
        wanted.push(username_attribute.to_string());
        let attrs = schema.user_attributes(self.flavor, s, &wanted);
        let mut session = client::open(s, self.password.as_deref()).await?;
        let read = self
            .walk(&mut session, &schema, naming, &filter, &attrs, request)
            .await;
        let _ = session.ldap.unbind().await;
        read
    }

    async fn walk(
        &self,
        session: &mut client::Session,
        schema: &map::Schema,
        naming: Naming,
        filter: &str,
        attrs: &[String],
        request: &FetchRequest,
    ) -> Result<Option<SourceLookup>, ConnectorError> {
        let s = &self.settings;
        let by_uid = naming == Naming::Uid;
        let (users, _) = self.read_users(session, schema, filter, attrs).await?;
        // As a full fetch: the first entry found is the user.
        let user = users.into_iter().next();
        // Where the walk starts: the user's DN, or for memberUid groups its (first) uid.
        let start = match &user {
            Some((dn, _)) if !by_uid => Some(dn.clone()),
            Some((_, u)) => u.first("uid").map(str::to_string),
            None => None,
        };
        let mut ancestry = Ancestry::default();
        if let Some(start) = start {
            ancestry = Ancestry::new(&start);
            while !ancestry.frontier().is_empty() {
                let mut found = Vec::new();
                let mut also_users = Vec::new();
                for chunk in ancestry.frontier().chunks(member_of::CHUNK) {
                    let f = member_of::member_filter(
                        &schema.group_filter,
                        &schema.member_attribute,
                        chunk,
                        naming,
                    );
                    let groups = client::lookup::dns(&mut session.ldap, s, &f).await?;
                    if !by_uid && !groups.is_empty() {
                        // Entries that are groups and users both: a full sync never nests through them.
                        let f = format!("(&{}{f})", schema.user_filter);
                        also_users.extend(client::lookup::dns(&mut session.ldap, s, &f).await?);
                    }
                    found.extend(groups);
                }
                if !ancestry.add_level(found, &also_users, !by_uid) {
                    tracing::info!(
                        "the groups containing the user nest past the lookup's bounds: reading every group"
                    );
                    return Ok(None);
                }
            }
        }
        // The selected groups' names, read at once (one connection carries the reads side by side).
        let name_attrs = vec!["cn".to_string(), "description".to_string()];
        let mut reads = tokio::task::JoinSet::new();
        let mut asked = std::collections::HashSet::new();
        for sel in &request.groups {
            let key = map::normalize_dn(sel);
            if !member_of::under_base(sel, &s.base_dn) || !asked.insert(key.clone()) {
                continue;
            }
            let (mut ldap, s, filter, attrs, dn) = (
                session.ldap.clone(),
                s.clone(),
                schema.group_filter.clone(),
                name_attrs.clone(),
                sel.clone(),
            );
            reads.spawn(async move {
                let read = client::lookup::read(&mut ldap, &s, &dn, &filter, &attrs).await;
                (key, read)
            });
        }
        let mut names: HashMap<String, GroupName> = HashMap::new();
        while let Some(done) = reads.join_next().await {
            let (key, read) = done.map_err(|e| {
                ConnectorError::Protocol(format!(
                    "Reading the selected groups stopped unexpectedly ({e}). Nothing was changed; run the sync again."
                ))
            })?;
            if let Some(e) = read? {
                let g = map::group(e, &schema.member_attribute);
                names.insert(
                    key,
                    GroupName {
                        name: g.name,
                        description: g.description,
                    },
                );
            }
        }
        let user = user.map(|(_, u)| u);
        let groups = member_of::lookup_groups(&request.groups, &names, &ancestry, user.as_ref());
        Ok(Some(SourceLookup { user, groups }))
    }
}
