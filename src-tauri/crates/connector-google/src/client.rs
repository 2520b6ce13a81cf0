//! All of the connector's I/O: the Directory API calls it makes, over [`roster_cloud::Api`], and Google's
//! throttling and refusal rules.
//!
//! Google throttles with **403** (`userRateLimitExceeded`, `quotaExceeded`) or 429 (`rateLimitExceeded`)
//! and never says how long to wait, so every throttled call backs off exponentially with full jitter. Any
//! other 403 is a real refusal (a missing scope, or an account that is not an administrator) and fails at
//! once with a message naming what is missing.

use crate::map::{Group, GroupsPage, IsMember, MembersPage, User, UsersPage};
use crate::settings::{Settings, SCOPE_GROUPS, SCOPE_MEMBERS, SCOPE_USERS};
use roster_cloud::{Api, ApiBuilder, Bearer, HeaderMap, Pause, StatusCode, Throttling, Verdict};
use roster_core::source::ConnectorError;
use std::sync::Arc;

/// The largest `users.list` page.
pub const USERS_PAGE: u32 = 500;
/// The largest `groups.list` and `members.list` page.
pub const GROUPS_PAGE: u32 = 200;

/// The reasons Google gives when it throttles (developers.google.com/admin-sdk/directory/v1/limits).
const THROTTLE_REASONS: [&str; 3] = [
    "userRateLimitExceeded",
    "quotaExceeded",
    "rateLimitExceeded",
];

/// The `reason`s of a Google error body (`{"error":{"errors":[{"reason":…}]}}`).
fn reasons(body: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    v.pointer("/error/errors")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("reason").and_then(|r| r.as_str()))
        .map(str::to_string)
        .collect()
}

/// Google's throttling and refusal rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoogleThrottling;

impl Throttling for GoogleThrottling {
    fn verdict(&self, status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> Verdict {
        let throttled = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && reasons(body)
                    .iter()
                    .any(|r| THROTTLE_REASONS.contains(&r.as_str())));
        if throttled {
            // No Retry-After from Google: back off with jitter.
            Verdict::Throttled(None)
        } else {
            Verdict::Other
        }
    }

    fn refusal(&self, _status: StatusCode, body: &[u8], url: &str) -> Option<String> {
        let path = roster_cloud::path_of(url);
        let (what, scope) = if path.contains("/members") || path.contains("/hasMember") {
            ("group members", SCOPE_MEMBERS)
        } else if path.contains("/groups") {
            ("groups", SCOPE_GROUPS)
        } else {
            ("users", SCOPE_USERS)
        };
        let reasons = reasons(body);
        let has = |r: &str| reasons.iter().any(|x| x == r);
        Some(
            if has("insufficientPermissions") || has("ACCESS_TOKEN_SCOPE_INSUFFICIENT") {
                format!(
                "Google Workspace refused to list {what}: this connection was authorized without the permission to read {what} (scope {scope}). Reauthorize the connection and, on Google's consent page, allow every permission Roster asks for."
            )
            } else {
                format!(
                "Google Workspace refused to list {what} (\"Not Authorized to access this resource/api\"): the account that authorized the connection may not read {what} of this Google Workspace account. Reauthorize as a super administrator, or as an administrator whose role can read users and groups (Admin console > Account > Admin roles), and check the connection's customer and domain."
            )
            },
        )
    }
}

