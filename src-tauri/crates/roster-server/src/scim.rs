//! The SCIM front door: `/scim/v2/{directory_key}/…`, a thin adapter over the application layer.
//!
//! Each request is authenticated by the application layer (`Roster::scim_door`: the integration's key in
//! the path and its bearer token pick the tenant), its query or body is read by `roster-scim`, and the
//! answer is the application layer's. Nothing here knows a sync rule or a table. Store work never runs
//! on the async workers' schedule: a read runs on its worker thread once the worker has handed its other
//! tasks on (`block_in_place`), and a write on its integration's lane ([`Lanes`]), so a write waiting for
//! the tenant's write lock never stalls the listener.

use crate::doors::{not_allowed_on, nothing_at, refuse, Commitment, Problem};
use crate::lanes::{Job, Lanes};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawPathParams, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_api::scim::{Body, Patched, ScimDoor, Shown};
use roster_api::{Code, Roster};
use roster_scim::{self as proto, ScimError};
use roster_store::ResourceKind;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// SCIM's media type (RFC 7644 §3.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// The path prefix of the SCIM door.
pub const PREFIX: &str = "/scim/v2";

/// Where clients reach this server (`https://roster.example.com`), for base URLs and `meta.location`.
/// Shared and settable, because a server listening on port 0 learns its port only once it listens.
#[derive(Debug, Clone, Default)]
pub struct Origin(Arc<std::sync::RwLock<String>>);

impl Origin {
    /// An origin.
    pub fn new(origin: &str) -> Self {
        let o = Origin::default();
        o.set(origin);
        o
    }

    /// Changes it.
    pub fn set(&self, origin: &str) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            origin.trim_end_matches('/').to_string();
    }

    /// What it is now.
    pub fn get(&self) -> String {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// What the SCIM routes share: the application and the origin clients reach this server at.
#[derive(Clone)]
struct Scim {
    roster: Arc<Roster>,
    origin: Origin,
    limits: proto::Limits,
    lanes: Arc<Lanes>,
}

/// The SCIM door's routes (mount with `FrontDoors::door(PREFIX, routes(…), error)`).
pub fn routes(roster: Arc<Roster>, origin: Origin) -> Router {
    routes_on(roster, origin, Arc::new(Lanes::default()))
}

fn routes_on(roster: Arc<Roster>, origin: Origin, lanes: Arc<Lanes>) -> Router {
    let state = Scim {
        roster,
        origin,
        limits: proto::Limits::default(),
        lanes,
    };
    Router::new()
        .route(
            "/scim/v2/{key}/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/{key}/ResourceTypes", get(resource_types))
        .route("/scim/v2/{key}/ResourceTypes/{name}", get(resource_type))
        .route("/scim/v2/{key}/Schemas", get(schemas))
        .route("/scim/v2/{key}/Schemas/{id}", get(schema))
        .route("/scim/v2/{key}/.search", post(search_all))
        // Users and Groups: one handler per operation, the kind read from the path by [`Kind`].
        .route(
            "/scim/v2/{key}/{kind}",
            get(list).post(create).fallback(not_allowed),
        )
        .route(
            "/scim/v2/{key}/{kind}/.search",
            post(search).fallback(not_allowed),
        )
        .route(
            "/scim/v2/{key}/{kind}/{id}",
            get(get_one)
                .put(replace)
                .patch(patch)
                .delete(delete)
                .fallback(not_allowed),
        )
        .with_state(state)
}

/// The SCIM door's [`crate::ErrorFormat`]: RFC 7644 §3.12's error body.
pub fn error(problem: &Problem) -> Response {
    let scim_type = match problem.status.as_u16() {
        413 => None,
        429 => Some(proto::ScimType::TooMany),
        _ => None,
    };
    scim_error(&ScimError::new(
        problem.status.as_u16(),
        scim_type,
        problem.detail.clone(),
    ))
}

fn scim_error(e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, scim_body(&e.to_json())).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"Roster SCIM\""),
        );
    }
    response
}

fn scim_body(v: &Value) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        v.to_string(),
    )
        .into_response()
}

/// A resource answer: its body, and its version as the `ETag` header.
fn resource(status: StatusCode, v: &Value) -> Response {
    let tag = v.pointer("/meta/version").and_then(Value::as_str);
    resource_tagged(status, v, tag)
}

