//! Pure conversion of the Directory API's JSON into Roster's source types. No I/O.
//!
//! The wire types keep only what Roster reads and default every field, because Google omits empty ones.
//! Fields the discovery document types as `any` (`emails`, `phones`, `organizations`, `externalIds`) are
//! read as JSON values and only their objects' string fields are taken, so an unexpected shape loses a
//! value instead of failing the sync.
//!
//! Attribute names are the API's field names, flattened with dots: `primaryEmail`, `name.givenName`,
//! `name.familyName`, `name.fullName`, `phones` (every number; also `phones.work`, `phones.mobile`…
//! by type), `emails`, `aliases`, `organizations.title`, `organizations.department`,
//! `externalIds.organization` (and `externalIds.<type>` for other types), `orgUnitPath`, `id`, `isAdmin`.

use roster_core::source::{GroupSummary, SourceGroup, SourceUser};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A user resource (`admin#directory#user`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    /// Immutable numeric id.
    pub id: String,
    /// Primary email.
    pub primary_email: String,
    /// Names.
    pub name: Name,
    /// Suspended by an admin (or automatically).
    pub suspended: bool,
    /// Archived (kept, cannot sign in).
    pub archived: bool,
    /// Super administrator.
    pub is_admin: bool,
    /// Organisational unit (`/Sales`).
    pub org_unit_path: Option<String>,
    /// Email addresses (`[{address, primary?, type?}]`).
    pub emails: Value,
    /// Phone numbers (`[{value, type}]`).
    pub phones: Value,
    /// Organisations (`[{title, department, primary?}]`).
    pub organizations: Value,
    /// External ids (`[{value, type, customType?}]`).
    pub external_ids: Value,
    /// Email aliases.
    pub aliases: Vec<String>,
}

/// A user's names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Name {
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
    /// Full name.
    pub full_name: Option<String>,
}

/// A page of `users.list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UsersPage {
    /// The users (absent when there are none).
    pub users: Vec<User>,
    /// Token of the next page; absent on the last.
    pub next_page_token: Option<String>,
}

/// A group resource (`admin#directory#group`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Group {
    /// Immutable id.
    pub id: String,
    /// Group email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Direct members (an int64, so a JSON string; a number is accepted too).
    pub direct_members_count: Option<Value>,
}

impl Group {
    /// The direct member count, if Google said.
    pub fn member_count(&self) -> Option<u64> {
        match &self.direct_members_count {
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        }
    }
}

/// A page of `groups.list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupsPage {
    /// The groups.
    pub groups: Vec<Group>,
    /// Token of the next page.
    pub next_page_token: Option<String>,
}

/// A member resource (`admin#directory#member`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Member {
    /// The member's id (a user's or a group's id).
    pub id: Option<String>,
    /// The member's email.
    pub email: Option<String>,
    /// `USER`, `GROUP`, `CUSTOMER` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `OWNER`, `MANAGER` or `MEMBER`.
    pub role: Option<String>,
    /// `ACTIVE`, `SUSPENDED`…
    pub status: Option<String>,
}

/// A page of `members.list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MembersPage {
    /// The members.
    pub members: Vec<Member>,
    /// Token of the next page.
    pub next_page_token: Option<String>,
}

/// `members.hasMember`'s answer.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IsMember {
    /// Whether the user is a member, directly or through nested groups.
    pub is_member: bool,
}

/// The user ids among a members page, in order: entries of type `USER` with an id. Groups (listed too
/// when derived membership is asked for), the whole customer and external addresses are not users Roster
/// can read.
pub fn member_users(page: &MembersPage) -> impl Iterator<Item = &str> {
    page.members
        .iter()
        .filter(|m| {
            m.kind
                .as_deref()
                .is_none_or(|k| k.eq_ignore_ascii_case("USER"))
        })
        .filter_map(|m| m.id.as_deref())
        .filter(|id| !id.is_empty())
}

/// Attribute names, interned once per fetch so that 50,000 users share them.
#[derive(Debug, Default)]
pub struct Names(HashMap<String, Arc<str>>);

impl Names {
    /// A new set.
    pub fn new() -> Names {
        Names::default()
    }

    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.0.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        self.0.insert(name.to_string(), n.clone());
        n
    }
}

