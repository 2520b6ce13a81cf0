//! The emulated Microsoft Graph v1.0 (`/v1.0/...`) over the organisation in [`crate::Directory`], written
//! from Microsoft's documentation (learn.microsoft.com/graph: paging, throttling, delta query, JSON batching,
//! advanced queries; microsoft-graph-docs-contrib `user-delta.md`, `group-delta.md`):
//!
//! - `GET /users`, `/users/{id | userPrincipalName}`, `/users/{id}/transitiveMemberOf`: `$select` (unknown
//!   properties are a 400), `$top` 1..=999 (else 400 with Graph's text; default 100), `$filter` with `eq`,
//!   `in`, `startswith` and `or`; `@odata.nextLink` absolute URLs carrying `$skiptoken`.
//! - `GET /groups`, `/groups/{id}`, `/groups/{id}/members`, `/groups/{id}/transitiveMembers` (mixed objects
//!   tagged `@odata.type`), `.../$count` (text); `$search="displayName:.."` and `$count` need the
//!   `ConsistencyLevel: eventual` header, as on Graph; `$filter` with `eq`, `in` and `startswith` does
//!   not (the group resource lists them for `displayName`, and they are default queries). String
//!   literals are quoted `'…'` with a quote inside doubled (`'O''Brien'`), compared ignoring case.
//! - `$filter` errors as Graph gives them: a filter that is not valid OData (say an undoubled quote) is 400
//!   `BadRequest` "Invalid filter clause"; an operator or property the collection does not support is 400
//!   `Request_UnsupportedQuery`.
//! - Every listing pages at `$top` (or the default), or fewer when [`crate::Knobs::page_cap`] says so.
//! - `GET /users/delta`, `/groups/delta`: query options only on the first call (encoded into the tokens);
//!   pages end in `@odata.nextLink` (`$skiptoken`) and finally `@odata.deltaLink` (`$deltatoken`, the
//!   directory's change sequence when the round began); later rounds return only what changed since;
//!   deleted users come back as `{"id", "@removed": {"reason": "changed"}}` (soft-deleted); groups with
//!   `members` selected carry `members@delta` (removals tagged `@removed`), one group's members possibly
//!   spread over several pages; `$deltatoken=latest` starts from now. A token this server did not issue, or
//!   one from the future, is answered `410 Gone` with `resyncRequired`, as the delta-query overview's
//!   "synchronization reset" describes.
//! - `POST /$batch`: up to 20 requests, answered in one `responses` array.
//!
//! Every call checks the bearer token (401 `InvalidAuthenticationToken`), the token's scopes (403
//! `Authorization_RequestDenied`), then [`State::before_api_call`]: `Throttle(s)` -> 429 `TooManyRequests`
//! with `Retry-After: s`; `Truncate` -> a 200 whose body stops halfway.
//!
//! Invariants: listing order is the directory's id order, so paging by "after this id" neither repeats nor
//! skips anyone while the organisation changes; a delta round's deltaLink carries the sequence number read
//! when the round *began*, so a change made during a round is reported again in the next (at least once).

use crate::directory::{Member, Person, PersonState, Team};
use crate::tokens::Rejection;
use crate::{Injected, State};
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The emulated tenant's primary domain.
pub const TENANT_DOMAIN: &str = "northwind.onmicrosoft.com";
/// The home domain of guests (B2B users), whose sign-in names become `local_partner.example#EXT#@tenant`.
pub const GUEST_DOMAIN: &str = "partner.example";
/// Largest `$top` (and `Prefer: odata.maxpagesize`) Graph accepts for directory objects.
pub const MAX_TOP: usize = 999;
/// Page size when none is asked for.
pub const DEFAULT_TOP: usize = 100;
/// Most member references one page of `/groups/delta` carries; a bigger group continues on the next page
/// (Graph documents that one group's `members@delta` may span pages; the limit itself is not documented).
pub const DELTA_MEMBERS_PER_PAGE: usize = 10_000;
/// Most requests in one `$batch` (Graph's documented limit).
pub const MAX_BATCH: usize = 20;

const USER_TYPE: &str = "#microsoft.graph.user";
const GROUP_TYPE: &str = "#microsoft.graph.group";

/// User properties this tenant knows (Graph's names); those the organisation does not model are `null`.
const USER_PROPS: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "employeeId",
    "mobilePhone",
    "businessPhones",
    "accountEnabled",
    "userType",
    "mailNickname",
    "otherMails",
    "proxyAddresses",
    "companyName",
    "officeLocation",
    "preferredLanguage",
    "usageLocation",
    "employeeType",
    "city",
    "country",
    "state",
    "streetAddress",
    "postalCode",
    "faxNumber",
    "onPremisesSamAccountName",
    "onPremisesImmutableId",
    "onPremisesUserPrincipalName",
    "createdDateTime",
    "creationType",
    "externalUserState",
];
/// What `/users` returns without `$select` (Graph's default set).
const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];
const GROUP_PROPS: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
    "visibility",
    "createdDateTime",
    "members",
];
const GROUP_DEFAULT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
    "visibility",
    "createdDateTime",
];

/// The API's routes.
pub fn router(state: Arc<State>) -> axum::Router {
    axum::Router::new()
        .route("/v1.0/{*rest}", axum::routing::any(api))
        .with_state(state)
}

/// The userPrincipalName of a person: `username@tenant`, or for a guest `username_partner.example#EXT#@tenant`.
pub fn user_principal_name(p: &Person) -> String {
    if p.guest {
        format!("{}_{GUEST_DOMAIN}#EXT#@{TENANT_DOMAIN}", p.username)
    } else {
        format!("{}@{TENANT_DOMAIN}", p.username)
    }
}

