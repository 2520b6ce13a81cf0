//! The emulated Google Admin SDK Directory API v1 (`/admin/directory/v1/...`), written from Google's
//! reference pages and the API's discovery document (`admin.directory_v1.json`): `users.list`,
//! `users.get`, `groups.list`, `groups.get`, `members.list` (with `includeDerivedMembership`) and
//! `members.hasMember`, over the emulator's [`Directory`](crate::Directory).
//!
//! Wire facts it keeps: list bodies are `{"kind","etag",<items>,"nextPageToken"}` with the token absent on
//! the last page; `maxResults` is 1..500 for users (default 100) and 1..200 for groups and members (default
//! 200), anything else is a 400 naming the range; ids are numeric strings for users and 15-character
//! strings for groups; `directMembersCount` is an int64 and so a JSON string; deleted users are absent
//! (except with `showDeleted=true`, which lists only them); errors are
//! `{"error":{"code","message","errors":[{"message","domain","reason"}],"status"}}`.
//!
//! Searches (`query`) follow Google's "Search for groups" and "Search for users" guides: clauses joined by
//! AND, `field=value` for the whole value and `field:value*` for its start, values with whitespace in
//! single quotes and a quote inside written `\'`; `groups.list` searches `name` and `email`. A search
//! pages like any list. Google warns that new group data may take up to 36 hours to reach search results;
//! [`crate::Knobs::search_index_at`] holds the index back to show it.
//!
//! Throttling is Google's: a **403** with reason `userRateLimitExceeded` or `quotaExceeded` (domain
//! `usageLimits`), or now and then a 429 `rateLimitExceeded`, and never a `Retry-After` header (the
//! seconds in [`Injected::Throttle`] are ignored: Google gives no hint). Real refusals are 403s too:
//! `insufficientPermissions` for a token without the needed scope, `forbidden` ("Not Authorized to access
//! this resource/api") for a caller who is not an administrator or a domain that is not the customer's.
//!
//! Invariants: a person's and a group's Google ids are derived from their directory ids alone, so they
//! never change; user and group paging tokens hold the last key served, so a change between pages neither
//! repeats nor skips anyone who was there throughout (member lists page by position, as membership order
//! is insertion order).

use crate::directory::{Member, Person, PersonState, Team};
use crate::{Directory, Injected, State};
use axum::extract::{Path, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The customer id `my_customer` stands for.
pub const CUSTOMER_ID: &str = "C03az79cb";

/// Scope prefix of the Admin SDK scopes.
pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";
/// Read users.
pub const SCOPE_USER_READONLY: &str =
    "https://www.googleapis.com/auth/admin.directory.user.readonly";
/// Read groups.
pub const SCOPE_GROUP_READONLY: &str =
    "https://www.googleapis.com/auth/admin.directory.group.readonly";
/// Read group members.
pub const SCOPE_GROUP_MEMBER_READONLY: &str =
    "https://www.googleapis.com/auth/admin.directory.group.member.readonly";

/// Every read-only scope Roster asks for (convenient for tests minting tokens).
pub const READ_SCOPES: [&str; 3] = [
    SCOPE_USER_READONLY,
    SCOPE_GROUP_READONLY,
    SCOPE_GROUP_MEMBER_READONLY,
];

/// A person's Google user id: a 21-digit numeric string derived from their directory id.
pub fn user_id(person_id: &str) -> String {
    let h = Sha256::digest(format!("google-user:{person_id}").as_bytes());
    let mut n = [0u8; 8];
    n.copy_from_slice(&h[..8]);
    // 1 followed by 20 digits: the shape of real ids ("103614734521034567890").
    format!("1{:020}", u64::from_be_bytes(n))
}

/// A group's Google id: 15 lower-case letters and digits starting with `0`, derived from its directory id.
pub fn group_id(team_id: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let h = Sha256::digest(format!("google-group:{team_id}").as_bytes());
    let mut out = String::from("0");
    for b in h.iter().take(14) {
        out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    }
    out
}

/// A person's primary email: their username at the organisation's domain.
pub fn primary_email(person: &Person, domain: &str) -> String {
    format!("{}@{domain}", person.username)
}

/// Which scope family a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Users,
    Groups,
    Members,
}

impl Need {
    /// Scopes (after the prefix) any one of which grants the route.
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Need::Users => &["admin.directory.user.readonly", "admin.directory.user"],
            Need::Groups => &["admin.directory.group.readonly", "admin.directory.group"],
            Need::Members => &[
                "admin.directory.group.member.readonly",
                "admin.directory.group.member",
                "admin.directory.group.readonly",
                "admin.directory.group",
            ],
        }
    }
}

/// Reverse lookups from Google ids to directory ids, rebuilt when an id is not found (people and groups
/// are only ever added, and their ids never change, so a stale index can only miss).
#[derive(Debug, Default)]
struct Index {
    users: HashMap<String, String>,
    groups: HashMap<String, String>,
}