fn set_etag(response: &mut Response, tag: &str) {
    if let Ok(tag) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(ETAG, tag);
    }
}

/// A resource answer whose version is given apart from its body (whose `meta` a projection may leave out).
fn shown(status: StatusCode, shown: &Shown) -> Response {
    resource_tagged(status, &shown.body, Some(&shown.etag))
}

fn resource_tagged(status: StatusCode, v: &Value, tag: Option<&str>) -> Response {
    let mut response = (status, scim_body(v)).into_response();
    if let Some(tag) = tag {
        set_etag(&mut response, tag);
    }
    if status == StatusCode::CREATED {
        if let Some(loc) = v
            .pointer("/meta/location")
            .and_then(Value::as_str)
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            response.headers_mut().insert(LOCATION, loc);
        }
    }
    response
}

/// The request's bearer token, or the 401 that says how to send one.
fn bearer_of(headers: &HeaderMap) -> Result<&str, ScimError> {
    bearer(headers).ok_or_else(|| {
        ScimError::new(
            401,
            None,
            "Send the integration's bearer token as \"Authorization: Bearer …\". Roster shows it once when the integration is added; Regenerate Bearer Token gives a new one.",
        )
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn query_pairs(q: Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

impl Scim {
    /// The integration the request names, if its bearer token opens it. Blocks: finding an integration
    /// seen for the first time opens tenants' stores.
    fn door(&self, key: &str, headers: &HeaderMap) -> Result<ScimDoor, ScimError> {
        let token = bearer_of(headers)?;
        self.opened(self.roster.scim_door(key, token))
    }

    /// [`Scim::door`] when it can be answered without opening a store (`Roster::scim_door_if_open`), as
    /// on an async worker: `None` when it cannot.
    fn door_if_open(&self, key: &str, headers: &HeaderMap) -> Option<Result<ScimDoor, ScimError>> {
        let token = match bearer_of(headers) {
            Ok(token) => token,
            Err(e) => return Some(Err(e)),
        };
        let found = self.roster.scim_door_if_open(key, token)?;
        Some(self.opened(found))
    }

    fn opened(&self, found: roster_api::Result<ScimDoor>) -> Result<ScimDoor, ScimError> {
        match found {
            Ok(door) => Ok(door.at(&self.origin.get())),
            Err(e) if e.code == Code::Unauthorized => Err(ScimError::new(401, None, e.message)),
            Err(e) => Err(ScimError::internal(e.message)),
        }
    }

    fn base_url(&self, key: &str) -> String {
        roster_api::scim::base_url(&self.origin.get(), key)
    }

    /// Authenticates, then runs `f`, a read, which blocks (the store is synchronous).
    ///
    /// On a multi-threaded runtime (`rosterctl serve`, the app) it runs on this worker thread, which hands
    /// its other tasks to another worker first (`block_in_place`): handing each request to the blocking
    /// pool and back cost two thread wake-ups a request. A panic is caught either way and answered as
    /// SCIM's 500.
    async fn read(
        &self,
        key: String,
        headers: HeaderMap,
        f: impl FnOnce(ScimDoor) -> Result<Response, ScimError> + Send + 'static,
    ) -> Response {
        let this = self.clone();
        let work = move || {
            let door = this.door(&key, &headers)?;
            f(door)
        };
        answer(blocking(work).await)
    }

    /// Authenticates, then sends `f`, a write, to the integration's lane ([`Lanes`]): its writes run one at
    /// a time on a thread of their own, in the order they arrived, and one waiting for the tenant's write
    /// lock holds no worker. The token is checked first, so that only an authenticated integration gets
    /// a lane: here on the worker when that is an indexed read on a connection of its own (the
    /// integration's tenant is open), else as a read runs.
    ///
    /// Once the token is checked: `parse` on the request's worker, `f` with what it made on the
    /// integration's lane, then `answer_with` on the worker again. What can be done apart from the write
    /// (parsing the body, turning the result into the HTTP answer, dropping it) is not done on the lane, on
    /// which the integration's writes wait for each other; a body that does not parse never queues there.
    async fn write<B: Send + 'static, T: Send + 'static>(
        &self,
        key: String,
        headers: HeaderMap,
        commitment: Commitment,
        parse: impl FnOnce() -> Result<B, ScimError>,
        f: impl FnOnce(ScimDoor, B) -> Result<T, ScimError> + Send + 'static,
        answer_with: impl FnOnce(T) -> Response,
    ) -> Response {
        let found = match self.door_if_open(&key, &headers) {
            Some(found) => found,
            None => {
                let this = self.clone();
                match blocking(move || this.door(&key, &headers)).await {
                    Ok(found) => found,
                    Err(()) => return answer(Err(())),
                }
            }
        };
        let door = match found {
            Ok(door) => door,
            Err(e) => return scim_error(&e),
        };
        let parsed = match parse() {
            Ok(parsed) => parsed,
            Err(e) => return scim_error(&e),
        };
        let lane = door.key().to_string();
        let (answered, answer_of) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // Its client left while it queued, or its time ran out (it was answered 503): it must change
            // nothing. Once begun, the gate waits for its answer.
            if answered.is_closed() || !commitment.begin() {
                return;
            }
            let _ = answered.send(f(door, parsed));
        });
        if let Err(job) = self.lanes.send(&lane, job) {
            // No thread could be started: run it as a read runs.
            tracing::warn!("SCIM: no thread could be started for an integration's writes; running one on the request's");
            let _ = blocking(job).await;
        }
        answer(
            answer_of
                .await
                .map(|done| done.map(answer_with))
                .map_err(|_| ()),
        )
    }
}

/// Runs blocking work off the async workers' schedule (see [`Scim::read`]); `Err` if it panicked.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ()> {
    if tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::MultiThread
    {
        tokio::task::block_in_place(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|_| ())
        })
    } else {
        tokio::task::spawn_blocking(work).await.map_err(|_| ())
    }
}

