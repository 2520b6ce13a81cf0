//! Round trips: requests signed as duo_client's `api_call` would send them (with the Rust port of its
//! signer), checked by [`verify`]; and every way a request is refused.

use time::{Duration, OffsetDateTime};

use super::*;
use crate::params::codec::encode_canonical;
use crate::signing::{sign, Digest};

const IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
const SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";
const HOST: &str = "127.0.0.1";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn rfc2822(when: OffsetDateTime) -> String {
    // email.utils.formatdate(): "Tue, 14 Nov 2023 22:13:20 -0000"
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] -0000"
    );
    when.format(&f).unwrap_or_default()
}

/// What the wire carries for one request, as duo_client's `api_call` builds it.
struct Wire {
    method: &'static str,
    path: &'static str,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn request(&self) -> (Vec<(&str, &str)>, Request<'_>) {
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
fn client(
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

fn check(wire: &Wire, at: OffsetDateTime, replay: &mut ReplayCache) -> Result<Verified, DuoError> {
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

fn code(r: Result<Verified, DuoError>) -> Result<SigVersion, Code> {
    r.map(|v| v.version).map_err(|e| e.code)
}

const LOOKUP: &[(&str, &str)] = &[
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

#[test]
fn tampering_with_anything_signed_is_40103() {
    let base = || {
        client(
            SigVersion::V5,
            Digest::Sha512,
            "GET",
            "/admin/v1/users",
            LOOKUP,
            now(),
            &[],
        )
    };
    let mut other_query = base();
    other_query.query = other_query
        .query
        .replace("jsmith", "root")
        .replace("First", "Fist");
    let mut other_path = base();
    other_path.path = "/admin/v1/groups";
    let mut other_method = base();
    other_method.method = "DELETE";
    for wire in [other_query, other_path, other_method] {
        assert_eq!(
            code(check(&wire, now(), &mut ReplayCache::default())),
            Err(Code::InvalidSignature)
        );
    }
    let wire = base();
    let (headers, request) = wire.request();
    let request = Request {
        headers: &headers,
        ..request
    };
    let other_host = verify(
        &request,
        "api-x.duosecurity.com",
        now(),
        300,
        |_| Some(SKEY),
        &mut ReplayCache::default(),
    );
    assert_eq!(code(other_host), Err(Code::InvalidSignature));
    let other_secret = verify(
        &request,
        HOST,
        now(),
        300,
        |_| Some("wrong"),
        &mut ReplayCache::default(),
    );
    assert_eq!(code(other_secret), Err(Code::InvalidSignature));
    let json = client(
        SigVersion::V5,
        Digest::Sha512,
        "POST",
        "/admin/v1/users",
        &[("username", "a")],
        now(),
        &[],
    );
    let mut json_tampered = json;
    json_tampered.body = br#"{"username":"b"}"#.to_vec();
    assert_eq!(
        code(check(&json_tampered, now(), &mut ReplayCache::default())),
        Err(Code::InvalidSignature)
    );
}

#[test]
fn dates_outside_five_minutes_are_40104() {
    let wire = client(
        SigVersion::V5,
        Digest::Sha512,
        "GET",
        "/admin/v1/users",
        &[],
        now(),
        &[],
    );
    let fresh = &mut ReplayCache::default();
    assert!(check(&wire, now() + Duration::seconds(300), fresh).is_ok());
    assert!(check(&wire, now() - Duration::seconds(300), fresh).is_ok());
    assert_eq!(
        code(check(&wire, now() + Duration::seconds(301), fresh)),
        Err(Code::InvalidDate)
    );
    assert_eq!(
        code(check(&wire, now() - Duration::seconds(301), fresh)),
        Err(Code::InvalidDate)
    );
    let mut no_date = wire;
    no_date.headers.retain(|(n, _)| n != "Date");
    assert_eq!(code(check(&no_date, now(), fresh)), Err(Code::InvalidDate));
    no_date.headers.push(("Date".into(), "yesterday".into()));
    assert_eq!(code(check(&no_date, now(), fresh)), Err(Code::InvalidDate));
}

#[test]
fn credentials_problems_have_their_own_codes() {
    let wire = client(
        SigVersion::V5,
        Digest::Sha512,
        "GET",
        "/admin/v1/users",
        &[],
        now(),
        &[],
    );
    let with_auth = |auth: &str| {
        let mut w = Wire {
            method: wire.method,
            path: wire.path,
            query: wire.query.clone(),
            headers: wire.headers.clone(),
            body: vec![],
        };
        w.headers.retain(|(n, _)| n != "Authorization");
        if !auth.is_empty() {
            w.headers.push(("Authorization".into(), auth.into()));
        }
        code(check(&w, now(), &mut ReplayCache::default()))
    };
    use base64::Engine as _;
    let b64 = |s: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    };
    assert_eq!(with_auth(""), Err(Code::MissingCredentials));
    assert_eq!(with_auth("Bearer abc"), Err(Code::MissingCredentials));
    assert_eq!(with_auth("Basic !!!"), Err(Code::MissingCredentials));
    assert_eq!(with_auth(&b64("no-colon")), Err(Code::MissingCredentials));
    assert_eq!(
        with_auth(&b64(&format!("DIUNKNOWN:{}", "a".repeat(128)))),
        Err(Code::InvalidIntegrationKey)
    );
    assert_eq!(
        with_auth(&b64(&format!("{IKEY}:{}", "a".repeat(64)))),
        Err(Code::UnsupportedSignature)
    );
    assert_eq!(
        with_auth(&b64(&format!("{IKEY}:{}", "z".repeat(128)))),
        Err(Code::UnsupportedSignature)
    );
    assert_eq!(
        with_auth(&b64(&format!("{IKEY}:{}", "a".repeat(128)))),
        Err(Code::InvalidSignature)
    );
}

#[test]
fn sha1_is_refused_for_v4_and_v5() {
    // A SHA-1 HMAC over a v5 canonical string: duo_client never sends it, and Duo only accepts SHA-1
    // for v1 and v2.
    let date = rfc2822(now());
    let none = Params::new();
    let parts = Canonical {
        method: "GET",
        host: HOST,
        path: "/admin/v1/users",
        date: &date,
        params: &none,
        body: b"",
        x_duo_headers: &[],
    };
    let hex = crate::signing::to_hex(&crate::signing::client::hmac(
        SKEY.as_bytes(),
        Digest::Sha1,
        canonical_string(SigVersion::V5, &parts).as_bytes(),
    ));
    use base64::Engine as _;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{IKEY}:{hex}"))
    );
    let wire = Wire {
        method: "GET",
        path: "/admin/v1/users",
        query: String::new(),
        headers: vec![
            ("Authorization".into(), auth),
            ("Date".into(), date.clone()),
        ],
        body: vec![],
    };
    assert_eq!(
        code(check(&wire, now(), &mut ReplayCache::default())),
        Err(Code::InvalidSignature)
    );
}

#[test]
fn changing_requests_are_refused_when_replayed_and_reads_are_not() {
    let mut replay = ReplayCache::default();
    let post = client(
        SigVersion::V5,
        Digest::Sha512,
        "POST",
        "/admin/v1/users/DU1/groups",
        &[("group_id", "DG1")],
        now(),
        &[],
    );
    assert!(check(&post, now(), &mut replay).is_ok());
    let again = check(&post, now() + Duration::seconds(5), &mut replay);
    assert_eq!(code(again), Err(Code::InvalidSignature));
    let delete = client(
        SigVersion::V2,
        Digest::Sha1,
        "DELETE",
        "/admin/v1/users/DU1",
        &[],
        now(),
        &[],
    );
    assert!(check(&delete, now(), &mut replay).is_ok());
    assert_eq!(
        code(check(&delete, now(), &mut replay)),
        Err(Code::InvalidSignature)
    );
    let get = client(
        SigVersion::V5,
        Digest::Sha512,
        "GET",
        "/admin/v1/users",
        LOOKUP,
        now(),
        &[],
    );
    for _ in 0..3 {
        assert!(
            check(&get, now(), &mut replay).is_ok(),
            "GETs are not replay-checked"
        );
    }
    assert_eq!(replay.len(), 2);
}

#[test]
fn undecodable_parameters_are_40002() {
    let mut wire = client(
        SigVersion::V5,
        Digest::Sha512,
        "GET",
        "/admin/v1/users",
        &[],
        now(),
        &[],
    );
    wire.query = "username=%FF".into();
    let err = check(&wire, now(), &mut ReplayCache::default()).err();
    assert_eq!(
        err.map(|e| (e.code, e.detail)),
        Some((Code::InvalidParameters, Some("username".into())))
    );
    let mut json = client(
        SigVersion::V5,
        Digest::Sha512,
        "POST",
        "/admin/v1/users",
        &[("username", "a")],
        now(),
        &[],
    );
    json.body = b"[1,2]".to_vec();
    assert_eq!(
        code(check(&json, now(), &mut ReplayCache::default())),
        Err(Code::InvalidParameters)
    );
}

#[test]
fn the_configured_host_is_compared_without_port_or_case() {
    assert_eq!(
        host_without_port("API-X.DuoSecurity.com:443"),
        "api-x.duosecurity.com"
    );
    assert_eq!(host_without_port("127.0.0.1"), "127.0.0.1");
    assert_eq!(host_without_port("[::1]:8443"), "[::1]");
    assert_eq!(host_without_port("::1"), "::1");
}