/// Lists by fingerprint, with the directory `seq` they were built at.
type Listings = HashMap<String, (u64, Arc<Vec<Row>>)>;

#[derive(Debug)]
struct Google {
    state: Arc<State>,
    index: Mutex<Index>,
    listings: Mutex<Listings>,
    throttles: AtomicU64,
}

/// An error answer: status and Google's error body.
struct Failure(StatusCode, Value);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = (self.0, json_body(&self.1)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        r
    }
}

fn json_body(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("{}"))
}

/// Google's error body.
fn failure(status: StatusCode, reason: &str, domain: &str, message: &str) -> Failure {
    let status_text = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        _ => "UNKNOWN",
    };
    Failure(
        status,
        json!({"error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": status_text,
        }}),
    )
}

fn not_found(what: &str) -> Failure {
    failure(
        StatusCode::NOT_FOUND,
        "notFound",
        "global",
        &format!("Resource Not Found: {what}"),
    )
}

fn bad_request(message: &str) -> Failure {
    failure(StatusCode::BAD_REQUEST, "invalid", "global", message)
}

fn not_authorized() -> Failure {
    failure(
        StatusCode::FORBIDDEN,
        "forbidden",
        "global",
        "Not Authorized to access this resource/api",
    )
}

/// A 401 as Google sends it: the error body names the `Authorization` header, and `WWW-Authenticate` says
/// the token is invalid.
fn unauthenticated(reason: &str, message: &str, detail: &str) -> Response {
    let body = json!({"error": {
        "code": 401,
        "message": message,
        "errors": [{"message": detail, "domain": "global", "reason": reason,
                    "location": "Authorization", "locationType": "header"}],
        "status": "UNAUTHENTICATED",
    }});
    let mut r = Failure(StatusCode::UNAUTHORIZED, body).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
        ),
    );
    r
}

/// The API's routes.
pub fn router(state: Arc<State>) -> axum::Router {
    let google = Arc::new(Google {
        state,
        index: Mutex::new(Index::default()),
        listings: Mutex::new(HashMap::new()),
        throttles: AtomicU64::new(0),
    });
    axum::Router::new()
        .route("/admin/directory/v1/users", get(users_list))
        .route("/admin/directory/v1/users/{user_key}", get(users_get))
        .route("/admin/directory/v1/groups", get(groups_list))
        .route("/admin/directory/v1/groups/{group_key}", get(groups_get))
        .route(
            "/admin/directory/v1/groups/{group_key}/members",
            get(members_list),
        )
        .route(
            "/admin/directory/v1/groups/{group_key}/hasMember/{member_key}",
            get(has_member),
        )
        .with_state(google)
}

type Params = Query<HashMap<String, String>>;

async fn users_list(
    AxState(g): AxState<Arc<Google>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    g.answer(&headers, Need::Users, |g, d| g.list_users(d, &q))
}

async fn users_get(
    AxState(g): AxState<Arc<Google>>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    g.answer(&headers, Need::Users, |g, d| {
        let p = g.find_person(d, &key).ok_or_else(|| not_found("userKey"))?;
        Ok(render_user(p, d))
    })
}

async fn groups_list(
    AxState(g): AxState<Arc<Google>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    g.answer(&headers, Need::Groups, |g, d| g.list_groups(d, &q))
}

async fn groups_get(
    AxState(g): AxState<Arc<Google>>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    g.answer(&headers, Need::Groups, |g, d| {
        let t = g.find_team(d, &key).ok_or_else(|| not_found("groupKey"))?;
        Ok(render_group(t, d))
    })
}

async fn members_list(
    AxState(g): AxState<Arc<Google>>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    g.answer(&headers, Need::Members, |g, d| g.list_members(d, &key, &q))
}

async fn has_member(
    AxState(g): AxState<Arc<Google>>,
    headers: HeaderMap,
    Path((group_key, member_key)): Path<(String, String)>,
) -> Response {
    g.answer(&headers, Need::Members, |g, d| {
        let t = g
            .find_team(d, &group_key)
            .ok_or_else(|| not_found("groupKey"))?;
        let p = g
            .find_person(d, &member_key)
            .ok_or_else(|| not_found("memberKey"))?;
        let is_member = d.transitive_people(&t.id).iter().any(|x| x.id == p.id);
        Ok(json!({ "isMember": is_member }))
    })
}

