//! The built-in demo directory: a deterministic, realistic organisation that needs no network.
//!
//! What it owns: generating the organisation from a seed and a size ([`org::Org::generate`]), evolving it
//! between syncs (hires, leavers, renames, disables, re-enables, team moves; one round per epoch), and a
//! [`DemoConnector`] that serves it through the same [`Connector`] trait as every real directory.
//!
//! What it must not do: keep state. The epoch is passed in (the application layer stores it with the
//! connection and moves it forward after each applied full sync), so the same seed, size and epoch always
//! give the same directory.

pub mod org;

use async_trait::async_trait;
use org::Org;
use roster_core::source::{
    flatten_members, Connector, ConnectorError, FetchRequest, GroupSummary, SourceBatch,
    SourceGroup, SourceLookup, SourceUser,
};
use roster_core::{AdminRole, RoleMapping};
use std::collections::HashMap;

/// The demo directory at one epoch. It holds only its parameters: each request generates the
/// organisation and drops it once answered, so a 100,000-person directory costs memory only while it is
/// read (as a real directory server's would).
#[derive(Debug, Clone, Copy)]
pub struct DemoConnector {
    seed: u64,
    users: usize,
    epoch: u32,
}

fn group_index(org: &Org) -> HashMap<String, usize> {
    org.groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.dn.to_ascii_lowercase(), i))
        .collect()
}

fn source_group(org: &Org, index: &HashMap<String, usize>, idx: usize) -> SourceGroup {
    let g = &org.groups[idx];
    let members = flatten_members(&g.dn, |dn| {
        index.get(&dn.to_ascii_lowercase()).map(|&i| {
            (
                org.groups[i].users.as_slice(),
                org.groups[i].subgroups.as_slice(),
            )
        })
    });
    SourceGroup {
        external_id: g.dn.clone(),
        name: g.name.clone(),
        description: Some(g.description.clone()),
        members: members.into_iter().map(std::sync::Arc::from).collect(),
    }
}

impl DemoConnector {
    /// The organisation of `users` people generated from `seed`, after `epoch` rounds of changes.
    pub fn new(seed: u64, users: usize, epoch: u32) -> Self {
        DemoConnector { seed, users, epoch }
    }

    /// The organisation (generated anew).
    pub fn org(&self) -> Org {
        Org::at_epoch(self.seed, self.users, self.epoch)
    }
}

/// The groups a demo user sync selects when the spec names none: everyone, the divisions, and the
/// leadership groups (which nest each other, to show that cycles are safe).
pub fn default_user_groups() -> Vec<String> {
    let mut v = vec![org::ALL_STAFF_DN.to_string()];
    v.extend(org::DIVISIONS.iter().map(|(name, _)| org::group_dn(name)));
    v.push(org::group_dn("Leadership"));
    v
}

/// The role mapping a demo admin sync uses when the spec names none.
pub fn default_roles() -> Vec<RoleMapping> {
    org::ROLE_GROUPS
        .iter()
        .map(|(name, role)| RoleMapping {
            group: org::group_dn(name),
            role: *role,
        })
        .collect()
}

/// The role groups, for documentation and the UI.
pub fn role_groups() -> Vec<(String, AdminRole)> {
    org::ROLE_GROUPS
        .iter()
        .map(|(n, r)| (org::group_dn(n), *r))
        .collect()
}

#[async_trait]
impl Connector for DemoConnector {
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        let org = self.org();
        let index = group_index(&org);
        let names = org::AttributeNames::new(&request.attributes);
        let mut batch = SourceBatch::default();
        let mut wanted_users = std::collections::HashSet::new();
        for dn in &request.groups {
            match index.get(&dn.to_ascii_lowercase()) {
                Some(&i) => {
                    let g = source_group(&org, &index, i);
                    wanted_users.extend(g.members.iter().cloned());
                    batch.groups.push(g);
                }
                None => batch.missing_groups.push(dn.clone()),
            }
        }
        batch.users = org
            .users
            .iter()
            .filter(|u| wanted_users.contains(u.external_id.as_str()))
            .map(|u| u.to_source(&names))
            .collect();
        Ok(batch)
    }

    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        let org = self.org();
        let mut wanted = request.attributes.clone();
        wanted.push(username_attribute.to_string());
        let names = org::AttributeNames::new(&wanted);
        let user: Option<SourceUser> = org.users.iter().map(|u| u.to_source(&names)).find(|u| {
            u.first(username_attribute)
                .is_some_and(|v| v.eq_ignore_ascii_case(username))
        });
        let index = group_index(&org);
        let mut groups = Vec::new();
        for dn in &request.groups {
            if let Some(&i) = index.get(&dn.to_ascii_lowercase()) {
                let g = source_group(&org, &index, i);
                let member = user
                    .as_ref()
                    .is_some_and(|u| g.members.contains(&u.external_id));
                groups.push((g, member));
            }
        }
        Ok(SourceLookup { user, groups })
    }

    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        let q = query.to_lowercase();
        Ok(self
            .org()
            .groups
            .iter()
            .filter(|g| g.name.to_lowercase().contains(&q))
            .take(limit)
            .map(|g| GroupSummary {
                external_id: g.dn.clone(),
                name: g.name.clone(),
                member_count: Some((g.users.len() + g.subgroups.len()) as u64),
            })
            .collect())
    }
}
