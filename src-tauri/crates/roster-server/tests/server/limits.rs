//! Request limits, each answered in the front door's error format: body size (413), rate per credential
//! (429 with Retry-After), slow bodies and headers (408), slow handlers (503), unknown paths (404).

use super::*;
use axum::routing::{get, post};
use roster_server::{RateLimit, DEFAULT_MAX_BODY_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `POST /scim/v2/{key}/Users` and `POST /admin/v1/users` answer with the body's length.
fn echo_length() -> (Router, Router) {
    async fn length(body: axum::body::Bytes) -> String {
        body.len().to_string()
    }
    (
        Router::new().route("/scim/v2/{directory_key}/Users", post(length)),
        Router::new().route("/admin/v1/users", post(length)),
    )
}

fn no_rate_limit() -> RequestLimits {
    RequestLimits {
        rate: None,
        ..Default::default()
    }
}

async fn json_of(r: reqwest::Response) -> serde_json::Value {
    r.json().await.unwrap()
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_in_the_doors_format() {
    let (scim, admin) = echo_length();
    let server = start(loopback(), app(no_rate_limit(), scim, admin)).await;
    let c = client();
    let users = url(&server, "/scim/v2/DS1/Users");

    let at_limit = c
        .post(&users)
        .body(vec![b'x'; DEFAULT_MAX_BODY_BYTES])
        .send()
        .await
        .unwrap();
    assert_eq!(at_limit.status(), 200, "1 MiB exactly is accepted");
    assert_eq!(
        at_limit.text().await.unwrap(),
        DEFAULT_MAX_BODY_BYTES.to_string(),
        "and reaches the handler whole"
    );

    let over = c
        .post(&users)
        .body(vec![b'x'; DEFAULT_MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 413);
    assert_eq!(
        over.headers()[CONTENT_TYPE],
        "application/scim+json",
        "a SCIM client gets a SCIM error"
    );
    let body = json_of(over).await;
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "413");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&DEFAULT_MAX_BODY_BYTES.to_string()),
        "the detail says what the limit is: {body}"
    );

    let over_admin = c
        .post(url(&server, "/admin/v1/users"))
        .body(vec![b'x'; DEFAULT_MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(over_admin.status(), 413);
    let body = json_of(over_admin).await;
    assert_eq!(
        (body["stat"].as_str(), body["code"].as_u64()),
        (Some("FAIL"), Some(41301)),
        "an Admin API client gets Duo's error: {body}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_rate_limit_holds_back_one_credential_and_not_another() {
    let limits = RequestLimits {
        rate: Some(RateLimit::one_every(Duration::from_secs(60), 2)),
        ..Default::default()
    };
    let scim = Router::new().route("/scim/v2/{directory_key}/Users", get(|| async { "[]" }));
    let server = start(loopback(), app(limits, scim, Router::new())).await;
    let c = client();
    let users = url(&server, "/scim/v2/DS1/Users");
    let get_as = |token: &'static str| c.get(&users).bearer_auth(token).send();

    for i in 0..2 {
        assert_eq!(
            get_as("token-a").await.unwrap().status(),
            200,
            "request {i} is within the burst of 2"
        );
    }
    let limited = get_as("token-a").await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After says how many seconds until the next request is allowed: {retry_after}"
    );
    assert_eq!(limited.headers()[CONTENT_TYPE], "application/scim+json");
    assert_eq!(json_of(limited).await["status"], "429");

    assert_eq!(
        get_as("token-b").await.unwrap().status(),
        200,
        "another credential is not held back by the first"
    );
    assert_eq!(
        c.get(&users).send().await.unwrap().status(),
        200,
        "nor is a request without credentials (keyed by its address)"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_answered_in_the_doors_format() {
    let server = start(
        loopback(),
        app(no_rate_limit(), Router::new(), Router::new()),
    )
    .await;
    let c = client();

    let scim = c
        .get(url(&server, "/scim/v2/DS1/Nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), 404);
    assert_eq!(scim.headers()[CONTENT_TYPE], "application/scim+json");
    assert_eq!(json_of(scim).await["status"], "404");

    let admin = c
        .get(url(&server, "/admin/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 404);
    assert_eq!(json_of(admin).await["code"], 40401);

    let elsewhere = c.get(url(&server, "/nothing")).send().await.unwrap();
    assert_eq!(elsewhere.status(), 404);
    let body = json_of(elsewhere).await;
    assert_eq!(
        body["status"], 404,
        "outside every door: plain JSON: {body}"
    );
    assert!(body["message"].as_str().unwrap().contains("/nothing"));

    let wrong_method = c.post(url(&server, "/health")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(json_of(wrong_method).await["status"], 405);
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408() {
    let (scim, admin) = echo_length();
    let limits = RequestLimits {
        body_timeout: Duration::from_millis(200),
        ..no_rate_limit()
    };
    let server = start(loopback(), app(limits, scim, admin)).await;
    let answer = raw(
        server.local_addr(),
        b"POST /scim/v2/DS1/Users HTTP/1.1\r\nHost: roster\r\nContent-Length: 100\r\n\r\n{\"partial\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("application/scim+json") && answer.contains("\"status\":\"408\""),
        "in the SCIM door's format: {answer}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_finish_its_headers_in_time_is_disconnected() {
    let mut config = loopback();
    config.limits.header_read_timeout = Duration::from_millis(200);
    let server = start(config, app(no_rate_limit(), Router::new(), Router::new())).await;
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: roster\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(0))),
        "a client stuck half-way through its headers holds no connection: {closed:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_handler_that_takes_too_long_gets_503() {
    let limits = RequestLimits {
        handler_timeout: Duration::from_millis(200),
        ..no_rate_limit()
    };
    let scim = Router::new().route(
        "/scim/v2/{directory_key}/Users",
        get(std::future::pending::<String>),
    );
    let server = start(loopback(), app(limits, scim, Router::new())).await;
    let r = client()
        .get(url(&server, "/scim/v2/DS1/Users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/scim+json");
    assert_eq!(json_of(r).await["status"], "503");
    server.shutdown().await;
}
