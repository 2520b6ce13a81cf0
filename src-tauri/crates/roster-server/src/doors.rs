//! Front doors: route families that share one listener, each answering errors in its own format.
//!
//! A front door is a path prefix (`/scim/v2`, `/admin`), the routes under it and an [`ErrorFormat`].
//! [`FrontDoors`] merges them into one router and puts the request limits in front of every route: the
//! rate limit per credential, the body limit and the request timeouts. Whatever they refuse, and any path
//! no route serves, is answered by the [`ErrorFormat`] of the door whose prefix the path falls under, so
//! this crate never knows what a SCIM or Duo error looks like.
//!
//! Order of checks on each request: rate limit (429), body size (413), reading the body (408 if the
//! client is too slow), then the handler (503 if it takes too long; work a handler runs apart from the
//! request claims it through its [`Commitment`], and is then waited for, or never begins once the 503 is
//! sent). The body is read in full before the handler runs: SCIM and Admin API bodies are small JSON or
//! form documents, and reading them here is what lets an oversized or slow body be refused in the door's
//! format.

use crate::rate::{Key, Limiter, RateLimit};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Request bodies larger than this are refused with 413 unless [`RequestLimits::max_body_bytes`] says
/// otherwise: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A body this much larger than the limit is still read (and thrown away) before the 413 is sent, so that
/// a client still uploading sees the answer rather than a reset connection. Larger ones are cut off.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;

/// Something the server refuses before (or instead of) a handler's answer, for an [`ErrorFormat`] to
/// render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The HTTP status: 400 (a body cut off), 404, 405, 408, 413, 429 or 503. The response always
    /// carries it, whatever the format sets.
    pub status: StatusCode,
    /// What happened and what to do, in plain English, for the error's message or detail.
    pub detail: String,
}

/// How a front door renders a [`Problem`]: its error body and content type. The server then sets the
/// status to [`Problem::status`] and adds `Retry-After` where one applies, so a format needs to do
/// neither.
pub type ErrorFormat = fn(&Problem) -> Response;

/// The format for paths outside every front door (and for `/health`): `{"status": 404, "message": "…"}`
/// as `application/json`.
pub fn plain_json(problem: &Problem) -> Response {
    let body = serde_json::json!({
        "status": problem.status.as_u16(),
        "message": problem.detail,
    });
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.to_string(),
    )
        .into_response()
}

/// Limits on each request, answered in the front door's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLimits {
    /// The largest request body accepted (default [`DEFAULT_MAX_BODY_BYTES`], 1 MiB); larger ones get
    /// 413.
    pub max_body_bytes: usize,
    /// Requests per credential (default 500 a second, bursts of 1,000: far above what Okta or Entra ID send, low enough that a runaway client cannot keep a laptop busy); `None` for no limit. Past it: 429
    /// with `Retry-After`. The credential is the `Authorization` header (for `Basic`, its user name only,
    /// since Duo's HMAC signatures change with every request), else the client's IP address; only its
    /// SHA-256 is kept.
    pub rate: Option<RateLimit>,
    /// Time to receive the whole body once the headers are in (default 30 s); past it: 408.
    pub body_timeout: Duration,
    /// Time for the handler to answer (default 30 s); past it the handler is stopped and the client gets
    /// 503.
    pub handler_timeout: Duration,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate: Some(RateLimit::per_second(500, 1000)),
            body_timeout: Duration::from_secs(30),
            handler_timeout: Duration::from_secs(30),
        }
    }
}

/// Every front door of one listener, assembled into one router: see the module documentation.
///
/// ```
/// use roster_server::{FrontDoors, RequestLimits, plain_json};
/// let app = FrontDoors::new(RequestLimits::default())
///     .door("/health", roster_server::health::routes(), plain_json)
///     // .door("/scim/v2", scim_routes, scim_error)
///     // .door("/admin", admin_routes, duo_error)
///     .router();
/// # let _: axum::Router = app;
/// ```
pub struct FrontDoors {
    limits: RequestLimits,
    routes: Router,
    doors: Vec<(String, ErrorFormat)>,
}

impl FrontDoors {
    /// No doors yet; paths outside every door are answered in [`plain_json`].
    pub fn new(limits: RequestLimits) -> FrontDoors {
        FrontDoors {
            limits,
            routes: Router::new(),
            doors: Vec::new(),
        }
    }

