//! Roster's Google Workspace connector: users and groups read from the Admin SDK Directory API v1 with the
//! read-only `admin.directory.*` scopes, authorized by a Desktop OAuth client's consent.
//!
//! What it owns: the connection's [`Settings`] and what its consent asks for ([`Settings::consent`]); the
//! API calls, with Google's throttling (403 `userRateLimitExceeded`/`quotaExceeded`, 429) backed off with
//! jitter and other 403s reported as missing permissions ([`client`]); the pure conversion of Google's JSON
//! into Roster's source types, suspended or archived accounts being disabled ([`map`]); and choosing the
//! reads that need the fewest calls.
//!
//! What it must not do: touch the store or decide what changes (the planner does); obtain, keep or log
//! tokens or the client secret (they come through [`roster_cloud::Bearer`] and the keychain).
//!
//! Nested groups come from Google itself: a selected group's members are read with
//! `includeDerivedMembership=true`, which lists every user reachable through nested groups, each once,
//! whatever cycles the groups have.

pub mod client;
pub mod map;
pub mod settings;

use async_trait::async_trait;
use roster_cloud::{Bearer, Pause};
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, GroupSummary, SourceBatch, SourceGroup, SourceLookup,
    SourceUser,
};
pub use settings::{default_attributes, Settings};

/// Whether `value` has the shape of a Google group id (15 lower-case letters and digits, such as
/// `03x8tuzt3hqdv5v`): a group given by such a value that names no group is taken as an id.
pub fn is_group_id(value: &str) -> bool {
    value.len() == 15
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A Google Workspace directory.
pub struct GoogleConnector {
    client: client::Client,
}

impl std::fmt::Debug for GoogleConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleConnector")
            .field("client", &self.client)
            .finish()
    }
}

/// Whether listing another page beats fetching the `missing` objects one call each, after `pages` list
/// calls. Google says neither how many users nor how many groups an account has, so this is the classic
/// rent-or-buy rule: keep listing while the objects still missing outnumber the list calls already made,
/// then fetch the rest one by one. It never costs more than twice the cheaper of the two plans. A single
/// object is always fetched alone.
pub fn keep_listing(pages: usize, missing: usize) -> bool {
    if pages == 0 {
        missing > 1
    } else {
        missing > pages
    }
}

