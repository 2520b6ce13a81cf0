//! Round trips: requests signed as duo_client's `api_call` would send them (with the Rust port of its
//! signer), checked by [`verify`]; and every way a request is refused.

use time::{Duration, OffsetDateTime};

use super::*;
use crate::params::codec::encode_canonical;
use crate::signing::{sign, Digest};

pub(super) const IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
pub(super) const SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";
pub(super) const HOST: &str = "127.0.0.1";

pub(super) fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(super) fn rfc2822(when: OffsetDateTime) -> String {
    // email.utils.formatdate(): "Tue, 14 Nov 2023 22:13:20 -0000"
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] -0000"
    );
    when.format(&f).unwrap_or_default()
}

/// What the wire carries for one request, as duo_client's `api_call` builds it.
pub(super) struct Wire {
    pub(super) method: &'static str,
    pub(super) path: &'static str,
    pub(super) query: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Wire {
    pub(super) fn request(&self) -> (Vec<(&str, &str)>, Request<'_>) {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = Request {
            method: self.method,
            path: self.path,
            query: &self.query,
            headers: &[],
            body: &self.body,
        };
        (headers, request)
    }
}

/// Python's `urlencode`: canonical encoding with spaces as `+`.
fn urlencode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!("{}={}", encode_canonical(k), encode_canonical(v)).replace("%20", "+")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs like duo_client 5.x: v4/v5 POST send a JSON body (sorted keys, compact) and an empty params
/// line; everything else sends the parameters in the query string (GET, DELETE) or a form body (v1/v2
/// POST).
pub(super) fn client(
    version: SigVersion,
    digest: Digest,
    method: &'static str,
    path: &'static str,
    pairs: &[(&str, &str)],
    date: OffsetDateTime,
    extra: &[(&str, &str)],
) -> Wire {
    let date = rfc2822(date);
    let json_body = method == "POST" && matches!(version, SigVersion::V4 | SigVersion::V5);
    let params = Params::from_pairs(pairs.iter().copied());
    let none = Params::new();
    let body: Vec<u8> = if json_body {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        serde_json::Value::Object(map).to_string().into_bytes()
    } else if method == "POST" {
        urlencode(pairs).into_bytes()
    } else {
        Vec::new()
    };
    let signed = sign(
        IKEY,
        SKEY,
        version,
        digest,
        &Canonical {
            method,
            host: HOST,
            path,
            date: &date,
            params: if json_body { &none } else { &params },
            body: &body,
            x_duo_headers: extra,
        },
    );
    let mut headers = vec![
        ("Authorization".to_string(), signed.authorization),
        ("Date".to_string(), date),
        ("Host".to_string(), format!("{HOST}:8443")),
    ];
    if method == "POST" {
        let ct = if json_body {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        headers.push(("Content-type".to_string(), ct.to_string()));
    }
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    Wire {
        method,
        path,
        query: if method == "POST" {
            String::new()
        } else {
            urlencode(pairs)
        },
        headers,
        body,
    }
}

pub(super) fn check(
    wire: &Wire,
    at: OffsetDateTime,
    replay: &mut ReplayCache,
) -> Result<Verified, DuoError> {
    let (headers, request) = wire.request();
    let request = Request {
        headers: &headers,
        ..request
    };
    verify(
        &request,
        "127.0.0.1:8443",
        at,
        DEFAULT_WINDOW_SECS,
        |ikey| (ikey == IKEY).then_some(SKEY),
        replay,
    )
}

pub(super) fn code(r: Result<Verified, DuoError>) -> Result<SigVersion, Code> {
    r.map(|v| v.version).map_err(|e| e.code)
}

pub(super) const LOOKUP: &[(&str, &str)] = &[
    ("username", "First Last+1"),
    ("limit", "100"),
    ("offset", "0"),
];

#[test]
fn every_version_and_digest_round_trips_for_get() {
    for (version, digest) in [
        (SigVersion::V5, Digest::Sha512),
        (SigVersion::V4, Digest::Sha512),
        (SigVersion::V2, Digest::Sha512),
        (SigVersion::V2, Digest::Sha1),
        (SigVersion::V1, Digest::Sha1),
        (SigVersion::V1, Digest::Sha512),
    ] {
        let wire = client(
            version,
            digest,
            "GET",
            "/admin/v1/users",
            LOOKUP,
            now(),
            &[],
        );
        let verified = check(&wire, now(), &mut ReplayCache::default());
        let params = verified
            .as_ref()
            .map(|v| v.params.clone())
            .unwrap_or_default();
        assert_eq!(code(verified), Ok(version), "{version:?} {digest:?}");
        assert_eq!(
            params.str("username"),
            Ok(Some("First Last+1")),
            "+ decodes to a space"
        );
    }
}

#[test]
fn posts_round_trip_as_json_for_v4_v5_and_as_a_form_for_v1_v2() {
    let fields: &[(&str, &str)] = &[
        ("username", "jsmith"),
        ("realname", "Joe Smith"),
        ("notes", "ü & ="),
    ];
    for version in [
        SigVersion::V5,
        SigVersion::V4,
        SigVersion::V2,
        SigVersion::V1,
    ] {
        let wire = client(
            version,
            Digest::Sha512,
            "POST",
            "/admin/v1/users",
            fields,
            now(),
            &[],
        );
        let verified = check(&wire, now(), &mut ReplayCache::default());
        assert_eq!(verified.as_ref().map(|v| v.version).ok(), Some(version));
        let params = verified.map(|v| v.params).unwrap_or_default();
        assert_eq!(params.str("notes"), Ok(Some("ü & =")), "{version:?}");
        assert_eq!(params.str("realname"), Ok(Some("Joe Smith")), "{version:?}");
    }
}

#[test]
fn v5_signs_the_x_duo_headers_the_client_added() {
    let extra = [("X-Duo-Trace", "abc")];
    let wire = client(
        SigVersion::V5,
        Digest::Sha512,
        "DELETE",
        "/admin/v1/users/DU1",
        &[],
        now(),
        &extra,
    );
    assert_eq!(
        code(check(&wire, now(), &mut ReplayCache::default())),
        Ok(SigVersion::V5)
    );
    let mut tampered = wire;
    tampered.headers.retain(|(n, _)| n != "X-Duo-Trace");
    tampered.headers.push(("X-Duo-Trace".into(), "xyz".into()));
    assert_eq!(
        code(check(&tampered, now(), &mut ReplayCache::default())),
        Err(Code::InvalidSignature)
    );
}

#[test]
fn x_duo_date_is_preferred_and_date_is_the_fallback() {
    let signed_at = now() - Duration::seconds(30);
    let mut wire = client(
        SigVersion::V2,
        Digest::Sha512,
        "GET",
        "/admin/v1/users",
        &[],
        signed_at,
        &[],
    );
    // A PowerShell-style client: the signed date in X-Duo-Date, an unrelated Date header.
    let date = wire
        .headers
        .iter()
        .find(|(n, _)| n == "Date")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    wire.headers.retain(|(n, _)| n != "Date");
    wire.headers.push(("X-Duo-Date".into(), date));
    wire.headers.push(("Date".into(), rfc2822(now())));
    let verified = check(&wire, now(), &mut ReplayCache::default());
    assert_eq!(verified.map(|v| v.date), Ok(signed_at));
}

mod refusals;