    /// Adds a front door: `routes` (with their full paths, all under `prefix`, and no fallback of their
    /// own) answer requests; `errors` renders what the server refuses under `prefix`. The longest prefix
    /// that matches whole path segments wins (`/scim/v2` covers `/scim/v2` and `/scim/v2/…`, not
    /// `/scim/v2x`).
    pub fn door(mut self, prefix: &str, routes: Router, errors: ErrorFormat) -> FrontDoors {
        self.routes = self.routes.merge(routes);
        self.doors
            .push((prefix.trim_end_matches('/').to_string(), errors));
        self
    }

    /// The router to give [`crate::Server::start`].
    pub fn router(mut self) -> Router {
        // Longest prefix first, so that the first match is the most specific door.
        self.doors
            .sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        let gate = Arc::new(Gate {
            limiter: self.limits.rate.map(|r| Mutex::new(Limiter::new(r))),
            limits: self.limits,
            doors: self.doors,
        });
        self.routes
            .method_not_allowed_fallback(method_not_allowed)
            .fallback(not_found)
            .layer(axum::middleware::from_fn_with_state(gate, guard))
    }
}

/// What every request passes through.
struct Gate {
    limits: RequestLimits,
    doors: Vec<(String, ErrorFormat)>,
    limiter: Option<Mutex<Limiter>>,
}

