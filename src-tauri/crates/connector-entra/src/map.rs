//! Pure conversion of Microsoft Graph JSON into Roster's source types, and the group graph that delta
//! rounds update.
//!
//! - Users: every returned property becomes an attribute named as Graph names it (arrays repeat the name,
//!   objects are flattened as `parent.child`); `accountEnabled=false` means disabled; `userType` `Guest`
//!   marks a guest, kept out of scope unless the connection includes guests.
//! - Groups: [`GroupGraph`] holds the direct members of groups (user members as indexes into one table of
//!   ids, so a million memberships cost four bytes each), applies `members@delta` pages (a group's members
//!   may span pages; additions and removals merge by id), and flattens nested groups with cycles safe.
//! - [`Cursor`]: what an incremental fetch needs from the last one: both deltaLinks and the part of the
//!   graph reachable from the selected groups, with what is known about each user in it.
//!
//! Invariant: after [`GroupGraph::settle`] every node's member lists are sorted and free of duplicates.

use roster_core::source::{SourceGroup, SourceUser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A Graph object as JSON.
pub type Object = Map<String, Value>;

/// One page of a Graph collection.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// The objects.
    pub value: Vec<T>,
    /// The next page, if any (follow verbatim).
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    /// The end of a delta round: where the next round starts.
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
}

/// A group as `/groups/delta?$select=displayName,description,members` returns it.
#[derive(Debug, Deserialize)]
pub struct GroupItem {
    /// Object id.
    pub id: String,
    /// Display name (absent on a continuation of the group's members).
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Membership changes (all members in the first round).
    #[serde(rename = "members@delta", default)]
    pub members: Vec<MemberRef>,
    /// Present when the group was deleted.
    #[serde(rename = "@removed", default)]
    pub removed: Option<Value>,
}

/// One entry of `members@delta`.
#[derive(Debug, Deserialize)]
pub struct MemberRef {
    /// `#microsoft.graph.user`, `#microsoft.graph.group`, or another directory object type.
    #[serde(rename = "@odata.type", default)]
    pub kind: Option<String>,
    /// Object id.
    pub id: String,
    /// Present when the member left the group.
    #[serde(rename = "@removed", default)]
    pub removed: Option<Value>,
}

