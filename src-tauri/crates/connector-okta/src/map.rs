//! Pure conversion of Okta Management API JSON into Roster's source types, and the small pieces of the
//! wire format that need no I/O (paging links, search expressions, ids). No I/O here.
//!
//! Status policy (Okta user statuses against Roster's rules, brief/domain.md §8): Roster's "disabled"
//! means the directory does not let the person sign in; Roster's own "locked out" is set only by the
//! authentication service after failed attempts and is never driven by a directory. So:
//! - `ACTIVE`, `PASSWORD_EXPIRED`, `RECOVERY`: enabled (a valid account, mid password change).
//! - `LOCKED_OUT`: **enabled**. Okta's lockout is a temporary password lockout inside Okta, not an
//!   administrator's decision to deny access; mirroring it as "disabled" would lock the person out of
//!   Roster-protected applications until the next sync after Okta unlocks them.
//! - `PROVISIONED` (activated by an administrator, waiting for the person to set a password): **enabled**,
//!   so that the new hire can enroll as soon as they finish Okta's activation.
//! - `STAGED` (created but never activated: cannot sign in to Okta yet): **disabled**; the next sync after
//!   activation enables them.
//! - `SUSPENDED`, `DEPROVISIONED`: disabled. (Deprovisioned users are removed from every group, so a group
//!   sync does not normally see them at all; Roster then treats them as gone.)
//! - Anything else (a status Okta adds later): disabled, failing safe; the account stays in Roster.

use roster_core::source::{SourceGroup, SourceUser};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// A user as `/api/v1/users` and `/api/v1/groups/{id}/users` return it (the fields Roster reads).
#[derive(Debug, Clone, Deserialize)]
pub struct OktaUser {
    /// `00u…`.
    pub id: String,
    /// `ACTIVE`, `SUSPENDED`, …
    #[serde(default)]
    pub status: String,
    /// The profile: `login`, `email`, `firstName`, … and any custom attributes.
    #[serde(default)]
    pub profile: serde_json::Map<String, serde_json::Value>,
}

/// A group's profile.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupProfile {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `_embedded.stats` (with `expand=stats`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupStats {
    /// Members.
    #[serde(default, rename = "usersCount")]
    pub users_count: Option<u64>,
}

/// `_embedded`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupEmbedded {
    /// Present with `expand=stats`.
    #[serde(default)]
    pub stats: Option<GroupStats>,
}

/// A group as `/api/v1/groups` returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct OktaGroup {
    /// `00g…`.
    pub id: String,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Name and description.
    #[serde(default)]
    pub profile: GroupProfile,
    /// Member counts, when asked for.
    #[serde(default, rename = "_embedded")]
    pub embedded: Option<GroupEmbedded>,
}

/// Interned attribute names: 50,000 users share one `Arc<str>` per name.
#[derive(Debug, Default)]
pub struct Names(HashMap<String, Arc<str>>);

impl Names {
    /// The shared copy of `name`.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.0.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        self.0.insert(name.to_string(), n.clone());
        n
    }
}

/// Whether an Okta status means "disabled" in Roster (see the module docs for why).
pub fn is_disabled(status: &str) -> bool {
    !matches!(
        status,
        "ACTIVE" | "PASSWORD_EXPIRED" | "RECOVERY" | "LOCKED_OUT" | "PROVISIONED"
    )
}

fn push_value(out: &mut Vec<(Arc<str>, String)>, name: &Arc<str>, v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => out.push((name.clone(), s.clone())),
        serde_json::Value::Number(n) => out.push((name.clone(), n.to_string())),
        serde_json::Value::Bool(b) => out.push((name.clone(), b.to_string())),
        serde_json::Value::Array(items) => {
            for i in items {
                if !i.is_array() {
                    push_value(out, name, i);
                }
            }
        }
        serde_json::Value::Null | serde_json::Value::Object(_) => {}
    }
}

/// An Okta user as a [`SourceUser`]: attributes are named as Okta's profile properties (`login`, `email`,
/// `firstName`, `lastName`, `displayName`, `mobilePhone`, `primaryPhone`, `title`, `department`,
/// `employeeNumber` and any custom ones; arrays repeat the name), plus `id` and `status`.
pub fn user(u: OktaUser, names: &mut Names) -> SourceUser {
    let mut attributes = Vec::with_capacity(u.profile.len() + 2);
    attributes.push((names.get("id"), u.id.clone()));
    attributes.push((names.get("status"), u.status.clone()));
    for (k, v) in &u.profile {
        // `id` and `status` are the account's own; a custom profile property of the same name would be
        // ambiguous, so the account's win.
        if k == "id" || k == "status" {
            continue;
        }
        let name = names.get(k);
        push_value(&mut attributes, &name, v);
    }
    let locator = u
        .profile
        .get("login")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    SourceUser {
        external_id: Arc::from(u.id.as_str()),
        disabled: is_disabled(&u.status),
        attributes,
        locator,
    }
}