/// A person's `mail` as Graph shows it (a guest's is their home address).
pub fn user_mail(p: &Person) -> String {
    if p.guest {
        format!("{}@{GUEST_DOMAIN}", p.username)
    } else {
        p.mail.clone()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Answers

enum Body {
    Json(Value),
    Text(String),
}

/// One answer, rendered either as an HTTP response or as a `$batch` response entry.
struct Out {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

impl Out {
    fn json(v: Value) -> Out {
        Out {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }

    /// Graph's error shape: `{"error":{"code","message","innerError":{"request-id","client-request-id"}}}`.
    fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Out {
        let id = crate::directory::guid(&format!(
            "request:{}",
            REQUESTS.fetch_add(1, Ordering::Relaxed)
        ));
        Out {
            status,
            headers: Vec::new(),
            body: Body::Json(json!({
                "error": {
                    "code": code,
                    "message": message.into(),
                    "innerError": { "request-id": id, "client-request-id": id }
                }
            })),
        }
    }

    fn bad_request(code: &str, message: impl Into<String>) -> Out {
        Out::error(StatusCode::BAD_REQUEST, code, message)
    }

    fn not_found(id: &str) -> Out {
        Out::error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    fn header(mut self, name: &'static str, value: String) -> Out {
        self.headers.push((name, value));
        self
    }

    fn content_type(&self) -> &'static str {
        match self.body {
            Body::Json(_) => "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
            Body::Text(_) => "text/plain",
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Json(v) => serde_json::to_vec(v).unwrap_or_default(),
            Body::Text(t) => t.clone().into_bytes(),
        }
    }

    fn into_http(self, truncate: bool) -> Response {
        let mut body = self.bytes();
        if truncate && self.status.is_success() {
            body.truncate(body.len() / 2);
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type()),
        );
        for (k, v) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.insert(name, value);
            }
        }
        (self.status, headers, body).into_response()
    }

    fn into_batch_entry(self, id: Value) -> Value {
        let mut headers = Map::new();
        headers.insert("Content-Type".into(), json!(self.content_type()));
        for (k, v) in &self.headers {
            headers.insert((*k).to_string(), json!(v));
        }
        let body = match self.body {
            Body::Json(v) => v,
            Body::Text(t) => json!(t),
        };
        json!({ "id": id, "status": self.status.as_u16(), "headers": headers, "body": body })
    }
}

// ---------------------------------------------------------------------------------------------------------
// The one HTTP handler

async fn api(
    Shared(st): Shared<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let scopes = match authorize(&st, &headers) {
        Ok(s) => s,
        Err(out) => return out.into_http(false),
    };
    let injected = st.before_api_call();
    if let Injected::Throttle(secs) = injected {
        return throttled(secs).into_http(false);
    }
    let path = uri.path().strip_prefix("/v1.0").unwrap_or("");
    let query = uri.query().unwrap_or("");
    let out = if method == Method::POST && path.trim_matches('/') == "$batch" {
        batch(&st, &scopes, &body)
    } else {
        dispatch(&st, &scopes, &method, path, query, &headers)
    };
    out.into_http(injected == Injected::Truncate)
}

fn throttled(secs: u64) -> Out {
    Out::error(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!("Too many requests from Identifier:{TENANT_DOMAIN} under category:throttle.aad.ags.directory. Please try again later."),
    )
    .header("Retry-After", secs.to_string())
}

/// Checks the bearer token; returns the granted scopes (short names).
fn authorize(st: &State, headers: &HeaderMap) -> Result<Vec<String>, Out> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("");
    let message = if token.is_empty() {
        "Access token is empty."
    } else {
        match st.tokens.check(token) {
            Ok(grant) => {
                return Ok(grant
                    .scopes
                    .iter()
                    .flat_map(|s| s.split_whitespace())
                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
                    .collect())
            }
            Err(Rejection::Expired) => "Lifetime validation failed, the token is expired.",
            Err(Rejection::Revoked) => "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
            Err(Rejection::Unknown) => "Invalid JWT token. The token is malformed or was not issued to this resource.",
        }
    };
    Err(Out::error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
    .header(
        "WWW-Authenticate",
        format!("Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"", st.base_url),
    ))
}

/// Whether the grant allows reading `what` ("users" or "groups").
fn allowed(scopes: &[String], what: &str) -> Result<(), Out> {
    let ok: &[&str] = match what {
        "users" => &[
            "User.Read.All",
            "User.ReadBasic.All",
            "Directory.Read.All",
            ".default",
        ],
        _ => &[
            "GroupMember.Read.All",
            "Group.Read.All",
            "Directory.Read.All",
            ".default",
        ],
    };
    if scopes
        .iter()
        .any(|s| ok.iter().any(|k| k.eq_ignore_ascii_case(s)))
    {
        Ok(())
    } else {
        Err(Out::error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ))
    }
}

/// Routes one request (an HTTP call, or one request of a `$batch`).
fn dispatch(
    st: &State,
    scopes: &[String],
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Out {
    let segs: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    if method != Method::GET {
        return Out::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            format!("The HTTP method '{method}' is not allowed for this resource."),
        );
    }
    let q = Params::parse(query);
    let eventual = headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let prefer_page = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
                .find_map(|n| n.trim().parse::<usize>().ok())
        });
    let area = match segs.first() {
        Some(&"users") => "users",
        _ => "groups",
    };
    if let Err(out) = allowed(scopes, area) {
        return out;
    }
    let result = match segs.as_slice() {
        ["users"] => list_users(st, &q),
        ["users", "delta"] => delta(st, Kind::Users, &q, prefer_page),
        ["users", id] => get_user(st, id, &q),
        ["users", id, "transitiveMemberOf"] => member_of(st, id, &q),
        ["groups"] => list_groups(st, &q, eventual),
        ["groups", "delta"] => delta(st, Kind::Groups, &q, prefer_page),
        ["groups", id] => get_group(st, id, &q),
        ["groups", id, rel] if *rel == "members" || *rel == "transitiveMembers" => {
            members(st, id, *rel == "transitiveMembers", &q)
        }
        ["groups", id, rel, "$count"] if *rel == "members" || *rel == "transitiveMembers" => {
            count_members(st, id, *rel == "transitiveMembers", eventual)
        }
        _ => Err(Out::bad_request(
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                segs.last().copied().unwrap_or("")
            ),
        )),
    };
    result.unwrap_or_else(|e| e)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------------------