/// An authorized client of one customer's Directory API.
pub struct Client {
    api: Api,
    base: url::Url,
    /// `("customer", "my_customer")` or `("domain", "example.com")`: every list names one.
    scope: (&'static str, String),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `settings`, authorized by `bearer`, waiting through `pause`.
    pub fn new(
        settings: &Settings,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> Result<Client, ConnectorError> {
        let base = format!(
            "{}/admin/directory/v1/",
            settings.api_url.trim().trim_end_matches('/')
        );
        let base = url::Url::parse(&base).map_err(|_| {
            ConnectorError::Configuration(format!(
                "The API URL \"{}\" is not a URL. Leave it empty to use Google's.",
                settings.api_url
            ))
        })?;
        let api = ApiBuilder::new("Google Workspace", bearer, Arc::new(GoogleThrottling))
            .pause(pause)
            .build()?;
        let scope = match &settings.domain {
            Some(d) if !d.trim().is_empty() => ("domain", d.trim().to_string()),
            _ => ("customer", settings.customer.trim().to_string()),
        };
        Ok(Client { api, base, scope })
    }

    /// API calls made so far (retries included).
    pub fn calls(&self) -> u64 {
        self.api.calls()
    }

    /// `base` + path segments (each escaped) + query.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<String, ConnectorError> {
        let mut u = self.base.clone();
        {
            let mut path = u.path_segments_mut().map_err(|_| {
                ConnectorError::Configuration(
                    "The API URL cannot be used as a base URL. Leave it empty to use Google's."
                        .into(),
                )
            })?;
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        {
            let mut q = u.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        if query.is_empty() {
            u.set_query(None);
        }
        Ok(u.into())
    }

    /// One page of `users.list` (largest pages, live users only), optionally narrowed by a search `query`.
    pub async fn users_page(
        &self,
        page_token: Option<&str>,
        query: Option<&str>,
    ) -> Result<UsersPage, ConnectorError> {
        let max = USERS_PAGE.to_string();
        let mut q = vec![
            (self.scope.0, self.scope.1.as_str()),
            ("maxResults", max.as_str()),
            ("projection", "basic"),
        ];
        if let Some(text) = query {
            q.push(("query", text));
        }
        if let Some(t) = page_token {
            q.push(("pageToken", t));
        }
        let url = self.url(&["users"], &q)?;
        Ok(self.api.get_json(&url).await?.0)
    }

    /// `users.get` by id, primary email or alias; `None` if there is no such (live) user.
    pub async fn user(&self, key: &str) -> Result<Option<User>, ConnectorError> {
        let url = self.url(&["users", key], &[("projection", "basic")])?;
        self.optional(&url).await
    }

    /// One page of `groups.list`, optionally narrowed by a search `query` (Google's "Search for groups"
    /// syntax; a search pages like the plain listing).
    pub async fn groups_page(
        &self,
        page_token: Option<&str>,
        query: Option<&str>,
    ) -> Result<GroupsPage, ConnectorError> {
        let max = GROUPS_PAGE.to_string();
        let mut q = vec![
            (self.scope.0, self.scope.1.as_str()),
            ("maxResults", max.as_str()),
        ];
        if let Some(text) = query {
            q.push(("query", text));
        }
        if let Some(t) = page_token {
            q.push(("pageToken", t));
        }
        let url = self.url(&["groups"], &q)?;
        Ok(self.api.get_json(&url).await?.0)
    }

    /// `groups.get` by id or email; `None` if there is no such group.
    pub async fn group(&self, key: &str) -> Result<Option<Group>, ConnectorError> {
        let url = self.url(&["groups", key], &[])?;
        self.optional(&url).await
    }

    /// One page of a group's members including those of nested groups (`includeDerivedMembership`);
    /// `None` if the group no longer exists.
    pub async fn derived_members_page(
        &self,
        group_id: &str,
        page_token: Option<&str>,
    ) -> Result<Option<MembersPage>, ConnectorError> {
        let max = GROUPS_PAGE.to_string();
        let mut q = vec![
            ("maxResults", max.as_str()),
            ("includeDerivedMembership", "true"),
        ];
        if let Some(t) = page_token {
            q.push(("pageToken", t));
        }
        let url = self.url(&["groups", group_id, "members"], &q)?;
        self.optional(&url).await
    }

    /// Whether a user is a member of a group, directly or through nesting (`members.hasMember`); `None`
    /// if the group or the user no longer exists.
    pub async fn has_member(
        &self,
        group_id: &str,
        user_key: &str,
    ) -> Result<Option<bool>, ConnectorError> {
        let url = self.url(&["groups", group_id, "hasMember", user_key], &[])?;
        Ok(self.optional::<IsMember>(&url).await?.map(|m| m.is_member))
    }

    async fn optional<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<Option<T>, ConnectorError> {
        match self.api.get_optional(url).await? {
            Some(reply) => Ok(Some(self.api.decode(url, &reply.body)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(status: u16, reason: &str) -> Vec<u8> {
        serde_json::to_vec(
            &serde_json::json!({"error": {"code": status, "message": "m",
            "errors": [{"message": "m", "domain": "usageLimits", "reason": reason}]}}),
        )
        .unwrap()
    }

    #[test]
    fn rate_limit_403s_are_throttling_and_other_403s_are_refusals() {
        let t = GoogleThrottling;
        let h = HeaderMap::new();
        for r in THROTTLE_REASONS {
            assert_eq!(
                t.verdict(StatusCode::FORBIDDEN, &h, &body(403, r)),
                Verdict::Throttled(None),
                "{r}"
            );
        }
        assert_eq!(
            t.verdict(StatusCode::TOO_MANY_REQUESTS, &h, b"not json"),
            Verdict::Throttled(None)
        );
        for r in ["forbidden", "insufficientPermissions"] {
            assert_eq!(
                t.verdict(StatusCode::FORBIDDEN, &h, &body(403, r)),
                Verdict::Other
            );
        }
        assert_eq!(t.verdict(StatusCode::FORBIDDEN, &h, b""), Verdict::Other);
        let m = t
            .refusal(
                StatusCode::FORBIDDEN,
                &body(403, "insufficientPermissions"),
                "https://admin.googleapis.com/admin/directory/v1/groups/0x/members?pageToken=secret",
            )
            .unwrap();
        assert!(
            m.contains(SCOPE_MEMBERS) && m.contains("group members"),
            "{m}"
        );
        assert!(!m.contains("secret"), "no query in messages");
        let m = t
            .refusal(
                StatusCode::FORBIDDEN,
                &body(403, "forbidden"),
                "https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer",
            )
            .unwrap();
        assert!(m.contains("administrator") && m.contains("users"), "{m}");
    }

    #[test]
    fn urls_escape_keys_and_name_the_customer_or_domain() {
        let mut s = Settings::new("id");
        s.api_url = "http://127.0.0.1:9/".into();
        let c = Client::new(
            &s,
            Arc::new(roster_cloud::StaticBearer("t".into())),
            Arc::new(roster_cloud::RecordedPause::default()),
        )
        .unwrap();
        assert_eq!(
            c.url(
                &["groups", "a b/c@x.y", "members"],
                &[("maxResults", "200")]
            )
            .unwrap(),
            "http://127.0.0.1:9/admin/directory/v1/groups/a%20b%2Fc@x.y/members?maxResults=200"
        );
        assert_eq!(c.scope, ("customer", "my_customer".to_string()));
        s.domain = Some("example.com".into());
        let c = Client::new(
            &s,
            Arc::new(roster_cloud::StaticBearer("t".into())),
            Arc::new(roster_cloud::RecordedPause::default()),
        )
        .unwrap();
        assert_eq!(c.scope, ("domain", "example.com".to_string()));
    }
}