impl Google {
    /// Checks the token, counts the call and injects faults, checks permissions, then answers with `body`.
    fn answer<F>(&self, headers: &HeaderMap, need: Need, body: F) -> Response
    where
        F: FnOnce(&Google, &Directory) -> Result<Value, Failure>,
    {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return unauthenticated(
                "required",
                "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "Login Required.",
            );
        };
        let grant = match self.state.tokens.check(token) {
            Ok(g) => g,
            Err(_) => {
                return unauthenticated(
                    "authError",
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                    "Invalid Credentials",
                )
            }
        };
        let injected = self.state.before_api_call();
        if let Injected::Throttle(_) = injected {
            return self.throttled().into_response();
        }
        let granted = grant.scopes.iter().any(|s| {
            let short = s.strip_prefix(SCOPE_PREFIX).unwrap_or(s);
            need.scopes().contains(&short)
        });
        if !granted {
            return failure(
                StatusCode::FORBIDDEN,
                "insufficientPermissions",
                "global",
                "Request had insufficient authentication scopes.",
            )
            .into_response();
        }
        let d = self.state.read();
        let admin = d.person(&grant.subject).or_else(|| {
            d.people().find(|p| {
                p.mail.eq_ignore_ascii_case(&grant.subject)
                    || primary_email(p, &d.domain).eq_ignore_ascii_case(&grant.subject)
            })
        });
        if !admin.is_some_and(|p| p.admin && p.state == PersonState::Active) {
            return not_authorized().into_response();
        }
        let value = match body(self, &d) {
            Ok(v) => v,
            Err(f) => return f.into_response(),
        };
        drop(d);
        let mut text = json_body(&value);
        if injected == Injected::Truncate {
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        let mut r = (StatusCode::OK, text).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        r
    }

    /// Google's throttling answers, in turn: mostly 403 `userRateLimitExceeded`, sometimes 403
    /// `quotaExceeded` (too many concurrent requests), now and then 429 `rateLimitExceeded`.
    fn throttled(&self) -> Failure {
        let n = self.throttles.fetch_add(1, Ordering::SeqCst);
        match n % 4 {
            1 => failure(
                StatusCode::FORBIDDEN,
                "quotaExceeded",
                "usageLimits",
                "Quota exceeded for quota metric 'Concurrent requests' and limit 'Concurrent requests per user' of service 'admin.googleapis.com' for consumer 'project_number:482003417153'.",
            ),
            3 => failure(
                StatusCode::TOO_MANY_REQUESTS,
                "rateLimitExceeded",
                "global",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'admin.googleapis.com' for consumer 'project_number:482003417153'.",
            ),
            _ => failure(
                StatusCode::FORBIDDEN,
                "userRateLimitExceeded",
                "usageLimits",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:482003417153'.",
            ),
        }
    }

