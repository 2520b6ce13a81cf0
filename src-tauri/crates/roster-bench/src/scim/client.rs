//! The client: a few tasks sending one phase's requests to one server, timing each.
//!
//! HTTP/1.1 written and read by hand over tokio's `TcpStream` (with `httparse` for the answer's head), as
//! load generators such as `wrk` do: the client shares the machine's two cores with the server it measures,
//! and what it spends is taken from the server. `reqwest` spent about a quarter of the CPU time of a run
//! (its pool, URL parsing, header maps and a task per connection); this spends a write and a read or two
//! per request. Connections are kept alive when the server allows it (Roster's HTTP/1.1), and opened
//! for every request when it does not (the reference's HTTP/1.0 server closes each one).

use super::traffic::{Kind, Phase, Step, Traffic};
use super::Res;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A SCIM server the client talks to. The token is never printed.
pub(super) struct Target {
    pub(super) name: &'static str,
    token: String,
    addr: SocketAddr,
    /// The base URL's path (`/scim/v2/DS…`), which each request's path follows.
    prefix: String,
    /// Connections the server keeps open, for the next request to take.
    idle: Mutex<Vec<TcpStream>>,
}

/// One answered request.
pub(super) struct Answer {
    pub(super) ms: f64,
    pub(super) throttled: u32,
    pub(super) body: Vec<u8>,
}

