//! All of the connector's I/O: Microsoft Graph calls over [`roster_cloud::Api`] (bearer tokens, refresh on
//! 401, Graph's throttling rules, clear errors), following `@odata.nextLink` verbatim to the end of a list
//! or of a delta round, and JSON batching.

use crate::map::{Object, Page};
use roster_cloud::{
    retry_after, Api, ApiBuilder, Bearer, Call, HeaderMap, Pause, StatusCode, Throttling, Verdict,
};
use roster_core::source::ConnectorError;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Graph's throttling (learn.microsoft.com/graph/throttling): 429, and 503/504 when the service is busy,
/// each with `Retry-After` in seconds when Graph gives one (otherwise the client backs off with jitter).
#[derive(Debug, Clone, Copy, Default)]
pub struct GraphThrottling;

impl Throttling for GraphThrottling {
    fn verdict(&self, status: StatusCode, headers: &HeaderMap, _body: &[u8]) -> Verdict {
        match status.as_u16() {
            429 | 503 | 504 => Verdict::Throttled(retry_after(headers)),
            _ => Verdict::Other,
        }
    }

    fn refusal(&self, _status: StatusCode, body: &[u8], url: &str) -> Option<String> {
        let code = graph_error(body).0;
        let what = if roster_cloud::path_of(url).contains("/users") {
            "users (User.Read.All)"
        } else {
            "groups and their members (GroupMember.Read.All)"
        };
        Some(format!(
            "Microsoft Graph refused to list {what}{}. Grant the app registration's delegated permissions User.Read.All and GroupMember.Read.All with admin consent (see the setup steps), then reauthorize the connection.",
            code.map(|c| format!(" ({c})")).unwrap_or_default()
        ))
    }
}

/// Graph's error code and message from an error body.
pub fn graph_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    (s("/error/code"), s("/error/message"))
}

/// What a delta round ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundEnd {
    /// The deltaLink to start the next round from.
    Link(String),
    /// Graph no longer knows the token (expired, or another tenant state): read everything again.
    Resync,
}

/// One request of a `$batch`, and its answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status of this request.
    pub status: u16,
    /// Its body (JSON, or a string for `$count`).
    pub body: Value,
}

/// An authorized Microsoft Graph client.
pub struct GraphClient {
    api: Api,
    pause: Arc<dyn Pause>,
    /// `https://graph.microsoft.com/v1.0` (or the cloud's, or the emulator's).
    base: String,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The page size Roster asks for: Graph's largest for directory objects.
pub const PAGE: usize = 999;
/// Requests per `$batch` (Graph's limit).
pub const BATCH: usize = 20;
/// Headers asking for the largest delta pages (`$top` is only honoured on some delta functions).
const MAX_PAGE: (&str, &str) = ("Prefer", "odata.maxpagesize=999");
const EVENTUAL: (&str, &str) = ("ConsistencyLevel", "eventual");

impl GraphClient {
    /// A client of `graph_host` (`https://graph.microsoft.com`).
    pub fn new(
        graph_host: &str,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> Result<GraphClient, ConnectorError> {
        let api = ApiBuilder::new("Microsoft Graph", bearer, Arc::new(GraphThrottling))
            .pause(pause.clone())
            .build()?;
        Ok(GraphClient {
            api,
            pause,
            base: format!("{}/v1.0", graph_host.trim_end_matches('/')),
        })
    }

    /// `https://graph.microsoft.com/v1.0`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// API calls made so far (retries included).
    pub fn calls(&self) -> u64 {
        self.api.calls()
    }

    /// A URL under the base with query options, encoded.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let raw = format!("{}/{}", self.base, path.trim_start_matches('/'));
        match url::Url::parse(&raw) {
            Ok(mut u) => {
                if !query.is_empty() {
                    let mut q = u.query_pairs_mut();
                    for (k, v) in query {
                        q.append_pair(k, v);
                    }
                }
                u.to_string()
            }
            Err(_) => raw,
        }
    }

    async fn page<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Page<T>, ConnectorError> {
        let reply = self
            .api
            .send(&Call {
                url,
                headers,
                json: None,
            })
            .await?;
        self.api.decode(url, &reply.body)
    }

    /// Every object of a collection, following nextLinks.
    pub async fn all<T: DeserializeOwned>(
        &self,
        first: &str,
        headers: &[(&str, &str)],
    ) -> Result<Vec<T>, ConnectorError> {
        let mut out = Vec::new();
        let mut url = first.to_string();
        loop {
            let p: Page<T> = self.page(&url, headers).await?;
            out.extend(p.value);
            match p.next_link {
                Some(n) => url = n,
                None => return Ok(out),
            }
        }
    }

    /// The first page of a collection (for type-ahead: no need for the rest).
    pub async fn first<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Vec<T>, ConnectorError> {
        Ok(self.page::<T>(url, headers).await?.value)
    }

    /// At least `want` objects of a collection (or all of it, if it has fewer), following nextLinks: Graph
    /// may put fewer objects on a page than `$top` asks for, so a short first page does not mean the end.
    pub async fn up_to<T: DeserializeOwned>(
        &self,
        first: &str,
        headers: &[(&str, &str)],
        want: usize,
    ) -> Result<Vec<T>, ConnectorError> {
        let mut out = Vec::new();
        let mut url = first.to_string();
        loop {
            let p: Page<T> = self.page(&url, headers).await?;
            out.extend(p.value);
            match p.next_link {
                Some(n) if out.len() < want => url = n,
                _ => return Ok(out),
            }
        }
    }

