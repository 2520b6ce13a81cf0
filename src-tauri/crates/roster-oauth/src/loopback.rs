//! The loopback listener's HTTP: just enough HTTP/1.1 to read the browser's `GET /callback?...` and answer
//! a page. Each connection is read in its own task so that a browser's idle preconnect cannot hold up the
//! real request.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The path the redirect URI names.
pub(crate) const CALLBACK_PATH: &str = "/callback";
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// How long a connection may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// A request to `/callback`.
#[derive(Debug)]
pub(crate) struct Arrival {
    /// Its query parameters (hold a code: never log them).
    pub params: Vec<(String, String)>,
    /// The connection to answer on.
    pub stream: TcpStream,
}

/// Reads one request. Returns the `/callback` requests; anything else (favicon, a stray GET, garbage) is
/// answered here with 404/400 and dropped.
pub(crate) async fn read(mut stream: TcpStream) -> Option<Arrival> {
    let mut buf = Vec::with_capacity(1024);
    let head = tokio::time::timeout(READ_TIMEOUT, async {
        let mut chunk = [0u8; 2048];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Some(());
            }
            if buf.len() > MAX_HEAD {
                return None;
            }
        }
    })
    .await;
    if !matches!(head, Ok(Some(()))) {
        return None;
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next().unwrap_or("");
    let mut words = line.split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let url = match url::Url::parse("http://127.0.0.1").and_then(|b| b.join(target)) {
        Ok(u) => u,
        Err(_) => {
            answer(stream, 400, "Bad Request", "text/plain", "Bad request").await;
            return None;
        }
    };
    if url.path() != CALLBACK_PATH {
        answer(stream, 404, "Not Found", "text/plain", "Not found").await;
        return None;
    }
    if method != "GET" {
        answer(stream, 405, "Method Not Allowed", "text/plain", "Use GET").await;
        return None;
    }
    let params = url.query_pairs().into_owned().collect();
    Some(Arrival { params, stream })
}

/// Answers a page and closes the connection. Failures are ignored: the browser may have gone.
pub(crate) async fn answer(
    mut stream: TcpStream,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &str,
) {
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Answers an HTML page.
pub(crate) async fn page(stream: TcpStream, status: u16, html: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Error",
    };
    answer(stream, status, reason, "text/html", html).await;
}
