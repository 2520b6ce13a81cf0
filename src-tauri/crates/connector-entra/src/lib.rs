//! Roster's Entra ID connector: users and groups from Microsoft Graph v1.0, with delegated, read-only
//! permissions (User.Read.All, GroupMember.Read.All) granted by an administrator's consent.
//!
//! How it reads, with the fewest calls Graph allows:
//! - a full fetch is two delta rounds over the whole tenant: `/groups/delta` with `members` (every group's
//!   direct members, nested groups included, pages of up to 999 groups) and `/users/delta` with the mapped
//!   properties at 999 users a page. Nesting is flattened here (cycles safe), so 2,000 groups cost a few
//!   dozen calls rather than one per group. Both rounds end in deltaLinks, which go into the cursor with the
//!   part of the group graph the selected groups reach.
//! - an incremental fetch replays both deltaLinks: only changed groups (their membership changes) and
//!   changed users come back. Members the sync does not know yet, and who did not change, are read with
//!   `$batch` (20 a call). An expired token (`410 Gone`), a cursor from another selection or mapping, or a
//!   newly nested group the cursor does not hold fall back to a full fetch, so the result is always what a
//!   full fetch would give.
//!
//! What it owns: Graph URLs and shapes ([`client`]), the pure mapping to Roster's source types and the
//! group graph ([`map`]), the connection settings and consent ([`settings`]).
//!
//! What it must not do: touch the store, obtain tokens (that is `roster-oauth`, behind
//! [`roster_cloud::Bearer`]), or log a token.

pub mod client;
pub mod map;
pub mod settings;

use async_trait::async_trait;
use client::{Answer, GraphClient, RoundEnd};
use map::{Cursor, GroupGraph, GroupItem, Names, Object, Standing};
use roster_cloud::{Bearer, Pause};
use roster_core::source::{
    Connector, ConnectorError, FetchRequest, GroupSummary, Since, SourceBatch, SourceGroup,
    SourceLookup, SourceUser,
};
pub use settings::{default_attributes, Cloud, Settings};

/// Whether `value` has the shape of a Microsoft Graph object id (a GUID): a group given by such a value
/// that names no group is taken as an id.
pub fn is_group_id(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// An Entra ID tenant, read through Microsoft Graph.
pub struct EntraConnector {
    settings: Settings,
    graph: GraphClient,
}

impl std::fmt::Debug for EntraConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntraConnector")
            .field("tenant", &self.settings.tenant)
            .field("graph", &self.graph.base())
            .finish_non_exhaustive()
    }
}

/// A full read's result before it becomes a batch.
struct Read {
    graph: GroupGraph,
    standing: HashMap<u32, Standing>,
    users: HashMap<u32, SourceUser>,
    links: (String, String),
}