impl GoogleConnector {
    /// A connector for `settings`, authorized by `bearer` (tokens from the keychain, refreshed as needed),
    /// waiting through `pause` when Google throttles.
    pub fn new(
        settings: Settings,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> Result<Self, ConnectorError> {
        settings.validate().map_err(ConnectorError::Configuration)?;
        Ok(GoogleConnector {
            client: client::Client::new(&settings, bearer, pause)?,
        })
    }

    /// API calls made so far (retries included), for the benchmarks.
    pub fn api_calls(&self) -> u64 {
        self.client.calls()
    }

    /// The selected groups that exist, keyed by the id (or email) they were selected by: by listing
    /// groups or by reading each, whichever [`keep_listing`] says is cheaper.
    async fn resolve_groups(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, map::Group>, ConnectorError> {
        let mut found: HashMap<String, map::Group> = HashMap::new();
        let mut missing: HashMap<String, String> = keys
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| (k.trim().to_lowercase(), k.clone()))
            .collect();
        let mut pages = 0usize;
        let mut token: Option<String> = None;
        let mut listed_all = false;
        while keep_listing(pages, missing.len()) {
            let page = self.client.groups_page(token.as_deref(), None).await?;
            pages += 1;
            for g in page.groups {
                let key = missing
                    .remove(&g.id.to_lowercase())
                    .or_else(|| missing.remove(&g.email.to_lowercase()));
                if let Some(k) = key {
                    found.insert(k, g);
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => {
                    listed_all = true;
                    break;
                }
            }
        }
        if !listed_all {
            let mut rest: Vec<String> = missing.into_values().collect();
            rest.sort();
            for k in rest {
                if let Some(g) = self.client.group(&k).await? {
                    found.insert(k, g);
                }
            }
        }
        Ok(found)
    }

    /// A group's users, nested ones included, each once in Google's order; `None` if the group is gone.
    async fn derived_members(&self, group_id: &str) -> Result<Option<Vec<String>>, ConnectorError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let Some(page) = self
                .client
                .derived_members_page(group_id, token.as_deref())
                .await?
            else {
                return Ok(None);
            };
            for id in map::member_users(&page) {
                if seen.insert(id.to_string()) {
                    out.push(id.to_string());
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(Some(out)),
            }
        }
    }

    /// The users with these ids that still exist, converted: by listing users (500 a call, keeping the
    /// wanted ones) or by reading each, whichever [`keep_listing`] says is cheaper.
    async fn resolve_users(
        &self,
        ids: &[String],
        names: &mut map::Names,
    ) -> Result<HashMap<String, SourceUser>, ConnectorError> {
        let mut found: HashMap<String, SourceUser> = HashMap::with_capacity(ids.len());
        let mut missing: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut pages = 0usize;
        let mut token: Option<String> = None;
        let mut listed_all = false;
        while keep_listing(pages, missing.len()) {
            let page = self.client.users_page(token.as_deref(), None).await?;
            pages += 1;
            for u in &page.users {
                if missing.remove(u.id.as_str()) {
                    found.insert(u.id.clone(), map::user(u, names));
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => {
                    listed_all = true;
                    break;
                }
            }
        }
        if !listed_all {
            let mut rest: Vec<&str> = missing.into_iter().collect();
            rest.sort_unstable();
            for id in rest {
                if let Some(u) = self.client.user(id).await? {
                    // users.get also answers by email or alias: keep only the user asked for.
                    if u.id == id {
                        found.insert(u.id.clone(), map::user(&u, names));
                    }
                }
            }
        }
        Ok(found)
    }

    /// Every user whose `attribute` has `value` (ignoring case); reads the fewest users it can.
    async fn find_user(
        &self,
        attribute: &str,
        value: &str,
        names: &mut map::Names,
    ) -> Result<Option<SourceUser>, ConnectorError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let matches = |u: &SourceUser| u.all(attribute).any(|v| v.eq_ignore_ascii_case(value));
        let by_key = ["primaryEmail", "emails", "aliases", "id"]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute));
        if by_key {
            // users.get takes an id, a primary email or an alias.
            let found = self.client.user(value).await?;
            return Ok(found.map(|u| map::user(&u, names)).filter(matches));
        }
        // Google's user search can narrow a few attributes; anything else is read in full and compared here.
        let query = if attribute.eq_ignore_ascii_case("externalIds.organization")
            && !value.contains('\'')
        {
            Some(format!("externalId:'{value}'"))
        } else {
            None
        };
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .users_page(token.as_deref(), query.as_deref())
                .await?;
            if let Some(u) = page
                .users
                .iter()
                .map(|u| map::user(u, names))
                .find(|u| matches(u))
            {
                return Ok(Some(u));
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(None),
            }
        }
    }
}

#[async_trait]
impl Connector for GoogleConnector {
    /// Reads the selected groups' users, nested groups included, in full.
    ///
    /// Always a full fetch (`incremental: false`, no cursor): the Directory API has no "changed since"
    /// query for users or memberships (`users.list` takes no `updatedMin` and has no delta tokens, and
    /// `users.watch` push notifications need a public HTTPS endpoint a desktop app does not have). The
    /// reads are kept few instead: members at 200 a call with derived membership, and users either listed
    /// at 500 a call or read one by one, whichever is cheaper.
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        let mut keys: Vec<String> = Vec::new();
        for k in &request.groups {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        let found = self.resolve_groups(&keys).await?;
        let mut batch = SourceBatch::default();
        let mut selected: Vec<(String, map::Group, Vec<String>)> = Vec::new();
        for key in keys {
            let Some(g) = found.get(&key) else {
                batch.missing_groups.push(key);
                continue;
            };
            match self.derived_members(&g.id).await? {
                Some(members) => selected.push((key, g.clone(), members)),
                // Deleted while we read.
                None => batch.missing_groups.push(key),
            }
        }
        let mut wanted: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (_, _, members) in &selected {
            for id in members {
                if seen.insert(id.as_str()) {
                    wanted.push(id.clone());
                }
            }
        }
        let mut names = map::Names::new();
        let mut users = self.resolve_users(&wanted, &mut names).await?;
        for (key, g, members) in &selected {
            // Members share their users' ids; a user deleted since the members were read is left out.
            let ids: Vec<Arc<str>> = members
                .iter()
                .filter_map(|id| users.get(id.as_str()).map(|u| u.external_id.clone()))
                .collect();
            let mut sg = map::group(g, ids);
            sg.external_id = key.clone();
            batch.groups.push(sg);
        }
        batch.users = wanted
            .iter()
            .filter_map(|id| users.remove(id.as_str()))
            .collect();
        batch.incremental = false;
        batch.cursor = None;
        Ok(batch)
    }

