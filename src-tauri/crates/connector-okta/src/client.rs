//! All of the connector's I/O: the Okta Management API over [`roster_cloud::Api`], with Okta's rate-limit
//! rules ([`OktaThrottling`]) and `Link`-header paging ([`Pager`]).
//!
//! Rate limits (developer.okta.com/docs/reference/rl-best-practices): every answer carries
//! `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (the epoch second the window resets). A 429 means wait
//! until Reset; Reset is measured against the answer's own `Date` header, not our clock, because the two
//! clocks may disagree by minutes and Okta's SDKs do the same. A success with Remaining 0 means the next
//! call would be throttled, so we wait until Reset before making it. A 429 with Limit 0 is the
//! concurrency limit (too many requests in flight): backoff, since Reset says nothing then.

use crate::map;
use crate::settings::Settings;
use rand::{Rng, SeedableRng};
use roster_cloud::{Api, ApiBuilder, Bearer, HeaderMap, Pause, StatusCode, Throttling, Verdict};
use roster_core::source::ConnectorError;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

/// The most jitter added to a wait for the rate-limit window (so that several clients do not return at
/// the same instant). Always under a second: whole seconds of every wait are exactly Reset − Date.
pub const JITTER_MAX: Duration = Duration::from_millis(400);

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Seconds from the answer's `Date` to its `X-Rate-Limit-Reset` (0 if Reset has passed), or `None` when
/// either header is missing or unreadable.
pub fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset = header_u64(headers, "x-rate-limit-reset")?;
    let date = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())?;
    let date = date.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(date)))
}

/// Okta's throttling rules for [`roster_cloud::Api`].
#[derive(Debug)]
pub struct OktaThrottling {
    rng: Mutex<rand_chacha::ChaCha8Rng>,
}

impl OktaThrottling {
    /// Rules whose jitter comes from `seed`.
    pub fn new(seed: u64) -> Self {
        OktaThrottling {
            rng: Mutex::new(rand_chacha::ChaCha8Rng::seed_from_u64(seed)),
        }
    }

    fn jitter(&self) -> Duration {
        let max = u64::try_from(JITTER_MAX.as_millis()).unwrap_or(0);
        let ms = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .random_range(0..=max);
        Duration::from_millis(ms)
    }

    fn wait(&self, headers: &HeaderMap) -> Option<Duration> {
        if header_u64(headers, "x-rate-limit-limit") == Some(0) {
            // The concurrency limit: Reset is meaningless, back off instead.
            return None;
        }
        until_reset(headers).map(|d| d + self.jitter())
    }
}

impl Throttling for OktaThrottling {
    fn verdict(&self, status: StatusCode, headers: &HeaderMap, _body: &[u8]) -> Verdict {
        if status == StatusCode::TOO_MANY_REQUESTS {
            Verdict::Throttled(self.wait(headers))
        } else {
            Verdict::Other
        }
    }

    fn pace(&self, headers: &HeaderMap) -> Option<Duration> {
        if header_u64(headers, "x-rate-limit-remaining") == Some(0) {
            self.wait(headers)
        } else {
            None
        }
    }
}

/// An authorized Okta Management API client.
pub struct Client {
    api: Api,
    base: String,
    origin: url::Origin,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the API at `settings.api()`.
    pub fn new(
        settings: &Settings,
        bearer: Arc<dyn Bearer>,
        pause: Arc<dyn Pause>,
    ) -> Result<Client, ConnectorError> {
        let base = settings.api();
        let origin = url::Url::parse(&base)
            .map_err(|_| {
                ConnectorError::Configuration(format!(
                    "The Okta API address \"{base}\" is not a URL. Check the connection's org URL."
                ))
            })?
            .origin();
        let seed: u64 = rand::rng().random();
        let api = ApiBuilder::new("Okta", bearer, Arc::new(OktaThrottling::new(seed)))
            .pause(pause)
            .seed(seed)
            .build()?;
        Ok(Client { api, base, origin })
    }

