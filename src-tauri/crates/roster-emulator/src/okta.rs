//! The emulated Okta Management API (`/api/v1/...`) over the organisation in [`crate::Directory`], written
//! from Okta's Users and Groups API reference (developer.okta.com/docs/reference/api/users, .../groups) and
//! the rate-limit headers the official SDKs read.
//!
//! What it serves:
//! - `GET /api/v1/users` (`limit` 1..=200, default 200; `after`; `filter`; `search`). Bodies are bare JSON
//!   arrays; paging is only through `Link: <absolute URL>; rel="self"` and `rel="next"` headers. Without
//!   `filter` or `search`, DEPROVISIONED users are left out, as Okta does.
//! - `GET /api/v1/users/{id}` (an id, or a login, or a login's short name) and
//!   `GET /api/v1/users/{id}/groups`.
//! - `GET /api/v1/groups` (`limit` 1..=200; `after`; `filter` on `id`, `type`, `lastUpdated` and
//!   `lastMembershipUpdated` only; `search` on those, `created` and any profile property, with `eq`, `sw`
//!   and the other documented operators, string values compared ignoring case, paged like any listing and
//!   ordered by `sortBy`/`sortOrder` when given; `q=` name prefix search, exact matches first, which does
//!   not page, default 10 and at most 300 results; `expand=stats` embeds `_embedded.stats.usersCount`; an
//!   expression Okta cannot parse, or naming a property the parameter does not take, is 400 `E0000031`),
//!   `GET /api/v1/groups/{id}`, and `GET /api/v1/groups/{id}/users` (`limit` 1..=1000, the documented
//!   default, which is also the most this emulator hands out; `after`).
//!
//! Users' profiles carry `login`, `email`, `firstName`, `lastName`, phones, `title`, `department` and
//! `employeeNumber`, and `displayName` for all but about one person in ten ([`has_display_name`]), as in
//! orgs that never fill in Okta's optional display name.
//!
//! Okta groups are flat: a directory group that nests others is shown as one Okta group whose members are
//! its transitive people (as Okta shows an imported AD group whose members were expanded). Its
//! `lastMembershipUpdated` is the latest membership change anywhere below it.
//!
//! Ids: users `00u` + 17 characters and groups `00g` + 17, derived from the directory's GUIDs (stable
//! across runs). Statuses: active people are ACTIVE except a deterministic few (about 3%, chosen from the
//! GUID, never the consenting admin) who are LOCKED_OUT, PASSWORD_EXPIRED, STAGED, PROVISIONED or RECOVERY;
//! suspended people are SUSPENDED; deleted ones DEPROVISIONED (and in no group). Timestamps grow with the
//! directory's change sequence (`lastUpdated` = a fixed epoch plus one minute per change).
//!
//! Every answer carries `Date` and `X-Rate-Limit-Limit/-Remaining/-Reset` (epoch seconds). Remaining counts
//! down through a one-minute window of [`crate::Knobs::rate_limit`] requests (default 600); when it reaches
//! 0 the next request starts a new window, i.e. the emulator assumes the client waited as told (it never
//! throttles on its own: throttling comes from the knobs, as 429 `E0000047` with Remaining 0 and Reset =
//! now + the knob's seconds). Tokens are checked first (401 `E0000011`; 403 `E0000006` without the
//! `okta.users.read` / `okta.groups.read` scope the route needs).

use crate::directory::{Member, Person, PersonState, Team};
use crate::{Injected, State};
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Users per page of `/api/v1/users` and `/api/v1/groups`: Okta's documented maximum.
pub const MAX_LIMIT: usize = 200;
/// Users per page of `/api/v1/groups/{id}/users`: Okta's documented default, the most this emulator gives.
pub const MAX_MEMBER_LIMIT: usize = 1000;
/// Results of a `q=` group search when no `limit` is given, and the most it returns.
pub const Q_DEFAULT: usize = 10;
/// The most results of a `q=` search.
pub const Q_MAX: usize = 300;
/// Requests per window when [`crate::Knobs::rate_limit`] is 0 (Okta's common per-minute limit for
/// `/api/v1/users`).
pub const DEFAULT_RATE_LIMIT: u64 = 600;

/// Epoch of the emulated history: the organisation as seeded is dated 2024-01-01T00:00:00Z.
const HISTORY_START: u64 = 1_704_067_200;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn okta_id(prefix: &str, kind: &str, guid: &str) -> String {
    let h = Sha256::digest(format!("okta-{kind}:{guid}").as_bytes());
    let mut out = String::with_capacity(20);
    out.push_str(prefix);
    for b in h.iter().take(17) {
        out.push(BASE62[usize::from(*b) % BASE62.len()] as char);
    }
    out
}

/// The Okta id of a directory person (`00u…`, 20 characters).
pub fn user_id(guid: &str) -> String {
    okta_id("00u", "user", guid)
}

