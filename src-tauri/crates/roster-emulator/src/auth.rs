//! The emulated authorization servers: the Microsoft identity platform (`/{tenant}/oauth2/v2.0/...`),
//! Google's OAuth server (`/o/oauth2/v2/auth`, `/token`, `/v1/userinfo`) and Okta's org authorization server
//! (`/oauth2/v1/...`), each with its vendor's rules as documented (brief setup-notes §3):
//!
//! - authorization code with PKCE, `S256` only (`plain` and missing challenges are refused);
//! - loopback redirect URIs on any port (RFC 8252 §7.3): Entra `http://localhost` or `http://127.0.0.1` with
//!   path `/callback`; Google `http://127.0.0.1`, `http://[::1]` or `http://localhost`, any path; Okta
//!   `http://127.0.0.1` with path `/callback`;
//! - client authentication: Entra and Okta clients are public and must not send a secret; Google's Desktop
//!   client must send its secret (HTTP Basic or in the form body);
//! - a consent page (vendor-branded, naming the signed-in admin, listing the scopes in plain words) with an
//!   **Approve** (`#approve`) and a **Deny** (`#deny`) button;
//! - codes that are single-use, short-lived and bound to the client, the redirect URI and the PKCE challenge;
//! - token responses and errors in each vendor's JSON shape, ID tokens (HS256 with a per-server random key)
//!   when `openid` was asked, refresh tokens only when offline access was asked.
//!
//! Invariants: tokens and codes are never logged; a code is removed the first time anyone tries to redeem
//! it, right or wrong; the admin from [`crate::Directory::admin`] is always the one who consents.
//!
//! [`Browser`] plays the system browser for tests and for `rosterctl` tests: it opens an authorization URL,
//! clicks Approve or Deny, and follows the redirect to the loopback listener.

use crate::directory::guid;
use crate::tokens::{Grant, Issued, Rejection};
use crate::{State, Vendor};
use axum::extract::{Form, Path, Query, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a consent page stays answerable.
const PENDING_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long an authorization code can be redeemed (Microsoft and Okta document 10 minutes or less).
const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// ID token lifetime.
const ID_TOKEN_SECS: u64 = 3600;

const GRAPH_PREFIX: &str = "https://graph.microsoft.com/";
const GOOGLE_PREFIX: &str = "https://www.googleapis.com/auth/";

/// What the user asked for on the authorization request, kept from the consent page to the code and from
/// the code to the token response.
#[derive(Debug, Clone)]
struct Asked {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    scopes: Vec<String>,
    challenge: String,
    offline: bool,
    created: Instant,
}

/// One vendor's authorization server.
struct Server {
    shared: Arc<State>,
    /// HS256 key of this server's ID tokens.
    key: [u8; 32],
    /// Consent pages shown and not yet answered, by request id.
    pending: Mutex<HashMap<String, Asked>>,
    /// Codes issued and not yet redeemed.
    codes: Mutex<HashMap<String, Asked>>,
    /// For Entra-style trace ids.
    traces: AtomicU64,
}

type Srv = Arc<Server>;

fn random(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The authorization server's routes for `state.vendor`.
pub fn router(state: Arc<State>) -> axum::Router {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let vendor = state.vendor;
    let srv: Srv = Arc::new(Server {
        shared: state,
        key,
        pending: Mutex::new(HashMap::new()),
        codes: Mutex::new(HashMap::new()),
        traces: AtomicU64::new(0),
    });
    let r = axum::Router::new();
    let r = match vendor {
        Vendor::Entra => r
            .route(
                "/{tenant}/oauth2/v2.0/authorize",
                get(entra_authorize).post(entra_decide),
            )
            .route("/{tenant}/oauth2/v2.0/token", post(entra_token)),
        Vendor::Google => r
            .route("/o/oauth2/v2/auth", get(plain_authorize).post(plain_decide))
            .route("/token", post(plain_token))
            .route("/v1/userinfo", get(userinfo)),
        Vendor::Okta => r
            .route(
                "/oauth2/v1/authorize",
                get(plain_authorize).post(plain_decide),
            )
            .route("/oauth2/v1/token", post(plain_token))
            .route("/oauth2/v1/userinfo", get(userinfo)),
    };
    r.with_state(srv)
}

type Params = HashMap<String, String>;

async fn entra_authorize(
    Shared(srv): Shared<Srv>,
    Path(tenant): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Some(r) = srv.check_tenant(&tenant, false) {
        return r;
    }
    srv.authorize(&q, &format!("/{tenant}/oauth2/v2.0/authorize"))
}

async fn entra_decide(
    Shared(srv): Shared<Srv>,
    Path(tenant): Path<String>,
    Form(f): Form<Params>,
) -> Response {
    if let Some(r) = srv.check_tenant(&tenant, false) {
        return r;
    }
    srv.decide(&f)
}

async fn entra_token(
    Shared(srv): Shared<Srv>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Form(f): Form<Params>,
) -> Response {
    if let Some(r) = srv.check_tenant(&tenant, true) {
        return r;
    }
    srv.token(&headers, &f)
}

async fn plain_authorize(Shared(srv): Shared<Srv>, Query(q): Query<Params>) -> Response {
    let path = match srv.shared.vendor {
        Vendor::Google => "/o/oauth2/v2/auth",
        _ => "/oauth2/v1/authorize",
    };
    srv.authorize(&q, path)
}

async fn plain_decide(Shared(srv): Shared<Srv>, Form(f): Form<Params>) -> Response {
    srv.decide(&f)
}

async fn plain_token(
    Shared(srv): Shared<Srv>,
    headers: HeaderMap,
    Form(f): Form<Params>,
) -> Response {
    srv.token(&headers, &f)
}

/// OpenID Connect userinfo (Google `/v1/userinfo`, Okta `/oauth2/v1/userinfo`).
async fn userinfo(Shared(srv): Shared<Srv>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let grant = match srv.shared.tokens.check(token) {
        Ok(g) => g,
        Err(_) => {
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    "Bearer error=\"invalid_token\", error_description=\"The access token is invalid or has expired.\"",
                )],
            )
                .into_response()
        }
    };
    let dir = srv.shared.read();
    let Some(p) = dir.person(&grant.subject) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut body = serde_json::json!({
        "sub": p.id,
        "name": p.display_name(),
        "given_name": p.given,
        "family_name": p.family,
        "email": p.mail,
        "email_verified": true,
    });
    if srv.shared.vendor == Vendor::Okta {
        body["preferred_username"] = serde_json::json!(p.mail);
    }
    axum::Json(body).into_response()
}