/// An answer as read off the wire.
struct Reply {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl Target {
    /// A target at `base`, an `http://127.0.0.1:PORT/path` URL.
    pub(super) fn new(name: &'static str, base: String, token: String) -> Res<Target> {
        let rest = base
            .strip_prefix("http://")
            .ok_or_else(|| format!("{base}: the bench speaks plain HTTP only"))?;
        let (host, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr: SocketAddr = host
            .parse()
            .map_err(|e| format!("{base}: not an IP address and port: {e}"))?;
        Ok(Target {
            name,
            prefix: prefix.to_string(),
            addr,
            token,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends `step`, waiting out any 429 as its `Retry-After` says (counted, and inside the latency, as a
    /// client sees it).
    pub(super) async fn send(&self, step: &Step) -> Result<Answer, String> {
        let what = format!("{} {}", step.method, step.path);
        let t = Instant::now();
        let mut throttled = 0u32;
        loop {
            let reply = self
                .exchange(step)
                .await
                .map_err(|e| format!("{}: {what}: {e}", self.name))?;
            if reply.status == 429 && throttled < 100 {
                throttled += 1;
                tokio::time::sleep(Duration::from_secs(reply.retry_after.unwrap_or(1))).await;
                continue;
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if !step.ok.contains(&reply.status) {
                let text = String::from_utf8_lossy(&reply.body);
                let snippet: String = text.chars().take(300).collect();
                return Err(format!(
                    "{} answered {} to {what}: {snippet}",
                    self.name, reply.status
                ));
            }
            return Ok(Answer {
                ms,
                throttled,
                body: reply.body,
            });
        }
    }

    /// One request and its answer, on a kept-alive connection if there is one. A kept-alive connection
    /// the server closed meanwhile answers nothing: the request is sent again on a new one.
    async fn exchange(&self, step: &Step) -> std::io::Result<Reply> {
        let mut head = format!(
            "{} {}{} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: application/scim+json\r\n",
            step.method, self.prefix, step.path, self.addr, self.token
        );
        let body = step.body.as_deref().unwrap_or("");
        if step.body.is_some() {
            head.push_str("Content-Type: application/scim+json\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut request = head.into_bytes();
        request.extend_from_slice(body.as_bytes());
        let kept = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        if let Some(mut conn) = kept {
            // Sent again only when the server had closed the connection (nothing came back, or the
            // write found it closed): never after part of an answer, which could repeat a `POST`.
            match round_trip(&mut conn, &request).await {
                Ok(Some(reply)) => return Ok(self.done(conn, reply)),
                Ok(None) => {}
                Err(e) if closed(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let mut conn = TcpStream::connect(self.addr).await?;
        conn.set_nodelay(true)?;
        match round_trip(&mut conn, &request).await? {
            Some(reply) => Ok(self.done(conn, reply)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection without answering",
            )),
        }
    }

    /// Keeps `conn` for the next request if the server keeps it open.
    fn done(&self, conn: TcpStream, reply: Reply) -> Reply {
        if reply.keep_alive {
            self.idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(conn);
        }
        reply
    }
}

/// Whether `e` says the server had closed the connection.
fn closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    matches!(e.kind(), BrokenPipe | ConnectionReset | ConnectionAborted)
}

/// Writes `request` and reads the answer; `None` if the server closed the connection before answering.
async fn round_trip(conn: &mut TcpStream, request: &[u8]) -> std::io::Result<Option<Reply>> {
    conn.write_all(request).await?;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut r = httparse::Response::new(&mut headers);
        let parsed = r
            .parse(&buf)
            .map_err(|e| invalid(format!("a malformed answer: {e}")))?;
        if let httparse::Status::Complete(at) = parsed {
            let status = r.code.unwrap_or(0);
            let header = |name: &str| {
                r.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
            };
            let length: Option<usize> = header("content-length").and_then(|v| v.parse().ok());
            let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
            let connection = header("connection").unwrap_or_default();
            // 204 and 304 answers have no body whatever their headers say (RFC 9112 §6.3): reading one to
            // the connection's end would wait for the server's idle timeout on a kept-alive connection.
            let bodiless = matches!(status, 204 | 304);
            let keep_alive = match r.version {
                Some(1) => connection != "close",
                _ => connection == "keep-alive",
            } && (bodiless || length.is_some() || chunked);
            let retry_after = header("retry-after").and_then(|v| v.parse().ok());
            let mut body = buf.split_off(at);
            if bodiless {
                body.clear();
            } else if let Some(n) = length {
                read_to(conn, &mut body, n).await?;
                body.truncate(n);
            } else if chunked {
                body = read_chunked(conn, body).await?;
            } else {
                conn.read_to_end(&mut body).await?;
            }
            return Ok(Some(Reply {
                status,
                retry_after,
                body,
                keep_alive,
            }));
        }
        if conn.read_buf(&mut buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(invalid("the answer ended inside its head".into()))
            };
        }
    }
}

/// Reads until `buf` holds at least `n` bytes.
async fn read_to(conn: &mut TcpStream, buf: &mut Vec<u8>, n: usize) -> std::io::Result<()> {
    while buf.len() < n {
        buf.reserve(n - buf.len());
        if conn.read_buf(buf).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the answer ended inside its body",
            ));
        }
    }
    Ok(())
}

/// Reads a chunked body (`raw` is what came after the head so far) and returns it decoded.
async fn read_chunked(conn: &mut TcpStream, mut raw: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = raw[at..].windows(2).position(|w| w == b"\r\n") else {
            let want = raw.len() + 1;
            read_to(conn, &mut raw, want).await?;
            continue;
        };
        let line = String::from_utf8_lossy(&raw[at..at + eol]).to_string();
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let start = at + eol + 2;
        // The chunk, its CRLF, and for the last (empty) chunk the CRLF that ends the body.
        read_to(conn, &mut raw, start + size + 2).await?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&raw[start..start + size]);
        at = start + size + 2;
    }
}

/// What a phase measured.
#[derive(Default)]
pub(super) struct Measured {
    pub(super) secs: f64,
    /// Latencies (ms) by request type.
    pub(super) latencies: BTreeMap<Kind, Vec<f64>>,
    pub(super) throttled: u64,
}

/// What one worker did: latencies, 429s, and the ids of what its jobs created (job, id).
#[derive(Default)]
pub(super) struct WorkerOut {
    pub(super) latencies: Vec<(Kind, f64)>,
    pub(super) throttled: u64,
    pub(super) created: Vec<(usize, String)>,
}

pub(super) async fn worker(
    target: Arc<Target>,
    traffic: Arc<Traffic>,
    phase: Phase,
    next: Arc<AtomicUsize>,
) -> Result<WorkerOut, String> {
    let mut out = WorkerOut::default();
    let n = traffic.jobs(phase);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n {
            return Ok(out);
        }
        for step in traffic.job(phase, i)? {
            let a = target.send(&step).await?;
            out.latencies.push((step.kind, a.ms));
            out.throttled += u64::from(a.throttled);
            if step.method == reqwest::Method::POST {
                let v: Value = serde_json::from_slice(&a.body).map_err(|e| {
                    format!("{}: the created resource is not JSON: {e}", target.name)
                })?;
                let id = v["id"]
                    .as_str()
                    .ok_or_else(|| format!("{}: the created resource has no id", target.name))?;
                out.created.push((i, id.to_string()));
            }
        }
    }
}

/// Runs `phase` against `target` with `concurrency` requests in flight; returns what it measured and the
/// ids of what it created, in job order.
pub(super) async fn run_phase(
    target: &Arc<Target>,
    traffic: &Arc<Traffic>,
    phase: Phase,
    concurrency: usize,
) -> Res<(Measured, Vec<String>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(target.clone(), traffic.clone(), phase, next.clone())))
        .collect();
    let mut m = Measured::default();
    let mut created = Vec::new();
    let mut failed = None;
    for w in workers {
        match w.await {
            Ok(Ok(out)) => {
                for (k, ms) in out.latencies {
                    m.latencies.entry(k).or_default().push(ms);
                }
                m.throttled += out.throttled;
                created.extend(out.created);
            }
            Ok(Err(e)) => failed = Some(e),
            Err(e) => failed = Some(format!("a client task stopped: {e}")),
        }
    }
    m.secs = t.elapsed().as_secs_f64();
    if let Some(e) = failed {
        return Err(e.into());
    }
    created.sort_by_key(|(i, _)| *i);
    Ok((m, created.into_iter().map(|(_, id)| id).collect()))
}