    fn lock_index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A live person by Google id, primary email or alias (their directory email).
    fn find_person<'d>(&self, d: &'d Directory, key: &str) -> Option<&'d Person> {
        let found = if key.contains('@') {
            d.people().find(|p| {
                primary_email(p, &d.domain).eq_ignore_ascii_case(key)
                    || p.mail.eq_ignore_ascii_case(key)
            })
        } else {
            let cached = self.lock_index().users.get(key).cloned();
            let id = cached.or_else(|| {
                let mut index = self.lock_index();
                index.users = d.people().map(|p| (user_id(&p.id), p.id.clone())).collect();
                index.users.get(key).cloned()
            })?;
            d.person(&id)
        };
        found.filter(|p| p.state != PersonState::Deleted)
    }

    /// A group by Google id or email.
    fn find_team<'d>(&self, d: &'d Directory, key: &str) -> Option<&'d Team> {
        if key.contains('@') {
            return d.teams().find(|t| t.mail.eq_ignore_ascii_case(key));
        }
        let cached = self.lock_index().groups.get(key).cloned();
        let id = cached.or_else(|| {
            let mut index = self.lock_index();
            index.groups = d.teams().map(|t| (group_id(&t.id), t.id.clone())).collect();
            index.groups.get(key).cloned()
        })?;
        d.team(&id)
    }

    /// The rows of a list for `fingerprint` (the list and its parameters), built by `build` or taken from
    /// the cache while the directory has not changed: paging through 50,000 users or a derived membership
    /// then costs a page's work per call, not the whole list's.
    fn listing<F>(&self, d: &Directory, fingerprint: &str, build: F) -> Arc<Vec<Row>>
    where
        F: FnOnce() -> Vec<Row>,
    {
        let seq = d.seq();
        let mut cache = self
            .listings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, rows)) = cache.get(fingerprint) {
            if *at == seq {
                return rows.clone();
            }
        }
        let rows = Arc::new(build());
        if cache.len() >= 64 {
            cache.clear();
        }
        cache.insert(fingerprint.to_string(), (seq, rows.clone()));
        rows
    }

    fn list_users(&self, d: &Directory, q: &HashMap<String, String>) -> Result<Value, Failure> {
        scope_of_list(d, q)?;
        let max = self.state.page_size(max_results(q, 100, 500)?);
        let deleted = flag(q, "showDeleted")?;
        let query = match q.get("query") {
            Some(text) => UserQuery::parse(text)?,
            None => UserQuery::default(),
        };
        let order = match q.get("orderBy").map(String::as_str) {
            None => None,
            Some("email") => Some(UserOrder::Email),
            Some("givenName") => Some(UserOrder::Given),
            Some("familyName") => Some(UserOrder::Family),
            Some(other) => {
                return Err(bad_request(&format!("Invalid value '{other}' for orderBy")))
            }
        };
        let descending = match q.get("sortOrder").map(String::as_str) {
            None | Some("ASCENDING") => false,
            Some("DESCENDING") => true,
            Some(other) => {
                return Err(bad_request(&format!(
                    "Invalid value '{other}' for sortOrder"
                )))
            }
        };
        let fingerprint = fingerprint(q, "users");
        let rows = self.listing(d, &fingerprint, || {
            let mut rows: Vec<Row> = d
                .people()
                .filter(|p| (p.state == PersonState::Deleted) == deleted)
                .filter(|p| query.matches(p, d))
                .map(|p| {
                    let key = match order {
                        None => p.id.clone(),
                        Some(UserOrder::Email) => {
                            format!("{}\u{0}{}", primary_email(p, &d.domain), p.id)
                        }
                        Some(UserOrder::Given) => {
                            format!("{}\u{0}{}", p.given.to_lowercase(), p.id)
                        }
                        Some(UserOrder::Family) => {
                            format!("{}\u{0}{}", p.family.to_lowercase(), p.id)
                        }
                    };
                    Row::person(key, p)
                })
                .collect();
            if order.is_some() {
                rows.sort_by(|a, b| a.key.cmp(&b.key));
            }
            if descending {
                rows.reverse();
            }
            rows
        });
        let start = resume(q, &fingerprint, &rows, descending)?;
        let page = &rows[start..(start + max).min(rows.len())];
        let users: Vec<Value> = page
            .iter()
            .filter_map(|row| d.person(&row.id))
            .map(|p| render_user(p, d))
            .collect();
        let mut out = json!({
            "kind": "admin#directory#users",
            "etag": etag(&format!("users:{}:{}", d.seq(), start)),
            "users": users,
        });
        if let (true, Some(last)) = (start + page.len() < rows.len(), page.last()) {
            out["nextPageToken"] = Value::String(page_token(&fingerprint, &last.key));
        }
        Ok(out)
    }

    fn list_groups(&self, d: &Directory, q: &HashMap<String, String>) -> Result<Value, Failure> {
        let member_of = match q.get("userKey") {
            Some(key) => Some(
                self.find_person(d, key)
                    .ok_or_else(|| not_found("userKey"))?,
            ),
            None => {
                scope_of_list(d, q)?;
                None
            }
        };
        let max = self.state.page_size(max_results(q, 200, 200)?);
        let query = match q.get("query") {
            Some(text) => GroupQuery::parse(text)?,
            None => GroupQuery::default(),
        };
        let by_email = match q.get("orderBy").map(String::as_str) {
            None => false,
            Some("email") => true,
            Some(other) => {
                return Err(bad_request(&format!("Invalid value '{other}' for orderBy")))
            }
        };
        let descending = q.get("sortOrder").map(String::as_str) == Some("DESCENDING");
        let fingerprint = fingerprint(q, "groups");
        // Searches read Google's search index, which may lag behind (see `Knobs::search_index_at`).
        let at = self.state.knobs.search_index_at.load(Ordering::SeqCst);
        let indexed_up_to = if at > 0 && q.contains_key("query") {
            at
        } else {
            u64::MAX
        };
        let cache_key = format!("{fingerprint}@{indexed_up_to}");
        let rows = self.listing(d, &cache_key, || {
            let mine: Option<HashSet<&str>> = member_of.map(|p| {
                d.teams_of(&p.id)
                    .into_iter()
                    .map(|t| t.id.as_str())
                    .collect()
            });
            let mut rows: Vec<Row> = d
                .teams()
                .filter(|t| mine.as_ref().is_none_or(|m| m.contains(t.id.as_str())))
                .filter(|t| t.created <= indexed_up_to)
                .filter(|t| query.matches(t))
                .map(|t| {
                    let key = if by_email {
                        format!("{}\u{0}{}", t.mail, t.id)
                    } else {
                        t.id.clone()
                    };
                    Row::team(key, t, "MEMBER")
                })
                .collect();
            if by_email {
                rows.sort_by(|a, b| a.key.cmp(&b.key));
            }
            if descending {
                rows.reverse();
            }
            rows
        });
        let start = resume(q, &fingerprint, &rows, descending)?;
        let page = &rows[start..(start + max).min(rows.len())];
        let groups: Vec<Value> = page
            .iter()
            .filter_map(|row| d.team(&row.id))
            .map(|t| render_group(t, d))
            .collect();
        let mut out = json!({
            "kind": "admin#directory#groups",
            "etag": etag(&format!("groups:{}:{}", d.seq(), start)),
            "groups": groups,
        });
        if let (true, Some(last)) = (start + page.len() < rows.len(), page.last()) {
            out["nextPageToken"] = Value::String(page_token(&fingerprint, &last.key));
        }
        Ok(out)
    }

    fn list_members(
        &self,
        d: &Directory,
        key: &str,
        q: &HashMap<String, String>,
    ) -> Result<Value, Failure> {
        let team = self
            .find_team(d, key)
            .ok_or_else(|| not_found("groupKey"))?;
        let max = self.state.page_size(max_results(q, 200, 200)?);
        let derived = flag(q, "includeDerivedMembership")?;
        let roles: Option<Vec<String>> = match q.get("roles") {
            None => None,
            Some(r) => {
                let list: Vec<String> = r.split(',').map(|x| x.trim().to_uppercase()).collect();
                if let Some(bad) = list
                    .iter()
                    .find(|x| !matches!(x.as_str(), "OWNER" | "MANAGER" | "MEMBER"))
                {
                    return Err(bad_request(&format!("Invalid value '{bad}' for roles")));
                }
                Some(list)
            }
        };
        let fingerprint = fingerprint(q, &format!("members:{}", team.id));
        let rows = self.listing(d, &fingerprint, || {
            let entries = if derived {
                derived_members(d, team)
            } else {
                direct_members(d, team)
            };
            entries
                .into_iter()
                .filter(|e| roles.as_ref().is_none_or(|r| r.iter().any(|x| x == e.role)))
                .enumerate()
                // Membership order is insertion order, not an id order: the key is the position, padded so
                // that keys compare as numbers.
                .map(|(i, e)| {
                    let key = format!("{i:010}");
                    match e.member {
                        EntryKind::User(p) => Row::person_as(key, p, e.role),
                        EntryKind::Group(t) => Row::team(key, t, e.role),
                    }
                })
                .collect()
        });
        let start = resume(q, &fingerprint, &rows, false)?;
        let page = &rows[start..(start + max).min(rows.len())];
        let members: Vec<Value> = page
            .iter()
            .filter_map(|row| {
                let member = if row.group {
                    EntryKind::Group(d.team(&row.id)?)
                } else {
                    EntryKind::User(d.person(&row.id)?)
                };
                Some(render_member(
                    &Entry {
                        member,
                        role: row.role,
                    },
                    d,
                ))
            })
            .collect();
        let mut out = json!({
            "kind": "admin#directory#members",
            "etag": etag(&format!("members:{}:{}:{}", team.id, d.seq(), start)),
            "members": members,
        });
        if let (true, Some(last)) = (start + page.len() < rows.len(), page.last()) {
            out["nextPageToken"] = Value::String(page_token(&fingerprint, &last.key));
        }
        Ok(out)
    }
}