/// The Okta id of a directory group (`00g…`, 20 characters).
pub fn group_id(guid: &str) -> String {
    okta_id("00g", "group", guid)
}

/// A person's Okta status (see the module docs).
pub fn user_status(p: &Person) -> &'static str {
    match p.state {
        PersonState::Deleted => "DEPROVISIONED",
        PersonState::Suspended => "SUSPENDED",
        PersonState::Active if p.admin => "ACTIVE",
        PersonState::Active => {
            let h = Sha256::digest(format!("okta-status:{}", p.id).as_bytes());
            match (u16::from(h[0]) << 8 | u16::from(h[1])) % 200 {
                0 | 1 => "LOCKED_OUT",
                2 => "PASSWORD_EXPIRED",
                3 => "STAGED",
                4 => "PROVISIONED",
                5 => "RECOVERY",
                _ => "ACTIVE",
            }
        }
    }
}

/// Whether a person's Okta profile has a `displayName`. Okta's base profile makes it optional and many
/// orgs never fill it in (their users have only `firstName` and `lastName`), so about one person in ten
/// here has none, chosen from the GUID; never the consenting admin, whose name the consent page shows.
pub fn has_display_name(p: &Person) -> bool {
    p.admin || Sha256::digest(format!("okta-display-name:{}", p.id).as_bytes())[0] >= 26
}

/// A person's Okta login (`username@domain`).
pub fn login(p: &Person, domain: &str) -> String {
    format!("{}@{domain}", p.username)
}

// ---- time -------------------------------------------------------------------------------------------

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm (days since 1970-01-01 -> proleptic Gregorian date).
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2024-01-01T00:00:00.000Z` for epoch seconds.
pub fn iso(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Epoch seconds of an Okta timestamp (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`, also without millis).
pub fn parse_iso(s: &str) -> Option<u64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !s.ends_with('Z') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (y, mo, d, h, mi, se) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    u64::try_from(days * 86_400 + i64::from(h * 3600 + mi * 60 + se)).ok()
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 IMF-fixdate).
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// When change number `seq` happened.
pub fn seq_time(seq: u64) -> u64 {
    HISTORY_START + seq * 60
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn spread(guid: &str, salt: &str, range: u64) -> u64 {
    let h = Sha256::digest(format!("{salt}:{guid}").as_bytes());
    u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]) % range.max(1)
}

// ---- search and filter expressions --------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Sw,
    Gt,
    Ge,
    Lt,
    Le,
    Pr,
}

#[derive(Debug, Clone)]
struct Clause {
    field: String,
    op: Op,
    value: String,
}

/// An expression as OR of ANDs (`and` binds tighter, as in SCIM); parentheses are accepted and ignored,
/// which is exact for the shapes clients send (`a or b or c`, `a and b`, `a and (b or c)` is not needed).
#[derive(Debug, Clone)]
struct Expr(Vec<Vec<Clause>>);

fn tokenize(s: &str) -> Option<Vec<(String, bool)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == '(' || c == ')' {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next()? {
                    '\\' => v.push(chars.next()?),
                    '"' => break,
                    x => v.push(x),
                }
            }
            out.push((v, true));
        } else {
            let mut w = String::new();
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() || x == '(' || x == ')' || x == '"' {
                    break;
                }
                w.push(x);
                chars.next();
            }
            out.push((w, false));
        }
    }
    Some(out)
}

impl Expr {
    fn parse(s: &str) -> Option<Expr> {
        let toks = tokenize(s)?;
        let mut ors = vec![Vec::new()];
        let mut i = 0;
        while i < toks.len() {
            let (field, quoted) = &toks[i];
            if *quoted {
                return None;
            }
            let (op, _) = toks.get(i + 1)?;
            let op = match op.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "sw" => Op::Sw,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                "pr" => Op::Pr,
                _ => return None,
            };
            let value = if op == Op::Pr {
                i += 2;
                String::new()
            } else {
                let (v, q) = toks.get(i + 2)?;
                if !q && !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                    return None;
                }
                i += 3;
                v.clone()
            };
            ors.last_mut()?.push(Clause {
                field: field.clone(),
                op,
                value,
            });
            if let Some((joiner, false)) = toks.get(i) {
                match joiner.to_ascii_lowercase().as_str() {
                    "and" => {}
                    "or" => ors.push(Vec::new()),
                    _ => return None,
                }
                i += 1;
                if i == toks.len() {
                    return None;
                }
            }
        }
        if ors.iter().any(Vec::is_empty) {
            return None;
        }
        Some(Expr(ors))
    }

    fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().flatten().map(|c| c.field.as_str())
    }

    fn matches(&self, get: &dyn Fn(&str) -> Option<String>) -> bool {
        self.0.iter().any(|all| {
            all.iter().all(|c| {
                let v = get(&c.field);
                let is_time = c.field == "lastUpdated"
                    || c.field == "created"
                    || c.field == "lastMembershipUpdated"
                    || c.field == "statusChanged";
                let (have, want) = match (v, is_time) {
                    (None, _) => return c.op == Op::Ne,
                    (Some(v), true) => match (parse_iso(&v), parse_iso(&c.value)) {
                        (Some(a), Some(b)) => (format!("{a:020}"), format!("{b:020}")),
                        _ => return false,
                    },
                    (Some(v), false) => (v.to_lowercase(), c.value.to_lowercase()),
                };
                match c.op {
                    Op::Eq => have == want,
                    Op::Ne => have != want,
                    Op::Sw => have.starts_with(&want),
                    Op::Gt => have > want,
                    Op::Ge => have >= want,
                    Op::Lt => have < want,
                    Op::Le => have <= want,
                    Op::Pr => !have.is_empty(),
                }
            })
        })
    }
}