impl EntraConnector {
    /// A connector for `settings`, authorizing with `bearer` and waiting (throttling) through `pause`.
    pub fn new(
        settings: Settings,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> Result<Self, ConnectorError> {
        settings.validate().map_err(ConnectorError::Configuration)?;
        let graph = GraphClient::new(&settings.graph(), bearer, pause)?;
        Ok(EntraConnector { settings, graph })
    }

    /// Graph calls made so far (for the benchmarks).
    pub fn api_calls(&self) -> u64 {
        self.graph.calls()
    }

    fn in_scope(&self, s: Standing) -> bool {
        match s {
            Standing::Member => true,
            Standing::Guest => self.settings.include_guests,
            Standing::Gone | Standing::Unknown => false,
        }
    }

    /// Reads the whole tenant: the group graph, then the users the selected groups reach.
    async fn read_all(&self, selected: &[String], select: &str) -> Result<Read, ConnectorError> {
        // Graph may expire a token mid-round; start over once, then give up for this run.
        for _ in 0..2 {
            let mut graph = GroupGraph::default();
            let first = self.graph.url(
                "groups/delta",
                &[("$select", "displayName,description,members")],
            );
            let end = self
                .graph
                .delta::<GroupItem, _>(&first, |items| {
                    for i in items {
                        graph.apply(i, |_| true);
                    }
                })
                .await?;
            let RoundEnd::Link(groups_link) = end else {
                continue;
            };
            graph.settle();
            let reach: HashSet<u32> = map::reachable_users(&graph, selected).into_iter().collect();
            let mut standing: HashMap<u32, Standing> = HashMap::new();
            let mut users: HashMap<u32, SourceUser> = HashMap::new();
            let mut names = Names::default();
            let top = client::PAGE.to_string();
            let first = self
                .graph
                .url("users/delta", &[("$select", select), ("$top", &top)]);
            let end = self
                .graph
                .delta::<Object, _>(&first, |page| {
                    for u in page {
                        let Some(i) = map::id_of(&u).and_then(|id| graph.lookup(id)) else {
                            continue;
                        };
                        if !reach.contains(&i) || map::is_removed(&u) {
                            continue;
                        }
                        let s = if map::is_guest(&u) {
                            Standing::Guest
                        } else {
                            Standing::Member
                        };
                        standing.insert(i, s);
                        if self.in_scope(s) {
                            users.insert(
                                i,
                                map::user(&u, graph.ids[i as usize].clone(), &mut names),
                            );
                        }
                    }
                })
                .await?;
            let RoundEnd::Link(users_link) = end else {
                continue;
            };
            return Ok(Read {
                graph,
                standing,
                users,
                links: (users_link, groups_link),
            });
        }
        Err(ConnectorError::Unreachable(
            "Microsoft Graph asked Roster twice to start reading the directory again. The next sync will try again.".into(),
        ))
    }

    async fn fetch_full(
        &self,
        selected: &[String],
        select: &str,
    ) -> Result<SourceBatch, ConnectorError> {
        let Read {
            graph,
            standing,
            mut users,
            links,
        } = self.read_all(selected, select).await?;
        let (groups, missing_groups) =
            map::source_groups(&graph, selected, |u| users.contains_key(&u));
        let cursor = Cursor::new(
            &graph,
            &standing,
            selected,
            links,
            select,
            self.settings.include_guests,
        );
        let mut out: Vec<SourceUser> = users.drain().map(|(_, u)| u).collect();
        out.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        Ok(SourceBatch {
            users: out,
            unchanged: Vec::new(),
            groups,
            missing_groups,
            cursor: Some(cursor.encode()),
            incremental: false,
        })
    }

    /// An incremental fetch; `None` when only a full fetch can give the right answer.
    async fn fetch_since(
        &self,
        selected: &[String],
        select: &str,
        since: &Since,
    ) -> Result<Option<SourceBatch>, ConnectorError> {
        let Some(cursor) = Cursor::decode(&since.cursor) else {
            return Ok(None);
        };
        let mut wanted = selected.to_vec();
        wanted.sort();
        wanted.dedup();
        let base = self.graph.base();
        if cursor.selected != wanted
            || cursor.select != select
            || cursor.guests != self.settings.include_guests
            || !cursor.users_link.starts_with(base)
            || !cursor.groups_link.starts_with(base)
        {
            tracing::info!("the selection, mapping or tenant changed since the cursor: full fetch");
            return Ok(None);
        }
        let (mut graph, mut standing) = cursor.graph();
        let selected_set: HashSet<&str> = selected.iter().map(String::as_str).collect();
        let end = self
            .graph
            .delta::<GroupItem, _>(&cursor.groups_link, |items| {
                for i in items {
                    graph.apply(i, |id| selected_set.contains(id));
                }
            })
            .await?;
        let RoundEnd::Link(groups_link) = end else {
            tracing::info!("Graph no longer knows the groups delta token: full fetch");
            return Ok(None);
        };
        graph.settle();
        let (_, unreachable) = graph.closure(selected);
        if unreachable
            .iter()
            .any(|g| !selected_set.contains(g.as_str()))
        {
            tracing::info!("a group the cursor does not hold is now nested: full fetch");
            return Ok(None);
        }
        let mut changed: HashMap<u32, Object> = HashMap::new();
        let end = self
            .graph
            .delta::<Object, _>(&cursor.users_link, |page| {
                for u in page {
                    let Some(i) = map::id_of(&u).and_then(|id| graph.lookup(id)) else {
                        continue; // Not in any group the selection reaches.
                    };
                    if map::is_removed(&u) {
                        standing.insert(i, Standing::Gone);
                        changed.remove(&i);
                    } else {
                        standing.insert(
                            i,
                            if map::is_guest(&u) {
                                Standing::Guest
                            } else {
                                Standing::Member
                            },
                        );
                        changed.insert(i, u);
                    }
                }
            })
            .await?;
        let RoundEnd::Link(users_link) = end else {
            tracing::info!("Graph no longer knows the users delta token: full fetch");
            return Ok(None);
        };

        let reach = map::reachable_users(&graph, selected);
        // Members to read now: never seen (or gone and back), or in scope but unknown to the sync.
        let mut fetch: Vec<u32> = Vec::new();
        for &i in &reach {
            if changed.contains_key(&i) {
                continue;
            }
            let s = standing.get(&i).copied().unwrap_or(Standing::Unknown);
            let unknown_to_sync = !since.known.contains(&graph.ids[i as usize]);
            if matches!(s, Standing::Unknown | Standing::Gone)
                || (self.in_scope(s) && unknown_to_sync)
            {
                fetch.push(i);
            }
        }
        let requests: Vec<(String, Vec<(&str, &str)>)> = fetch
            .iter()
            .map(|&i| {
                (
                    format!("/users/{}?$select={select}", graph.ids[i as usize]),
                    Vec::new(),
                )
            })
            .collect();
        let answers = self.graph.batch_get(&requests).await?;
        for (&i, Answer { status, body }) in fetch.iter().zip(answers) {
            match status {
                200 => {
                    let u: Object = serde_json::from_value(body).map_err(|e| {
                        ConnectorError::Protocol(format!("Microsoft Graph sent a user Roster could not read ({e}). Nothing was changed; the next sync will try again."))
                    })?;
                    standing.insert(
                        i,
                        if map::is_guest(&u) {
                            Standing::Guest
                        } else {
                            Standing::Member
                        },
                    );
                    changed.insert(i, u);
                }
                404 => {
                    standing.insert(i, Standing::Gone);
                }
                s => {
                    return Err(ConnectorError::Unreachable(format!(
                        "Microsoft Graph answered {s} when Roster read a group member. The next sync will try again."
                    )))
                }
            }
        }

        let mut names = Names::default();
        let mut users = Vec::new();
        let mut unchanged = Vec::new();
        let mut scope: HashSet<u32> = HashSet::new();
        for &i in &reach {
            let s = standing.get(&i).copied().unwrap_or(Standing::Unknown);
            if !self.in_scope(s) {
                continue;
            }
            scope.insert(i);
            let id = graph.ids[i as usize].clone();
            match changed.get(&i) {
                Some(u) => users.push(map::user(u, id, &mut names)),
                None => unchanged.push(id),
            }
        }
        let (groups, missing_groups) = map::source_groups(&graph, selected, |u| scope.contains(&u));
        let next = Cursor::new(
            &graph,
            &standing,
            selected,
            (users_link, groups_link),
            select,
            self.settings.include_guests,
        );
        users.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        Ok(Some(SourceBatch {
            users,
            unchanged,
            groups,
            missing_groups,
            cursor: Some(next.encode()),
            incremental: true,
        }))
    }

    /// The selected groups' names, for an individual lookup: those the user is in come from the user's
    /// transitive memberships; the others are read one by one (a deleted one is left out).
    async fn lookup_groups(
        &self,
        selected: &[String],
        user_id: Option<&str>,
    ) -> Result<Vec<(SourceGroup, bool)>, ConnectorError> {
        let mut member_of: HashMap<String, (String, Option<String>)> = HashMap::new();
        if let Some(id) = user_id {
            let top = client::PAGE.to_string();
            let url = self.graph.url(
                &format!("users/{id}/transitiveMemberOf"),
                &[("$select", "id,displayName,description"), ("$top", &top)],
            );
            for g in self.graph.all::<Object>(&url, &[]).await? {
                if let Some(gid) = map::id_of(&g) {
                    let name = g.get("displayName").and_then(|v| v.as_str()).unwrap_or("");
                    let desc = g
                        .get("description")
                        .and_then(|v| v.as_str())
                        .map(str::to_string);
                    member_of.insert(gid.to_string(), (name.to_string(), desc));
                }
            }
        }
        let mut out = Vec::new();
        for g in selected {
            let members: Vec<Arc<str>> = user_id.map(Arc::from).into_iter().collect();
            if let Some((name, description)) = member_of.get(g) {
                out.push((
                    SourceGroup {
                        external_id: g.clone(),
                        name: name.clone(),
                        description: description.clone().filter(|d| !d.is_empty()),
                        members,
                    },
                    true,
                ));
                continue;
            }
            let url = self.graph.url(
                &format!("groups/{g}"),
                &[("$select", "id,displayName,description")],
            );
            if let Some(o) = self.graph.object(&url).await? {
                out.push((
                    SourceGroup {
                        external_id: g.clone(),
                        name: o
                            .get("displayName")
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_string(),
                        description: o
                            .get("description")
                            .and_then(|v| v.as_str())
                            .filter(|d| !d.is_empty())
                            .map(str::to_string),
                        members: Vec::new(),
                    },
                    false,
                ));
            }
        }
        Ok(out)
    }
}

fn unique(groups: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    groups
        .iter()
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty() && seen.insert(g.clone()))
        .collect()
}