/// An error the token endpoint answers.
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Entra's AADSTS number.
    aadsts: u32,
}

fn bad(error: &'static str, description: impl Into<String>, aadsts: u32) -> TokenError {
    TokenError {
        status: StatusCode::BAD_REQUEST,
        error,
        description: description.into(),
        aadsts,
    }
}

fn unauthorized(error: &'static str, description: impl Into<String>, aadsts: u32) -> TokenError {
    TokenError {
        status: StatusCode::UNAUTHORIZED,
        error,
        description: description.into(),
        aadsts,
    }
}

impl Server {
    fn vendor(&self) -> Vendor {
        self.shared.vendor
    }

    fn brand(&self) -> &'static str {
        match self.vendor() {
            Vendor::Entra => "Microsoft",
            Vendor::Google => "Google",
            Vendor::Okta => "Okta",
        }
    }

    fn issuer(&self) -> String {
        let base = &self.shared.base_url;
        match self.vendor() {
            Vendor::Entra => format!("{base}/{}/v2.0", guid("tenant")),
            Vendor::Google | Vendor::Okta => base.clone(),
        }
    }

    fn trace(&self) -> String {
        guid(&format!(
            "trace:{}",
            self.traces.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// Entra's tenant segment: the tenant's domain, its GUID, or the multi-tenant aliases. `Some`: the error
    /// answer for an unknown tenant.
    fn check_tenant(&self, tenant: &str, json: bool) -> Option<Response> {
        let known = [
            crate::graph::TENANT_DOMAIN.to_string(),
            guid("tenant"),
            "organizations".to_string(),
            "common".to_string(),
        ];
        if known.iter().any(|k| k.eq_ignore_ascii_case(tenant)) {
            return None;
        }
        let description = format!(
            "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        );
        if json {
            Some(self.token_error(bad("invalid_request", description, 90002)))
        } else {
            Some(self.error_page(&description))
        }
    }

    /// A page the authorization server shows instead of redirecting (bad client or redirect URI).
    fn error_page(&self, message: &str) -> Response {
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{brand} - Sign-in error</title></head>\
             <body><h1>{brand}</h1><h2>Sorry, but we're having trouble signing you in.</h2><p id=\"error\">{msg}</p></body></html>",
            brand = self.brand(),
            msg = html_escape(message)
        );
        (StatusCode::BAD_REQUEST, Html(body)).into_response()
    }

    /// A 302 to the client's redirect URI with `params` added to its query.
    fn redirect(&self, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
        let mut url = match url::Url::parse(redirect_uri) {
            Ok(u) => u,
            Err(_) => return self.error_page("The redirect URI is not a URL."),
        };
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
        }
        (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
    }

    fn redirect_error(
        &self,
        asked_redirect: &str,
        state: Option<&str>,
        error: &str,
        description: &str,
    ) -> Response {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(s) = state {
            params.push(("state", s));
        }
        self.redirect(asked_redirect, &params)
    }

    /// Whether `uri` is a loopback redirect this vendor accepts for a native app (any port).
    fn redirect_allowed(&self, uri: &str) -> bool {
        let Ok(u) = url::Url::parse(uri) else {
            return false;
        };
        if u.scheme() != "http" || u.fragment().is_some() || u.username() != "" {
            return false;
        }
        let host = u.host_str().unwrap_or("");
        match self.vendor() {
            Vendor::Entra => matches!(host, "localhost" | "127.0.0.1") && u.path() == "/callback",
            Vendor::Google => matches!(host, "127.0.0.1" | "[::1]" | "localhost"),
            Vendor::Okta => host == "127.0.0.1" && u.path() == "/callback",
        }
    }

    /// The scope as this vendor names it in responses, or `None` if it is not one it grants Roster.
    fn known_scope(&self, scope: &str) -> Option<String> {
        match self.vendor() {
            Vendor::Entra => {
                let short = scope.strip_prefix(GRAPH_PREFIX).unwrap_or(scope);
                let ok = [
                    "User.Read.All",
                    "GroupMember.Read.All",
                    "Group.Read.All",
                    "Directory.Read.All",
                    "User.Read",
                    ".default",
                    "offline_access",
                    "openid",
                    "profile",
                    "email",
                ];
                ok.iter()
                    .find(|k| k.eq_ignore_ascii_case(short))
                    .map(|k| k.to_string())
            }
            Vendor::Google => {
                let ok = [
                    "https://www.googleapis.com/auth/admin.directory.user.readonly",
                    "https://www.googleapis.com/auth/admin.directory.group.readonly",
                    "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
                    "https://www.googleapis.com/auth/userinfo.email",
                    "https://www.googleapis.com/auth/userinfo.profile",
                    "openid",
                    "email",
                    "profile",
                ];
                ok.iter().find(|k| **k == scope).map(|k| k.to_string())
            }
            Vendor::Okta => {
                let ok = [
                    "okta.users.read",
                    "okta.groups.read",
                    "openid",
                    "profile",
                    "email",
                    "offline_access",
                ];
                ok.iter().find(|k| **k == scope).map(|k| k.to_string())
            }
        }
    }

    /// A scope in plain words for the consent page.
    fn describe_scope(&self, scope: &str) -> String {
        let short = scope
            .strip_prefix(GOOGLE_PREFIX)
            .or_else(|| scope.strip_prefix(GRAPH_PREFIX))
            .unwrap_or(scope);
        let words = match short {
            "User.Read.All" => "Read all users' full profiles",
            "GroupMember.Read.All" => "Read all group memberships",
            "Group.Read.All" => "Read all groups",
            "Directory.Read.All" => "Read directory data",
            "User.Read" => "Sign you in and read your profile",
            ".default" => "The permissions configured for this app",
            "offline_access" => "Maintain access to data you have given it access to",
            "openid" => "Sign you in",
            "profile" | "userinfo.profile" => "View your basic profile",
            "email" | "userinfo.email" => "View your email address",
            "admin.directory.user.readonly" => "See info about users on your domain",
            "admin.directory.group.readonly" => "View groups on your domain",
            "admin.directory.group.member.readonly" => "View group subscriptions on your domain",
            "okta.users.read" => "Read your organization's users",
            "okta.groups.read" => "Read your organization's groups and their members",
            other => other,
        };
        words.to_string()
    }

    /// GET authorize: validates the request and shows the consent page.
    fn authorize(&self, q: &Params, form_path: &str) -> Response {
        let opts = &self.shared.options;
        let client_id = q.get("client_id").map(String::as_str).unwrap_or("");
        if client_id.is_empty() || client_id != opts.client_id {
            let msg = match self.vendor() {
                Vendor::Entra => format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", crate::graph::TENANT_DOMAIN),
                Vendor::Google => "Error 401: invalid_client. The OAuth client was not found.".to_string(),
                Vendor::Okta => "Invalid value for 'client_id' parameter.".to_string(),
            };
            return self.error_page(&msg);
        }
        let redirect_uri = q.get("redirect_uri").map(String::as_str).unwrap_or("");
        if !self.redirect_allowed(redirect_uri) {
            let msg = match self.vendor() {
                Vendor::Entra => format!("AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal."),
                Vendor::Google => format!("Error 400: redirect_uri_mismatch. You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri={redirect_uri}"),
                Vendor::Okta => "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.".to_string(),
            };
            return self.error_page(&msg);
        }
        let state = q.get("state").map(String::as_str);
        if q.get("response_type").map(String::as_str) != Some("code") {
            return self.redirect_error(
                redirect_uri,
                state,
                "unsupported_response_type",
                "Only the authorization code flow (response_type=code) is supported for this client.",
            );
        }
        let challenge = q.get("code_challenge").map(String::as_str).unwrap_or("");
        let method = q
            .get("code_challenge_method")
            .map(String::as_str)
            .unwrap_or("plain");
        if challenge.is_empty() {
            let d = match self.vendor() {
                Vendor::Okta => "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.",
                Vendor::Entra => "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
                Vendor::Google => "Missing required parameter: code_challenge",
            };
            return self.redirect_error(redirect_uri, state, "invalid_request", d);
        }
        if method != "S256" {
            return self.redirect_error(
                redirect_uri,
                state,
                "invalid_request",
                "The code_challenge_method must be S256; plain is not accepted.",
            );
        }
        if challenge.len() != 43 {
            return self.redirect_error(
                redirect_uri,
                state,
                "invalid_request",
                "The code_challenge is not a base64url SHA-256 digest.",
            );
        }
        let asked: Vec<&str> = q
            .get("scope")
            .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if asked.is_empty() {
            return self.redirect_error(
                redirect_uri,
                state,
                "invalid_scope",
                "The request must name at least one scope.",
            );
        }
        let mut scopes = Vec::new();
        for s in &asked {
            match self.known_scope(s) {
                Some(k) => {
                    if !scopes.contains(&k) {
                        scopes.push(k)
                    }
                }
                None => {
                    let d = match self.vendor() {
                        Vendor::Entra => format!("AADSTS70011: The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope '{s}' is not valid."),
                        Vendor::Google => format!("Some requested scopes were invalid. {{invalid=[{s}]}}"),
                        Vendor::Okta => format!("One or more scopes are not configured for the authorization server resource. Unconfigured scopes: {s}"),
                    };
                    return self.redirect_error(redirect_uri, state, "invalid_scope", &d);
                }
            }
        }
        let offline = match self.vendor() {
            Vendor::Google => q.get("access_type").map(String::as_str) == Some("offline"),
            Vendor::Entra | Vendor::Okta => scopes.iter().any(|s| s == "offline_access"),
        };
        let request = Asked {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            state: state.map(str::to_string),
            nonce: q.get("nonce").cloned(),
            scopes,
            challenge: challenge.to_string(),
            offline,
            created: Instant::now(),
        };
        let id = random(24);
        let page = self.consent_page(&request, &id, form_path);
        let mut pending = lock(&self.pending);
        pending.retain(|_, a| a.created.elapsed() < PENDING_LIFETIME);
        pending.insert(id, request);
        Html(page).into_response()
    }

    fn consent_page(&self, asked: &Asked, request_id: &str, form_path: &str) -> String {
        let (admin_name, admin_mail) = {
            let dir = self.shared.read();
            dir.admin()
                .map(|p| (p.display_name(), p.mail.clone()))
                .unwrap_or_default()
        };
        let (title, heading, colour) = match self.vendor() {
            Vendor::Entra => (
                "Microsoft - Permissions requested",
                "Permissions requested",
                "#0067b8",
            ),
            Vendor::Google => (
                "Sign in with Google",
                "Roster wants access to your Google Account",
                "#1a73e8",
            ),
            Vendor::Okta => ("Okta - Grant access", "Roster would like to:", "#1662dd"),
        };
        let items: String = asked
            .scopes
            .iter()
            .map(|s| {
                format!(
                    "<li><span class=\"words\">{}</span> <code>{}</code></li>",
                    html_escape(&self.describe_scope(s)),
                    html_escape(s)
                )
            })
            .collect();
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<style>body{{font-family:system-ui,sans-serif;background:#f3f3f3;margin:0}}main{{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 2px 8px #0002}}\
.brand{{color:{colour};font-weight:700;font-size:1.3rem}}button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem;border-radius:4px;border:1px solid {colour}}}\
#approve{{background:{colour};color:#fff}}#deny{{background:#fff;color:{colour}}}code{{color:#666;font-size:.8rem}}</style></head>\
<body><main><div class=\"brand\">{brand}</div><p id=\"account\">Signed in as <strong>{name}</strong> ({mail})</p>\
<h1>{heading}</h1><p>The app <strong>Roster</strong> (client id <code>{client}</code>) is asking to:</p><ul id=\"scopes\">{items}</ul>\
<p>Approving lets Roster read your organisation's users and groups. You can withdraw this consent at any time.</p>\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"request\" value=\"{request}\">\
<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></main></body></html>",
            brand = self.brand(),
            name = html_escape(&admin_name),
            mail = html_escape(&admin_mail),
            client = html_escape(&asked.client_id),
            action = html_escape(form_path),
            request = html_escape(request_id),
        )
    }

    /// POST authorize: the admin clicked Approve or Deny.
    fn decide(&self, f: &Params) -> Response {
        let id = f.get("request").map(String::as_str).unwrap_or("");
        let asked = lock(&self.pending).remove(id);
        let Some(asked) = asked.filter(|a| a.created.elapsed() < PENDING_LIFETIME) else {
            return self.error_page(
                "This sign-in request has expired or was already answered. Go back to the app and start again.",
            );
        };
        let state = asked.state.clone();
        match f.get("decision").map(String::as_str) {
            Some("approve") => {
                let code = random(32);
                let redirect_uri = asked.redirect_uri.clone();
                {
                    let mut codes = lock(&self.codes);
                    codes.retain(|_, a| a.created.elapsed() < CODE_LIFETIME);
                    codes.insert(
                        code.clone(),
                        Asked {
                            created: Instant::now(),
                            ..asked
                        },
                    );
                }
                let mut params = vec![("code", code.as_str())];
                if let Some(s) = state.as_deref() {
                    params.push(("state", s));
                }
                self.redirect(&redirect_uri, &params)
            }
            Some("deny") => {
                let d = match self.vendor() {
                    Vendor::Entra => "AADSTS65004: User declined to consent to access the app.",
                    Vendor::Google => "The user denied access.",
                    Vendor::Okta => {
                        "The resource owner or authorization server denied the request."
                    }
                };
                self.redirect_error(&asked.redirect_uri, state.as_deref(), "access_denied", d)
            }
            _ => self.error_page("Choose Approve or Deny."),
        }
    }

    fn token_error(&self, e: TokenError) -> Response {
        let body = match self.vendor() {
            Vendor::Entra => {
                let trace = self.trace();
                let ts = now_secs();
                serde_json::json!({
                    "error": e.error,
                    "error_description": format!("{}\r\nTrace ID: {trace}\r\nCorrelation ID: {trace}\r\nTimestamp: {ts}", e.description),
                    "error_codes": [e.aadsts],
                    "timestamp": ts.to_string(),
                    "trace_id": trace,
                    "correlation_id": trace,
                })
            }
            Vendor::Google | Vendor::Okta => serde_json::json!({
                "error": e.error,
                "error_description": e.description,
            }),
        };
        (
            e.status,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(body),
        )
            .into_response()
    }

    /// Client authentication at the token endpoint; returns the client id.
    fn authenticate(&self, headers: &HeaderMap, f: &Params) -> Result<String, TokenError> {
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (id, secret) = s.split_once(':')?;
                // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
                let dec = |x: &str| {
                    url::form_urlencoded::parse(format!("x={x}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                };
                Some((dec(id)?, dec(secret)?))
            });
        let form_id = f.get("client_id").cloned();
        let client_id = match (&basic, &form_id) {
            (Some((b, _)), Some(fi)) if b != fi => {
                return Err(unauthorized(
                    "invalid_client",
                    "The client_id in the Authorization header and in the request body differ.",
                    700016,
                ))
            }
            (Some((b, _)), _) => b.clone(),
            (None, Some(fi)) => fi.clone(),
            (None, None) => {
                return Err(bad(
                    "invalid_request",
                    match self.vendor() {
                        Vendor::Entra => "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
                        _ => "Missing required parameter: client_id",
                    },
                    900144,
                ))
            }
        };
        let opts = &self.shared.options;
        if client_id != opts.client_id {
            return Err(unauthorized(
                "invalid_client",
                match self.vendor() {
                    Vendor::Entra => format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'.", crate::graph::TENANT_DOMAIN),
                    Vendor::Google => "The OAuth client was not found.".to_string(),
                    Vendor::Okta => "Client authentication failed. Either the client or the client credentials are invalid.".to_string(),
                },
                700016,
            ));
        }
        let secret = basic
            .map(|(_, s)| s)
            .or_else(|| f.get("client_secret").cloned());
        match (&opts.client_secret, secret) {
            (Some(_), None) => Err(bad(
                "invalid_request",
                "client_secret is missing.",
                7000218,
            )),
            (Some(want), Some(got)) if *want != got => Err(unauthorized(
                "invalid_client",
                match self.vendor() {
                    Vendor::Google => "Unauthorized",
                    _ => "Client authentication failed. Either the client or the client credentials are invalid.",
                },
                7000215,
            )),
            (None, Some(_)) => Err(unauthorized(
                "invalid_client",
                match self.vendor() {
                    Vendor::Entra => "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
                    _ => "Client authentication failed. Either the client or the client credentials are invalid. This client uses no client authentication (token_endpoint_auth_method 'none').",
                },
                700025,
            )),
            _ => Ok(client_id),
        }
    }

    /// POST token.
    fn token(&self, headers: &HeaderMap, f: &Params) -> Response {
        let result = self.authenticate(headers, f).and_then(|client_id| {
            match f.get("grant_type").map(String::as_str) {
                Some("authorization_code") => self.redeem_code(&client_id, f),
                Some("refresh_token") => self.redeem_refresh(&client_id, f),
                Some(other) => Err(bad(
                    "unsupported_grant_type",
                    format!("The grant type '{other}' is not supported by this client."),
                    70003,
                )),
                None => Err(bad(
                    "invalid_request",
                    "Missing required parameter: grant_type",
                    900144,
                )),
            }
        });
        match result {
            Ok(body) => (
                StatusCode::OK,
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::PRAGMA, "no-cache"),
                ],
                axum::Json(body),
            )
                .into_response(),
            Err(e) => self.token_error(e),
        }
    }

    fn invalid_code(&self) -> TokenError {
        bad(
            "invalid_grant",
            match self.vendor() {
                Vendor::Entra => "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity, or was already redeemed. Send a new interactive authorization request for this user and resource.",
                Vendor::Google => "Bad Request",
                Vendor::Okta => "The authorization code is invalid or has expired.",
            },
            70008,
        )
    }

    fn redeem_code(&self, client_id: &str, f: &Params) -> Result<serde_json::Value, TokenError> {
        let code = f.get("code").map(String::as_str).unwrap_or("");
        // Single use: removed on the first attempt, right or wrong.
        let asked = lock(&self.codes).remove(code);
        let asked = match asked {
            Some(a) if a.created.elapsed() < CODE_LIFETIME && a.client_id == client_id => a,
            _ => return Err(self.invalid_code()),
        };
        if f.get("redirect_uri").map(String::as_str) != Some(asked.redirect_uri.as_str()) {
            return Err(match self.vendor() {
                Vendor::Google => bad("redirect_uri_mismatch", "Bad Request", 0),
                Vendor::Entra => bad("invalid_grant", "AADSTS50148: The redirect_uri does not match the redirect URI used in the authorization request.", 50148),
                Vendor::Okta => bad("invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request.", 0),
            });
        }
        let verifier = f.get("code_verifier").map(String::as_str).unwrap_or("");
        if verifier.is_empty() {
            return Err(bad(
                "invalid_request",
                match self.vendor() {
                    Vendor::Entra => "AADSTS50148: The code_verifier is missing; PKCE is required for this application.",
                    Vendor::Google => "Missing code verifier.",
                    Vendor::Okta => "PKCE code verifier is required when the token endpoint authentication method is 'NONE'.",
                },
                50148,
            ));
        }
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        if !(43..=128).contains(&verifier.len()) || digest != asked.challenge {
            return Err(bad(
                "invalid_grant",
                match self.vendor() {
                    Vendor::Entra => "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                    Vendor::Google => "Invalid code verifier.",
                    Vendor::Okta => "PKCE verification failed.",
                },
                501481,
            ));
        }
        let subject = self.admin_id().ok_or_else(|| {
            bad(
                "invalid_grant",
                "The signed-in account no longer exists.",
                50034,
            )
        })?;
        let issued = self.shared.tokens.issue(Grant {
            client_id: client_id.to_string(),
            subject: subject.clone(),
            scopes: asked.scopes.clone(),
        });
        Ok(self.token_body(
            &issued,
            &asked.scopes,
            asked.offline,
            &subject,
            asked.nonce.as_deref(),
        ))
    }

    fn redeem_refresh(&self, client_id: &str, f: &Params) -> Result<serde_json::Value, TokenError> {
        let rt = f.get("refresh_token").map(String::as_str).unwrap_or("");
        match self.shared.tokens.refresh(rt, client_id) {
            Ok(issued) => {
                let grant = self.shared.tokens.check(&issued.access_token).ok();
                let (scopes, subject) = grant
                    .map(|g| (g.scopes, g.subject))
                    .unwrap_or_else(|| (Vec::new(), String::new()));
                Ok(self.token_body(&issued, &scopes, true, &subject, None))
            }
            Err(why) => {
                let (d, n) = match (self.vendor(), why) {
                    (Vendor::Entra, Rejection::Revoked) => ("AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.", 50173),
                    (Vendor::Entra, _) => ("AADSTS70000: The provided value for the 'refresh_token' is not valid. The grant is invalid or malformed.", 70000),
                    (Vendor::Google, _) => ("Token has been expired or revoked.", 0),
                    (Vendor::Okta, _) => ("The refresh token is invalid or expired.", 0),
                };
                Err(bad("invalid_grant", d, n))
            }
        }
    }

    fn admin_id(&self) -> Option<String> {
        self.shared.read().admin().map(|p| p.id.clone())
    }

    /// The token response in the vendor's shape.
    fn token_body(
        &self,
        issued: &Issued,
        scopes: &[String],
        offline: bool,
        subject: &str,
        nonce: Option<&str>,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "access_token": issued.access_token,
            "scope": scopes.join(" "),
        });
        if self.vendor() == Vendor::Entra {
            body["ext_expires_in"] = serde_json::json!(issued.expires_in);
        }
        if offline {
            body["refresh_token"] = serde_json::json!(issued.refresh_token);
        }
        if scopes.iter().any(|s| s == "openid") {
            if let Some(jwt) = self.id_token(subject, nonce) {
                body["id_token"] = serde_json::json!(jwt);
            }
        }
        body
    }

    /// An HS256-signed ID token for `subject`.
    fn id_token(&self, subject: &str, nonce: Option<&str>) -> Option<String> {
        let (name, mail) = {
            let dir = self.shared.read();
            let p = dir.person(subject)?;
            (p.display_name(), p.mail.clone())
        };
        let iat = now_secs();
        let mut claims = serde_json::json!({
            "iss": self.issuer(),
            "aud": self.shared.options.client_id,
            "sub": subject,
            "iat": iat,
            "exp": iat + ID_TOKEN_SECS,
            "name": name,
        });
        match self.vendor() {
            Vendor::Entra => {
                claims["preferred_username"] = serde_json::json!(mail);
                claims["oid"] = serde_json::json!(subject);
                claims["tid"] = serde_json::json!(guid("tenant"));
                claims["ver"] = serde_json::json!("2.0");
            }
            Vendor::Google => {
                claims["email"] = serde_json::json!(mail);
                claims["email_verified"] = serde_json::json!(true);
                claims["azp"] = serde_json::json!(self.shared.options.client_id);
            }
            Vendor::Okta => {
                claims["preferred_username"] = serde_json::json!(mail);
                claims["email"] = serde_json::json!(mail);
                claims["ver"] = serde_json::json!(1);
            }
        }
        if let Some(n) = nonce {
            claims["nonce"] = serde_json::json!(n);
        }
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = b64.encode(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{payload}");
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(signing_input.as_bytes());
        let sig = b64.encode(mac.finalize().into_bytes());
        Some(format!("{signing_input}.{sig}"))
    }
}