    /// Finds the user (by `users.get` when the username attribute is an email or id, else by search or
    /// listing) and asks Google for each selected group whether they are a member, nesting included
    /// (`members.hasMember`). An individual sync changes only this user, so each group carries only them
    /// as a member (or no one).
    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        let mut names = map::Names::new();
        let user = self
            .find_user(username_attribute, username, &mut names)
            .await?;
        let mut keys: Vec<String> = Vec::new();
        for k in &request.groups {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        let found = self.resolve_groups(&keys).await?;
        let mut groups = Vec::new();
        for key in keys {
            let Some(g) = found.get(&key) else { continue };
            let member = match &user {
                Some(u) => self
                    .client
                    .has_member(&g.id, &u.external_id)
                    .await?
                    .unwrap_or(false),
                None => false,
            };
            let members = match (&user, member) {
                (Some(u), true) => vec![u.external_id.clone()],
                _ => Vec::new(),
            };
            let mut sg: SourceGroup = map::group(g, members);
            sg.external_id = key;
            groups.push((sg, member));
        }
        Ok(SourceLookup { user, groups })
    }

    /// Groups whose name or email contains `query`, in name order, with their direct member counts;
    /// reads group pages until `limit` match.
    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let mut token: Option<String> = None;
        loop {
            let page = self.client.groups_page(token.as_deref(), None).await?;
            out.extend(
                page.groups
                    .iter()
                    .filter(|g| map::group_matches(g, query))
                    .map(map::summary),
            );
            if out.len() >= limit {
                break;
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.truncate(limit);
        out.sort_by_key(|g| g.name.to_lowercase());
        Ok(out)
    }

    /// Every group named `name`, ignoring case: a `groups.list` search for `name='…'` (the exact-match
    /// operator of Google's "Search for groups" guide, a quote in the name written `\'`), every page read.
    ///
    /// Google warns that new group data may take up to 36 hours to reach search results, so when the
    /// search finds no group of that name, the groups are listed in full and compared here before Roster
    /// says there is none: a group created this morning is found, at the cost of a full listing for a
    /// name that does not exist.
    async fn groups_named(&self, name: &str) -> Result<Vec<GroupSummary>, ConnectorError> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Vec::new());
        }
        let query = format!("name={}", map::search_literal(name));
        let found = self.named_in_pages(name, Some(&query)).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        self.named_in_pages(name, None).await
    }
}

impl GoogleConnector {
    /// The groups named `name` (ignoring case) on every page of `groups.list`, narrowed by `query`.
    async fn named_in_pages(
        &self,
        name: &str,
        query: Option<&str>,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        let wanted = name.to_lowercase();
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.client.groups_page(token.as_deref(), query).await?;
            out.extend(
                page.groups
                    .iter()
                    .filter(|g| g.name.to_lowercase() == wanted)
                    .map(map::summary),
            );
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.sort_by_key(|g| g.name.to_lowercase());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::keep_listing;

    #[test]
    fn listing_stops_once_fetching_the_rest_is_cheaper() {
        assert!(!keep_listing(0, 0), "nothing wanted: no calls");
        assert!(!keep_listing(0, 1), "one user: one users.get");
        assert!(keep_listing(0, 2));
        assert!(keep_listing(3, 4));
        assert!(
            !keep_listing(3, 3),
            "three more gets cost what three pages did"
        );
        // The rule's worst case stays within twice the better plan: with 50,000 users and 10 wanted, at
        // most 10 pages and then 10 gets.
        let mut pages = 0;
        while keep_listing(pages, 10) {
            pages += 1;
        }
        assert_eq!(pages + 10, 20);
    }
}
