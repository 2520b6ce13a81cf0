//! The Duo-compatible Admin API front door: `/admin/v1|v2/…`, a thin adapter over the application layer.
//!
//! Each request is routed and its signature checked by `roster-duo` (with the application's secret key
//! from `Roster::admin_api_key`, against the API hostname clients sign: the application's own, else this
//! server's public host), rate-limited per application and kind of call, its parameters read and checked
//! by `roster-duo`, and answered with what the application layer (`roster_api::adminapi`) returns, in
//! Duo's envelope. Store work runs on tokio's blocking threads; an individual sync runs on the handler's
//! task (it waits on the directory, not on a lock).

use crate::doors::{Commitment, Problem};
use crate::scim::Origin;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use roster_api::{ApiError, Code, Roster};
use roster_duo::{envelope, DuoError, Endpoint, RateLimiter, ReplayCache};
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

mod dispatch;

/// The path prefix of the Admin API door.
pub const PREFIX: &str = "/admin";

/// What the Admin API routes share.
#[derive(Clone)]
struct AdminApi {
    roster: Arc<Roster>,
    origin: Origin,
    replay: Arc<Mutex<ReplayCache>>,
    /// Duo's per-application limits; `None` only where the server itself is measured (benchmarks).
    rate: Option<Arc<Mutex<RateLimiter>>>,
}

/// The Admin API door's routes (mount with `FrontDoors::door(PREFIX, routes(…), error)`).
pub fn routes(roster: Arc<Roster>, origin: Origin) -> Router {
    routes_limited(roster, origin, Some(RateLimiter::default()))
}

/// [`routes`] with these per-application rate limits (`None`: none, to measure the server itself).
pub fn routes_limited(roster: Arc<Roster>, origin: Origin, rate: Option<RateLimiter>) -> Router {
    let state = AdminApi {
        roster,
        origin,
        replay: Arc::new(Mutex::new(ReplayCache::default())),
        rate: rate.map(|r| Arc::new(Mutex::new(r))),
    };
    Router::new()
        .route("/admin/{*rest}", any(handle))
        .with_state(state)
}

/// The Admin API door's [`crate::ErrorFormat`]: Duo's failure body.
pub fn error(problem: &Problem) -> Response {
    use roster_duo::Code as C;
    let code = match problem.status.as_u16() {
        404 => C::NotFound,
        405 => C::MethodNotAllowed,
        413 => C::BodyTooLarge,
        429 => C::TooManyRequests,
        400 | 408 => C::InvalidParameters,
        _ => C::Internal,
    };
    duo_error(&DuoError::with_detail(code, problem.detail.clone()))
}

fn duo_json(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        v.to_string(),
    )
        .into_response()
}

fn duo_error(e: &DuoError) -> Response {
    let status =
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = duo_json(status, &envelope::fail(e));
    if let Some(s) = e.retry_after {
        r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(s));
    }
    r
}

/// The application layer's refusal as Duo's.
pub(crate) fn from_api(e: ApiError) -> DuoError {
    use roster_duo::Code as C;
    let code = match e.code {
        Code::Validation | Code::Conflict | Code::Held => C::InvalidParameters,
        Code::NotFound => C::NotFound,
        Code::Forbidden => C::Forbidden,
        _ => C::Internal,
    };
    DuoError::with_detail(code, e.message)
}

/// The integration key of a `Basic` credential, without checking anything else (`verify` does).
fn ikey_of(headers: &HeaderMap) -> Option<String> {
    use base64::Engine as _;
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split_once(':')?.0.to_string())
}

/// The host clients sign when the application names none: this server's public host.
fn origin_host(origin: &str) -> String {
    url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "127.0.0.1".into())
}

async fn handle(
    State(api): State<AdminApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    commitment: Commitment,
    body: Bytes,
) -> Response {
    match serve(api, method, uri, headers, body, commitment).await {
        Ok(dispatch::Answer::Value(v)) => duo_json(StatusCode::OK, &v),
        Ok(dispatch::Answer::Text(text)) => (
            StatusCode::OK,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            text,
        )
            .into_response(),
        Err(e) => duo_error(&e),
    }
}

/// What a verified request asks, with its door opened in a blocking task.
async fn serve(
    api: AdminApi,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    commitment: Commitment,
) -> Result<dispatch::Answer, DuoError> {
    let path = uri.path().to_string();
    let matched = roster_duo::route(method.as_str(), &path)?;
    let route = matched.route;
    let ids: Vec<String> = matched.path_params.iter().map(|s| s.to_string()).collect();
    let this = api.clone();
    let method_text = method.as_str().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    // Verify (reads the application and maybe the secret store) off the async threads.
    let verified = tokio::task::spawn_blocking(move || -> Result<_, DuoError> {
        let ikey = ikey_of(&headers);
        let key = match &ikey {
            Some(k) => this.roster.admin_api_key(k).map_err(from_api)?,
            None => None,
        };
        let host = key
            .as_ref()
            .and_then(|k| k.host().map(str::to_string))
            .unwrap_or_else(|| origin_host(&this.origin.get()));
        let text_headers: Vec<(String, String)> = headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let pairs: Vec<(&str, &str)> = text_headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = roster_duo::Request {
            method: &method_text,
            path: &path,
            query: &query,
            headers: &pairs,
            body: &body,
        };
        let now = time::OffsetDateTime::now_utc();
        let secret = key.as_ref().map(|k| k.secret().to_string());
        let verified = {
            let mut replay = this.replay.lock().unwrap_or_else(PoisonError::into_inner);
            roster_duo::verify(
                &request,
                &host,
                now,
                roster_duo::signing::DEFAULT_WINDOW_SECS,
                |_| secret,
                &mut replay,
            )?
        };
        if let Some(rate) = &this.rate {
            rate.lock().unwrap_or_else(PoisonError::into_inner).check(
                &verified.ikey,
                route.class,
                now,
            )?;
        }
        verified.params.reject_unknown(route.params)?;
        Ok((verified, host))
    })
    .await
    .map_err(|_| internal())??;
    let (verified, host) = verified;
    let params = verified.params;
    let ikey = verified.ikey;
    match route.endpoint {
        Endpoint::SyncUser | Endpoint::SyncAdmin => {
            let roster = api.roster.clone();
            let key = roster
                .admin_api_key(&ikey)
                .map_err(from_api)?
                .ok_or_else(|| DuoError::new(roster_duo::Code::InvalidIntegrationKey))?;
            let door = key.open();
            let _ = door.touch();
            dispatch::sync(&door, route.endpoint, &ids, &params)
                .await
                .map(dispatch::Answer::Value)
        }
        _ => {
            let roster = api.roster.clone();
            tokio::task::spawn_blocking(move || {
                // The request's time ran out before this began: it was answered 503, and must change
                // nothing (this answer is never sent).
                if !commitment.begin() {
                    return Err(internal());
                }
                let key = roster
                    .admin_api_key(&ikey)
                    .map_err(from_api)?
                    .ok_or_else(|| DuoError::new(roster_duo::Code::InvalidIntegrationKey))?;
                let door = key.open();
                let _ = door.touch();
                dispatch::blocking(&door, route, &ids, &params, &host)
            })
            .await
            .map_err(|_| internal())?
        }
    }
}

fn internal() -> DuoError {
    DuoError::with_detail(
        roster_duo::Code::Internal,
        "Roster could not finish the request. Nothing was changed; send it again.",
    )
}