// ---- the server -------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Window {
    reset: u64,
    used: u64,
    exhausted: bool,
}

/// Okta ids back to directory GUIDs; rebuilt when people or groups were added (ids never change and
/// nothing is ever removed from the directory, so the counts tell when it is stale).
#[derive(Debug, Default)]
struct Ids {
    people: usize,
    teams: usize,
    users: HashMap<String, String>,
    groups: HashMap<String, String>,
}

/// The sorted member GUIDs of the group paged last, valid while the directory's `seq` is unchanged.
#[derive(Debug, Default)]
struct MemberCache {
    team: String,
    seq: u64,
    members: Arc<Vec<String>>,
}

struct Okta {
    state: Arc<State>,
    window: Mutex<Window>,
    ids: Mutex<Ids>,
    members: Mutex<MemberCache>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What every answer carries.
struct Ctx {
    now: u64,
    limit: u64,
    remaining: u64,
    reset: u64,
    injected: Injected,
}

#[derive(Clone, Copy)]
enum Scope {
    Users,
    Groups,
}

fn error_body(code: &str, summary: &str) -> Vec<u8> {
    let id = format!("oae{}", okta_id("", "error", &format!("{code}{summary}")));
    json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": id,
        "errorCauses": [],
    })
    .to_string()
    .into_bytes()
}

type Params = Vec<(String, String)>;