/// How many members a group has, read back through the SCIM API.
pub(super) async fn member_count(target: &Target, group: &str) -> Res<usize> {
    let a = target
        .send(&Step {
            kind: Kind::CreateGroup,
            method: reqwest::Method::GET,
            path: format!("/Groups/{group}"),
            body: None,
            ok: &[200],
        })
        .await?;
    let v: Value = serde_json::from_slice(&a.body)?;
    Ok(v["members"].as_array().map_or(0, Vec::len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A loopback server that answers each connection's requests with `answers` in turn (one per request
    /// read), then closes the connection; returns its base URL.
    async fn serve(answers: Vec<Vec<&'static str>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for conn_answers in answers {
                let (mut conn, _) = listener.accept().await.unwrap();
                for answer in conn_answers {
                    let mut buf = vec![0u8; 4096];
                    let mut got = Vec::new();
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = conn.read(&mut buf).await.unwrap();
                        got.extend_from_slice(&buf[..n]);
                    }
                    conn.write_all(answer.as_bytes()).await.unwrap();
                }
            }
        });
        format!("http://{addr}/scim/v2/DSX")
    }

    fn get() -> Step {
        Step {
            kind: Kind::Filter,
            method: reqwest::Method::GET,
            path: "/Users".into(),
            body: None,
            ok: &[200],
        }
    }

    #[tokio::test]
    async fn reads_lengths_chunks_bodiless_and_closed_answers_and_reconnects_when_a_kept_connection_closed(
    ) {
        let base = serve(vec![
            // HTTP/1.1 with a length, kept alive; then a chunked answer on the same connection; then the
            // server closes the connection, so the third request must go on a new one.
            vec![
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n4\r\nond!\r\n0\r\n\r\n",
            ],
            // HTTP/1.0 without a length: the body ends with the connection.
            vec!["HTTP/1.0 200 OK\r\n\r\nthird, to the end"],
            // A 204 without a length, kept alive: its (empty) body ends with its head, and the next
            // request goes on the same connection.
            vec![
                "HTTP/1.1 204 No Content\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
            ],
        ])
        .await;
        let t = Target::new("test", base, "secret".into()).unwrap();
        let body = |a: Answer| String::from_utf8(a.body).unwrap();
        assert_eq!(body(t.send(&get()).await.unwrap()), "first");
        assert_eq!(body(t.send(&get()).await.unwrap()), "second!");
        assert_eq!(body(t.send(&get()).await.unwrap()), "third, to the end");
        let mut no_content = get();
        no_content.ok = &[204];
        let done = tokio::time::timeout(Duration::from_secs(5), t.send(&no_content)).await;
        assert_eq!(
            body(done.expect("a 204 is read without waiting").unwrap()),
            ""
        );
        let refused = t.send(&get()).await.err().unwrap();
        assert!(refused.contains("answered 404"), "{refused}");
        assert!(refused.contains("nope"), "{refused}");
    }
}
