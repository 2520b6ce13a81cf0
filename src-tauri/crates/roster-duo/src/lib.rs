//! Duo's Admin API wire format, for Roster's emulation of the Admin API (what duo_client, Duo's
//! PowerShell module and Duo Directory Sync's callers send): the protocol, with no I/O.
//!
//! What this crate owns:
//! - request signing ([`signing`]): the canonical strings of v1, v2, v4 and v5, HMAC-SHA1/SHA-512, a
//!   port of duo_client's signer ([`signing::sign`]) and the server's check ([`signing::verify`]):
//!   `Authorization: Basic base64(ikey:hex)`, date from `X-Duo-Date` or `Date`, a 5-minute window,
//!   constant-time comparison, and replays of changing requests refused ([`replay::ReplayCache`]);
//! - parameters ([`params`]): query strings, form bodies and JSON bodies decoded into one multi-map,
//!   Duo's canonical encoding, and typed reads failing with 40002 naming the parameter;
//! - paging ([`paging`]): `limit`/`offset` with each endpoint's default and maximum, and list
//!   `metadata`; the administrator log's v1 and v2 queries ([`logs`]);
//! - bodies ([`envelope`]) and failures ([`error`]): `{"stat":"OK",…}`, `{"stat":"FAIL",…}` and the
//!   [`Code`]s with their HTTP statuses;
//! - API permissions ([`grant::Grant`]), per-application rate limits ([`rate::RateLimiter`]) and the
//!   route table ([`route`]).
//!
//! What it must not do: any I/O. No HTTP framework, no SQL, no keychain, no clock, no logging. The
//! caller passes `now`, looks secrets up (a closure from integration key to secret key), owns the
//! replay cache and rate limiter, reads the store, and checks Roster's own permissions in roster-api.
//!
//! How a request goes through it (the HTTP door does this, in this order):
//! 1. [`route::route`]`(method, path)` → the endpoint, or 40401 / 40501;
//! 2. [`signing::verify`] → the integration key and the decoded [`Params`], or 401s;
//! 3. the application's grants include `route.grant`, else 40301; [`rate::RateLimiter::check`] with
//!    `route.class`, else 42901;
//! 4. [`Params::reject_unknown`]`(route.params)`, then typed reads ([`Params::str`], [`Params::int`],
//!    [`paging::Page::from_params`], …);
//! 5. the answer: [`envelope::ok`], [`envelope::ok_list`] or [`envelope::fail`] with
//!    [`Code::http_status`].

pub mod envelope;
pub mod error;
pub mod grant;
pub mod logs;
pub mod paging;
pub mod params;
pub mod rate;
pub mod replay;
pub mod route;
pub mod signing;

pub use error::{Code, DuoError};
pub use grant::Grant;
pub use paging::{ListMetadata, Page, PageLimits};
pub use params::Params;
pub use rate::{RateClass, RateLimiter};
pub use replay::ReplayCache;
pub use route::{route, Endpoint, Matched, Method, Route};
pub use signing::{verify, Request, SigVersion, Verified};