fn param<'a>(q: &'a Params, name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Okta {
    fn base_headers(
        &self,
        b: axum::http::response::Builder,
        ctx: &Ctx,
    ) -> axum::http::response::Builder {
        b.header(header::DATE, http_date(ctx.now))
            .header("X-Rate-Limit-Limit", ctx.limit.to_string())
            .header("X-Rate-Limit-Remaining", ctx.remaining.to_string())
            .header("X-Rate-Limit-Reset", ctx.reset.to_string())
    }

    fn plain(&self, ctx: &Ctx, status: StatusCode, body: Vec<u8>) -> Response {
        let b = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json");
        let b = self.base_headers(b, ctx);
        b.body(Body::from(body))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }

    fn quick_ctx(&self) -> Ctx {
        let now = now_secs();
        let w = lock(&self.window);
        let limit = self.limit();
        Ctx {
            now,
            limit,
            remaining: limit.saturating_sub(w.used),
            reset: w.reset.max(now),
            injected: Injected::Nothing,
        }
    }

    fn limit(&self) -> u64 {
        match self.state.knobs.rate_limit.load(Ordering::SeqCst) {
            0 => DEFAULT_RATE_LIMIT,
            n => n,
        }
    }

    /// Checks the token and scope, counts the call against the rate window, and asks the knobs what to
    /// inject. `Err` is the answer to send instead (401, 403, 429).
    fn begin(&self, headers: &HeaderMap, scope: Scope) -> Result<Ctx, Box<Response>> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        let grant = match token.map(|t| self.state.tokens.check(t)) {
            Some(Ok(g)) => g,
            _ => {
                let ctx = self.quick_ctx();
                let mut r = self.plain(
                    &ctx,
                    StatusCode::UNAUTHORIZED,
                    error_body("E0000011", "Invalid token provided"),
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer realm=\"IdpMyAccountAPI\", error=\"invalid_token\", error_description=\"The access token is invalid.\"",
                    ),
                );
                return Err(Box::new(r));
            }
        };
        let needed = match scope {
            Scope::Users => ["okta.users.read", "okta.users.manage"],
            Scope::Groups => ["okta.groups.read", "okta.groups.manage"],
        };
        if !grant.scopes.iter().any(|s| needed.contains(&s.as_str())) {
            let ctx = self.quick_ctx();
            let mut r = self.plain(
                &ctx,
                StatusCode::FORBIDDEN,
                error_body(
                    "E0000006",
                    "You do not have permission to perform the requested action",
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "Bearer realm=\"IdpMyAccountAPI\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", scope=\"{}\"",
                needed[0]
            )) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            return Err(Box::new(r));
        }
        let now = now_secs();
        let limit = self.limit();
        let (remaining, reset) = {
            let mut w = lock(&self.window);
            if w.exhausted || now >= w.reset {
                w.reset = now + 60;
                w.used = 0;
                w.exhausted = false;
            }
            w.used += 1;
            let remaining = limit.saturating_sub(w.used);
            if remaining == 0 {
                w.exhausted = true;
            }
            (remaining, w.reset)
        };
        let injected = self.state.before_api_call();
        let ctx = Ctx {
            now,
            limit,
            remaining,
            reset,
            injected,
        };
        if let Injected::Throttle(secs) = injected {
            let ctx = Ctx {
                remaining: 0,
                reset: now + secs,
                ..ctx
            };
            return Err(Box::new(self.plain(
                &ctx,
                StatusCode::TOO_MANY_REQUESTS,
                error_body(
                    "E0000047",
                    "API call exceeded rate limit due to too many requests.",
                ),
            )));
        }
        Ok(ctx)
    }

    /// A 200 with a JSON body and paging links; cut in half if the knobs said so.
    fn finish(&self, ctx: &Ctx, body: &Value, links: &[(String, &str)]) -> Response {
        let mut bytes = body.to_string().into_bytes();
        if ctx.injected == Injected::Truncate {
            bytes.truncate(bytes.len() / 2);
        }
        let mut b = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json");
        b = self.base_headers(b, ctx);
        for (url, rel) in links {
            b = b.header(header::LINK, format!("<{url}>; rel=\"{rel}\""));
        }
        b.body(Body::from(bytes))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }

    fn not_found(&self, ctx: &Ctx, id: &str, kind: &str) -> Response {
        self.plain(
            ctx,
            StatusCode::NOT_FOUND,
            error_body(
                "E0000007",
                &format!("Not found: Resource not found: {id} ({kind})"),
            ),
        )
    }

    fn bad_request(&self, ctx: &Ctx, code: &str, summary: &str) -> Response {
        self.plain(ctx, StatusCode::BAD_REQUEST, error_body(code, summary))
    }

    fn url(&self, path: &str, params: &[(&str, String)]) -> String {
        match url::Url::parse(&format!("{}{path}", self.state.base_url)) {
            Ok(mut u) => {
                if !params.is_empty() {
                    let mut q = u.query_pairs_mut();
                    for (k, v) in params {
                        q.append_pair(k, v);
                    }
                }
                u.to_string()
            }
            Err(_) => format!("{}{path}", self.state.base_url),
        }
    }

    /// `self` and (when more remain) `next` links for a page of `path` with the request's other parameters.
    fn page_links(
        &self,
        path: &str,
        q: &Params,
        limit: usize,
        next_after: Option<String>,
    ) -> Vec<(String, &'static str)> {
        let keep: Vec<(&str, String)> = q
            .iter()
            .filter(|(k, _)| k != "after" && k != "limit")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let mut this = keep.clone();
        this.push(("limit", limit.to_string()));
        if let Some(a) = param(q, "after") {
            this.push(("after", a.to_string()));
        }
        let mut links = vec![(self.url(path, &this), "self")];
        if let Some(after) = next_after {
            let mut next = keep;
            next.push(("limit", limit.to_string()));
            next.push(("after", after));
            links.push((self.url(path, &next), "next"));
        }
        links
    }

    fn with_ids<R>(&self, f: impl FnOnce(&Ids) -> R) -> R {
        let d = self.state.read();
        let people = d.people().count();
        let teams = d.teams().count();
        let mut ids = lock(&self.ids);
        if ids.people != people || ids.teams != teams {
            ids.users = d.people().map(|p| (user_id(&p.id), p.id.clone())).collect();
            ids.groups = d.teams().map(|t| (group_id(&t.id), t.id.clone())).collect();
            ids.people = people;
            ids.teams = teams;
        }
        f(&ids)
    }

    fn user_guid(&self, okta: &str) -> Option<String> {
        self.with_ids(|ids| ids.users.get(okta).cloned())
    }

    fn group_guid(&self, okta: &str) -> Option<String> {
        self.with_ids(|ids| ids.groups.get(okta).cloned())
    }

    /// A group's transitive members' GUIDs, sorted (the paging order).
    fn sorted_members(&self, team: &str) -> Arc<Vec<String>> {
        let d = self.state.read();
        let seq = d.seq();
        let mut cache = lock(&self.members);
        if cache.team != team || cache.seq != seq {
            let mut m: Vec<String> = d
                .transitive_people(team)
                .into_iter()
                .filter(|p| p.state != PersonState::Deleted)
                .map(|p| p.id.clone())
                .collect();
            m.sort();
            *cache = MemberCache {
                team: team.to_string(),
                seq,
                members: Arc::new(m),
            };
        }
        cache.members.clone()
    }

    fn user_json(&self, p: &Person, domain: &str) -> Value {
        let id = user_id(&p.id);
        let status = user_status(p);
        let created = if p.created == 0 {
            HISTORY_START - spread(&p.id, "created", 3 * 365 * 86_400)
        } else {
            seq_time(p.created)
        };
        let activated = (status != "STAGED").then(|| created + 3600);
        let last_updated = seq_time(p.changed).max(created + 7200);
        let status_changed = if p.changed > 0 {
            last_updated
        } else {
            activated.unwrap_or(created)
        };
        let last_login = match status {
            "STAGED" | "PROVISIONED" => None,
            _ => Some((HISTORY_START - spread(&p.id, "login", 30 * 86_400)).max(created + 3600)),
        };
        let self_url = self.url(&format!("/api/v1/users/{id}"), &[]);
        let mut user = json!({
            "id": id,
            "status": status,
            "created": iso(created),
            "activated": activated.map(iso),
            "statusChanged": iso(status_changed),
            "lastLogin": last_login.map(iso),
            "lastUpdated": iso(last_updated),
            "passwordChanged": activated.map(iso),
            "type": { "id": "oty1ab2cd3ef4GH5i6j7" },
            "profile": {
                "login": login(p, domain),
                "email": p.mail,
                "firstName": p.given,
                "lastName": p.family,
                "displayName": p.display_name(),
                "mobilePhone": p.mobile,
                "primaryPhone": p.phone,
                "title": p.title,
                "department": p.department,
                "employeeNumber": p.employee_id,
            },
            "credentials": {
                "password": {},
                "provider": { "type": "OKTA", "name": "OKTA" }
            },
            "_links": { "self": { "href": self_url } }
        });
        if !has_display_name(p) {
            if let Some(profile) = user.get_mut("profile").and_then(Value::as_object_mut) {
                profile.remove("displayName");
            }
        }
        user
    }

    fn user_field(p: &Person, domain: &str, field: &str) -> Option<String> {
        let v = match field {
            "id" => user_id(&p.id),
            "status" => user_status(p).to_string(),
            "lastUpdated" => iso(seq_time(p.changed)),
            "created" => iso(seq_time(p.created)),
            "profile.login" => login(p, domain),
            "profile.email" => p.mail.clone(),
            "profile.firstName" => p.given.clone(),
            "profile.lastName" => p.family.clone(),
            "profile.displayName" => has_display_name(p).then(|| p.display_name())?,
            "profile.mobilePhone" => p.mobile.clone()?,
            "profile.primaryPhone" => p.phone.clone(),
            "profile.title" => p.title.clone(),
            "profile.department" => p.department.clone(),
            "profile.employeeNumber" => p.employee_id.clone(),
            _ => return None,
        };
        Some(v)
    }

    /// The latest membership change at or below a group (nesting followed, cycles safe).
    fn membership_changed(d: &crate::Directory, team: &Team) -> u64 {
        let mut latest = team.changed;
        let mut seen = HashSet::new();
        let mut stack = vec![team.id.clone()];
        while let Some(t) = stack.pop() {
            if !seen.insert(t.clone()) {
                continue;
            }
            if let Some(t) = d.team(&t) {
                latest = latest.max(t.changed);
                for m in &t.members {
                    if let Member::Team(sub) = m {
                        stack.push(sub.clone());
                    }
                }
            }
        }
        latest
    }

    fn group_json(&self, d: &crate::Directory, t: &Team, stats: bool) -> Value {
        let id = group_id(&t.id);
        let created =
            seq_time(t.created).min(HISTORY_START) - spread(&t.id, "created", 2 * 365 * 86_400);
        let mut g = json!({
            "id": id,
            "created": iso(created),
            "lastUpdated": iso(created + 86_400),
            "lastMembershipUpdated": iso(seq_time(Self::membership_changed(d, t)).max(created + 86_400)),
            "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP",
            "profile": { "name": t.name, "description": t.description },
            "_links": {
                "logo": [
                    { "name": "medium", "href": self.url("/img/logos/groups/okta-medium.png", &[]), "type": "image/png" },
                    { "name": "large", "href": self.url("/img/logos/groups/okta-large.png", &[]), "type": "image/png" }
                ],
                "users": { "href": self.url(&format!("/api/v1/groups/{id}/users"), &[]) },
                "apps": { "href": self.url(&format!("/api/v1/groups/{id}/apps"), &[]) }
            }
        });
        if stats {
            let count = d
                .transitive_people(&t.id)
                .iter()
                .filter(|p| p.state != PersonState::Deleted)
                .count();
            g["_embedded"] = json!({
                "stats": {
                    "usersCount": count,
                    "appsCount": 0,
                    "groupPushMappingsCount": 0,
                    "hasAdminPrivilege": false,
                    "_links": { "self": { "href": self.url(&format!("/api/v1/groups/{id}/stats"), &[]) } }
                }
            });
        }
        g
    }

    fn group_field(d: &crate::Directory, t: &Team, field: &str) -> Option<String> {
        let created =
            seq_time(t.created).min(HISTORY_START) - spread(&t.id, "created", 2 * 365 * 86_400);
        Some(match field {
            "id" => group_id(&t.id),
            "type" => "OKTA_GROUP".to_string(),
            "profile.name" => t.name.clone(),
            "profile.description" => t.description.clone(),
            "lastUpdated" => iso(created + 86_400),
            "created" => iso(created),
            "lastMembershipUpdated" => {
                iso(seq_time(Self::membership_changed(d, t)).max(created + 86_400))
            }
            _ => return None,
        })
    }
}