impl Gate {
    fn errors_for(&self, path: &str) -> ErrorFormat {
        self.doors
            .iter()
            .find(|(prefix, _)| {
                path.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map(|(_, errors)| *errors)
            .unwrap_or(plain_json)
    }
}

/// Whether a request's work has begun a change, decided once, by whichever comes first: the work, which
/// then is waited for however long it takes, or the gate when the request's time runs out, after which
/// the work must not begin. So a request answered 503 for its time changed nothing, and one that changed
/// something answers what it did.
///
/// The gate puts one in every request's extensions; a handler whose work runs apart from the request's
/// future (another thread, a queue) takes it as an extractor and calls [`Commitment::begin`] when the
/// work starts. Work run within the request's future needs none: the gate cannot answer while that
/// future is busy.
#[derive(Clone, Default)]
pub(crate) struct Commitment(Arc<AtomicU8>);

const UNDECIDED: u8 = 0;
const BEGUN: u8 = 1;
const GIVEN_UP: u8 = 2;

impl Commitment {
    /// Claims the request for its work: `false` when its time ran out first (it is answered 503 and the
    /// work must change nothing).
    pub(crate) fn begin(&self) -> bool {
        match self
            .0
            .compare_exchange(UNDECIDED, BEGUN, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(now) => now == BEGUN,
        }
    }

    /// At the deadline: `true` when the work had not begun, and now never will.
    fn give_up(&self) -> bool {
        self.0
            .compare_exchange(UNDECIDED, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Commitment {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        // Routes served without the gate (none in Roster) have no deadline: a fresh one is never given up.
        Ok(parts
            .extensions
            .get::<Commitment>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The error format of the door a request came through, for the fallbacks (and any handler that wants
/// it).
#[derive(Clone, Copy)]
pub struct DoorErrors(pub ErrorFormat);

/// Renders a refusal in `errors`, with the status and `Retry-After` enforced.
pub(crate) fn refuse(
    errors: ErrorFormat,
    status: StatusCode,
    detail: String,
    retry_after: Option<u64>,
) -> Response {
    let mut response = errors(&Problem { status, detail });
    *response.status_mut() = status;
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn guard(State(gate): State<Arc<Gate>>, mut req: Request, next: Next) -> Response {
    let errors = gate.errors_for(req.uri().path());
    req.extensions_mut().insert(DoorErrors(errors));

    if let Some(limiter) = &gate.limiter {
        let key = rate_key(&req);
        let mut limiter = limiter.lock().unwrap_or_else(PoisonError::into_inner);
        let limit = limiter.limit();
        if let Err(wait) = limiter.check(key, tokio::time::Instant::now()) {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let seconds = seconds.max(1);
            return refuse(
                errors,
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many requests with this credential: Roster accepts {} a second on average, in bursts of up to {}. Wait {seconds} s (Retry-After) and try again.",
                    trim_rate(limit.requests_per_second()),
                    limit.burst()
                ),
                Some(seconds),
            );
        }
    }

    let mut req = match read_body(req, &gate.limits, errors).await {
        Ok(req) => req,
        Err(refused) => return refused,
    };

    let commitment = Commitment::default();
    req.extensions_mut().insert(commitment.clone());
    let work = next.run(req);
    tokio::pin!(work);
    match tokio::time::timeout(gate.limits.handler_timeout, &mut work).await {
        Ok(response) => response,
        // The work began a change: its answer, however late, is the truth.
        Err(_) if !commitment.give_up() => work.await,
        Err(_) => refuse(
            errors,
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "Roster did not answer within {} s and stopped working on this request. Try again; if it keeps happening, check Roster's log.",
                gate.limits.handler_timeout.as_secs_f64()
            ),
            None,
        ),
    }
}

fn trim_rate(per_second: f64) -> String {
    if per_second.fract() == 0.0 {
        format!("{per_second:.0}")
    } else {
        format!("{per_second:.3}")
    }
}

/// The rate-limit key: the SHA-256 of the credential, so that the limiter holds no secrets.
fn rate_key(req: &Request) -> Key {
    let mut h = Sha256::new();
    match req.headers().get(AUTHORIZATION) {
        Some(value) => {
            h.update(b"authorization\0");
            h.update(credential_id(value.as_bytes()));
        }
        None => {
            h.update(b"peer\0");
            match req.extensions().get::<ConnectInfo<SocketAddr>>() {
                Some(ConnectInfo(peer)) => h.update(peer.ip().to_canonical().to_string()),
                None => h.update(b"unknown"),
            }
        }
    }
    h.finalize().into()
}

/// What identifies the caller in an `Authorization` value: for `Basic`, the user name before the colon
/// (Duo's integration key, whose password part is a signature that changes with every request); for any
/// other scheme (a SCIM bearer token), the whole value.
fn credential_id(value: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let basic = value
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"basic "));
    if basic {
        let encoded = value[6..].trim_ascii();
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) {
            if let Some(colon) = decoded.iter().position(|b| *b == b':') {
                let mut id = b"basic\0".to_vec();
                id.extend_from_slice(&decoded[..colon]);
                return id;
            }
        }
    }
    value.to_vec()
}

/// Reads the whole body within the body timeout, refusing one over the limit (413), one too slow (408)
/// or one cut off (400), and hands the request on with the body in memory.
async fn read_body(
    req: Request,
    limits: &RequestLimits,
    errors: ErrorFormat,
) -> Result<Request, Response> {
    let max = limits.max_body_bytes;
    let too_large = || {
        refuse(
            errors,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The request body is larger than Roster accepts ({max} bytes). Send fewer or smaller changes per request."
            ),
            None,
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > (max.saturating_add(DRAIN_BYTES)) as u64) {
        return Err(too_large());
    }
    let (parts, mut body) = req.into_parts();
    let capacity = declared.map_or(0, |n| n.min(max as u64) as usize);
    let read = async {
        let mut kept = Vec::with_capacity(capacity);
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers
            };
            total = total.saturating_add(data.len());
            if total > max.saturating_add(DRAIN_BYTES) {
                break;
            }
            if total <= max {
                kept.extend_from_slice(&data);
            }
        }
        Ok::<_, axum::Error>((kept, total))
    };
    match tokio::time::timeout(limits.body_timeout, read).await {
        Err(_) => Err(refuse(
            errors,
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request body did not arrive within {} s. Check the network between the client and Roster, and try again.",
                limits.body_timeout.as_secs_f64()
            ),
            None,
        )),
        Ok(Err(_)) => Err(refuse(
            errors,
            StatusCode::BAD_REQUEST,
            "The request body was cut off before its end. Try again.".into(),
            None,
        )),
        Ok(Ok((_, total))) if total > max => Err(too_large()),
        Ok(Ok((kept, _))) => Ok(Request::from_parts(parts, Body::from(Bytes::from(kept)))),
    }
}

/// What a 404 for a path no route serves says.
pub(crate) fn nothing_at(path: &str) -> String {
    format!("Roster has nothing at {path}. Check the URL.")
}

/// What a 405 for a method a path does not serve says.
pub(crate) fn not_allowed_on(method: &Method, path: &str) -> String {
    format!("{method} is not allowed on {path}.")
}

async fn not_found(errors: Option<Extension<DoorErrors>>, uri: Uri) -> Response {
    let errors = errors.map_or(plain_json as ErrorFormat, |Extension(DoorErrors(f))| f);
    refuse(errors, StatusCode::NOT_FOUND, nothing_at(uri.path()), None)
}

async fn method_not_allowed(
    errors: Option<Extension<DoorErrors>>,
    method: Method,
    uri: Uri,
) -> Response {
    let errors = errors.map_or(plain_json as ErrorFormat, |Extension(DoorErrors(f))| f);
    refuse(
        errors,
        StatusCode::METHOD_NOT_ALLOWED,
        not_allowed_on(&method, uri.path()),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doors_match_whole_path_segments_longest_first() {
        fn a(_: &Problem) -> Response {
            StatusCode::IM_A_TEAPOT.into_response()
        }
        fn b(_: &Problem) -> Response {
            StatusCode::ACCEPTED.into_response()
        }
        let gate = Gate {
            limits: RequestLimits::default(),
            doors: vec![
                ("/scim/v2/special".into(), b as ErrorFormat),
                ("/scim/v2".into(), a),
            ],
            limiter: None,
        };
        let status = |path: &str| {
            (gate.errors_for(path))(&Problem {
                status: StatusCode::NOT_FOUND,
                detail: String::new(),
            })
            .status()
        };
        assert_eq!(status("/scim/v2"), StatusCode::IM_A_TEAPOT);
        assert_eq!(status("/scim/v2/DS1/Users"), StatusCode::IM_A_TEAPOT);
        assert_eq!(status("/scim/v2/special/x"), StatusCode::ACCEPTED);
        assert_eq!(
            status("/scim/v2x"),
            StatusCode::OK,
            "a prefix covers whole segments only; elsewhere plain JSON answers"
        );
    }

    #[test]
    fn basic_credentials_are_keyed_by_user_name_bearer_tokens_whole() {
        use base64::Engine as _;
        let basic = |user: &str, pass: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
            )
        };
        assert_eq!(
            credential_id(basic("DIXXX", "sig1").as_bytes()),
            credential_id(basic("DIXXX", "sig2").as_bytes()),
            "Duo signs every request anew: the integration key alone names the caller"
        );
        assert_ne!(
            credential_id(basic("DIXXX", "sig").as_bytes()),
            credential_id(basic("DIYYY", "sig").as_bytes())
        );
        assert_ne!(
            credential_id(b"Bearer one"),
            credential_id(b"Bearer two"),
            "each SCIM token is its own credential"
        );
    }