/// An OData string literal (single quotes doubled).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[async_trait]
impl Connector for EntraConnector {
    async fn fetch(&self, request: &FetchRequest) -> Result<SourceBatch, ConnectorError> {
        let selected = unique(&request.groups);
        let select = map::user_select(&request.attributes);
        if let Some(since) = &request.since {
            if let Some(batch) = self.fetch_since(&selected, &select, since).await? {
                return Ok(batch);
            }
        }
        self.fetch_full(&selected, &select).await
    }

    /// Looks a user up by a property (a Graph `$filter` with `eq`, as an advanced query). In the groups it
    /// returns, `members` holds only the looked-up user (when a member): individual syncs need no more.
    async fn fetch_user(
        &self,
        request: &FetchRequest,
        username_attribute: &str,
        username: &str,
    ) -> Result<SourceLookup, ConnectorError> {
        let selected = unique(&request.groups);
        let mut attributes = request.attributes.clone();
        attributes.push(username_attribute.to_string());
        let select = map::user_select(&attributes);
        let attr = username_attribute.trim();
        let property = attr.split('.').next().unwrap_or(attr);
        let filter = format!("{property} eq {}", literal(username.trim()));
        let url = self.graph.url(
            "users",
            &[
                ("$filter", &filter),
                ("$select", &select),
                ("$count", "true"),
            ],
        );
        let found: Vec<Object> = self.graph.first(&url, &GraphClient::eventual()).await?;
        let user = found
            .into_iter()
            .find(|u| !map::is_guest(u) || self.settings.include_guests)
            .and_then(|u| {
                let id = map::id_of(&u)?.to_string();
                Some(map::user(&u, Arc::from(id.as_str()), &mut Names::default()))
            });
        let groups = self
            .lookup_groups(&selected, user.as_ref().map(|u| u.external_id.as_ref()))
            .await?;
        Ok(SourceLookup { user, groups })
    }

