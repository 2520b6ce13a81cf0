//! `roster-bench adminapi [--users 100000] [--syncs 1000]`: Roster's Duo-compatible Admin API under the
//! traffic of Duo's own client (duo_client, from .ci/venv): every user listed through its paging
//! iterator at `limit=300`, then individual syncs (`sync_user`) one after another against a real slapd.
//!
//! The users come from a real OpenLDAP `slapd` (loaded with `slapadd`) through a full sync, so the
//! tenant is what an office that syncs its directory has. Roster's server runs in this process, as
//! `rosterctl serve` assembles its Admin API door, with the per-application rate limits lifted (Duo's
//! "get a page" allows 200 a minute: the figures would measure the limit, not the server). A layer
//! around the router times each request inside the server (from the request read to the answer's body
//! built), so the server's own time is shown apart from the client's: duo_client opens a connection per
//! request and signs each one in Python.
//!
//! Figures per phase: requests, the client's wall time and requests a second, p50 and p99 latency as the
//! client sees them and as the server spends them, and the server's total. Targets (issue 12): the
//! server's time for all 100,000 users under 3 s; a `syncuser` under 50 ms at p99. Printed, not asserted.

use crate::ldap::{start_slapd, ADMIN, BASE, PASSWORD};
use roster_api::{Caller, MemorySecrets, NoEvents, Options, Roster, RunMode, SystemClock};
use roster_server::{adminapi, scim, FrontDoors, RequestLimits, Server, ServerConfig};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The client, run by the venv's Python.
const CLIENT: &str = include_str!("duo_client_bench.py");
/// duo_client's page size for the listing (the users endpoint's maximum).
const LIMIT: usize = 300;
/// Groups the directory's users are spread over (each user in one).
const GROUPS: usize = 10;
/// Users whose email changes in the directory before the individual syncs (so some syncs update).
const CHANGED: usize = 100;
/// Issue 12: the server's time to list every user, in seconds.
const TARGET_LIST_S: f64 = 3.0;
/// Issue 12: a `syncuser`'s p99, in milliseconds.
const TARGET_SYNC_P99_MS: f64 = 50.0;

/// Request handling times inside the server.
#[derive(Clone, Default)]
struct ServerTimes(Arc<Mutex<Vec<Duration>>>);

impl ServerTimes {
    fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn python() -> Res<PathBuf> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../.ci/venv/bin/python");
    if py.is_file() {
        Ok(py)
    } else {
        Err(format!(
            "{} is missing: run .ci/setup (duo_client comes from .ci/requirements.txt)",
            py.display()
        )
        .into())
    }
}

/// Parses `--users N --syncs N`.
fn args(args: &[String]) -> Res<(usize, usize)> {
    let (mut users, mut syncs) = (100_000, 1_000);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(|| format!("{flag} needs a number"))?;
        match flag.as_str() {
            "--users" => users = value.max(GROUPS),
            "--syncs" => syncs = value.max(1),
            _ => return Err(format!("unknown option {flag} (--users N, --syncs N)").into()),
        }
    }
    Ok((users, syncs.min(users)))
}

