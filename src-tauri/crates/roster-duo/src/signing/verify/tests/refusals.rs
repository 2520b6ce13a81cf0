//! Every way a request is refused: tampering, dates, credentials, digests, replays, bad parameters.

use time::Duration;

use super::*;

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
