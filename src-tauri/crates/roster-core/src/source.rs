//! The connector contract: what a directory returns and how Roster asks for it.
//!
//! One narrow trait fits every source (Active Directory, OpenLDAP, Entra ID, Google, Okta, SCIM, the demo).
//! Each connector crate keeps its I/O in one module and its pure conversion to these types in another.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A user as the source directory holds it, before Roster's attribute mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceUser {
    /// Stable id in the source (objectGUID, entryUUID, Graph id…); survives renames and moves.
    /// Shared (`Arc<str>`) because every group membership refers to it.
    pub external_id: std::sync::Arc<str>,
    /// Attribute values as (name, value) pairs; multi-valued attributes repeat the name.
    /// Names are compared case-insensitively. Names are shared (`Arc<str>`): a connector interns each
    /// attribute name once, so 100,000 users do not carry a million copies of "mail".
    pub attributes: Vec<(std::sync::Arc<str>, String)>,
    /// Whether the source has the account disabled (AD `userAccountControl` bit 0x2, Entra
    /// `accountEnabled=false`, Google suspended, …).
    pub disabled: bool,
    /// Where an admin finds the entry in the directory's own tools: the DN for LDAP, the sign-in name
    /// (UPN, primary email, login) for cloud directories. Reports name skipped entries by it, since the
    /// stable id (an entryUUID or objectGUID) is something nobody can look up.
    #[serde(default)]
    pub locator: Option<String>,
}

impl SourceUser {
    /// The first value of `name`, compared case-insensitively; empty values count as missing.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, v)| n.as_ref().eq_ignore_ascii_case(name) && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }
    /// Every non-empty value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |(n, v)| n.as_ref().eq_ignore_ascii_case(name) && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// A selected group, with its members already flattened: every user reachable through nested groups,
/// each once, whatever cycles the directory has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceGroup {
    /// Stable id in the source (a DN for LDAP, an object id for cloud directories).
    pub external_id: String,
    /// Display name; becomes the Roster group's name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// External ids of the member users (transitive), sharing the users' own ids: a million memberships
    /// cost a million pointers, not a million strings.
    pub members: Vec<std::sync::Arc<str>>,
}

/// What a fetch returned: the selected groups (always complete, with their members) and the users in at
/// least one of them.
///
/// A full fetch lists every such user in `users`. An incremental fetch (see [`Since`]) lists in `users`
/// only those that changed since the cursor or that the sync does not know yet, and names the others,
/// present and unchanged, in `unchanged`. Either way, a user the sync manages that appears in neither is
/// gone from every selected group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceBatch {
    /// Users in at least one selected group (all of them, or for an incremental fetch the changed ones).
    pub users: Vec<SourceUser>,
    /// Incremental fetches: external ids of users in scope that did not change since the cursor.
    #[serde(default)]
    pub unchanged: Vec<std::sync::Arc<str>>,
    /// The selected groups that exist in the source.
    pub groups: Vec<SourceGroup>,
    /// Selected groups the source no longer has.
    pub missing_groups: Vec<String>,
    /// Where the next incremental fetch can start (opaque to everyone but the connector).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Whether the connector used the cursor (an incremental fetch) rather than reading everything.
    #[serde(default)]
    pub incremental: bool,
}

/// An incremental fetch's starting point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    /// The cursor a previous fetch returned.
    pub cursor: String,
    /// External ids of the users the sync holds (outside the trash): in-scope users not among them are read
    /// in full even if they did not change (e.g. someone unchanged who was just added to a selected group).
    pub known: std::collections::HashSet<std::sync::Arc<str>>,
}

/// What a run asks of a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// External ids of the selected groups (user syncs) or role-mapped groups (admin syncs).
    pub groups: Vec<String>,
    /// The source attributes the mapping needs (connectors may fetch only these).
    pub attributes: Vec<String>,
    /// Fetch incrementally from this point. Connectors that cannot (or whose cursor no longer applies,
    /// e.g. another server answered) do a full fetch; either way the batch is correct.
    pub since: Option<Since>,
}