/// One row of a list: its paging key and what it shows, by directory id.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    id: String,
    group: bool,
    role: &'static str,
}

impl Row {
    fn person(key: String, p: &Person) -> Row {
        Row::person_as(key, p, "MEMBER")
    }
    fn person_as(key: String, p: &Person, role: &'static str) -> Row {
        Row {
            key,
            id: p.id.clone(),
            group: false,
            role,
        }
    }
    fn team(key: String, t: &Team, role: &'static str) -> Row {
        Row {
            key,
            id: t.id.clone(),
            group: true,
            role,
        }
    }
}

/// `customer` or `domain`, one of which a list needs: `my_customer` or the customer id; the organisation's
/// domain (another domain is not the caller's to read: 403, as Google answers).
fn scope_of_list(d: &Directory, q: &HashMap<String, String>) -> Result<(), Failure> {
    match (q.get("customer"), q.get("domain")) {
        (Some(c), _) if c == "my_customer" || c == CUSTOMER_ID => Ok(()),
        (Some(_), _) => Err(failure(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "global",
            "Bad Request",
        )),
        (None, Some(domain)) if domain.eq_ignore_ascii_case(&d.domain) => Ok(()),
        (None, Some(_)) => Err(not_authorized()),
        (None, None) => Err(failure(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "global",
            "Bad Request",
        )),
    }
}

fn max_results(q: &HashMap<String, String>, default: usize, most: usize) -> Result<usize, Failure> {
    match q.get("maxResults") {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 1 && usize::try_from(n).is_ok_and(|n| n <= most) => {
                Ok(usize::try_from(n).unwrap_or(default))
            }
            Ok(_) => Err(bad_request(&format!(
                "Invalid value '{v}'. Values must be within the range: [1, {most}]"
            ))),
            Err(_) => Err(bad_request(&format!(
                "Invalid value '{v}'. Expected an integer."
            ))),
        },
    }
}

fn flag(q: &HashMap<String, String>, name: &str) -> Result<bool, Failure> {
    match q.get(name).map(String::as_str) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(bad_request(&format!("Invalid value '{v}' for {name}"))),
    }
}