// Query options and paging tokens

/// Query options, decoded. OData option names are matched case-insensitively.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Params {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a `$skiptoken` or `$deltatoken` stands for (opaque to clients: base64url JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Token {
    /// The server that issued it.
    i: u64,
    /// What is being listed.
    k: String,
    /// Selected properties.
    #[serde(default)]
    s: Vec<String>,
    /// Page size.
    #[serde(default)]
    t: usize,
    /// Filter, search, or the object whose relationship is listed.
    #[serde(default)]
    f: Option<String>,
    /// Second filter (a `$search` next to a `$filter`).
    #[serde(default)]
    g: Option<String>,
    /// Position: objects after this id (lists) or from this id (group delta).
    #[serde(default)]
    a: Option<String>,
    /// Position: offset (relationship lists; members of the group at `a` in a delta).
    #[serde(default)]
    o: usize,
    /// Delta: changes after this sequence number (0: the initial round, everything that exists).
    #[serde(default)]
    since: u64,
    /// Delta: the sequence number when this round began (the next round's `since`).
    #[serde(default)]
    until: u64,
    /// `$count=true` was asked.
    #[serde(default)]
    c: bool,
}

fn instance(st: &State) -> u64 {
    let h = Sha256::digest(st.base_url.as_bytes());
    u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
}

fn encode(t: &Token) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode(st: &State, s: &str, kind: &str) -> Option<Token> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .ok()?;
    let t: Token = serde_json::from_slice(&bytes).ok()?;
    (t.i == instance(st) && t.k == kind).then_some(t)
}

fn bad_skiptoken() -> Out {
    Out::bad_request(
        "Request_BadRequest",
        "The specified page token value has expired and can no longer be included in your request.",
    )
}

fn link(st: &State, path: &str, option: &str, t: &Token) -> String {
    format!("{}/v1.0/{path}?{option}={}", st.base_url, encode(t))
}

fn page(st: &State, context: &str, value: Vec<Value>, next: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#{context}", st.base_url)),
    );
    if let Some(n) = next {
        m.insert("@odata.nextLink".into(), json!(n));
    }
    m.insert("value".into(), Value::Array(value));
    Value::Object(m)
}

fn top(q: &Params, prefer: Option<usize>) -> Result<usize, Out> {
    match q.get("$top") {
        None => Ok(prefer.unwrap_or(DEFAULT_TOP).clamp(1, MAX_TOP)),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(n),
            _ => Err(Out::bad_request(
                "Request_UnsupportedQuery",
                format!("Invalid page size specified: '{v}'. Must be between 1 and {MAX_TOP} inclusive."),
            )),
        },
    }
}