/// The result of looking up one user for an individual sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLookup {
    /// The user, if the source has one with that username.
    pub user: Option<SourceUser>,
    /// The selected groups; for each, whether the user is a (transitive) member.
    pub groups: Vec<(SourceGroup, bool)>,
}

/// A group offered by the group picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct GroupSummary {
    /// Stable id (DN for LDAP).
    pub external_id: String,
    /// Display name.
    pub name: String,
    /// Direct member count, when the source tells it cheaply.
    #[ts(type = "number | null")]
    pub member_count: Option<u64>,
}

/// Why a connector failed. Kept small on purpose: the engine only needs to know whether a retry may help.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The directory could not be reached or timed out; a retry later may succeed.
    #[error("{0}")]
    Unreachable(String),
    /// The directory refused our credentials or consent; retrying will not help until an admin acts.
    #[error("{0}")]
    Unauthorized(String),
    /// The configuration is wrong (bad base DN, unknown group…); an admin must fix it.
    #[error("{0}")]
    Configuration(String),
    /// The directory answered something we could not understand.
    #[error("{0}")]
    Protocol(String),
}

impl ConnectorError {
    /// Whether retrying the same request later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectorError::Unreachable(_) => true,
            ConnectorError::Unauthorized(_)
            | ConnectorError::Configuration(_)
            | ConnectorError::Protocol(_) => false,
        }
    }
}

/// A source directory. Implementations do I/O; they never touch the store.
#[async_trait]
pub trait Connector: Send + Sync {
    /// Fetches the given groups (members flattened, cycles safe) and all their member users.
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError>;

    /// Looks up one user by the value of the username attribute, and which selected groups they are in.
    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError>;

    /// Groups whose name contains `query` (case-insensitive), for the group picker: up to `limit` of
    /// them, reading as many pages as that takes. An empty query lists groups.
    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError>;

    /// Every group whose name is exactly `name` (case-insensitive), however many other groups' names
    /// merely contain it: how a group given by name is resolved to its id. Connectors answer with a query
    /// made for an exact name, read to its last page; this default, for sources that have none, filters
    /// a search.
    async fn groups_named(&self, name: &str) -> Result<Vec<GroupSummary>, ConnectorError> {
        Ok(self
            .search_groups(name, 1000)
            .await?
            .into_iter()
            .filter(|g| g.name.eq_ignore_ascii_case(name))
            .collect())
    }
}

/// Flattens nested groups: every user reachable from `root` through `edges`, each once, in first-seen
/// order. Cycles are safe (each group is visited once). `edges(group)` gives a group's direct member users
/// and direct member groups.
pub fn flatten_members<'a, F>(root: &'a str, mut edges: F) -> Vec<&'a str>
where
    F: FnMut(&str) -> Option<(&'a [String], &'a [String])>,
{
    let mut users = Vec::new();
    let mut seen_users = std::collections::HashSet::new();
    let mut visited = std::collections::HashSet::new();
    let mut stack = vec![root];
    while let Some(g) = stack.pop() {
        if !visited.insert(g) {
            continue;
        }
        if let Some((direct_users, subgroups)) = edges(g) {
            for u in direct_users {
                if seen_users.insert(u.as_str()) {
                    users.push(u.as_str());
                }
            }
            for s in subgroups.iter().rev() {
                stack.push(s.as_str());
            }
        }
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn flattening_follows_nesting_and_survives_cycles() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut g: HashMap<&str, (Vec<String>, Vec<String>)> = HashMap::new();
        g.insert("a", (s(&["u1"]), s(&["b"])));
        g.insert("b", (s(&["u2", "u1"]), s(&["c"])));
        g.insert("c", (s(&["u3"]), s(&["a"]))); // cycle back to a
        let got = flatten_members("a", |k| g.get(k).map(|(u, s)| (u.as_slice(), s.as_slice())));
        assert_eq!(
            got,
            vec!["u1", "u2", "u3"],
            "every user reachable once, cycles visited once"
        );
        let none = flatten_members("missing", |k| {
            g.get(k).map(|(u, s)| (u.as_slice(), s.as_slice()))
        });
        assert!(none.is_empty(), "an unknown group has no members");
    }
}