/// What a page token is bound to: the list and every parameter but the paging ones.
fn fingerprint(q: &HashMap<String, String>, list: &str) -> String {
    let mut keys: Vec<(&String, &String)> = q
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "pageToken" | "maxResults" | "fields"))
        .collect();
    keys.sort();
    let mut h = Sha256::new();
    h.update(list.as_bytes());
    for (k, v) in keys {
        h.update(b"\0");
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(v.as_bytes());
    }
    let d = h.finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..9])
}

fn page_token(fingerprint: &str, last_key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{fingerprint}\n{last_key}"))
}

/// Where the page a token asks for starts in `rows` (sorted by key, reversed when `descending`): just after
/// the last key served. A token from another list or query is a 400.
fn resume(
    q: &HashMap<String, String>,
    fingerprint: &str,
    rows: &[Row],
    descending: bool,
) -> Result<usize, Failure> {
    let Some(token) = q.get("pageToken").filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    let invalid = || bad_request("Invalid Input: pageToken");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    let (fp, last) = text.split_once('\n').ok_or_else(invalid)?;
    if fp != fingerprint {
        return Err(invalid());
    }
    Ok(if descending {
        rows.partition_point(|r| r.key.as_str() >= last)
    } else {
        rows.partition_point(|r| r.key.as_str() <= last)
    })
}

fn etag(text: &str) -> String {
    let h = Sha256::digest(text.as_bytes());
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&h[..18])
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserOrder {
    Email,
    Given,
    Family,
}

/// One clause of a search query: `field=value` (the whole value, exactly), `field:value*` (the value's
/// start), or a free-text word. Google's "Search for groups" and "Search for users" guides compare
/// without regard to case, which is what this does too.
#[derive(Debug, Clone)]
struct Clause {
    field: String,
    value: String,
    prefix: bool,
}

impl Clause {
    fn hit(&self, candidate: &str) -> bool {
        let c = candidate.to_lowercase();
        if self.prefix {
            c.starts_with(&self.value)
        } else {
            c == self.value
        }
    }
}

/// A clause as written: the field and operator (the first `:` or `=` outside quotes) and the value with
/// its quotes removed and escapes resolved.
#[derive(Debug, Default)]
struct Word {
    field: String,
    op: Option<char>,
    value: String,
}

/// Splits a query into clauses as Google's search guides describe them: whitespace separates clauses
/// except inside single or double quotes; inside a value `\'` stands for a quote (`name='Valentine\'s
/// Day'`) and a backslash before any other character stands for that character. A `*` ending a `:` value
/// asks for a prefix; after `=` it is part of the value. A clause without an operator is a free-text word.
/// An unclosed quote or a dangling backslash is a 400, as Google answers a query it cannot parse.
fn clauses(text: &str) -> Result<Vec<Clause>, Failure> {
    let invalid = || bad_request("Invalid Input: query");
    let mut words: Vec<Word> = Vec::new();
    let mut cur: Option<Word> = None;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                let escaped = chars.next().ok_or_else(invalid)?;
                cur.get_or_insert_with(Word::default).value.push(escaped);
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.get_or_insert_with(Word::default).value.push(c),
            (None, '\'' | '"') => {
                cur.get_or_insert_with(Word::default);
                quote = Some(c);
            }
            (None, c) if c.is_whitespace() => words.extend(cur.take()),
            (None, ':' | '=') if cur.as_ref().is_none_or(|w| w.op.is_none()) => {
                let w = cur.get_or_insert_with(Word::default);
                w.field = std::mem::take(&mut w.value);
                w.op = Some(c);
            }
            (None, c) => cur.get_or_insert_with(Word::default).value.push(c),
        }
    }
    if quote.is_some() {
        return Err(invalid());
    }
    words.extend(cur);
    Ok(words
        .into_iter()
        .map(|w| {
            let prefix = w.op != Some('=') && w.value.ends_with('*');
            let value = if prefix {
                w.value.trim_end_matches('*')
            } else {
                w.value.as_str()
            };
            Clause {
                field: w.field.to_lowercase(),
                value: value.to_lowercase(),
                prefix,
            }
        })
        .collect())
}

/// A `users.list` query (Google's "Search for users" syntax, the fields Roster and tests use): `email`,
/// `givenName`, `familyName`, `name`, `externalId`, `orgUnitPath`, `orgTitle`, `orgDepartment`,
/// `isSuspended`, `isArchived`, `isAdmin`, and free words matched against names and email.
#[derive(Debug, Clone, Default)]
struct UserQuery(Vec<Clause>);

impl UserQuery {
    fn parse(text: &str) -> Result<UserQuery, Failure> {
        let cs = clauses(text)?;
        for c in &cs {
            if !matches!(
                c.field.as_str(),
                "" | "email"
                    | "givenname"
                    | "familyname"
                    | "name"
                    | "externalid"
                    | "orgunitpath"
                    | "orgtitle"
                    | "orgdepartment"
                    | "issuspended"
                    | "isarchived"
                    | "isadmin"
            ) {
                return Err(bad_request("Invalid Input: query"));
            }
        }
        Ok(UserQuery(cs))
    }