/// Whether a Graph user is a guest (B2B).
pub fn is_guest(u: &Object) -> bool {
    u.get("userType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
}

/// Whether a delta entry reports a removal (`@removed`).
pub fn is_removed(u: &Object) -> bool {
    u.contains_key("@removed")
}

/// The object's id.
pub fn id_of(u: &Object) -> Option<&str> {
    u.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Attribute names shared by every user (one allocation per name, not per user).
#[derive(Debug, Default)]
pub struct Names(HashMap<String, Arc<str>>);

impl Names {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(a) = self.0.get(name) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(name);
        self.0.insert(name.to_string(), a.clone());
        a
    }
}

fn push_value(out: &mut Vec<(Arc<str>, String)>, names: &mut Names, key: &str, v: &Value) {
    match v {
        Value::String(s) => out.push((names.get(key), s.clone())),
        Value::Bool(b) => out.push((names.get(key), b.to_string())),
        Value::Number(n) => out.push((names.get(key), n.to_string())),
        Value::Array(items) => {
            for i in items {
                if !matches!(i, Value::Array(_) | Value::Object(_)) {
                    push_value(out, names, key, i);
                }
            }
        }
        Value::Object(m) => {
            for (k, inner) in m {
                if !matches!(inner, Value::Object(_)) {
                    push_value(out, names, &format!("{key}.{k}"), inner);
                }
            }
        }
        Value::Null => {}
    }
}

/// A Graph user as a [`SourceUser`] whose external id is `id` (the caller's shared copy of the object id).
pub fn user(u: &Object, id: Arc<str>, names: &mut Names) -> SourceUser {
    let mut attributes = Vec::with_capacity(u.len());
    for (k, v) in u {
        if k == "id" || k.starts_with('@') {
            continue;
        }
        push_value(&mut attributes, names, k, v);
    }
    SourceUser {
        external_id: id,
        attributes,
        disabled: u.get("accountEnabled") == Some(&Value::Bool(false)),
        locator: u
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// The `$select` for users: the properties the mapping needs (top-level names of dotted ones), plus those
/// the connector itself relies on.
pub fn user_select(attributes: &[String]) -> String {
    let mut out: Vec<String> = ["id", "userPrincipalName", "accountEnabled", "userType"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for a in attributes {
        let top = a.trim().split('.').next().unwrap_or("").trim();
        if top.is_empty() || top.starts_with('@') {
            continue;
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(top)) {
            out.push(top.to_string());
        }
    }
    out.join(",")
}

/// A group's direct members as the graph holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Direct member users (indexes into [`GroupGraph::ids`]).
    pub users: Vec<u32>,
    /// Direct member groups (object ids).
    pub groups: Vec<String>,
    gone_users: Vec<u32>,
    gone_groups: Vec<String>,
}

/// Groups and their direct members.
#[derive(Debug, Default)]
pub struct GroupGraph {
    /// Every user id the graph mentions, shared with the [`SourceUser`]s built from them.
    pub ids: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    /// Groups by object id.
    pub nodes: HashMap<String, Node>,
    dirty: HashSet<String>,
}

impl GroupGraph {
    /// The index of a user id, adding it if new.
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let a: Arc<str> = Arc::from(id);
        self.ids.push(a.clone());
        self.index.insert(a, i);
        i
    }

    /// The index of a user id the graph already mentions.
    pub fn lookup(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Applies one delta item. `accept` decides whether a group the graph does not hold yet is taken in
    /// (all of them on a full read; on an incremental one only selected groups, the rest being out of
    /// reach). Returns whether the item was applied.
    pub fn apply<F: Fn(&str) -> bool>(&mut self, item: GroupItem, accept: F) -> bool {
        if item.removed.is_some() {
            self.dirty.remove(&item.id);
            return self.nodes.remove(&item.id).is_some();
        }
        if !self.nodes.contains_key(&item.id) && !accept(&item.id) {
            return false;
        }
        let mut users = Vec::new();
        let mut gone_users = Vec::new();
        let mut groups = Vec::new();
        let mut gone_groups = Vec::new();
        for m in item.members {
            let kind = m.kind.as_deref().unwrap_or("#microsoft.graph.user");
            if kind.eq_ignore_ascii_case("#microsoft.graph.user") {
                let i = self.intern(&m.id);
                if m.removed.is_some() {
                    gone_users.push(i);
                } else {
                    users.push(i);
                }
            } else if kind.eq_ignore_ascii_case("#microsoft.graph.group") {
                if m.removed.is_some() {
                    gone_groups.push(m.id);
                } else {
                    groups.push(m.id);
                }
            }
            // Contacts, devices and service principals are not people Roster syncs.
        }
        let node = self.nodes.entry(item.id.clone()).or_default();
        if let Some(name) = item.display_name {
            node.name = name;
            node.description = item.description.filter(|d| !d.is_empty());
        }
        node.users.extend(users);
        node.gone_users.extend(gone_users);
        node.groups.extend(groups);
        node.gone_groups.extend(gone_groups);
        self.dirty.insert(item.id);
        true
    }

    /// Finishes a delta round: sorts and dedupes the changed groups' members and applies removals.
    pub fn settle(&mut self) {
        for id in std::mem::take(&mut self.dirty) {
            if let Some(n) = self.nodes.get_mut(&id) {
                n.users.sort_unstable();
                n.users.dedup();
                n.groups.sort_unstable();
                n.groups.dedup();
                if !n.gone_users.is_empty() {
                    let gone: HashSet<u32> = n.gone_users.drain(..).collect();
                    n.users.retain(|u| !gone.contains(u));
                }
                if !n.gone_groups.is_empty() {
                    let gone: HashSet<String> = n.gone_groups.drain(..).collect();
                    n.groups.retain(|g| !gone.contains(g));
                }
            }
        }
    }

    /// Groups reachable from `roots` (themselves included), and those reachable but not held.
    pub fn closure(&self, roots: &[String]) -> (HashSet<String>, Vec<String>) {
        let mut seen = HashSet::new();
        let mut missing = Vec::new();
        let mut stack: Vec<&str> = roots.iter().map(String::as_str).collect();
        while let Some(g) = stack.pop() {
            if !seen.insert(g.to_string()) {
                continue;
            }
            match self.nodes.get(g) {
                Some(n) => stack.extend(n.groups.iter().map(String::as_str)),
                None => missing.push(g.to_string()),
            }
        }
        (seen, missing)
    }

    /// Every user reachable from `root` through nesting, each once, cycles safe.
    pub fn flatten(&self, root: &str, mark: &mut Marks) -> Vec<u32> {
        mark.next();
        let mut out = Vec::new();
        let mut visited: HashSet<&str> = HashSet::new();
        let mut stack = vec![root];
        while let Some(g) = stack.pop() {
            if !visited.insert(g) {
                continue;
            }
            if let Some(n) = self.nodes.get(g) {
                for &u in &n.users {
                    if mark.first(u) {
                        out.push(u);
                    }
                }
                stack.extend(n.groups.iter().map(String::as_str));
            }
        }
        out
    }
}

/// "Seen" marks for flattening, reused across groups (one generation number per user).
#[derive(Debug, Default)]
pub struct Marks {
    seen: Vec<u32>,
    generation: u32,
}

impl Marks {
    fn next(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
    }
    fn first(&mut self, u: u32) -> bool {
        let i = u as usize;
        if self.seen.len() <= i {
            self.seen.resize(i + 1, 0);
        }
        if self.seen[i] == self.generation {
            false
        } else {
            self.seen[i] = self.generation;
            true
        }
    }
}

/// What is known about a user the graph mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not read yet (a new member, or one the user list did not have).
    Unknown,
    /// A member of the tenant (`userType` Member).
    Member,
    /// A guest.
    Guest,
    /// Deleted.
    Gone,
}

/// The selected groups as Roster wants them: members flattened and limited to users `in_scope`.
pub fn source_groups<F: Fn(u32) -> bool>(
    graph: &GroupGraph,
    selected: &[String],
    in_scope: F,
) -> (Vec<SourceGroup>, Vec<String>) {
    let mut marks = Marks::default();
    let mut groups = Vec::new();
    let mut missing = Vec::new();
    for g in selected {
        match graph.nodes.get(g) {
            None => missing.push(g.clone()),
            Some(n) => {
                let members = graph
                    .flatten(g, &mut marks)
                    .into_iter()
                    .filter(|u| in_scope(*u))
                    .map(|u| graph.ids[u as usize].clone())
                    .collect();
                groups.push(SourceGroup {
                    external_id: g.clone(),
                    name: n.name.clone(),
                    description: n.description.clone(),
                    members,
                });
            }
        }
    }
    (groups, missing)
}

/// Every user index reachable from the selected groups.
pub fn reachable_users(graph: &GroupGraph, selected: &[String]) -> Vec<u32> {
    let mut marks = Marks::default();
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    for g in selected {
        for u in graph.flatten(g, &mut marks) {
            if seen.insert(u) {
                all.push(u);
            }
        }
    }
    all
}

/// A stored group.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredGroup {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    users: Vec<u32>,
    groups: Vec<String>,
}

/// Where an incremental fetch starts: both deltaLinks and the reachable part of the group graph.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    /// Format version.
    pub v: u32,
    /// The users deltaLink.
    pub users_link: String,
    /// The groups deltaLink.
    pub groups_link: String,
    /// The selected groups it was made for (sorted).
    pub selected: Vec<String>,
    /// The users `$select` the users deltaLink carries.
    pub select: String,
    /// Whether guests were in scope.
    pub guests: bool,
    ids: Vec<String>,
    /// Standing per id: `m` member, `g` guest, `x` gone, `?` unknown.
    standing: String,
    groups: Vec<StoredGroup>,
}

