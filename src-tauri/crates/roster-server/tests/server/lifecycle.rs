//! Start, serve, stop: graceful shutdown, refusals before binding, the port already taken, the
//! connection cap.

use super::*;
use axum::routing::get;
use roster_server::{ConnectionLimits, ServerError, Stopped};
use std::sync::Arc;
use tokio::sync::Notify;

#[tokio::test]
async fn starts_answers_health_and_stops() {
    let server = start(
        loopback(),
        app(RequestLimits::default(), Router::new(), Router::new()),
    )
    .await;
    assert!(server.local_addr().ip().is_loopback());
    assert_ne!(server.local_addr().port(), 0, "port 0 picks a free port");
    assert_eq!(server.fingerprint(), None, "plain HTTP has no certificate");
    let r = client().get(url(&server, "/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
    let addr = server.local_addr();
    assert_eq!(server.shutdown().await, Stopped { connections_cut: 0 });
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "a stopped server no longer listens"
    );
}

/// A handler that says when it has started and finishes only when told to.
fn held_request(started: Arc<Notify>, release: Arc<Notify>) -> Router {
    Router::new().route(
        "/scim/v2/held",
        get(move || {
            let (started, release) = (started.clone(), release.clone());
            async move {
                started.notify_one();
                release.notified().await;
                "done"
            }
        }),
    )
}

#[tokio::test]
async fn shutting_down_finishes_the_request_in_flight() {
    let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let server = start(
        loopback(),
        app(
            RequestLimits::default(),
            held_request(started.clone(), release.clone()),
            Router::new(),
        ),
    )
    .await;
    let addr = server.local_addr();
    let in_flight = tokio::spawn(client().get(url(&server, "/scim/v2/held")).send());
    started.notified().await;

    let stopping = tokio::spawn(server.shutdown());
    // The listener closes first: wait until new connections are refused, so the shutdown is under way
    // while the request is still in its handler.
    let mut refused = false;
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "a server shutting down accepts no new connections");
    assert!(
        !in_flight.is_finished(),
        "the request in flight is still being served"
    );

    release.notify_one();
    let answer = in_flight.await.unwrap().unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.text().await.unwrap(),
        "done",
        "it was answered in full"
    );
    assert_eq!(
        stopping.await.unwrap(),
        Stopped { connections_cut: 0 },
        "nothing had to be cut"
    );
}

#[tokio::test]
async fn a_request_that_outlives_the_grace_period_is_cut() {
    let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let mut config = loopback();
    config.limits.shutdown_grace = Duration::from_millis(100);
    let server = start(
        config,
        app(
            RequestLimits::default(),
            held_request(started.clone(), release),
            Router::new(),
        ),
    )
    .await;
    let in_flight = tokio::spawn(client().get(url(&server, "/scim/v2/held")).send());
    started.notified().await;
    assert_eq!(
        server.shutdown().await,
        Stopped { connections_cut: 1 },
        "shutdown does not wait for ever on a handler that never ends"
    );
    assert!(
        in_flight.await.unwrap().is_err(),
        "the client sees its connection closed"
    );
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_before_binding() {
    // 192.0.2.0/24 is reserved for documentation: no machine has it, so nothing could be bound there
    // even if the check came too late (the error would then be a bind error, and this test would fail).
    let config = ServerConfig {
        listen: "192.0.2.10:8742".parse().unwrap(),
        ..loopback()
    };
    let err = Server::start(
        config,
        app(RequestLimits::default(), Router::new(), Router::new()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServerError::PlainHttpNotLoopback(_)),
        "refused for being plain HTTP off loopback: {err}"
    );
    let message = err.to_string();
    for what_to_do in [
        "192.0.2.10:8742",
        "certificate",
        "generate",
        "reverse proxy",
    ] {
        assert!(
            message.contains(what_to_do),
            "the message says why and what to do ({what_to_do}): {message}"
        );
    }
}

#[tokio::test]
async fn a_port_already_in_use_is_named() {
    let first = start(
        loopback(),
        app(RequestLimits::default(), Router::new(), Router::new()),
    )
    .await;
    let taken = first.local_addr();
    let err = Server::start(
        ServerConfig {
            listen: taken,
            ..loopback()
        },
        app(RequestLimits::default(), Router::new(), Router::new()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServerError::AddressInUse(a) if a == taken));
    let message = err.to_string();
    assert!(
        message.contains(&taken.to_string()) && message.contains("another address"),
        "names the address and what to do: {message}"
    );
    first.shutdown().await;
}

#[tokio::test]
async fn host_names_that_are_not_names_are_refused() {
    let config = ServerConfig {
        host_names: vec!["roster example.com".into()],
        ..loopback()
    };
    let err = Server::start(
        config,
        app(RequestLimits::default(), Router::new(), Router::new()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServerError::HostName(ref n) if n == "roster example.com"),
        "{err}"
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_one_to_close() {
    let config = ServerConfig {
        limits: ConnectionLimits {
            max_connections: 1,
            ..Default::default()
        },
        ..loopback()
    };
    let server = start(
        config,
        app(RequestLimits::default(), Router::new(), Router::new()),
    )
    .await;
    let addr = server.local_addr();

    // The first connection is served and kept open.
    let mut first = tokio::net::TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"GET /health HTTP/1.1\r\nHost: roster\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    let n = first.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    // The second waits in the operating system's queue: no answer while the first is open.
    let second = tokio::spawn(raw(
        addr,
        b"GET /health HTTP/1.1\r\nHost: roster\r\nConnection: close\r\n\r\n",
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a connection past the cap is not served"
    );
    drop(first);
    let answer = second.await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "served once the first closed: {answer}"
    );
    server.shutdown().await;
}