fn parse_limit(q: &Params, default: usize, max: usize) -> Result<usize, &'static str> {
    match param(q, "limit") {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            // Okta clamps large limits to the maximum rather than failing.
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(max).min(max)),
            _ => Err("limit"),
        },
    }
}

async fn list_users(
    axum::extract::State(o): axum::extract::State<Arc<Okta>>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    let ctx = match o.begin(&headers, Scope::Users) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let limit = match parse_limit(&q, MAX_LIMIT, MAX_LIMIT) {
        Ok(l) => l,
        Err(_) => return o.bad_request(&ctx, "E0000001", "Api validation failed: limit"),
    };
    let expr = match param(&q, "search").or(param(&q, "filter")) {
        None => None,
        Some(s) => match Expr::parse(s) {
            Some(e) => Some(e),
            None => return o.bad_request(&ctx, "E0000031", "Invalid search criteria."),
        },
    };
    if let Some(e) = &expr {
        let filter_fields = [
            "id",
            "status",
            "lastUpdated",
            "created",
            "profile.login",
            "profile.email",
            "profile.firstName",
            "profile.lastName",
        ];
        // `filter` takes only the documented few fields; `search` takes any profile property.
        let bad = if param(&q, "search").is_some() {
            e.fields()
                .any(|f| !(f.starts_with("profile.") || filter_fields.contains(&f)))
        } else {
            e.fields().any(|f| !filter_fields.contains(&f))
        };
        if bad {
            return o.bad_request(&ctx, "E0000031", "Invalid search criteria.");
        }
    }
    let after = match param(&q, "after") {
        None => None,
        Some(a) => match o.user_guid(a) {
            Some(g) => Some(g),
            None => return o.bad_request(&ctx, "E0000001", "Api validation failed: after"),
        },
    };
    let d = o.state.read();
    let domain = d.domain.clone();
    let mut page = Vec::new();
    let mut more = false;
    let mut last = None;
    for p in d
        .people()
        .skip_while(|p| after.as_ref().is_some_and(|a| p.id.as_str() <= a.as_str()))
    {
        let keep = match &expr {
            None => p.state != PersonState::Deleted,
            Some(e) => e.matches(&|f| Okta::user_field(p, &domain, f)),
        };
        if !keep {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        last = Some(user_id(&p.id));
        page.push(o.user_json(p, &domain));
    }
    drop(d);
    let links = o.page_links("/api/v1/users", &q, limit, if more { last } else { None });
    o.finish(&ctx, &Value::Array(page), &links)
}

async fn get_user(
    axum::extract::State(o): axum::extract::State<Arc<Okta>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ctx = match o.begin(&headers, Scope::Users) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let guid = o.user_guid(&id);
    let d = o.state.read();
    let domain = d.domain.clone();
    let person = match guid {
        Some(g) => d.person(&g),
        // Okta also takes a login, or its short name, in place of the id.
        None => {
            let short = id
                .strip_suffix(&format!("@{domain}"))
                .unwrap_or(id.as_str());
            d.person_by_username(short)
        }
    };
    match person {
        Some(p) => {
            let body = o.user_json(p, &domain);
            drop(d);
            o.finish(&ctx, &body, &[])
        }
        None => {
            drop(d);
            o.not_found(&ctx, &id, "User")
        }
    }
}

async fn user_groups(
    axum::extract::State(o): axum::extract::State<Arc<Okta>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ctx = match o.begin(&headers, Scope::Groups) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let Some(guid) = o.user_guid(&id) else {
        return o.not_found(&ctx, &id, "User");
    };
    let d = o.state.read();
    // Groups are flat in Okta: a person belongs to the groups that contain them directly and to every
    // group above those.
    let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
    for t in d.teams() {
        for m in &t.members {
            if let Member::Team(sub) = m {
                parents.entry(sub.as_str()).or_default().push(t.id.as_str());
            }
        }
    }
    let mut found: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = d
        .teams()
        .filter(|t| {
            t.members
                .iter()
                .any(|m| matches!(m, Member::Person(p) if *p == guid))
        })
        .map(|t| t.id.as_str())
        .collect();
    while let Some(t) = stack.pop() {
        if found.insert(t) {
            stack.extend(parents.get(t).into_iter().flatten().copied());
        }
    }
    let groups: Vec<Value> = d
        .teams()
        .filter(|t| found.contains(t.id.as_str()))
        .map(|t| o.group_json(&d, t, false))
        .collect();
    drop(d);
    o.finish(&ctx, &Value::Array(groups), &[])
}

/// Group properties `filter` takes (Okta's reference: "Filtering supports the following limited number of
/// properties: id, type, lastUpdated, and lastMembershipUpdated").
const GROUP_FILTER_FIELDS: [&str; 4] = ["id", "type", "lastUpdated", "lastMembershipUpdated"];
/// Group properties `search` takes: the top-level ones and every profile property (this org's groups have
/// `name` and `description`). Property names are case-sensitive.
const GROUP_SEARCH_FIELDS: [&str; 7] = [
    "id",
    "type",
    "created",
    "lastUpdated",
    "lastMembershipUpdated",
    "profile.name",
    "profile.description",
];

async fn list_groups(
    axum::extract::State(o): axum::extract::State<Arc<Okta>>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    let ctx = match o.begin(&headers, Scope::Groups) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let stats = param(&q, "expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "stats"));
    if let Some(prefix) = param(&q, "q") {
        // A type-ahead: name prefix, exact matches first, no paging (a capped page is simply shorter).
        let limit = match parse_limit(&q, Q_DEFAULT, Q_MAX) {
            Ok(l) => o.state.page_size(l),
            Err(_) => return o.bad_request(&ctx, "E0000001", "Api validation failed: limit"),
        };
        let prefix = prefix.to_lowercase();
        let d = o.state.read();
        let mut hits: Vec<&Team> = d
            .teams()
            .filter(|t| t.name.to_lowercase().starts_with(&prefix))
            .collect();
        hits.sort_by_key(|t| (t.name.to_lowercase() != prefix, t.name.to_lowercase()));
        let body: Vec<Value> = hits
            .into_iter()
            .take(limit)
            .map(|t| o.group_json(&d, t, stats))
            .collect();
        drop(d);
        return o.finish(&ctx, &Value::Array(body), &[]);
    }
    let limit = match parse_limit(&q, MAX_LIMIT, MAX_LIMIT) {
        Ok(l) => o.state.page_size(l),
        Err(_) => return o.bad_request(&ctx, "E0000001", "Api validation failed: limit"),
    };
    let search = param(&q, "search");
    let (text, fields): (_, &[&str]) = match search {
        Some(s) => (Some(s), &GROUP_SEARCH_FIELDS),
        None => (param(&q, "filter"), &GROUP_FILTER_FIELDS),
    };
    let expr = match text {
        None => None,
        Some(s) => match Expr::parse(s) {
            Some(e) if e.fields().all(|f| fields.contains(&f)) => Some(e),
            _ => return o.bad_request(&ctx, "E0000031", "Invalid search criteria."),
        },
    };
    // `sortBy` (any single property) and `sortOrder` apply to searches only; ties go by id.
    let sort_by = search.and(param(&q, "sortBy"));
    let descending = match (sort_by, param(&q, "sortOrder")) {
        (None, _) | (_, None) => false,
        (Some(_), Some(o)) => o.eq_ignore_ascii_case("desc"),
    };
    let after = match param(&q, "after") {
        None => None,
        Some(a) => match o.group_guid(a) {
            Some(g) => Some(g),
            None => return o.bad_request(&ctx, "E0000001", "Api validation failed: after"),
        },
    };
    let d = o.state.read();
    // Each group with its place in the listing: directory order, or (sorted value, Okta id) for a sorted
    // search. The `after` cursor is the last group served, wherever it now sorts.
    let key = |t: &Team| -> (String, String) {
        match sort_by {
            None => (String::new(), t.id.clone()),
            Some(f) => (
                Okta::group_field(&d, t, f)
                    .unwrap_or_default()
                    .to_lowercase(),
                group_id(&t.id),
            ),
        }
    };
    let mut rows: Vec<((String, String), &Team)> = d
        .teams()
        .filter(|t| {
            expr.as_ref()
                .is_none_or(|e| e.matches(&|f| Okta::group_field(&d, t, f)))
        })
        .map(|t| (key(t), t))
        .collect();
    if sort_by.is_some() {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
    }
    if descending {
        rows.reverse();
    }
    let start = match after.as_deref().and_then(|a| d.team(a)) {
        None => 0,
        Some(last) => {
            let k = key(last);
            rows.partition_point(|(r, _)| if descending { *r >= k } else { *r <= k })
        }
    };
    let end = (start + limit).min(rows.len());
    let page: Vec<Value> = rows[start..end]
        .iter()
        .map(|(_, t)| o.group_json(&d, t, stats))
        .collect();
    let next = (end < rows.len())
        .then(|| {
            rows.get(end.saturating_sub(1))
                .map(|(_, t)| group_id(&t.id))
        })
        .flatten();
    drop(d);
    let links = o.page_links("/api/v1/groups", &q, limit, next);
    o.finish(&ctx, &Value::Array(page), &links)
}

async fn get_group(
    axum::extract::State(o): axum::extract::State<Arc<Okta>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let ctx = match o.begin(&headers, Scope::Groups) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let stats = param(&q, "expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "stats"));
    let Some(guid) = o.group_guid(&id) else {
        return o.not_found(&ctx, &id, "UserGroup");
    };
    let d = o.state.read();
    let body = d.team(&guid).map(|t| o.group_json(&d, t, stats));
    drop(d);
    match body {
        Some(b) => o.finish(&ctx, &b, &[]),
        None => o.not_found(&ctx, &id, "UserGroup"),
    }
}

async fn group_users(
    axum::extract::State(o): axum::extract::State<Arc<Okta>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let ctx = match o.begin(&headers, Scope::Groups) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let limit = match parse_limit(&q, MAX_MEMBER_LIMIT, MAX_MEMBER_LIMIT) {
        Ok(l) => l,
        Err(_) => return o.bad_request(&ctx, "E0000001", "Api validation failed: limit"),
    };
    let Some(guid) = o.group_guid(&id) else {
        return o.not_found(&ctx, &id, "UserGroup");
    };
    let after = match param(&q, "after") {
        None => None,
        Some(a) => match o.user_guid(a) {
            Some(g) => Some(g),
            None => return o.bad_request(&ctx, "E0000001", "Api validation failed: after"),
        },
    };
    let members = o.sorted_members(&guid);
    let start = match &after {
        None => 0,
        Some(a) => members.partition_point(|m| m.as_str() <= a.as_str()),
    };
    let end = (start + limit).min(members.len());
    let d = o.state.read();
    let domain = d.domain.clone();
    let page: Vec<Value> = members[start..end]
        .iter()
        .filter_map(|g| d.person(g))
        .map(|p| o.user_json(p, &domain))
        .collect();
    drop(d);
    let next = (end < members.len())
        .then(|| members.get(end.saturating_sub(1)).map(|g| user_id(g)))
        .flatten();
    let links = o.page_links(&format!("/api/v1/groups/{id}/users"), &q, limit, next);
    o.finish(&ctx, &Value::Array(page), &links)
}

/// The API's routes.
pub fn router(state: Arc<State>) -> axum::Router {
    let okta = Arc::new(Okta {
        state,
        window: Mutex::new(Window::default()),
        ids: Mutex::new(Ids::default()),
        members: Mutex::new(MemberCache::default()),
    });
    axum::Router::new()
        .route("/api/v1/users", get(list_users))
        .route("/api/v1/users/{id}", get(get_user))
        .route("/api/v1/users/{id}/groups", get(user_groups))
        .route("/api/v1/groups", get(list_groups))
        .route("/api/v1/groups/{id}", get(get_group))
        .route("/api/v1/groups/{id}/users", get(group_users))
        .with_state(okta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_match_known_values() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(HISTORY_START), "2024-01-01T00:00:00.000Z");
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        for t in [0u64, 951_782_400, 1_709_210_096, 4_102_444_800] {
            assert_eq!(parse_iso(&iso(t)), Some(t), "{}", iso(t));
        }
        assert_eq!(parse_iso("2015-10-01T00:00:00Z"), Some(1_443_657_600));
        assert_eq!(parse_iso("yesterday"), None);
    }

    #[test]
    fn expressions_parse_as_okta_documents_them() {
        let e = Expr::parse(r#"id eq "a" or id eq "b""#).unwrap();
        assert_eq!(e.0.len(), 2);
        let get = |v: &'static str| move |f: &str| (f == "id").then(|| v.to_string());
        assert!(e.matches(&get("b")));
        assert!(!e.matches(&get("c")));
        let e = Expr::parse(r#"profile.login eq "O\"Brien@x""#).unwrap();
        assert_eq!(
            e.0[0][0].value, "O\"Brien@x",
            "escaped quotes are part of the value"
        );
        let e = Expr::parse(r#"lastUpdated gt "2024-01-01T00:00:00.000Z""#).unwrap();
        assert!(e.matches(&|_| Some("2024-01-01T00:01:00.000Z".into())));
        assert!(!e.matches(&|_| Some("2023-12-31T23:59:00.000Z".into())));
        assert!(
            Expr::parse("status eq ACTIVE").is_none(),
            "values are quoted"
        );
        assert!(Expr::parse(r#"status eq "ACTIVE" and"#).is_none());
        assert!(Expr::parse(r#"status like "A""#).is_none());
    }

    #[test]
    fn ids_are_okta_shaped_and_stable() {
        let u = user_id("0b7f-guid");
        assert_eq!(u.len(), 20);
        assert!(u.starts_with("00u") && u.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(u, user_id("0b7f-guid"));
        assert_ne!(u, user_id("0b7f-guie"));
        assert!(group_id("x").starts_with("00g"));
    }
}