    fn matches(&self, p: &Person, d: &Directory) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let email = primary_email(p, &d.domain);
        let yes_no = |c: &Clause, v: bool| c.value == if v { "true" } else { "false" };
        self.0.iter().all(|c| match c.field.as_str() {
            "email" => c.hit(&email) || c.hit(&p.mail),
            "givenname" => c.hit(&p.given),
            "familyname" => c.hit(&p.family),
            "name" => c.hit(&p.display_name()),
            "externalid" => c.hit(&p.employee_id),
            "orgunitpath" => c.hit(&format!("/{}", p.department)),
            "orgtitle" => c.hit(&p.title),
            "orgdepartment" => c.hit(&p.department),
            "issuspended" => yes_no(c, p.state == PersonState::Suspended),
            "isarchived" => yes_no(c, d.is_archived(&p.id)),
            "isadmin" => yes_no(c, p.admin),
            _ => {
                let prefix = Clause {
                    prefix: true,
                    ..c.clone()
                };
                prefix.hit(&p.given) || prefix.hit(&p.family) || prefix.hit(&email)
            }
        })
    }
}

/// A `groups.list` query: `name` and `email`, each `=` (exactly) or `:` with a trailing `*` (a prefix),
/// clauses joined by AND; any other field is a 400.
#[derive(Debug, Clone, Default)]
struct GroupQuery(Vec<Clause>);

impl GroupQuery {
    fn parse(text: &str) -> Result<GroupQuery, Failure> {
        let cs = clauses(text)?;
        if cs
            .iter()
            .any(|c| !matches!(c.field.as_str(), "name" | "email"))
        {
            return Err(bad_request("Invalid Input: query"));
        }
        Ok(GroupQuery(cs))
    }

    fn matches(&self, t: &Team) -> bool {
        self.0.iter().all(|c| match c.field.as_str() {
            "name" => c.hit(&t.name),
            _ => c.hit(&t.mail),
        })
    }
}

/// One row of a members list.
#[derive(Debug, Clone, Copy)]
struct Entry<'d> {
    member: EntryKind<'d>,
    role: &'static str,
}