/// Resolves `$select` against a type's properties (case-insensitively, to Graph's spelling).
fn select(
    raw: Option<&str>,
    props: &[&'static str],
    default: &[&'static str],
    type_name: &str,
) -> Result<Vec<String>, Out> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(default.iter().map(|s| s.to_string()).collect());
    };
    let mut out = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match props.iter().find(|p| p.eq_ignore_ascii_case(name)) {
            Some(p) => {
                if !out.iter().any(|o: &String| o == p) {
                    out.push(p.to_string());
                }
            }
            None => {
                return Err(Out::bad_request(
                    "Request_BadRequest",
                    format!("Could not find a property named '{name}' on type '{type_name}'."),
                ))
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

fn user_prop(p: &Person, name: &str) -> Value {
    match name {
        "id" => json!(p.id),
        "userPrincipalName" => json!(user_principal_name(p)),
        "mail" => json!(user_mail(p)),
        "displayName" => json!(p.display_name()),
        "givenName" => json!(p.given),
        "surname" => json!(p.family),
        "jobTitle" => json!(p.title),
        "department" => json!(p.department),
        "employeeId" => json!(p.employee_id),
        "mobilePhone" => json!(p.mobile),
        "businessPhones" => json!([p.phone]),
        "accountEnabled" => json!(p.state == PersonState::Active),
        "userType" => json!(if p.guest { "Guest" } else { "Member" }),
        "mailNickname" => json!(if p.guest {
            format!("{}_{GUEST_DOMAIN}#EXT#", p.username)
        } else {
            p.username.clone()
        }),
        "otherMails" => json!(if p.guest { vec![user_mail(p)] } else { vec![] }),
        "proxyAddresses" => json!([format!("SMTP:{}", user_mail(p))]),
        "companyName" => json!("Northwind Traders"),
        "usageLocation" => json!("US"),
        "preferredLanguage" => json!("en-US"),
        "creationType" => json!(if p.guest { Some("Invitation") } else { None }),
        "externalUserState" => json!(if p.guest { Some("Accepted") } else { None }),
        _ => Value::Null,
    }
}

fn render_user(p: &Person, sel: &[String], typed: bool) -> Value {
    let mut m = Map::new();
    if typed {
        m.insert("@odata.type".into(), json!(USER_TYPE));
    }
    m.insert("id".into(), json!(p.id));
    for s in sel {
        if s != "id" {
            m.insert(s.clone(), user_prop(p, s));
        }
    }
    Value::Object(m)
}

fn group_prop(t: &Team, name: &str) -> Value {
    match name {
        "id" => json!(t.id),
        "displayName" => json!(t.name),
        "description" => json!(t.description),
        "mail" => json!(t.mail),
        "mailEnabled" => json!(false),
        "mailNickname" => json!(t.mail.split('@').next().unwrap_or("")),
        "securityEnabled" => json!(true),
        "groupTypes" => json!([]),
        _ => Value::Null,
    }
}

fn render_group(t: &Team, sel: &[String], typed: bool) -> Value {
    let mut m = Map::new();
    if typed {
        m.insert("@odata.type".into(), json!(GROUP_TYPE));
    }
    m.insert("id".into(), json!(t.id));
    for s in sel {
        if s != "id" && s != "members" {
            m.insert(s.clone(), group_prop(t, s));
        }
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------------------
// $filter: `p eq 'v'`, `p in ('a','b')`, `startswith(p,'v')`, joined by `or`.

#[derive(Debug, Clone)]
enum Clause {
    Eq(String, String),
    In(String, Vec<String>),
    StartsWith(String, String),
}

fn parse_filter(f: &str) -> Option<Vec<Clause>> {
    let toks = tokenize(f)?;
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match toks.get(i..) {
            Some(
                [Tok::Word(w), Tok::Open, Tok::Word(p), Tok::Comma, Tok::Str(v), Tok::Close, ..],
            ) if w.eq_ignore_ascii_case("startswith") => {
                out.push(Clause::StartsWith(p.clone(), v.clone()));
                i += 6;
            }
            Some([Tok::Word(p), Tok::Word(op), Tok::Str(v), ..])
                if op.eq_ignore_ascii_case("eq") =>
            {
                out.push(Clause::Eq(p.clone(), v.clone()));
                i += 3;
            }
            Some([Tok::Word(p), Tok::Word(op), Tok::Open, ..]) if op.eq_ignore_ascii_case("in") => {
                let mut vals = Vec::new();
                i += 3;
                loop {
                    match toks.get(i) {
                        Some(Tok::Str(v)) => vals.push(v.clone()),
                        Some(Tok::Comma) => {}
                        Some(Tok::Close) => break,
                        _ => return None,
                    }
                    i += 1;
                }
                i += 1;
                out.push(Clause::In(p.clone(), vals));
            }
            _ => return None,
        }
        match toks.get(i) {
            None => return Some(out),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("or") => i += 1,
            _ => return None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match c.get(i) {
                        None => return None,
                        Some('\'') if c.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let mut w = String::new();
                while i < c.len() && !matches!(c[i], ' ' | '\t' | '(' | ')' | ',' | '\'') {
                    w.push(c[i]);
                    i += 1;
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Some(out)
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn matches<F: Fn(&str) -> Value>(clauses: &[Clause], prop: F) -> bool {
    clauses.iter().any(|c| match c {
        Clause::Eq(p, v) => value_text(&prop(p)).is_some_and(|x| x.eq_ignore_ascii_case(v)),
        Clause::In(p, vs) => {
            value_text(&prop(p)).is_some_and(|x| vs.iter().any(|v| x.eq_ignore_ascii_case(v)))
        }
        Clause::StartsWith(p, v) => {
            value_text(&prop(p)).is_some_and(|x| x.to_lowercase().starts_with(&v.to_lowercase()))
        }
    })
}

/// Resolves the property names in a filter to Graph's spelling; `Err` names the first unknown one.
fn canonical_filter(clauses: Vec<Clause>, props: &[&'static str]) -> Result<Vec<Clause>, String> {
    let fix = |p: &str| {
        props
            .iter()
            .find(|k| k.eq_ignore_ascii_case(p))
            .map(|k| k.to_string())
            .ok_or_else(|| p.to_string())
    };
    clauses
        .into_iter()
        .map(|c| {
            Ok(match c {
                Clause::Eq(p, v) => Clause::Eq(fix(&p)?, v),
                Clause::In(p, v) => Clause::In(fix(&p)?, v),
                Clause::StartsWith(p, v) => Clause::StartsWith(fix(&p)?, v),
            })
        })
        .collect()
}

/// Operators and functions OData defines that this tenant does not evaluate (Graph accepts several of them
/// only as advanced queries, which Roster does not send with `$filter`).
const UNSUPPORTED_OPERATORS: &[&str] = &[
    "ne", "not", "gt", "ge", "lt", "le", "and", "endswith", "any", "all", "has", "contains",
];

/// Parses `$filter` as Graph does, and answers as Graph does when it cannot: a filter that is not valid
/// OData (an unbalanced quote, say `'O'Brien'` with the quote not doubled) is `400 BadRequest` "Invalid
/// filter clause"; a valid one using an operator or property the collection does not support is `400
/// Request_UnsupportedQuery`.
fn filter_of(
    raw: Option<&str>,
    props: &[&'static str],
    resource: &str,
) -> Result<Option<Vec<Clause>>, Out> {
    let Some(f) = raw.filter(|f| !f.trim().is_empty()) else {
        return Ok(None);
    };
    let Some(toks) = tokenize(f) else {
        return Err(Out::bad_request("BadRequest", "Invalid filter clause"));
    };
    let Some(clauses) = parse_filter(f) else {
        let operator = toks.iter().find_map(|t| match t {
            Tok::Word(w) => UNSUPPORTED_OPERATORS
                .iter()
                .find(|o| o.eq_ignore_ascii_case(w)),
            _ => None,
        });
        return Err(match operator {
            Some(o) => Out::bad_request(
                "Request_UnsupportedQuery",
                format!("Unsupported or invalid query filter clause specified: operator '{o}' in '{f}'."),
            ),
            None => Out::bad_request("BadRequest", "Invalid filter clause"),
        });
    };
    canonical_filter(clauses, props).map(Some).map_err(|p| {
        Out::bad_request(
            "Request_UnsupportedQuery",
            format!("Unsupported or invalid query filter clause specified for property '{p}' of resource '{resource}'."),
        )
    })
}

// ---------------------------------------------------------------------------------------------------------
// Users

fn list_users(st: &State, q: &Params) -> Result<Out, Out> {
    let tok = match q.get("$skiptoken") {
        Some(s) => decode(st, s, "users").ok_or_else(bad_skiptoken)?,
        None => {
            let s = select(
                q.get("$select"),
                USER_PROPS,
                USER_DEFAULT,
                "microsoft.graph.user",
            )?;
            let t = st.page_size(top(q, None)?);
            let f = q.get("$filter").map(str::to_string);
            filter_of(f.as_deref(), USER_PROPS, "User")?;
            Token {
                i: instance(st),
                k: "users".into(),
                s,
                t,
                f,
                ..Token::default()
            }
        }
    };
    let clauses = filter_of(tok.f.as_deref(), USER_PROPS, "User")?;
    let dir = st.read();
    let mut value = Vec::new();
    let mut next = None;
    let mut last: Option<&str> = None;
    let candidates = dir
        .people()
        .filter(|p| p.state != PersonState::Deleted)
        .filter(|p| tok.a.as_deref().is_none_or(|a| p.id.as_str() > a))
        .filter(|p| {
            clauses
                .as_ref()
                .is_none_or(|c| matches(c, |name| user_prop(p, name)))
        });
    for p in candidates {
        if value.len() == tok.t {
            let mut n = tok.clone();
            n.a = last.map(str::to_string);
            next = Some(link(st, "users", "$skiptoken", &n));
            break;
        }
        value.push(render_user(p, &tok.s, false));
        last = Some(p.id.as_str());
    }
    Ok(Out::json(page(st, "users", value, next)))
}

fn find_user<'a>(dir: &'a crate::Directory, key: &str) -> Option<&'a Person> {
    dir.person(key)
        .or_else(|| {
            dir.people()
                .find(|p| user_principal_name(p).eq_ignore_ascii_case(key))
        })
        .filter(|p| p.state != PersonState::Deleted)
}

fn get_user(st: &State, key: &str, q: &Params) -> Result<Out, Out> {
    let sel = select(
        q.get("$select"),
        USER_PROPS,
        USER_DEFAULT,
        "microsoft.graph.user",
    )?;
    let dir = st.read();
    let p = find_user(&dir, key).ok_or_else(|| Out::not_found(key))?;
    let mut v = render_user(p, &sel, false);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#users/$entity", st.base_url)),
        );
    }
    Ok(Out::json(v))
}

/// The groups that contain a person, directly or through nesting.
fn groups_of(dir: &crate::Directory, person: &str) -> Vec<String> {
    let mut found: Vec<String> = dir.teams_of(person).iter().map(|t| t.id.clone()).collect();
    let mut seen: HashSet<String> = found.iter().cloned().collect();
    let mut i = 0;
    while i < found.len() {
        let inner = Member::Team(found[i].clone());
        for t in dir.teams() {
            if t.members.contains(&inner) && seen.insert(t.id.clone()) {
                found.push(t.id.clone());
            }
        }
        i += 1;
    }
    found
}

fn member_of(st: &State, key: &str, q: &Params) -> Result<Out, Out> {
    let tok = match q.get("$skiptoken") {
        Some(s) => decode(st, s, "memberof").ok_or_else(bad_skiptoken)?,
        None => Token {
            i: instance(st),
            k: "memberof".into(),
            s: select(
                q.get("$select"),
                GROUP_PROPS,
                GROUP_DEFAULT,
                "microsoft.graph.group",
            )?,
            t: st.page_size(top(q, None)?),
            f: Some(key.to_string()),
            ..Token::default()
        },
    };
    let dir = st.read();
    let key = tok.f.clone().unwrap_or_default();
    let p = find_user(&dir, &key).ok_or_else(|| Out::not_found(&key))?;
    let ids = groups_of(&dir, &p.id);
    let slice: Vec<Value> = ids
        .iter()
        .skip(tok.o)
        .take(tok.t)
        .filter_map(|id| dir.team(id))
        .map(|t| render_group(t, &tok.s, true))
        .collect();
    let next = (tok.o + tok.t < ids.len()).then(|| {
        let mut n = tok.clone();
        n.o += tok.t;
        link(
            st,
            &format!("users/{}/transitiveMemberOf", p.id),
            "$skiptoken",
            &n,
        )
    });
    Ok(Out::json(page(st, "directoryObjects", slice, next)))
}

// ---------------------------------------------------------------------------------------------------------
// Groups

/// `$search="displayName:eng"`: Graph tokenizes display names and matches terms by prefix.
fn parse_search(raw: &str) -> Option<(String, String)> {
    let inner = raw.trim().strip_prefix('"')?.strip_suffix('"')?;
    let (prop, term) = inner.split_once(':')?;
    let prop = GROUP_PROPS
        .iter()
        .find(|p| p.eq_ignore_ascii_case(prop.trim()))?;
    Some((prop.to_string(), term.replace("\\\"", "\"").to_lowercase()))
}

fn search_hit(text: &str, term: &str) -> bool {
    let text = text.to_lowercase();
    text.match_indices(term).any(|(i, _)| {
        i == 0
            || text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_alphanumeric())
    })
}

fn list_groups(st: &State, q: &Params, eventual: bool) -> Result<Out, Out> {
    let tok = match q.get("$skiptoken") {
        Some(s) => decode(st, s, "groups").ok_or_else(bad_skiptoken)?,
        None => {
            let search = q.get("$search").map(str::to_string);
            let count = q
                .get("$count")
                .is_some_and(|c| c.eq_ignore_ascii_case("true"));
            if (search.is_some() || count) && !eventual {
                return Err(Out::bad_request(
                    "Request_UnsupportedQuery",
                    if search.is_some() {
                        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
                    } else {
                        "$count is not currently supported without the 'ConsistencyLevel: eventual' request header."
                    },
                ));
            }
            if let Some(s) = &search {
                parse_search(s).ok_or_else(|| {
                    Out::bad_request(
                        "Request_UnsupportedQuery",
                        format!("Syntax error: the $search value {s} is not a quoted \"property:term\" clause."),
                    )
                })?;
            }
            let f = q.get("$filter").map(str::to_string);
            filter_of(f.as_deref(), GROUP_PROPS, "Group")?;
            Token {
                i: instance(st),
                k: "groups".into(),
                s: select(
                    q.get("$select"),
                    GROUP_PROPS,
                    GROUP_DEFAULT,
                    "microsoft.graph.group",
                )?,
                t: st.page_size(top(q, None)?),
                f,
                g: search,
                c: count,
                ..Token::default()
            }
        }
    };
    let clauses = filter_of(tok.f.as_deref(), GROUP_PROPS, "Group")?;
    let search = tok.g.as_deref().and_then(parse_search);
    let dir = st.read();
    let hits: Vec<&Team> = dir
        .teams()
        .filter(|t| {
            clauses
                .as_ref()
                .is_none_or(|c| matches(c, |name| group_prop(t, name)))
        })
        .filter(|t| {
            search.as_ref().is_none_or(|(p, term)| {
                value_text(&group_prop(t, p)).is_some_and(|x| search_hit(&x, term))
            })
        })
        .collect();
    let rest: Vec<&&Team> = hits
        .iter()
        .filter(|t| tok.a.as_deref().is_none_or(|a| t.id.as_str() > a))
        .collect();
    let value: Vec<Value> = rest
        .iter()
        .take(tok.t)
        .map(|t| render_group(t, &tok.s, false))
        .collect();
    let next = (rest.len() > tok.t).then(|| {
        let mut n = tok.clone();
        n.a = rest.get(tok.t.saturating_sub(1)).map(|t| t.id.clone());
        link(st, "groups", "$skiptoken", &n)
    });
    let mut body = page(st, "groups", value, next);
    if tok.c {
        if let Value::Object(m) = &mut body {
            m.insert("@odata.count".into(), json!(hits.len()));
        }
    }
    Ok(Out::json(body))
}

fn get_group(st: &State, id: &str, q: &Params) -> Result<Out, Out> {
    let sel = select(
        q.get("$select"),
        GROUP_PROPS,
        GROUP_DEFAULT,
        "microsoft.graph.group",
    )?;
    let dir = st.read();
    let t = dir.team(id).ok_or_else(|| Out::not_found(id))?;
    let mut v = render_group(t, &sel, false);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#groups/$entity", st.base_url)),
        );
    }
    Ok(Out::json(v))
}

/// A group's direct members, or (transitive) every user and group reachable through nesting, each once,
/// the group itself excluded, cycles safe.
fn member_list(dir: &crate::Directory, id: &str, transitive: bool) -> Vec<Member> {
    let Some(root) = dir.team(id) else {
        return Vec::new();
    };
    if !transitive {
        return root.members.clone();
    }
    let mut out = Vec::new();
    let mut seen: HashSet<Member> = HashSet::new();
    seen.insert(Member::Team(id.to_string()));
    let mut queue = vec![id.to_string()];
    let mut i = 0;
    while i < queue.len() {
        if let Some(t) = dir.team(&queue[i]) {
            for m in &t.members {
                if seen.insert(m.clone()) {
                    out.push(m.clone());
                    if let Member::Team(sub) = m {
                        queue.push(sub.clone());
                    }
                }
            }
        }
        i += 1;
    }
    out
}

fn members(st: &State, id: &str, transitive: bool, q: &Params) -> Result<Out, Out> {
    let kind = if transitive { "tmembers" } else { "members" };
    let tok = match q.get("$skiptoken") {
        Some(s) => decode(st, s, kind).ok_or_else(bad_skiptoken)?,
        None => {
            // Members are users and groups: a property of either type may be selected.
            let mut props: Vec<&'static str> = USER_PROPS.to_vec();
            props.extend(GROUP_PROPS.iter().filter(|p| **p != "members"));
            Token {
                i: instance(st),
                k: kind.into(),
                s: select(
                    q.get("$select"),
                    &props,
                    USER_DEFAULT,
                    "microsoft.graph.directoryObject",
                )?,
                t: st.page_size(top(q, None)?),
                f: Some(id.to_string()),
                ..Token::default()
            }
        }
    };
    let dir = st.read();
    let gid = tok.f.clone().unwrap_or_default();
    if dir.team(&gid).is_none() {
        return Err(Out::not_found(&gid));
    }
    let all = member_list(&dir, &gid, transitive);
    let user_sel: Vec<String> = tok
        .s
        .iter()
        .filter(|s| USER_PROPS.contains(&s.as_str()))
        .cloned()
        .collect();
    let group_sel: Vec<String> = tok
        .s
        .iter()
        .filter(|s| GROUP_PROPS.contains(&s.as_str()))
        .cloned()
        .collect();
    let value: Vec<Value> = all
        .iter()
        .skip(tok.o)
        .take(tok.t)
        .filter_map(|m| match m {
            Member::Person(p) => dir
                .person(p)
                .filter(|p| p.state != PersonState::Deleted)
                .map(|p| render_user(p, &user_sel, true)),
            Member::Team(t) => dir.team(t).map(|t| render_group(t, &group_sel, true)),
        })
        .collect();
    let next = (tok.o + tok.t < all.len()).then(|| {
        let mut n = tok.clone();
        n.o += tok.t;
        let rel = if transitive {
            "transitiveMembers"
        } else {
            "members"
        };
        link(st, &format!("groups/{gid}/{rel}"), "$skiptoken", &n)
    });
    Ok(Out::json(page(st, "directoryObjects", value, next)))
}

fn count_members(st: &State, id: &str, transitive: bool, eventual: bool) -> Result<Out, Out> {
    if !eventual {
        return Err(Out::bad_request(
            "Request_BadRequest",
            "Count is not currently supported without the 'ConsistencyLevel: eventual' request header.",
        ));
    }
    let dir = st.read();
    if dir.team(id).is_none() {
        return Err(Out::not_found(id));
    }
    let n = member_list(&dir, id, transitive).len();
    Ok(Out {
        status: StatusCode::OK,
        headers: Vec::new(),
        body: Body::Text(n.to_string()),
    })
}

// ---------------------------------------------------------------------------------------------------------
// Delta

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    fn token_kind(self) -> &'static str {
        match self {
            Kind::Users => "udelta",
            Kind::Groups => "gdelta",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Kind::Users => "users/delta",
            Kind::Groups => "groups/delta",
        }
    }
    fn context(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
        }
    }
}

fn resync(st: &State, kind: Kind) -> Out {
    Out::error(
        StatusCode::GONE,
        "resyncRequired",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    )
    .header("Location", format!("{}/v1.0/{}", st.base_url, kind.path()))
}

fn delta(st: &State, kind: Kind, q: &Params, prefer: Option<usize>) -> Result<Out, Out> {
    let seq = st.read().seq();
    let tk = kind.token_kind();
    let tok = if let Some(s) = q.get("$skiptoken") {
        decode(st, s, tk).ok_or_else(|| resync(st, kind))?
    } else if let Some(d) = q.get("$deltatoken") {
        if d == "latest" {
            let (props, default, tn) = match kind {
                Kind::Users => (USER_PROPS, USER_DEFAULT, "microsoft.graph.user"),
                Kind::Groups => (GROUP_PROPS, GROUP_DEFAULT, "microsoft.graph.group"),
            };
            let t = Token {
                i: instance(st),
                k: tk.into(),
                s: select(q.get("$select"), props, default, tn)?,
                t: top(q, prefer)?,
                since: seq,
                ..Token::default()
            };
            let mut body = page(st, kind.context(), Vec::new(), None);
            if let Value::Object(m) = &mut body {
                m.insert(
                    "@odata.deltaLink".into(),
                    json!(link(st, kind.path(), "$deltatoken", &t)),
                );
            }
            return Ok(Out::json(body));
        }
        let d = decode(st, d, tk)
            .filter(|d| d.since <= seq)
            .ok_or_else(|| resync(st, kind))?;
        Token {
            until: seq,
            a: None,
            o: 0,
            t: prefer.map(|p| p.clamp(1, MAX_TOP)).unwrap_or(d.t),
            ..d
        }
    } else {
        let (props, default, tn) = match kind {
            Kind::Users => (USER_PROPS, USER_DEFAULT, "microsoft.graph.user"),
            Kind::Groups => (GROUP_PROPS, GROUP_DEFAULT, "microsoft.graph.group"),
        };
        let f = q.get("$filter").map(str::to_string);
        if let Some(c) = filter_of(f.as_deref(), &["id"], "directoryObject")? {
            let n: usize = c
                .iter()
                .map(|c| match c {
                    Clause::Eq(..) => 1,
                    Clause::In(_, v) => v.len(),
                    Clause::StartsWith(..) => 51,
                })
                .sum();
            if n > 50 {
                return Err(Out::bad_request(
                    "Request_UnsupportedQuery",
                    "Delta queries support $filter only on id (eq, or up to 50 ids joined by 'or').",
                ));
            }
        }
        Token {
            i: instance(st),
            k: tk.into(),
            s: select(q.get("$select"), props, default, tn)?,
            t: top(q, prefer)?,
            f,
            since: 0,
            until: seq,
            ..Token::default()
        }
    };
    let clauses = filter_of(tok.f.as_deref(), &["id"], "directoryObject")?;
    let dir = st.read();
    let (value, next) = match kind {
        Kind::Users => users_delta_page(&dir, &tok, clauses.as_deref()),
        Kind::Groups => groups_delta_page(&dir, &tok, clauses.as_deref()),
    };
    let mut body = page(st, kind.context(), value, None);
    if let Value::Object(m) = &mut body {
        match next {
            Some(n) => {
                m.insert(
                    "@odata.nextLink".into(),
                    json!(link(st, kind.path(), "$skiptoken", &n)),
                );
            }
            None => {
                let d = Token {
                    i: tok.i,
                    k: tok.k.clone(),
                    s: tok.s.clone(),
                    t: tok.t,
                    f: tok.f.clone(),
                    since: tok.until,
                    ..Token::default()
                };
                m.insert(
                    "@odata.deltaLink".into(),
                    json!(link(st, kind.path(), "$deltatoken", &d)),
                );
            }
        }
    }
    Ok(Out::json(body))
}

fn id_filter_ok(clauses: Option<&[Clause]>, id: &str) -> bool {
    clauses.is_none_or(|c| matches(c, |_| json!(id)))
}

fn users_delta_page(
    dir: &crate::Directory,
    tok: &Token,
    clauses: Option<&[Clause]>,
) -> (Vec<Value>, Option<Token>) {
    let mut value = Vec::new();
    let mut last: Option<&str> = None;
    let candidates = dir
        .people()
        .filter(|p| tok.a.as_deref().is_none_or(|a| p.id.as_str() > a))
        .filter(|p| id_filter_ok(clauses, &p.id))
        .filter(|p| {
            if tok.since == 0 {
                p.state != PersonState::Deleted
            } else {
                p.changed > tok.since
            }
        });
    for p in candidates {
        if value.len() == tok.t {
            let mut n = tok.clone();
            n.a = last.map(str::to_string);
            return (value, Some(n));
        }
        value.push(if p.state == PersonState::Deleted {
            json!({ "id": p.id, "@removed": { "reason": "changed" } })
        } else {
            render_user(p, &tok.s, false)
        });
        last = Some(p.id.as_str());
    }
    (value, None)
}

/// A group's `members@delta` for a round: everyone in it (initial round), or each member whose membership
/// changed since, in its final state, in the order of first change.
fn member_refs(t: &Team, since: u64) -> Vec<(&Member, bool)> {
    if since == 0 {
        return t.members.iter().map(|m| (m, true)).collect();
    }
    let mut out: Vec<(&Member, bool)> = Vec::new();
    let mut at: HashMap<&Member, usize> = HashMap::new();
    for c in t.member_log.iter().filter(|c| c.seq > since) {
        match at.get(&c.member) {
            Some(&i) => out[i].1 = c.added,
            None => {
                at.insert(&c.member, out.len());
                out.push((&c.member, c.added));
            }
        }
    }
    out
}

fn member_ref(m: &Member, present: bool) -> Value {
    let (t, id) = match m {
        Member::Person(id) => (USER_TYPE, id),
        Member::Team(id) => (GROUP_TYPE, id),
    };
    if present {
        json!({ "@odata.type": t, "id": id })
    } else {
        json!({ "@odata.type": t, "id": id, "@removed": { "reason": "deleted" } })
    }
}

fn groups_delta_page(
    dir: &crate::Directory,
    tok: &Token,
    clauses: Option<&[Clause]>,
) -> (Vec<Value>, Option<Token>) {
    let with_members = tok.s.iter().any(|s| s == "members");
    let mut value = Vec::new();
    let mut budget = DELTA_MEMBERS_PER_PAGE;
    let candidates = dir
        .teams()
        .filter(|t| tok.a.as_deref().is_none_or(|a| t.id.as_str() >= a))
        .filter(|t| id_filter_ok(clauses, &t.id))
        .filter(|t| tok.since == 0 || t.changed > tok.since);
    for t in candidates {
        let start = if tok.a.as_deref() == Some(t.id.as_str()) {
            tok.o
        } else {
            0
        };
        let refs = if with_members {
            member_refs(t, tok.since)
        } else {
            Vec::new()
        };
        let remaining = refs.len().saturating_sub(start);
        if value.len() == tok.t || (budget == 0 && remaining > 0) {
            let mut n = tok.clone();
            n.a = Some(t.id.clone());
            n.o = start;
            return (value, Some(n));
        }
        let take = remaining.min(budget);
        let mut obj = render_group(t, &tok.s, false);
        if with_members {
            if let Value::Object(m) = &mut obj {
                m.insert(
                    "members@delta".into(),
                    Value::Array(
                        refs[start..start + take]
                            .iter()
                            .map(|(m, present)| member_ref(m, *present))
                            .collect(),
                    ),
                );
            }
        }
        value.push(obj);
        budget -= take;
        if take < remaining {
            let mut n = tok.clone();
            n.a = Some(t.id.clone());
            n.o = start + take;
            return (value, Some(n));
        }
    }
    (value, None)
}

// ---------------------------------------------------------------------------------------------------------
// $batch

#[derive(Deserialize)]
struct BatchRequest {
    id: Value,
    method: String,
    url: String,
    #[serde(default)]
    headers: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Batch {
    requests: Vec<BatchRequest>,
}

fn batch(st: &State, scopes: &[String], body: &[u8]) -> Out {
    let b: Batch = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(_) => return Out::bad_request("BadRequest", "Invalid batch payload format."),
    };
    if b.requests.len() > MAX_BATCH {
        return Out::bad_request(
            "BadRequest",
            format!(
                "Too many requests in the batch: {} (the limit is {MAX_BATCH}).",
                b.requests.len()
            ),
        );
    }
    let mut responses = Vec::new();
    for r in b.requests {
        let rel = match r.url.find("/v1.0/") {
            Some(i) => r.url[i + 5..].to_string(),
            None => r.url.clone(),
        };
        let (path, query) = rel.split_once('?').unwrap_or((rel.as_str(), ""));
        let mut headers = HeaderMap::new();
        for (k, v) in &r.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.insert(n, v);
            }
        }
        let method = Method::from_bytes(r.method.to_uppercase().as_bytes()).unwrap_or(Method::GET);
        let out = if path.trim_matches('/') == "$batch" {
            Out::bad_request("BadRequest", "A batch cannot contain another batch.")
        } else {
            dispatch(st, scopes, &method, path, query, &headers)
        };
        responses.push(out.into_batch_entry(r.id));
    }
    Out::json(json!({ "responses": responses }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_as_graph_writes_them() {
        let c = parse_filter("userPrincipalName eq 'o''brien@x' or id in ('a', 'b')").unwrap();
        assert_eq!(c.len(), 2);
        assert!(matches!(&c[0], Clause::Eq(p, v) if p == "userPrincipalName" && v == "o'brien@x"));
        assert!(matches!(&c[1], Clause::In(p, v) if p == "id" && v.len() == 2));
        assert!(parse_filter("startswith(displayName,'Eng')").is_some());
        assert!(parse_filter("displayName ne 'x'").is_none());
        assert!(parse_filter("id eq 'a' and id eq 'b'").is_none());
    }

    #[test]
    fn search_matches_word_prefixes() {
        assert!(search_hit("Project Apollo 3", "apo"));
        assert!(search_hit("Engineering", "eng"));
        assert!(!search_hit("Engineering", "gineer"));
    }

    #[test]
    fn percent_decoding_handles_guest_names() {
        assert_eq!(
            percent_decode("a_partner.example%23EXT%23%40t"),
            "a_partner.example#EXT#@t"
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