/// The cursor format this version writes.
pub const CURSOR_VERSION: u32 = 1;

impl Cursor {
    /// A cursor holding the groups reachable from `selected` and the users they mention.
    pub fn new(
        graph: &GroupGraph,
        standing: &HashMap<u32, Standing>,
        selected: &[String],
        links: (String, String),
        select: &str,
        guests: bool,
    ) -> Cursor {
        let (reach, _) = graph.closure(selected);
        let mut renumber: HashMap<u32, u32> = HashMap::new();
        let mut ids = Vec::new();
        let mut marks = String::new();
        let mut groups = Vec::new();
        let mut reach: Vec<&String> = reach.iter().collect();
        reach.sort();
        for g in reach {
            let Some(n) = graph.nodes.get(g) else {
                continue;
            };
            let users = n
                .users
                .iter()
                .map(|u| {
                    *renumber.entry(*u).or_insert_with(|| {
                        ids.push(graph.ids[*u as usize].to_string());
                        marks.push(
                            match standing.get(u).copied().unwrap_or(Standing::Unknown) {
                                Standing::Member => 'm',
                                Standing::Guest => 'g',
                                Standing::Gone => 'x',
                                Standing::Unknown => '?',
                            },
                        );
                        u32::try_from(ids.len() - 1).unwrap_or(u32::MAX)
                    })
                })
                .collect();
            groups.push(StoredGroup {
                id: g.clone(),
                name: n.name.clone(),
                description: n.description.clone(),
                users,
                groups: n.groups.clone(),
            });
        }
        let mut sel = selected.to_vec();
        sel.sort();
        sel.dedup();
        Cursor {
            v: CURSOR_VERSION,
            users_link: links.0,
            groups_link: links.1,
            selected: sel,
            select: select.to_string(),
            guests,
            ids,
            standing: marks,
            groups,
        }
    }