#[derive(Debug, Clone, Copy)]
enum EntryKind<'d> {
    User(&'d Person),
    Group(&'d Team),
}

/// Direct members in the order they were added; the first person added owns the group.
fn direct_members<'d>(d: &'d Directory, team: &'d Team) -> Vec<Entry<'d>> {
    let mut owner_given = false;
    team.members
        .iter()
        .filter_map(|m| match m {
            Member::Person(id) => d
                .person(id)
                .filter(|p| p.state != PersonState::Deleted)
                .map(|p| {
                    let role = if owner_given { "MEMBER" } else { "OWNER" };
                    owner_given = true;
                    Entry {
                        member: EntryKind::User(p),
                        role,
                    }
                }),
            Member::Team(id) => d.team(id).map(|t| Entry {
                member: EntryKind::Group(t),
                role: "MEMBER",
            }),
        })
        .collect()
}

/// Direct and indirect members (`includeDerivedMembership=true`): every group and person reachable
/// through nesting, each once (cycles included), depth first in membership order; the group itself is
/// never its own member. Indirect people get the role `MEMBER`.
fn derived_members<'d>(d: &'d Directory, team: &'d Team) -> Vec<Entry<'d>> {
    let mut out = Vec::new();
    let mut seen_people: HashSet<&str> = HashSet::new();
    let mut seen_teams: HashSet<&str> = HashSet::from([team.id.as_str()]);
    let mut stack: Vec<(&Team, bool)> = vec![(team, true)];
    while let Some((t, direct)) = stack.pop() {
        let mut nested = Vec::new();
        let rows = direct_members(d, t);
        for e in rows {
            match e.member {
                EntryKind::User(p) => {
                    if seen_people.insert(p.id.as_str()) {
                        out.push(Entry {
                            member: e.member,
                            role: if direct { e.role } else { "MEMBER" },
                        });
                    }
                }
                EntryKind::Group(sub) => {
                    if seen_teams.insert(sub.id.as_str()) {
                        out.push(Entry {
                            member: e.member,
                            role: "MEMBER",
                        });
                        nested.push((sub, false));
                    }
                }
            }
        }
        stack.extend(nested.into_iter().rev());
    }
    out
}

fn render_member(e: &Entry<'_>, d: &Directory) -> Value {
    match e.member {
        EntryKind::User(p) => {
            let id = user_id(&p.id);
            json!({
                "kind": "admin#directory#member",
                "etag": etag(&format!("member:{}:{}", p.id, p.changed)),
                "id": id,
                "email": primary_email(p, &d.domain),
                "role": e.role,
                "type": "USER",
                "status": if p.state == PersonState::Suspended { "SUSPENDED" } else { "ACTIVE" },
            })
        }
        EntryKind::Group(t) => json!({
            "kind": "admin#directory#member",
            "etag": etag(&format!("member:{}:{}", t.id, t.changed)),
            "id": group_id(&t.id),
            "email": t.mail,
            "role": e.role,
            "type": "GROUP",
            "status": "ACTIVE",
        }),
    }
}

/// A user resource (`projection=basic` and `full` differ only in custom schemas, which the emulated
/// organisation has none of).
fn render_user(p: &Person, d: &Directory) -> Value {
    let email = primary_email(p, &d.domain);
    let suspended = p.state == PersonState::Suspended;
    let mut emails = vec![json!({"address": email, "primary": true})];
    let mut aliases = Vec::new();
    if !p.mail.eq_ignore_ascii_case(&email) {
        emails.push(json!({"address": p.mail}));
        aliases.push(Value::String(p.mail.clone()));
    }
    let mut phones = vec![json!({"value": p.phone, "type": "work"})];
    if let Some(m) = &p.mobile {
        phones.push(json!({"value": m, "type": "mobile"}));
    }
    let mut u = json!({
        "kind": "admin#directory#user",
        "id": user_id(&p.id),
        "etag": etag(&format!("user:{}:{}", p.id, p.changed)),
        "primaryEmail": email,
        "name": {
            "givenName": p.given,
            "familyName": p.family,
            "fullName": p.display_name(),
        },
        "isAdmin": p.admin,
        "isDelegatedAdmin": false,
        "lastLoginTime": last_login(p),
        "creationTime": creation_time(p),
        "agreedToTerms": true,
        "suspended": suspended,
        "archived": d.is_archived(&p.id),
        "changePasswordAtNextLogin": false,
        "ipWhitelisted": false,
        "emails": emails,
        "phones": phones,
        "organizations": [{
            "title": p.title,
            "department": p.department,
            "primary": true,
            "customType": "",
        }],
        "externalIds": [{"value": p.employee_id, "type": "organization"}],
        "customerId": CUSTOMER_ID,
        "orgUnitPath": format!("/{}", p.department),
        "isMailboxSetup": true,
        "isEnrolledIn2Sv": false,
        "isEnforcedIn2Sv": false,
        "includeInGlobalAddressList": true,
    });
    if !aliases.is_empty() {
        u["aliases"] = Value::Array(aliases);
    }
    if suspended {
        u["suspensionReason"] = Value::String("ADMIN".into());
    }
    if p.state == PersonState::Deleted {
        u["deletionTime"] = Value::String(rfc3339(BASE_EPOCH + 86_400 * 800 + p.changed * 60));
    }
    u
}

fn render_group(t: &Team, d: &Directory) -> Value {
    let direct = t
        .members
        .iter()
        .filter(|m| match m {
            Member::Person(id) => d
                .person(id)
                .is_some_and(|p| p.state != PersonState::Deleted),
            Member::Team(id) => d.team(id).is_some(),
        })
        .count();
    let local = t.mail.split('@').next().unwrap_or_default();
    json!({
        "kind": "admin#directory#group",
        "id": group_id(&t.id),
        "etag": etag(&format!("group:{}:{}", t.id, t.changed)),
        "email": t.mail,
        "name": t.name,
        // int64 fields travel as JSON strings.
        "directMembersCount": direct.to_string(),
        "description": t.description,
        "adminCreated": true,
        "nonEditableAliases": [format!("{local}@{}.test-google-a.com", d.domain)],
    })
}

/// 2024-01-01T00:00:00Z: the organisation's seeded accounts were created within two years after it; later
/// hires a minute per change after that.
const BASE_EPOCH: u64 = 1_704_067_200;

fn spread(id: &str, salt: &str, range: u64) -> u64 {
    let h = Sha256::digest(format!("{salt}:{id}").as_bytes());
    let mut n = [0u8; 8];
    n.copy_from_slice(&h[..8]);
    u64::from_be_bytes(n) % range.max(1)
}

fn creation_time(p: &Person) -> String {
    if p.created == 0 {
        rfc3339(BASE_EPOCH + spread(&p.id, "created", 2 * 365 * 86_400))
    } else {
        rfc3339(BASE_EPOCH + 2 * 365 * 86_400 + p.created * 60)
    }
}

/// Some people never signed in: Google then says the epoch.
fn last_login(p: &Person) -> String {
    if p.created == 0 && !p.admin && spread(&p.id, "never", 20) == 0 {
        return rfc3339(0);
    }
    rfc3339(BASE_EPOCH + 2 * 365 * 86_400 + spread(&p.id, "login", 90 * 86_400))
}

/// `secs` since the Unix epoch as Google writes times: `2025-03-04T05:06:07.000Z`.
fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3_600,
        (rem % 3_600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests;