pub fn main(argv: &[String]) -> Res<()> {
    let (users, syncs) = args(argv)?;
    let py = python()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let ldap_dir = dir.path().join("ldap");
    std::fs::create_dir_all(&ldap_dir)?;
    println!("Roster Admin API benchmark: {users} users synced from a real slapd, duo_client from .ci/venv");
    let t = Instant::now();
    let (_slapd, port) = start_slapd(&ldap_dir, users, GROUPS, users / GROUPS)?;
    println!("slapd loaded in {:.1} s", t.elapsed().as_secs_f64());

    let roster = Arc::new(Roster::new(Options {
        data_dir: dir.path().join("data"),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(NoEvents),
    })?);
    let tenant = roster.create_tenant("Bench", None)?.id;
    let session = roster.session(&tenant, &Caller::Local)?;
    let groups: Vec<String> = (0..GROUPS)
        .map(|g| format!("cn=group{g},ou=groups,{BASE}"))
        .collect();
    let spec = serde_json::json!({
        "name": "Bench directory", "type": "user", "deletion_threshold_percent": 100, "groups": groups,
        "connection": {"kind": "openldap", "servers": [format!("ldap://127.0.0.1:{port}")], "transport": "clear",
                       "allow_clear_password": true, "bind_dn": ADMIN, "bind_password": PASSWORD, "base_dn": BASE},
        "attributes": {"username": "uid", "email": "mail", "realname": "displayName"},
    });
    let key = session
        .add_directory(roster_api::spec::parse(&spec.to_string())?)?
        .directory_key;
    let t = Instant::now();
    let report = rt.block_on(session.run_sync(
        &key,
        RunMode::Full { approve: true },
        roster_api::Trigger::Manual,
    ))?;
    println!(
        "full sync of the directory: {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        serde_json::to_string(&report.counts)?
    );
    let keys = session.create_api_application(
        "Bench",
        &["read_resource".into(), "write_resource".into()],
        None,
        "127.0.0.1",
    )?;

    let times = ServerTimes::default();
    let timing = times.clone();
    let origin = scim::Origin::new("http://127.0.0.1");
    let app = FrontDoors::new(RequestLimits {
        rate: None,
        ..RequestLimits::default()
    })
    .door(
        adminapi::PREFIX,
        adminapi::routes_limited(roster.clone(), origin.clone(), None),
        adminapi::error,
    )
    .router()
    .layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let timing = timing.clone();
            async move {
                let t = Instant::now();
                let answer = next.run(request).await;
                timing
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(t.elapsed());
                answer
            }
        },
    ));
    let server = rt.block_on(Server::start(
        ServerConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..ServerConfig::default()
        },
        app,
    ))?;
    let http_port = server.local_addr().port();
    origin.set(&format!("http://127.0.0.1:{http_port}"));
    let client = |phase: serde_json::Value| -> Res<Run> {
        let mut cfg = serde_json::json!({
            "host": "127.0.0.1", "port": http_port, "ikey": keys.ikey, "skey": keys.skey,
            "user_sync": key, "limit": LIMIT,
        });
        if let (Some(c), Some(p)) = (cfg.as_object_mut(), phase.as_object()) {
            c.extend(p.clone());
        }
        let out = Command::new(&py)
            .args(["-c", CLIENT])
            .arg(cfg.to_string())
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "duo_client failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        Ok(Run {
            objects: v["objects"].as_u64().unwrap_or(0),
            wall: v["wall"].as_f64().unwrap_or(0.0),
            client: v["latencies"]
                .as_array()
                .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
                .unwrap_or_default(),
            server: times.take().iter().map(Duration::as_secs_f64).collect(),
            results: v["results"].to_string(),
        })
    };

    times.take();
    let list = client(serde_json::json!({"phase": "list"}))?;
    if list.objects != users as u64 {
        return Err(format!("the iterator saw {} users, not {users}", list.objects).into());
    }
    change_emails(port, users, syncs)?;
    let stride = users / syncs;
    let names: Vec<String> = (0..syncs).map(|i| format!("user{}", i * stride)).collect();
    let sync = client(serde_json::json!({"phase": "syncuser", "usernames": names}))?;
    rt.block_on(server.shutdown());

    println!();
    println!("| phase | requests | client wall | client req/s | client p50 / p99 | server total | server p50 / p99 | target |");
    println!("|---|---|---|---|---|---|---|---|");
    let list_server: f64 = list.server.iter().sum();
    list.row(
        &format!("list {users} users (iterator, limit {LIMIT})"),
        &format!(
            "server total < {TARGET_LIST_S} s: {}",
            verdict(list_server < TARGET_LIST_S)
        ),
    );
    let sync_p99 = percentile(&sync.server, 0.99) * 1000.0;
    sync.row(
        &format!("{syncs} syncuser (slapd)"),
        &format!(
            "server p99 < {TARGET_SYNC_P99_MS} ms: {}",
            verdict(sync_p99 < TARGET_SYNC_P99_MS)
        ),
    );
    println!();
    if let (Some(first), Some(last)) = (list.server.first(), list.server.last()) {
        println!(
            "list: the server's time for the first page {:.1} ms, for the last {:.1} ms (a page that continues the one before seeks after its last username and reuses its count)",
            first * 1000.0,
            last * 1000.0
        );
    }
    println!(
        "syncuser results: {} ({CHANGED} users' emails were changed in slapd first)",
        sync.results
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// One phase's figures (seconds).
struct Run {
    objects: u64,
    wall: f64,
    client: Vec<f64>,
    server: Vec<f64>,
    results: String,
}

impl Run {
    fn row(&self, phase: &str, target: &str) {
        let ms = |v: f64| v * 1000.0;
        println!(
            "| {phase} | {} | {:.2} s | {:.0} | {:.1} / {:.1} ms | {:.2} s | {:.1} / {:.1} ms | {target} |",
            self.client.len(),
            self.wall,
            self.client.len() as f64 / self.wall.max(1e-9),
            ms(percentile(&self.client, 0.5)),
            ms(percentile(&self.client, 0.99)),
            self.server.iter().sum::<f64>(),
            ms(percentile(&self.server, 0.5)),
            ms(percentile(&self.server, 0.99)),
        );
    }
}

/// The `q` quantile (nearest rank) of `v`.
fn percentile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

/// Gives [`CHANGED`] of the users the individual syncs will name a new email, in slapd.
fn change_emails(port: u16, users: usize, syncs: usize) -> Res<()> {
    use std::io::Write as _;
    let stride = users / syncs;
    let mut ldif = String::new();
    for i in 0..CHANGED.min(syncs) {
        let n = i * stride;
        ldif += &format!(
            "dn: uid=user{n},ou=people,{BASE}\nchangetype: modify\nreplace: mail\nmail: changed{n}@bench.example\n\n"
        );
    }
    let mut child = Command::new("ldapmodify")
        .args([
            "-x",
            "-H",
            &format!("ldap://127.0.0.1:{port}"),
            "-D",
            ADMIN,
            "-w",
            PASSWORD,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(ldif.as_bytes())?;
    }
    if !child.wait()?.success() {
        return Err("ldapmodify failed".into());
    }
    Ok(())
}