/// A request's answer: `Err` when its work panicked (or its lane dropped it unanswered).
fn answer(done: Result<Result<Response, ScimError>, ()>) -> Response {
    match done {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => scim_error(&e),
        Err(()) => scim_error(&ScimError::internal(
            "Roster could not finish the request. Nothing was changed; send it again.",
        )),
    }
}

async fn service_provider_config(
    State(s): State<Scim>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = s.base_url(&key);
    let limits = s.limits;
    s.read(key, headers, move |_| {
        Ok(scim_body(&proto::service_provider_config(&base, &limits)))
    })
    .await
}

async fn resource_types(
    State(s): State<Scim>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = s.base_url(&key);
    s.read(key, headers, move |_| {
        Ok(scim_body(&proto::resource_types(&base)))
    })
    .await
}

async fn resource_type(
    State(s): State<Scim>,
    Path((key, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = s.base_url(&key);
    s.read(key, headers, move |_| {
        proto::resource_type(&base, &name)
            .map(|v| scim_body(&v))
            .ok_or_else(|| {
                ScimError::not_found(format!(
                    "There is no resource type \"{name}\". Roster serves User and Group."
                ))
            })
    })
    .await
}

async fn schemas(State(s): State<Scim>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let base = s.base_url(&key);
    s.read(key, headers, move |_| Ok(scim_body(&proto::schemas(&base))))
        .await
}

async fn schema(
    State(s): State<Scim>,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = s.base_url(&key);
    s.read(key, headers, move |_| {
        proto::schema_document(&base, &id)
            .map(|v| scim_body(&v))
            .ok_or_else(|| {
                ScimError::not_found(format!(
                    "There is no schema \"{id}\". List them at /Schemas."
                ))
            })
    })
    .await
}

fn scim_kind(kind: ResourceKind) -> proto::ResourceKind {
    match kind {
        ResourceKind::User => proto::ResourceKind::User,
        ResourceKind::Group => proto::ResourceKind::Group,
    }
}

/// The resource kind a path names in its `{kind}` segment: `Users` or `Groups` (as the resource types'
/// endpoints say, case and all). Any other segment is a path Roster has nothing at: refused with the
/// same 404 as any unknown path, before the token is looked at.
struct Kind(ResourceKind);

impl<S: Send + Sync> FromRequestParts<S> for Kind {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let params = RawPathParams::from_request_parts(parts, state).await.ok();
        let segment = params
            .as_ref()
            .and_then(|p| p.iter().find(|(name, _)| *name == "kind").map(|(_, v)| v));
        match segment {
            Some("Users") => Ok(Kind(ResourceKind::User)),
            Some("Groups") => Ok(Kind(ResourceKind::Group)),
            _ => Err(refuse(
                error,
                StatusCode::NOT_FOUND,
                nothing_at(parts.uri.path()),
                None,
            )),
        }
    }
}

/// The path of a collection (`/{key}/Users`).
#[derive(Deserialize)]
struct InDoor {
    key: String,
}

/// The path of one resource (`/{key}/Users/{id}`).
#[derive(Deserialize)]
struct OfResource {
    key: String,
    id: String,
}

/// A method a Users or Groups path does not serve, when the path names a resource kind (else 404, as
/// for any unknown path): 405, as the server answers it elsewhere (the router adds `Allow`).
async fn not_allowed(_: Kind, method: Method, uri: Uri) -> Response {
    refuse(
        error,
        StatusCode::METHOD_NOT_ALLOWED,
        not_allowed_on(&method, uri.path()),
        None,
    )
}

async fn list(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(InDoor { key }): Path<InDoor>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let limits = s.limits;
    s.read(key, headers, move |door| {
        let q = proto::ListQuery::from_query(scim_kind(kind), &query_pairs(query), &limits)?;
        Ok(scim_body(&door.list(kind, &q)?))
    })
    .await
}

async fn search(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(InDoor { key }): Path<InDoor>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let limits = s.limits;
    s.read(key, headers, move |door| {
        let q = proto::ListQuery::from_search_body(scim_kind(kind), &body, &limits)?;
        Ok(scim_body(&door.list(kind, &q)?))
    })
    .await
}

async fn get_one(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(OfResource { key, id }): Path<OfResource>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    s.read(key, headers, move |door| {
        let projection = proto::Projection::from_query(scim_kind(kind), &query_pairs(query))?;
        Ok(shown(StatusCode::OK, &door.get(kind, &id, &projection)?))
    })
    .await
}

async fn create(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(InDoor { key }): Path<InDoor>,
    headers: HeaderMap,
    commitment: Commitment,
    body: Bytes,
) -> Response {
    s.write(
        key,
        headers,
        commitment,
        || Body::parse(kind, &body),
        |door, body| door.create_parsed(body),
        |v| resource(StatusCode::CREATED, &v),
    )
    .await
}

async fn replace(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(OfResource { key, id }): Path<OfResource>,
    headers: HeaderMap,
    commitment: Commitment,
    body: Bytes,
) -> Response {
    let wanted = if_match(&headers);
    s.write(
        key,
        headers,
        commitment,
        || Body::parse(kind, &body),
        move |door, body| door.replace_parsed(&id, body, wanted.as_deref()),
        |v| resource(StatusCode::OK, &v),
    )
    .await
}

async fn patch(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(OfResource { key, id }): Path<OfResource>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    commitment: Commitment,
    body: Bytes,
) -> Response {
    let wanted = if_match(&headers);
    s.write(
        key,
        headers,
        commitment,
        || proto::Projection::asked(scim_kind(kind), &query_pairs(query)),
        move |door, asked| {
            door.patch_answering(kind, &id, &body, wanted.as_deref(), asked.as_ref())
        },
        |patched| match patched {
            Patched::Resource(v) => shown(StatusCode::OK, &v),
            Patched::Version(tag) => {
                let mut response = StatusCode::NO_CONTENT.into_response();
                set_etag(&mut response, &tag);
                response
            }
        },
    )
    .await
}

async fn delete(
    State(s): State<Scim>,
    Kind(kind): Kind,
    Path(OfResource { key, id }): Path<OfResource>,
    headers: HeaderMap,
    commitment: Commitment,
) -> Response {
    let wanted = if_match(&headers);
    s.write(
        key,
        headers,
        commitment,
        || Ok(()),
        move |door, ()| door.delete(kind, &id, wanted.as_deref()),
        |()| StatusCode::NO_CONTENT.into_response(),
    )
    .await
}

async fn search_all(
    State(s): State<Scim>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let limits = s.limits;
    s.read(key, headers, move |door| {
        let users = proto::ListQuery::from_search_body(proto::ResourceKind::User, &body, &limits);
        let groups = proto::ListQuery::from_search_body(proto::ResourceKind::Group, &body, &limits);
        if let (Err(e), Err(_)) = (&users, &groups) {
            return Err(e.clone());
        }
        Ok(scim_body(
            &door.search_all(users.ok().as_ref(), groups.ok().as_ref())?,
        ))
    })
    .await
}

#[cfg(test)]
mod tests;
