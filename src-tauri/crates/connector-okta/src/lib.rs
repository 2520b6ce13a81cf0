//! Roster's Okta connector: users and groups pulled from the Okta Management API with an OAuth access
//! token from the org authorization server (scopes `okta.users.read okta.groups.read`).
//!
//! What it owns: the connection settings and the consent they need ([`settings`]); the API calls, Okta's
//! rate-limit rules and `Link` paging ([`client`]); the pure conversion of Okta users and groups, including
//! the status policy ([`map`]).
//!
//! What it must not do: touch the store or decide what changes (the planner does); obtain or keep tokens
//! (that is `roster-oauth`, behind [`roster_cloud::Bearer`]); log a token; write to Okta.
//!
//! How a sync reads: the selected groups are looked up by id (`filter=id eq "…" or …`), then each group's
//! members are paged from `/api/v1/groups/{id}/users` at 1,000 per page (Okta's documented default for that
//! listing). Those pages already carry each member's full profile, so no per-user calls are needed. Okta
//! groups are flat, so the members are the group's members; Okta removes deprovisioned users from every
//! group, so they drop out of the sync (and Roster treats them as gone).

pub mod client;
pub mod map;
pub mod settings;

use async_trait::async_trait;
use roster_cloud::{Bearer, Pause};
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, GroupSummary, SourceBatch, SourceGroup, SourceLookup,
    SourceUser,
};
use roster_core::AttributeMap;
pub use settings::Settings;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Members per page of `/api/v1/groups/{id}/users`: the documented default of that listing (Okta's
/// docs recommend 200 only to stay under its request timeout on very slow orgs; a timeout is a 5xx, which
/// the client retries).
pub const MEMBER_PAGE: usize = 1000;
/// Groups per page of `/api/v1/groups`: Okta's documented maximum.
pub const GROUP_PAGE: usize = 200;
/// Group ids per `filter=id eq … or …` lookup (keeps URLs short).
const IDS_PER_LOOKUP: usize = 25;
/// Above this many selected groups, listing every group is cheaper than looking them up by id.
const LOOKUP_MAX: usize = 200;

/// Whether `value` has the shape of an Okta group id (`00g` and 17 letters and digits): a group given by
/// such a value that names no group is taken as an id.
pub fn is_group_id(value: &str) -> bool {
    value.len() == 20
        && value.starts_with("00g")
        && value.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The attribute mapping a new Okta directory sync starts with (Okta profile property names).
pub fn default_attributes() -> AttributeMap {
    AttributeMap {
        username: "login".into(),
        aliases: Vec::new(),
        email: Some("email".into()),
        realname: Some("displayName".into()),
        firstname: Some("firstName".into()),
        lastname: Some("lastName".into()),
        phones: vec!["mobilePhone".into(), "primaryPhone".into()],
        notes: None,
        custom: BTreeMap::new(),
    }
}

/// An Okta org.
///
/// Fetches are always full. An incremental fetch cannot be made both exact and cheaper with the
/// Management API: Okta has no membership delta (a group's `lastMembershipUpdated` says that its members
/// changed, not how; the System Log needs another scope and is not a complete record), so every selected
/// group's member list must be read on every sync to know who left it, and that listing already returns
/// each member's full profile. An "incremental" fetch would therefore make the same calls as a full one;
/// `since` is ignored and the batch says `incremental: false`.
#[derive(Debug)]
pub struct OktaConnector {
    client: client::Client,
}

impl OktaConnector {
    /// A connector for `settings`, authorizing with `bearer` and waiting (for Okta's rate limits) with
    /// `pause`.
    pub fn new(
        settings: Settings,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> Result<Self, ConnectorError> {
        settings.validate().map_err(ConnectorError::Configuration)?;
        Ok(OktaConnector {
            client: client::Client::new(&settings, bearer, pause)?,
        })
    }

    /// API calls made so far (retries included), for the benchmarks.
    pub fn api_calls(&self) -> u64 {
        self.client.calls()
    }

    /// The selected groups that exist, in the order asked (duplicates dropped), and the ids of those that
    /// do not.
    async fn selected_groups(
        &self,
        ids: &[String],
    ) -> Result<(Vec<map::OktaGroup>, Vec<String>), ConnectorError> {
        let mut wanted: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            if seen.insert(id.as_str()) {
                wanted.push(id.as_str());
            }
        }
        let valid: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|i| map::is_okta_id(i))
            .collect();
        let mut found: HashMap<String, map::OktaGroup> = HashMap::new();
        if valid.len() <= LOOKUP_MAX {
            for chunk in valid.chunks(IDS_PER_LOOKUP) {
                let filter = chunk
                    .iter()
                    .map(|id| format!("id eq {}", map::quoted(id)))
                    .collect::<Vec<_>>()
                    .join(" or ");
                let limit = GROUP_PAGE.to_string();
                let url = self
                    .client
                    .url("/api/v1/groups", &[("filter", &filter), ("limit", &limit)]);
                let mut pages = self.client.pages(url);
                while let Some(page) = pages.next::<map::OktaGroup>().await? {
                    for g in page {
                        found.insert(g.id.clone(), g);
                    }
                }
            }
        } else {
            let want: HashSet<&str> = valid.iter().copied().collect();
            let limit = GROUP_PAGE.to_string();
            let url = self.client.url("/api/v1/groups", &[("limit", &limit)]);
            let mut pages = self.client.pages(url);
            while let Some(page) = pages.next::<map::OktaGroup>().await? {
                for g in page {
                    if want.contains(g.id.as_str()) {
                        found.insert(g.id.clone(), g);
                    }
                }
            }
        }
        let mut groups = Vec::new();
        let mut missing = Vec::new();
        for id in wanted {
            match found.remove(id) {
                Some(g) => groups.push(g),
                None => missing.push(id.to_string()),
            }
        }
        Ok((groups, missing))
    }

    /// Pages one group's members into `users` (deduplicated by id, the latest copy kept) and returns
    /// their ids.
    async fn read_members(
        &self,
        group_id: &str,
        users: &mut Vec<SourceUser>,
        index: &mut HashMap<Arc<str>, usize>,
        names: &mut map::Names,
    ) -> Result<Vec<Arc<str>>, ConnectorError> {
        let limit = MEMBER_PAGE.to_string();
        let url = self.client.url(
            &format!("/api/v1/groups/{group_id}/users"),
            &[("limit", &limit)],
        );
        let mut members = Vec::new();
        let mut seen: HashSet<Arc<str>> = HashSet::new();
        let mut pages = self.client.pages(url);
        while let Some(page) = pages.next::<map::OktaUser>().await? {
            for u in page {
                let user = map::user(u, names);
                if !seen.insert(user.external_id.clone()) {
                    // A member listed twice (the group changed while we paged): once is enough.
                    continue;
                }
                let id = match index.get(&user.external_id) {
                    Some(&i) => {
                        let id = users[i].external_id.clone();
                        users[i] = SourceUser {
                            external_id: id.clone(),
                            ..user
                        };
                        id
                    }
                    None => {
                        let id = user.external_id.clone();
                        index.insert(id.clone(), users.len());
                        users.push(user);
                        id
                    }
                };
                members.push(id);
            }
        }
        Ok(members)
    }
}

#[async_trait]
impl Connector for OktaConnector {
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        let (found, missing_groups) = self.selected_groups(&request.groups).await?;
        let mut users = Vec::new();
        let mut index = HashMap::new();
        let mut names = map::Names::default();
        let mut groups = Vec::with_capacity(found.len());
        for g in found {
            let members = self
                .read_members(&g.id, &mut users, &mut index, &mut names)
                .await?;
            groups.push(map::group(g, members));
        }
        Ok(SourceBatch {
            users,
            unchanged: Vec::new(),
            groups,
            missing_groups,
            cursor: None,
            incremental: false,
        })
    }

    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        let attribute = username_attribute.trim();
        let field = match attribute {
            "id" => "id".to_string(),
            a if map::is_property_name(a) => format!("profile.{a}"),
            a => {
                return Err(ConnectorError::Configuration(format!(
                    "\"{a}\" is not an Okta profile property name. Map the username to a property such as \"login\" or \"email\"."
                )))
            }
        };
        // `search` (unlike `filter`) finds users in every status, deprovisioned included.
        let search = format!("{field} eq {}", map::quoted(username.trim()));
        let url = self
            .client
            .url("/api/v1/users", &[("search", &search), ("limit", "200")]);
        let mut names = map::Names::default();
        let mut user = None;
        let mut pages = self.client.pages(url);
        while let Some(page) = pages.next::<map::OktaUser>().await? {
            user = page
                .into_iter()
                .map(|u| map::user(u, &mut names))
                .find(|u| {
                    u.first(attribute)
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case(username.trim()))
                });
            if user.is_some() {
                break;
            }
        }
        let (found, _missing) = self.selected_groups(&request.groups).await?;
        let mut member_of = HashSet::new();
        if let Some(u) = &user {
            let url = self
                .client
                .url(&format!("/api/v1/users/{}/groups", u.external_id), &[]);
            let mut pages = self.client.pages(url);
            while let Some(page) = pages.next::<map::OktaGroup>().await? {
                member_of.extend(page.into_iter().map(|g| g.id));
            }
        }
        let groups = found
            .into_iter()
            .map(|g| {
                let member = member_of.contains(&g.id);
                let members = match (&user, member) {
                    (Some(u), true) => vec![u.external_id.clone()],
                    _ => Vec::new(),
                };
                (map::group(g, members), member)
            })
            .collect::<Vec<(SourceGroup, bool)>>();
        Ok(SourceLookup { user, groups })
    }

    /// Groups whose name starts with `query`, in name order: Okta's `search` with `profile.name sw "…"`,
    /// sorted by name, read page by page until `limit` are found or none are left. Not `q=`, which Okta
    /// documents as a type-ahead that cannot be paged (the first 300 at most), so a query matching more
    /// than that could never show the rest. An empty query lists groups from the start.
    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let query = query.trim();
        let page = limit.min(GROUP_PAGE).to_string();
        let url = if query.is_empty() {
            self.client
                .url("/api/v1/groups", &[("limit", &page), ("expand", "stats")])
        } else {
            let search = format!("profile.name sw {}", map::quoted(query));
            self.client.url(
                "/api/v1/groups",
                &[
                    ("search", &search),
                    ("sortBy", "profile.name"),
                    ("sortOrder", "asc"),
                    ("limit", &page),
                    ("expand", "stats"),
                ],
            )
        };
        let mut out = Vec::new();
        let mut pages = self.client.pages(url);
        while out.len() < limit {
            match pages.next::<map::OktaGroup>().await? {
                Some(p) => out.extend(p.into_iter().map(summary)),
                None => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    /// Every group named `name`, ignoring case: Okta's `search` with `profile.name eq "…"` (a quote or
    /// backslash in the name escaped with a backslash), every page read, so each group of that name comes
    /// back however many others start with it. Okta compares string values ignoring case; the names are
    /// compared again here so that only exact names come back whatever the search did.
    async fn groups_named(&self, name: &str) -> Result<Vec<GroupSummary>, ConnectorError> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Vec::new());
        }
        let search = format!("profile.name eq {}", map::quoted(name));
        let page = GROUP_PAGE.to_string();
        let url = self.client.url(
            "/api/v1/groups",
            &[("search", &search), ("limit", &page), ("expand", "stats")],
        );
        let wanted = name.to_lowercase();
        let mut out = Vec::new();
        let mut pages = self.client.pages(url);
        while let Some(p) = pages.next::<map::OktaGroup>().await? {
            out.extend(
                p.into_iter()
                    .filter(|g| g.profile.name.to_lowercase() == wanted)
                    .map(summary),
            );
        }
        Ok(out)
    }
}

/// A group as the picker shows it; the member count comes with `expand=stats`.
fn summary(g: map::OktaGroup) -> GroupSummary {
    GroupSummary {
        member_count: g
            .embedded
            .as_ref()
            .and_then(|e| e.stats.as_ref())
            .and_then(|s| s.users_count),
        external_id: g.id,
        name: g.profile.name,
    }
}