    /// Groups whose display name has a word starting with `query` (Graph's `$search`, an advanced query),
    /// in name order, reading pages until `limit` are found or none are left.
    async fn search_groups(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let q = query.trim();
        let top = limit.clamp(1, client::PAGE).to_string();
        let search = format!("\"displayName:{}\"", q.replace('"', "\\\""));
        let url = if q.is_empty() {
            self.graph
                .url("groups", &[("$select", "id,displayName"), ("$top", &top)])
        } else {
            self.graph.url(
                "groups",
                &[
                    ("$search", &search),
                    ("$select", "id,displayName"),
                    ("$top", &top),
                ],
            )
        };
        let found: Vec<Object> = self
            .graph
            .up_to(&url, &GraphClient::eventual(), limit)
            .await?;
        let mut found = ids_and_names(&found);
        found.truncate(limit);
        self.summaries(found).await
    }

    /// Every group whose display name is `name`, ignoring case: `$filter=displayName eq '…'` with a quote
    /// in the name doubled, as OData writes it. Unlike `$search`, `eq` on `displayName` is a default query
    /// for groups (the group resource lists it among the properties' supported filters), so it needs no
    /// `ConsistencyLevel` header and reads the directory itself rather than a search index that lags. Every
    /// page is read, so each group of that name comes back however many there are. Graph compares ignoring
    /// case; the names are compared again here, so that only exact names come back whatever Graph did.
    async fn groups_named(&self, name: &str) -> Result<Vec<GroupSummary>, ConnectorError> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Vec::new());
        }
        let filter = format!("displayName eq {}", literal(name));
        let top = client::PAGE.to_string();
        let url = self.graph.url(
            "groups",
            &[
                ("$filter", &filter),
                ("$select", "id,displayName"),
                ("$top", &top),
            ],
        );
        let found: Vec<Object> = self.graph.all(&url, &[]).await?;
        let wanted = name.to_lowercase();
        let found = ids_and_names(&found)
            .into_iter()
            .filter(|(_, n)| n.to_lowercase() == wanted)
            .collect();
        self.summaries(found).await
    }
}

/// The ids and display names of Graph groups (objects without either are skipped).
fn ids_and_names(groups: &[Object]) -> Vec<(String, String)> {
    groups
        .iter()
        .filter_map(|g| {
            Some((
                map::id_of(g)?.to_string(),
                g.get("displayName")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

impl EntraConnector {
    /// Groups as the picker shows them, in name order, with their direct member counts (`$count` of each
    /// group's members, 20 groups a `$batch`); a count Graph does not give is left out.
    async fn summaries(
        &self,
        found: Vec<(String, String)>,
    ) -> Result<Vec<GroupSummary>, ConnectorError> {
        let requests: Vec<(String, Vec<(&str, &str)>)> = found
            .iter()
            .map(|(id, _)| {
                (
                    format!("/groups/{id}/members/$count"),
                    GraphClient::eventual().to_vec(),
                )
            })
            .collect();
        let counts = self.graph.batch_get(&requests).await?;
        let mut out: Vec<GroupSummary> = found
            .into_iter()
            .zip(counts)
            .map(|((external_id, name), a)| GroupSummary {
                external_id,
                name,
                member_count: (a.status == 200)
                    .then(|| match &a.body {
                        serde_json::Value::Number(n) => n.as_u64(),
                        serde_json::Value::String(s) => s.trim().parse().ok(),
                        _ => None,
                    })
                    .flatten(),
            })
            .collect();
        out.sort_by_key(|g| g.name.to_lowercase());
        Ok(out)
    }
}