    /// The cursor as the opaque string Roster stores.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored cursor; `None` if it is not one this version wrote.
    pub fn decode(s: &str) -> Option<Cursor> {
        let c: Cursor = serde_json::from_str(s).ok()?;
        (c.v == CURSOR_VERSION && c.ids.len() == c.standing.chars().count()).then_some(c)
    }

    /// The graph and standings it holds.
    pub fn graph(&self) -> (GroupGraph, HashMap<u32, Standing>) {
        let mut graph = GroupGraph::default();
        let mut standing = HashMap::new();
        for (id, m) in self.ids.iter().zip(self.standing.chars()) {
            let i = graph.intern(id);
            let s = match m {
                'm' => Standing::Member,
                'g' => Standing::Guest,
                'x' => Standing::Gone,
                _ => Standing::Unknown,
            };
            standing.insert(i, s);
        }
        for g in &self.groups {
            graph.nodes.insert(
                g.id.clone(),
                Node {
                    name: g.name.clone(),
                    description: g.description.clone(),
                    users: g.users.clone(),
                    groups: g.groups.clone(),
                    gone_users: Vec::new(),
                    gone_groups: Vec::new(),
                },
            );
        }
        (graph, standing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> GroupItem {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn users_map_graph_properties_to_attributes() {
        let u: Object = serde_json::from_value(json!({
            "id": "u1", "userPrincipalName": "ada@contoso.com", "accountEnabled": false,
            "businessPhones": ["+1 555", "+1 556"], "mobilePhone": null, "userType": "Member",
            "onPremisesExtensionAttributes": {"extensionAttribute1": "x", "extensionAttribute2": null}
        }))
        .unwrap();
        let mut names = Names::default();
        let s = user(&u, Arc::from("u1"), &mut names);
        assert!(s.disabled, "accountEnabled=false is disabled");
        assert_eq!(s.first("userprincipalname"), Some("ada@contoso.com"));
        assert_eq!(
            s.all("businessPhones").collect::<Vec<_>>(),
            vec!["+1 555", "+1 556"]
        );
        assert_eq!(s.first("mobilePhone"), None);
        assert_eq!(
            s.first("onPremisesExtensionAttributes.extensionAttribute1"),
            Some("x")
        );
        assert!(!is_guest(&u));
        let g: Object = serde_json::from_value(json!({"id": "g", "userType": "Guest"})).unwrap();
        assert!(is_guest(&g));
        assert!(
            !user(&g, Arc::from("g"), &mut names).disabled,
            "no accountEnabled: not disabled"
        );
        assert_eq!(
            user_select(&[
                "mail".into(),
                "USERPRINCIPALNAME".into(),
                "onPremisesExtensionAttributes.extensionAttribute1".into()
            ]),
            "id,userPrincipalName,accountEnabled,userType,mail,onPremisesExtensionAttributes"
        );
    }

    #[test]
    fn delta_pages_merge_and_nesting_flattens_with_cycles() {
        let mut g = GroupGraph::default();
        let all = |_: &str| true;
        g.apply(
            item(json!({"id": "a", "displayName": "A", "members@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": "u1"},
            {"@odata.type": "#microsoft.graph.group", "id": "b"}]})),
            all,
        );
        // The same group continues on the next page.
        g.apply(item(json!({"id": "a", "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "u2"}]})), all);
        g.apply(
            item(json!({"id": "b", "displayName": "B", "members@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": "u3"},
            {"@odata.type": "#microsoft.graph.orgContact", "id": "c1"},
            {"@odata.type": "#microsoft.graph.group", "id": "a"}]})),
            all,
        );
        g.settle();
        assert_eq!(g.nodes["a"].name, "A", "a continuation keeps the name");
        let mut m = Marks::default();
        let names = |g: &GroupGraph, v: Vec<u32>| {
            let mut v: Vec<String> = v
                .into_iter()
                .map(|i| g.ids[i as usize].to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(&g, g.flatten("a", &mut m)), vec!["u1", "u2", "u3"]);
        assert_eq!(
            names(&g, g.flatten("b", &mut m)),
            vec!["u1", "u2", "u3"],
            "the cycle is harmless"
        );
        // A later round: u1 leaves a, b is deleted.
        g.apply(item(json!({"id": "a", "displayName": "A2", "members@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": "u1", "@removed": {"reason": "deleted"}}]})), all);
        g.apply(
            item(json!({"id": "b", "@removed": {"reason": "changed"}})),
            all,
        );
        g.settle();
        assert_eq!(names(&g, g.flatten("a", &mut m)), vec!["u2"]);
        let (reach, missing) = g.closure(&["a".into()]);
        assert!(reach.contains("b") && missing == vec!["b".to_string()]);
        let (groups, gone) = source_groups(&g, &["a".into(), "b".into()], |_| true);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].name, "A2");
        assert_eq!(gone, vec!["b".to_string()]);
    }