/// A selected group with its (flat) members.
pub fn group(g: OktaGroup, members: Vec<Arc<str>>) -> SourceGroup {
    SourceGroup {
        external_id: g.id,
        name: g.profile.name,
        description: g.profile.description.filter(|d| !d.trim().is_empty()),
        members,
    }
}

/// The `rel="next"` target among `Link` header values (Okta sends `self` and `next` as separate headers;
/// one header holding both, comma-separated, is read too).
pub fn next_link<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    for v in values {
        let mut rest = v;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let target = &after[..close];
            let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
            let params = &after[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                p.strip_prefix("rel=").is_some_and(|r| {
                    r.trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|x| x.eq_ignore_ascii_case("next"))
                })
            });
            if is_next {
                return Some(target.to_string());
            }
            rest = &after[params_end..];
        }
    }
    None
}

/// A quoted string value for a search or filter expression.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether `s` can be an Okta object id (letters and digits). Anything else is not looked up (and never
/// pasted into a filter expression).
pub fn is_okta_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Whether `s` can be a profile property name in a search expression.
pub fn is_property_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_map_profile_properties_and_status() {
        let u: OktaUser = serde_json::from_value(serde_json::json!({
            "id": "00u1", "status": "SUSPENDED",
            "profile": {"login": "ada@x.org", "firstName": "Ada", "mobilePhone": null,
                        "employeeNumber": 7, "emails": ["a@x.org", "b@x.org"], "nested": {"a": 1}}
        }))
        .unwrap();
        let mut names = Names::default();
        let s = user(u, &mut names);
        assert_eq!(&*s.external_id, "00u1");
        assert!(s.disabled);
        assert_eq!(s.first("login"), Some("ada@x.org"));
        assert_eq!(s.first("status"), Some("SUSPENDED"));
        assert_eq!(s.first("id"), Some("00u1"));
        assert_eq!(s.first("employeeNumber"), Some("7"));
        assert_eq!(s.first("mobilePhone"), None, "null is no value");
        assert_eq!(s.all("emails").count(), 2);
        assert_eq!(s.first("nested"), None);
        let again = user(
            serde_json::from_value(
                serde_json::json!({"id":"00u2","status":"ACTIVE","profile":{"login":"b"}}),
            )
            .unwrap(),
            &mut names,
        );
        let a = s.attributes.iter().find(|(n, _)| &**n == "login").unwrap();
        let b = again
            .attributes
            .iter()
            .find(|(n, _)| &**n == "login")
            .unwrap();
        assert!(Arc::ptr_eq(&a.0, &b.0), "attribute names are interned");
    }

    #[test]
    fn status_policy() {
        for s in [
            "ACTIVE",
            "PASSWORD_EXPIRED",
            "RECOVERY",
            "LOCKED_OUT",
            "PROVISIONED",
        ] {
            assert!(!is_disabled(s), "{s} stays enabled");
        }
        for s in ["SUSPENDED", "DEPROVISIONED", "STAGED", "SOMETHING_NEW", ""] {
            assert!(is_disabled(s), "{s} is disabled");
        }
    }

    #[test]
    fn next_links_are_found_in_separate_or_joined_headers() {
        let sep = [
            r#"<https://o.okta.com/api/v1/users?limit=200>; rel="self""#,
            r#"<https://o.okta.com/api/v1/users?after=00u5&limit=200>; rel="next""#,
        ];
        assert_eq!(
            next_link(sep).as_deref(),
            Some("https://o.okta.com/api/v1/users?after=00u5&limit=200")
        );
        let joined = [r#"<https://a/x?a=1,2>; rel="self", <https://a/y>; rel="next""#];
        assert_eq!(next_link(joined).as_deref(), Some("https://a/y"));
        assert_eq!(next_link([r#"<https://a/x>; rel="self""#]), None);
        assert_eq!(next_link(Vec::<&str>::new()), None);
    }

    #[test]
    fn quoting_and_ids() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert!(is_okta_id("00g1emaKYZTWRYYRRTSK"));
        assert!(!is_okta_id(r#"00g" or id pr"#));
        assert!(is_property_name("employeeNumber"));
        assert!(!is_property_name("login eq"));
    }
}
