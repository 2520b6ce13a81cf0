//! The client: a few tasks sending one phase's requests to one server, timing each.

use super::traffic::{Kind, Phase, Step, Traffic};
use super::Res;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A SCIM server the client talks to. The token is never printed.
pub(super) struct Target {
    pub(super) name: &'static str,
    /// The SCIM base URL.
    pub(super) base: String,
    pub(super) token: String,
    pub(super) http: reqwest::Client,
}

/// One answered request.
pub(super) struct Answer {
    pub(super) ms: f64,
    pub(super) throttled: u32,
    pub(super) body: Vec<u8>,
}

impl Target {
    pub(super) fn new(name: &'static str, base: String, token: String) -> Res<Target> {
        Ok(Target {
            name,
            base,
            token,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()?,
        })
    }

    /// Sends `step`, waiting out any 429 as its `Retry-After` says (counted, and inside the latency, as a
    /// client sees it).
    pub(super) async fn send(&self, step: &Step) -> Result<Answer, String> {
        let what = format!("{} {}", step.method, step.path);
        let t = Instant::now();
        let mut throttled = 0u32;
        loop {
            let mut req = self
                .http
                .request(step.method.clone(), format!("{}{}", self.base, step.path))
                .bearer_auth(&self.token);
            if let Some(b) = &step.body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/scim+json")
                    .body(b.clone());
            }
            let resp = req
                .send()
                .await
                .map_err(|e| format!("{}: {what}: {e}", self.name))?;
            let status = resp.status().as_u16();
            let retry = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let body = resp
                .bytes()
                .await
                .map_err(|e| format!("{}: {what}: reading the answer: {e}", self.name))?;
            if status == 429 && throttled < 100 {
                throttled += 1;
                tokio::time::sleep(Duration::from_secs(retry.unwrap_or(1))).await;
                continue;
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if !step.ok.contains(&status) {
                let text = String::from_utf8_lossy(&body);
                let snippet: String = text.chars().take(300).collect();
                return Err(format!(
                    "{} answered {status} to {what}: {snippet}",
                    self.name
                ));
            }
            return Ok(Answer {
                ms,
                throttled,
                body: body.to_vec(),
            });
        }
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