    /// One object, or `None` if Graph says it does not exist (404).
    pub async fn object(&self, url: &str) -> Result<Option<Object>, ConnectorError> {
        match self.api.get_optional(url).await? {
            None => Ok(None),
            Some(reply) => self.api.decode(url, &reply.body).map(Some),
        }
    }

    /// A whole delta round from `start` (a first delta URL or a stored deltaLink), handing each page's
    /// objects to `each`. Graph answers an expired or unknown token with `410 Gone` (or `400
    /// syncStateNotFound` for directory objects): that is [`RoundEnd::Resync`], not an error.
    pub async fn delta<T: DeserializeOwned, F: FnMut(Vec<T>)>(
        &self,
        start: &str,
        mut each: F,
    ) -> Result<RoundEnd, ConnectorError> {
        let mut url = start.to_string();
        loop {
            let reply = self
                .api
                .send_passing(
                    &Call {
                        url: &url,
                        headers: &[MAX_PAGE],
                        json: None,
                    },
                    &[StatusCode::GONE, StatusCode::BAD_REQUEST],
                )
                .await?;
            if reply.status == StatusCode::GONE {
                return Ok(RoundEnd::Resync);
            }
            if reply.status == StatusCode::BAD_REQUEST {
                let (code, message) = graph_error(&reply.body);
                let code = code.unwrap_or_default();
                if ["syncStateNotFound", "resyncRequired", "syncStateInvalid"]
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&code))
                {
                    return Ok(RoundEnd::Resync);
                }
                return Err(ConnectorError::Configuration(format!(
                    "Microsoft Graph refused the request for {}{}. Check the attribute mapping (property names must be Microsoft Graph user properties, such as userPrincipalName or mail) and the connection's settings.",
                    roster_cloud::path_of(&url),
                    message.map(|m| format!(" (\"{m}\")")).unwrap_or_default()
                )));
            }
            let page: Page<T> = self.api.decode(&url, &reply.body)?;
            each(page.value);
            match (page.next_link, page.delta_link) {
                (Some(next), _) => url = next,
                (None, Some(link)) => return Ok(RoundEnd::Link(link)),
                (None, None) => {
                    return Err(ConnectorError::Protocol(format!(
                        "Microsoft Graph ended a page of {} with neither a next page nor a delta link. Nothing was changed; the next sync will try again.",
                        roster_cloud::path_of(&url)
                    )))
                }
            }
        }
    }

    /// Sends GET requests (paths relative to `/v1.0`, with their own headers) in batches of 20, retrying
    /// the ones Graph throttled inside a batch after their `Retry-After`. Answers come back in order.
    pub async fn batch_get(
        &self,
        requests: &[(String, Vec<(&str, &str)>)],
    ) -> Result<Vec<Answer>, ConnectorError> {
        let mut answers: Vec<Option<Answer>> = vec![None; requests.len()];
        let url = format!("{}/$batch", self.base);
        for chunk_start in (0..requests.len()).step_by(BATCH) {
            let mut pending: Vec<usize> =
                (chunk_start..(chunk_start + BATCH).min(requests.len())).collect();
            let mut round = 0u32;
            while !pending.is_empty() {
                round += 1;
                let body = json!({ "requests": pending.iter().map(|&i| {
                    let headers: serde_json::Map<String, Value> = requests[i].1.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                    json!({ "id": i.to_string(), "method": "GET", "url": requests[i].0, "headers": headers })
                }).collect::<Vec<_>>() });
                let reply = self
                    .api
                    .send(&Call {
                        url: &url,
                        headers: &[],
                        json: Some(&body),
                    })
                    .await?;
                let v: Value = self.api.decode(&url, &reply.body)?;
                let responses = v
                    .get("responses")
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        ConnectorError::Protocol(
                            "Microsoft Graph answered a batch without responses. Nothing was changed; the next sync will try again.".into(),
                        )
                    })?;
                let mut retry = Vec::new();
                let mut wait = Duration::ZERO;
                for r in responses {
                    let Some(i) = r
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<usize>().ok())
                        .filter(|i| pending.contains(i))
                    else {
                        continue;
                    };
                    let status = r.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
                    if matches!(status, 429 | 503 | 504) && round < 6 {
                        let hint = r
                            .pointer("/headers/Retry-After")
                            .or_else(|| r.pointer("/headers/retry-after"))
                            .and_then(Value::as_str)
                            .and_then(|s| s.trim().parse::<u64>().ok())
                            .map(Duration::from_secs)
                            .unwrap_or(Duration::from_secs(1 << round.min(6)));
                        wait = wait.max(hint.min(Duration::from_secs(120)));
                        retry.push(i);
                        continue;
                    }
                    answers[i] = Some(Answer {
                        status,
                        body: r.get("body").cloned().unwrap_or(Value::Null),
                    });
                }
                for &i in &pending {
                    if answers[i].is_none() && !retry.contains(&i) {
                        return Err(ConnectorError::Protocol(
                            "Microsoft Graph left a request of a batch unanswered. Nothing was changed; the next sync will try again.".into(),
                        ));
                    }
                }
                if !retry.is_empty() {
                    self.pause.pause(wait).await;
                }
                pending = retry;
            }
        }
        answers
            .into_iter()
            .map(|a| {
                a.ok_or_else(|| {
                    ConnectorError::Unreachable(
                        "Microsoft Graph kept throttling part of a batch. The next sync will try again.".into(),
                    )
                })
            })
            .collect()
    }

    /// Headers for advanced queries (`$search`, `$count`, most `$filter`s).
    pub fn eventual() -> [(&'static str, &'static str); 1] {
        [EVENTUAL]
    }
}
