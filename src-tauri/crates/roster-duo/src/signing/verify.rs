//! The server's check of a signed request.
//!
//! Order (each failure stops it): credentials readable (40101); parameters decodable (40002); date
//! header readable (40104); integration key known (40102); date within the window of `now` (40104);
//! signature hex of a SHA-1 or SHA-512 length (40112); signature matching one of v5, v4, v2, v1 (40103);
//! for anything but GET and HEAD, signature not seen before inside the window (40103, a replay).

use base64::Engine as _;
use time::OffsetDateTime;

use super::client::hmac_matches;
use super::SigVersion;
use super::{canonical_string, date::parse_date, from_hex, x_duo_headers, Canonical, Digest};
use crate::error::{Code, DuoError};
use crate::params::Params;
use crate::replay::ReplayCache;

/// How far (seconds) a request's date may be from the server's clock, either way: 5 minutes.
pub const DEFAULT_WINDOW_SECS: i64 = 300;

/// A request as the HTTP layer received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as sent (not percent-decoded), without the query string.
    pub path: &'a str,
    /// The raw query string without `?` (empty when none).
    pub query: &'a str,
    /// Every header whose value is text, as `(name, value)`; names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body (empty when none).
    pub body: &'a [u8],
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn has_json_body(&self) -> bool {
        self.sends_body()
            && self.header("content-type").is_some_and(|ct| {
                ct.trim_start()
                    .get(..16)
                    .is_some_and(|p| p.eq_ignore_ascii_case("application/json"))
            })
    }

    fn sends_body(&self) -> bool {
        ["POST", "PUT", "PATCH"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(self.method))
    }
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The Admin API application's integration key.
    pub ikey: String,
    /// The version that matched.
    pub version: SigVersion,
    /// Every parameter: the query string's and the body's (form or JSON), decoded.
    pub params: Params,
    /// The request's date.
    pub date: OffsetDateTime,
}

/// Checks `request`'s signature as Duo does. `api_host` is the configured API hostname (a port, if
/// any, is dropped; case does not matter); `secret_for` gives an integration key's secret key, or
/// `None` for an unknown key; `now` is the server's clock; `replay` remembers the signatures of
/// changing requests for `window_secs` (normally [`DEFAULT_WINDOW_SECS`]).
pub fn verify<S: AsRef<[u8]>>(
    request: &Request<'_>,
    api_host: &str,
    now: OffsetDateTime,
    window_secs: i64,
    secret_for: impl FnOnce(&str) -> Option<S>,
    replay: &mut ReplayCache,
) -> Result<Verified, DuoError> {
    let (ikey, signature_hex) = credentials(request)?;
    let json_body = request.has_json_body();
    let query = Params::from_query(request.query)?;
    let body_params = if json_body {
        Params::from_json(request.body)?
    } else if request.sends_body() && !request.body.is_empty() {
        Params::from_form(request.body)?
    } else {
        Params::new()
    };

    // X-Duo-Date is preferred; a request carrying both is tried with each.
    let mut dates: Vec<&str> = Vec::new();
    for name in ["x-duo-date", "date"] {
        if let Some(d) = request.header(name) {
            if !dates.contains(&d) {
                dates.push(d);
            }
        }
    }
    let parsed: Vec<(&str, OffsetDateTime)> = dates
        .iter()
        .filter_map(|d| parse_date(d).map(|when| (*d, when)))
        .collect();
    if parsed.is_empty() {
        return Err(DuoError::new(Code::InvalidDate));
    }

    let secret = secret_for(&ikey).ok_or_else(|| DuoError::new(Code::InvalidIntegrationKey))?;
    let in_window: Vec<(&str, OffsetDateTime)> = parsed
        .into_iter()
        .filter(|(_, when)| (*when - now).whole_seconds().abs() <= window_secs)
        .collect();
    if in_window.is_empty() {
        return Err(DuoError::new(Code::InvalidDate));
    }

    let digest = Digest::from_hex_len(signature_hex.len())
        .ok_or_else(|| DuoError::new(Code::UnsupportedSignature))?;
    let expected =
        from_hex(&signature_hex).ok_or_else(|| DuoError::new(Code::UnsupportedSignature))?;

    let host = host_without_port(api_host);
    let x_duo = x_duo_headers(request.headers);
    // v5 signs the X-Duo-* headers the client chose to add; a client that sends X-Duo-Date may or may
    // not count it among them, so both are tried.
    let x_duo_without_date: Vec<(&str, &str)> = x_duo
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("x-duo-date"))
        .copied()
        .collect();
    let mut form_and_query = query.clone();
    form_and_query.extend(body_params.clone());
    // v4/v5 with a JSON body sign only the query string's parameters and hash the body; otherwise the
    // params line carries every parameter and the body hash is of what was sent.
    let v45_params = if json_body { &query } else { &form_and_query };

    let matched = in_window.iter().find_map(|(date, when)| {
        let base = Canonical {
            method: request.method,
            host: &host,
            path: request.path,
            date,
            params: v45_params,
            body: request.body,
            x_duo_headers: &x_duo,
        };
        let mut tries: Vec<(SigVersion, Canonical<'_>)> = vec![(SigVersion::V5, base)];
        if x_duo_without_date.len() != x_duo.len() {
            tries.push((
                SigVersion::V5,
                Canonical {
                    x_duo_headers: &x_duo_without_date,
                    ..base
                },
            ));
        }
        tries.push((SigVersion::V4, base));
        if !json_body {
            tries.push((SigVersion::V2, base));
            tries.push((SigVersion::V1, base));
        }
        tries.into_iter().find_map(|(version, parts)| {
            let sha1_allowed = matches!(version, SigVersion::V1 | SigVersion::V2);
            if digest == Digest::Sha1 && !sha1_allowed {
                return None;
            }
            let canonical = canonical_string(version, &parts);
            hmac_matches(secret.as_ref(), digest, canonical.as_bytes(), &expected)
                .then_some((version, *when))
        })
    });
    let Some((version, date)) = matched else {
        return Err(DuoError::new(Code::InvalidSignature));
    };

    let reads_only = ["GET", "HEAD"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(request.method));
    if !reads_only {
        replay.check_and_record(&ikey, &expected, date, now, window_secs)?;
    }
    Ok(Verified {
        ikey,
        version,
        params: form_and_query,
        date,
    })
}

/// `(ikey, signature hex)` from `Authorization: Basic base64(ikey:hex)`.
fn credentials(request: &Request<'_>) -> Result<(String, String), DuoError> {
    let missing = || DuoError::new(Code::MissingCredentials);
    let header = request.header("authorization").ok_or_else(missing)?;
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(missing());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| missing())?;
    let text = String::from_utf8(decoded).map_err(|_| missing())?;
    let (ikey, signature) = text.split_once(':').ok_or_else(missing)?;
    if ikey.is_empty() || signature.is_empty() {
        return Err(missing());
    }
    Ok((ikey.to_string(), signature.to_string()))
}

/// `host` lower-cased without a trailing `:port` (`[::1]:8443` keeps `[::1]`).
fn host_without_port(host: &str) -> String {
    let host = host.trim();
    let bare = match host.rsplit_once(':') {
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            name
        }
        _ => host,
    };
    bare.to_lowercase()
}

#[cfg(test)]
mod tests;