/// The admin's choice on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Click **Approve**.
    Approve,
    /// Click **Deny**.
    Deny,
}

/// What the browser saw.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The consent page's HTML, if the authorization server showed one.
    pub consent_page: Option<String>,
    /// Where the authorization server finally redirected (the loopback callback URL, with `code` or
    /// `error`), if it did. Holds a code: do not print it.
    pub redirected_to: Option<String>,
    /// Status of the last page shown (the loopback listener's result page, or the authorization server's
    /// error page).
    pub status: u16,
    /// HTML of the last page shown.
    pub page: String,
}

/// An HTTP client that plays the system browser (for tests): it opens an authorization URL, clicks a
/// button on the consent page and follows the redirect to the app's loopback listener.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Browser::new()
    }
}

impl Browser {
    /// A browser that follows no redirects on its own (each hop is explicit).
    pub fn new() -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Browser { http }
    }

    /// Opens `authorize_url`, clicks `decision` on the consent page and follows the redirect.
    pub async fn visit(&self, authorize_url: &str, decision: Decision) -> Result<Visit, String> {
        let first = self
            .http
            .get(authorize_url)
            .send()
            .await
            .map_err(|e| format!("GET authorize failed: {}", e.without_url()))?;
        let status = first.status();
        if status.is_redirection() {
            // An error the server redirects with (bad scope, missing PKCE...).
            let loc = location(&first)?;
            return self.land(None, loc).await;
        }
        let page = first
            .text()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if status != reqwest::StatusCode::OK {
            return Ok(Visit {
                consent_page: None,
                redirected_to: None,
                status: status.as_u16(),
                page,
            });
        }
        let action = attribute(&page, "<form", "action").ok_or("the consent page has no form")?;
        let request = hidden_value(&page, "request").ok_or("the consent page has no request id")?;
        let base = url::Url::parse(authorize_url).map_err(|e| e.to_string())?;
        let post_to = base.join(&action).map_err(|e| e.to_string())?;
        let button = match decision {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        };
        if !page.contains(&format!("id=\"{button}\"")) {
            return Err(format!("the consent page has no #{button} button"));
        }
        let answer = self
            .http
            .post(post_to)
            .form(&[("request", request.as_str()), ("decision", button)])
            .send()
            .await
            .map_err(|e| format!("POST consent failed: {}", e.without_url()))?;
        if !answer.status().is_redirection() {
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap_or_default();
            return Ok(Visit {
                consent_page: Some(page),
                redirected_to: None,
                status,
                page: text,
            });
        }
        let loc = location(&answer)?;
        self.land(Some(page), loc).await
    }

    async fn land(&self, consent_page: Option<String>, loc: String) -> Result<Visit, String> {
        let landing =
            self.http.get(&loc).send().await.map_err(|e| {
                format!("the loopback listener did not answer: {}", e.without_url())
            })?;
        let status = landing.status().as_u16();
        let page = landing.text().await.unwrap_or_default();
        Ok(Visit {
            consent_page,
            redirected_to: Some(loc),
            status,
            page,
        })
    }
}

fn location(r: &reqwest::Response) -> Result<String, String> {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| "a redirect without Location".to_string())
}

/// The value of `attr` in the first tag starting with `tag` (our own pages only: double-quoted values).
fn attribute(page: &str, tag: &str, attr: &str) -> Option<String> {
    let start = page.find(tag)?;
    let end = start + page[start..].find('>')?;
    let t = &page[start..end];
    let key = format!("{attr}=\"");
    let a = t.find(&key)? + key.len();
    let b = a + t[a..].find('"')?;
    Some(unescape(&t[a..b]))
}

fn hidden_value(page: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\"");
    let at = page.find(&key)?;
    let start = page[..at].rfind('<')?;
    attribute(&page[start..], "<input", "value")
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