    #[test]
    fn cursors_round_trip_the_reachable_graph() {
        let mut g = GroupGraph::default();
        for (id, users, groups) in [
            ("a", vec!["u1", "u2"], vec!["b"]),
            ("b", vec!["u3"], vec![]),
            ("z", vec!["u9"], vec![]),
        ] {
            let mut members: Vec<Value> = users
                .iter()
                .map(|u| json!({"@odata.type": "#microsoft.graph.user", "id": u}))
                .collect();
            members.extend(
                groups
                    .iter()
                    .map(|x| json!({"@odata.type": "#microsoft.graph.group", "id": x})),
            );
            g.apply(
                item(json!({"id": id, "displayName": id, "members@delta": members})),
                |_| true,
            );
        }
        g.settle();
        let mut standing = HashMap::new();
        standing.insert(g.lookup("u2").unwrap(), Standing::Guest);
        standing.insert(g.lookup("u1").unwrap(), Standing::Member);
        let c = Cursor::new(
            &g,
            &standing,
            &["a".into()],
            ("U".into(), "G".into()),
            "id",
            false,
        );
        let back = Cursor::decode(&c.encode()).unwrap();
        let (g2, s2) = back.graph();
        assert!(
            g2.nodes.contains_key("b") && !g2.nodes.contains_key("z"),
            "only what the selection reaches"
        );
        assert_eq!(s2[&g2.lookup("u2").unwrap()], Standing::Guest);
        assert_eq!(s2[&g2.lookup("u3").unwrap()], Standing::Unknown);
        assert!(g2.lookup("u9").is_none());
        let mut m = Marks::default();
        assert_eq!(g2.flatten("a", &mut m).len(), 3);
        assert!(Cursor::decode("{\"v\":99}").is_none());
        assert!(Cursor::decode("not json").is_none());
    }
}
