//! The server for real: sockets on 127.0.0.1, TLS handshakes with reqwest (rustls), raw HTTP where a
//! client must misbehave. One binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod lifecycle;
mod limits;
mod tls;

use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Router;
use roster_server::{
    plain_json, FrontDoors, Problem, RequestLimits, RunningServer, Server, ServerConfig, Tls,
};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A SCIM front door's errors, as the SCIM crate will render them (RFC 7644 §3.12).
pub fn scim_error(p: &Problem) -> Response {
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": p.status.as_u16().to_string(),
        "detail": p.detail,
    });
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// The Admin API's errors, as Duo answers them.
pub fn duo_error(p: &Problem) -> Response {
    let body = serde_json::json!({
        "stat": "FAIL",
        "code": u32::from(p.status.as_u16()) * 100 + 1,
        "message": p.detail,
    });
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.to_string(),
    )
        .into_response()
}

/// `/health`, a SCIM-like door at `/scim/v2` and a Duo-like door at `/admin` with `scim` and `admin`
/// routes.
pub fn app(limits: RequestLimits, scim: Router, admin: Router) -> Router {
    FrontDoors::new(limits)
        .door("/health", roster_server::health::routes(), plain_json)
        .door("/scim/v2", scim, scim_error)
        .door("/admin", admin, duo_error)
        .router()
}

/// Plain HTTP on a free loopback port.
pub fn loopback() -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: Tls::None,
        ..Default::default()
    }
}

pub async fn start(config: ServerConfig, app: Router) -> RunningServer {
    Server::start(config, app).await.unwrap()
}

/// A client that goes straight to loopback, whatever proxy the environment names.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn url(server: &RunningServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// Sends `request` as raw bytes and returns everything the server sends back before it closes (or 10 s).
pub async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