    /// A handler whose work runs on a thread of its own, as the SCIM door's writes do: the work sleeps
    /// `before`, tries to begin, then sleeps `after`; what `begin` said is sent back.
    async fn on_thread(
        commitment: Commitment,
        before: Duration,
        after: Duration,
        began: std::sync::mpsc::Sender<bool>,
    ) -> Response {
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(before);
            let begun = commitment.begin();
            began.send(begun).unwrap();
            if begun {
                std::thread::sleep(after);
                let _ = tx.send("changed");
            }
        });
        match rx.await {
            Ok(body) => body.into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }

    #[tokio::test]
    async fn a_request_whose_work_began_is_waited_for_and_one_that_had_not_is_refused_for_good() {
        use axum::routing::get;
        use tower::ServiceExt;
        let (began, said) = std::sync::mpsc::channel();
        let ms = Duration::from_millis;
        let (early, late) = (began.clone(), began);
        let routes = Router::new()
            .route(
                "/t/early",
                get(move |c: Commitment| on_thread(c, ms(0), ms(1_500), early.clone())),
            )
            .route(
                "/t/late",
                get(move |c: Commitment| on_thread(c, ms(2_500), ms(0), late.clone())),
            );
        let app = FrontDoors::new(RequestLimits {
            handler_timeout: ms(1_000),
            ..RequestLimits::default()
        })
        .door("/t", routes, plain_json)
        .router();
        let call = |path: &'static str| {
            let app = app.clone();
            async move {
                let r = app
                    .oneshot(Request::builder().uri(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let status = r.status();
                let body = r.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).to_string())
            }
        };

        // Began before the deadline, finished half a second after it: its answer, not a 503.
        assert_eq!(
            call("/t/early").await,
            (StatusCode::OK, "changed".to_string())
        );
        assert!(said.recv().unwrap());

        // Would have begun after the deadline: the 503 came first, and the work was told not to begin.
        let (status, body) = call("/t/late").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("did not answer within"), "{body}");
        assert!(!said.recv_timeout(Duration::from_secs(5)).unwrap());
    }
}