    /// API calls made so far, retries included.
    pub fn calls(&self) -> u64 {
        self.api.calls()
    }

    /// `{api}{path}?{params}` with the parameters URL-encoded.
    pub fn url(&self, path: &str, params: &[(&str, &str)]) -> String {
        match url::Url::parse(&format!("{}{path}", self.base)) {
            Ok(mut u) => {
                if !params.is_empty() {
                    u.query_pairs_mut().extend_pairs(params.iter().copied());
                }
                u.to_string()
            }
            Err(_) => format!("{}{path}", self.base),
        }
    }

    /// GETs one JSON document.
    pub async fn get<T: DeserializeOwned>(&self, url: &str) -> Result<T, ConnectorError> {
        Ok(self.api.get_json(url).await?.0)
    }

    /// Pages through a listing from `first`.
    pub fn pages(&self, first: String) -> Pager<'_> {
        Pager {
            client: self,
            next: Some(first),
            seen: HashSet::new(),
        }
    }
}

/// Walks a listing's `Link: rel="next"` chain. Only links to the API's own origin are followed (a link
/// elsewhere would carry our token there), and a link seen before ends the walk with an error rather than
/// looping.
#[derive(Debug)]
pub struct Pager<'a> {
    client: &'a Client,
    next: Option<String>,
    seen: HashSet<String>,
}

impl Pager<'_> {
    /// The next page, or `None` after the last.
    pub async fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Vec<T>>, ConnectorError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        self.seen.insert(url.clone());
        let (items, reply): (Vec<T>, _) = self.client.api.get_json(&url).await?;
        let next = map::next_link(
            reply
                .headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        if let Some(n) = next {
            let same_origin = url::Url::parse(&n).is_ok_and(|u| u.origin() == self.client.origin);
            if !same_origin {
                return Err(ConnectorError::Protocol(format!(
                    "Okta sent a paging link to another address than the connection's ({}). Roster did not follow it and changed nothing. Check the connection's API URL, or for a proxy rewriting responses.",
                    self.client.base
                )));
            }
            if self.seen.contains(&n) {
                return Err(ConnectorError::Protocol(format!(
                    "Okta's paging of {} went in a circle. Roster stopped and changed nothing; the next sync will try again.",
                    roster_cloud::path_of(&n)
                )));
            }
            self.next = Some(n);
        }
        Ok(Some(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn waits_run_from_the_answers_date_to_reset() {
        let t = OktaThrottling::new(1);
        // Date is 2015-10-21 07:28:00 GMT = 1445412480.
        let h = headers(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-rate-limit-limit", "600"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1445412487"),
        ]);
        assert_eq!(until_reset(&h), Some(Duration::from_secs(7)));
        match t.verdict(StatusCode::TOO_MANY_REQUESTS, &h, b"") {
            Verdict::Throttled(Some(d)) => {
                assert_eq!(d.as_secs(), 7, "Reset - Date, not our clock");
                assert!(d - Duration::from_secs(7) <= JITTER_MAX);
            }
            v => panic!("{v:?}"),
        }
        assert!(t.pace(&h).is_some_and(|d| d.as_secs() == 7));
        let fine = headers(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-rate-limit-remaining", "12"),
            ("x-rate-limit-reset", "1445412487"),
        ]);
        assert_eq!(t.pace(&fine), None, "no pacing while requests remain");
        assert_eq!(
            t.verdict(StatusCode::INTERNAL_SERVER_ERROR, &fine, b""),
            Verdict::Other
        );
        let past = headers(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-rate-limit-reset", "1445412000"),
        ]);
        assert_eq!(until_reset(&past), Some(Duration::ZERO));
        let concurrency = headers(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-rate-limit-limit", "0"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1445412487"),
        ]);
        assert_eq!(
            t.verdict(StatusCode::TOO_MANY_REQUESTS, &concurrency, b""),
            Verdict::Throttled(None),
            "the concurrency limit backs off instead"
        );
        assert_eq!(
            t.verdict(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), b""),
            Verdict::Throttled(None)
        );
    }
}