fn objects(v: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn text<'a>(o: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A user as Roster sees it; suspended or archived accounts are disabled.
pub fn user(u: &User, names: &mut Names) -> SourceUser {
    let mut attrs: Vec<(Arc<str>, String)> = Vec::with_capacity(16);
    let mut push = |names: &mut Names, name: &str, value: &str| {
        let value = value.trim();
        if !value.is_empty() {
            attrs.push((names.get(name), value.to_string()));
        }
    };
    push(names, "id", &u.id);
    push(names, "primaryEmail", &u.primary_email);
    for (field, value) in [
        ("name.givenName", &u.name.given_name),
        ("name.familyName", &u.name.family_name),
        ("name.fullName", &u.name.full_name),
        ("orgUnitPath", &u.org_unit_path),
    ] {
        if let Some(v) = value {
            push(names, field, v);
        }
    }
    for o in objects(&u.emails) {
        if let Some(a) = text(o, "address") {
            push(names, "emails", a);
        }
    }
    for a in &u.aliases {
        push(names, "aliases", a);
    }
    for o in objects(&u.phones) {
        if let Some(v) = text(o, "value") {
            push(names, "phones", v);
            if let Some(t) = typed(o) {
                push(names, &format!("phones.{t}"), v);
            }
        }
    }
    for o in objects(&u.organizations) {
        for field in ["title", "department", "name", "costCenter", "location"] {
            if let Some(v) = text(o, field) {
                push(names, &format!("organizations.{field}"), v);
            }
        }
    }
    for o in objects(&u.external_ids) {
        if let (Some(v), Some(t)) = (text(o, "value"), typed(o)) {
            push(names, &format!("externalIds.{t}"), v);
        }
    }
    push(names, "isAdmin", if u.is_admin { "true" } else { "false" });
    SourceUser {
        external_id: Arc::from(u.id.as_str()),
        attributes: attrs,
        disabled: u.suspended || u.archived,
        locator: Some(u.primary_email.clone()).filter(|e| !e.is_empty()),
    }
}

/// The type of a typed entry: `type`, or the `customType` when the type is `custom`.
fn typed(o: &serde_json::Map<String, Value>) -> Option<&str> {
    match text(o, "type") {
        Some("custom") => text(o, "customType"),
        other => other,
    }
}

/// A selected group with its (transitive) member users, sharing the users' ids.
pub fn group(g: &Group, members: Vec<Arc<str>>) -> SourceGroup {
    SourceGroup {
        external_id: g.id.clone(),
        name: if g.name.trim().is_empty() {
            g.email.clone()
        } else {
            g.name.clone()
        },
        description: g.description.clone().filter(|d| !d.trim().is_empty()),
        members,
    }
}

/// A group for the group picker.
pub fn summary(g: &Group) -> GroupSummary {
    GroupSummary {
        external_id: g.id.clone(),
        name: if g.name.trim().is_empty() {
            g.email.clone()
        } else {
            g.name.clone()
        },
        member_count: g.member_count(),
    }
}

/// Whether a group matches the picker's type-ahead: its name or email contains `query`, ignoring case.
pub fn group_matches(g: &Group, query: &str) -> bool {
    let q = query.trim().to_lowercase();
    q.is_empty() || g.name.to_lowercase().contains(&q) || g.email.to_lowercase().contains(&q)
}

/// A value for a Directory API search `query`, in single quotes (needed when it has whitespace, and
/// harmless otherwise). The "Search for groups" guide escapes a quote inside as `\'`; a backslash is
/// escaped the same way, or a name ending in one would escape the closing quote.
pub fn search_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_literals_quote_and_escape() {
        assert_eq!(search_literal("All Staff"), "'All Staff'");
        assert_eq!(search_literal("O'Brien Team"), r"'O\'Brien Team'");
        assert_eq!(search_literal(r"a\"), r"'a\\'");
    }

    fn sample() -> User {
        serde_json::from_value(json!({
            "kind": "admin#directory#user",
            "id": "103614734521034567890",
            "primaryEmail": "ada.lovelace@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace", "fullName": "Ada Lovelace"},
            "isAdmin": false,
            "suspended": false,
            "archived": true,
            "orgUnitPath": "/Engineering",
            "emails": [{"address": "ada.lovelace@example.com", "primary": true}, {"address": "ada@example.com"}],
            "aliases": ["ada@example.com"],
            "phones": [{"value": "+1 555 0100", "type": "work"}, {"value": "+1 555 0199", "type": "mobile"}, "garbage"],
            "organizations": [{"title": "Engineer", "department": "Analytical Engines", "primary": true}],
            "externalIds": [{"value": "E000042", "type": "organization"}, {"value": "x-7", "type": "custom", "customType": "badge"}],
            "creationTime": "2024-01-01T00:00:00.000Z"
        }))
        .unwrap()
    }

    #[test]
    fn users_flatten_api_fields_and_archived_means_disabled() {
        let mut names = Names::new();
        let u = user(&sample(), &mut names);
        assert_eq!(&*u.external_id, "103614734521034567890");
        assert!(u.disabled, "archived users cannot sign in");
        assert_eq!(u.first("primaryEmail"), Some("ada.lovelace@example.com"));
        assert_eq!(u.first("name.fullName"), Some("Ada Lovelace"));
        assert_eq!(
            u.first("NAME.GIVENNAME"),
            Some("Ada"),
            "names compare without case"
        );
        assert_eq!(
            u.all("phones").collect::<Vec<_>>(),
            vec!["+1 555 0100", "+1 555 0199"],
            "a non-object entry is skipped"
        );
        assert_eq!(u.first("phones.mobile"), Some("+1 555 0199"));
        assert_eq!(u.first("organizations.title"), Some("Engineer"));
        assert_eq!(
            u.first("organizations.department"),
            Some("Analytical Engines")
        );
        assert_eq!(u.first("externalIds.organization"), Some("E000042"));
        assert_eq!(u.first("externalIds.badge"), Some("x-7"));
        assert_eq!(u.first("orgUnitPath"), Some("/Engineering"));
        assert_eq!(u.all("emails").count(), 2);
        let v = user(&sample(), &mut names);
        assert!(
            Arc::ptr_eq(&u.attributes[0].0, &v.attributes[0].0),
            "attribute names are shared between users"
        );
    }

    #[test]
    fn suspension_disables_and_missing_fields_are_absent() {
        let u: User = serde_json::from_value(
            json!({"id": "1", "primaryEmail": "x@example.com", "suspended": true}),
        )
        .unwrap();
        let s = user(&u, &mut Names::new());
        assert!(s.disabled);
        assert_eq!(s.first("name.fullName"), None);
        let fine: User =
            serde_json::from_value(json!({"id": "2", "suspended": false, "archived": false}))
                .unwrap();
        assert!(!user(&fine, &mut Names::new()).disabled);
    }

    #[test]
    fn groups_members_and_counts() {
        let g: Group = serde_json::from_value(json!({"id": "0abc", "email": "sales@example.com", "name": "Sales", "directMembersCount": "12", "description": ""})).unwrap();
        assert_eq!(g.member_count(), Some(12), "int64 counts arrive as strings");
        let n: Group = serde_json::from_value(
            json!({"id": "0b", "email": "b@example.com", "name": "", "directMembersCount": 3}),
        )
        .unwrap();
        assert_eq!(
            summary(&n).name,
            "b@example.com",
            "a nameless group shows its email"
        );
        assert_eq!(summary(&n).member_count, Some(3));
        let sg = group(&g, vec![Arc::from("1")]);
        assert_eq!(sg.description, None, "an empty description is none");
        assert!(
            group_matches(&g, "ALE") && group_matches(&g, "sales@") && !group_matches(&g, "hr")
        );
        let page: MembersPage = serde_json::from_value(json!({"members": [
            {"id": "1", "type": "USER"}, {"id": "0g", "type": "GROUP"}, {"id": "C1", "type": "CUSTOMER"},
            {"id": "2", "type": "USER", "status": "SUSPENDED"}, {"email": "x@y.z", "type": "USER"}
        ]})).unwrap();
        assert_eq!(member_users(&page).collect::<Vec<_>>(), vec!["1", "2"]);
        let empty: MembersPage =
            serde_json::from_value(json!({"kind": "admin#directory#members"})).unwrap();
        assert!(
            empty.members.is_empty() && empty.next_page_token.is_none(),
            "an empty group has no members field"
        );
    }
}
